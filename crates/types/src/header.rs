//! The block header (GP section 5, (5.1); serialization GP C.22–C.23).

use crate::primitives::*;
use crate::safrole::TicketBody;
use marmalade_codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// `EpochMarkValidatorKeys`: the keys of one next-epoch validator in the epoch marker: its
/// Bandersnatch and Ed25519 keys (GP (6.27)).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct EpochMarkValidatorKeys {
    /// $k_b$.
    #[serde(with = "crate::serde_hex")]
    pub bandersnatch: BandersnatchPublic,
    /// $k_e$.
    #[serde(with = "crate::serde_hex")]
    pub ed25519: Ed25519Public,
}

/// `EpochMark`: $\mathbf{H}_E$, the epoch marker (GP (6.27)): the next epoch's entropy
/// $\eta_1'$, the ticket-sealing entropy $\eta_2'$ and the $\mathsf{V}$ next validators' keys
/// (no length prefix).
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode, Serialize, Deserialize)]
pub struct EpochMark {
    /// $\eta_0$ at the end of the previous epoch ($\eta_1'$).
    #[serde(with = "crate::serde_hex")]
    pub entropy: Entropy,
    /// $\eta_1$ at the end of the previous epoch ($\eta_2'$), used to build the tickets.
    #[serde(with = "crate::serde_hex")]
    pub tickets_entropy: Entropy,
    /// The next epoch's validators' keys, $\mathsf{V}$ of them.
    #[codec(len = validators)]
    pub validators: Vec<EpochMarkValidatorKeys>,
}

param_seq! {
    /// `TicketsMark`: $\mathbf{H}_W$, the winning-tickets marker (GP (6.28)): $\mathsf{E}$
    /// tickets in outside-in order, no length prefix.
    TicketsMark(TicketBody), len = epoch_length
}

/// `OffendersMark`: $\mathbf{H}_O$, the Ed25519 keys of newly identified offenders
/// (GP (10.20)).
pub type OffendersMark = Vec<Ed25519Public>;

/// `Header`: $\mathbf{H}$ (GP (5.1)). Encoded as $\mathcal{E}_U(\mathbf{H})$ followed by the
/// seal (GP C.22–C.23).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Header {
    /// $\mathbf{H}_P$: the parent header hash.
    #[serde(with = "crate::serde_hex")]
    pub parent: HeaderHash,
    /// $\mathbf{H}_R$: the prior state root, the root of the parent block's posterior state.
    #[serde(with = "crate::serde_hex")]
    pub parent_state_root: StateRoot,
    /// $\mathbf{H}_X$: the extrinsic hash (GP (5.4)).
    #[serde(with = "crate::serde_hex")]
    pub extrinsic_hash: OpaqueHash,
    /// $\mathbf{H}_T$: the timeslot index.
    pub slot: TimeSlot,
    /// $\mathbf{H}_E$: the epoch marker, on the first block of an epoch.
    pub epoch_mark: Option<EpochMark>,
    /// $\mathbf{H}_W$: the winning-tickets marker, on the first block after the ticket
    /// contest ends with a full accumulator.
    pub tickets_mark: Option<TicketsMark>,
    /// $\mathbf{H}_I$: the block author's validator index.
    pub author_index: ValidatorIndex,
    /// $\mathbf{H}_V$: the entropy-yielding VRF signature.
    #[serde(with = "crate::serde_hex")]
    pub entropy_source: BandersnatchVrfSignature,
    /// $\mathbf{H}_O$: the offenders marker.
    #[serde(with = "crate::serde_hex")]
    pub offenders_mark: OffendersMark,
    /// $\mathbf{H}_S$: the block seal.
    #[serde(with = "crate::serde_hex")]
    pub seal: BandersnatchVrfSignature,
}

impl Header {
    /// $\mathcal{H}(\mathcal{E}(\mathbf{H}))$: the header hash, Blake2b-256 of the
    /// encoding, which a child's $\mathbf{H}_P$ names and recent history records (GP (5.2),
    /// (7.8)). Blocks, states and ancestry items are keyed by it.
    pub fn hash(&self) -> HeaderHash {
        use blake2::digest::{consts::U32, Digest};
        let mut h = blake2::Blake2b::<U32>::new();
        h.update(self.encode());
        h.finalize().into()
    }

    /// $\mathcal{E}_U(\mathbf{H})$: the unsigned serialization, everything but the seal
    /// (GP (C.23)), the message the seal signs.
    pub fn encode_unsigned(&self) -> Vec<u8> {
        let mut out = self.encode();
        out.truncate(out.len() - self.seal.len());
        out
    }
}
