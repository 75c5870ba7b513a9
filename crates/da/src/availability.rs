//! The availability specifier `A` (GP (14.17)) and the shards it commits to.
//!
//! ```text
//! A(h, b, s) = (h, l: |b|, u, e: M(s), n: |s|)
//!   where u  = M_B([x₀ ⌢ x₁ | x ← ᵀ[b♣, s♣]])
//!         b♣ = H#(C_{⌈|b|/W_E⌉}(P_{W_E}(b)))
//!         s♣ = M_B#(ᵀC#_6(s ⌢ P(s)))
//! ```
//!
//! So validator `i` holds chunk `i` of the bundle (its "bundle shard") and chunk `i` of every
//! exported segment and proof page (its "segment shards"); the leaf of the erasure-root tree for
//! `i` is the 64 octets `H(bundle shard) ⌢ M_B(segment shards)`, and the tree is well-balanced,
//! leaves unhashed (GP (E.3)). JAMNP-S calls the co-path of that leaf the shard's justification:
//! `T(ᵀ[b♣, s♣], i, H)` for CE 137, the same with `M_B(segment shards)` appended for a bundle
//! shard (CE 138), and with `H(bundle shard) ⌢ T(segment shards, n, H)` appended for segment
//! shard `n` (CE 140).
//!
//! With no exports `s ⌢ P(s)` is empty, every validator's segment-shard sequence is empty and
//! its `M_B` is the zero hash (`N` of no items, GP (E.1)).

use marmalade_crypto::hash::{blake2b_256, Hash};
use marmalade_erasure::ErasureParams;
use marmalade_merkle::binary::{root_from_trace_wb, trace_len, MerkleNode, WbTree};
use marmalade_types::work::{AvailabilitySpec, Segment};
use marmalade_types::{ChainSpec, WorkPackageHash};
use rayon::prelude::*;

use crate::segments::SegmentsTree;
use crate::DaError;

/// The erasure code of a chain: `K = W_G / (2·W_P)` data chunks of `N = V` (GP appendix H; 342
/// of 1023 for the full chain, 2 of 6 for tiny). Its `2K = W_E`, the padding unit of `b♣`.
pub fn erasure_params(spec: &ChainSpec) -> Result<ErasureParams, DaError> {
    ErasureParams::from_chain(spec.validators, spec.segment_ec_pieces).map_err(DaError::Params)
}

/// One validator's segment shards: chunk `i` of each of `s ⌢ P(s)`, in that order, all of one
/// length (`2·W_G/(2K)` octets: 12 for the full chain), held in one buffer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShardSeq {
    bytes: Vec<u8>,
    shard_len: usize,
}

impl ShardSeq {
    /// The shards in `bytes`, each `shard_len` octets; `None` if the length does not divide.
    pub fn new(bytes: Vec<u8>, shard_len: usize) -> Option<Self> {
        let ok = if shard_len == 0 {
            bytes.is_empty()
        } else {
            bytes.len().is_multiple_of(shard_len)
        };
        ok.then_some(ShardSeq { bytes, shard_len })
    }

    /// The shards given one by one; `None` if they differ in length.
    pub fn from_shards<T: AsRef<[u8]>>(shards: &[T]) -> Option<Self> {
        let shard_len = shards.first().map_or(0, |s| s.as_ref().len());
        if shards.iter().any(|s| s.as_ref().len() != shard_len) {
            return None;
        }
        Some(ShardSeq {
            bytes: shards.iter().flat_map(|s| s.as_ref()).copied().collect(),
            shard_len,
        })
    }

    /// The number of shards.
    pub fn len(&self) -> usize {
        self.bytes.len().checked_div(self.shard_len).unwrap_or(0)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of each shard.
    pub fn shard_len(&self) -> usize {
        self.shard_len
    }

    /// Shard `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (i < self.len()).then(|| &self.bytes[i * self.shard_len..(i + 1) * self.shard_len])
    }

    /// The shards in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |i| &self.bytes[i * self.shard_len..(i + 1) * self.shard_len])
    }

    /// The shards as a list of slices.
    pub fn to_slices(&self) -> Vec<&[u8]> {
        self.iter().collect()
    }

    /// All shards back to back.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `M_B` of the shards (GP (E.3)): this validator's element of `s♣`.
    pub fn root(&self) -> Hash {
        marmalade_merkle::binary::merkle_root_wb(&self.to_slices(), blake2b_256)
    }
}

