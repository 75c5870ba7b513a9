//! Work-report guarantees (GP sections 11.3–11.5): the guarantees extrinsic $\mathbf{E}_G$ is
//! checked against the guarantor assignments and the chain's recent history, and each
//! guaranteed work-report is placed on its core, pending availability ($\rho^\ddagger \to
//! \rho'$, GP (11.43)).
//!
//! The transition also yields the reported packages (for recent history, GP (7.8)) and the
//! reporters set $\mathcal{G}$ (GP (11.26), for the validator statistics);
//! [`update_statistics`] adds the reports' load to the core and service statistics (GP eq.
//! 13.13–13.15: $i$, $x$, $z$, $e$, $u$, $l$ of $\pi_C$ and $r$, $i$, $x$, $z$, $e$ of
//! $\pi_S$).
//!
//! The checks, in the order their errors are reported:
//! 1. the extrinsic and each guarantee's credential (GP (11.23)–(11.26)): core index,
//!    ordering by core, two or three credentials sorted by validator index, guarantee slot
//!    within the current or previous rotation, and each signer assigned to the core in that
//!    rotation and not an offender;
//! 2. each report on its own (GP (11.2)–(11.3), (11.8), (11.29)–(11.30)): work-digests present,
//!    size, dependency count, core free, authorizer in the core's pool, services known,
//!    accumulation gas;
//! 3. the reports against the chain (GP (11.31)–(11.42)): no duplicate package, anchor in
//!    recent history with its state root and BEEFY root, lookup anchor recent enough, no
//!    package reported before, prerequisites known, segment-root lookups correct, code
//!    hashes correct;
//! 4. the guarantors' Ed25519 signatures (GP (11.26)), last because it is the costly step:
//!    all of them are checked in one batch.
//!
//! Where the conformance vectors' rules differ from the GP text, the code says so at the
//! equation.

pub mod guarantors;

pub use guarantors::{guarantor_assignments, GuarantorAssignments};

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::{ed25519, hash::blake2b_256};
use marmalade_types::constants::{context, MAX_REPORT_DEPENDENCIES, MAX_REPORT_VAR_SIZE};
use marmalade_types::{
    AuthPools, AvailabilityAssignment, AvailabilityAssignments, BlockInfo, ChainSpec, CoreIndex,
    CoresStatistics, Ed25519Public, Ed25519Signature, EntropyBuffer, ExportsRoot, Hash,
    ReportGuarantee, ReportedWorkPackage, ServiceId, ServiceInfo, ServicesStatistics,
    ServicesStatisticsMapEntry, TimeSlot, ValidatorsData, WorkExecResult, WorkPackageHash,
    WorkReport,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What the guarantees are checked against, borrowed: the posterior keys, entropy and
/// offenders Safrole and disputes produced, the reports still pending, recent history and
/// the prior pools and accounts.
#[derive(Debug, Clone, Copy)]
pub struct Prior<'a> {
    /// $\rho^\ddagger$: the reports pending availability, after disputes and assurances have
    /// removed judged, available and timed-out ones (GP (11.17)).
    pub rho: &'a AvailabilityAssignments,
    /// $\kappa'$: the posterior active validators.
    pub kappa: &'a ValidatorsData,
    /// $\lambda'$: the posterior previous-epoch validators.
    pub lambda: &'a ValidatorsData,
    /// $\eta'$: the posterior entropy buffer.
    pub eta: &'a EntropyBuffer,
    /// $\psi'_O$: the posterior offenders' Ed25519 keys.
    pub offenders: &'a [Ed25519Public],
    /// $\beta_H^\dagger$: recent blocks, with the parent's state root filled in (GP (7.5)).
    pub beta_h: &'a [BlockInfo],
    /// $\alpha$: the authorizer pools.
    pub alpha: &'a AuthPools,
    /// $\delta$: the infos of (at least) the services the reports name (code hash and
    /// minimum item gas, GP (9.3)).
    pub accounts: &'a BTreeMap<ServiceId, ServiceInfo>,
    /// The work-packages already in the pipeline (GP (11.36)–(11.38)) other than recent
    /// history's: accumulated ($\xi$), waiting in the ready queue ($\omega$) or pending
    /// availability ($\rho$).
    pub known_packages: &'a [WorkPackageHash],
}

