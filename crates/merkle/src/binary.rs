//! Binary Merkle trees (GP §E.1, (E.1)–(E.7)): the node function `N`, the trace `T`, the well-balanced root
//! `M_B`, the constant-depth root `M` with its preprocessor `C`, and the paged justifications
//! `J_x` and leaf pages `L_x` used for segments.
//!
//! Every function takes the hash function `H: B → H` as a parameter, as the GP does (Blake2b-256
//! unless it says otherwise; Keccak-256 for the accumulation-output root). Interior nodes hash
//! `"node" ⌢ l ⌢ r`, constant-depth leaves `"leaf" ⌢ v` (the GP's `$node` and `$leaf`).

use marmalade_crypto::hash::Hash;

/// The prefix of an interior node's preimage (GP (E.1), `$node`).
pub const NODE_PREFIX: &[u8] = b"node";
/// The prefix of a constant-depth leaf's preimage (GP (E.7), `$leaf`).
pub const LEAF_PREFIX: &[u8] = b"leaf";

const ZERO_HASH: Hash = [0; 32];

/// A value of `N`: either an item itself (a sub-sequence of one item) or a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerkleNode<'a> {
    /// The single item of a one-item sub-sequence.
    Item(&'a [u8]),
    /// The hash of a longer (or empty) sub-sequence.
    Hash(Hash),
}

impl MerkleNode<'_> {
    /// The octets that a parent node hashes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            MerkleNode::Item(b) => b,
            MerkleNode::Hash(h) => h,
        }
    }

    /// An owned copy of the octets.
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

/// `H(prefix ⌢ a ⌢ b)`, on the stack when it fits.
#[inline]
fn hash3(prefix: &[u8], a: &[u8], b: &[u8], hash: &impl Fn(&[u8]) -> Hash) -> Hash {
    let len = prefix.len() + a.len() + b.len();
    if len <= 72 {
        let mut buf = [0u8; 72];
        buf[..prefix.len()].copy_from_slice(prefix);
        buf[prefix.len()..prefix.len() + a.len()].copy_from_slice(a);
        buf[prefix.len() + a.len()..len].copy_from_slice(b);
        hash(&buf[..len])
    } else {
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(prefix);
        buf.extend_from_slice(a);
        buf.extend_from_slice(b);
        hash(&buf)
    }
}

/// `N(v, H)` (GP (E.1)): the zero hash for no items, the item itself for one, otherwise
/// `H("node" ⌢ N(v[..⌈|v|/2⌉]) ⌢ N(v[⌈|v|/2⌉..]))`.
pub fn node<'a, T: AsRef<[u8]>>(v: &'a [T], hash: impl Fn(&[u8]) -> Hash) -> MerkleNode<'a> {
    node_ref(v, &hash)
}

fn node_ref<'a, T: AsRef<[u8]>>(v: &'a [T], hash: &impl Fn(&[u8]) -> Hash) -> MerkleNode<'a> {
    match v {
        [] => MerkleNode::Hash(ZERO_HASH),
        [x] => MerkleNode::Item(x.as_ref()),
        _ => {
            let (l, r) = v.split_at(v.len().div_ceil(2));
            let l = node_ref(l, hash);
            let r = node_ref(r, hash);
            MerkleNode::Hash(hash3(NODE_PREFIX, l.as_bytes(), r.as_bytes(), hash))
        }
    }
}

/// `T(v, i, H)` (GP (E.2)): the opposite node at each level, top to bottom, on the way to item
/// `i`. An index past the end follows the right-hand side.
pub fn trace<'a, T: AsRef<[u8]>>(
    v: &'a [T],
    index: usize,
    hash: impl Fn(&[u8]) -> Hash,
) -> Vec<MerkleNode<'a>> {
    let mut out = Vec::new();
    let (mut v, mut i) = (v, index);
    while v.len() > 1 {
        let half = v.len().div_ceil(2);
        let (l, r) = v.split_at(half);
        if i < half {
            out.push(node_ref(r, &hash));
            v = l;
        } else {
            out.push(node_ref(l, &hash));
            v = r;
            i -= half;
        }
    }
    out
}

