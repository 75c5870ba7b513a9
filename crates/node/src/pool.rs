//! The node's pools of extrinsic items waiting for a block: preimages, guarantees,
//! assurances, tickets and disputes, each bounded and without duplicates.
//!
//! [`Pools::take`] makes a block's extrinsic from them on the parent's posterior state, by
//! the rules block import checks, so that what it takes imports: items that can never be
//! valid again are dropped, items that may become valid later (a guarantee for a core whose
//! report is still pending) stay. What import still refuses (a bad signature, a rule not
//! checked here) is dropped by the author's retry ([`crate::Node::author`]).

use marmalade_authoring::{select_tickets, Ticket};
use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_state::StateReader;
use marmalade_stf::{assurances::assured_cores, disputes};
use marmalade_types::{
    AvailAssurance, ChainSpec, DisputesExtrinsic, Extrinsic, Hash, HeaderHash, Preimage,
    ReportGuarantee, ServiceId, TimeSlot, ValidatorIndex, WorkReport,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// How much each pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Preimages held.
    pub preimages: usize,
    /// Their octets in all.
    pub preimage_octets: usize,
    /// Guarantees held.
    pub guarantees: usize,
    /// Assurances held.
    pub assurances: usize,
    /// Tickets held.
    pub tickets: usize,
    /// Disputes extrinsics held.
    pub disputes: usize,
}

impl Default for PoolLimits {
    fn default() -> Self {
        PoolLimits {
            preimages: 1024,
            preimage_octets: 64 * 1024 * 1024,
            guarantees: 256,
            assurances: 4096,
            tickets: 4096,
            disputes: 16,
        }
    }
}

/// How many items each pool holds ([`Pools::sizes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolSizes {
    /// Preimages.
    pub preimages: usize,
    /// Guarantees.
    pub guarantees: usize,
    /// Assurances.
    pub assurances: usize,
    /// Tickets.
    pub tickets: usize,
    /// Disputes extrinsics.
    pub disputes: usize,
}

/// Why an item was not pooled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The service does not await this preimage in the best block's state: no such service,
    /// not requested at this hash and length, or already provided (GP (12.37)).
    #[error("service {0} does not await this preimage")]
    Unneeded(ServiceId),
    /// The pool is full (by count or octets).
    #[error("the {0} pool is full")]
    Full(&'static str),
    /// The item is pooled already.
    #[error("already pooled")]
    Duplicate,
}

#[derive(Debug, Default)]
struct Inner {
    /// By (service, $\mathcal{H}(\mathbf{i})$).
    preimages: BTreeMap<(ServiceId, Hash), Vec<u8>>,
    preimage_octets: usize,
    /// In arrival order, each with its report hash.
    guarantees: Vec<(Hash, ReportGuarantee)>,
    /// By (anchor, validator): one per assurer and parent.
    assurances: BTreeMap<(HeaderHash, ValidatorIndex), AvailAssurance>,
    /// Each with the $\eta'_2$ it was made for.
    tickets: Vec<(Hash, Ticket)>,
    disputes: VecDeque<DisputesExtrinsic>,
}

/// The pools, shared by the authoring loop, the RPC server and the guarantor worker.
#[derive(Debug, Default)]
pub struct Pools {
    inner: Mutex<Inner>,
    limits: PoolLimits,
}

/// Whether `service` awaits `blob` in `state`: $\mathcal{Y}$ of GP (12.21), the lookup entry
/// $(\mathcal{H}(\mathbf{i}), |\mathbf{i}|)$ exists and is empty (GP (12.37)).
fn awaits(state: &dyn StateReader, service: ServiceId, hash: &Hash, blob: &[u8]) -> bool {
    let Ok(len) = u32::try_from(blob.len()) else {
        return false;
    };
    state.service_info(service).is_some()
        && state
            .request(service, hash, len)
            .is_some_and(|slots| slots.is_empty())
}

