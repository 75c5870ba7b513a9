//! $\delta$ as accumulation sees it ([`Accounts`]): the prior accounts, read through a
//! [`StateReader`], with the changes accumulation made over them. Nothing of the prior state
//! is copied: an account's items are read from the state when they were not written, and what
//! was written is exactly the block's change set for $\delta$ ([`Accounts::into_changes`]).

use marmalade_crypto::hash::blake2b_256;
use marmalade_state::account::{decode_timeslots, encode_timeslots};
use marmalade_state::key::{item_service, lookup_key, preimage_key, StateKey};
use marmalade_state::{ServiceAccount, ServiceItems, StateReader};
use marmalade_types::{Hash, ServiceId, ServiceInfo, TimeSlot};
use std::collections::BTreeMap;

/// $\delta$ during a block's accumulation: the prior accounts of `base` with changes over
/// them. Cloning it copies the changes only.
#[derive(Clone)]
pub struct Accounts<'a> {
    base: &'a dyn StateReader,
    /// Account infos written (`Some`) or removed (`None`) over `base`.
    infos: BTreeMap<ServiceId, Option<ServiceInfo>>,
    /// Items written (`Some`) or removed (`None`) over `base`.
    items: BTreeMap<StateKey, Option<Vec<u8>>>,
}

impl std::fmt::Debug for Accounts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("infos", &self.infos)
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Accounts<'a> {
    /// The accounts of `base`, unchanged.
    pub fn new(base: &'a dyn StateReader) -> Self {
        Accounts {
            base,
            infos: BTreeMap::new(),
            items: BTreeMap::new(),
        }
    }

    /// The fixed part of account `s`, if it exists.
    pub fn info(&self, s: ServiceId) -> Option<ServiceInfo> {
        match self.infos.get(&s) {
            Some(i) => *i,
            None => self.base.service_info(s),
        }
    }

    /// Whether account `s` exists.
    pub fn contains(&self, s: ServiceId) -> bool {
        self.info(s).is_some()
    }

    /// Replaces the fixed part of existing account `s`.
    pub fn set_info(&mut self, s: ServiceId, info: ServiceInfo) {
        self.infos.insert(s, Some(info));
    }

    /// Sets (`Some`) or removes (`None`) the item at `key`.
    pub fn set_item(&mut self, key: StateKey, v: Option<Vec<u8>>) {
        if v.is_none() && self.base.item(&key).is_none() {
            // Removing what the prior state does not have: no change to record.
            self.items.remove(&key);
        } else {
            self.items.insert(key, v);
        }
    }

    /// Adds account `s` whole (one created by `new`), replacing any account `s`.
    pub fn insert(&mut self, s: ServiceId, a: ServiceAccount) {
        self.remove(s);
        self.infos.insert(s, Some(a.info));
        for (k, v) in a.items {
            self.items.insert(k, Some(v));
        }
    }

    /// Removes account `s` with all its items.
    pub fn remove(&mut self, s: ServiceId) {
        if !self.contains(s) {
            return;
        }
        let written: Vec<StateKey> = self
            .items
            .keys()
            .filter(|k| item_service(k) == s)
            .copied()
            .collect();
        for k in written {
            self.set_item(k, None);
        }
        if self.base.service_info(s).is_some() {
            for k in self.base.service_item_keys(s) {
                self.items.insert(k, None);
            }
            self.infos.insert(s, None);
        } else {
            self.infos.remove(&s);
        }
    }

    /// Integrates a provided preimage $\mathbf{i}$ into account `s` if it is requested and not
    /// yet provided (the body of $I$, GP (12.21)): the request becomes $[t]$ and the blob is
    /// stored. Returns whether it was integrated.
    pub fn provide(&mut self, s: ServiceId, blob: &[u8], t: TimeSlot) -> bool {
        let Ok(len) = u32::try_from(blob.len()) else {
            return false;
        };
        self.provide_hashed(s, &blake2b_256(blob), len, blob, t)
    }

    fn provide_hashed(
        &mut self,
        s: ServiceId,
        h: &Hash,
        len: u32,
        blob: &[u8],
        t: TimeSlot,
    ) -> bool {
        if !self.contains(s) || self.request(s, h, len).is_none_or(|l| !l.is_empty()) {
            return false;
        }
        self.set_item(lookup_key(s, h, len), Some(encode_timeslots(&[t])));
        self.set_item(preimage_key(s, h), Some(blob.to_vec()));
        true
    }

    /// Account `s` whole, as it stands: its info and every item (costs the account's items;
    /// for tests and tools, not for host calls).
    pub fn account(&self, s: ServiceId) -> Option<ServiceAccount> {
        let info = self.info(s)?;
        let mut a = ServiceAccount::new(info);
        if self.base.service_info(s).is_some() && !matches!(self.infos.get(&s), Some(None)) {
            for k in self.base.service_item_keys(s) {
                if let Some(v) = self.base.item(&k) {
                    a.items.insert(k, v.to_vec());
                }
            }
        }
        for (k, v) in self.items.iter().filter(|(k, _)| item_service(k) == s) {
            match v {
                Some(v) => {
                    a.items.insert(*k, v.clone());
                }
                None => {
                    a.items.remove(k);
                }
            }
        }
        Some(a)
    }

    /// The changes to $\delta$ made over the prior state: account infos and items written or
    /// removed.
    #[allow(clippy::type_complexity)]
    pub fn into_changes(
        self,
    ) -> (
        BTreeMap<ServiceId, Option<ServiceInfo>>,
        BTreeMap<StateKey, Option<Vec<u8>>>,
    ) {
        (self.infos, self.items)
    }
}

