//! Bandersnatch VRFs (GP section 3.8.2 and appendix G): the IETF VRF signatures
//! `F_k^c⟨m⟩ ⊂ Y_96` used for block seals and entropy, and the ring VRF proofs
//! `F̄_r^c⟨m⟩ ⊂ Y_784` used for Safrole tickets, with ring roots `O(keys) ∈ Y_144`.
//!
//! Built on `ark-vrf` 0.2.2 (suite Bandersnatch-SHA-512-ELL2), the last version whose
//! encodings and transcripts match the 0.7.2 vectors. In the GP's notation `F_k^c⟨m⟩` the
//! *context* `c` (a context string followed by its data, see [`ticket_seal_input`] and friends)
//! is the VRF input and the message `m` is the additional data. The VRF output `Y(s)` is the
//! first 32 bytes of the output point's hash.
//!
//! Encodings: points are 32-byte compressed, scalars 32-byte little-endian. An IETF signature is
//! `output ++ c ++ s` (96 bytes); a ring proof is `output ++ pedersen proof ++ ring proof`
//! (32 + 160 + 592 = 784 bytes); a ring root is the KZG commitment of the ring's fixed columns
//! (three compressed BLS12-381 G1 points, 144 bytes).
//!
//! The ring setup is expensive, so it is cached: the SRS is parsed once and the ring
//! parameters are built once per ring size (6 for tiny, 1023 for full). Build a
//! [`RingVerifier`] once per epoch and reuse it for every ticket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ark_vrf::ietf::Prover as IetfProver;
use ark_vrf::reexports::ark_ec::{AffineRepr, CurveGroup};
use ark_vrf::reexports::ark_ff::{AdditiveGroup, BigInteger, PrimeField, Zero};
use ark_vrf::reexports::ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_vrf::ring::{Prover as RingProverTrait, Verifier as RingVerifierTrait};
use ark_vrf::suites::bandersnatch as suite;
use rayon::prelude::*;

use crate::hash::Hash;

/// A Bandersnatch public key (`H_B`, `k_b` of a validator key): a compressed curve point.
pub type BandersnatchPublic = [u8; 32];
/// An IETF VRF signature `F_k^c⟨m⟩`: `output ++ c ++ s`.
pub type IetfSignature = [u8; IETF_SIGNATURE_LEN];
/// A ring VRF proof `F̄_r^c⟨m⟩`: `output ++ pedersen proof ++ ring proof`.
pub type RingSignature = [u8; RING_SIGNATURE_LEN];
/// A ring root `O(keys)` (`γ_z`): the commitment to a ring of keys.
pub type RingCommitment = [u8; RING_COMMITMENT_LEN];
/// A VRF output `Y(s)`; for a ticket proof it is the ticket identifier.
pub type VrfOutput = [u8; 32];

/// Length of an IETF VRF signature.
pub const IETF_SIGNATURE_LEN: usize = 96;
/// Length of a ring VRF proof.
pub const RING_SIGNATURE_LEN: usize = 784;
/// Length of a ring root.
pub const RING_COMMITMENT_LEN: usize = 144;
/// The largest ring the shipped SRS (2^11 domain) supports.
pub const MAX_RING_SIZE: usize = 1791;

/// `X_T`: ticket generation and ticketed block seals (GP (6.15), (6.29)).
pub const X_TICKET: &[u8] = b"jam_ticket_seal";
/// `X_F`: fallback block seals (GP (6.16)).
pub const X_FALLBACK: &[u8] = b"jam_fallback_seal";
/// `X_E`: on-chain entropy (GP (6.17)).
pub const X_ENTROPY: &[u8] = b"jam_entropy";
/// `X_U`: audit selection (GP (17.3), (17.14)).
pub const X_AUDIT: &[u8] = b"jam_audit";

/// `X_T ++ η ++ [attempt]`: the VRF input of a ticket proof (with `η = η'_2`, GP eq.
/// `ticketsextrinsic`) and of a ticketed seal (with `η = η'_3`, GP (6.15)).
pub fn ticket_seal_input(entropy: &Hash, attempt: u8) -> Vec<u8> {
    [X_TICKET, entropy, &[attempt]].concat()
}

/// `X_F ++ η'_3`: the VRF input of a fallback seal (GP (6.16)).
pub fn fallback_seal_input(entropy: &Hash) -> Vec<u8> {
    [X_FALLBACK, entropy].concat()
}

