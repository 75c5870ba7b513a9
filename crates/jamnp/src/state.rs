//! CE 129: state request.

use marmalade_codec::{Decode, Encode, Reader};
use marmalade_types::{ChainSpec, HeaderHash};

use crate::limits::{HASH, MAX_BLOB, MAX_BOUNDARY_NODES, STATE_KEY, TRIE_NODE};
use crate::message::{codec_message, decode_to_end, take_fixed_items};
use crate::{Message, Result};

/// A state key as CE 129 carries it: the first 31 octets (merklization ignores the last).
pub type StateKey = [u8; STATE_KEY];

/// A state-trie node as `B`/`L` return it (GP appendix D): 64 octets.
pub type TrieNode = [u8; TRIE_NODE];

/// CE 129 request, `Header Hash ++ Key (Start) ++ Key (End) ++ Maximum Size`: the key/value pairs
/// of the block's posterior state from `start` to at most `end` (both inclusive), at most
/// `max_size` octets of response unless a single pair is larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct StateRequest {
    /// The block whose posterior state is asked for.
    pub header_hash: HeaderHash,
    /// The first key of the range.
    pub start: StateKey,
    /// The last key of the range.
    pub end: StateKey,
    /// The most octets the response should take.
    pub max_size: u32,
}

codec_message!(StateRequest, |spec| HASH + 2 * STATE_KEY + 4);

/// CE 129 first response message, `[Boundary Node]`: the trie nodes on the paths from the root
/// to the start key and to the last key returned, parents first, 64 octets each (count implied by
/// the message size).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BoundaryNodes(pub Vec<TrieNode>);

impl Message for BoundaryNodes {
    fn max_size(_spec: &ChainSpec) -> usize {
        MAX_BOUNDARY_NODES * TRIE_NODE
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for n in &self.0 {
            out.extend_from_slice(n);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let bytes = take_fixed_items(r, "boundary nodes", TRIE_NODE, MAX_BOUNDARY_NODES)?;
        Ok(BoundaryNodes(
            bytes
                .chunks_exact(TRIE_NODE)
                .map(|c| {
                    let mut n = [0u8; TRIE_NODE];
                    n.copy_from_slice(c);
                    n
                })
                .collect(),
        ))
    }
}

/// `Key ++ Value`, `Value = len++[u8]`: one pair of a CE 129 response.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct KeyValue {
    /// The key's first 31 octets.
    pub key: StateKey,
    /// The value.
    pub value: Vec<u8>,
}

/// CE 129 second response message, `[Key ++ Value]`: pairs sorted by key, count implied by the
/// message size.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct KeyValues(pub Vec<KeyValue>);

/// The largest single pair: a key, a 5-octet length prefix and a value of at most
/// [`MAX_BLOB`] octets (policy: the GP bounds no storage value).
const MAX_PAIR: usize = STATE_KEY + 5 + MAX_BLOB;

impl KeyValues {
    /// The largest response to a request with maximum size `max_size`: the requested size, or
    /// one pair of the largest value if that is more (JAMNP-S lets a single pair exceed it).
    pub fn max_size_for(max_size: u32) -> usize {
        (max_size as usize).max(MAX_PAIR)
    }
}

impl Message for KeyValues {
    /// One pair of the largest value; [`KeyValues::max_size_for`] for a request's own bound.
    fn max_size(_spec: &ChainSpec) -> usize {
        MAX_PAIR
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for kv in &self.0 {
            kv.encode_to(out);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        // A pair takes at least 32 octets, so the input bounds the count.
        let pairs = decode_to_end(r, "key/value pairs", usize::MAX, |r| {
            Ok(KeyValue::decode(r)?)
        })?;
        if pairs.windows(2).any(|w| w[0].key >= w[1].key) {
            return Err(crate::Error::Invalid("key/value pairs not sorted by key"));
        }
        Ok(KeyValues(pairs))
    }
}
