//! The host calls of the accumulate invocation (GP appendix B: the general functions of
//! B.6 and the accumulate functions of B.7, as dispatched by $F$ of eq:accinvocation), plus the
//! JIP-1 `log` call.
//!
//! Every call charges its gas first: with less gas left than the charge $g$ it runs out of
//! gas and changes nothing (GP B.6: $\varepsilon' = \infty$ when $\varrho < g$). Registers
//! are read as the GP's $\boldsymbol{\omega}_7 \dots \boldsymbol{\omega}_{12}$; a memory
//! range $\mathbb{N}_{o \dots + l}$ is accessible only if it lies entirely below $2^{32}$
//! (an empty range always is).

use super::invoke::{AccountView, Context, DeferredTransfer};
use marmalade_codec::decode_all;
use marmalade_crypto::hash::blake2b_256;
use marmalade_pvm::{HostCalls, HostOutcome, Instance};
use marmalade_state::account::{
    encode_timeslots, request_octets, storage_item_octets, threshold_balance, Footprint,
};
use marmalade_state::key::lookup_key;
use marmalade_state::ServiceAccount;
use marmalade_types::constants::{
    ASSURANCE_TIMEOUT_PERIOD, AUTH_POOL_SIZE, AUTH_QUEUE_SIZE, BASE_DEPOSIT, BYTE_DEPOSIT,
    ITEM_DEPOSIT, MAX_AUTH_CODE_SIZE, MAX_BUNDLE_SIZE, MAX_PACKAGE_EXPORTS, MAX_PACKAGE_EXTRINSICS,
    MAX_PACKAGE_IMPORTS, MAX_REPORT_DEPENDENCIES, MAX_REPORT_VAR_SIZE, MAX_SERVICE_CODE_SIZE,
    MAX_WORK_ITEMS, MEMO_SIZE, MIN_PUBLIC_SERVICE_INDEX, RECENT_HISTORY_LEN, SLOT_SECONDS,
};
use marmalade_types::{
    AlwaysAccumulateMapEntry, AuthQueue, ChainSpec, Hash, ServiceInfo, ValidatorsData,
};
use std::collections::BTreeMap;

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

/// Host-call identifiers (GP 0.7.2 appendix B; `log` from JIP-1).
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
    /// `bless` ($\Omega_B$).
    pub const BLESS: u64 = 14;
    /// `assign` ($\Omega_A$).
    pub const ASSIGN: u64 = 15;
    /// `designate` ($\Omega_D$).
    pub const DESIGNATE: u64 = 16;
    /// `checkpoint` ($\Omega_C$).
    pub const CHECKPOINT: u64 = 17;
    /// `new` ($\Omega_N$).
    pub const NEW: u64 = 18;
    /// `upgrade` ($\Omega_U$).
    pub const UPGRADE: u64 = 19;
    /// `transfer` ($\Omega_T$).
    pub const TRANSFER: u64 = 20;
    /// `eject` ($\Omega_J$).
    pub const EJECT: u64 = 21;
    /// `query` ($\Omega_Q$).
    pub const QUERY: u64 = 22;
    /// `solicit` ($\Omega_S$).
    pub const SOLICIT: u64 = 23;
    /// `forget` ($\Omega_F$).
    pub const FORGET: u64 = 24;
    /// `yield` ($\Omega_\Taurus$).
    pub const YIELD: u64 = 25;
    /// `provide` ($\Omega_\Aries$).
    pub const PROVIDE: u64 = 26;
    /// `log` (JIP-1).
    pub const LOG: u64 = 100;
}

/// $g$ of every accumulate host call but `transfer` (GP B.6, B.7), and of an unknown one.
pub const HOST_CALL_GAS: u64 = 10;

/// The gas of JIP-1 `log`: the current JIP-1 charges it like an unknown host call (10) and
/// returns `WHAT`, so that a service behaves the same whether or not a node implements it.
pub const LOG_GAS: u64 = 10;