/// `X_E ++ Y(H_S)`: the VRF input of the header's entropy signature `H_V` (GP (6.17)).
pub fn entropy_input(seal_output: &VrfOutput) -> Vec<u8> {
    [X_ENTROPY, seal_output].concat()
}

/// `X_U ++ Y(H_V)`: the VRF input of the initial audit tranche (GP (17.3)).
pub fn audit_input(entropy_output: &VrfOutput) -> Vec<u8> {
    [X_AUDIT, entropy_output].concat()
}

/// `X_U ++ Y(H_V) ++ H(w) ++ [n]`: the VRF input of audit tranche `n > 0` for the work-report
/// with hash `report_hash` (GP (17.14)).
pub fn audit_tranche_input(entropy_output: &VrfOutput, report_hash: &Hash, tranche: u8) -> Vec<u8> {
    [X_AUDIT, entropy_output, report_hash, &[tranche]].concat()
}

/// Why a Bandersnatch operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BandersnatchError {
    /// A public key is not the encoding of a curve point.
    #[error("invalid Bandersnatch public key")]
    InvalidPublicKey,
    /// A signature or proof does not decode (bad output point, scalar or proof encoding).
    #[error("malformed VRF signature")]
    MalformedSignature,
    /// The VRF input could not be mapped to the curve.
    #[error("VRF input cannot be mapped to a curve point")]
    InvalidInput,
    /// The signature or proof is well formed but does not verify.
    #[error("VRF signature verification failed")]
    VerificationFailed,
    /// The ring size is zero or larger than the SRS supports.
    #[error("unsupported ring size {0} (1..={MAX_RING_SIZE})")]
    InvalidRingSize(usize),
    /// The ring root does not decode.
    #[error("malformed ring commitment")]
    MalformedCommitment,
    /// The prover's index is outside the ring.
    #[error("key index {index} outside a ring of {ring_size}")]
    KeyIndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The ring's size.
        ring_size: usize,
    },
}

type Result<T, E = BandersnatchError> = std::result::Result<T, E>;

/// A Bandersnatch secret key.
#[derive(Clone)]
pub struct SecretKey(suite::Secret);

impl SecretKey {
    /// The secret whose scalar is SHA-512(seed) reduced mod the group order (ark-vrf's
    /// `Secret::from_seed`, as used by the JAM test keys).
    pub fn from_seed(seed: &[u8]) -> Self {
        SecretKey(suite::Secret::from_seed(seed))
    }

    /// The public key, compressed.
    pub fn public(&self) -> BandersnatchPublic {
        encode_point(&self.0.public().0)
    }

    /// Signs: see [`ietf_sign`].
    pub fn ietf_sign(&self, vrf_input_data: &[u8], aux_data: &[u8]) -> IetfSignature {
        ietf_sign(self, vrf_input_data, aux_data)
    }