/// One step of a shard justification as JAMNP-S encodes it: `0 ++ Hash`, `1 ++ Hash ++ Hash`
/// (a leaf of the erasure-root tree, `H(bundle shard) ⌢ M_B(segment shards)`) or
/// `2 ++ Segment Shard` (a single segment shard as a sibling in a segment-shard tree).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JustificationStep {
    /// A subtree's hash.
    Hash(Hash),
    /// A single erasure-root leaf: bundle-shard hash, segment-shards root.
    Leaf(Hash, Hash),
    /// A single segment shard.
    Shard(Vec<u8>),
}

impl JustificationStep {
    fn bytes(&self) -> Vec<u8> {
        match self {
            JustificationStep::Hash(h) => h.to_vec(),
            JustificationStep::Leaf(a, b) => [&a[..], &b[..]].concat(),
            JustificationStep::Shard(s) => s.clone(),
        }
    }

    fn from_top(n: MerkleNode<'_>) -> Self {
        match n {
            MerkleNode::Hash(h) => JustificationStep::Hash(h),
            MerkleNode::Item(b) => {
                let (a, c) = b.split_at(32);
                JustificationStep::Leaf(
                    a.try_into().expect("a leaf is 64 octets"),
                    c.try_into().expect("a leaf is 64 octets"),
                )
            }
        }
    }

    fn from_segment_tree(n: MerkleNode<'_>) -> Self {
        match n {
            MerkleNode::Hash(h) => JustificationStep::Hash(h),
            MerkleNode::Item(b) => JustificationStep::Shard(b.to_vec()),
        }
    }

    /// The JAMNP-S encoding of a justification: each step's discriminator and content, back to
    /// back (the message's end ends the list).
    pub fn encode_all(steps: &[JustificationStep]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in steps {
            match s {
                JustificationStep::Hash(h) => {
                    out.push(0);
                    out.extend_from_slice(h);
                }
                JustificationStep::Leaf(a, b) => {
                    out.push(1);
                    out.extend_from_slice(a);
                    out.extend_from_slice(b);
                }
                JustificationStep::Shard(x) => {
                    out.push(2);
                    out.extend_from_slice(x);
                }
            }
        }
        out
    }

    /// Decodes a JAMNP-S justification whose segment shards are `shard_len` octets.
    pub fn decode_all(mut bytes: &[u8], shard_len: usize) -> Result<Vec<Self>, DaError> {
        let bad = DaError::Shape("malformed justification");
        let mut out = Vec::new();
        while let Some((&tag, rest)) = bytes.split_first() {
            let len = match tag {
                0 => 32,
                1 => 64,
                2 => shard_len,
                _ => return Err(bad),
            };
            if rest.len() < len {
                return Err(bad);
            }
            let (body, rest) = rest.split_at(len);
            out.push(match tag {
                0 => JustificationStep::Hash(body.try_into().expect("32 octets")),
                1 => JustificationStep::Leaf(
                    body[..32].try_into().expect("32 octets"),
                    body[32..].try_into().expect("32 octets"),
                ),
                _ => JustificationStep::Shard(body.to_vec()),
            });
            bytes = rest;
        }
        Ok(out)
    }
}

/// What validator `i` is sent (JAMNP-S CE 137): its bundle shard, its segment shards and the
/// justification `T(ᵀ[b♣, s♣], i, H)` of its leaf under the erasure root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorShards {
    /// Chunk `i` of `C_{⌈|b|/W_E⌉}(P_{W_E}(b))`.
    pub bundle_shard: Vec<u8>,
    /// Chunk `i` of each of `s ⌢ P(s)`.
    pub segment_shards: ShardSeq,
    /// `T(ᵀ[b♣, s♣], i, H)`, top to bottom.
    pub justification: Vec<JustificationStep>,
}

impl ValidatorShards {
    /// `H(bundle shard) ⌢ M_B(segment shards)`: this validator's leaf of the erasure-root tree.
    pub fn leaf(&self) -> [u8; 64] {
        leaf(
            &blake2b_256(&self.bundle_shard),
            &self.segment_shards.root(),
        )
    }
}

fn leaf(bundle_hash: &Hash, segments_root: &Hash) -> [u8; 64] {
    let mut x = [0u8; 64];
    x[..32].copy_from_slice(bundle_hash);
    x[32..].copy_from_slice(segments_root);
    x
}

/// The availability specifier and every validator's shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// `A(h, b, s)` (GP (14.17)).
    pub spec: AvailabilitySpec,
    /// The shards of validator `i` at index `i`, `V` of them.
    pub shards: Vec<ValidatorShards>,
}