const TOP: u64 = 1 << 32;

/// Deducts `g` from the gas counter; `false` (out of gas) if less than `g` was left.
fn charge(m: &mut dyn Instance, g: u64) -> bool {
    let g = i64::try_from(g).unwrap_or(i64::MAX);
    let enough = m.gas() >= g;
    m.set_gas(m.gas().saturating_sub(g));
    enough
}

/// $\mu_{o \dots + l}$ if $\mathbb{N}_{o \dots + l} \subseteq \mathbb{V}_\mu$.
fn read(m: &mut dyn Instance, o: u64, l: u64) -> Option<Vec<u8>> {
    if l == 0 {
        return Some(Vec::new());
    }
    if !readable(m, o, l) {
        return None;
    }
    m.read_vec(o as u32, u32::try_from(l).ok()?).ok()
}

/// Whether $\mathbb{N}_{o \dots + l} \subseteq \mathbb{V}_\mu$.
fn readable(m: &dyn Instance, o: u64, l: u64) -> bool {
    l == 0 || (o.checked_add(l).is_some_and(|e| e <= TOP) && m.is_readable(o as u32, l))
}

/// $\mu_{o \dots + N}$ as an array, if readable.
fn read_array<const N: usize>(m: &mut dyn Instance, o: u64) -> Option<[u8; N]> {
    read(m, o, N as u64).and_then(|v| v.try_into().ok())
}

/// Whether $\mathbb{N}_{o \dots + l} \subseteq \mathbb{V}^*_\mu$.
fn writable(m: &dyn Instance, o: u64, l: u64) -> bool {
    l == 0 || (o.checked_add(l).is_some_and(|e| e <= TOP) && m.is_writable(o as u32, l))
}

/// The output pattern of `fetch`, `lookup`, `read` and `info`: with $f = \min(\omega_f,
/// |\mathbf{v}|)$ and $l = \min(\omega_l, |\mathbf{v}| - f)$, panic unless
/// $\mathbb{N}_{o \dots + l}$ is writable; `NONE` for no value; otherwise write
/// $\mathbf{v}_{f \dots + l}$ at $o$ and return $|\mathbf{v}|$.
fn output(m: &mut dyn Instance, v: Option<&[u8]>, o: u64, wf: u64, wl: u64) -> HostOutcome {
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
fn service_id(x: u64) -> Option<u32> {
    u32::try_from(x).ok()
}

/// The protocol constants of `fetch` variant 0 (GP B.6, $\Omega_Y$ with $\omega_{10} = 0$).
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

/// Whether timeslot `y` is more than $\mathsf{D}$ slots before `t`: $y < t - \mathsf{D}$.
fn expired(y: u32, t: u32, d: u32) -> bool {
    (y as i64) < t as i64 - d as i64
}

impl HostCalls for Context<'_> {
    fn host_call(&mut self, call: u64, m: &mut dyn Instance) -> HostOutcome {
        if call == id::TRANSFER {
            // g = 10 + t depends on the outcome: computed inside.
            return self.transfer(m);
        }
        let g = if call == id::LOG {
            LOG_GAS
        } else {
            HOST_CALL_GAS
        };
        if !charge(m, g) {
            return HostOutcome::OutOfGas;
        }
        match call {
            id::GAS => {
                m.set_reg(7, m.gas() as u64);
                HostOutcome::Continue
            }
            id::FETCH => self.fetch(m),
            id::LOOKUP => self.lookup(m),
            id::READ => self.read(m),
            id::WRITE => self.write(m),
            id::INFO => self.info(m),
            id::BLESS => self.bless(m),
            id::ASSIGN => self.assign(m),
            id::DESIGNATE => self.designate(m),
            id::CHECKPOINT => {
                self.checkpoint();
                m.set_reg(7, m.gas() as u64);
                HostOutcome::Continue
            }
            id::NEW => self.new_service(m),
            id::UPGRADE => self.upgrade(m),
            id::EJECT => self.eject(m),
            id::QUERY => self.query(m),
            id::SOLICIT => self.solicit(m),
            id::FORGET => self.forget(m),
            id::YIELD => self.yield_(m),
            id::PROVIDE => self.provide(m),
            // `log` and unknown calls (including refine's): ω'_7 = WHAT.
            _ => {
                m.set_reg(7, code::WHAT);
                HostOutcome::Continue
            }
        }
    }
}

