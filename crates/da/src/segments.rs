//! Exported segments: the segments root, the paged proofs and import justifications.
//!
//! The exports of a work-package are committed to by the constant-depth Merkle root
//! `e = M(s)` (GP (14.17), `M` of GP (E.4), Blake2b). An imported segment `s_n` is justified by
//! `J_0(s, n)` (GP (14.15)), the co-path from the root down to its leaf. Since importers do not
//! hold every exported segment, the exporter also makes available the paged proofs `P(s)`
//! (GP (14.11)): for every page of 64 segments, `E(↕J_6(s, i), ↕L_6(s, i))` zero-padded to
//! `W_G`, from which `J_0` of any segment in the page is derived ([`import_justification`]).

use marmalade_codec::{decode_natural, encode_natural, Reader, SeqLens};
use marmalade_crypto::hash::{blake2b_256_concat, Hash};
use marmalade_types::work::Segment;
use rayon::prelude::*;

use crate::DaError;
use marmalade_types::constants::SEGMENT_SIZE;

/// `x = 6`: a proof page covers `2^6 = 64` segments (GP (14.11)).
pub const PAGE_LOG2: u32 = 6;
/// The number of segments a proof page covers.
pub const PAGE_SIZE: usize = 1 << PAGE_LOG2;

const ZERO_HASH: Hash = [0; 32];

/// `H("node" ⌢ l ⌢ r)` (GP (E.1)).
#[inline]
fn node_hash(l: &[u8], r: &[u8]) -> Hash {
    blake2b_256_concat(&[b"node", l, r])
}

/// `H("leaf" ⌢ v)` (GP (E.7), `C`).
#[inline]
fn leaf_hash(v: &[u8]) -> Hash {
    blake2b_256_concat(&[b"leaf", v])
}

/// `⌈log2(max(1, n))⌉`: the depth of the constant-depth tree over `n` items.
pub fn depth(count: usize) -> usize {
    count.max(1).next_power_of_two().trailing_zeros() as usize
}

/// The levels of the constant-depth tree (GP (E.4)) over `leaves`, a power of two of hashes:
/// `leaves` first, each next level `H("node" ⌢ l ⌢ r)` of pairs, the root alone last.
fn levels_over(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut levels = vec![leaves];
    while let Some(last) = levels.last().filter(|l| l.len() > 1) {
        let next = last
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
        levels.push(next);
    }
    levels
}

/// The constant-depth tree over the exports, every level kept: `levels[0] = C(s)` (GP (E.7)),
/// the last level the root alone. Leaves are hashed on the rayon pool (12 MiB of segments).
pub(crate) struct SegmentsTree {
    levels: Vec<Vec<Hash>>,
    count: usize,
}

impl SegmentsTree {
    pub(crate) fn new(segments: &[Segment]) -> Self {
        let n = segments.len().max(1).next_power_of_two();
        let mut leaves: Vec<Hash> = segments.par_iter().map(|s| leaf_hash(&s[..])).collect();
        leaves.resize(n, ZERO_HASH);
        SegmentsTree {
            levels: levels_over(leaves),
            count: segments.len(),
        }
    }

    /// `M(s)` (GP (E.4)).
    pub(crate) fn root(&self) -> Hash {
        self.levels[self.levels.len() - 1][0]
    }

    fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// `J_x(s, page)` (GP (E.5)) for an existing page: siblings from the top down to the
    /// page's subtree.
    fn justification(&self, page: usize, x: usize) -> Vec<Hash> {
        let x = x.min(self.depth());
        let leaf = page << x;
        (x..self.depth())
            .rev()
            .map(|j| self.levels[j][(leaf >> j) ^ 1])
            .collect()
    }

    /// `L_x(s, page)` (GP (E.6)): the leaf hashes of the page's items.
    fn page_leaves(&self, page: usize, x: usize) -> &[Hash] {
        let start = (page << x).min(self.count);
        let end = ((page + 1) << x).min(self.count);
        &self.levels[0][start..end]
    }

    /// `P(s)` (GP (14.11)).
    pub(crate) fn paged_proofs(&self) -> Vec<Segment> {
        let x = PAGE_LOG2 as usize;
        (0..self.count.div_ceil(PAGE_SIZE))
            .map(|i| {
                let mut seg: Segment = Box::new([0; SEGMENT_SIZE]);
                let mut enc = Vec::with_capacity(SEGMENT_SIZE);
                let j = self.justification(i, x);
                encode_natural(j.len() as u64, &mut enc);
                j.iter().for_each(|h| enc.extend_from_slice(h));
                let l = self.page_leaves(i, x);
                encode_natural(l.len() as u64, &mut enc);
                l.iter().for_each(|h| enc.extend_from_slice(h));
                // At most 2 + 32·(12 - 6) + 32·64 octets for the 2^16 exports indices allow.
                seg[..enc.len()].copy_from_slice(&enc);
                seg
            })
            .collect()
    }
}