/// What a valid guarantees extrinsic produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posterior {
    /// The guaranteed reports, each to be placed on its core pending availability from
    /// $\tau'$ (GP (11.43)); see [`place`].
    pub assigned: Vec<AvailabilityAssignment>,
    /// The reported packages, sorted by package hash (the dictionary $\mathbf{p}$ recent
    /// history records, GP (7.8)).
    pub reported: Vec<ReportedWorkPackage>,
    /// $\mathcal{G}$: the Ed25519 keys of every guarantor in the extrinsic (GP (11.26)).
    pub reporters: BTreeSet<Ed25519Public>,
}

/// $\rho'$ (GP (11.43)): `rho`, which holds $\rho^\ddagger$, with each assigned report on its
/// core.
pub fn place(assigned: Vec<AvailabilityAssignment>, rho: &mut AvailabilityAssignments) {
    for a in assigned {
        // The core index was checked by the transition.
        if let Some(slot) = rho.get_mut(usize::from(a.report.core_index)) {
            *slot = Some(a);
        }
    }
}

/// Why a guarantees extrinsic is invalid; one variant per code of the vectors' `ErrorCode`,
/// in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, thiserror::Error)]
pub enum Error {
    /// A report's core index is not below $\mathsf{C}$.
    #[error("core index out of range")]
    #[codec(index = 0)]
    BadCoreIndex,
    /// A guarantee's slot is after the block's (GP (11.26)).
    #[error("guarantee slot is in the future")]
    #[codec(index = 1)]
    FutureReportSlot,
    /// A guarantee's slot is before the previous rotation (GP (11.26)).
    #[error("guarantee slot is before the previous rotation")]
    #[codec(index = 2)]
    ReportEpochBeforeLast,
    /// A credential has fewer than two or more than three signatures (GP (11.23)).
    #[error("a guarantee needs two or three credentials")]
    #[codec(index = 3)]
    InsufficientGuarantees,
    /// Guarantees are not in strictly ascending core order (GP (11.24)).
    #[error("guarantees are not ordered by core")]
    #[codec(index = 4)]
    OutOfOrderGuarantee,
    /// Credentials are not in strictly ascending validator order (GP (11.25)).
    #[error("guarantors are not sorted or not unique")]
    #[codec(index = 5)]
    NotSortedOrUniqueGuarantors,
    /// A signer is not assigned to the report's core (GP (11.26)).
    #[error("guarantor not assigned to the core")]
    #[codec(index = 6)]
    WrongAssignment,
    /// The core still has a report pending availability (GP (11.29)).
    #[error("core has a report pending availability")]
    #[codec(index = 7)]
    CoreEngaged,
    /// The anchor is not in recent history (GP (11.33)).
    #[error("anchor not in recent history")]
    #[codec(index = 8)]
    AnchorNotRecent,
    /// A work-digest names a service that does not exist.
    #[error("unknown service")]
    #[codec(index = 9)]
    BadServiceId,
    /// A work-digest's code hash is not its service's (GP (11.42)).
    #[error("wrong service code hash")]
    #[codec(index = 10)]
    BadCodeHash,
    /// A prerequisite package is neither in the extrinsic nor in recent history
    /// (GP (11.39)).
    #[error("prerequisite package missing")]
    #[codec(index = 11)]
    DependencyMissing,
    /// A package is reported twice or was reported before (GP (11.32), (11.38)).
    #[error("duplicate work-package")]
    #[codec(index = 12)]
    DuplicatePackage,
    /// The anchor's state root differs from recent history's (GP (11.33)).
    #[error("anchor state root mismatch")]
    #[codec(index = 13)]
    BadStateRoot,
    /// The anchor's BEEFY root differs from recent history's (GP (11.33)).
    #[error("anchor BEEFY root mismatch")]
    #[codec(index = 14)]
    BadBeefyMmrRoot,
    /// The authorizer is not in the core's pool (GP (11.29)).
    #[error("authorizer not in the core's pool")]
    #[codec(index = 15)]
    CoreUnauthorized,
    /// A credential's validator index is not below $\mathsf{V}$.
    #[error("validator index out of range")]
    #[codec(index = 16)]
    BadValidatorIndex,
    /// A report's total accumulation gas exceeds $\mathsf{G}_A$ (GP (11.30)).
    #[error("report accumulation gas above G_A")]
    #[codec(index = 17)]
    WorkReportGasTooHigh,
    /// A digest's accumulation gas is below its service's minimum (GP (11.30)).
    #[error("digest gas below the service minimum")]
    #[codec(index = 18)]
    ServiceItemGasTooLow,
    /// Prerequisites and segment-root lookups exceed $\mathsf{J}$ (GP (11.3)).
    #[error("too many dependencies")]
    #[codec(index = 19)]
    TooManyDependencies,
    /// A segment-root lookup is not confirmed by the extrinsic or recent history
    /// (GP (11.40)–(11.41)).
    #[error("segment-root lookup invalid")]
    #[codec(index = 20)]
    SegmentRootLookupInvalid,
    /// A guarantee signature is invalid (GP (11.26)).
    #[error("bad guarantee signature")]
    #[codec(index = 21)]
    BadSignature,
    /// Authorizer trace and outputs exceed $\mathsf{W}_R$ (GP (11.8)).
    #[error("work-report too big")]
    #[codec(index = 22)]
    WorkReportTooBig,
    /// A signer is an offender, whose key $\Phi$ nulls (GP (6.14), (11.21)).
    #[error("guarantor is an offender")]
    #[codec(index = 23)]
    BannedValidator,
    /// The lookup anchor is older than $\mathsf{L}$ slots (GP (11.34)).
    #[error("lookup anchor too old")]
    #[codec(index = 24)]
    LookupAnchorNotRecent,
    /// A report has no work-digests (GP (11.2): one to $\mathsf{I}$).
    #[error("report without work-digests")]
    #[codec(index = 25)]
    MissingWorkResults,
}

