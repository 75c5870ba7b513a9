//! State components (GP section 4.2 and the state serialization of GP D.2): services,
//! availability assignments $\rho$, authorizations $\alpha$/$\varphi$, recent history
//! $\beta$, judgments $\psi$, the accumulation queues $\omega$/$\xi$ and privileges $\chi$.
//!
//! Statistics $\pi$ are in [`crate::statistics`]; the Safrole state items in
//! [`crate::safrole`].

use crate::constants::AUTH_QUEUE_SIZE;
use crate::primitives::*;
use crate::work::WorkReport;
use marmalade_codec::{decode_fixed_seq, encode_fixed_seq, Decode, Encode, Reader};
use serde::{Deserialize, Deserializer, Serialize};

/// `ServiceInfo`: the fixed-size part of a service account (GP (9.3)), as serialized at
/// state key $C(255, s)$ (GP D.2): a version octet, then $c$, $\mathcal{E}_8(b, g, m, o, f)$
/// and $\mathcal{E}_4(i, r, a, p)$.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct ServiceInfo {
    /// The serialization version, 0.
    pub version: u8,
    /// $c$: the code hash.
    #[serde(with = "crate::serde_hex")]
    pub code_hash: CodeHash,
    /// $b$: the balance.
    pub balance: Balance,
    /// $g$: the minimum gas for accumulating an item.
    pub min_item_gas: Gas,
    /// $m$: the minimum gas for an on-transfer memo.
    pub min_memo_gas: Gas,
    /// $o$: the octets of storage used.
    pub bytes: u64,
    /// $f$: the storage deposit offset (gratis storage).
    pub deposit_offset: u64,
    /// $i$: the number of storage items.
    pub items: u32,
    /// $r$: the creation timeslot.
    pub creation_slot: TimeSlot,
    /// $a$: the most recent accumulation timeslot.
    pub last_accumulation_slot: TimeSlot,
    /// $p$: the parent service.
    pub parent_service: ServiceId,
}

/// `AvailabilityAssignment`: a reported work-report pending availability, with its report
/// timeslot (GP (11.1): $\rho[c] = (\mathbf{r}, t)$).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct AvailabilityAssignment {
    /// $\mathbf{r}$: the work-report.
    pub report: WorkReport,
    /// $t$: the timeslot at which it was reported.
    pub timeout: TimeSlot,
}

/// `AvailabilityAssignmentsItem`: $\rho[c]$, `null` in JSON when the core is free.
pub type AvailabilityAssignmentsItem = Option<AvailabilityAssignment>;

param_seq! {
    /// `AvailabilityAssignments`: $\rho$, one optional assignment per core (GP (11.1)),
    /// no length prefix.
    AvailabilityAssignments(AvailabilityAssignmentsItem), len = cores
}

/// `AuthPool`: $\alpha[c]$, up to $\mathsf{O}$ authorizer hashes (length-prefixed).
pub type AuthPool = Vec<AuthorizerHash>;

param_seq! {
    /// `AuthPools`: $\alpha$, one pool per core (GP (8.1)), no length prefix.
    AuthPools(AuthPool), len = cores, serde_with = "crate::serde_hex"
}

/// `AuthQueue`: $\varphi[c]$, exactly $\mathsf{Q}$ authorizer hashes (no length prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct AuthQueue(#[serde(with = "crate::serde_hex")] pub Vec<AuthorizerHash>);

impl Default for AuthQueue {
    fn default() -> Self {
        AuthQueue(vec![[0; 32]; AUTH_QUEUE_SIZE])
    }
}

impl std::ops::Deref for AuthQueue {
    type Target = Vec<AuthorizerHash>;
    fn deref(&self) -> &Vec<AuthorizerHash> {
        &self.0
    }
}

impl std::ops::DerefMut for AuthQueue {
    fn deref_mut(&mut self) -> &mut Vec<AuthorizerHash> {
        &mut self.0
    }
}

impl Encode for AuthQueue {
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_fixed_seq(&self.0, out);
    }
    fn size_hint(&self) -> usize {
        32 * self.0.len()
    }
}

impl Decode for AuthQueue {
    fn decode(r: &mut Reader<'_>) -> marmalade_codec::Result<Self> {
        decode_fixed_seq(r, AUTH_QUEUE_SIZE).map(AuthQueue)
    }
}

impl<'de> Deserialize<'de> for AuthQueue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<AuthorizerHash> = crate::serde_hex::deserialize(d)?;
        if v.len() != AUTH_QUEUE_SIZE {
            return Err(serde::de::Error::invalid_length(
                v.len(),
                &"80 authorizer hashes (Q)",
            ));
        }
        Ok(AuthQueue(v))
    }
}

param_seq! {
    /// `AuthQueues`: $\varphi$, one queue per core (GP (8.1)), no length prefix.
    AuthQueues(AuthQueue), len = cores
}

/// `MmrPeak`: an optional Merkle mountain range peak.
pub type MmrPeak = Option<Hash>;

