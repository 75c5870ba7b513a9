//! The host-call dispatch $F$ of Ψ_I (GP (B.2)) and Ψ_R (GP (B.6)), and the refine-only
//! calls `historical_lookup` ($\Omega_H$) and `export` ($\Omega_E$).
//!
//! Ψ_I offers `gas` and `fetch`; Ψ_R adds `historical_lookup`, `export` and the inner-machine
//! calls. Every other call, the other shared ones (`lookup`, `read`, `write`, `info`) and
//! JIP-1 `log` included, costs 10 and returns `WHAT` (running out of gas if fewer than 10
//! remain). Every call charges its 10 first (the preambles of the general and the refine
//! functions, GP (B.15)–(B.18): with $\varrho < g$ the call runs out of gas and changes
//! nothing). The bootstrap service of the traces refines with exactly the vectors' gas under
//! these charges (JIP-1 `log` at 10, although the traces' README says 0).

use crate::fetch::FetchData;
use crate::inner::{self, Guests};
use marmalade_host::{charge, code, output, read_array, readable, GeneralHost, HOST_CALL_GAS};
use marmalade_pvm::{HostCalls, HostOutcome, Instance};
use marmalade_state::StateReader;
use marmalade_types::constants::{MAX_PACKAGE_EXPORTS, SEGMENT_SIZE};
use marmalade_types::{Hash, Segment, ServiceId, ServiceInfo, TimeSlot};
use std::borrow::Cow;

/// Host-call identifiers of the in-core invocations (GP 0.7.2 appendix B).
pub mod id {
    pub use marmalade_host::id::{FETCH, GAS, LOG};
    /// `historical_lookup` ($\Omega_H$).
    pub const HISTORICAL_LOOKUP: u64 = 6;
    /// `export` ($\Omega_E$).
    pub const EXPORT: u64 = 7;
    /// `machine` ($\Omega_M$).
    pub const MACHINE: u64 = 8;
    /// `peek` ($\Omega_P$).
    pub const PEEK: u64 = 9;
    /// `poke` ($\Omega_O$).
    pub const POKE: u64 = 10;
    /// `pages` ($\Omega_Z$).
    pub const PAGES: u64 = 11;
    /// `invoke` ($\Omega_K$).
    pub const INVOKE: u64 = 12;
    /// `expunge` ($\Omega_X$).
    pub const EXPUNGE: u64 = 13;
}

/// The shared host calls see no accounts in the in-core invocations; only `gas` and `fetch`
/// are dispatched to them.
macro_rules! no_accounts {
    () => {
        fn named(&self, _w: u64) -> Option<ServiceId> {
            None
        }
        fn account_info(&self, _s: ServiceId) -> Option<ServiceInfo> {
            None
        }
        fn account_preimage(&self, _s: ServiceId, _h: &Hash) -> Option<&[u8]> {
            None
        }
        fn account_storage(&self, _s: ServiceId, _k: &[u8]) -> Option<&[u8]> {
            None
        }
        fn writer(&self) -> Option<ServiceId> {
            None
        }
        fn set_own_storage(&mut self, _k: &[u8], _v: Option<Vec<u8>>, _info: ServiceInfo) {}
    };
}

/// Ψ_I's context: none in the GP (GP (B.2)); here the package for `fetch`.
pub(crate) struct IsAuthorizedHost<'a> {
    pub fetch: FetchData<'a>,
}

impl GeneralHost for IsAuthorizedHost<'_> {
    fn fetch_data(&mut self, r: &[u64; 13]) -> Option<Cow<'_, [u8]>> {
        self.fetch.get(r)
    }
    no_accounts!();
}

/// The dispatch both invocations share: charge the call's 10 (out of gas with fewer left),
/// then `gas` and `fetch`; every other call goes to `other`.
fn dispatch<H: GeneralHost>(
    host: &mut H,
    call: u64,
    m: &mut dyn Instance,
    other: impl FnOnce(&mut H, &mut dyn Instance) -> HostOutcome,
) -> HostOutcome {
    if !charge(m, HOST_CALL_GAS) {
        return HostOutcome::OutOfGas;
    }
    match call {
        id::GAS => marmalade_host::gas(m),
        id::FETCH => marmalade_host::fetch(host, m),
        _ => other(host, m),
    }
}

