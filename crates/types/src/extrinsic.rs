//! The block extrinsic and the block (GP (4.2)–(4.3); serialization GP C.16–C.21).

use crate::header::Header;
use crate::primitives::*;
use crate::safrole::TicketEnvelope;
use crate::work::WorkReport;
use marmalade_codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// `TicketsExtrinsic`: $\mathbf{E}_T$, up to $\mathsf{K}$ ticket submissions (GP (6.29)).
pub type TicketsExtrinsic = Vec<TicketEnvelope>;

/// `Judgement`: one validator's judgment in a verdict (GP (10.2)): validity, validator
/// index and Ed25519 signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct Judgement {
    /// $v$: whether the report is judged valid.
    pub vote: bool,
    /// $i$: the judging validator's index.
    pub index: ValidatorIndex,
    /// $s$: the signature over $\mathsf{X}_\top$ or $\mathsf{X}_\bot$ and the report hash.
    #[serde(with = "crate::serde_hex")]
    pub signature: Ed25519Signature,
}

/// `Verdict`: a verdict on a work-report (GP (10.2)): report hash, epoch index of the key
/// set, and $\lfloor 2\mathsf{V}/3 \rfloor + 1$ judgments (no length prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Verdict {
    /// $r$: the work-report hash.
    #[serde(with = "crate::serde_hex")]
    pub target: WorkReportHash,
    /// $a$: the epoch index whose validator set signed.
    pub age: u32,
    /// $\mathbf{j}$: the judgments, a super-majority of them.
    #[codec(len = validators_super_majority)]
    pub votes: Vec<Judgement>,
}

/// `Culprit`: a guarantor of an invalid report (GP (10.2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct Culprit {
    /// $r$: the work-report hash.
    #[serde(with = "crate::serde_hex")]
    pub target: WorkReportHash,
    /// $k$: the guarantor's Ed25519 key.
    #[serde(with = "crate::serde_hex")]
    pub key: Ed25519Public,
    /// $s$: the guarantee signature.
    #[serde(with = "crate::serde_hex")]
    pub signature: Ed25519Signature,
}

/// `Fault`: a validator whose judgment contradicts the verdict (GP (10.2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct Fault {
    /// $r$: the work-report hash.
    #[serde(with = "crate::serde_hex")]
    pub target: WorkReportHash,
    /// $v$: the validator's (wrong) vote.
    pub vote: bool,
    /// $k$: the validator's Ed25519 key.
    #[serde(with = "crate::serde_hex")]
    pub key: Ed25519Public,
    /// $s$: the judgment signature.
    #[serde(with = "crate::serde_hex")]
    pub signature: Ed25519Signature,
}

/// `DisputesExtrinsic`: $\mathbf{E}_D = (\mathbf{v}, \mathbf{c}, \mathbf{f})$ (GP (10.2);
/// serialization GP C.21).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct DisputesExtrinsic {
    /// $\mathbf{v}$: verdicts.
    pub verdicts: Vec<Verdict>,
    /// $\mathbf{c}$: culprits.
    pub culprits: Vec<Culprit>,
    /// $\mathbf{f}$: faults.
    pub faults: Vec<Fault>,
}

/// `Preimage`: a preimage provision (GP (12.35)): requesting service and blob.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Preimage {
    /// The service index, $\mathcal{E}_4$.
    pub requester: ServiceId,
    /// The preimage data.
    #[serde(with = "crate::serde_hex")]
    pub blob: ByteSequence,
}

/// `PreimagesExtrinsic`: $\mathbf{E}_P$.
pub type PreimagesExtrinsic = Vec<Preimage>;

/// `AvailAssurance`: an availability assurance (GP (11.10)): anchor (parent hash), a
/// $\lceil\mathsf{C}/8\rceil$-octet bitfield (no length prefix), validator index and signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct AvailAssurance {
    /// $a$: the parent header hash.
    #[serde(with = "crate::serde_hex")]
    pub anchor: HeaderHash,
    /// $f$: bit $c$ (little-endian within each octet) says core $c$'s report is available.
    #[codec(len = avail_bitfield_bytes)]
    #[serde(with = "crate::serde_hex")]
    pub bitfield: Vec<u8>,
    /// $v$: the assuring validator's index.
    pub validator_index: ValidatorIndex,
    /// $s$: the signature over $\mathsf{X}_A$ and the anchor and bitfield.
    #[serde(with = "crate::serde_hex")]
    pub signature: Ed25519Signature,
}