/// One Ed25519 signature to check: key, guarantee index (for naming the bad one) and
/// signature; the message is that of the guarantee.
type Credential = (Ed25519Public, usize, Ed25519Signature);

/// The guarantee transition: checks the guarantees extrinsic `guarantees` ($\mathbf{E}_G$)
/// of a block at timeslot `slot` ($\tau' = \mathbf{H}_T$) against `pre` and, if valid,
/// returns each report assigned to its core with timeout slot $\tau'$ (GP (11.43)), the
/// reported packages and the reporters.
pub fn transition(
    spec: &ChainSpec,
    pre: &Prior<'_>,
    slot: TimeSlot,
    guarantees: &[ReportGuarantee],
) -> Result<Posterior, Error> {
    let tau = slot;

    // 1. The extrinsic's shape and the credentials (GP (11.23)–(11.26)).
    let signed = check_credentials(spec, pre, guarantees, tau)?;

    // 2. Each report on its own.
    let accounts: HashMap<ServiceId, &ServiceInfo> =
        pre.accounts.iter().map(|(id, info)| (*id, info)).collect();
    for g in guarantees {
        check_report(spec, pre, &accounts, &g.report)?;
    }

    // 3. The reports against recent history and the pipeline.
    check_context(spec, pre, slot, guarantees, &accounts)?;

    // 4. The signatures, all at once.
    verify_signatures(guarantees, &signed.credentials)?;

    // The assignments (GP (11.43)) and the outputs.
    let assigned = guarantees
        .iter()
        .map(|g| AvailabilityAssignment {
            report: g.report.clone(),
            timeout: tau,
        })
        .collect();
    let mut reported: Vec<ReportedWorkPackage> = guarantees
        .iter()
        .map(|g| ReportedWorkPackage {
            hash: g.report.package_spec.hash,
            exports_root: g.report.package_spec.exports_root,
        })
        .collect();
    reported.sort_unstable_by_key(|p| (p.hash, p.exports_root));
    Ok(Posterior {
        assigned,
        reported,
        reporters: signed.reporters,
    })
}

/// What the credential checks collect.
struct Signed {
    /// Every (key, guarantee index, signature) to verify.
    credentials: Vec<Credential>,
    /// $\mathcal{G}$ (GP (11.26)).
    reporters: BTreeSet<Ed25519Public>,
}