impl Pools {
    /// Empty pools with `limits`.
    pub fn new(limits: PoolLimits) -> Self {
        Pools {
            inner: Mutex::default(),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves the pools consistent; a panic elsewhere does not poison them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pools `blob` for `service` if `state` (the best block's) awaits it (GP (12.37)):
    /// requested at its hash and length and not yet provided. The request bounds its size.
    pub fn submit_preimage(
        &self,
        state: &dyn StateReader,
        service: ServiceId,
        blob: Vec<u8>,
    ) -> Result<(), PoolError> {
        let hash = blake2b_256(&blob);
        if !awaits(state, service, &hash, &blob) {
            return Err(PoolError::Unneeded(service));
        }
        let mut p = self.lock();
        if p.preimages.contains_key(&(service, hash)) {
            return Err(PoolError::Duplicate);
        }
        if p.preimages.len() >= self.limits.preimages
            || p.preimage_octets.saturating_add(blob.len()) > self.limits.preimage_octets
        {
            return Err(PoolError::Full("preimage"));
        }
        p.preimage_octets += blob.len();
        p.preimages.insert((service, hash), blob);
        Ok(())
    }

    /// Pools a guarantee (the guarantor's checks, GP (11.23)–(11.26), are its maker's).
    pub fn add_guarantee(&self, g: ReportGuarantee) -> Result<(), PoolError> {
        let hash = blake2b_256(&g.report.encode());
        let mut p = self.lock();
        if p.guarantees.iter().any(|(h, _)| *h == hash) {
            return Err(PoolError::Duplicate);
        }
        if p.guarantees.len() >= self.limits.guarantees {
            return Err(PoolError::Full("guarantee"));
        }
        p.guarantees.push((hash, g));
        Ok(())
    }

    /// Pools an assurance, replacing the same validator's earlier one on the same anchor.
    pub fn add_assurance(&self, a: AvailAssurance) -> Result<(), PoolError> {
        let mut p = self.lock();
        let key = (a.anchor, a.validator_index);
        if !p.assurances.contains_key(&key) && p.assurances.len() >= self.limits.assurances {
            return Err(PoolError::Full("assurance"));
        }
        p.assurances.insert(key, a);
        Ok(())
    }

    /// Pools `tickets` made for the epoch whose $\eta'_2$ is `entropy` (GP (6.29)); ones
    /// pooled already are skipped. Returns how many were added.
    pub fn add_tickets(
        &self,
        entropy: Hash,
        tickets: impl IntoIterator<Item = Ticket>,
    ) -> Result<usize, PoolError> {
        let mut p = self.lock();
        let mut added = 0;
        for t in tickets {
            if p.tickets.iter().any(|(_, u)| u.id == t.id) {
                continue;
            }
            if p.tickets.len() >= self.limits.tickets {
                return Err(PoolError::Full("ticket"));
            }
            p.tickets.push((entropy, t));
            added += 1;
        }
        Ok(added)
    }

    /// The pooled tickets, each with the $\eta'_2$ it was made for (to share them with other
    /// validators, JAMNP-S CE 131/132).
    pub fn tickets(&self) -> Vec<(Hash, Ticket)> {
        self.lock().tickets.clone()
    }

    /// Pools a disputes extrinsic (verdicts, culprits and faults that go in together).
    pub fn add_disputes(&self, d: DisputesExtrinsic) -> Result<(), PoolError> {
        let mut p = self.lock();
        if p.disputes.contains(&d) {
            return Err(PoolError::Duplicate);
        }
        if p.disputes.len() >= self.limits.disputes {
            return Err(PoolError::Full("disputes"));
        }
        p.disputes.push_back(d);
        Ok(())
    }

    /// The pooled preimage whose hash is `hash`, for any service (CE 143 serves it).
    pub fn preimage(&self, hash: &Hash) -> Option<Vec<u8>> {
        self.lock()
            .preimages
            .iter()
            .find(|((_, h), _)| h == hash)
            .map(|(_, blob)| blob.clone())
    }

    /// Whether the preimage of `hash` is pooled for `service`.
    pub fn has_preimage(&self, service: ServiceId, hash: &Hash) -> bool {
        self.lock().preimages.contains_key(&(service, *hash))
    }

    /// The report of a pooled guarantee whose report hash ($\mathcal{H}(\mathcal{E}(r))$,
    /// GP (11.2)) is `hash` (CE 136 serves it).
    pub fn report(&self, hash: &Hash) -> Option<WorkReport> {
        self.lock()
            .guarantees
            .iter()
            .find(|(h, _)| h == hash)
            .map(|(_, g)| g.report.clone())
    }

    /// How many items each pool holds.
    pub fn sizes(&self) -> PoolSizes {
        let p = self.lock();
        PoolSizes {
            preimages: p.preimages.len(),
            guarantees: p.guarantees.len(),
            assurances: p.assurances.len(),
            tickets: p.tickets.len(),
            disputes: p.disputes.len(),
        }
    }

    /// The extrinsic of a block at `slot` on `parent` (whose posterior state is `state`),
    /// taken out of the pools (tickets stay: the accumulator check drops the ones already
    /// in). Each part by the rules import checks:
    ///
    /// - disputes: the first pooled extrinsic that passes the disputes transition on
    ///   `state` (GP section 10); the failing ones are dropped;
    /// - tickets: [`select_tickets`] over those made for this epoch's $\eta'_2$
    ///   (GP (6.30)–(6.35)); tickets of other epochs than this and the next are dropped;
    /// - preimages: those `state` awaits (GP (12.37)), ordered by service then blob without
    ///   duplicates (GP (12.36)); the others are dropped (provided, or no longer requested);
    /// - guarantees: at most one per core, ordered by core (GP (11.24)), for cores without a
    ///   pending report in $\rho$ (GP (11.29)), anchored in recent history $\beta_H$ (GP
    ///   (11.33)), of packages neither reported recently nor accumulated (GP (11.38)–(11.39)),
    ///   not from the future; the others wait or, if they can never go in, are dropped;
    /// - assurances: those anchored on `parent` (GP (11.11)), one per validator in index
    ///   order (GP (11.12)), assuring only cores with pending reports (GP (11.15)); those
    ///   anchored elsewhere are stale and dropped.
    pub fn take(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        parent: &HeaderHash,
        slot: TimeSlot,
    ) -> Extrinsic {
        let c = state.components();
        let mut p = self.lock();

        let mut disputes = DisputesExtrinsic::default();
        while let Some(d) = p.disputes.pop_front() {
            if disputes::transition(spec, &disputes::Prior::of(c), &d).is_ok() {
                disputes = d;
                break;
            }
            tracing::warn!("dropping a pooled disputes extrinsic that does not verify");
        }

        let new_epoch = spec.epoch_of(slot) > spec.epoch_of(c.tau);
        let entropy = if new_epoch { c.eta[1] } else { c.eta[2] };
        // Tickets made a whole epoch ahead stay: the next epoch's $\eta'_2$ is this one's
        // $\eta'_1$ (GP (6.23)).
        let next = if new_epoch { c.eta[0] } else { c.eta[1] };
        p.tickets.retain(|(e, _)| *e == entropy || *e == next);
        let pooled: Vec<Ticket> = p
            .tickets
            .iter()
            .filter(|(e, _)| *e == entropy)
            .map(|(_, t)| t.clone())
            .collect();
        let tickets = select_tickets(spec, state, slot, &pooled);

        let mut preimages = Vec::new();
        for ((service, hash), blob) in std::mem::take(&mut p.preimages) {
            if awaits(state, service, &hash, &blob) {
                preimages.push(Preimage {
                    requester: service,
                    blob,
                });
            }
        }
        p.preimage_octets = 0;
        preimages.sort_by(|a, b| (a.requester, &a.blob).cmp(&(b.requester, &b.blob)));
        preimages.dedup();

        let recent = |h: &HeaderHash| c.beta.history.iter().any(|b| b.header_hash == *h);
        let known_package = |h: &Hash| {
            c.beta
                .history
                .iter()
                .any(|b| b.reported.iter().any(|r| r.hash == *h))
                || c.xi.iter().any(|x| x.contains(h))
        };
        let mut by_core: BTreeMap<u16, ReportGuarantee> = BTreeMap::new();
        let mut keep = Vec::new();
        for (hash, g) in std::mem::take(&mut p.guarantees) {
            let r = &g.report;
            let core = usize::from(r.core_index);
            if core >= spec.cores
                || !recent(&r.context.anchor)
                || known_package(&r.package_spec.hash)
            {
                continue;
            }
            let engaged = c.rho.get(core).is_some_and(|a| a.is_some());
            if engaged || g.slot > slot || by_core.contains_key(&r.core_index) {
                keep.push((hash, g));
            } else {
                by_core.insert(r.core_index, g);
            }
        }
        p.guarantees = keep;
        let guarantees = by_core.into_values().collect();

        let pending = |core: usize| c.rho.get(core).is_some_and(|a| a.is_some());
        let mut assurances = Vec::new();
        for ((anchor, v), a) in std::mem::take(&mut p.assurances) {
            if anchor != *parent {
                continue;
            }
            let bits_ok = a.bitfield.len() == spec.cores.div_ceil(8)
                && assured_cores(&a.bitfield).all(pending);
            if usize::from(v) < spec.validators && bits_ok {
                assurances.push(a);
            }
        }
        // The map's order is by (anchor, validator): one anchor, so by validator.

        Extrinsic {
            tickets,
            preimages,
            guarantees,
            assurances,
            disputes,
        }
    }
}
