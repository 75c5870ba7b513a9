//! The `stf/reports` vectors (GP 11.3–11.5, work-report guarantees), schema
//! `stf/reports/reports.asn`; and the adapter to [`marmalade_stf::reports`], which also adds
//! the reports' load to the statistics the vectors carry
//! ([`marmalade_stf::reports::update_statistics`]).

use marmalade_codec::{Decode, Encode};
use marmalade_stf::reports::{self, place, update_statistics, Error, Prior};
use marmalade_types::{
    AuthPools, AvailabilityAssignments, ChainSpec, CoresStatistics, Ed25519Public, EntropyBuffer,
    ExportsRoot, GuaranteesExtrinsic, RecentBlocks, ServiceId, ServiceInfo, ServicesStatistics,
    TimeSlot, ValidatorsData, WorkPackageHash,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The vectors' `ServiceAccount`: the account's info.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Account {
    /// The account's fixed-size part.
    pub service: ServiceInfo,
}

/// The vectors' `AccountsMapEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct AccountsMapEntry {
    /// The service index.
    pub id: ServiceId,
    /// The account.
    pub data: Account,
}

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\rho^\ddagger$, mutated to $\rho'$.
    pub avail_assignments: AvailabilityAssignments,
    /// $\kappa'$.
    pub curr_validators: ValidatorsData,
    /// $\lambda'$.
    pub prev_validators: ValidatorsData,
    /// $\eta'$.
    pub entropy: EntropyBuffer,
    /// $\psi'_O$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub offenders: Vec<Ed25519Public>,
    /// $\beta^\dagger$.
    pub recent_blocks: RecentBlocks,
    /// $\alpha$.
    pub auth_pools: AuthPools,
    /// $\delta$: the services the reports name.
    pub accounts: Vec<AccountsMapEntry>,
    /// $\pi_C$ (only the report-related fields change).
    pub cores_statistics: CoresStatistics,
    /// $\pi_S$ (only the refinement-related fields change).
    pub services_statistics: ServicesStatistics,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Input {
    /// $\mathbf{E}_G$.
    pub guarantees: GuaranteesExtrinsic,
    /// $\tau' = \mathbf{H}_T$.
    pub slot: TimeSlot,
    /// The work-packages already in the pipeline other than recent history's.
    #[serde(with = "marmalade_types::serde_hex")]
    pub known_packages: Vec<WorkPackageHash>,
}

/// The vectors' `ReportedPackage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct ReportedPackage {
    /// The work-package hash.
    #[serde(with = "marmalade_types::serde_hex")]
    pub work_package_hash: WorkPackageHash,
    /// Its exported-segments root.
    #[serde(with = "marmalade_types::serde_hex")]
    pub segment_tree_root: ExportsRoot,
}

/// The vectors' `OutputData`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Output {
    /// The reported packages, sorted by package hash.
    pub reported: Vec<ReportedPackage>,
    /// $\mathcal{G}$, sorted.
    #[serde(with = "marmalade_types::serde_hex")]
    pub reporters: Vec<Ed25519Public>,
}

/// [`reports::transition`] on the vectors' state: $\rho'$ and the statistics.
pub fn transition(spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, Output), Error> {
    let accounts: BTreeMap<ServiceId, ServiceInfo> = pre
        .accounts
        .iter()
        .map(|e| (e.id, e.data.service))
        .collect();
    let prior = Prior {
        rho: &pre.avail_assignments,
        kappa: &pre.curr_validators,
        lambda: &pre.prev_validators,
        eta: &pre.entropy,
        offenders: &pre.offenders,
        beta_h: &pre.recent_blocks.history,
        alpha: &pre.auth_pools,
        accounts: &accounts,
        known_packages: &input.known_packages,
    };
    let post = reports::transition(spec, &prior, input.slot, &input.guarantees)?;
    let mut state = pre.clone();
    place(post.assigned, &mut state.avail_assignments);
    update_statistics(
        &mut state.cores_statistics,
        &mut state.services_statistics,
        input.guarantees.iter().map(|g| &g.report),
    );
    let out = Output {
        reported: post
            .reported
            .iter()
            .map(|p| ReportedPackage {
                work_package_hash: p.hash,
                segment_tree_root: p.exports_root,
            })
            .collect(),
        reporters: post.reporters.into_iter().collect(),
    };
    Ok((state, out))
}

/// Runs one `stf/reports` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, transition)
}