/// The segments root `M(s)` of exported segments (GP (14.17) `e`, with `M` the constant-depth
/// root of GP (E.4) over Blake2b): the zero hash for no segments.
pub fn segments_root(segments: &[Segment]) -> Hash {
    SegmentsTree::new(segments).root()
}

/// `P(s)` (GP (14.11)): one segment per page of 64 exports,
/// `P_{W_G}(E(↕J_6(s, i), ↕L_6(s, i)))` for `i ∈ N_{⌈|s|/64⌉}`.
pub fn paged_proofs(segments: &[Segment]) -> Vec<Segment> {
    SegmentsTree::new(segments).paged_proofs()
}

/// `J_0(s, n)` computed from all the segments (GP (14.15)): the co-path of segment `n` from the
/// segments root, top to bottom. `None` if `n` is out of range.
pub fn justification(segments: &[Segment], index: usize) -> Option<Vec<Hash>> {
    (index < segments.len()).then(|| SegmentsTree::new(segments).justification(index, 0))
}

/// The index, among the segments and proof pages erasure-coded together (`s ⌢ P(s)`), of the
/// proof page that justifies export `index` of `exports_count`.
pub fn proof_page_index(index: usize, exports_count: usize) -> usize {
    exports_count + index / PAGE_SIZE
}

/// One decoded element of `P(s)`: `J_6(s, i)` and `L_6(s, i)` (GP (14.11)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPage {
    /// `J_6(s, i)`: the co-path from the root down to the page's subtree, top to bottom.
    pub subtree_path: Vec<Hash>,
    /// `L_6(s, i)`: the `H("leaf" ⌢ s_j)` of the page's segments.
    pub leaves: Vec<Hash>,
}

impl ProofPage {
    /// Decodes page `page` of the paged proofs of `exports_count` exports, checking that its
    /// lengths are those `P` gives and that the padding is zero.
    pub fn decode(bytes: &[u8], page: usize, exports_count: usize) -> Result<Self, DaError> {
        let bad = DaError::ProofPage { page };
        if page >= exports_count.div_ceil(PAGE_SIZE) {
            return Err(bad);
        }
        let d = depth(exports_count);
        let path_len = d.saturating_sub(PAGE_LOG2 as usize);
        let leaves_len = (exports_count - page * PAGE_SIZE).min(PAGE_SIZE);
        let mut r = Reader::new(bytes, SeqLens::TINY);
        let mut hashes = |want: usize| -> Result<Vec<Hash>, DaError> {
            let n = decode_natural(&mut r).map_err(|_| bad.clone())?;
            if n != want as u64 {
                return Err(bad.clone());
            }
            (0..want)
                .map(|_| r.take_array::<32>().map_err(|_| bad.clone()))
                .collect()
        };
        let subtree_path = hashes(path_len)?;
        let leaves = hashes(leaves_len)?;
        if r.rest().iter().any(|&b| b != 0) {
            return Err(bad);
        }
        Ok(ProofPage {
            subtree_path,
            leaves,
        })
    }

    /// The root of the page's subtree: its leaves padded with zero hashes to
    /// `2^min(6, depth)` (the padding of `C`, GP (E.7)).
    fn subtree_levels(&self, exports_count: usize) -> Vec<Vec<Hash>> {
        let size = 1usize << depth(exports_count).min(PAGE_LOG2 as usize);
        let mut level = self.leaves.clone();
        level.resize(size, ZERO_HASH);
        levels_over(level)
    }

    /// Whether this is page `page` of the exports committed to by `root`.
    pub fn verify(&self, root: &Hash, page: usize, exports_count: usize) -> bool {
        let levels = self.subtree_levels(exports_count);
        fold_cd(levels[levels.len() - 1][0], page, &self.subtree_path) == *root
    }

    /// `J_0(s, n)` of export `index` (which must lie in this page): `J_6` followed by the path
    /// inside the page.
    pub fn justification(&self, index: usize, exports_count: usize) -> Option<Vec<Hash>> {
        let at = index % PAGE_SIZE;
        if index >= exports_count || at >= self.leaves.len() {
            return None;
        }
        let levels = self.subtree_levels(exports_count);
        let inner = (0..levels.len() - 1)
            .rev()
            .map(|j| levels[j][(at >> j) ^ 1]);
        Some(self.subtree_path.iter().copied().chain(inner).collect())
    }
}

/// Folds a constant-depth co-path (top to bottom) up from the node `acc` at position `index`
/// of its level.
fn fold_cd(mut acc: Hash, index: usize, path: &[Hash]) -> Hash {
    for (j, sibling) in path.iter().rev().enumerate() {
        acc = if (index >> j) & 1 == 1 {
            node_hash(sibling, &acc)
        } else {
            node_hash(&acc, sibling)
        };
    }
    acc
}

