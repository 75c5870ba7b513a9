//! BLS12-381 keys (GP section 3.8.2, `B⟨m⟩`).
//!
//! Validators carry a 144-byte BLS key (`k_b`, bytes 64..208 of a validator key, GP section 6.3)
//! which is only used by BEEFY (GP appendix on BEEFY, `X_B`). Verification comes with BEEFY; until
//! then the key is opaque data.

/// `X_B`: the context of BEEFY commitments (GP (18.1)).
pub const X_BEEFY: &[u8] = b"jam_beefy";

/// A BLS public key as it appears in a validator key (`B_BLS`, 144 bytes).
pub type BlsPublic = [u8; 144];
