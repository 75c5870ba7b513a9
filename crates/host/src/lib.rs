//! The host-call functions every PVM invocation shares (GP B.6): `gas` ($\Omega_G$), `fetch`
//! ($\Omega_Y$), `lookup` ($\Omega_L$), `read` ($\Omega_R$), `write` ($\Omega_W$), `info`
//! ($\Omega_I$) and JIP-1 `log`, written once against the PVM's [`Instance`] and a context
//! trait ([`GeneralHost`]) that each invocation (Ψ_A today; Ψ_I and Ψ_R with the in-core
//! work) implements over its own state.
//!
//! The callers charge each call's gas before calling these (GP B.6: with less gas left than
//! the charge $g$, a call runs out of gas and changes nothing). Registers are read as the
//! GP's $\omega_7 \dots \omega_{12}$; a memory range $\mathbb{N}_{o \dots + l}$ is accessible
//! only if it lies entirely below $2^{32}$ (an empty range always is).

#![deny(unsafe_code)]

mod code_cache;

pub use code_cache::{CodeCache, GAS_MODEL};

use marmalade_pvm::{HostOutcome, Instance};
use marmalade_state::account::{storage_item_octets, threshold_balance, Footprint};
use marmalade_types::constants::{
    ASSURANCE_TIMEOUT_PERIOD, AUTH_POOL_SIZE, AUTH_QUEUE_SIZE, BASE_DEPOSIT, BYTE_DEPOSIT,
    ITEM_DEPOSIT, MAX_AUTH_CODE_SIZE, MAX_BUNDLE_SIZE, MAX_PACKAGE_EXPORTS, MAX_PACKAGE_EXTRINSICS,
    MAX_PACKAGE_IMPORTS, MAX_REPORT_DEPENDENCIES, MAX_REPORT_VAR_SIZE, MAX_SERVICE_CODE_SIZE,
    MAX_WORK_ITEMS, MEMO_SIZE, RECENT_HISTORY_LEN, SLOT_SECONDS,
};
use marmalade_types::{ChainSpec, Hash, ServiceId, ServiceInfo};
use std::borrow::Cow;

/// Host-call result codes (GP B.1).
pub mod code {
    /// `OK`: general success.
    pub const OK: u64 = 0;
    /// `NONE`: the item does not exist.
    pub const NONE: u64 = u64::MAX;
    /// `WHAT`: name unknown.
    pub const WHAT: u64 = u64::MAX - 1;
    /// `OOB`: an inner PVM memory index is not accessible.
    pub const OOB: u64 = u64::MAX - 2;
    /// `WHO`: index unknown.
    pub const WHO: u64 = u64::MAX - 3;
    /// `FULL`: storage full or resource already allocated.
    pub const FULL: u64 = u64::MAX - 4;
    /// `CORE`: core index unknown.
    pub const CORE: u64 = u64::MAX - 5;
    /// `CASH`: insufficient funds.
    pub const CASH: u64 = u64::MAX - 6;
    /// `LOW`: gas limit too low.
    pub const LOW: u64 = u64::MAX - 7;
    /// `HUH`: already solicited, cannot be forgotten, or not privileged.
    pub const HUH: u64 = u64::MAX - 8;
}

/// Identifiers of the shared host calls (GP 0.7.2 appendix B; `log` from JIP-1).
pub mod id {
    /// `gas` ($\Omega_G$).
    pub const GAS: u64 = 0;
    /// `fetch` ($\Omega_Y$).
    pub const FETCH: u64 = 1;
    /// `lookup` ($\Omega_L$).
    pub const LOOKUP: u64 = 2;
    /// `read` ($\Omega_R$).
    pub const READ: u64 = 3;
    /// `write` ($\Omega_W$).
    pub const WRITE: u64 = 4;
    /// `info` ($\Omega_I$).
    pub const INFO: u64 = 5;
    /// `log` (JIP-1).
    pub const LOG: u64 = 100;
}

/// $g$ of every host call but `transfer` (GP B.6, B.7), and of an unknown one.
pub const HOST_CALL_GAS: u64 = 10;

/// The gas of JIP-1 `log`: the current JIP-1 charges it like an unknown host call (10) and
/// returns `WHAT`, so that a service behaves the same whether or not a node implements it.
pub const LOG_GAS: u64 = 10;

/// $2^{32}$: the size of the PVM's address space.
const TOP: u64 = 1 << 32;

