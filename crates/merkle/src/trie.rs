//! State Merklization (GP §D.2, (D.3)–(D.6)): the binary Patricia Merkle trie `M_σ` over 31-octet keys.
//!
//! Every node is 64 octets and is identified by its Blake2b-256 hash; an empty (sub-)trie is
//! the zero hash. With `bits` most-significant-bit first (GP 3.7):
//!
//! - branch `B(l, r) = [0] ⌢ bits(l)[1..] ⌢ bits(r)`: the first octet is `l[0] & 0x7f`;
//! - embedded-value leaf (`|v| ≤ 32`) `L(k, v) = [1, 0] ⌢ bits(E_1(|v|))[2..] ⌢ bits(k) ⌢ bits(v)
//!   ⌢ [0, 0, ...]`: first octet `0x80 | |v|`, then the key, then the value zero-padded;
//! - regular leaf: first octet `0xc0`, then the key, then `H(v)`.
//!
//! `M(d)` (GP (D.6)) is the zero hash for no items, the leaf's hash for one, and otherwise the hash
//! of the branch whose left sub-trie holds the items whose next key bit is 0. A sub-trie of one
//! item is its leaf wherever it sits, so single-child branches occur only above sub-tries of two
//! or more items.
//!
//! [`state_root`] computes `M_σ` in one pass over sorted keys (splitting large sub-tries across
//! the rayon pool); [`Trie`] keeps the node hashes and re-hashes only the paths that changed. Both are generic over a [`Layout`]: [`Gp`] is the Gray
//! Paper 0.7.2 encoding used by every state root in the traces; [`LegacyLsb`] is the earlier
//! layout (least-significant bit first, header bits at the low end of the first octet) that the
//! `trie/trie.json` conformance vectors still use.

use std::borrow::Borrow;
use std::marker::PhantomData;

use marmalade_crypto::hash::{blake2b_256, Hash};

/// A state key: 31 octets (GP §D.1: the keys of `T(σ)` are `B_31`).
pub type Key = [u8; 31];

/// The identity of the empty trie (GP §D.2: the zero hash).
pub const EMPTY_ROOT: Hash = [0; 32];

/// A node encoding and bit order for the trie.
pub trait Layout {
    /// Bit `i` of `key`, in the order the trie descends (`i < 248`).
    fn bit(key: &Key, i: usize) -> bool;
    /// A key whose lexicographic octet order, read most-significant bit first, is the descent
    /// order of `key`. Must be an involution (applying it twice gives `key`).
    fn path_key(key: &Key) -> Key;
    /// The 64-octet branch node over two sub-trie identities (GP (D.3), `B`).
    fn branch(left: &Hash, right: &Hash) -> [u8; 64];
    /// The 64-octet leaf node of `key` and `value` (GP (D.4), `L`); hashes values over 32 octets.
    fn leaf(key: &Key, value: &[u8]) -> [u8; 64];
}

/// The Gray Paper 0.7.2 layout: bits most-significant first (GP (D.3), (D.4)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gp;

/// The earlier layout of the `trie.json` conformance vectors: bits least-significant first within
/// each octet, branch marker in bit 0 of the first octet, leaf header `0b01 | |v| << 2` for an
/// embedded value and `0b11` for a hashed one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegacyLsb;

#[inline(always)]
fn leaf_node(header_embedded: u8, header_hashed: u8, key: &Key, value: &[u8]) -> [u8; 64] {
    let mut n = [0u8; 64];
    n[1..32].copy_from_slice(key);
    if value.len() <= 32 {
        n[0] = header_embedded;
        n[32..32 + value.len()].copy_from_slice(value);
    } else {
        n[0] = header_hashed;
        n[32..].copy_from_slice(&blake2b_256(value));
    }
    n
}

#[inline(always)]
fn branch_node(mask: u8, left: &Hash, right: &Hash) -> [u8; 64] {
    let mut n = [0u8; 64];
    n[..32].copy_from_slice(left);
    n[0] &= mask;
    n[32..].copy_from_slice(right);
    n
}

#[inline(always)]
fn msb_bit(key: &Key, i: usize) -> bool {
    (key[i >> 3] >> (7 - (i & 7))) & 1 == 1
}