/// `J_0(s, n)` (GP (14.15)) of export `index` of `exports_count`, derived from its proof page
/// (the element `index / 64` of `P(s)`, as reconstructed from the D³L), after checking the page
/// against the segments root.
pub fn import_justification(
    root: &Hash,
    page: &[u8],
    index: usize,
    exports_count: usize,
) -> Result<Vec<Hash>, DaError> {
    if index >= exports_count {
        return Err(DaError::SegmentIndex {
            index,
            count: exports_count,
        });
    }
    let p = index / PAGE_SIZE;
    let decoded = ProofPage::decode(page, p, exports_count)?;
    if !decoded.verify(root, p, exports_count) {
        return Err(DaError::ProofPageRoot { page: p });
    }
    decoded
        .justification(index, exports_count)
        .ok_or(DaError::ProofPage { page: p })
}

/// Whether `segment` is item `index` under the segments root `root`, given `J_0` (top to
/// bottom; its length is the tree's depth). This is the check a bundle's import justification
/// must pass (GP (14.15)).
pub fn verify_import(root: &Hash, segment: &[u8], index: usize, justification: &[Hash]) -> bool {
    if justification.len() < usize::BITS as usize && index >> justification.len() != 0 {
        return false;
    }
    fold_cd(leaf_hash(segment), index, justification) == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_crypto::hash::blake2b_256;
    use marmalade_merkle::binary as mb;

    pub(crate) fn segs(n: usize, seed: u8) -> Vec<Segment> {
        (0..n)
            .map(|i| {
                let mut s: Segment = Box::new([0; SEGMENT_SIZE]);
                for (j, b) in s.iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(31) ^ (j as u8) ^ seed;
                }
                s
            })
            .collect()
    }

    #[test]
    fn root_agrees_with_merkle_crate() {
        for n in [0, 1, 2, 3, 63, 64, 65, 130, 200] {
            let s = segs(n, 1);
            let sl: Vec<&[u8]> = s.iter().map(|x| &x[..]).collect();
            let root = segments_root(&s);
            assert_eq!(root, mb::merkle_root_cd(&sl, blake2b_256), "n = {n}");
            for i in [0, n / 2, n.saturating_sub(1)] {
                if i < n {
                    let j = justification(&s, i).unwrap();
                    assert_eq!(j, mb::justification(&sl, i, blake2b_256));
                    assert!(verify_import(&root, &s[i][..], i, &j));
                    assert!(!verify_import(&root, &s[(i + 1) % n][..], i, &j) || n == 1);
                }
            }
        }
        // No exports: the root of no segments is N(C([])) = N([H_0]) = H_0.
        assert_eq!(segments_root(&[]), [0; 32]);
    }

    #[test]
    fn paged_proofs_by_the_definition() {
        for n in [1, 2, 63, 64, 65, 129, 300] {
            let s = segs(n, 2);
            let sl: Vec<&[u8]> = s.iter().map(|x| &x[..]).collect();
            let pages = paged_proofs(&s);
            assert_eq!(pages.len(), n.div_ceil(64));
            let root = segments_root(&s);
            for (i, page) in pages.iter().enumerate() {
                // E(↕J_6, ↕L_6) with the merkle crate's J_x and L_x, zero-padded.
                let j = mb::justification_paged(&sl, i, 6, blake2b_256);
                let l = mb::leaf_page(&sl, i, 6, blake2b_256);
                let mut enc = Vec::new();
                encode_natural(j.len() as u64, &mut enc);
                j.iter().for_each(|h| enc.extend_from_slice(h));
                encode_natural(l.len() as u64, &mut enc);
                l.iter().for_each(|h| enc.extend_from_slice(h));
                enc.resize(SEGMENT_SIZE, 0);
                assert_eq!(&page[..], &enc[..], "n = {n}, page {i}");
                let p = ProofPage::decode(&page[..], i, n).unwrap();
                assert!(p.verify(&root, i, n));
                for k in (i * 64..((i + 1) * 64).min(n)).step_by(7) {
                    let j0 = import_justification(&root, &page[..], k, n).unwrap();
                    assert_eq!(
                        j0,
                        mb::justification(&sl, k, blake2b_256),
                        "n = {n}, k = {k}"
                    );
                }
            }
            // A page of another export set fails against this root.
            let other = paged_proofs(&segs(n, 3));
            assert_eq!(
                import_justification(&root, &other[0][..], 0, n),
                Err(DaError::ProofPageRoot { page: 0 })
            );
        }
    }

    #[test]
    fn bad_pages_are_errors() {
        let s = segs(70, 4);
        let root = segments_root(&s);
        let pages = paged_proofs(&s);
        let mut bad = pages[0].clone();
        bad[SEGMENT_SIZE - 1] = 1;
        assert!(import_justification(&root, &bad[..], 0, 70).is_err());
        // A different export count changes the lengths the page must have (depth 8, not 7).
        assert!(import_justification(&root, &pages[0][..], 0, 200).is_err());
        assert!(import_justification(&root, &pages[0][..], 70, 70).is_err());
        assert!(import_justification(&root, &[0xff; 10], 0, 70).is_err());
        assert!(import_justification(&root, &[], 0, 70).is_err());
    }
}