    /// `Y` of the signature this key would make for `vrf_input_data`, whatever the message.
    pub fn vrf_output(&self, vrf_input_data: &[u8]) -> VrfOutput {
        output_hash(&self.0.output(input_point(vrf_input_data)))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bandersnatch::SecretKey(public: ")?;
        for b in self.public() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

fn encode_point(p: &suite::AffinePoint) -> [u8; 32] {
    let mut out = [0u8; 32];
    p.serialize_compressed(&mut out[..])
        .expect("a compressed Bandersnatch point is 32 bytes");
    out
}

/// Decodes a public key without the prime-subgroup check (what the reference implementations
/// and the conformance fuzzer do).
fn decode_public(bytes: &BandersnatchPublic) -> Option<suite::AffinePoint> {
    suite::AffinePoint::deserialize_compressed_unchecked(&bytes[..]).ok()
}

/// The VRF input point `H2C(data)` (Elligator 2, RFC 9380).
fn input_point(data: &[u8]) -> suite::Input {
    // The Elligator 2 hash-to-curve is total; it only fails for over-long domain tags.
    suite::Input::new(data).expect("Elligator 2 hash-to-curve does not fail")
}

/// A VRF output point, decoded and checked to be in the prime-order subgroup (a full scalar
/// multiplication). A block's two output points are each read twice (for $\mathcal{Y}$, then by
/// the verification), so the last few decodings are remembered.
fn decode_output(bytes: &[u8]) -> Option<suite::Output> {
    const KEEP: usize = 16;
    static RECENT: Mutex<Vec<([u8; 32], Option<suite::AffinePoint>)>> = Mutex::new(Vec::new());
    let key: [u8; 32] = bytes.try_into().ok()?;
    let lock = || {
        RECENT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some((_, p)) = lock().iter().find(|(k, _)| *k == key) {
        return p.map(suite::Output::from_affine);
    }
    let decoded = suite::Output::deserialize_compressed(bytes).ok();
    let mut recent = lock();
    if recent.len() >= KEEP {
        recent.remove(0);
    }
    recent.push((key, decoded.map(|o| o.0)));
    decoded
}

fn output_hash(output: &suite::Output) -> VrfOutput {
    let hash = output.hash();
    let mut out = [0u8; 32];
    out.copy_from_slice(&hash[..32]);
    out
}

/// `Y(s)` (GP appendix G): the VRF output of an IETF signature, or `None` if its output point
/// does not decode. Does not verify the signature.
pub fn vrf_output(signature: &IetfSignature) -> Option<VrfOutput> {
    decode_output(&signature[..32]).map(|o| output_hash(&o))
}

/// `Y(p)` of a ring proof (the ticket identifier), without verifying it.
pub fn ring_vrf_output(proof: &RingSignature) -> Option<VrfOutput> {
    decode_output(&proof[..32]).map(|o| output_hash(&o))
}

/// Makes `F_k^c⟨m⟩` with `c = vrf_input_data` and `m = aux_data` (deterministic).
pub fn ietf_sign(secret: &SecretKey, vrf_input_data: &[u8], aux_data: &[u8]) -> IetfSignature {
    let input = input_point(vrf_input_data);
    let output = secret.0.output(input);
    let proof = IetfProver::prove(&secret.0, input, output, aux_data);
    let mut out = [0u8; IETF_SIGNATURE_LEN];
    let mut buf = &mut out[..];
    output
        .serialize_compressed(&mut buf)
        .and_then(|()| proof.serialize_compressed(&mut buf))
        .expect("an IETF signature is 96 bytes");
    out
}

/// Checks `sig ∈ F_public^c⟨m⟩` (`c = vrf_input_data`, `m = aux_data`) and returns `Y(sig)`.
pub fn ietf_verify(
    public: &BandersnatchPublic,
    vrf_input_data: &[u8],
    aux_data: &[u8],
    sig: &IetfSignature,
) -> Result<VrfOutput> {
    let public = suite::Public::from_affine(
        decode_public(public).ok_or(BandersnatchError::InvalidPublicKey)?,
    );
    let output = decode_output(&sig[..32]).ok_or(BandersnatchError::MalformedSignature)?;
    let proof = suite::IetfProof::deserialize_compressed(&sig[32..])
        .map_err(|_| BandersnatchError::MalformedSignature)?;
    let input = input_point(vrf_input_data);
    if !ietf_check(&public, &input, &output, aux_data, &proof) {
        return Err(BandersnatchError::VerificationFailed);
    }
    Ok(output_hash(&output))
}

/// RFC 9381 §5.3 verification as `ark_vrf::ietf::Verifier::verify` does it (the same
/// challenge, over the same points), with each of $u = sG - cY$ and $v = sH - cO$ computed as
/// one double-scalar multiplication (Straus–Shamir, interleaved width-5 NAF) instead of two
/// separate multiplications: the doublings are shared, which halves the cost of the two
/// verifications every block header carries (seal and entropy source).
fn ietf_check(
    public: &suite::Public,
    input: &suite::Input,
    output: &suite::Output,
    aux: &[u8],
    proof: &suite::IetfProof,
) -> bool {
    use ark_vrf::Suite;
    let neg_c = -proof.c;
    let u = double_mul(
        &suite::BandersnatchSha512Ell2::generator(),
        &proof.s,
        &public.0,
        &neg_c,
    );
    let v = double_mul(&input.0, &proof.s, &output.0, &neg_c);
    let norms = Projective::normalize_batch(&[u, v]);
    let c = suite::BandersnatchSha512Ell2::challenge(
        &[&public.0, &input.0, &output.0, &norms[0], &norms[1]],
        aux,
    );
    c == proof.c
}

type Projective = <suite::AffinePoint as AffineRepr>::Group;

/// $aP + bQ$ by interleaved width-5 NAF: one shared run of doublings, an addition of a
/// precomputed odd multiple where a digit is non-zero.
fn double_mul(
    p: &suite::AffinePoint,
    a: &suite::ScalarField,
    q: &suite::AffinePoint,
    b: &suite::ScalarField,
) -> Projective {
    const W: usize = 5;
    /// $P, 3P, 5P, \dots, (2^{W-1}-1)P$ in affine form, for mixed additions.
    fn odd_multiples(p: &suite::AffinePoint) -> Vec<suite::AffinePoint> {
        let p = p.into_group();
        let twice = p.double();
        let mut t = Vec::with_capacity(1 << (W - 2));
        t.push(p);
        for i in 1..(1 << (W - 2)) {
            t.push(t[i - 1] + twice);
        }
        Projective::normalize_batch(&t)
    }
    let naf = |x: &suite::ScalarField| x.into_bigint().find_wnaf(W).unwrap_or_default();
    let (tp, tq) = (odd_multiples(p), odd_multiples(q));
    let (na, nb) = (naf(a), naf(b));
    let mut r = Projective::zero();
    for i in (0..na.len().max(nb.len())).rev() {
        r.double_in_place();
        for (digits, table) in [(&na, &tp), (&nb, &tq)] {
            match digits.get(i).copied().unwrap_or(0) {
                0 => {}
                d if d > 0 => r += table[(d / 2) as usize],
                d => r -= table[(-d / 2) as usize],
            }
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Ring setup, cached.

static SRS: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/bls12-381-srs-2-11-uncompressed-zcash.bin"
));

fn pcs_params() -> &'static suite::PcsParams {
    static PCS: OnceLock<suite::PcsParams> = OnceLock::new();
    PCS.get_or_init(|| {
        suite::PcsParams::deserialize_uncompressed_unchecked(SRS)
            .expect("the SRS shipped by build.rs (checked by SHA-256) parses")
    })
}

/// Builds, once per process, what ring proofs over `ring_size` keys need: the parsed SRS and
/// the ring parameters (tens of milliseconds). A node calls it at start-up so that no block
/// import pays it.
pub fn prepare_ring(ring_size: usize) -> Result<()> {
    ring_params(ring_size).map(|_| ())
}

/// The ring parameters for `ring_size` keys, built once per size.
fn ring_params(ring_size: usize) -> Result<Arc<suite::RingProofParams>> {
    static CACHE: OnceLock<Mutex<HashMap<usize, Arc<suite::RingProofParams>>>> = OnceLock::new();
    if ring_size == 0 || ring_size > MAX_RING_SIZE {
        return Err(BandersnatchError::InvalidRingSize(ring_size));
    }
    let cache = CACHE.get_or_init(Default::default);
    let lock = || {
        cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some(p) = lock().get(&ring_size) {
        return Ok(p.clone());
    }
    // Built outside the lock: `from_pcs_params` runs on rayon, and holding the lock here
    // while pool workers wait on it would deadlock. A race only builds the params twice.
    let params = suite::RingProofParams::from_pcs_params(ring_size, pcs_params().clone())
        .map_err(|_| BandersnatchError::InvalidRingSize(ring_size))?;
    let params = lock()
        .entry(ring_size)
        .or_insert_with(|| Arc::new(params))
        .clone();
    Ok(params)
}

/// The padding point that stands in for keys without a curve point (GP appendix G).
pub fn padding_point() -> BandersnatchPublic {
    encode_point(&suite::RingProofParams::padding_point())
}

/// The ring's points: each key decoded, or the padding point where it does not decode
/// (GP appendix G; this covers the zeroed keys of offenders, GP (6.14)).
fn ring_points(keys: &[BandersnatchPublic]) -> Vec<suite::AffinePoint> {
    keys.iter()
        .map(|k| decode_public(k).unwrap_or_else(suite::RingProofParams::padding_point))
        .collect()
}

fn encode_commitment(c: &suite::RingCommitment) -> RingCommitment {
    let mut out = [0u8; RING_COMMITMENT_LEN];
    c.serialize_compressed(&mut out[..])
        .expect("a ring commitment is 144 bytes");
    out
}

/// `O(keys)` (GP appendix G; the ring root `γ_z` of the key rotation, GP section 6.3).
///
/// A pure function of the keys that costs tens of milliseconds (a KZG commitment over the
/// ring domain), while the key set rarely changes between epochs: the last few results are
/// memoised by the hash of the keys.
pub fn ring_commitment(keys: &[BandersnatchPublic]) -> Result<RingCommitment> {
    const MEMO_ENTRIES: usize = 8;
    static MEMO: Mutex<Vec<(Hash, RingCommitment)>> = Mutex::new(Vec::new());
    let id = crate::hash::blake2b_256(keys.as_flattened());
    let memo = || MEMO.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, c)) = memo().iter().find(|(k, _)| *k == id) {
        return Ok(*c);
    }
    let params = ring_params(keys.len())?;
    let vk = params.verifier_key(&ring_points(keys));
    let commitment = encode_commitment(&vk.commitment());
    let mut m = memo();
    if m.len() == MEMO_ENTRIES {
        m.remove(0);
    }
    m.push((id, commitment));
    Ok(commitment)
}

/// One ticket proof to check: VRF input, additional data, proof.
pub type RingItem<'a> = (&'a [u8], &'a [u8], &'a RingSignature);

/// Verifies ring VRF proofs against one ring: build it once per ring (once per epoch).
/// Cloning is cheap (the prepared verifier is shared).
#[derive(Clone)]
pub struct RingVerifier {
    inner: Arc<RingInner>,
}

struct RingInner {
    ring_size: usize,
    commitment: suite::RingCommitment,
    params: Arc<suite::RingProofParams>,
    verifier: suite::RingVerifier,
}

impl std::fmt::Debug for RingVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingVerifier")
            .field("ring_size", &self.inner.ring_size)
            .field("commitment", &self.commitment())
            .finish()
    }
}