/// `M_B(v, H)` (GP (E.3)): the well-balanced Merkle root; `H(v_0)` for a single item.
pub fn merkle_root_wb<T: AsRef<[u8]>>(leaves: &[T], hash: impl Fn(&[u8]) -> Hash) -> Hash {
    match leaves {
        [x] => hash(x.as_ref()),
        _ => match node_ref(leaves, &hash) {
            MerkleNode::Hash(h) => h,
            MerkleNode::Item(_) => unreachable!("N of zero or several items is a hash"),
        },
    }
}

/// The way down `N` (GP (E.1)) to item `index` of `count`: the trace length `|T(v, index)|`
/// (GP (E.2)) and, in bit `k`, whether the path goes right at depth `k` (item `index` is in
/// the second half `v[⌈|v|/2⌉..]` there). `None` for an index out of range.
fn wb_path(index: usize, count: usize) -> Option<(usize, u128)> {
    if index >= count {
        return None;
    }
    // A usize count halves at most 64 times: the bits fit a u128.
    let (mut len, mut i, mut depth, mut right) = (count, index, 0, 0u128);
    while len > 1 {
        let half = len.div_ceil(2);
        if i < half {
            len = half;
        } else {
            right |= 1 << depth;
            i -= half;
            len -= half;
        }
        depth += 1;
    }
    Some((depth, right))
}

/// `|T(v, index, H)|` (GP (E.2)) for `|v| = count`: the depth of item `index` in the
/// well-balanced tree; 0 for an index out of range.
pub fn trace_len(index: usize, count: usize) -> usize {
    wb_path(index, count).map_or(0, |(d, _)| d)
}

/// `M_B` (GP (E.3)) of `count` items of which `leaf` is item `index`, from its trace
/// `T(v, index, H)` (GP (E.2), top to bottom): `H(leaf)` for a single item, else `N(v)` folded
/// up through the trace. `None` if the index or the trace's length does not fit `count`.
pub fn root_from_trace_wb<P: AsRef<[u8]>>(
    leaf: &[u8],
    index: usize,
    count: usize,
    proof: &[P],
    hash: impl Fn(&[u8]) -> Hash,
) -> Option<Hash> {
    let (depth, right) = wb_path(index, count)?;
    if depth != proof.len() {
        return None;
    }
    if depth == 0 {
        return Some(hash(leaf));
    }
    // The first fold takes the item's own octets, every later one a hash.
    let mut acc: Option<Hash> = None;
    for (k, sibling) in proof.iter().enumerate().rev() {
        let own: &[u8] = acc.as_ref().map_or(leaf, |h| h);
        acc = Some(if right >> k & 1 == 1 {
            hash3(NODE_PREFIX, sibling.as_ref(), own, &hash)
        } else {
            hash3(NODE_PREFIX, own, sibling.as_ref(), &hash)
        });
    }
    acc
}

