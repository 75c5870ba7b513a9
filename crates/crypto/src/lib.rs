//! The cryptography JAM needs, behind one small API (GP section 3.8 and appendix G).

#![forbid(unsafe_code)]

pub mod hash;

pub use hash::{blake2b_256, blake2b_256_concat, keccak_256, Hash};