impl RingVerifier {
    /// The verifier for the ring of `keys` (invalid keys replaced by the padding point).
    pub fn from_keys(keys: &[BandersnatchPublic]) -> Result<Self> {
        let params = ring_params(keys.len())?;
        let commitment = params.verifier_key(&ring_points(keys)).commitment();
        Ok(Self::build(keys.len(), commitment, params))
    }

    /// The verifier for the ring with root `commitment` (`γ_z`) of `ring_size` keys. The last
    /// few are remembered: a ring serves a whole epoch of blocks, and preparing its verifier
    /// costs about a millisecond.
    pub fn from_commitment(commitment: &RingCommitment, ring_size: usize) -> Result<Self> {
        const KEEP: usize = 4;
        type Memo = Vec<(RingCommitment, usize, RingVerifier)>;
        static MEMO: Mutex<Memo> = Mutex::new(Vec::new());
        let lock = || MEMO.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, _, v)) = lock()
            .iter()
            .find(|(c, n, _)| c == commitment && *n == ring_size)
        {
            return Ok(v.clone());
        }
        // Built outside the lock (ring preparation runs on rayon).
        let params = ring_params(ring_size)?;
        let decoded = suite::RingCommitment::deserialize_compressed(&commitment[..])
            .map_err(|_| BandersnatchError::MalformedCommitment)?;
        let verifier = Self::build(ring_size, decoded, params);
        let mut memo = lock();
        if memo.len() >= KEEP {
            memo.remove(0);
        }
        memo.push((*commitment, ring_size, verifier.clone()));
        Ok(verifier)
    }

    fn build(
        ring_size: usize,
        commitment: suite::RingCommitment,
        params: Arc<suite::RingProofParams>,
    ) -> Self {
        let verifier = Self::ark_verifier(&params, &commitment);
        RingVerifier {
            inner: Arc::new(RingInner {
                ring_size,
                commitment,
                params,
                verifier,
            }),
        }
    }

    fn ark_verifier(
        params: &suite::RingProofParams,
        commitment: &suite::RingCommitment,
    ) -> suite::RingVerifier {
        params.verifier(params.verifier_key_from_commitment(commitment.clone()))
    }

    /// The ring's size.
    pub fn ring_size(&self) -> usize {
        self.inner.ring_size
    }

    /// The ring root.
    pub fn commitment(&self) -> RingCommitment {
        encode_commitment(&self.inner.commitment)
    }

    /// Checks `proof ∈ F̄_r^c⟨m⟩` (`c = vrf_input_data`, `m = aux_data`) and returns `Y(proof)`,
    /// the ticket identifier.
    pub fn verify(
        &self,
        vrf_input_data: &[u8],
        aux_data: &[u8],
        proof: &RingSignature,
    ) -> Result<VrfOutput> {
        let (output, proof) = decode_ring_signature(proof)?;
        let input = input_point(vrf_input_data);
        <suite::Public as RingVerifierTrait<_>>::verify(
            input,
            output,
            aux_data,
            &proof,
            &self.inner.verifier,
        )
        .map_err(|_| BandersnatchError::VerificationFailed)?;
        Ok(output_hash(&output))
    }

    /// [`verify`](Self::verify) on each item, in parallel (rayon); results in item order.
    pub fn verify_many(&self, items: &[RingItem<'_>]) -> Vec<Result<VrfOutput>> {
        items
            .par_iter()
            .map(|(input, aux, proof)| self.verify(input, aux, proof))
            .collect()
    }

    /// Checks all `items` at once (ark-vrf's batch verifier: one pairing check for the lot,
    /// items prepared in parallel) and returns their outputs in order. On failure it does not
    /// say which item is bad: use [`verify_many`](Self::verify_many) for that. About 2.5x cheaper
    /// per ticket than one-by-one verification for a block's 16 tickets (see the crate's bench).
    pub fn verify_batch(&self, items: &[RingItem<'_>]) -> Result<Vec<VrfOutput>> {
        let decoded = items
            .par_iter()
            .map(|(input, _, proof)| {
                decode_ring_signature(proof).map(|(o, p)| (input_point(input), o, p))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut batch = suite::RingBatchVerifier::new(Self::ark_verifier(
            &self.inner.params,
            &self.inner.commitment,
        ));
        let prepared: Vec<_> = decoded
            .par_iter()
            .zip(items.par_iter())
            .map(|((input, output, proof), (_, aux, _))| batch.prepare(*input, *output, aux, proof))
            .collect();
        for item in prepared {
            batch.push_prepared(item);
        }
        batch
            .verify()
            .map_err(|_| BandersnatchError::VerificationFailed)?;
        Ok(decoded.iter().map(|(_, o, _)| output_hash(o)).collect())
    }
}

fn decode_ring_signature(proof: &RingSignature) -> Result<(suite::Output, suite::RingProof)> {
    let output = decode_output(&proof[..32]).ok_or(BandersnatchError::MalformedSignature)?;
    let proof = suite::RingProof::deserialize_compressed(&proof[32..])
        .map_err(|_| BandersnatchError::MalformedSignature)?;
    Ok((output, proof))
}

/// Makes ring proofs for one member of one ring (the prover key is built once).
pub struct RingProver {
    index: usize,
    ring_size: usize,
    prover: suite::RingProver,
}

impl std::fmt::Debug for RingProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingProver")
            .field("index", &self.index)
            .field("ring_size", &self.ring_size)
            .finish()
    }
}

impl RingProver {
    /// The prover for member `index` of the ring of `keys`.
    pub fn new(keys: &[BandersnatchPublic], index: usize) -> Result<Self> {
        if index >= keys.len() {
            return Err(BandersnatchError::KeyIndexOutOfRange {
                index,
                ring_size: keys.len(),
            });
        }
        let params = ring_params(keys.len())?;
        let prover_key = params.prover_key(&ring_points(keys));
        Ok(RingProver {
            index,
            ring_size: keys.len(),
            prover: params.prover(prover_key, index),
        })
    }

    /// Makes `F̄_r^c⟨m⟩` with `c = vrf_input_data`, `m = aux_data`. The secret must be the
    /// ring member's at this prover's index, or the proof will not verify.
    pub fn prove(
        &self,
        secret: &SecretKey,
        vrf_input_data: &[u8],
        aux_data: &[u8],
    ) -> RingSignature {
        let input = input_point(vrf_input_data);
        let output = secret.0.output(input);
        let proof = RingProverTrait::prove(&secret.0, input, output, aux_data, &self.prover);
        let mut out = [0u8; RING_SIGNATURE_LEN];
        let mut buf = &mut out[..];
        output
            .serialize_compressed(&mut buf)
            .and_then(|()| proof.serialize_compressed(&mut buf))
            .expect("a ring proof is 784 bytes");
        out
    }
}

/// Makes one ring proof (see [`RingProver`] to make several for the same ring member).
pub fn ring_prove(
    secret: &SecretKey,
    keys: &[BandersnatchPublic],
    index: usize,
    vrf_input_data: &[u8],
    aux_data: &[u8],
) -> Result<RingSignature> {
    Ok(RingProver::new(keys, index)?.prove(secret, vrf_input_data, aux_data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The double-scalar-multiplication check agrees with `ark_vrf`'s verifier on valid
    /// signatures and on every kind of tampering (output, `c`, `s`, input, aux, key).
    #[test]
    fn ietf_check_agrees_with_ark_vrf() {
        use ark_vrf::ietf::Verifier as _;
        let ark = |p: &suite::Public, i, o, aux: &[u8], pr: &suite::IetfProof| {
            p.verify(i, o, aux, pr).is_ok()
        };
        let mut agreed = 0;
        for n in 0u32..40 {
            let sk = SecretKey::from_seed(&n.to_le_bytes());
            let data = n.to_be_bytes().repeat(n as usize % 5 + 1);
            let aux = vec![n as u8; n as usize % 7];
            let sig = sk.ietf_sign(&data, &aux);
            let public = suite::Public::from_affine(decode_public(&sk.public()).unwrap());
            let output = decode_output(&sig[..32]).unwrap();
            let proof = suite::IetfProof::deserialize_compressed(&sig[32..]).unwrap();
            let input = input_point(&data);
            let other = input_point(b"other");
            let bad_key = suite::Public::from_affine(
                decode_public(&SecretKey::from_seed(b"x").public()).unwrap(),
            );
            let mut bad_c = proof.clone();
            bad_c.c += suite::ScalarField::from(1u8);
            let mut bad_s = proof.clone();
            bad_s.s += suite::ScalarField::from(n + 1);
            let cases = [
                (&public, input, output, &aux[..], &proof, true),
                (
                    &public,
                    input,
                    suite::Output::from_affine(other.0),
                    &aux[..],
                    &proof,
                    false,
                ),
                (&public, input, output, &aux[..], &bad_c, false),
                (&public, input, output, &aux[..], &bad_s, false),
                (&public, other, output, &aux[..], &proof, false),
                (&public, input, output, &b"tampered"[..], &proof, false),
                (&bad_key, input, output, &aux[..], &proof, false),
            ];
            for (p, i, o, a, pr, valid) in cases {
                assert_eq!(ietf_check(p, &i, &o, a, pr), valid, "seed {n}");
                assert_eq!(ark(p, i, o, a, pr), valid, "seed {n} (ark-vrf)");
                agreed += 1;
            }
        }
        assert_eq!(agreed, 280);
    }

    #[test]
    fn ietf_roundtrip() {
        let sk = SecretKey::from_seed(b"alice");
        let pk = sk.public();
        let input = fallback_seal_input(&[3; 32]);
        let sig = ietf_sign(&sk, &input, b"header");
        assert_eq!(sig, sk.ietf_sign(&input, b"header"), "deterministic");
        let y = ietf_verify(&pk, &input, b"header", &sig).unwrap();
        assert_eq!(Some(y), vrf_output(&sig));
        assert_eq!(y, sk.vrf_output(&input));
        // The output depends on the input only, not on the message.
        assert_eq!(vrf_output(&ietf_sign(&sk, &input, b"other")), Some(y));

        assert_eq!(
            ietf_verify(&pk, &input, b"headers", &sig),
            Err(BandersnatchError::VerificationFailed)
        );
        assert_eq!(
            ietf_verify(&pk, &fallback_seal_input(&[4; 32]), b"header", &sig),
            Err(BandersnatchError::VerificationFailed)
        );
        let other = SecretKey::from_seed(b"bob").public();
        assert_eq!(
            ietf_verify(&other, &input, b"header", &sig),
            Err(BandersnatchError::VerificationFailed)
        );
        let mut bad = sig;
        bad[40] ^= 1;
        assert!(ietf_verify(&pk, &input, b"header", &bad).is_err());
    }

    #[test]
    fn contexts() {
        let eta = [7u8; 32];
        let t = ticket_seal_input(&eta, 2);
        assert_eq!(&t[..15], b"jam_ticket_seal");
        assert_eq!(&t[15..47], &eta);
        assert_eq!(t[47], 2);
        assert_eq!(t.len(), 48);
        assert_eq!(
            fallback_seal_input(&eta),
            [&b"jam_fallback_seal"[..], &eta].concat()
        );
        assert_eq!(entropy_input(&eta), [&b"jam_entropy"[..], &eta].concat());
        assert_eq!(audit_input(&eta), [&b"jam_audit"[..], &eta].concat());
        assert_eq!(
            audit_tranche_input(&eta, &[1; 32], 3).len(),
            9 + 32 + 32 + 1
        );
    }

    #[test]
    fn padding_point_matches_crypto_md() {
        assert_eq!(
            hex::encode(padding_point()),
            "92ca79e61dd90c1573a8693f199bf6e1e86835cc715cdcf93f5ef222560023aa"
        );
        // An offender's zeroed key has no point: the ring uses the padding point instead.
        assert!(decode_public(&[0; 32]).is_none());
        let mut keys: Vec<_> = (0..6u8)
            .map(|i| SecretKey::from_seed(&[i]).public())
            .collect();
        keys[1] = [0; 32];
        let zeroed = ring_commitment(&keys).unwrap();
        keys[1] = padding_point();
        assert_eq!(zeroed, ring_commitment(&keys).unwrap());
    }

    #[test]
    fn ring_roundtrip_small_ring() {
        let secrets: Vec<_> = (0..6u8).map(|i| SecretKey::from_seed(&[i])).collect();
        let mut keys: Vec<_> = secrets.iter().map(SecretKey::public).collect();
        keys[4] = [0; 32]; // an offender's zeroed key: padded
        let input = ticket_seal_input(&[9; 32], 1);
        let proof = ring_prove(&secrets[2], &keys, 2, &input, b"").unwrap();

        let verifier = RingVerifier::from_keys(&keys).unwrap();
        let id = verifier.verify(&input, b"", &proof).unwrap();
        assert_eq!(Some(id), ring_vrf_output(&proof));
        assert_eq!(id, secrets[2].vrf_output(&input));

        let commitment = ring_commitment(&keys).unwrap();
        assert_eq!(commitment, verifier.commitment());
        let by_root = RingVerifier::from_commitment(&commitment, keys.len()).unwrap();
        assert_eq!(by_root.verify(&input, b"", &proof), Ok(id));

        assert_eq!(
            verifier.verify(&ticket_seal_input(&[9; 32], 0), b"", &proof),
            Err(BandersnatchError::VerificationFailed)
        );
        assert_eq!(
            verifier.verify(&input, b"x", &proof),
            Err(BandersnatchError::VerificationFailed)
        );
        // A different ring rejects the proof.
        let mut other_keys = keys.clone();
        other_keys[0] = SecretKey::from_seed(b"stranger").public();
        let other = RingVerifier::from_keys(&other_keys).unwrap();
        assert!(other.verify(&input, b"", &proof).is_err());

        // Someone outside the ring cannot prove.
        let stranger = SecretKey::from_seed(b"stranger");
        let forged = ring_prove(&stranger, &keys, 2, &input, b"").unwrap();
        assert!(verifier.verify(&input, b"", &forged).is_err());

        let items: Vec<RingItem<'_>> = vec![(&input, b"", &proof), (&input, b"", &proof)];
        assert_eq!(verifier.verify_batch(&items), Ok(vec![id, id]));
        let many = verifier.verify_many(&[(&input, b"", &proof), (&input, b"", &forged)]);
        assert_eq!(many[0], Ok(id));
        assert!(many[1].is_err());
        assert!(verifier
            .verify_batch(&[(&input, b"", &proof), (&input, b"", &forged)])
            .is_err());
    }

    #[test]
    fn ring_errors() {
        assert_eq!(
            ring_commitment(&[]),
            Err(BandersnatchError::InvalidRingSize(0))
        );
        let keys = [SecretKey::from_seed(b"a").public()];
        assert!(matches!(
            RingProver::new(&keys, 1),
            Err(BandersnatchError::KeyIndexOutOfRange {
                index: 1,
                ring_size: 1
            })
        ));
    }
}
