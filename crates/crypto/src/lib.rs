//! The cryptography JAM needs, behind one small API (GP section 3.8 and appendices F, G).
//!
//! - [`hash`]: Blake2b-256 `H` and Keccak-256 `H_K` (GP 3.8.1).
//! - [`ed25519`]: Ed25519 signatures under ZIP-215 (GP 3.8.2), with batch verification.
//! - [`bandersnatch`]: IETF and ring VRFs, ring roots and the VRF input contexts (GP appendix G,
//!   section 6).
//! - [`bls`]: the BLS key type (verification comes with BEEFY).
//! - [`shuffle`]: the Fisher-Yates shuffle (GP appendix F).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bandersnatch;
pub mod bls;
pub mod ed25519;
pub mod hash;
pub mod shuffle;

pub use bandersnatch::BandersnatchError;
pub use bls::BlsPublic;
pub use ed25519::Ed25519Error;
pub use hash::{blake2b_256, blake2b_256_concat, keccak_256, Hash};
pub use shuffle::{sequence_from_hash, shuffle, shuffle_with_numbers};
