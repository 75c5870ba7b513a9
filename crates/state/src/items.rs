//! [`Items`]: the service items of $\delta$ (storage, preimages, lookups) by state key, in a
//! persistent map.

use crate::key::{item_service, StateKey};
use marmalade_types::ServiceId;
use std::cmp::Ordering;
use std::sync::Arc;

/// A stored item value, shared between the states that hold it.
pub type ItemValue = Arc<[u8]>;

/// An item key ordered by service first: $C(s, h)$ interleaves the four octets of $s$ with
/// the hash (GP (D.1)), so in plain key order one service's items are scattered; ordered by
/// `(s, key)` they are one range, and removing a service costs its items, not the state's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ByService(StateKey);

impl Ord for ByService {
    fn cmp(&self, other: &Self) -> Ordering {
        item_service(&self.0)
            .cmp(&item_service(&other.0))
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for ByService {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Every storage, preimage and lookup item of every service, as the raw value at its state
/// key $C(s, h)$ (GP (D.2)).
///
/// A persistent B-tree ([`imbl::OrdMap`]): a clone shares every node with the original and an
/// insert copies only the path to its key, so deriving a block's posterior state from its
/// parent's costs the block's changes, not the state's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items(imbl::OrdMap<ByService, ItemValue>);

impl Items {
    /// The value at `key`.
    pub fn get(&self, key: &StateKey) -> Option<&[u8]> {
        self.0.get(&ByService(*key)).map(|v| &v[..])
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &StateKey) -> bool {
        self.0.contains_key(&ByService(*key))
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: StateKey, value: impl Into<ItemValue>) -> Option<ItemValue> {
        self.0.insert(ByService(key), value.into())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &StateKey) -> Option<ItemValue> {
        self.0.remove(&ByService(*key))
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every item, grouped by service (ascending service index, then key).
    pub fn iter(&self) -> impl Iterator<Item = (&StateKey, &[u8])> + '_ {
        self.0.iter().map(|(k, v)| (&k.0, &v[..]))
    }

    /// The items of service `s`, ascending by key.
    pub fn service(&self, s: ServiceId) -> impl Iterator<Item = (&StateKey, &[u8])> + '_ {
        let lo = ByService(bounds(s, 0));
        let hi = ByService(bounds(s, 0xff));
        self.0.range(lo..=hi).map(|(k, v)| (&k.0, &v[..]))
    }

    /// The keys of service `s`'s items.
    pub fn service_keys(&self, s: ServiceId) -> Vec<StateKey> {
        self.service(s).map(|(k, _)| *k).collect()
    }

    /// Removes every item of service `s`.
    pub fn remove_service(&mut self, s: ServiceId) {
        for k in self.service_keys(s) {
            self.remove(&k);
        }
    }
}

/// The least (`fill` 0) or greatest (`fill` 0xff) item key of service `s`.
fn bounds(s: ServiceId, fill: u8) -> StateKey {
    let n = s.to_le_bytes();
    let mut k = [fill; 31];
    for i in 0..4 {
        k[2 * i] = n[i];
    }
    k
}

impl<K: Into<StateKey>, V: Into<ItemValue>> FromIterator<(K, V)> for Items {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Items(
            iter.into_iter()
                .map(|(k, v)| (ByService(k.into()), v.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::storage_key;

    #[test]
    fn service_ranges() {
        let mut items = Items::default();
        for s in [1u32, 256, 65536, 7, 0xffff_ffff] {
            for k in 0u8..20 {
                items.insert(storage_key(s, &[k]), vec![k]);
            }
        }
        assert_eq!(items.len(), 100);
        for s in [1u32, 256, 65536, 7, 0xffff_ffff] {
            let keys = items.service_keys(s);
            assert_eq!(keys.len(), 20, "service {s}");
            assert!(keys.iter().all(|k| item_service(k) == s));
        }
        assert!(items.service_keys(2).is_empty());
        items.remove_service(256);
        assert_eq!(items.len(), 80);
        assert_eq!(items.get(&storage_key(7, &[3])), Some(&[3u8][..]));
        let copy = items.clone();
        items.insert(storage_key(7, &[3]), vec![9]);
        assert_eq!(copy.get(&storage_key(7, &[3])), Some(&[3u8][..]));
        assert_ne!(copy, items);
    }
}
