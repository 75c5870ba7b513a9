//! Activity statistics $\pi = (\pi_V, \pi_L, \pi_C, \pi_S)$ (GP section 13), serialized at
//! state key $C(13)$: validator records with fixed-width fields, core and service records
//! with natural-encoded fields.

use crate::primitives::*;
use marmalade_codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// `ValidatorActivityRecord`: one validator's counters over an epoch (GP (13.2)), each
/// $\mathcal{E}_4$.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct ValidatorActivityRecord {
    /// $b$: blocks produced.
    pub blocks: u32,
    /// $t$: tickets introduced.
    pub tickets: u32,
    /// $p$: preimages introduced.
    pub pre_images: u32,
    /// $d$: total octets of the preimages introduced.
    pub pre_images_size: u32,
    /// $g$: reports guaranteed.
    pub guarantees: u32,
    /// $a$: availability assurances made.
    pub assurances: u32,
}

param_seq! {
    /// `ValidatorsStatistics`: $\pi_V$ or $\pi_L$, one record per validator, no length prefix.
    ValidatorsStatistics(ValidatorActivityRecord), len = validators
}

/// `CoreActivityRecord`: one core's activity in the block (GP (13.6)), natural-encoded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct CoreActivityRecord {
    /// $d$: octets written to the DA layer.
    #[codec(compact)]
    pub da_load: u32,
    /// $p$: assurers of the core's availability (popularity).
    #[codec(compact)]
    pub popularity: u16,
    /// $i$: segments imported.
    #[codec(compact)]
    pub imports: u16,
    /// $x$: extrinsics used.
    #[codec(compact)]
    pub extrinsic_count: u16,
    /// $z$: total extrinsic size.
    #[codec(compact)]
    pub extrinsic_size: u32,
    /// $e$: segments exported.
    #[codec(compact)]
    pub exports: u16,
    /// $l$: work-bundle octets.
    #[codec(compact)]
    pub bundle_size: u32,
    /// $u$: gas used in refinement and authorization.
    #[codec(compact)]
    pub gas_used: Gas,
}

param_seq! {
    /// `CoresStatistics`: $\pi_C$, one record per core, no length prefix.
    CoresStatistics(CoreActivityRecord), len = cores
}

/// `ServiceActivityRecord`: one service's activity in the block (GP (13.7)),
/// natural-encoded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct ServiceActivityRecord {
    /// $p.0$: preimages provided.
    #[codec(compact)]
    pub provided_count: u16,
    /// $p.1$: total size of the preimages provided.
    #[codec(compact)]
    pub provided_size: u32,
    /// $r.0$: work-items refined.
    #[codec(compact)]
    pub refinement_count: u32,
    /// $r.1$: gas used in refinement.
    #[codec(compact)]
    pub refinement_gas_used: Gas,
    /// $i$: segments imported.
    #[codec(compact)]
    pub imports: u32,
    /// $x$: extrinsics used.
    #[codec(compact)]
    pub extrinsic_count: u32,
    /// $z$: total extrinsic size.
    #[codec(compact)]
    pub extrinsic_size: u32,
    /// $e$: segments exported.
    #[codec(compact)]
    pub exports: u32,
    /// $a.0$: work-items accumulated.
    #[codec(compact)]
    pub accumulate_count: u32,
    /// $a.1$: gas used in accumulation.
    #[codec(compact)]
    pub accumulate_gas_used: Gas,
}

/// `ServicesStatisticsMapEntry`: an entry of $\pi_S$, keyed by service index ($\mathcal{E}_4$).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct ServicesStatisticsMapEntry {
    /// The service index.
    pub id: ServiceId,
    /// Its activity.
    pub record: ServiceActivityRecord,
}

/// `ServicesStatistics`: $\pi_S$, a dictionary as a sequence sorted by service index.
pub type ServicesStatistics = Vec<ServicesStatisticsMapEntry>;

/// `Statistics`: $\pi$ (GP (13.1)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Statistics {
    /// $\pi_V$: the current epoch's validator records.
    #[serde(alias = "vals_curr_stats")]
    pub vals_curr: ValidatorsStatistics,
    /// $\pi_L$: the previous epoch's validator records.
    #[serde(alias = "vals_last_stats")]
    pub vals_last: ValidatorsStatistics,
    /// $\pi_C$: this block's core records.
    #[serde(alias = "cores_statistics")]
    pub cores: CoresStatistics,
    /// $\pi_S$: this block's service records.
    #[serde(alias = "services_statistics")]
    pub services: ServicesStatistics,
}