/// Checks that `leaf` is item `index` of `count` items under the well-balanced root `root`,
/// given the trace `T(v, index, H)` as `proof`.
pub fn verify_wb<P: AsRef<[u8]>>(
    root: &Hash,
    leaf: &[u8],
    index: usize,
    count: usize,
    proof: &[P],
    hash: impl Fn(&[u8]) -> Hash,
) -> bool {
    root_from_trace_wb(leaf, index, count, proof, hash) == Some(*root)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WbRef {
    Empty,
    Leaf(usize),
    Inner(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct WbInner {
    hash: Hash,
    left: WbRef,
    right: WbRef,
}

/// The well-balanced tree `N` (GP (E.1)) over `n` items with every interior node kept, so that
/// each trace `T` (GP (E.2)) costs `O(log n)` rather than re-hashing the tree. The items stay
/// with the caller; [`WbTree::trace`] takes them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WbTree {
    inner: Vec<WbInner>,
    top: WbRef,
    count: usize,
    root: Hash,
}

impl WbTree {
    /// Builds the tree over `leaves`.
    pub fn new<T: AsRef<[u8]>>(leaves: &[T], hash: impl Fn(&[u8]) -> Hash) -> Self {
        let mut inner = Vec::with_capacity(leaves.len());
        let top = wb_build(leaves, 0, leaves.len(), &mut inner, &hash);
        let root = match top {
            WbRef::Empty => ZERO_HASH,
            WbRef::Leaf(i) => hash(leaves[i].as_ref()),
            WbRef::Inner(i) => inner[i].hash,
        };
        WbTree {
            inner,
            top,
            count: leaves.len(),
            root,
        }
    }

    /// `M_B(v, H)` (GP (E.3)).
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the tree has no items.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `T(v, i, H)` (GP (E.2)), top to bottom, where `leaves` are the items the tree was built
    /// over; empty for an index out of range or items of another number.
    pub fn trace<'a, T: AsRef<[u8]>>(
        &'a self,
        leaves: &'a [T],
        index: usize,
    ) -> Vec<MerkleNode<'a>> {
        let Some((depth, right)) =
            wb_path(index, self.count).filter(|_| leaves.len() == self.count)
        else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(depth);
        let mut node = self.top;
        for k in 0..depth {
            let WbRef::Inner(id) = node else { break };
            let n = &self.inner[id];
            let (other, next) = if right >> k & 1 == 1 {
                (n.left, n.right)
            } else {
                (n.right, n.left)
            };
            out.push(match other {
                WbRef::Empty => MerkleNode::Hash(ZERO_HASH),
                WbRef::Leaf(i) => MerkleNode::Item(leaves[i].as_ref()),
                WbRef::Inner(i) => MerkleNode::Hash(self.inner[i].hash),
            });
            node = next;
        }
        out
    }
}

/// The octets a parent hashes for a child: the item itself or the subtree's hash.
fn wb_bytes<'a, T: AsRef<[u8]>>(leaves: &'a [T], inner: &'a [WbInner], r: WbRef) -> &'a [u8] {
    match r {
        WbRef::Leaf(i) => leaves[i].as_ref(),
        WbRef::Inner(i) => &inner[i].hash,
        WbRef::Empty => &ZERO_HASH,
    }
}

/// Builds `N(leaves[lo..hi])`, pushing its interior nodes children first.
fn wb_build<T: AsRef<[u8]>>(
    leaves: &[T],
    lo: usize,
    hi: usize,
    inner: &mut Vec<WbInner>,
    hash: &impl Fn(&[u8]) -> Hash,
) -> WbRef {
    match hi - lo {
        0 => WbRef::Empty,
        1 => WbRef::Leaf(lo),
        n => {
            let mid = lo + n.div_ceil(2);
            let left = wb_build(leaves, lo, mid, inner, hash);
            let right = wb_build(leaves, mid, hi, inner, hash);
            let l = wb_bytes(leaves, inner, left);
            let r = wb_bytes(leaves, inner, right);
            let hash = hash3(NODE_PREFIX, l, r, hash);
            inner.push(WbInner { hash, left, right });
            WbRef::Inner(inner.len() - 1)
        }
    }
}

/// `⌈log2(max(1, n))⌉`: the depth of the constant-depth tree over `n` items.
pub fn cd_depth(n: usize) -> usize {
    n.max(1).next_power_of_two().trailing_zeros() as usize
}

/// `C(v, H)` (GP (E.7)): the items hashed as `H("leaf" ⌢ v_i)`, padded with zero hashes to the
/// next power of two (at least one).
pub fn constancy_preprocess<T: AsRef<[u8]>>(v: &[T], hash: impl Fn(&[u8]) -> Hash) -> Vec<Hash> {
    let n = v.len().max(1).next_power_of_two();
    let mut out = Vec::with_capacity(n);
    out.extend(v.iter().map(|x| hash3(LEAF_PREFIX, x.as_ref(), &[], &hash)));
    out.resize(n, ZERO_HASH);
    out
}

