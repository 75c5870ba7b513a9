//! The state root $\mathcal{M}_\sigma(\sigma)$ (GP D.2, (D.5)–(D.6)), one-shot and incremental,
//! and the key-level difference between two states.

use crate::key::StateKey;
use crate::state::State;
use marmalade_merkle::trie::Trie;
use marmalade_types::{ChainSpec, Hash};

/// A change to one state key: `Some(value)` to set it, `None` to remove it.
pub type KeyChange = (StateKey, Option<Vec<u8>>);

/// $\mathcal{M}_\sigma(\sigma) = M(T(\sigma))$ (GP (D.5)): the state root, computed from
/// scratch over every key.
pub fn state_root(state: &State, spec: &ChainSpec) -> Hash {
    marmalade_merkle::state_root(state.key_values_ref(spec))
}

/// An incremental state trie: a [`marmalade_merkle::Trie`] over $T(\sigma)$ that caches node
/// hashes, so that after [`StateTrie::apply`]ing a block's changes, [`StateTrie::root`]
/// re-hashes only the paths to the changed keys.
///
/// ```
/// use marmalade_state::{state_root, State, StateChanges, StateTrie};
/// use marmalade_types::ChainSpec;
/// let spec = ChainSpec::TINY;
/// let mut state = State::empty(&spec);
/// let mut trie = StateTrie::from_state(&state, &spec);
/// let mut posterior = state.components.clone();
/// posterior.tau = 1;
/// let changes = StateChanges::with_components(&state.components, posterior);
/// trie.apply(changes.key_changes());
/// state.apply(&changes);
/// assert_eq!(trie.root(), state_root(&state, &spec));
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

    /// $\mathcal{M}_\sigma$ (GP (D.6)), re-hashing only what changed since the last call.
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
    use crate::{StateChanges, StateReader};
    use marmalade_types::ServiceInfo;

    #[test]
    fn changes_and_incremental_root() {
        let spec = ChainSpec::TINY;
        let mut a = State::empty(&spec);
        a.accounts.insert(1, ServiceInfo::default());
        a.accounts.insert(2, ServiceInfo::default());
        a.set_storage(1, b"x", Some(vec![1; 40]));
        a.set_storage(2, b"y", Some(vec![2]));
        let mut t = StateTrie::from_state(&a, &spec);
        assert_eq!(t.root(), state_root(&a, &spec));

        let mut posterior = a.components.clone();
        posterior.tau = 9;
        let mut ch = StateChanges::with_components(&a.components, posterior);
        ch.accounts.insert(1, None);
        ch.accounts.insert(
            2,
            Some(ServiceInfo {
                balance: 5,
                ..Default::default()
            }),
        );
        ch.accounts.insert(3, Some(ServiceInfo::default()));
        ch.items.insert(crate::storage_key(1, b"x"), None);
        ch.items.insert(crate::storage_key(2, b"y"), Some(vec![3]));
        ch.items.insert(crate::storage_key(3, b"z"), Some(vec![4]));
        let kc = ch.key_changes();
        // τ, three account infos, three items.
        assert_eq!(kc.len(), 7, "{kc:?}");
        assert_eq!(kc.iter().filter(|c| c.1.is_none()).count(), 2);
        let undo = ch.inverse(&a);
        let mut b = a.clone();
        b.apply(&ch);
        t.apply(kc);
        assert_eq!(t.root(), state_root(&b, &spec));
        assert_eq!(t.len(), b.to_key_values(&spec).len());
        assert_eq!(b.service_info(2).map(|i| i.balance), Some(5));
        // Undo: back to a, in the state and in the trie.
        t.apply(undo.key_changes());
        b.apply(&undo);
        assert_eq!(t.root(), state_root(&a, &spec));
        assert_eq!(b, a);
    }
}