/// The extrinsic's ordering and each guarantee's credential (GP (11.23)–(11.26)), except the
/// signatures themselves, which are returned for [`verify_signatures`].
fn check_credentials(
    spec: &ChainSpec,
    pre: &Prior<'_>,
    guarantees: &[ReportGuarantee],
    tau: TimeSlot,
) -> Result<Signed, Error> {
    let rotation = spec.rotation_period.max(1);
    // Both assignments are built at most once per block; the previous one only if needed.
    let mut current: Option<GuarantorAssignments> = None;
    let mut previous: Option<GuarantorAssignments> = None;
    let mut credentials = Vec::with_capacity(guarantees.len() * 3);
    let mut reporters = BTreeSet::new();
    let mut last_core: Option<CoreIndex> = None;

    for (i, g) in guarantees.iter().enumerate() {
        let core = g.report.core_index;
        if usize::from(core) >= spec.cores {
            return Err(Error::BadCoreIndex);
        }
        // GP (11.24): ordered and unique by core.
        if last_core.is_some_and(|c| core <= c) {
            return Err(Error::OutOfOrderGuarantee);
        }
        last_core = Some(core);
        // GP (11.23): two or three credentials.
        if !(2..=3).contains(&g.signatures.len()) {
            return Err(Error::InsufficientGuarantees);
        }
        // GP (11.25): ordered and unique by validator index.
        if g.signatures
            .windows(2)
            .any(|w| w[0].validator_index >= w[1].validator_index)
        {
            return Err(Error::NotSortedOrUniqueGuarantors);
        }
        if g.signatures
            .iter()
            .any(|s| usize::from(s.validator_index) >= spec.validators)
        {
            return Err(Error::BadValidatorIndex);
        }
        // GP (11.26): R(⌊τ'/R⌋ − 1) ≤ t ≤ τ'.
        if g.slot > tau {
            return Err(Error::FutureReportSlot);
        }
        if g.slot < (tau / rotation).saturating_sub(1).saturating_mul(rotation) {
            return Err(Error::ReportEpochBeforeLast);
        }
        // GP (11.26): M if t is in τ''s rotation, else M*.
        let m = if tau / rotation == g.slot / rotation {
            current.get_or_insert_with(|| {
                GuarantorAssignments::current(spec, pre.eta, tau, pre.kappa, pre.offenders)
            })
        } else {
            previous.get_or_insert_with(|| {
                GuarantorAssignments::previous(
                    spec,
                    pre.eta,
                    tau,
                    pre.kappa,
                    pre.lambda,
                    pre.offenders,
                )
            })
        };
        for s in &g.signatures {
            let (assigned, key) = m
                .get(usize::from(s.validator_index))
                .ok_or(Error::BadValidatorIndex)?;
            if assigned != core {
                return Err(Error::WrongAssignment);
            }
            // Φ nulled the key (GP (6.14), (11.21)), so by the GP no signature under it is
            // valid and this would be a bad signature; the vectors name it `banned_validator`
            // and expect it before any signature is checked.
            let key = key.ok_or(Error::BannedValidator)?;
            credentials.push((key, i, s.signature));
            reporters.insert(key);
        }
    }
    Ok(Signed {
        credentials,
        reporters,
    })
}

/// The rules about a single report, independent of other reports and of history.
fn check_report(
    spec: &ChainSpec,
    pre: &Prior<'_>,
    accounts: &HashMap<ServiceId, &ServiceInfo>,
    r: &WorkReport,
) -> Result<(), Error> {
    // GP (11.2): a report has 1 to I work-digests.
    if r.results.is_empty() {
        return Err(Error::MissingWorkResults);
    }
    // GP (11.8): |t| + Σ |o| over successful outputs ≤ W_R.
    let size = r
        .results
        .iter()
        .filter_map(|d| match &d.result {
            WorkExecResult::Ok(o) => Some(o.len()),
            _ => None,
        })
        .fold(r.auth_output.len(), usize::saturating_add);
    if size > MAX_REPORT_VAR_SIZE {
        return Err(Error::WorkReportTooBig);
    }
    // GP (11.3): |l| + |p| ≤ J.
    if r.segment_root_lookup.len() + r.context.prerequisites.len() > MAX_REPORT_DEPENDENCIES {
        return Err(Error::TooManyDependencies);
    }
    let core = usize::from(r.core_index);
    // GP (11.29): ρ‡[c] = ∅ (timed-out reports were removed with ρ‡, GP (11.17)).
    if pre.rho.get(core).is_none_or(Option::is_some) {
        return Err(Error::CoreEngaged);
    }
    // GP (11.29): a ∈ α[c].
    if !pre
        .alpha
        .get(core)
        .is_some_and(|pool| pool.contains(&r.authorizer_hash))
    {
        return Err(Error::CoreUnauthorized);
    }
    // GP (11.30): Σ g ≤ G_A and each g ≥ δ[s]_g (δ[s] must exist).
    let total = r
        .results
        .iter()
        .try_fold(0u64, |acc, d| acc.checked_add(d.accumulate_gas));
    if total.is_none_or(|t| t > spec.report_accumulate_gas) {
        return Err(Error::WorkReportGasTooHigh);
    }
    for d in &r.results {
        let service = accounts.get(&d.service_id).ok_or(Error::BadServiceId)?;
        if d.accumulate_gas < service.min_item_gas {
            return Err(Error::ServiceItemGasTooLow);
        }
    }
    Ok(())
}

