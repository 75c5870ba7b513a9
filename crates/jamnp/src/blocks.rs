//! UP 0 (block announcement) and CE 128 (block request).

use marmalade_codec::{Decode, Encode, Reader};
use marmalade_types::{Block, ChainSpec, Header, HeaderHash, TimeSlot};

use crate::limits::{max_block, max_header, HASH};
use crate::message::{codec_message, decode_to_end};
use crate::{Message, Result};

/// `Header Hash ++ Slot`: a block named by hash and slot, the `Final` (latest finalized block)
/// and each `Leaf` of UP 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct HashSlot {
    /// The header hash.
    pub hash: HeaderHash,
    /// The block's timeslot.
    pub slot: TimeSlot,
}

/// The size of a [`HashSlot`].
pub const HASH_SLOT: usize = HASH + 4;

/// UP 0 handshake, `Final ++ len++[Leaf]`: the latest finalized block and all known leaves
/// (descendants of it with no known children). Each side sends one first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Handshake {
    /// The latest finalized block.
    pub finalized: HashSlot,
    /// The known leaves.
    pub leaves: Vec<HashSlot>,
}

// JAMNP-S bounds the leaves by nothing; a handshake may be as large as an announcement
// (about 3,300 leaves on the full chain, 21 on tiny), which no honest node's fork count reaches.
codec_message!(Handshake, |spec| max_header(spec) + HASH_SLOT);

/// UP 0 announcement, `Header ++ Final`: a new block's header and the sender's latest
/// finalized block.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct BlockAnnouncement {
    /// The announced block's header.
    pub header: Header,
    /// The sender's latest finalized block.
    pub finalized: HashSlot,
}

codec_message!(BlockAnnouncement, |spec| max_header(spec) + HASH_SLOT);

/// CE 128 `Direction`, a single byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub enum Direction {
    /// 0: the response starts with a child of the given block, then a grandchild, and so on.
    #[codec(index = 0)]
    AscendingExclusive,
    /// 1: the response starts with the given block, then its parent, and so on.
    #[codec(index = 1)]
    DescendingInclusive,
}

/// CE 128 request, `Header Hash ++ Direction ++ Maximum Blocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct BlockRequest {
    /// The block the sequence starts from.
    pub hash: HeaderHash,
    /// Which way the sequence runs.
    pub direction: Direction,
    /// The most blocks the response may hold.
    pub max_blocks: u32,
}

codec_message!(BlockRequest, |spec| HASH + 1 + 4);

/// CE 128 response, `[Block]`: blocks back to back, their count implied by the message size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockResponse {
    /// The blocks, in the requested order.
    pub blocks: Vec<Block>,
}

impl BlockResponse {
    /// The largest response to a request for `max_blocks` blocks: that many of the largest
    /// block ([`max_block`]), saturating. [`Message::max_size`] is the bound for one block.
    pub fn max_size_for(spec: &ChainSpec, max_blocks: u32) -> usize {
        max_block(spec).saturating_mul(max_blocks as usize)
    }

    /// Decodes a response, refusing more than the `max_blocks` asked for.
    pub fn from_bytes_at_most(bytes: &[u8], spec: &ChainSpec, max_blocks: u32) -> Result<Self> {
        let mut r = Reader::new(bytes, spec.seq_lens());
        let blocks = decode_to_end(&mut r, "blocks", max_blocks as usize, |r| {
            Ok(Block::decode(r)?)
        })?;
        Ok(BlockResponse { blocks })
    }
}

impl Message for BlockResponse {
    fn max_size(spec: &ChainSpec) -> usize {
        max_block(spec)
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for b in &self.blocks {
            b.encode_to(out);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        // Every block takes well over one octet, so the input bounds the count.
        let blocks = decode_to_end(r, "blocks", usize::MAX, |r| Ok(Block::decode(r)?))?;
        Ok(BlockResponse { blocks })
    }
}