/// Deducts `g` from the gas counter; `false` (out of gas) if less than `g` was left.
pub fn charge(m: &mut dyn Instance, g: u64) -> bool {
    let g = i64::try_from(g).unwrap_or(i64::MAX);
    let enough = m.gas() >= g;
    m.set_gas(m.gas().saturating_sub(g));
    enough
}

/// $\mu_{o \dots + l}$ if $\mathbb{N}_{o \dots + l} \subseteq \mathbb{V}_\mu$.
pub fn read_memory(m: &mut dyn Instance, o: u64, l: u64) -> Option<Vec<u8>> {
    if l == 0 {
        return Some(Vec::new());
    }
    if !readable(m, o, l) {
        return None;
    }
    m.read_vec(o as u32, u32::try_from(l).ok()?).ok()
}

/// Whether $\mathbb{N}_{o \dots + l} \subseteq \mathbb{V}_\mu$.
pub fn readable(m: &dyn Instance, o: u64, l: u64) -> bool {
    l == 0 || (o.checked_add(l).is_some_and(|e| e <= TOP) && m.is_readable(o as u32, l))
}

/// $\mu_{o \dots + N}$ as an array, if readable.
pub fn read_array<const N: usize>(m: &mut dyn Instance, o: u64) -> Option<[u8; N]> {
    read_memory(m, o, N as u64).and_then(|v| v.try_into().ok())
}

/// Whether $\mathbb{N}_{o \dots + l} \subseteq \mathbb{V}^*_\mu$.
pub fn writable(m: &dyn Instance, o: u64, l: u64) -> bool {
    l == 0 || (o.checked_add(l).is_some_and(|e| e <= TOP) && m.is_writable(o as u32, l))
}

/// The output pattern of `fetch`, `lookup`, `read` and `info`: with $f = \min(\omega_f,
/// |\mathbf{v}|)$ and $l = \min(\omega_l, |\mathbf{v}| - f)$, panic unless
/// $\mathbb{N}_{o \dots + l}$ is writable; `NONE` for no value; otherwise write
/// $\mathbf{v}_{f \dots + l}$ at $o$ and return $|\mathbf{v}|$.
pub fn output(m: &mut dyn Instance, v: Option<&[u8]>, o: u64, wf: u64, wl: u64) -> HostOutcome {
    let len = v.map_or(0, |v| v.len()) as u64;
    let f = wf.min(len);
    let l = wl.min(len - f);
    if !writable(m, o, l) {
        return HostOutcome::Panic;
    }
    match v {
        None => m.set_reg(7, code::NONE),
        Some(v) => {
            if l > 0 && m.write(o as u32, &v[f as usize..(f + l) as usize]).is_err() {
                return HostOutcome::Panic;
            }
            m.set_reg(7, len);
        }
    }
    HostOutcome::Continue
}

/// A register as a service index, if it is one.
pub fn service_id(x: u64) -> Option<ServiceId> {
    u32::try_from(x).ok()
}

/// The protocol constants of `fetch` variant 0 (GP B.6, $\Omega_Y$ with $\omega_{10} = 0$),
/// with the chain spec's values (the lookup-anchor age $\mathsf{L}$ among them).
pub fn protocol_constants(spec: &ChainSpec) -> Vec<u8> {
    let mut c = Vec::with_capacity(200);
    let u64s = |c: &mut Vec<u8>, xs: &[u64]| xs.iter().for_each(|x| c.extend(x.to_le_bytes()));
    let u32s =
        |c: &mut Vec<u8>, xs: &[u64]| xs.iter().for_each(|x| c.extend((*x as u32).to_le_bytes()));
    let u16s =
        |c: &mut Vec<u8>, xs: &[u64]| xs.iter().for_each(|x| c.extend((*x as u16).to_le_bytes()));
    u64s(&mut c, &[ITEM_DEPOSIT, BYTE_DEPOSIT, BASE_DEPOSIT]);
    u16s(&mut c, &[spec.cores as u64]);
    u32s(
        &mut c,
        &[
            spec.preimage_expunge_period as u64,
            spec.epoch_length as u64,
        ],
    );
    u64s(
        &mut c,
        &[
            spec.report_accumulate_gas,
            spec.is_authorized_gas,
            spec.refine_gas,
            spec.block_accumulate_gas,
        ],
    );
    u16s(
        &mut c,
        &[
            RECENT_HISTORY_LEN as u64,
            MAX_WORK_ITEMS as u64,
            MAX_REPORT_DEPENDENCIES as u64,
            spec.max_tickets_per_extrinsic as u64,
        ],
    );
    u32s(&mut c, &[spec.max_lookup_anchor_age as u64]);
    u16s(
        &mut c,
        &[
            spec.tickets_per_validator as u64,
            AUTH_POOL_SIZE as u64,
            SLOT_SECONDS,
            AUTH_QUEUE_SIZE as u64,
            spec.rotation_period as u64,
            MAX_PACKAGE_EXTRINSICS as u64,
            ASSURANCE_TIMEOUT_PERIOD as u64,
            spec.validators as u64,
        ],
    );
    u32s(
        &mut c,
        &[
            MAX_AUTH_CODE_SIZE as u64,
            MAX_BUNDLE_SIZE as u64,
            MAX_SERVICE_CODE_SIZE as u64,
            spec.ec_piece_size as u64,
            MAX_PACKAGE_IMPORTS as u64,
            spec.segment_ec_pieces as u64,
            MAX_REPORT_VAR_SIZE as u64,
            MEMO_SIZE as u64,
            MAX_PACKAGE_EXPORTS as u64,
            spec.ticket_submission_end as u64,
        ],
    );
    c
}

