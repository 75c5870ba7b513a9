//! Data availability for JAM (GP section 14.3–14.4, appendix H; JAMNP-S CE 137–140).
//!
//! - [`segments`]: the exports root `M(s)` (GP (E.4)), the paged proofs `P(s)` (GP (14.11)) and
//!   the import justifications `J_0` (GP (14.15)) derived from them.
//! - [`bundle`]: the auditable work-package bundle `E(p, x#, i#, j#)` (GP (14.16)).
//! - [`availability`](mod@availability): the availability specifier `A(h, b, s)` (GP (14.17)): the erasure root
//!   and each validator's shards with their justifications (JAMNP-S CE 137), and the checks of
//!   shards against an erasure root (CE 137, 138, 140).
//! - [`reconstruct`]: bundles and segments rebuilt from any `K` validators' shards (GP (H.5)).
//! - [`store`]: the assurer's shard store, keyed by (erasure root, shard index), with the GP's
//!   retention rules.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod availability;
pub mod bundle;
mod error;
pub mod reconstruct;
pub mod segments;
pub mod store;

pub use availability::{
    availability, bundle_shard_justification, erasure_params, segment_shard_justification,
    verify_bundle_shard, verify_segment_shard, verify_shards, Availability, JustificationStep,
    ShardSeq, ValidatorShards,
};
pub use bundle::{decode_bundle, encode_bundle, Bundle};
pub use error::DaError;
pub use reconstruct::{
    reconstruct_bundle, reconstruct_bundle_justified, reconstruct_imports, reconstruct_segments,
    segment_request,
};
pub use segments::{
    import_justification, paged_proofs, proof_page_index, segments_root, verify_import, ProofPage,
};
pub use store::{
    audit_cutoff, segment_cutoff, DaStore, Justified, MemoryDaStore, SEGMENT_RETENTION_EPOCHS,
};