/// `Mmr`: a Merkle mountain range (GP E.2), its peaks from the lowest height up; encoded
/// as a length-prefixed sequence of optional hashes ($\mathcal{E}_M$, GP (E.9)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Mmr {
    /// The peaks, `None` where the range has no peak of that height.
    #[serde(with = "crate::serde_hex")]
    pub peaks: Vec<MmrPeak>,
}

/// `ReportedWorkPackage`: one entry of a recent block's reported-packages dictionary
/// $\mathbf{p}$: work-package hash to exports root.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Encode,
    Decode,
    Serialize,
    Deserialize,
)]
pub struct ReportedWorkPackage {
    /// The work-package hash.
    #[serde(with = "crate::serde_hex")]
    pub hash: WorkPackageHash,
    /// Its exported-segments root.
    #[serde(with = "crate::serde_hex")]
    pub exports_root: ExportsRoot,
}

/// `BlockInfo`: an item of recent history $\beta_H$ (GP (7.2)): header hash, accumulation
/// output super-peak, posterior state root and reported packages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct BlockInfo {
    /// $h$: the header hash.
    #[serde(with = "crate::serde_hex")]
    pub header_hash: HeaderHash,
    /// $b$: the accumulation-output log super-peak.
    #[serde(with = "crate::serde_hex")]
    pub beefy_root: BeefyRoot,
    /// $s$: the state root (zero until the next block fills it in).
    #[serde(with = "crate::serde_hex")]
    pub state_root: StateRoot,
    /// $\mathbf{p}$: the work-packages reported in the block.
    pub reported: Vec<ReportedWorkPackage>,
}

/// `BlocksHistory`: $\beta_H$, up to $\mathsf{H}$ recent blocks.
pub type BlocksHistory = Vec<BlockInfo>;

/// `RecentBlocks`: $\beta = (\beta_H, \beta_B)$ (GP (7.1)–(7.3)), serialized at state key
/// $C(3)$.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct RecentBlocks {
    /// $\beta_H$: the recent blocks.
    pub history: BlocksHistory,
    /// $\beta_B$: the accumulation-output log MMR.
    pub mmr: Mmr,
}

/// `DisputesRecords`: $\psi = (\psi_G, \psi_B, \psi_W, \psi_O)$ (GP (10.1)), each a sorted
/// set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct DisputesRecords {
    /// $\psi_G$: reports judged good.
    #[serde(with = "crate::serde_hex")]
    pub good: Vec<WorkReportHash>,
    /// $\psi_B$: reports judged bad.
    #[serde(with = "crate::serde_hex")]
    pub bad: Vec<WorkReportHash>,
    /// $\psi_W$: reports judged wonky.
    #[serde(with = "crate::serde_hex")]
    pub wonky: Vec<WorkReportHash>,
    /// $\psi_O$: the Ed25519 keys of offenders.
    #[serde(with = "crate::serde_hex")]
    pub offenders: Vec<Ed25519Public>,
}

/// `ReadyRecord`: a work-report waiting on its dependencies (GP (12.3)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct ReadyRecord {
    /// The work-report.
    pub report: WorkReport,
    /// The work-package hashes it still depends on.
    #[serde(with = "crate::serde_hex")]
    pub dependencies: Vec<WorkPackageHash>,
}

/// `ReadyQueueItem`: the ready records of one epoch slot.
pub type ReadyQueueItem = Vec<ReadyRecord>;

param_seq! {
    /// `ReadyQueue`: $\omega$, one group of ready records per slot of the epoch
    /// (GP (12.3)), no outer length prefix.
    ReadyQueue(ReadyQueueItem), len = epoch_length
}

/// `AccumulatedQueueItem`: the work-packages accumulated in one slot.
pub type AccumulatedQueueItem = Vec<WorkPackageHash>;

param_seq! {
    /// `AccumulatedQueue`: $\xi$, one group of accumulated package hashes per slot of the
    /// epoch (GP (12.1)), no outer length prefix.
    AccumulatedQueue(AccumulatedQueueItem), len = epoch_length, serde_with = "crate::serde_hex"
}

/// `AlwaysAccumulateMapEntry`: an entry of $\chi_Z$, a service accumulated in every block
/// with the given gas.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Encode,
    Decode,
    Serialize,
    Deserialize,
)]
pub struct AlwaysAccumulateMapEntry {
    /// The service index.
    pub id: ServiceId,
    /// Its gas allowance.
    pub gas: Gas,
}

/// `Privileges`: $\chi = (\chi_M, \chi_A, \chi_V, \chi_R, \chi_Z)$ (GP (9.9)), serialized at
/// state key $C(12)$.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Privileges {
    /// $\chi_M$: the manager (blessed) service.
    pub bless: ServiceId,
    /// $\chi_A$: the per-core assigner services ($\mathsf{C}$ of them, no length prefix).
    #[codec(len = cores)]
    pub assign: Vec<ServiceId>,
    /// $\chi_V$: the validator-keys designator service.
    pub designate: ServiceId,
    /// $\chi_R$: the registrar service.
    pub register: ServiceId,
    /// $\chi_Z$: the always-accumulate services, sorted by index.
    pub always_acc: Vec<AlwaysAccumulateMapEntry>,
}