impl HostCalls for IsAuthorizedHost<'_> {
    fn host_call(&mut self, call: u64, m: &mut dyn Instance) -> HostOutcome {
        dispatch(self, call, m, |_, m| marmalade_host::what(m))
    }
}

/// Ψ_R's context: the refine context pair $(\mathbf{m}, \mathbf{e})$ (GP (B.6)) with what the
/// calls read: the package data for `fetch`, the state, service and lookup-anchor slot for
/// `historical_lookup`, and $\varsigma$ for `export`.
pub(crate) struct RefineHost<'a> {
    pub fetch: FetchData<'a>,
    pub state: &'a dyn StateReader,
    /// $w_s$: the refined item's service.
    pub service: ServiceId,
    /// $(p_\mathbf{c})_t$: the lookup-anchor slot.
    pub anchor_slot: TimeSlot,
    /// $\varsigma$: the segments exported by earlier items.
    pub export_offset: usize,
    /// $\mathbf{m}$.
    pub guests: Guests,
    /// $\mathbf{e}$.
    pub exports: Vec<Segment>,
}

impl GeneralHost for RefineHost<'_> {
    fn fetch_data(&mut self, r: &[u64; 13]) -> Option<Cow<'_, [u8]>> {
        self.fetch.get(r)
    }
    no_accounts!();
}

impl RefineHost<'_> {
    /// `historical_lookup` ($\Omega_H$): $\Lambda(\mathbf{a}, t, \mu_{h \dots + 32})$ of the
    /// own service ($\omega_7 = 2^{64} - 1$) or service $\omega_7$.
    fn historical_lookup(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let r = m.regs();
        let Some(h) = read_array::<32>(m, r[8]) else {
            return HostOutcome::Panic;
        };
        let exists = |s: ServiceId| self.state.service_info(s).is_some();
        let a = if r[7] == u64::MAX && exists(self.service) {
            Some(self.service)
        } else {
            u32::try_from(r[7]).ok().filter(|&s| exists(s))
        };
        let v = a.and_then(|s| self.state.historical_lookup(s, self.anchor_slot, &h));
        output(m, v, r[9], r[10], r[11])
    }

    /// `export` ($\Omega_E$): appends $\mu_{p \dots + z}$ zero-padded to a segment,
    /// $z = \min(\omega_8, \mathsf{W}_G)$; `FULL` once $\varsigma + |\mathbf{e}| \ge
    /// \mathsf{W}_X$, else its index $\varsigma + |\mathbf{e}|$.
    fn export(&mut self, m: &mut dyn Instance) -> HostOutcome {
        let (p, z) = (m.reg(7), m.reg(8).min(SEGMENT_SIZE as u64));
        if !readable(m, p, z) {
            return HostOutcome::Panic;
        }
        let mut x: Segment = Box::new([0; SEGMENT_SIZE]);
        if z > 0 && m.read(p as u32, &mut x[..z as usize]).is_err() {
            return HostOutcome::Panic;
        }
        let index = self.export_offset.saturating_add(self.exports.len());
        if index >= MAX_PACKAGE_EXPORTS {
            m.set_reg(7, code::FULL);
        } else {
            self.exports.push(x);
            m.set_reg(7, index as u64);
        }
        HostOutcome::Continue
    }
}

impl HostCalls for RefineHost<'_> {
    fn host_call(&mut self, call: u64, m: &mut dyn Instance) -> HostOutcome {
        dispatch(self, call, m, |h, m| match call {
            id::HISTORICAL_LOOKUP => h.historical_lookup(m),
            id::EXPORT => h.export(m),
            id::MACHINE => inner::machine(&mut h.guests, m),
            id::PEEK => inner::peek(&mut h.guests, m),
            id::POKE => inner::poke(&mut h.guests, m),
            id::PAGES => inner::pages(&mut h.guests, m),
            id::INVOKE => inner::invoke(&mut h.guests, m),
            id::EXPUNGE => inner::expunge(&mut h.guests, m),
            _ => marmalade_host::what(m),
        })
    }
}
