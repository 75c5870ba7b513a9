//! The well-balanced Merkle tree `N`/`M_B`/`T` (GP (E.1)–(E.3)) with its interior nodes kept,
//! so that every item's trace costs `O(log n)` rather than re-hashing the tree.

use marmalade_crypto::hash::{blake2b_256, Hash};
use marmalade_merkle::binary::MerkleNode;

use crate::segments::node_hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeRef {
    Empty,
    Leaf(usize),
    Inner(usize),
}

#[derive(Debug, Clone)]
struct Inner {
    hash: Hash,
    left: NodeRef,
    right: NodeRef,
}

/// `N(v, H)` over `n` items with every interior node remembered (Blake2b).
#[derive(Debug, Clone)]
pub(crate) struct WbTree {
    inner: Vec<Inner>,
    top: NodeRef,
    count: usize,
}

impl WbTree {
    pub(crate) fn new<T: AsRef<[u8]>>(leaves: &[T]) -> Self {
        let mut inner = Vec::with_capacity(leaves.len());
        let top = build(leaves, 0, leaves.len(), &mut inner);
        WbTree {
            inner,
            top,
            count: leaves.len(),
        }
    }

    /// `M_B(v)` (GP (E.3)): `H(v_0)` for one item, else `N(v)`.
    pub(crate) fn root<T: AsRef<[u8]>>(&self, leaves: &[T]) -> Hash {
        match self.top {
            NodeRef::Empty => [0; 32],
            NodeRef::Leaf(i) => blake2b_256(leaves[i].as_ref()),
            NodeRef::Inner(i) => self.inner[i].hash,
        }
    }

    /// `T(v, i)` (GP (E.2)), top to bottom; empty for an index out of range.
    pub(crate) fn trace<'a, T: AsRef<[u8]>>(
        &'a self,
        leaves: &'a [T],
        index: usize,
    ) -> Vec<MerkleNode<'a>> {
        let mut out = Vec::new();
        if index >= self.count {
            return out;
        }
        let (mut node, mut lo, mut len) = (self.top, 0usize, self.count);
        while let NodeRef::Inner(id) = node {
            let half = len.div_ceil(2);
            let n = &self.inner[id];
            let (other, next) = if index < lo + half {
                len = half;
                (n.right, n.left)
            } else {
                lo += half;
                len -= half;
                (n.left, n.right)
            };
            out.push(self.value(leaves, other));
            node = next;
        }
        out
    }

    fn value<'a, T: AsRef<[u8]>>(&'a self, leaves: &'a [T], r: NodeRef) -> MerkleNode<'a> {
        match r {
            NodeRef::Empty => MerkleNode::Hash([0; 32]),
            NodeRef::Leaf(i) => MerkleNode::Item(leaves[i].as_ref()),
            NodeRef::Inner(i) => MerkleNode::Hash(self.inner[i].hash),
        }
    }
}

fn build<T: AsRef<[u8]>>(leaves: &[T], lo: usize, hi: usize, inner: &mut Vec<Inner>) -> NodeRef {
    match hi - lo {
        0 => NodeRef::Empty,
        1 => NodeRef::Leaf(lo),
        n => {
            let mid = lo + n.div_ceil(2);
            let left = build(leaves, lo, mid, inner);
            let right = build(leaves, mid, hi, inner);
            let hash = node_hash(
                bytes_of(leaves, inner, left),
                bytes_of(leaves, inner, right),
            );
            inner.push(Inner { hash, left, right });
            NodeRef::Inner(inner.len() - 1)
        }
    }
}

/// The octets a parent hashes for a child: the item itself or the subtree's hash.
fn bytes_of<'a, T: AsRef<[u8]>>(leaves: &'a [T], inner: &'a [Inner], r: NodeRef) -> &'a [u8] {
    const ZERO: Hash = [0; 32];
    match r {
        NodeRef::Leaf(i) => leaves[i].as_ref(),
        NodeRef::Inner(i) => &inner[i].hash,
        NodeRef::Empty => &ZERO,
    }
}

/// Folds a well-balanced trace (top to bottom) up from `leaf`, item `index` of `count`:
/// the value `N` of the whole sequence, or `None` if the path does not fit `count`.
pub(crate) fn fold<P: AsRef<[u8]>>(
    leaf: &[u8],
    index: usize,
    count: usize,
    path: &[P],
) -> Option<Vec<u8>> {
    if index >= count {
        return None;
    }
    let mut sides = Vec::new();
    let (mut len, mut i) = (count, index);
    while len > 1 {
        let half = len.div_ceil(2);
        if i < half {
            sides.push(false);
            len = half;
        } else {
            sides.push(true);
            i -= half;
            len -= half;
        }
    }
    if sides.len() != path.len() {
        return None;
    }
    let mut acc = leaf.to_vec();
    for (right, sibling) in sides.iter().zip(path).rev() {
        let h = if *right {
            node_hash(sibling.as_ref(), &acc)
        } else {
            node_hash(&acc, sibling.as_ref())
        };
        acc = h.to_vec();
    }
    Some(acc)
}

/// `M_B` from a leaf and its trace: `H(leaf)` for a single item, else the folded `N`.
pub(crate) fn root_from_trace<P: AsRef<[u8]>>(
    leaf: &[u8],
    index: usize,
    count: usize,
    path: &[P],
) -> Option<Hash> {
    if count == 1 {
        return (index == 0 && path.is_empty()).then(|| blake2b_256(leaf));
    }
    fold(leaf, index, count, path).and_then(|v| v.try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_merkle::binary as mb;

    #[test]
    fn agrees_with_merkle_crate() {
        for n in [0usize, 1, 2, 3, 5, 6, 7, 64, 100, 1023] {
            let v: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 12 + i % 3]).collect();
            let t = WbTree::new(&v);
            assert_eq!(t.root(&v), mb::merkle_root_wb(&v, blake2b_256), "n = {n}");
            for i in (0..n).step_by(n / 7 + 1) {
                let tr = t.trace(&v, i);
                assert_eq!(tr, mb::trace(&v, i, blake2b_256), "n = {n}, i = {i}");
                let bytes: Vec<Vec<u8>> = tr.iter().map(|x| x.to_vec()).collect();
                assert_eq!(root_from_trace(&v[i], i, n, &bytes), Some(t.root(&v)));
                assert_ne!(root_from_trace(b"x", i, n, &bytes), Some(t.root(&v)));
            }
        }
    }
}
