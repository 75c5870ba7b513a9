//! Merklization for JAM (Gray Paper 0.7.2, appendices D and E).
//!
//! - [`trie`]: the state trie `M_σ` (GP §D.2), as a one-shot [`state_root`] and as an
//!   incremental [`Trie`] that caches node hashes.
//! - [`binary`]: binary Merkle trees (GP §E.1): well-balanced `M_B`, constant-depth `M`, the
//!   trace `T`, justifications `J_x` and leaf pages `L_x`, with verifiers.
//! - [`mmr`]: Merkle mountain ranges (GP §E.2): append `A`, super-peak `M_R`, and the JAM and
//!   JSON encodings.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod binary;
pub mod mmr;
pub mod trie;

pub use binary::{
    constancy_preprocess, justification, justification_paged, leaf_page, merkle_root_cd,
    merkle_root_wb, node, trace, verify_cd, verify_paged, verify_wb, CdTree, MerkleNode,
};
pub use marmalade_crypto::hash::Hash;
pub use mmr::{Mmr, MmrExt};
pub use trie::{state_root, state_root_with, Gp, Key, Layout, LegacyLsb, Trie, EMPTY_ROOT};
