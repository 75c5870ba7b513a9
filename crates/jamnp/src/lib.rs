//! JAMNP-S, the JAM Simple Networking Protocol: the protocol messages, without a transport.
//!
//! - [`StreamKind`]: the byte that opens a stream (UP 0, CE 128–148), with
//!   [`StreamKind::from_byte`] refusing unknown kinds.
//! - Framing ([`frame`](mod@frame)): each message is its size as a little-endian `u32`, then its
//!   content; [`MessageReader`] decodes messages incrementally from stream chunks, refusing a
//!   size above the limit before allocating it.
//! - [`limits`]: the largest size of each message, from the Gray Paper's limits (and policy
//!   bounds where it has none, marked as such).
//! - The messages of every stream, each a type implementing [`Message`] (or with an inherent
//!   `from_bytes` where the decoding needs more context), encoded with the GP codec and the types of
//!   `marmalade-types` and `marmalade-da`:
//!
//! | stream | initiator sends | acceptor sends |
//! |---|---|---|
//! | UP 0 | [`Handshake`], then [`BlockAnnouncement`]s | the same |
//! | CE 128 | [`BlockRequest`] | [`BlockResponse`] |
//! | CE 129 | [`StateRequest`] | [`BoundaryNodes`], [`KeyValues`] |
//! | CE 131/132 | [`TicketDistribution`] | — |
//! | CE 133 | [`WorkPackageSubmission`], [`ExtrinsicData`] | — |
//! | CE 134 | [`CoreMappings`], [`WorkPackageBundle`] | [`SharingResponse`] |
//! | CE 135 | [`ReportGuarantee`](marmalade_types::ReportGuarantee) | — |
//! | CE 136 | [`WorkReportRequest`] | [`WorkReport`](marmalade_types::WorkReport) |
//! | CE 137 | [`ShardRequest`] | [`BundleShard`], [`SegmentShards`], [`Justification`] |
//! | CE 138 | [`ShardRequest`] | [`BundleShard`], [`Justification`] |
//! | CE 139 | [`SegmentShardRequest`] | [`SegmentShards`] |
//! | CE 140 | [`SegmentShardRequest`] | [`SegmentShards`], one [`Justification`] per shard ([`Justification::from_bytes_segment`]) |
//! | CE 141 | [`AssuranceDistribution`] | — |
//! | CE 142 | [`PreimageAnnouncement`] | — |
//! | CE 143 | [`PreimageRequest`] | [`PreimageResponse`] |
//! | CE 144 | [`AuditAnnouncement`], [`AuditEvidence`] | — |
//! | CE 145 | [`JudgmentPublication`], [`JudgmentGuarantee`] if invalid | — |
//! | CE 146 | [`CoreMappings`], [`WorkPackage`](marmalade_types::WorkPackage), [`ExtrinsicData`], [`Segments`], [`ImportProofs`] | — |
//! | CE 147 | [`BundleRequest`] | [`WorkPackageBundle`] |
//! | CE 148 | [`SegmentRequest`] | [`Segments`], [`ImportProofs`] |
//!
//! Sequences "implied by the message size" (`[Block]`, `[Boundary Node]`, `[Key ++ Value]`, the
//! bundle, shards, preimages, segments) carry no length prefix, as the JAMNP-S notation says.
//! typeberry 0.11 departs from this in CE 129 (it length-prefixes both response lists) and
//! CE 134 (it length-prefixes the bundle); this crate follows the spec text.
//!
//! Every decoder is total: bad input gives an [`Error`], never a panic, and nothing is allocated
//! beyond what the input holds. The stream rules (who sends what when, FIN, resets) belong to the
//! transport and the node.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod blocks;
mod error;
pub mod frame;
mod kind;
pub mod limits;
mod message;
pub mod shards;
pub mod state;
pub mod work;

pub use audit::{
    AssuranceDistribution, AuditAnnouncement, AuditEvidence, AuditedReport, JudgmentGuarantee,
    JudgmentPublication, NoShow, PreimageAnnouncement, PreimageRequest, PreimageResponse,
    ReportEvidence, TrancheAnnouncement,
};
pub use blocks::{BlockAnnouncement, BlockRequest, BlockResponse, Direction, Handshake, HashSlot};
pub use error::{Error, Result};
pub use frame::{encode_frame, MessageReader, SIZE_PREFIX};
pub use kind::StreamKind;
pub use message::Message;
pub use shards::{
    BundleShard, Justification, SegmentIndex, SegmentRequest, SegmentRequestItem,
    SegmentShardRequest, SegmentShardRequestItem, SegmentShards, ShardIndex, ShardRequest,
};
pub use state::{BoundaryNodes, KeyValue, KeyValues, StateKey, StateRequest, TrieNode};
pub use work::{
    BundleRequest, CoreMappings, ExtrinsicData, ImportProofs, Segments, SharingResponse,
    TicketDistribution, WorkPackageBundle, WorkPackageSubmission, WorkReportRequest,
};
