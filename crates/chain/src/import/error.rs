//! [`BlockError`]: why a block is invalid.

use marmalade_accumulation::AccumulationError;
use marmalade_state::StateError;
use marmalade_stf::{assurances, disputes, preimages, reports, safrole};
use marmalade_types::{Hash, HeaderHash, TimeSlot, ValidatorIndex};

/// Why a block is invalid: a header rule, or the subsystem whose rule the extrinsic breaks,
/// with that subsystem's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The prior state does not fit the chain spec (a sequence of the wrong length).
    #[error("prior state is malformed: {0}")]
    BadPriorState(StateError),
    /// $\mathbf{H}_P$ is not the header hash of the last block in recent history (GP (5.2),
    /// (7.8)).
    #[error("parent hash 0x{} is not the last block's 0x{}", hex(.found), hex(.expected))]
    BadParentHash {
        /// The last recent-history entry's header hash.
        expected: HeaderHash,
        /// $\mathbf{H}_P$.
        found: HeaderHash,
    },
    /// $\mathbf{H}_R$ is not the prior state's root (GP (5.8)).
    #[error("parent state root 0x{} is not the prior state's root 0x{}", hex(.found), hex(.expected))]
    BadParentStateRoot {
        /// $\mathcal{M}_\sigma(\sigma)$.
        expected: Hash,
        /// $\mathbf{H}_R$.
        found: Hash,
    },
    /// $\mathbf{H}_T \le \tau$ (GP (5.7)).
    #[error("timeslot {slot} is not after the prior timeslot {prior}")]
    BadSlot {
        /// $\tau$.
        prior: TimeSlot,
        /// $\mathbf{H}_T$.
        slot: TimeSlot,
    },
    /// $\mathbf{H}_I \notin \mathbb{N}_\mathsf{V}$ (GP (5.9)).
    #[error("author index {0} is not a validator index")]
    BadAuthorIndex(ValidatorIndex),
    /// $\mathbf{H}_X$ is not the extrinsic's hash (GP (5.4)).
    #[error("extrinsic hash 0x{} differs from the extrinsic's 0x{}", hex(.found), hex(.expected))]
    BadExtrinsicHash {
        /// The hash of the block's extrinsic.
        expected: Hash,
        /// $\mathbf{H}_X$.
        found: Hash,
    },
    /// In a fallback epoch, the slot's sealing key is not the author's (GP (6.16)).
    #[error("the author does not hold the slot's fallback sealing key")]
    UnexpectedAuthor,
    /// $\mathbf{H}_S$ is not a valid seal by the author (GP (6.15)–(6.16)).
    #[error("bad seal signature")]
    BadSeal,
    /// In a ticketed epoch, the seal's VRF output is not the slot's ticket identifier
    /// (GP (6.15)).
    #[error("the seal's VRF output is not the slot's ticket")]
    SealNotTicket,
    /// $\mathbf{H}_V$ is not a valid entropy-source signature by the author (GP (6.17)).
    #[error("bad entropy-source signature")]
    BadEntropySource,
    /// $\mathbf{H}_E$ differs from the epoch marker the transition implies (GP (6.27)).
    #[error("epoch marker differs from the expected one")]
    BadEpochMark,
    /// $\mathbf{H}_W$ differs from the winning-tickets marker the transition implies
    /// (GP (6.28)).
    #[error("winning-tickets marker differs from the expected one")]
    BadTicketsMark,
    /// $\mathbf{H}_O$ is not the culprits' then the faults' keys (GP (10.20)).
    #[error("offenders marker differs from the disputes extrinsic's offenders")]
    BadOffendersMark,
    /// A report's lookup anchor is not among the known ancestors (GP (11.35)).
    #[error("lookup anchor 0x{} at slot {slot} is not an ancestor", hex(.hash))]
    LookupAnchorNotAncestor {
        /// $x_l$.
        hash: HeaderHash,
        /// $x_t$.
        slot: TimeSlot,
    },
    /// Safrole rejects the block (GP section 6).
    #[error("safrole: {0}")]
    Safrole(safrole::Error),
    /// The disputes extrinsic is invalid (GP section 10).
    #[error("disputes: {0}")]
    Disputes(disputes::Error),
    /// The assurances extrinsic is invalid (GP section 11.2).
    #[error("assurances: {0}")]
    Assurances(assurances::Error),
    /// The guarantees extrinsic is invalid (GP sections 11.3–11.4).
    #[error("reports: {0}")]
    Reports(reports::Error),
    /// The preimages extrinsic is invalid (GP section 12.4).
    #[error("preimages: {0}")]
    Preimages(preimages::Error),
    /// Accumulation invalidates the block (GP section 12.2).
    #[error("accumulation: {0}")]
    Accumulate(AccumulationError),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
