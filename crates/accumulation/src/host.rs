//! The host calls of the accumulate invocation (GP B.7, as dispatched by $F$ of GP (B.9)):
//! the accumulate functions here, the shared ones of GP B.6 (`gas`, `fetch`, `lookup`,
//! `read`, `write`, `info`, JIP-1 `log`) from [`marmalade_host`], over this invocation's
//! context ([`GeneralHost`] for [`Context`]).
//!
//! Every call charges its gas first: with less gas left than the charge $g$ it runs out of
//! gas and changes nothing (GP B.6: $\varepsilon' = \infty$ when $\varrho < g$).

use super::invoke::{Context, DeferredTransfer};
use marmalade_codec::decode_all;
use marmalade_crypto::hash::blake2b_256;
use marmalade_host::{
    charge, dispatch, read_array, read_memory as read, service_id, GeneralHost, HOST_CALL_GAS,
    LOG_GAS,
};
use marmalade_pvm::{HostCalls, HostOutcome, Instance};
use marmalade_state::account::{encode_timeslots, request_octets, threshold_balance, Footprint};
use marmalade_state::key::lookup_key;
use marmalade_state::ServiceAccount;
use marmalade_types::constants::{AUTH_QUEUE_SIZE, MEMO_SIZE, MIN_PUBLIC_SERVICE_INDEX};
use marmalade_types::{
    AlwaysAccumulateMapEntry, AuthQueue, Hash, ServiceId, ServiceInfo, ValidatorsData,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub use marmalade_host::{code, info_encoding, protocol_constants};

/// Host-call identifiers of the accumulate invocation (GP 0.7.2 appendix B; `log` from
/// JIP-1).
pub mod id {
    pub use marmalade_host::id::*;
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
        if let Some(outcome) = dispatch(self, call, m) {
            return outcome;
        }
        match call {
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
            // Unknown calls (including refine's): ω'_7 = WHAT.
            _ => marmalade_host::what(m),
        }
    }
}

impl GeneralHost for Context<'_> {
    /// $\Omega_Y$'s data in $\Psi_A$: the constants, $\eta'_0$ and the inputs $\mathbf{i}$
    /// (GP B.6 with the accumulate arguments).
    fn fetch_data(&mut self, r: &[u64; 13]) -> Option<Cow<'_, [u8]>> {
        match r[10] {
            0 => Some(Cow::Owned(protocol_constants(self.spec))),
            1 => Some(Cow::Borrowed(&self.env.entropy[..])),
            14 => Some(Cow::Borrowed(&self.encoded_inputs().0[..])),
            15 => {
                let (all, offsets) = self.encoded_inputs();
                let i = usize::try_from(r[11]).ok()?;
                Some(Cow::Borrowed(&all[*offsets.get(i)?..*offsets.get(i + 1)?]))
            }
            _ => None,
        }
    }

    fn named(&self, w: u64) -> Option<ServiceId> {
        if w == u64::MAX || w == self.id as u64 {
            return Some(self.id);
        }
        service_id(w).filter(|s| self.exists(*s))
    }

    fn account_info(&self, s: ServiceId) -> Option<ServiceInfo> {
        self.account(s).map(|a| a.info())
    }

    fn account_preimage(&self, s: ServiceId, h: &Hash) -> Option<&[u8]> {
        self.account(s).and_then(|a| a.preimage(h))
    }

    fn account_storage(&self, s: ServiceId, k: &[u8]) -> Option<&[u8]> {
        self.account(s).and_then(|a| a.storage(k))
    }

    fn writer(&self) -> Option<ServiceId> {
        Some(self.id)
    }

    fn set_own_storage(&mut self, k: &[u8], v: Option<Vec<u8>>, info: ServiceInfo) {
        self.set_storage(k, v);
        if info != self.own.info {
            self.set_info(info);
        }
    }
}

impl Context<'_> {
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
    /// (GP (9.3): $\mathbb{N}_L$ lengths), so soliciting it is `HUH`.
    fn solicit(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[7]) else {
            return HostOutcome::Panic;
        };
        // z is all 64 bits of ω_8: a request (h, z) with z ≥ 2^32 is simply not yet requested,
        // and its footprint 81 + z goes into the threshold untruncated, so the balance check
        // decides (a huge z gives FULL).
        let z = r[8];
        let existing = u32::try_from(z)
            .ok()
            .and_then(|z| self.own_view().request(&h, z));
        let mut info = self.own.info;
        let new = match existing.as_deref() {
            None => {
                info.adjust(2, request_octets(z), true);
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
        // A balance that covers 2^32 octets or more: the request would be valid, but its key
        // E_4(z) (GP (D.2)) cannot be formed, as a preimage length is at most 2^32 - 1; the GP
        // leaves this case undefined and it is answered as an impossible request.
        let Ok(z) = u32::try_from(z) else {
            m.set_reg(7, code::HUH);
            return HostOutcome::Continue;
        };
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
