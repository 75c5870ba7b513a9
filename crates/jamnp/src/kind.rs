//! Stream kinds: the byte a stream's initiator sends first.

use marmalade_types::ChainSpec;

use crate::audit::{
    AssuranceDistribution, AuditAnnouncement, AuditEvidence, JudgmentGuarantee,
    JudgmentPublication, PreimageAnnouncement, PreimageRequest, PreimageResponse,
};
use crate::blocks::{BlockAnnouncement, BlockRequest, BlockResponse, Handshake};
use crate::shards::{
    BundleShard, Justification, SegmentRequest, SegmentShardRequest, SegmentShards, ShardRequest,
};
use crate::state::{BoundaryNodes, KeyValues, StateRequest};
use crate::work::{
    BundleRequest, CoreMappings, ExtrinsicData, ImportProofs, Segments, SharingResponse,
    TicketDistribution, WorkPackageBundle, WorkPackageSubmission, WorkReportRequest,
};
use crate::{Error, Message, Result};
use marmalade_types::{ReportGuarantee, WorkPackage, WorkReport};

/// A JAMNP-S stream kind: Unique Persistent kinds are numbered from 0, Common Ephemeral kinds
/// from 128. The discriminant is the byte on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum StreamKind {
    /// UP 0: block announcement (handshake, then announcements, both ways).
    BlockAnnouncement = 0,
    /// CE 128: block request.
    BlockRequest = 128,
    /// CE 129: state request.
    StateRequest = 129,
    /// CE 131: Safrole ticket, generating validator to proxy.
    TicketToProxy = 131,
    /// CE 132: Safrole ticket, proxy to all current validators.
    TicketFromProxy = 132,
    /// CE 133: work-package submission (builder to guarantor).
    WorkPackageSubmission = 133,
    /// CE 134: work-package sharing (guarantor to guarantor).
    WorkPackageSharing = 134,
    /// CE 135: work-report distribution (guaranteed report to validators).
    WorkReportDistribution = 135,
    /// CE 136: work-report request.
    WorkReportRequest = 136,
    /// CE 137: shard distribution (assurer asks a guarantor for its shards).
    ShardDistribution = 137,
    /// CE 138: audit shard request (auditor asks an assurer for a bundle shard).
    AuditShardRequest = 138,
    /// CE 139: segment shard request, without justifications.
    SegmentShardRequest = 139,
    /// CE 140: segment shard request, with justifications.
    SegmentShardRequestJustified = 140,
    /// CE 141: assurance distribution.
    AssuranceDistribution = 141,
    /// CE 142: preimage announcement.
    PreimageAnnouncement = 142,
    /// CE 143: preimage request.
    PreimageRequest = 143,
    /// CE 144: audit announcement.
    AuditAnnouncement = 144,
    /// CE 145: judgment publication.
    JudgmentPublication = 145,
    /// CE 146: work-package bundle submission (builder to guarantor).
    BundleSubmission = 146,
    /// CE 147: bundle request (auditor asks a guarantor for a bundle).
    BundleRequest = 147,
    /// CE 148: segment request (segments with import proofs from a guarantor).
    SegmentRequest = 148,
}

impl StreamKind {
    /// Every kind JAMNP-S defines, in byte order.
    pub const ALL: [StreamKind; 21] = [
        StreamKind::BlockAnnouncement,
        StreamKind::BlockRequest,
        StreamKind::StateRequest,
        StreamKind::TicketToProxy,
        StreamKind::TicketFromProxy,
        StreamKind::WorkPackageSubmission,
        StreamKind::WorkPackageSharing,
        StreamKind::WorkReportDistribution,
        StreamKind::WorkReportRequest,
        StreamKind::ShardDistribution,
        StreamKind::AuditShardRequest,
        StreamKind::SegmentShardRequest,
        StreamKind::SegmentShardRequestJustified,
        StreamKind::AssuranceDistribution,
        StreamKind::PreimageAnnouncement,
        StreamKind::PreimageRequest,
        StreamKind::AuditAnnouncement,
        StreamKind::JudgmentPublication,
        StreamKind::BundleSubmission,
        StreamKind::BundleRequest,
        StreamKind::SegmentRequest,
    ];