impl Layout for Gp {
    #[inline(always)]
    fn bit(key: &Key, i: usize) -> bool {
        msb_bit(key, i)
    }
    #[inline(always)]
    fn path_key(key: &Key) -> Key {
        *key
    }
    #[inline(always)]
    fn branch(left: &Hash, right: &Hash) -> [u8; 64] {
        branch_node(0x7f, left, right)
    }
    #[inline(always)]
    fn leaf(key: &Key, value: &[u8]) -> [u8; 64] {
        leaf_node(0x80 | value.len() as u8, 0xc0, key, value)
    }
}

impl Layout for LegacyLsb {
    #[inline(always)]
    fn bit(key: &Key, i: usize) -> bool {
        (key[i >> 3] >> (i & 7)) & 1 == 1
    }
    #[inline(always)]
    fn path_key(key: &Key) -> Key {
        key.map(u8::reverse_bits)
    }
    #[inline(always)]
    fn branch(left: &Hash, right: &Hash) -> [u8; 64] {
        branch_node(0xfe, left, right)
    }
    #[inline(always)]
    fn leaf(key: &Key, value: &[u8]) -> [u8; 64] {
        leaf_node(0b01 | (value.len() as u8) << 2, 0b11, key, value)
    }
}

/// `M_σ` (GP (D.5), (D.6)) with the Gray Paper layout: the state root of a set of key-value pairs.
///
/// Items may come in any order; if a key occurs more than once the last value wins.
pub fn state_root<K: Borrow<Key>, V: AsRef<[u8]> + Sync>(
    items: impl IntoIterator<Item = (K, V)>,
) -> Hash {
    state_root_with::<Gp, K, V>(items)
}

/// [`state_root`] with a chosen [`Layout`].
pub fn state_root_with<L: Layout, K: Borrow<Key>, V: AsRef<[u8]> + Sync>(
    items: impl IntoIterator<Item = (K, V)>,
) -> Hash {
    let mut v: Vec<(Key, V)> = items
        .into_iter()
        .map(|(k, v)| (L::path_key(k.borrow()), v))
        .collect();
    // Stable, so that among equal keys the last given stays last; keep that one.
    v.sort_by_key(|a| a.0);
    v.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            std::mem::swap(&mut later.1, &mut earlier.1);
            true
        } else {
            false
        }
    });
    subtrie_root::<L, V>(&v, 0)
}

/// Sub-tries with at least this many items hash their two halves on two threads.
const PARALLEL_MIN_ITEMS: usize = 1024;

/// `M` over items sorted by path key and distinct, all sharing their first `depth` bits.
fn subtrie_root<L: Layout, V: AsRef<[u8]> + Sync>(items: &[(Key, V)], depth: usize) -> Hash {
    match items {
        [] => EMPTY_ROOT,
        [(k, v)] => blake2b_256(&L::leaf(&L::path_key(k), v.as_ref())),
        _ => {
            let split = items.partition_point(|(k, _)| !msb_bit(k, depth));
            let (l, r) = items.split_at(split);
            let (left, right) = if l.len().min(r.len()) >= PARALLEL_MIN_ITEMS / 2 {
                rayon::join(
                    || subtrie_root::<L, V>(l, depth + 1),
                    || subtrie_root::<L, V>(r, depth + 1),
                )
            } else {
                (
                    subtrie_root::<L, V>(l, depth + 1),
                    subtrie_root::<L, V>(r, depth + 1),
                )
            };
            blake2b_256(&L::branch(&left, &right))
        }
    }
}

/// The first bit (in `L`'s descent order) where two distinct keys differ.
fn first_difference<L: Layout>(a: &Key, b: &Key) -> usize {
    let (a, b) = (L::path_key(a), L::path_key(b));
    let byte = a
        .iter()
        .zip(b.iter())
        .position(|(x, y)| x != y)
        .expect("keys differ");
    byte * 8 + (a[byte] ^ b[byte]).leading_zeros() as usize
}

// -------------------------------------------------------------------------------------------
// Incremental trie.

#[derive(Clone)]
struct LeafNode {
    key: Key,
    value: Vec<u8>,
    hash: Option<Hash>,
}

#[derive(Clone)]
struct BranchNode {
    children: [Node; 2],
    hash: Option<Hash>,
}

#[derive(Clone, Default)]
enum Node {
    #[default]
    Empty,
    Leaf(Box<LeafNode>),
    Branch(Box<BranchNode>),
}