/// Contextual validity (GP section 11.4.1, (11.31)–(11.42)).
fn check_context(
    spec: &ChainSpec,
    pre: &Prior<'_>,
    slot: TimeSlot,
    guarantees: &[ReportGuarantee],
    accounts: &HashMap<ServiceId, &ServiceInfo>,
) -> Result<(), Error> {
    let reports = || guarantees.iter().map(|g| &g.report);

    // GP (11.32): |p| = |I|, no two reports of one package.
    let mut incoming: HashMap<WorkPackageHash, ExportsRoot> = HashMap::new();
    for r in reports() {
        let spec_ = &r.package_spec;
        if incoming.insert(spec_.hash, spec_.exports_root).is_some() {
            return Err(Error::DuplicatePackage);
        }
    }

    let history = pre.beta_h;
    for r in reports() {
        let x = &r.context;
        // GP (11.33): the anchor is in β† with matching state root and BEEFY root (the
        // super-peak of the accumulation-output belt recorded for that block).
        let y = history
            .iter()
            .find(|y| y.header_hash == x.anchor)
            .ok_or(Error::AnchorNotRecent)?;
        if y.state_root != x.state_root {
            return Err(Error::BadStateRoot);
        }
        if y.beefy_root != x.beefy_root {
            return Err(Error::BadBeefyMmrRoot);
        }
        // GP (11.34): t ≥ H_T − L. (Eq. 11.35, the lookup anchor being an ancestor, needs
        // the header chain and is left to block import.)
        if x.lookup_anchor_slot < slot.saturating_sub(spec.max_lookup_anchor_age) {
            return Err(Error::LookupAnchorNotRecent);
        }
    }

    // The recent history's reported packages, ⋃ β_H[i]_p.
    let recent: HashMap<&WorkPackageHash, &ExportsRoot> = history
        .iter()
        .flat_map(|b| b.reported.iter().map(|p| (&p.hash, &p.exports_root)))
        .collect();
    // GP (11.36)–(11.38): no package in the pipeline (recent history, and ξ, ω, ρ through
    // `known_packages`).
    let known: HashSet<&WorkPackageHash> = pre.known_packages.iter().collect();
    for p in incoming.keys() {
        if recent.contains_key(p) || known.contains(p) {
            return Err(Error::DuplicatePackage);
        }
    }

    for r in reports() {
        // GP (11.39): prerequisites in the extrinsic or recent history.
        //
        // The GP also requires the keys of the segment-root lookup there; the vectors report
        // a lookup of an unknown package as `segment_root_lookup_invalid`, not
        // `dependency_missing`. Eq. 11.41 (lookup ⊆ known roots) implies the key condition, so
        // checking the lookup only once, below, accepts exactly the same reports.
        if r.context
            .prerequisites
            .iter()
            .any(|p| !incoming.contains_key(p) && !recent.contains_key(p))
        {
            return Err(Error::DependencyMissing);
        }
        // GP (11.40)–(11.41): l ⊆ {p ↦ e of the extrinsic} ∪ ⋃ β_H[i]_p.
        for l in &r.segment_root_lookup {
            let h = &l.work_package_hash;
            let root = incoming.get(h).or_else(|| recent.get(h).copied());
            if root != Some(&l.segment_tree_root) {
                return Err(Error::SegmentRootLookupInvalid);
            }
        }
    }

    // GP (11.42): every digest's code hash is its service's.
    for r in reports() {
        for d in &r.results {
            let service = accounts.get(&d.service_id).ok_or(Error::BadServiceId)?;
            if d.code_hash != service.code_hash {
                return Err(Error::BadCodeHash);
            }
        }
    }
    Ok(())
}

/// The message a guarantor signs: $\mathsf{X}_G \frown \mathcal{H}(\mathcal{E}(\mathbf{r}))$
/// (GP (11.26)).
pub fn guarantee_message(report: &WorkReport) -> Vec<u8> {
    let hash: Hash = blake2b_256(&report.encode());
    [context::GUARANTEE, &hash[..]].concat()
}