/// The `info` encoding of an account (GP B.6, $\Omega_I$): $c$, $\mathcal{E}_8(b, t, g, m,
/// o)$, $\mathcal{E}_4(i)$, $\mathcal{E}_8(f)$, $\mathcal{E}_4(r, a, p)$; 96 octets.
pub fn info_encoding(a: &ServiceInfo) -> Vec<u8> {
    let mut v = Vec::with_capacity(96);
    v.extend_from_slice(&a.code_hash);
    for x in [
        a.balance,
        threshold_balance(a),
        a.min_item_gas,
        a.min_memo_gas,
        a.bytes,
    ] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(&a.items.to_le_bytes());
    v.extend_from_slice(&a.deposit_offset.to_le_bytes());
    for x in [a.creation_slot, a.last_accumulation_slot, a.parent_service] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

/// What the shared host calls need of an invocation's context: its data for `fetch`, and the
/// service accounts as the invocation sees them.
pub trait GeneralHost {
    /// $\mathbf{v}$ of $\Omega_Y$ for the selector $\omega_{10}$ (with $\omega_{11}$,
    /// $\omega_{12}$) in this invocation; `None` where the invocation has no such data.
    fn fetch_data(&mut self, regs: &[u64; 13]) -> Option<Cow<'_, [u8]>>;

    /// The account register value `w` names: the invocation's own service for $2^{64}-1$ or
    /// its own index, else service `w` if it exists. Returns the service index.
    fn named(&self, w: u64) -> Option<ServiceId>;

    /// The fixed part of account `s` as the invocation sees it.
    fn account_info(&self, s: ServiceId) -> Option<ServiceInfo>;

    /// $\mathbf{p}[h]$ of account `s`.
    fn account_preimage(&self, s: ServiceId, h: &Hash) -> Option<&[u8]>;

    /// $\mathbf{s}[k]$ of account `s`.
    fn account_storage(&self, s: ServiceId, k: &[u8]) -> Option<&[u8]>;

    /// The invocation's own service (the one `write` writes to), if it may write.
    fn writer(&self) -> Option<ServiceId>;

    /// Sets (`Some`) or removes (`None`) $\mathbf{s}[k]$ of the own account, with its new
    /// fixed part `info` (footprint updated); only called when `write` succeeds.
    fn set_own_storage(&mut self, k: &[u8], v: Option<Vec<u8>>, info: ServiceInfo);
}

/// `gas` ($\Omega_G$, GP B.6): $\omega'_7 = \varrho'$.
pub fn gas(m: &mut dyn Instance) -> HostOutcome {
    m.set_reg(7, m.gas() as u64);
    HostOutcome::Continue
}

/// `fetch` ($\Omega_Y$, GP B.6).
pub fn fetch<C: GeneralHost + ?Sized>(c: &mut C, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let v = c.fetch_data(&r);
    output(m, v.as_deref(), r[7], r[8], r[9])
}

/// `lookup` ($\Omega_L$, GP B.6).
pub fn lookup<C: GeneralHost + ?Sized>(c: &mut C, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let Some(h) = read_array::<32>(m, r[8]) else {
        return HostOutcome::Panic;
    };
    let v = c.named(r[7]).and_then(|s| c.account_preimage(s, &h));
    output(m, v, r[9], r[10], r[11])
}

/// `read` ($\Omega_R$, GP B.6).
pub fn read<C: GeneralHost + ?Sized>(c: &mut C, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let Some(k) = read_memory(m, r[8], r[9]) else {
        return HostOutcome::Panic;
    };
    let v = c.named(r[7]).and_then(|s| c.account_storage(s, &k));
    output(m, v, r[10], r[11], r[12])
}

/// `write` ($\Omega_W$, GP B.6): FULL when the new footprint's threshold balance exceeds the
/// balance; otherwise the previous value's length (or NONE) and the write.
pub fn write<C: GeneralHost + ?Sized>(c: &mut C, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let Some(k) = read_memory(m, r[7], r[8]) else {
        return HostOutcome::Panic;
    };
    let (v_o, v_z) = (r[9], r[10]);
    // Check the value is readable before copying it, and copy it only if it is stored.
    if v_z != 0 && !readable(m, v_o, v_z) {
        return HostOutcome::Panic;
    }
    let Some(s) = c.writer() else {
        m.set_reg(7, code::WHAT);
        return HostOutcome::Continue;
    };
    let Some(own) = c.account_info(s) else {
        m.set_reg(7, code::WHAT);
        return HostOutcome::Continue;
    };
    let old_len = c.account_storage(s, &k).map(<[u8]>::len);
    let mut info = own;
    if let Some(n) = old_len {
        info.adjust(1, storage_item_octets(k.len(), n), false);
    }
    if v_z != 0 {
        info.adjust(1, storage_item_octets(k.len(), v_z as usize), true);
    }
    if threshold_balance(&info) > info.balance {
        m.set_reg(7, code::FULL);
        return HostOutcome::Continue;
    }
    let value = match v_z {
        0 => None,
        _ => match read_memory(m, v_o, v_z) {
            Some(v) => Some(v),
            None => return HostOutcome::Panic,
        },
    };
    if old_len.is_some() || value.is_some() {
        c.set_own_storage(&k, value, info);
    }
    m.set_reg(7, old_len.map_or(code::NONE, |n| n as u64));
    HostOutcome::Continue
}

/// `info` ($\Omega_I$, GP B.6).
pub fn info<C: GeneralHost + ?Sized>(c: &mut C, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let v = c
        .named(r[7])
        .and_then(|s| c.account_info(s))
        .map(|a| info_encoding(&a));
    output(m, v.as_deref(), r[8], r[9], r[10])
}

/// JIP-1 `log` and any unknown call: $\omega'_7 = $ `WHAT`.
pub fn what(m: &mut dyn Instance) -> HostOutcome {
    m.set_reg(7, code::WHAT);
    HostOutcome::Continue
}

/// Dispatches the shared host calls: `Some(outcome)` for `gas`, `fetch`, `lookup`, `read`,
/// `write`, `info` and `log` (gas already charged by the caller), `None` for any other.
pub fn dispatch<C: GeneralHost + ?Sized>(
    c: &mut C,
    call: u64,
    m: &mut dyn Instance,
) -> Option<HostOutcome> {
    Some(match call {
        id::GAS => gas(m),
        id::FETCH => fetch(c, m),
        id::LOOKUP => lookup(c, m),
        id::READ => read(c, m),
        id::WRITE => write(c, m),
        id::INFO => info(c, m),
        id::LOG => what(m),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `fetch` selector 0 encodes the chain spec's own constants, the lookup-anchor
    /// age L among them (24 on the tiny network, not the full chain's 14 400).
    #[test]
    fn protocol_constants_use_the_chain_spec() {
        // E_8(B_I, B_L, B_S), E_2(C), E_4(D, E), E_8(G_A, G_I, G_R, G_T), E_2(H, I, J, K), E_4(L).
        const L_AT: usize = 3 * 8 + 2 + 2 * 4 + 4 * 8 + 4 * 2;
        for (spec, l) in [(ChainSpec::TINY, 24u32), (ChainSpec::FULL, 14_400)] {
            let c = protocol_constants(&spec);
            assert_eq!(c[L_AT..L_AT + 4], l.to_le_bytes(), "{}", spec.name);
            assert_eq!(c[24..26], (spec.cores as u16).to_le_bytes());
            assert_eq!(
                c.len(),
                3 * 8 + 2 + 8 + 32 + 8 + 4 + 16 + 40,
                "{}",
                spec.name
            );
        }
    }
}