/// `M(v, H)` (GP (E.4)): the constant-depth Merkle root, `N(C(v, H), H)`.
pub fn merkle_root_cd<T: AsRef<[u8]>>(leaves: &[T], hash: impl Fn(&[u8]) -> Hash) -> Hash {
    CdTree::new(leaves, hash).root()
}

/// `J_0(v, i, H)`: the justification of item `i` in the constant-depth tree (GP (E.5) with
/// `x = 0`), top to bottom.
pub fn justification<T: AsRef<[u8]>>(
    leaves: &[T],
    index: usize,
    hash: impl Fn(&[u8]) -> Hash,
) -> Vec<Hash> {
    justification_paged(leaves, index, 0, hash)
}

/// `J_x(v, i, H)` (GP (E.5)): the path from the root down to page `i` of `2^x` leaves, top to
/// bottom, `max(0, ⌈log2(max(1, |v|))⌉ - x)` hashes.
pub fn justification_paged<T: AsRef<[u8]>>(
    leaves: &[T],
    page: usize,
    x: u32,
    hash: impl Fn(&[u8]) -> Hash,
) -> Vec<Hash> {
    CdTree::new(leaves, hash).justification_paged(page, x)
}

/// `L_x(v, i, H)` (GP (E.6)): the leaf hashes `H("leaf" ⌢ l)` of page `i` (the items
/// `2^x·i .. min(2^x·i + 2^x, |v|)`).
pub fn leaf_page<T: AsRef<[u8]>>(
    leaves: &[T],
    page: usize,
    x: u32,
    hash: impl Fn(&[u8]) -> Hash,
) -> Vec<Hash> {
    let start = (page << x).min(leaves.len());
    let end = (page.saturating_add(1) << x).min(leaves.len());
    leaves[start..end]
        .iter()
        .map(|l| hash3(LEAF_PREFIX, l.as_ref(), &[], &hash))
        .collect()
}

/// Checks item `leaf` at `index` of `count` items against a constant-depth root, given its
/// justification `J_0` (top to bottom).
pub fn verify_cd(
    root: &Hash,
    leaf: &[u8],
    index: usize,
    count: usize,
    proof: &[Hash],
    hash: impl Fn(&[u8]) -> Hash,
) -> bool {
    let leaf_hash = hash3(LEAF_PREFIX, leaf, &[], &hash);
    verify_paged(root, &[leaf_hash], index, 0, count, proof, hash)
}

/// Checks a page of leaf hashes (as `L_x` gives them) at page index `page` of a constant-depth
/// tree over `count` items against `root`, given the page's justification `J_x`.
pub fn verify_paged(
    root: &Hash,
    page_leaves: &[Hash],
    page: usize,
    x: u32,
    count: usize,
    proof: &[Hash],
    hash: impl Fn(&[u8]) -> Hash,
) -> bool {
    let depth = cd_depth(count);
    let x = (x as usize).min(depth);
    let page_size = 1usize << x;
    let start = page.checked_mul(page_size);
    let Some(start) = start.filter(|&s| s < count.max(1)) else {
        return false;
    };
    let expected_len = (count - start.min(count)).min(page_size);
    if page_leaves.len() != expected_len || proof.len() != depth - x {
        return false;
    }
    // The page's sub-tree root: its leaves padded with zero hashes to 2^x.
    let mut level: Vec<Hash> = page_leaves.to_vec();
    level.resize(page_size, ZERO_HASH);
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| hash3(NODE_PREFIX, &p[0], &p[1], &hash))
            .collect();
    }
    let mut acc = level[0];
    for (j, sibling) in proof.iter().rev().enumerate() {
        // Level j above the page: the side is bit j of the page index.
        acc = if (page >> j) & 1 == 1 {
            hash3(NODE_PREFIX, sibling, &acc, &hash)
        } else {
            hash3(NODE_PREFIX, &acc, sibling, &hash)
        };
    }
    acc == *root
}