/// `A(h, b, s)` (GP (14.17)) with the shards it commits to: the bundle and `s ⌢ P(s)` erasure-coded
/// to `V` chunks each (GP (H.4); the segments in one batch per thread), `b♣` and `s♣`, the
/// erasure root `u`, the exports root `e = M(s)` and each validator's justification.
///
/// Fails only for a chain with no erasure code, a bundle longer than `2^32 - 1` octets or more
/// than `2^16 - 1` exports (the specifier's `l` and `n` are `E_4` and `E_2`).
pub fn availability(
    spec: &ChainSpec,
    package_hash: WorkPackageHash,
    bundle: &[u8],
    exports: &[Segment],
) -> Result<Availability, DaError> {
    let params = erasure_params(spec)?;
    let length = u32::try_from(bundle.len()).map_err(|_| DaError::Shape("bundle too long"))?;
    let exports_count =
        u16::try_from(exports.len()).map_err(|_| DaError::Shape("too many exports"))?;
    let v = params.total_shards();

    let ((bundle_chunks, b_club), segments) = rayon::join(
        || {
            let chunks = marmalade_erasure::encode_flat(params, bundle);
            let hashes: Vec<Hash> = (0..v)
                .into_par_iter()
                .map(|i| blake2b_256(&chunks[i]))
                .collect();
            (chunks, hashes)
        },
        || -> Result<_, DaError> {
            let tree = SegmentsTree::new(exports);
            let mut all: Vec<&Segment> = exports.iter().collect();
            let proofs = tree.paged_proofs();
            all.extend(proofs.iter());
            Ok((tree, segment_shards(params, &all)?))
        },
    );
    let (tree, seg_shards) = segments?;
    let s_club: Vec<Hash> = seg_shards.par_iter().map(ShardSeq::root).collect();

    let leaves: Vec<[u8; 64]> = b_club
        .iter()
        .zip(&s_club)
        .map(|(b, s)| leaf(b, s))
        .collect();
    let top = WbTree::new(&leaves, blake2b_256);
    let erasure_root = top.root();
    let shards = seg_shards
        .into_iter()
        .enumerate()
        .map(|(i, segment_shards)| ValidatorShards {
            bundle_shard: bundle_chunks[i].to_vec(),
            segment_shards,
            justification: top
                .trace(&leaves, i)
                .into_iter()
                .map(JustificationStep::from_top)
                .collect(),
        })
        .collect();
    Ok(Availability {
        spec: AvailabilitySpec {
            hash: package_hash,
            length,
            erasure_root,
            exports_root: tree.root(),
            exports_count,
        },
        shards,
    })
}

/// `ᵀC#_6(segments)`: validator `i`'s chunk of every segment, in segment order. The batch is split
/// across the rayon pool, one codec call per part.
fn segment_shards(params: ErasureParams, segments: &[&Segment]) -> Result<Vec<ShardSeq>, DaError> {
    let v = params.total_shards();
    let piece = params.chunk_len(marmalade_types::constants::SEGMENT_SIZE);
    let parts = rayon::current_num_threads().max(1);
    let per = segments.len().div_ceil(parts).max(1);
    let coded: Vec<Vec<marmalade_erasure::Chunks>> = segments
        .par_chunks(per)
        .map(|batch| {
            let batch: Vec<&[u8]> = batch.iter().map(|s| &s[..]).collect();
            marmalade_erasure::encode_segments(params, &batch)
        })
        .collect::<Result<_, _>>()?;
    let coded: Vec<&marmalade_erasure::Chunks> = coded.iter().flatten().collect();
    Ok((0..v)
        .into_par_iter()
        .map(|i| {
            let mut bytes = Vec::with_capacity(piece * coded.len());
            for c in &coded {
                bytes.extend_from_slice(&c[i]);
            }
            ShardSeq {
                bytes,
                shard_len: piece,
            }
        })
        .collect())
}

fn check_index(index: usize, validators: usize) -> Result<(), DaError> {
    if index >= validators {
        return Err(DaError::ShardIndex { index, validators });
    }
    Ok(())
}

/// Checks what an assurer receives over CE 137: the leaf `H(bundle shard) ⌢ M_B(segment shards)`
/// at `index` of `validators` folds up through the justification to the erasure root.
pub fn verify_shards(
    erasure_root: &Hash,
    index: usize,
    validators: usize,
    shards: &ValidatorShards,
) -> Result<(), DaError> {
    check_leaf(
        erasure_root,
        &shards.leaf(),
        index,
        validators,
        &shards.justification,
    )
}

