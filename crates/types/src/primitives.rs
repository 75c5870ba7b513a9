//! Simple and cryptographic types (`jam-types.asn` "Simple Types", "Cryptographic Types" and
//! "Application Specific Core Types"; GP section 3 and Appendix G).
//!
//! All are plain aliases: fixed-size octet strings are byte arrays (encoded as themselves, GP
//! C.2), integers are fixed-width little-endian (GP C.12). In JSON, use
//! [`serde_hex`](crate::serde_hex) on fields of these types.

/// `ℍ`: a 32-octet hash, e.g. a BLAKE2b-256 output (`OpaqueHash`).
pub type Hash = [u8; 32];
/// `OpaqueHash`: a generic 32-octet hash.
pub type OpaqueHash = Hash;
/// `HeaderHash`: the hash of a block header.
pub type HeaderHash = Hash;
/// `StateRoot`: a state Merkle root.
pub type StateRoot = Hash;
/// `BeefyRoot`: the accumulation-output (BEEFY) MMR super-peak.
pub type BeefyRoot = Hash;
/// `WorkPackageHash`: the hash of a work-package.
pub type WorkPackageHash = Hash;
/// `WorkReportHash`: the hash of a work-report.
pub type WorkReportHash = Hash;
/// `ExportsRoot`: the root of a package's exported-segments tree.
pub type ExportsRoot = Hash;
/// `ErasureRoot`: the root of a package's erasure-coded chunks.
pub type ErasureRoot = Hash;
/// `Entropy`: a 32-octet randomness value ($\eta$ items).
pub type Entropy = Hash;
/// `AuthorizerHash`: the hash of an encoded authorizer (code hash and configuration).
pub type AuthorizerHash = Hash;
/// `TicketId`: the VRF output identifying a Safrole ticket.
pub type TicketId = Hash;
/// `CodeHash`: the hash of service code.
pub type CodeHash = Hash;

/// `ℕ_T`: a timeslot index, six-second periods since the JAM Common Era (`TimeSlot`).
pub type TimeSlot = u32;
/// `ℕ_S`: a service identifier (`ServiceId`).
pub type ServiceId = u32;
/// `ℕ_G`: an amount of gas (`Gas`).
pub type Gas = u64;
/// `ℕ_B`: a balance.
pub type Balance = u64;
/// `ℕ_V`: a validator index (`ValidatorIndex`).
pub type ValidatorIndex = u16;
/// `ℕ_C`: a core index (`CoreIndex`).
pub type CoreIndex = u16;
/// `ℕ_N`: a ticket entry index (`TicketAttempt`).
pub type TicketAttempt = u8;
/// An epoch index.
pub type EpochIndex = u32;

/// `ℍ_E` / `Ed25519Public`: an Ed25519 public key.
pub type Ed25519Public = [u8; 32];
/// `ℍ_B` / `BandersnatchPublic`: a Bandersnatch public key.
pub type BandersnatchPublic = [u8; 32];
/// `𝔹_BLS` / `BlsPublic`: a BLS12-381 public key.
pub type BlsPublic = [u8; 144];
/// `𝔾` / `BandersnatchRingCommitment`: a Bandersnatch ring root (KZG commitment).
pub type BandersnatchRingCommitment = [u8; 144];
/// `Ed25519Signature`: an Ed25519 signature.
pub type Ed25519Signature = [u8; 64];
/// `𝔽` / `BandersnatchVrfSignature`: a Bandersnatch IETF VRF signature.
pub type BandersnatchVrfSignature = [u8; 96];
/// `𝔽̄` / `BandersnatchRingVrfSignature`: a Bandersnatch Ring VRF proof.
pub type BandersnatchRingVrfSignature = [u8; 784];
/// `ValidatorMetadata`: the 128 octets of validator metadata in a validator key (GP (6.8)).
pub type ValidatorMetadata = [u8; 128];

/// `ByteSequence`: an octet string of any length (length-prefixed when encoded).
pub type ByteSequence = Vec<u8>;