/// An in-memory state trie that caches node hashes (GP §D.2).
///
/// `insert` and `remove` clear the cached hashes along the one path they touch; [`Trie::root`]
/// then re-hashes only those nodes, so updating `m` keys of an `n`-key trie costs about
/// `m · log2(n)` node hashes instead of the `2n` of a full [`state_root`]. The shape is always
/// the canonical one of GP (D.6): a branch holds at least two leaves below it, and a leaf moves up
/// when its sibling sub-trie empties, keeping its cached hash (a leaf's hash does not depend on
/// its depth).
///
/// ```
/// use marmalade_merkle::trie::{state_root, Trie};
/// let mut t = Trie::new();
/// t.insert([1; 31], vec![1, 2, 3]);
/// t.insert([2; 31], vec![0; 100]);
/// assert_eq!(t.root(), state_root([([1; 31], vec![1, 2, 3]), ([2; 31], vec![0; 100])]));
/// ```
pub struct Trie<L: Layout = Gp> {
    root: Node,
    len: usize,
    _layout: PhantomData<L>,
}

impl<L: Layout> Clone for Trie<L> {
    fn clone(&self) -> Self {
        Trie {
            root: self.root.clone(),
            len: self.len,
            _layout: PhantomData,
        }
    }
}

impl<L: Layout> Default for Trie<L> {
    fn default() -> Self {
        Trie {
            root: Node::Empty,
            len: 0,
            _layout: PhantomData,
        }
    }
}

impl<L: Layout> std::fmt::Debug for Trie<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trie").field("len", &self.len).finish()
    }
}

