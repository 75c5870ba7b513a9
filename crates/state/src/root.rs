//! The state root $\mathcal{M}_\sigma(\sigma)$ (GP D.2, eq. D.5–D.6), one-shot and incremental,
//! and the key-level difference between two states.

use crate::key::{service_info_key, Component, StateKey};
use crate::state::State;
use marmalade_codec::Encode;
use marmalade_merkle::trie::Trie;
use marmalade_types::{ChainSpec, Hash};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A change to one state key: `Some(value)` to set it, `None` to remove it.
pub type KeyChange = (StateKey, Option<Vec<u8>>);

/// $\mathcal{M}_\sigma(\sigma) = M(T(\sigma))$ (GP eq. D.5): the state root, computed from
/// scratch over every key.
pub fn state_root(state: &State, spec: &ChainSpec) -> Hash {
    marmalade_merkle::state_root(state.key_values_ref(spec))
}

/// The changes that turn $T(\text{before})$ into $T(\text{after})$ (GP eq. D.2), sorted by key.
///
/// Computed per component: a component is re-encoded only if it differs between the two
/// states; account infos and items are compared as maps, so only added, changed and removed
/// entries appear (removals as `None`).
pub fn diff(before: &State, after: &State, spec: &ChainSpec) -> Vec<KeyChange> {
    debug_assert_eq!(after.check_shape(spec), Ok(()));
    let mut out = Vec::new();
    for c in Component::ALL {
        if !before.component_eq(after, c) {
            out.push((c.key(), Some(after.encode_component(c))));
        }
    }
    map_diff(&before.accounts, &after.accounts, |s, info| match info {
        Some(info) => out.push((service_info_key(*s), Some(info.encode()))),
        None => out.push((service_info_key(*s), None)),
    });
    map_diff(&before.items, &after.items, |k, v| {
        out.push((*k, v.cloned()));
    });
    out.sort_unstable_by_key(|a| a.0);
    out
}

/// Walks two sorted maps together, calling `f(key, Some(new))` for every key added or changed
/// and `f(key, None)` for every key removed.
fn map_diff<K: Ord, V: PartialEq>(
    a: &BTreeMap<K, V>,
    b: &BTreeMap<K, V>,
    mut f: impl FnMut(&K, Option<&V>),
) {
    let (mut ia, mut ib) = (a.iter().peekable(), b.iter().peekable());
    loop {
        match (ia.peek(), ib.peek()) {
            (None, None) => return,
            (Some((ka, _)), None) => {
                f(ka, None);
                ia.next();
            }
            (None, Some((kb, vb))) => {
                f(kb, Some(vb));
                ib.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                Ordering::Less => {
                    f(ka, None);
                    ia.next();
                }
                Ordering::Greater => {
                    f(kb, Some(vb));
                    ib.next();
                }
                Ordering::Equal => {
                    if va != vb {
                        f(kb, Some(vb));
                    }
                    ia.next();
                    ib.next();
                }
            },
        }
    }
}

/// An incremental state trie: a [`marmalade_merkle::Trie`] over $T(\sigma)$ that caches node
/// hashes, so that after [`StateTrie::apply`]ing a block's changes, [`StateTrie::root`]
/// re-hashes only the paths to the changed keys.
///
/// ```
/// use marmalade_state::{diff, state_root, State, StateTrie};
/// use marmalade_types::ChainSpec;
/// let spec = ChainSpec::TINY;
/// let before = State::empty(&spec);
/// let mut trie = StateTrie::from_state(&before, &spec);
/// let mut after = before.clone();
/// after.tau = 1;
/// trie.apply(diff(&before, &after, &spec));
/// assert_eq!(trie.root(), state_root(&after, &spec));
/// ```
#[derive(Debug, Clone, Default)]
pub struct StateTrie {
    trie: Trie,
}

impl StateTrie {
    /// An empty trie (root zero).
    pub fn new() -> Self {
        Self::default()
    }

    /// The trie of $T(\sigma)$.
    pub fn from_state(state: &State, spec: &ChainSpec) -> Self {
        Self::from_key_values(state.to_key_values(spec))
    }

    /// The trie of the given key/value pairs (a later value for the same key wins).
    pub fn from_key_values(kvs: impl IntoIterator<Item = (StateKey, Vec<u8>)>) -> Self {
        StateTrie {
            trie: kvs.into_iter().collect(),
        }
    }

    /// Applies changes: `Some(v)` sets a key, `None` removes it (a no-op if absent).
    pub fn apply(&mut self, changes: impl IntoIterator<Item = KeyChange>) {
        for (k, v) in changes {
            match v {
                Some(v) => {
                    self.trie.insert(k, v);
                }
                None => {
                    self.trie.remove(&k);
                }
            }
        }
    }

    /// Applies [`diff`]`(before, after)`: for a trie of $T(\text{before})$, makes it the trie
    /// of $T(\text{after})$.
    pub fn update(&mut self, before: &State, after: &State, spec: &ChainSpec) {
        self.apply(diff(before, after, spec));
    }

    /// $\mathcal{M}_\sigma$ (GP eq. D.6), re-hashing only what changed since the last call.
    pub fn root(&mut self) -> Hash {
        self.trie.root()
    }

    /// The value at `key`.
    pub fn get(&self, key: &StateKey) -> Option<&[u8]> {
        self.trie.get(key)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.trie.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.trie.is_empty()
    }

    /// All key/value pairs in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&StateKey, &[u8])> + '_ {
        self.trie.iter()
    }

    /// The underlying trie.
    pub fn trie(&self) -> &Trie {
        &self.trie
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_types::ServiceInfo;

    #[test]
    fn diff_and_incremental_root() {
        let spec = ChainSpec::TINY;
        let mut a = State::empty(&spec);
        a.accounts.insert(1, ServiceInfo::default());
        a.accounts.insert(2, ServiceInfo::default());
        a.set_storage(1, b"x", Some(vec![1; 40]));
        a.set_storage(2, b"y", Some(vec![2]));
        let mut t = StateTrie::from_state(&a, &spec);
        assert_eq!(t.root(), state_root(&a, &spec));
        assert!(diff(&a, &a, &spec).is_empty());

        let mut b = a.clone();
        b.tau = 9;
        b.accounts.remove(&1);
        b.accounts.get_mut(&2).unwrap().balance = 5;
        b.accounts.insert(3, ServiceInfo::default());
        b.set_storage(1, b"x", None);
        b.set_storage(2, b"y", Some(vec![3]));
        b.set_storage(3, b"z", Some(vec![4]));
        let d = diff(&a, &b, &spec);
        // τ, three account infos, three items.
        assert_eq!(d.len(), 7, "{d:?}");
        assert_eq!(d.iter().filter(|c| c.1.is_none()).count(), 2);
        t.apply(d);
        assert_eq!(t.root(), state_root(&b, &spec));
        assert_eq!(t.len(), b.to_key_values(&spec).len());
        t.update(&b, &a, &spec);
        assert_eq!(t.root(), state_root(&a, &spec));
    }
}