    /// The kind named by a stream's first byte; [`Error::UnknownStreamKind`] for any other byte
    /// (the stream should then be reset).
    pub fn from_byte(byte: u8) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| *k as u8 == byte)
            .ok_or(Error::UnknownStreamKind(byte))
    }

    /// The byte that opens a stream of this kind.
    pub const fn to_byte(self) -> u8 {
        self as u8
    }

    /// Whether the kind is Unique Persistent (at most one per connection, opened by the
    /// connection's initiator); otherwise it is Common Ephemeral.
    pub const fn is_unique_persistent(self) -> bool {
        (self as u8) < 128
    }

    /// The largest message either side may send on a stream of this kind: the largest
    /// [`Message::max_size`] of its messages. A reader that knows which message comes next
    /// should use that message's (tighter) bound instead. For CE 128 this is one block, for
    /// CE 129 one value of the largest size: requests for more blocks or a larger response have
    /// [`BlockResponse::max_size_for`] and [`KeyValues::max_size_for`].
    pub fn max_message_size(self, spec: &ChainSpec) -> usize {
        let s = spec;
        let sizes: &[usize] = match self {
            Self::BlockAnnouncement => &[Handshake::max_size(s), BlockAnnouncement::max_size(s)],
            Self::BlockRequest => &[BlockRequest::max_size(s), BlockResponse::max_size(s)],
            Self::StateRequest => &[
                StateRequest::max_size(s),
                BoundaryNodes::max_size(s),
                KeyValues::max_size(s),
            ],
            Self::TicketToProxy | Self::TicketFromProxy => &[TicketDistribution::max_size(s)],
            Self::WorkPackageSubmission => {
                &[WorkPackageSubmission::max_size(s), ExtrinsicData::MAX_SIZE]
            }
            Self::WorkPackageSharing => &[
                CoreMappings::max_size(s),
                WorkPackageBundle::max_size(s),
                SharingResponse::max_size(s),
            ],
            Self::WorkReportDistribution => &[ReportGuarantee::max_size(s)],
            Self::WorkReportRequest => &[WorkReportRequest::max_size(s), WorkReport::max_size(s)],
            Self::ShardDistribution => &[
                ShardRequest::max_size(s),
                BundleShard::max_size(s),
                SegmentShards::max_size(s),
                Justification::max_size(s),
            ],
            Self::AuditShardRequest => &[
                ShardRequest::max_size(s),
                BundleShard::max_size(s),
                Justification::max_size(s),
            ],
            Self::SegmentShardRequest => {
                &[SegmentShardRequest::max_size(s), SegmentShards::max_size(s)]
            }
            Self::SegmentShardRequestJustified => &[
                SegmentShardRequest::max_size(s),
                SegmentShards::max_size(s),
                Justification::max_segment_size(s),
            ],
            Self::AssuranceDistribution => &[AssuranceDistribution::max_size(s)],
            Self::PreimageAnnouncement => &[PreimageAnnouncement::max_size(s)],
            Self::PreimageRequest => &[PreimageRequest::max_size(s), PreimageResponse::max_size(s)],
            Self::AuditAnnouncement => {
                &[AuditAnnouncement::max_size(s), AuditEvidence::max_size(1)]
            }
            Self::JudgmentPublication => &[
                JudgmentPublication::max_size(s),
                JudgmentGuarantee::max_size(s),
            ],
            Self::BundleSubmission => &[
                CoreMappings::max_size(s),
                WorkPackage::max_size(s),
                ExtrinsicData::MAX_SIZE,
                Segments::max_size(s),
                ImportProofs::max_size(s),
            ],
            Self::BundleRequest => &[BundleRequest::max_size(s), WorkPackageBundle::max_size(s)],
            Self::SegmentRequest => &[
                SegmentRequest::max_size(s),
                Segments::max_size(s),
                ImportProofs::max_size(s),
            ],
        };
        sizes.iter().copied().max().unwrap_or(0)
    }
}

/// `UP 0`, `CE 128`, ...: the spec's names, for logs.
impl std::fmt::Display for StreamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pattern = if self.is_unique_persistent() {
            "UP"
        } else {
            "CE"
        };
        write!(f, "{pattern} {}", self.to_byte())
    }
}

impl TryFrom<u8> for StreamKind {
    type Error = Error;
    fn try_from(byte: u8) -> Result<Self> {
        Self::from_byte(byte)
    }
}

impl From<StreamKind> for u8 {
    fn from(k: StreamKind) -> u8 {
        k as u8
    }
}