impl Trie<Gp> {
    /// An empty trie with the Gray Paper layout.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L: Layout> Trie<L> {
    /// An empty trie with layout `L`.
    pub fn with_layout() -> Self {
        Self::default()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        let mut node = &self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return None,
                Node::Leaf(l) => return (l.key == *key).then_some(l.value.as_slice()),
                Node::Branch(b) => {
                    node = &b.children[L::bit(key, depth) as usize];
                    depth += 1;
                }
            }
        }
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: Key, value: Vec<u8>) -> Option<Vec<u8>> {
        let old = Self::insert_at(&mut self.root, key, value, 0);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    fn insert_at(node: &mut Node, key: Key, value: Vec<u8>, depth: usize) -> Option<Vec<u8>> {
        match node {
            Node::Empty => {
                *node = Node::Leaf(Box::new(LeafNode {
                    key,
                    value,
                    hash: None,
                }));
                None
            }
            Node::Leaf(l) if l.key == key => {
                l.hash = None;
                Some(std::mem::replace(&mut l.value, value))
            }
            Node::Leaf(l) => {
                // Split: a branch where the keys first differ, under single-child branches for
                // the bits they share below `depth`.
                let at = first_difference::<L>(&l.key, &key);
                debug_assert!(at >= depth);
                let new_bit = L::bit(&key, at) as usize;
                let old = std::mem::take(node);
                let new = Node::Leaf(Box::new(LeafNode {
                    key,
                    value,
                    hash: None,
                }));
                let mut children = [Node::Empty, Node::Empty];
                children[new_bit] = new;
                children[1 - new_bit] = old;
                let mut sub = Node::Branch(Box::new(BranchNode {
                    children,
                    hash: None,
                }));
                for d in (depth..at).rev() {
                    let mut children = [Node::Empty, Node::Empty];
                    children[L::bit(&key, d) as usize] = sub;
                    sub = Node::Branch(Box::new(BranchNode {
                        children,
                        hash: None,
                    }));
                }
                *node = sub;
                None
            }
            Node::Branch(b) => {
                b.hash = None;
                let bit = L::bit(&key, depth) as usize;
                Self::insert_at(&mut b.children[bit], key, value, depth + 1)
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &Key) -> Option<Vec<u8>> {
        let old = Self::remove_at(&mut self.root, key, 0);
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    fn remove_at(node: &mut Node, key: &Key, depth: usize) -> Option<Vec<u8>> {
        match node {
            Node::Empty => None,
            Node::Leaf(l) => {
                if l.key != *key {
                    return None;
                }
                match std::mem::take(node) {
                    Node::Leaf(l) => Some(l.value),
                    _ => unreachable!(),
                }
            }
            Node::Branch(b) => {
                let bit = L::bit(key, depth) as usize;
                let old = Self::remove_at(&mut b.children[bit], key, depth + 1)?;
                b.hash = None;
                // Collapse a branch left with a single leaf (or nothing) into that leaf.
                let collapse = matches!(
                    &b.children,
                    [Node::Empty, Node::Leaf(_) | Node::Empty] | [Node::Leaf(_), Node::Empty]
                );
                if collapse {
                    let [l, r] = std::mem::take(&mut b.children);
                    *node = if matches!(l, Node::Empty) { r } else { l };
                }
                Some(old)
            }
        }
    }

    /// The root `M_σ` (GP (D.6)), re-hashing only the nodes changed since the last call.
    pub fn root(&mut self) -> Hash {
        Self::hash_of(&mut self.root)
    }

    fn hash_of(node: &mut Node) -> Hash {
        match node {
            Node::Empty => EMPTY_ROOT,
            Node::Leaf(l) => *l
                .hash
                .get_or_insert_with(|| blake2b_256(&L::leaf(&l.key, &l.value))),
            Node::Branch(b) => {
                if let Some(h) = b.hash {
                    return h;
                }
                let [left, right] = &mut b.children;
                let h = blake2b_256(&L::branch(&Self::hash_of(left), &Self::hash_of(right)));
                b.hash = Some(h);
                h
            }
        }
    }

    /// All key-value pairs, in the trie's descent order (ascending keys for [`Gp`]).
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &[u8])> + '_ {
        let mut stack = vec![&self.root];
        std::iter::from_fn(move || {
            while let Some(n) = stack.pop() {
                match n {
                    Node::Empty => {}
                    Node::Leaf(l) => return Some((&l.key, l.value.as_slice())),
                    Node::Branch(b) => {
                        stack.push(&b.children[1]);
                        stack.push(&b.children[0]);
                    }
                }
            }
            None
        })
    }
}

impl<L: Layout> FromIterator<(Key, Vec<u8>)> for Trie<L> {
    fn from_iter<I: IntoIterator<Item = (Key, Vec<u8>)>>(iter: I) -> Self {
        let mut t = Trie::with_layout();
        t.extend(iter);
        t
    }
}

impl<L: Layout> Extend<(Key, Vec<u8>)> for Trie<L> {
    fn extend<I: IntoIterator<Item = (Key, Vec<u8>)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn key(b: u8) -> Key {
        let mut k = [0u8; 31];
        k[0] = b;
        k
    }

    #[test]
    fn empty_single_and_pair() {
        assert_eq!(state_root(Vec::<(Key, Vec<u8>)>::new()), EMPTY_ROOT);
        let k = key(0x55);
        let leaf = blake2b_256(&Gp::leaf(&k, b"abc"));
        assert_eq!(state_root([(k, b"abc")]), leaf);
        // Node encodings per GP (D.3), (D.4).
        let n = Gp::leaf(&k, b"abc");
        assert_eq!(n[0], 0x83);
        assert_eq!(&n[1..32], &k);
        assert_eq!(&n[32..35], b"abc");
        assert!(n[35..].iter().all(|&b| b == 0));
        let long = [7u8; 33];
        let n = Gp::leaf(&k, &long);
        assert_eq!(n[0], 0xc0);
        assert_eq!(&n[32..], &blake2b_256(&long));
        let n = Gp::branch(&[0xff; 32], &[1; 32]);
        assert_eq!(n[0], 0x7f);
        assert_eq!(&n[1..32], &[0xff; 31]);
        assert_eq!(&n[32..], &[1; 32]);
        // Keys 0x00.. and 0x80.. split at bit 0.
        let (a, b) = (key(0x00), key(0x80));
        let expect = blake2b_256(&Gp::branch(
            &blake2b_256(&Gp::leaf(&a, b"x")),
            &blake2b_256(&Gp::leaf(&b, b"y")),
        ));
        assert_eq!(state_root([(b, b"y"), (a, b"x")]), expect);
        // Keys 0x00.. and 0x40.. share bit 0: a single-child branch above the split.
        let (c, d) = (key(0x00), key(0x40));
        let inner = blake2b_256(&Gp::branch(
            &blake2b_256(&Gp::leaf(&c, b"x")),
            &blake2b_256(&Gp::leaf(&d, b"y")),
        ));
        let expect = blake2b_256(&Gp::branch(&inner, &EMPTY_ROOT));
        assert_eq!(state_root([(c, b"x"), (d, b"y")]), expect);
    }

    #[test]
    fn last_duplicate_wins() {
        let r = state_root([(key(1), vec![1]), (key(2), vec![2]), (key(1), vec![3])]);
        assert_eq!(r, state_root([(key(1), vec![3]), (key(2), vec![2])]));
    }

    #[test]
    fn legacy_layout_bits() {
        let mut k = [0u8; 31];
        k[0] = 0b0000_0010;
        assert!(!LegacyLsb::bit(&k, 0));
        assert!(LegacyLsb::bit(&k, 1));
        assert!(Gp::bit(&k, 6));
        assert_eq!(LegacyLsb::path_key(&LegacyLsb::path_key(&k)), k);
    }

    #[test]
    fn trie_remove_collapses() {
        let mut t: Trie = Trie::new();
        t.insert(key(0x00), vec![1]);
        t.insert(key(0x01), vec![2]);
        t.insert(key(0x80), vec![3; 40]);
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(&key(0x01)), Some(&[2u8][..]));
        assert_eq!(t.remove(&key(0x01)), Some(vec![2]));
        assert_eq!(t.remove(&key(0x01)), None);
        assert_eq!(
            t.root(),
            state_root([(key(0x00), vec![1]), (key(0x80), vec![3; 40])])
        );
        t.remove(&key(0x80));
        assert_eq!(t.root(), state_root([(key(0x00), vec![1])]));
        t.remove(&key(0x00));
        assert_eq!(t.root(), EMPTY_ROOT);
        assert!(t.is_empty());
    }

    #[test]
    fn large_set_batch_equals_incremental() {
        // Large enough for the batch root to split across threads.
        let mut x = 0x0123_4567_89ab_cdefu64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let items: Vec<(Key, Vec<u8>)> = (0..5000)
            .map(|i| {
                let mut k = [0u8; 31];
                k.iter_mut().for_each(|b| *b = next() as u8);
                (k, vec![i as u8; (next() % 70) as usize])
            })
            .collect();
        let mut t: Trie = items.iter().cloned().collect();
        assert_eq!(t.root(), state_root(items.iter().map(|(k, v)| (k, v))));
        let mut lt: Trie<LegacyLsb> = items.iter().cloned().collect();
        assert_eq!(
            lt.root(),
            state_root_with::<LegacyLsb, _, _>(items.iter().map(|(k, v)| (k, v)))
        );
    }

    fn value_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..=32),
            prop::collection::vec(any::<u8>(), 33..80),
        ]
    }

    fn key_strategy() -> impl Strategy<Value = Key> {
        // Few distinct leading octets, so keys share long prefixes and chains of single-child
        // branches appear.
        (0u8..4, any::<u8>(), prop::array::uniform29(0u8..2)).prop_map(|(a, b, rest)| {
            let mut k = [0u8; 31];
            k[0] = a;
            k[1] = b;
            k[2..].copy_from_slice(&rest);
            k
        })
    }

    proptest! {
        #[test]
        fn root_independent_of_order(
            items in prop::collection::vec((key_strategy(), value_strategy()), 0..60),
            seed in any::<u64>(),
        ) {
            let map: BTreeMap<Key, Vec<u8>> = items.iter().cloned().collect();
            let mut shuffled: Vec<(Key, Vec<u8>)> = map.clone().into_iter().collect();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(state_root(&map), state_root(shuffled));
        }

        #[test]
        fn incremental_equals_batch(
            items in prop::collection::vec((key_strategy(), value_strategy()), 0..60),
            removals in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
        ) {
            let mut map: BTreeMap<Key, Vec<u8>> = BTreeMap::new();
            let mut t: Trie = Trie::new();
            let mut lt: Trie<LegacyLsb> = Trie::with_layout();
            for (i, (k, v)) in items.iter().enumerate() {
                prop_assert_eq!(t.insert(*k, v.clone()), map.insert(*k, v.clone()));
                lt.insert(*k, v.clone());
                if i % 7 == 0 {
                    prop_assert_eq!(t.root(), state_root(&map));
                }
            }
            prop_assert_eq!(t.root(), state_root(&map));
            prop_assert_eq!(lt.root(), state_root_with::<LegacyLsb, _, _>(&map));
            let keys: Vec<Key> = map.keys().copied().collect();
            for r in removals {
                if keys.is_empty() { break; }
                let k = keys[r.index(keys.len())];
                prop_assert_eq!(t.remove(&k), map.remove(&k));
                lt.remove(&k);
                prop_assert_eq!(t.root(), state_root(&map));
            }
            prop_assert_eq!(lt.root(), state_root_with::<LegacyLsb, _, _>(&map));
            prop_assert_eq!(t.len(), map.len());
            let listed: Vec<(Key, Vec<u8>)> = t.iter().map(|(k, v)| (*k, v.to_vec())).collect();
            let expected: Vec<(Key, Vec<u8>)> = map.into_iter().collect();
            prop_assert_eq!(listed, expected);
        }
    }
}