impl Context<'_> {
    /// `fetch` (GP B.6, $\Omega_Y$) with only the accumulate arguments: $n = \eta'_0$ and
    /// the inputs $\mathbf{i}$.
    fn fetch(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let small: Vec<u8>;
        let v: Option<&[u8]> = match r[10] {
            0 => {
                small = protocol_constants(self.spec);
                Some(&small)
            }
            1 => Some(&self.env.entropy),
            14 => Some(&self.encoded_inputs().0),
            15 => {
                let (all, offsets) = self.encoded_inputs();
                usize::try_from(r[11])
                    .ok()
                    .and_then(|i| Some(&all[*offsets.get(i)?..*offsets.get(i + 1)?]))
            }
            _ => None,
        };
        output(m, v, r[7], r[8], r[9])
    }

    /// The account a `lookup`/`read`/`info` register names: the accumulating one for
    /// `own` (or $2^{64}-1$ where allowed), else another.
    fn named(&self, w: u64) -> Option<AccountView<'_>> {
        if w == u64::MAX || w == self.id as u64 {
            return Some(self.own_view());
        }
        service_id(w).and_then(|s| self.account(s))
    }

    /// `lookup` (GP B.6, $\Omega_L$).
    fn lookup(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[8]) else {
            return HostOutcome::Panic;
        };
        let v = self.named(r[7]).and_then(|a| a.preimage(&h));
        output(m, v, r[9], r[10], r[11])
    }

    /// `read` (GP B.6, $\Omega_R$).
    fn read(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(k) = read(m, r[8], r[9]) else {
            return HostOutcome::Panic;
        };
        let v = self.named(r[7]).and_then(|a| a.storage(&k));
        output(m, v, r[10], r[11], r[12])
    }

    /// `write` (GP B.6, $\Omega_W$).
    fn write(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(k) = read(m, r[7], r[8]) else {
            return HostOutcome::Panic;
        };
        let (v_o, v_z) = (r[9], r[10]);
        // Check the value is readable before copying it, and copy it only if it is stored.
        if v_z != 0 && !readable(m, v_o, v_z) {
            return HostOutcome::Panic;
        }
        let old_len = self.own_view().storage(&k).map(|v| v.len());
        let mut info = self.own.info;
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
            _ => match read(m, v_o, v_z) {
                Some(v) => Some(v),
                None => return HostOutcome::Panic,
            },
        };
        if old_len.is_some() || value.is_some() {
            self.set_storage(&k, value);
            if info != self.own.info {
                self.set_info(info);
            }
        }
        m.set_reg(7, old_len.map_or(code::NONE, |n| n as u64));
        HostOutcome::Continue
    }

    /// `info` (GP B.6, $\Omega_I$).
    fn info(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let v = self.named(r[7]).map(|a| info_encoding(&a.info()));
        output(m, v.as_deref(), r[8], r[9], r[10])
    }

    /// `bless` (GP B.7, $\Omega_B$).
    fn bless(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let cores = self.spec.cores as u64;
        let Some(a) = read(m, r[8], 4 * cores) else {
            return HostOutcome::Panic;
        };
        let Some(z) = r[12].checked_mul(12).and_then(|len| read(m, r[11], len)) else {
            return HostOutcome::Panic;
        };
        let (Some(manager), Some(delegator), Some(registrar)) =
            (service_id(r[7]), service_id(r[9]), service_id(r[10]))
        else {
            m.set_reg(7, code::WHO);
            return HostOutcome::Continue;
        };
        let assigners = a
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        // A dictionary: a repeated index keeps its last gas.
        let always: BTreeMap<u32, u64> = z
            .chunks_exact(12)
            .map(|e| {
                let id = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
                let mut g = [0u8; 8];
                g.copy_from_slice(&e[4..12]);
                (id, u64::from_le_bytes(g))
            })
            .collect();
        let mut p = self.privileges.clone();
        p.bless = manager;
        p.assign = assigners;
        p.designate = delegator;
        p.register = registrar;
        p.always_acc = always
            .into_iter()
            .map(|(id, gas)| AlwaysAccumulateMapEntry { id, gas })
            .collect();
        self.set_privileges(p);
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `assign` (GP B.7, $\Omega_A$).
    fn assign(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(q) = read(m, r[8], 32 * AUTH_QUEUE_SIZE as u64) else {
            return HostOutcome::Panic;
        };
        let Some(c) = usize::try_from(r[7]).ok().filter(|c| *c < self.spec.cores) else {
            m.set_reg(7, code::CORE);
            return HostOutcome::Continue;
        };
        if self.privileges.assign.get(c) != Some(&self.id) {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        }
        let Some(a) = service_id(r[9]) else {
            m.set_reg(7, code::WHO);
            return HostOutcome::Continue;
        };
        let queue = AuthQueue(
            q.chunks_exact(32)
                .map(|h| h.try_into().unwrap_or([0; 32]))
                .collect(),
        );
        self.set_auth_queue(c, queue);
        let mut p = self.privileges.clone();
        p.assign[c] = a;
        self.set_privileges(p);
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `designate` (GP B.7, $\Omega_D$).
    fn designate(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let v = self.spec.validators;
        let Some(bytes) = read(m, r[7], 336 * v as u64) else {
            return HostOutcome::Panic;
        };
        if self.id != self.privileges.designate {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        }
        // 336·V octets always decode as V key sets.
        let Ok(keys) = decode_all::<ValidatorsData>(&bytes, self.spec.seq_lens()) else {
            return HostOutcome::Panic;
        };
        self.set_staging_set(keys);
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `new` (GP B.7, $\Omega_N$).
    fn new_service(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let (l, min_item_gas, min_memo_gas, gratis, desired) = (r[8], r[9], r[10], r[11], r[12]);
        let code_hash = match (read_array::<32>(m, r[7]), u32::try_from(l)) {
            (Some(c), Ok(l)) => (c, l),
            _ => return HostOutcome::Panic,
        };
        let (c, l) = code_hash;
        let mut info = ServiceInfo {
            version: 0,
            code_hash: c,
            balance: 0,
            min_item_gas,
            min_memo_gas,
            bytes: request_octets(l.into()),
            deposit_offset: gratis,
            items: 2,
            creation_slot: self.env.slot,
            last_accumulation_slot: 0,
            parent_service: self.id,
        };
        info.balance = threshold_balance(&info);
        // The new account of index `i`: the one request (c, l) = [] of its code.
        let account = |i| {
            let mut a = ServiceAccount::new(info);
            a.set_item(lookup_key(i, &c, l), Some(encode_timeslots(&[])));
            a
        };
        if gratis != 0 && self.id != self.privileges.bless {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        }
        let mut own = self.own.info;
        let own_threshold = threshold_balance(&own);
        match own.balance.checked_sub(info.balance) {
            Some(b) if b >= own_threshold => own.balance = b,
            _ => {
                m.set_reg(7, code::CASH);
                return HostOutcome::Continue;
            }
        }
        let registrar = self.id == self.privileges.register;
        if registrar && desired < MIN_PUBLIC_SERVICE_INDEX as u64 {
            let i = desired as u32;
            if self.exists(i) {
                m.set_reg(7, code::FULL);
                return HostOutcome::Continue;
            }
            self.create(i, account(i));
            self.set_info(own);
            m.set_reg(7, i as u64);
            return HostOutcome::Continue;
        }
        let i = self.next_free_id;
        self.create(i, account(i));
        self.set_info(own);
        let s = MIN_PUBLIC_SERVICE_INDEX as u64;
        let next = s + (i as u64).wrapping_sub(s).wrapping_add(42) % ((1 << 32) - s - (1 << 8));
        let next = self.check(next as u32);
        self.set_next_free_id(next);
        m.set_reg(7, i as u64);
        HostOutcome::Continue
    }

    /// `upgrade` (GP B.7, $\Omega_U$).
    fn upgrade(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(c) = read_array::<32>(m, r[7]) else {
            return HostOutcome::Panic;
        };
        let mut info = self.own.info;
        info.code_hash = c;
        info.min_item_gas = r[8];
        info.min_memo_gas = r[9];
        self.set_info(info);
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `transfer` (GP B.7, $\Omega_T$), gas $10 + t$ with $t = l$ on success, else 0.
    fn transfer(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let (dest, amount, gas_limit) = (r[7], r[8], r[9]);
        let memo = read_array::<MEMO_SIZE>(m, r[10]);
        let own = self.own.info;
        let result: Result<(u64, u64), HostOutcome> = match memo {
            None => Err(HostOutcome::Panic),
            Some(_) => match service_id(dest).and_then(|d| self.account(d)) {
                None => Ok((code::WHO, 0)),
                Some(d) if gas_limit < d.info().min_memo_gas => Ok((code::LOW, 0)),
                Some(_) => match own.balance.checked_sub(amount) {
                    Some(b) if b >= threshold_balance(&own) => Ok((code::OK, gas_limit)),
                    _ => Ok((code::CASH, 0)),
                },
            },
        };
        let t = result.map_or(0, |(_, t)| t);
        if !charge(m, HOST_CALL_GAS.saturating_add(t)) {
            return HostOutcome::OutOfGas;
        }
        match result {
            Err(e) => e,
            Ok((code::OK, _)) => {
                let mut info = own;
                info.balance -= amount;
                self.set_info(info);
                self.add_transfer(DeferredTransfer {
                    source: self.id,
                    dest: dest as u32,
                    amount,
                    memo: memo.unwrap_or([0; MEMO_SIZE]),
                    gas: gas_limit,
                });
                m.set_reg(7, code::OK);
                HostOutcome::Continue
            }
            Ok((c, _)) => {
                m.set_reg(7, c);
                HostOutcome::Continue
            }
        }
    }

    /// `eject` (GP B.7, $\Omega_J$).
    fn eject(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[8]) else {
            return HostOutcome::Panic;
        };
        let mut own_hash = [0u8; 32];
        own_hash[..4].copy_from_slice(&self.id.to_le_bytes());
        let target = service_id(r[7])
            .filter(|d| *d != self.id)
            .and_then(|d| self.account(d).map(|a| (d, a)));
        let Some((d, acc)) = target.filter(|(_, a)| a.info().code_hash == own_hash) else {
            m.set_reg(7, code::WHO);
            return HostOutcome::Continue;
        };
        let info = acc.info();
        let l = info.bytes.max(81) - 81;
        let request = u32::try_from(l)
            .ok()
            .and_then(|l| acc.request(&h, l))
            .filter(|_| info.items == 2);
        match request.as_deref() {
            Some(&[_, y]) if expired(y, self.env.slot, self.spec.preimage_expunge_period) => {
                let mut own = self.own.info;
                own.balance = own.balance.saturating_add(info.balance);
                self.remove(d);
                self.set_info(own);
                m.set_reg(7, code::OK);
            }
            _ => m.set_reg(7, code::HUH),
        }
        HostOutcome::Continue
    }

    /// `query` (GP B.7, $\Omega_Q$).
    fn query(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[7]) else {
            return HostOutcome::Panic;
        };
        let a = u32::try_from(r[8])
            .ok()
            .and_then(|z| self.own_view().request(&h, z));
        let (r7, r8) = match a.as_deref() {
            None => (code::NONE, 0),
            Some([]) => (0, 0),
            Some(&[x]) => (1 + ((x as u64) << 32), 0),
            Some(&[x, y]) => (2 + ((x as u64) << 32), y as u64),
            Some(&[x, y, z, ..]) => (3 + ((x as u64) << 32), y as u64 + ((z as u64) << 32)),
        };
        m.set_reg(7, r7);
        m.set_reg(8, r8);
        HostOutcome::Continue
    }

    /// `solicit` (GP B.7, $\Omega_S$). A length of $2^{32}$ or more cannot be a request key
    /// (GP eq:serviceaccount: $\mathbb{N}_L$ lengths), so soliciting it is `HUH`.
    fn solicit(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[7]) else {
            return HostOutcome::Panic;
        };
        let Ok(z) = u32::try_from(r[8]) else {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        };
        let mut info = self.own.info;
        let new = match self.own_view().request(&h, z).as_deref() {
            None => {
                info.adjust(2, request_octets(z.into()), true);
                Vec::new()
            }
            Some(&[x, y]) => vec![x, y, self.env.slot],
            Some(_) => {
                m.set_reg(7, code::HUH);
                return HostOutcome::Continue;
            }
        };
        if info.balance < threshold_balance(&info) {
            m.set_reg(7, code::FULL);
            return HostOutcome::Continue;
        }
        self.set_request(&h, z, Some(&new));
        if info != self.own.info {
            self.set_info(info);
        }
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `forget` (GP B.7, $\Omega_F$).
    fn forget(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[7]) else {
            return HostOutcome::Panic;
        };
        let t = self.env.slot;
        let d = self.spec.preimage_expunge_period;
        let Some(z) = u32::try_from(r[8]).ok() else {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        };
        enum Change {
            Drop,
            Set(Vec<u32>),
        }
        let change = match self.own_view().request(&h, z).as_deref() {
            Some([]) => Change::Drop,
            Some(&[_, y]) if expired(y, t, d) => Change::Drop,
            Some(&[x]) => Change::Set(vec![x, t]),
            Some(&[_, y, w]) if expired(y, t, d) => Change::Set(vec![w, t]),
            _ => {
                m.set_reg(7, code::HUH);
                return HostOutcome::Continue;
            }
        };
        match change {
            Change::Drop => {
                let mut info = self.own.info;
                info.adjust(2, request_octets(z.into()), false);
                self.set_request(&h, z, None);
                if self.own_view().preimage(&h).is_some() {
                    self.set_preimage(&h, None);
                }
                self.set_info(info);
            }
            Change::Set(l) => self.set_request(&h, z, Some(&l)),
        }
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `yield` (GP B.7, $\Omega_\Taurus$).
    fn yield_(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let o = m.reg(7);
        let Some(h) = read_array::<32>(m, o) else {
            return HostOutcome::Panic;
        };
        self.set_yield(h);
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }

    /// `provide` (GP B.7, $\Omega_\Aries$).
    fn provide(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(blob) = read(m, r[8], r[9]) else {
            return HostOutcome::Panic;
        };
        let s = if r[7] == u64::MAX {
            Some(self.id)
        } else {
            service_id(r[7])
        };
        let Some((s, a)) = s.and_then(|s| self.account(s).map(|a| (s, a))) else {
            m.set_reg(7, code::WHO);
            return HostOutcome::Continue;
        };
        let h: Hash = blake2b_256(&blob);
        let requested = u32::try_from(r[9])
            .ok()
            .and_then(|z| a.request(&h, z))
            .is_some_and(|l| l.is_empty());
        if !requested || self.provision_index.contains(&(s, h)) {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        }
        self.add_provision(s, h, blob);
        m.set_reg(7, code::OK);
        HostOutcome::Continue
    }
}

#[cfg(test)]
mod tests;
