//! Availability shards and segments: CE 137 (shard distribution), CE 138 (audit shard request),
//! CE 139/140 (segment shard request) and CE 148 (segment request).

use marmalade_codec::{Decode, Encode, Reader};
use marmalade_da::{JustificationStep, ShardSeq};
use marmalade_types::{ChainSpec, ErasureRoot, Hash};

use crate::limits::{
    max_bundle_shard, max_segment_justification, max_shard_justification, segment_shard, HASH,
    MAX_SEGMENT_REQUESTS, MAX_SEGMENT_SHARDS, MAX_SEGMENT_SHARD_REQUESTS,
};
use crate::message::{codec_message, decode_to_end, take_fixed_items};
use crate::{Error, Message, Result};

/// A shard index (JAMNP-S `Shard Index = u16`): validator `v` holds shard `(cR + v) mod V` of a
/// report of core `c`.
pub type ShardIndex = u16;

/// A segment's index in its exporting package (JAMNP-S `Segment Index = u16`).
pub type SegmentIndex = u16;

/// CE 137 and CE 138 request, `Erasure-Root ++ Shard Index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct ShardRequest {
    /// The report's erasure root.
    pub erasure_root: ErasureRoot,
    /// The shard asked for.
    pub shard_index: ShardIndex,
}

codec_message!(ShardRequest, |spec| HASH + 2);

/// `Bundle Shard = [u8]`: one validator's chunk of the erasure-coded bundle (GP (14.17)), the
/// whole message (CE 137 and CE 138 first response message).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BundleShard(pub Vec<u8>);

impl Message for BundleShard {
    fn max_size(spec: &ChainSpec) -> usize {
        max_bundle_shard(spec)
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        Ok(BundleShard(r.take(r.remaining())?.to_vec()))
    }
}

/// `[Segment Shard]`: segment shards of `2·W_P` octets each, count implied by the message size:
/// CE 137's second response message (all exported and proof-page shards of one index, at most
/// [`MAX_SEGMENT_SHARDS`]) and CE 139/140's first (the shards asked for, at most `2W_M`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SegmentShards(pub ShardSeq);

impl SegmentShards {
    /// The largest message of `count` shards.
    pub fn max_size_for(spec: &ChainSpec, count: usize) -> usize {
        count.saturating_mul(segment_shard(spec))
    }

    /// Decodes a message of at most `max_count` shards (CE 137: [`MAX_SEGMENT_SHARDS`];
    /// CE 139/140: the number requested).
    pub fn from_bytes_at_most(bytes: &[u8], spec: &ChainSpec, max_count: usize) -> Result<Self> {
        let mut r = Reader::new(bytes, spec.seq_lens());
        let len = segment_shard(spec);
        let bytes = take_fixed_items(&mut r, "segment shards", len, max_count)?;
        ShardSeq::new(bytes.to_vec(), len)
            .map(SegmentShards)
            .ok_or(Error::Invalid("segment shards"))
    }
}

impl Message for SegmentShards {
    /// The CE 139/140 bound, `2W_M` shards; it covers CE 137's [`MAX_SEGMENT_SHARDS`].
    fn max_size(spec: &ChainSpec) -> usize {
        Self::max_size_for(spec, MAX_SEGMENT_SHARD_REQUESTS.max(MAX_SEGMENT_SHARDS))
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
    }

    fn read_from(r: &mut Reader<'_>, spec: &ChainSpec) -> Result<Self> {
        let len = segment_shard(spec);
        let max = MAX_SEGMENT_SHARD_REQUESTS.max(MAX_SEGMENT_SHARDS);
        let bytes = take_fixed_items(r, "segment shards", len, max)?;
        ShardSeq::new(bytes.to_vec(), len)
            .map(SegmentShards)
            .ok_or(Error::Invalid("segment shards"))
    }
}

/// A shard justification, `[0 ++ Hash OR 1 ++ Hash ++ Hash OR 2 ++ Segment Shard]` (each
/// discriminator a single byte), top to bottom, the whole message: CE 137 and CE 138 use the
/// first two forms, CE 140 all three (a segment shard sibling in the segment-shard tree).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Justification(pub Vec<JustificationStep>);

impl Justification {
    fn decode_steps(
        r: &mut Reader<'_>,
        max_steps: usize,
        shard_len: Option<usize>,
    ) -> Result<Self> {
        let steps = decode_to_end(r, "justification steps", max_steps, |r| {
            Ok(match r.byte()? {
                0 => JustificationStep::Hash(r.take_array()?),
                1 => JustificationStep::Leaf(r.take_array()?, r.take_array()?),
                2 => match shard_len {
                    Some(len) => JustificationStep::Shard(r.take(len)?.to_vec()),
                    None => {
                        return Err(Error::Codec(marmalade_codec::Error::InvalidTag {
                            ty: "Justification",
                            tag: 2,
                        }))
                    }
                },
                tag => {
                    return Err(Error::Codec(marmalade_codec::Error::InvalidTag {
                        ty: "Justification",
                        tag,
                    }))
                }
            })
        })?;
        Ok(Justification(steps))
    }