/// Below this many signatures one batch is checked on the calling thread; above, the batch
/// is split over the rayon pool.
const PARALLEL_BATCH: usize = 64;

/// Verifies every credential's signature over its guarantee's message (GP (11.26)).
///
/// All signatures are checked as one batch (split across threads when large); only if the
/// batch fails are they checked one by one, to find the first bad one.
fn verify_signatures(
    guarantees: &[ReportGuarantee],
    credentials: &[Credential],
) -> Result<(), Error> {
    match first_bad_signature(guarantees, credentials) {
        None => Ok(()),
        Some(_) => Err(Error::BadSignature),
    }
}

/// The index in `credentials` of the first invalid signature, `None` if all are valid.
pub fn first_bad_signature(
    guarantees: &[ReportGuarantee],
    credentials: &[(Ed25519Public, usize, Ed25519Signature)],
) -> Option<usize> {
    let messages: Vec<Vec<u8>> = guarantees
        .par_iter()
        .map(|g| guarantee_message(&g.report))
        .collect();
    let items: Vec<ed25519::BatchItem<'_>> = credentials
        .iter()
        .filter_map(|(k, i, s)| Some((k, messages.get(*i)?.as_slice(), s)))
        .collect();
    if items.len() != credentials.len() {
        // A credential of no guarantee (not produced by `check_credentials`).
        return Some(items.len());
    }
    let ok = if items.len() <= PARALLEL_BATCH {
        ed25519::verify_batch(&items)
    } else {
        let chunk = items.len().div_ceil(rayon::current_num_threads().max(1));
        items
            .par_chunks(chunk.max(PARALLEL_BATCH / 2))
            .all(ed25519::verify_batch)
    };
    if ok {
        return None;
    }
    items.iter().position(|(k, m, s)| !ed25519::verify(k, m, s))
}

/// Adds the reports' refinement load to the core statistics $\pi_C$ (GP (13.13)–(13.15):
/// $i$, $x$, $z$, $e$, $u$ from the digests, $l$ from the availability specifications) and
/// the service statistics $\pi_S$ (GP (13.16) and the sums after it: $r = (n, u)$, $i$, $x$, $z$, $e$),
/// inserting service records as needed.
///
/// The GP defines these as sums over the block's incoming reports; this adds them to the
/// given records, which block import starts from zero. The record fields are fixed-width, so
/// the sums saturate.
pub fn update_statistics<'a>(
    cores: &mut CoresStatistics,
    services: &mut ServicesStatistics,
    reports: impl IntoIterator<Item = &'a WorkReport>,
) {
    let mut by_service: BTreeMap<ServiceId, usize> = services
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i))
        .collect();
    for r in reports {
        if let Some(c) = cores.get_mut(usize::from(r.core_index)) {
            c.bundle_size = c.bundle_size.saturating_add(r.package_spec.length);
            for d in &r.results {
                let l = &d.refine_load;
                c.imports = c.imports.saturating_add(l.imports);
                c.extrinsic_count = c.extrinsic_count.saturating_add(l.extrinsic_count);
                c.extrinsic_size = c.extrinsic_size.saturating_add(l.extrinsic_size);
                c.exports = c.exports.saturating_add(l.exports);
                c.gas_used = c.gas_used.saturating_add(l.gas_used);
            }
        }
        for d in &r.results {
            let i = *by_service.entry(d.service_id).or_insert_with(|| {
                services.push(ServicesStatisticsMapEntry {
                    id: d.service_id,
                    record: Default::default(),
                });
                services.len() - 1
            });
            let (s, l) = (&mut services[i].record, &d.refine_load);
            s.refinement_count = s.refinement_count.saturating_add(1);
            s.refinement_gas_used = s.refinement_gas_used.saturating_add(l.gas_used);
            s.imports = s.imports.saturating_add(l.imports.into());
            s.extrinsic_count = s.extrinsic_count.saturating_add(l.extrinsic_count.into());
            s.extrinsic_size = s.extrinsic_size.saturating_add(l.extrinsic_size);
            s.exports = s.exports.saturating_add(l.exports.into());
        }
    }
    // A dictionary: sorted by service index.
    services.sort_by_key(|e| e.id);
}

#[cfg(test)]
mod tests;
