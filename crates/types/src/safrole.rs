//! Validator keys, Safrole tickets and entropy (GP sections 6.3–6.7).

use crate::primitives::*;
use marmalade_codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// `𝕂` / `ValidatorData`: a validator's key set (GP (6.8)–(6.12)): Bandersnatch key
/// $k_b$, Ed25519 key $k_e$, BLS key $k_{bls}$ and metadata $k_m$, 336 octets in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct ValidatorData {
    /// $k_b$: the Bandersnatch key.
    #[serde(with = "crate::serde_hex")]
    pub bandersnatch: BandersnatchPublic,
    /// $k_e$: the Ed25519 key.
    #[serde(with = "crate::serde_hex")]
    pub ed25519: Ed25519Public,
    /// $k_{bls}$: the BLS key.
    #[serde(with = "crate::serde_hex")]
    pub bls: BlsPublic,
    /// $k_m$: opaque metadata (network address and so on).
    #[serde(with = "crate::serde_hex")]
    pub metadata: ValidatorMetadata,
}

impl ValidatorData {
    /// The all-zero key set, the null key that offenders' keys are replaced with (GP (6.14)).
    pub const NULL: ValidatorData = ValidatorData {
        bandersnatch: [0; 32],
        ed25519: [0; 32],
        bls: [0; 144],
        metadata: [0; 128],
    };
}

impl Default for ValidatorData {
    fn default() -> Self {
        Self::NULL
    }
}

param_seq! {
    /// `ValidatorsData`: `⟦𝕂⟧_V`, one key set per validator ($\lambda$, $\kappa$, $\gamma_P$,
    /// $\iota$; GP (6.7)), encoded without a length prefix.
    ValidatorsData(ValidatorData), len = validators
}

/// `𝕋` / `TicketBody`: a Safrole ticket (GP (6.6)): its identifier $y$ (the ring-VRF
/// output) and entry index $e$.
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
pub struct TicketBody {
    /// $y$: the ticket identifier.
    #[serde(with = "crate::serde_hex")]
    pub id: TicketId,
    /// $e$: the entry index, below $\mathsf{N}$.
    pub attempt: TicketAttempt,
}

/// `TicketEnvelope`: a ticket submission in the tickets extrinsic (GP (6.29)): the entry
/// index and the Ring VRF proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct TicketEnvelope {
    /// $e$: the entry index.
    pub attempt: TicketAttempt,
    /// $p$: the Ring VRF proof, whose output is the ticket identifier.
    #[serde(with = "crate::serde_hex")]
    pub signature: BandersnatchRingVrfSignature,
}

/// `TicketsAccumulator`: $\gamma_A$, up to $\mathsf{E}$ best tickets so far, sorted by
/// identifier (GP (6.5)). Length-prefixed.
pub type TicketsAccumulator = Vec<TicketBody>;

/// `TicketsOrKeys`: the sealing-key sequence $\gamma_S$ (GP (6.5)): $\mathsf{E}$ tickets, or
/// $\mathsf{E}$ fallback Bandersnatch keys. Encoded with a 0/1 discriminator (GP D.2, C(4))
/// and no length prefix; JSON `{"tickets": [...]}` or `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketsOrKeys {
    /// Regular operation: the winning tickets, in outside-in order.
    #[codec(index = 0)]
    Tickets(#[codec(len = epoch_length)] Vec<TicketBody>),
    /// Fallback: the keys chosen by $F$ (GP (6.26)).
    #[codec(index = 1)]
    Keys(
        #[codec(len = epoch_length)]
        #[serde(with = "crate::serde_hex")]
        Vec<BandersnatchPublic>,
    ),
}

impl TicketsOrKeys {
    /// The number of entries.
    pub fn len(&self) -> usize {
        match self {
            TicketsOrKeys::Tickets(t) => t.len(),
            TicketsOrKeys::Keys(k) => k.len(),
        }
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `EntropyBuffer`: $\eta \in \lseq\mathbb{H}\rseq_4$ (GP (6.21)), the entropy accumulator
/// and the three most recent epochs' entropy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EntropyBuffer(#[serde(with = "crate::serde_hex")] pub [Entropy; 4]);

impl std::ops::Deref for EntropyBuffer {
    type Target = [Entropy; 4];
    fn deref(&self) -> &[Entropy; 4] {
        &self.0
    }
}

impl std::ops::DerefMut for EntropyBuffer {
    fn deref_mut(&mut self) -> &mut [Entropy; 4] {
        &mut self.0
    }
}

impl From<[Entropy; 4]> for EntropyBuffer {
    fn from(v: [Entropy; 4]) -> Self {
        EntropyBuffer(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_codec::{decode_all, SeqLens};

    #[test]
    fn tickets_or_keys_have_a_discriminator_and_no_length() {
        let keys = TicketsOrKeys::Keys(vec![[7; 32]; 12]);
        let enc = keys.encode();
        assert_eq!(enc.len(), 1 + 12 * 32);
        assert_eq!(enc[0], 1);
        assert_eq!(decode_all::<TicketsOrKeys>(&enc, SeqLens::TINY), Ok(keys));
        // The full configuration wants 600 keys.
        assert!(decode_all::<TicketsOrKeys>(&enc, SeqLens::FULL).is_err());
        let j = serde_json::to_value(TicketsOrKeys::Tickets(vec![])).unwrap();
        assert_eq!(j, serde_json::json!({ "tickets": [] }));
    }

    #[test]
    fn validator_data_is_336_octets() {
        assert_eq!(ValidatorData::NULL.encode().len(), 336);
        let v = ValidatorsData(vec![ValidatorData::NULL; 6]);
        assert_eq!(v.encode().len(), 6 * 336);
        assert_eq!(
            decode_all::<ValidatorsData>(&v.encode(), SeqLens::TINY),
            Ok(v)
        );
    }

    #[test]
    fn entropy_buffer_json_is_an_array() {
        let e = EntropyBuffer([[1; 32], [2; 32], [3; 32], [4; 32]]);
        let j = serde_json::to_value(e).unwrap();
        assert_eq!(j.as_array().unwrap().len(), 4);
        assert_eq!(serde_json::from_value::<EntropyBuffer>(j).unwrap(), e);
        assert_eq!(e.encode().len(), 128);
    }
}