impl ServiceItems for Accounts<'_> {
    fn item(&self, key: &StateKey) -> Option<&[u8]> {
        match self.items.get(key) {
            Some(v) => v.as_deref(),
            None => self.base.item(key),
        }
    }
}

impl marmalade_stf::preimages::PreimageAccounts for Accounts<'_> {
    fn awaits_preimage(&self, service: ServiceId, hash: &Hash, length: u32) -> bool {
        self.contains(service)
            && self
                .item(&lookup_key(service, hash, length))
                .and_then(decode_timeslots)
                .is_some_and(|l| l.is_empty())
    }

    fn provide(&mut self, service: ServiceId, hash: Hash, blob: &[u8], slot: TimeSlot) {
        if let Ok(len) = u32::try_from(blob.len()) {
            self.provide_hashed(service, &hash, len, blob, slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_state::State;
    use marmalade_stf::preimages::{check, integrate, PreimageAccounts};
    use marmalade_types::{ChainSpec, Preimage};

    fn state_with(services: &[ServiceId]) -> State {
        let mut st = State::empty(&ChainSpec::TINY);
        for &s in services {
            st.accounts.insert(s, ServiceInfo::default());
            st.set_storage(s, b"k", Some(vec![s as u8]));
            st.set_preimage(s, &[s as u8; 32], Some(vec![1, 2, 3]));
            st.set_lookup(s, &[s as u8; 32], 3, Some(&[1, 2]));
        }
        st
    }

    #[test]
    fn overlay_changes_apply_to_the_state() {
        let st = state_with(&[1, 2, 3]);
        let mut a = Accounts::new(&st);
        a.remove(2);
        a.set_item(marmalade_state::key::storage_key(1, b"k"), Some(vec![7, 7]));
        a.set_item(marmalade_state::key::storage_key(1, b"new"), Some(vec![]));
        let mut four = ServiceAccount::default();
        four.insert_request(4, &[4; 32], 10, &[]);
        a.insert(4, four);
        assert!(!a.contains(2));
        assert_eq!(a.storage(2, b"k"), None);
        assert_eq!(a.storage(1, b"k"), Some(&[7u8, 7][..]));
        assert_eq!(a.request(4, &[4; 32], 10), Some(vec![]));

        let (infos, items) = a.into_changes();
        let mut changes = marmalade_state::StateChanges {
            accounts: infos,
            items,
            ..Default::default()
        };
        changes.replaced.clear();
        let mut post = st.clone();
        post.apply(&changes);
        assert_eq!(post.accounts.keys().copied().collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(post.items.service(2).count(), 0, "removed with its items");
        assert_eq!(post.storage(1, b"new"), Some(&[][..]));
        assert_eq!(post.items.service(3).count(), 3, "untouched");
        assert_eq!(post.accounts[&4].items, 2);
        assert_eq!(post.accounts[&4].bytes, 81 + 10);
    }

    #[test]
    fn preimages_are_provided_into_the_overlay() {
        let blob = b"blob".to_vec();
        let h = blake2b_256(&blob);
        let mut st = state_with(&[1]);
        st.set_lookup(1, &h, 4, Some(&[]));
        let mut a = Accounts::new(&st);
        assert!(a.awaits_preimage(1, &h, 4));
        assert!(!a.awaits_preimage(1, &h, 5));
        assert!(!a.awaits_preimage(2, &h, 4));
        assert!(
            !a.awaits_preimage(1, &[1; 32], 3),
            "already provided: [1, 2]"
        );
        let items = vec![Preimage {
            requester: 1,
            blob: blob.clone(),
        }];
        let provisions = check(&a, &items).unwrap();
        assert_eq!(integrate(&mut a, &provisions, 42), 1);
        assert_eq!(a.preimage(1, &h), Some(&blob[..]));
        assert_eq!(a.request(1, &h, 4), Some(vec![42]));
        assert!(!a.awaits_preimage(1, &h, 4));
        assert_eq!(integrate(&mut a, &provisions, 43), 0);
    }
}