    /// The largest CE 140 justification ([`max_segment_justification`]).
    pub fn max_segment_size(spec: &ChainSpec) -> usize {
        max_segment_justification(spec)
    }

    /// Decodes a CE 140 justification: the three forms, segment shards of `2·W_P` octets.
    pub fn from_bytes_segment(bytes: &[u8], spec: &ChainSpec) -> Result<Self> {
        let mut r = Reader::new(bytes, spec.seq_lens());
        // Every step takes at least 33 octets, so the bound on the size bounds the count.
        let max_steps = max_segment_justification(spec) / (1 + HASH);
        Self::decode_steps(&mut r, max_steps, Some(segment_shard(spec)))
    }
}

impl Message for Justification {
    /// The CE 137 / CE 138 bound; CE 140 has [`Justification::max_segment_size`].
    fn max_size(spec: &ChainSpec) -> usize {
        max_shard_justification(spec)
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&JustificationStep::encode_all(&self.0));
    }

    /// Decodes a CE 137 / CE 138 justification (hashes and leaves only).
    fn read_from(r: &mut Reader<'_>, spec: &ChainSpec) -> Result<Self> {
        let max_steps = max_shard_justification(spec) / (1 + HASH);
        Self::decode_steps(r, max_steps, None)
    }
}

/// One entry of a CE 139/140 request, `Erasure-Root ++ Shard Index ++ len++[Segment Index]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct SegmentShardRequestItem {
    /// The erasure root of the exporting package's report.
    pub erasure_root: ErasureRoot,
    /// The shard index held by the asked assurer.
    pub shard_index: ShardIndex,
    /// The segments whose shards are asked for.
    pub segment_indices: Vec<SegmentIndex>,
}

/// CE 139/140 request, `[Erasure-Root ++ Shard Index ++ len++[Segment Index]]`, count implied by
/// the message size; at most `2W_M` segment shards in all (JAMNP-S).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SegmentShardRequest(pub Vec<SegmentShardRequestItem>);

impl SegmentShardRequest {
    /// The number of segment shards asked for.
    pub fn shard_count(&self) -> usize {
        self.0.iter().map(|i| i.segment_indices.len()).sum()
    }
}

/// Reads `len++[Segment Index]`, counting the indices into `total` and refusing a total above
/// `max` before the list is allocated.
fn decode_indices(r: &mut Reader<'_>, total: &mut usize, max: usize) -> Result<Vec<SegmentIndex>> {
    let n = r.seq_len()?;
    *total = total.saturating_add(n);
    if *total > max {
        return Err(Error::TooMany {
            what: "segment indices",
            count: *total,
            max,
        });
    }
    Ok(marmalade_codec::decode_fixed_seq(r, n)?)
}

impl Message for SegmentShardRequest {
    fn max_size(_spec: &ChainSpec) -> usize {
        // Each entry: root, shard index, a prefix of at most 2 octets (2W_M < 2^14); each
        // index 2 octets. At most 2W_M entries (policy: one per index asked for).
        MAX_SEGMENT_SHARD_REQUESTS * (HASH + 2 + 2) + MAX_SEGMENT_SHARD_REQUESTS * 2
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for item in &self.0 {
            item.encode_to(out);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let max = MAX_SEGMENT_SHARD_REQUESTS;
        let mut total = 0;
        let items = decode_to_end(r, "segment shard requests", max, |r| {
            Ok(SegmentShardRequestItem {
                erasure_root: r.take_array()?,
                shard_index: ShardIndex::decode(r)?,
                segment_indices: decode_indices(r, &mut total, max)?,
            })
        })?;
        Ok(SegmentShardRequest(items))
    }
}

/// One entry of a CE 148 request, `Segments-Root ++ len++[Segment Index]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct SegmentRequestItem {
    /// The exporting package's segments root.
    pub segments_root: Hash,
    /// The segments asked for.
    pub segment_indices: Vec<SegmentIndex>,
}

/// CE 148 request, `[Segments-Root ++ len++[Segment Index]]`, count implied by the message size;
/// at most `W_M` segments in all (JAMNP-S). The response is [`Segments`](crate::Segments) then
/// [`ImportProofs`](crate::ImportProofs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SegmentRequest(pub Vec<SegmentRequestItem>);

impl SegmentRequest {
    /// The number of segments asked for.
    pub fn segment_count(&self) -> usize {
        self.0.iter().map(|i| i.segment_indices.len()).sum()
    }
}

impl Message for SegmentRequest {
    fn max_size(_spec: &ChainSpec) -> usize {
        // As CE 139 with `W_M` and no shard index.
        MAX_SEGMENT_REQUESTS * (HASH + 2) + MAX_SEGMENT_REQUESTS * 2
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for item in &self.0 {
            item.encode_to(out);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let max = MAX_SEGMENT_REQUESTS;
        let mut total = 0;
        let items = decode_to_end(r, "segment requests", max, |r| {
            Ok(SegmentRequestItem {
                segments_root: r.take_array()?,
                segment_indices: decode_indices(r, &mut total, max)?,
            })
        })?;
        Ok(SegmentRequest(items))
    }
}