/// `M_B` of `count` items from item `index` and its justification steps (top to bottom).
fn root_from_steps(
    leaf: &[u8],
    index: usize,
    count: usize,
    steps: &[JustificationStep],
) -> Option<Hash> {
    let path: Vec<Vec<u8>> = steps.iter().map(JustificationStep::bytes).collect();
    root_from_trace_wb(leaf, index, count, &path, blake2b_256)
}

/// Checks that the erasure-root leaf `leaf` of validator `index` folds up through `path` (the
/// CE 137 justification) to the erasure root.
fn check_leaf(
    erasure_root: &Hash,
    leaf: &[u8; 64],
    index: usize,
    validators: usize,
    path: &[JustificationStep],
) -> Result<(), DaError> {
    check_index(index, validators)?;
    match root_from_steps(leaf, index, validators, path) {
        Some(r) if r == *erasure_root => Ok(()),
        _ => Err(bad_justification(erasure_root, index)),
    }
}

/// The error of validator `index`'s shard whose justification does not lead to `erasure_root`.
fn bad_justification(erasure_root: &Hash, index: usize) -> DaError {
    DaError::Justification {
        index,
        root: *erasure_root,
    }
}

/// The CE 138 justification of a bundle shard: the CE 137 justification with the validator's
/// segment-shards root `M_B(segment shards)` appended.
pub fn bundle_shard_justification(
    ce137: &[JustificationStep],
    segment_shards_root: Hash,
) -> Vec<JustificationStep> {
    let mut j = ce137.to_vec();
    j.push(JustificationStep::Hash(segment_shards_root));
    j
}

/// The CE 140 justification of segment shard `n`: `j ⌢ [H(bundle shard)] ⌢ T(shards, n, H)`.
/// `None` if `n` is out of range.
pub fn segment_shard_justification(
    ce137: &[JustificationStep],
    bundle_shard_hash: Hash,
    shards: &ShardSeq,
    n: usize,
) -> Option<Vec<JustificationStep>> {
    (n < shards.len()).then(|| {
        let slices = shards.to_slices();
        let mut j = ce137.to_vec();
        j.push(JustificationStep::Hash(bundle_shard_hash));
        j.extend(
            marmalade_merkle::binary::trace(&slices, n, blake2b_256)
                .into_iter()
                .map(JustificationStep::from_segment_tree),
        );
        j
    })
}

/// Checks a bundle shard received over CE 138 against the erasure root: its justification is
/// the CE 137 co-path with the segment-shards root appended.
pub fn verify_bundle_shard(
    erasure_root: &Hash,
    index: usize,
    validators: usize,
    bundle_shard: &[u8],
    justification: &[JustificationStep],
) -> Result<(), DaError> {
    check_index(index, validators)?;
    let fail = bad_justification(erasure_root, index);
    let Some((JustificationStep::Hash(seg_root), top)) = justification.split_last() else {
        return Err(fail);
    };
    let leaf = leaf(&blake2b_256(bundle_shard), seg_root);
    check_leaf(erasure_root, &leaf, index, validators, top)
}

/// Checks segment shard `segment` (of the `exports_count + ⌈exports_count/64⌉` segments and
/// proof pages) of validator `index`, received over CE 140, against the erasure root.
pub fn verify_segment_shard(
    erasure_root: &Hash,
    index: usize,
    validators: usize,
    exports_count: usize,
    segment: usize,
    shard: &[u8],
    justification: &[JustificationStep],
) -> Result<(), DaError> {
    check_index(index, validators)?;
    let fail = bad_justification(erasure_root, index);
    let m = exports_count + exports_count.div_ceil(crate::segments::PAGE_SIZE);
    if segment >= m {
        return Err(DaError::SegmentIndex {
            index: segment,
            count: m,
        });
    }
    // The segment-shard trace is as deep as the well-balanced tree over m items; the bundle
    // shard's hash comes just above it.
    let seg_depth = trace_len(segment, m);
    if justification.len() < seg_depth + 1 {
        return Err(fail);
    }
    let (top, rest) = justification.split_at(justification.len() - seg_depth - 1);
    let (JustificationStep::Hash(bundle_hash), seg_path) = (&rest[0], &rest[1..]) else {
        return Err(fail);
    };
    let Some(seg_root) = root_from_steps(shard, segment, m, seg_path) else {
        return Err(fail);
    };
    check_leaf(
        erasure_root,
        &leaf(bundle_hash, &seg_root),
        index,
        validators,
        top,
    )
}
