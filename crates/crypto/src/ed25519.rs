//! Ed25519 signatures (GP section 3.8.2, `E_k⟨m⟩`), verified under the ZIP-215 rules.
//!
//! The Gray Paper leaves the validation criteria of Ed25519 to RFC 8032, which is ambiguous
//! about non-canonical point encodings and small-order points. JAM implementations agree on
//! ZIP-215 (cofactored verification, non-canonical encodings of `A` and `R` accepted, `s` must
//! be canonical), which is what [`ed25519_consensus`] implements. Under these rules single and
//! batch verification accept exactly the same signatures, so [`verify_batch`] is a pure
//! speed-up.

use ed25519_consensus::{batch, Signature, SigningKey, VerificationKey, VerificationKeyBytes};

/// An Ed25519 public key (`H_E` in the GP's notation, `k_e` of a validator key).
pub type Ed25519Public = [u8; 32];
/// An Ed25519 signature, `R ++ s`.
pub type Ed25519Signature = [u8; 64];

/// `X_A`: the context of availability assurances (GP section 11, (11.13)).
pub const X_AVAILABLE: &[u8] = b"jam_available";
/// `X_G`: the context of guarantee statements (GP section 11, (11.26)).
pub const X_GUARANTEE: &[u8] = b"jam_guarantee";
/// `X_I`: the context of audit announcements (GP section 17, (17.8)).
pub const X_ANNOUNCE: &[u8] = b"jam_announce";
/// `X_⊤`: the context of judgments that a work-report is valid (GP section 10, (17.17)).
pub const X_VALID: &[u8] = b"jam_valid";
/// `X_⊥`: the context of judgments that a work-report is invalid (GP section 10, (17.17)).
pub const X_INVALID: &[u8] = b"jam_invalid";

/// Why an Ed25519 signature was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ed25519Error {
    /// The public key is not the encoding of a curve point.
    #[error("malformed Ed25519 public key")]
    MalformedPublicKey,
    /// The signature's `R` does not decode, its `s` is not canonical, or the equation fails.
    #[error("invalid Ed25519 signature")]
    InvalidSignature,
}

impl From<ed25519_consensus::Error> for Ed25519Error {
    fn from(e: ed25519_consensus::Error) -> Self {
        match e {
            ed25519_consensus::Error::MalformedPublicKey => Ed25519Error::MalformedPublicKey,
            _ => Ed25519Error::InvalidSignature,
        }
    }
}

/// An Ed25519 secret key, made from a 32-byte seed (RFC 8032 section 5.1.5).
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// The secret key whose RFC 8032 seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from(*seed))
    }

    /// The public key.
    pub fn public(&self) -> Ed25519Public {
        self.0.verification_key().to_bytes()
    }

    /// Signs `msg` (deterministic, RFC 8032).
    pub fn sign(&self, msg: &[u8]) -> Ed25519Signature {
        self.0.sign(msg).to_bytes()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ed25519::SecretKey(public: ")?;
        for b in self.public() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// The public key of the secret key with RFC 8032 seed `seed`.
pub fn public_from_seed(seed: &[u8; 32]) -> Ed25519Public {
    SecretKey::from_seed(seed).public()
}

/// Signs `msg` with the secret key whose seed is `seed`.
pub fn sign(seed: &[u8; 32], msg: &[u8]) -> Ed25519Signature {
    SecretKey::from_seed(seed).sign(msg)
}

/// Checks `sig ∈ E_public⟨msg⟩` under ZIP-215, saying why it fails.
pub fn try_verify(
    public: &Ed25519Public,
    msg: &[u8],
    sig: &Ed25519Signature,
) -> Result<(), Ed25519Error> {
    let vk = VerificationKey::try_from(*public)?;
    vk.verify(&Signature::from(*sig), msg)?;
    Ok(())
}

/// Whether `sig ∈ E_public⟨msg⟩` under ZIP-215.
pub fn verify(public: &Ed25519Public, msg: &[u8], sig: &Ed25519Signature) -> bool {
    try_verify(public, msg, sig).is_ok()
}

/// One signature to check in a batch: public key, message, signature.
pub type BatchItem<'a> = (&'a Ed25519Public, &'a [u8], &'a Ed25519Signature);

/// Whether every signature of `items` is valid, checked together (one multi-scalar
/// multiplication with random coefficients from the operating system's generator).
///
/// Under ZIP-215 the result equals `items.iter().all(verify)`; batches of one or none are
/// checked directly. On `false`, use [`verify`] on each item to find the bad ones.
pub fn verify_batch(items: &[BatchItem<'_>]) -> bool {
    match items {
        [] => true,
        [(pk, msg, sig)] => verify(pk, msg, sig),
        _ => {
            let mut verifier = batch::Verifier::new();
            for (pk, msg, sig) in items {
                let vk_bytes = VerificationKeyBytes::from(**pk);
                verifier.queue((vk_bytes, Signature::from(**sig), *msg));
            }
            verifier.verify(rand_core::OsRng).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_roundtrip() {
        let sk = SecretKey::from_seed(&[7; 32]);
        let pk = sk.public();
        assert_eq!(pk, public_from_seed(&[7; 32]));
        let sig = sk.sign(b"jam");
        assert_eq!(sig, sign(&[7; 32], b"jam"));
        assert!(verify(&pk, b"jam", &sig));
        assert!(!verify(&pk, b"jan", &sig));
        let mut bad = sig;
        bad[0] ^= 1;
        assert!(!verify(&pk, b"jam", &bad));
        assert_eq!(
            try_verify(&pk, b"jan", &sig),
            Err(Ed25519Error::InvalidSignature)
        );
    }

    #[test]
    fn rfc8032_test_1() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let seed = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let pk = hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assert_eq!(public_from_seed(&seed), pk);
        let sig = sign(&seed, b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(verify(&pk, b"", &sig));
    }

    #[test]
    fn batch_matches_single() {
        let keys: Vec<SecretKey> = (0..8u8).map(|i| SecretKey::from_seed(&[i; 32])).collect();
        let pks: Vec<_> = keys.iter().map(SecretKey::public).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; i as usize + 1]).collect();
        let mut sigs: Vec<_> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let items = |sigs: &[Ed25519Signature]| -> bool {
            let items: Vec<BatchItem<'_>> = pks
                .iter()
                .zip(&msgs)
                .zip(sigs)
                .map(|((p, m), s)| (p, m.as_slice(), s))
                .collect();
            verify_batch(&items)
        };
        assert!(items(&sigs));
        assert!(verify_batch(&[]));
        sigs[5][40] ^= 1;
        assert!(!items(&sigs));
    }

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }
}
