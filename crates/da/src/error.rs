//! The one error type of the crate.

use marmalade_crypto::hash::Hash;

/// Why a DA operation failed. Every function of the crate is total: bad input gives one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaError {
    /// The chain's validator count and segment pieces give no supported erasure code.
    #[error("no erasure code for this chain: {0}")]
    Params(marmalade_erasure::Error),
    /// Reconstruction or encoding refused the shards (too few, duplicates, wrong sizes, ...).
    #[error("erasure coding: {0}")]
    Erasure(#[from] marmalade_erasure::Error),
    /// The bundle is not `E(p, x#, i#, j#)`.
    #[error("malformed bundle: {0}")]
    Bundle(#[from] marmalade_codec::Error),
    /// An extrinsic blob in the bundle does not hash to its reference.
    #[error("extrinsic {index} of the bundle does not match its hash")]
    ExtrinsicHash {
        /// Position in the bundle's extrinsic data `x#`.
        index: usize,
    },
    /// A proof page (an element of `P(s)`) is not `E(↕J_6, ↕L_6)` padded with zeros, or does
    /// not fit the exports it is said to justify.
    #[error("malformed proof page {page}")]
    ProofPage {
        /// The page index.
        page: usize,
    },
    /// A proof page does not justify under the segments root.
    #[error("proof page {page} does not match the segments root")]
    ProofPageRoot {
        /// The page index.
        page: usize,
    },
    /// A segment does not match its justification and the segments root.
    #[error("segment {index} does not match the segments root")]
    SegmentRoot {
        /// The segment index in the exporting package.
        index: usize,
    },
    /// An import reference whose segments root is not known.
    #[error("no segments root known for import {import}")]
    UnknownRoot {
        /// Position in the bundle's imports `i#`.
        import: usize,
    },
    /// A segment index not below the export count.
    #[error("segment index {index} out of range ({count} exported)")]
    SegmentIndex {
        /// The index asked for.
        index: usize,
        /// The number of segments exported (or segments and proof pages stored).
        count: usize,
    },
    /// A shard index not below the validator count.
    #[error("shard index {index} out of range ({validators} validators)")]
    ShardIndex {
        /// The index given.
        index: usize,
        /// `V`.
        validators: usize,
    },
    /// A shard or its justification does not lead to the erasure root.
    #[error("shard {index} does not match erasure root {root:02x?}")]
    Justification {
        /// The shard index.
        index: usize,
        /// The erasure root.
        root: Hash,
    },
    /// A shard list whose shape does not fit (segment shards of the wrong size, a count that
    /// differs from the export count, ...).
    #[error("malformed shards: {0}")]
    Shape(&'static str),
    /// The reconstructed data does not re-encode to the erasure root.
    #[error("reconstructed data does not match the erasure root")]
    Mismatch,
    /// Nothing stored under this erasure root and shard index.
    #[error("no shards stored for this erasure root and shard index")]
    NotFound,
}