impl AvailAssurance {
    /// Whether the bitfield marks core `core` as available.
    pub fn is_available(&self, core: usize) -> bool {
        self.bitfield
            .get(core / 8)
            .is_some_and(|b| b & (1 << (core % 8)) != 0)
    }
}

/// `AssurancesExtrinsic`: $\mathbf{E}_A$, up to $\mathsf{V}$ assurances.
pub type AssurancesExtrinsic = Vec<AvailAssurance>;

/// `ValidatorSignature`: one guarantor's credential (GP (11.23)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct ValidatorSignature {
    /// The guarantor's validator index, $\mathcal{E}_2$.
    pub validator_index: ValidatorIndex,
    /// The signature over $\mathsf{X}_G$ and the report hash.
    #[serde(with = "crate::serde_hex")]
    pub signature: Ed25519Signature,
}

/// `ReportGuarantee`: a guarantee (GP (11.23)): work-report, timeslot and two or three
/// credentials.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct ReportGuarantee {
    /// $r$: the work-report.
    pub report: WorkReport,
    /// $t$: the timeslot of the guarantee.
    pub slot: TimeSlot,
    /// $a$: the credentials, ordered by validator index.
    pub signatures: Vec<ValidatorSignature>,
}

/// `GuaranteesExtrinsic`: $\mathbf{E}_G$, up to $\mathsf{C}$ guarantees.
pub type GuaranteesExtrinsic = Vec<ReportGuarantee>;

/// `Extrinsic`: $\mathbf{E} = (\mathbf{E}_T, \mathbf{E}_P, \mathbf{E}_G, \mathbf{E}_A,
/// \mathbf{E}_D)$ (GP (4.3)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Extrinsic {
    /// $\mathbf{E}_T$: tickets.
    pub tickets: TicketsExtrinsic,
    /// $\mathbf{E}_P$: preimages.
    pub preimages: PreimagesExtrinsic,
    /// $\mathbf{E}_G$: guarantees.
    pub guarantees: GuaranteesExtrinsic,
    /// $\mathbf{E}_A$: assurances.
    pub assurances: AssurancesExtrinsic,
    /// $\mathbf{E}_D$: disputes.
    pub disputes: DisputesExtrinsic,
}

/// `Block`: $\mathbf{B} = (\mathbf{H}, \mathbf{E})$ (GP (4.2); serialization GP C.16).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Block {
    /// $\mathbf{H}$: the header.
    pub header: Header,
    /// $\mathbf{E}$: the extrinsic.
    pub extrinsic: Extrinsic,
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_codec::{decode_all, SeqLens};

    #[test]
    fn assurance_bitfield_has_no_length_prefix() {
        let a = AvailAssurance {
            anchor: [1; 32],
            bitfield: vec![0b10],
            validator_index: 3,
            signature: [9; 64],
        };
        let enc = a.encode();
        assert_eq!(enc.len(), 32 + 1 + 2 + 64);
        assert_eq!(enc[32], 0b10);
        assert_eq!(&enc[33..35], &[3, 0]);
        assert_eq!(
            decode_all::<AvailAssurance>(&enc, SeqLens::TINY),
            Ok(a.clone())
        );
        assert!(!a.is_available(0));
        assert!(a.is_available(1));
        assert!(!a.is_available(100));
    }

    #[test]
    fn verdict_has_a_super_majority_of_votes() {
        let j = Judgement {
            vote: true,
            index: 0,
            signature: [0; 64],
        };
        let v = Verdict {
            target: [0; 32],
            age: 1,
            votes: vec![j; 5],
        };
        assert_eq!(v.encode().len(), 32 + 4 + 5 * 67);
        assert_eq!(decode_all::<Verdict>(&v.encode(), SeqLens::TINY), Ok(v));
    }
}