/// A constant-depth Merkle tree with every level kept, for many justifications over the same
/// items (`O(log n)` each instead of re-hashing the tree per proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdTree {
    /// `levels[0]` is `C(v)`; `levels[j + 1][i] = H("node" ⌢ levels[j][2i] ⌢ levels[j][2i+1])`;
    /// the last level is the root alone.
    levels: Vec<Vec<Hash>>,
    count: usize,
}

impl CdTree {
    /// Builds the tree over `leaves`.
    pub fn new<T: AsRef<[u8]>>(leaves: &[T], hash: impl Fn(&[u8]) -> Hash) -> Self {
        let mut levels = vec![constancy_preprocess(leaves, &hash)];
        while levels.last().expect("non-empty").len() > 1 {
            let next = levels
                .last()
                .expect("non-empty")
                .chunks_exact(2)
                .map(|p| hash3(NODE_PREFIX, &p[0], &p[1], &hash))
                .collect();
            levels.push(next);
        }
        CdTree {
            levels,
            count: leaves.len(),
        }
    }

    /// `M(v, H)`.
    pub fn root(&self) -> Hash {
        self.levels.last().expect("non-empty")[0]
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the tree has no items.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The depth `⌈log2(max(1, |v|))⌉`.
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// `J_0(v, i, H)`.
    pub fn justification(&self, index: usize) -> Vec<Hash> {
        self.justification_paged(index, 0)
    }

    /// `J_x(v, i, H)`: siblings from the top down to the sub-tree of page `i` (`2^x` leaves).
    /// Pages past the end follow the right-hand side, as `T` does.
    pub fn justification_paged(&self, page: usize, x: u32) -> Vec<Hash> {
        let depth = self.depth();
        let x = (x as usize).min(depth);
        let leaf = page.checked_shl(x as u32).unwrap_or(usize::MAX);
        (x..depth)
            .rev()
            .map(|j| {
                let at = leaf.checked_shr(j as u32).unwrap_or(0);
                let level = &self.levels[j];
                if at >= level.len() {
                    // Past the end: T keeps going right, so the sibling is the last left node.
                    level[level.len() - 2]
                } else {
                    level[at ^ 1]
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_crypto::hash::{blake2b_256, keccak_256};
    use proptest::prelude::*;

    fn items(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| vec![i as u8; 1 + i % 40]).collect()
    }

    fn h3(p: &[u8], a: &[u8], b: &[u8]) -> Hash {
        blake2b_256(&[p, a, b].concat())
    }

    #[test]
    fn small_cases_by_hand() {
        let v = items(3);
        assert_eq!(merkle_root_wb::<Vec<u8>>(&[], blake2b_256), ZERO_HASH);
        assert_eq!(merkle_root_wb(&v[..1], blake2b_256), blake2b_256(&v[0]));
        assert_eq!(
            merkle_root_wb(&v[..2], blake2b_256),
            h3(b"node", &v[0], &v[1])
        );
        // Three items: the left half has two.
        assert_eq!(
            merkle_root_wb(&v, blake2b_256),
            h3(b"node", &h3(b"node", &v[0], &v[1]), &v[2])
        );
        // Constant depth: leaves hashed with "leaf", padded to 4 with zero hashes.
        let l: Vec<Hash> = v.iter().map(|x| h3(b"leaf", x, &[])).collect();
        assert_eq!(
            merkle_root_cd(&v, blake2b_256),
            h3(
                b"node",
                &h3(b"node", &l[0], &l[1]),
                &h3(b"node", &l[2], &ZERO_HASH)
            )
        );
        assert_eq!(merkle_root_cd::<Vec<u8>>(&[], blake2b_256), ZERO_HASH);
        assert_eq!(merkle_root_cd(&v[..1], blake2b_256), l[0]);
        assert_eq!(
            justification(&v, 2, blake2b_256),
            vec![h3(b"node", &l[0], &l[1]), ZERO_HASH]
        );
        assert_eq!(
            trace(&v, 2, blake2b_256),
            vec![MerkleNode::Hash(h3(b"node", &v[0], &v[1]))]
        );
        assert_eq!(
            trace(&v, 1, blake2b_256),
            vec![MerkleNode::Item(&v[2]), MerkleNode::Item(&v[0])]
        );
    }

    #[test]
    fn wb_tree_agrees_with_n_and_t() {
        for n in [0usize, 1, 2, 3, 5, 6, 7, 64, 100, 1023] {
            let v = items(n);
            let t = WbTree::new(&v, blake2b_256);
            assert_eq!(t.root(), merkle_root_wb(&v, blake2b_256), "n = {n}");
            assert_eq!(t.len(), n);
            for i in (0..n).step_by(n / 7 + 1) {
                let tr = t.trace(&v, i);
                assert_eq!(tr, trace(&v, i, blake2b_256), "n = {n}, i = {i}");
                assert_eq!(
                    root_from_trace_wb(
                        &v[i],
                        i,
                        n,
                        &tr.iter().map(|x| x.to_vec()).collect::<Vec<_>>(),
                        blake2b_256
                    ),
                    Some(t.root())
                );
            }
            assert!(t.trace(&v, n).is_empty());
            assert!(t.trace(&v[..n / 2], 0).is_empty() || n == 0);
            assert_eq!(
                root_from_trace_wb::<Vec<u8>>(b"x", n, n, &[], blake2b_256),
                None
            );
        }
    }

    #[test]
    fn paged() {
        let v = items(70);
        let tree = CdTree::new(&v, blake2b_256);
        assert_eq!(tree.depth(), 7);
        for x in 0..8u32 {
            for page in 0..(70usize.div_ceil(1 << x)) {
                let j = justification_paged(&v, page, x, blake2b_256);
                assert_eq!(j.len(), 7 - x as usize);
                assert_eq!(j, tree.justification_paged(page, x));
                // J_x is a prefix of T(C(v), 2^x i).
                let c = constancy_preprocess(&v, blake2b_256);
                let t: Vec<Hash> = trace(&c, page << x, blake2b_256)
                    .iter()
                    .map(|n| n.as_bytes().try_into().unwrap())
                    .collect();
                assert_eq!(&t[..j.len()], &j[..]);
                let l = leaf_page(&v, page, x, blake2b_256);
                assert!(verify_paged(&tree.root(), &l, page, x, 70, &j, blake2b_256));
                assert!(
                    !verify_paged(&tree.root(), &l, page ^ 1, x, 70, &j, blake2b_256) || x == 7
                );
            }
        }
    }

    proptest! {
        #[test]
        fn proofs_verify(n in 1usize..80, pick in any::<prop::sample::Index>(), keccak in any::<bool>()) {
            let h = if keccak { keccak_256 } else { blake2b_256 };
            let v = items(n);
            let i = pick.index(n);
            let root = merkle_root_cd(&v, h);
            let j = justification(&v, i, h);
            prop_assert!(verify_cd(&root, &v[i], i, n, &j, h));
            prop_assert!(!verify_cd(&root, b"other", i, n, &j, h));
            let wb = merkle_root_wb(&v, h);
            let t: Vec<Vec<u8>> = trace(&v, i, h).iter().map(|x| x.to_vec()).collect();
            prop_assert!(verify_wb(&wb, &v[i], i, n, &t, h));
            prop_assert_eq!(t.len(), trace_len(i, n));
            let tree = WbTree::new(&v, h);
            prop_assert_eq!(tree.root(), wb);
            prop_assert_eq!(tree.trace(&v, i), trace(&v, i, h));
            prop_assert!(!verify_wb(&wb, b"other", i, n, &t, h));
            if n > 1 {
                prop_assert!(!verify_wb(&wb, &v[i], (i + 1) % n, n, &t, h) || v[i] == v[(i + 1) % n]);
            }
        }
    }
}
