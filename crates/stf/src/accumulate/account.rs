//! Service accounts (GP section 9, `accounts.tex`): the account tuple $\mathbb{A}$ with its
//! storage $\mathbf{s}$, preimages $\mathbf{p}$ and lookup requests $\mathbf{l}$, the
//! footprint $a_i$/$a_o$ and threshold balance $a_t$ (GP eq:deposits), the code $a_\mathbf{c}$
//! (GP 9.2, Code and Gas) and the historical lookup $\Lambda$ (GP eq:historicallookup).
//!
//! # Representation: one dictionary keyed by state key
//!
//! An account's three dictionaries $\mathbf{s}$, $\mathbf{p}$ and $\mathbf{l}$ are held as
//! ONE map [`ServiceAccount::items`] from the GP D.1 state key $C(s, h)$ of each entry to its
//! serialized value (GP eq. D.2):
//!
//! - storage $\mathbf{s}\[k\] = \mathbf{v}$ at [`storage_key`]`(s, k)`, value $\mathbf{v}$;
//! - preimage $\mathbf{p}\[h\] = \mathbf{p}$ at [`preimage_key`]`(s, h)`, value $\mathbf{p}$;
//! - request $\mathbf{l}[(h, z)] = \mathbf{t}$ at [`lookup_key`]`(s, h, z)`, value
//!   $\mathcal{E}(\updownarrow[\mathcal{E}_4(x) \mid x \orderedin \mathbf{t}])$.
//!
//! Why: since GP 0.7 the state key hashes the item's own key together with its kind
//! ($C(s, \mathcal{H}(\mathcal{E}_4(\text{marker}) \frown k))$), so a node that starts from a
//! state given as key/value pairs (a trace's `pre_state`, a fuzzer's `Initialize`) knows
//! neither the raw storage keys, nor the request keys $(h, z)$, nor even which entries are
//! storage and which are requests (a storage value can be any octets, including a valid
//! timeslot sequence). It does not need to: every host call is given the raw key (or $h$ and
//! $z$) by the PVM and computes the state key from it. So nothing is ever classified: the
//! conversions to and from [`marmalade_state::State`] ([`Accounts::from_state`],
//! [`Accounts::write_into`], and their moving forms) only group the state's items by service
//! ([`item_service`]) and never hash or decode a value.
//!
//! Preimages are in the same map rather than by hash: recovering the hash would mean hashing
//! every blob of the state at every conversion, while every use of a preimage (`lookup`, the
//! code $a_\mathbf{c}$, $\Lambda$, `forget`) already knows its hash.
//!
//! The footprint $a_i$, $a_o$ (GP eq:deposits) cannot be recomputed from such a map (the raw
//! key lengths and the kinds are unknown), so it is kept in the account's [`ServiceInfo`], as
//! the state serialization stores it, and updated incrementally on every change: `write`
//! knows the key (and the same key gives the same state key, hence the same length), and
//! `solicit`/`forget` know the request's $z$.

use marmalade_codec::{decode_all, decode_natural, Encode, Reader, SeqLens};
use marmalade_crypto::hash::blake2b_256;
use marmalade_state::key::{item_service, lookup_key, preimage_key, storage_key, StateKey};
use marmalade_types::constants::{BASE_DEPOSIT, BYTE_DEPOSIT, ITEM_DEPOSIT};
use marmalade_types::{Hash, ServiceId, ServiceInfo, TimeSlot};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The octets one storage item adds to $a_o$: $34 + |k| + |v|$ (GP eq:deposits).
pub fn storage_item_octets(key_len: usize, value_len: usize) -> u64 {
    34u64
        .saturating_add(key_len as u64)
        .saturating_add(value_len as u64)
}

/// The octets one lookup request for a preimage of `len` octets adds to $a_o$: $81 + z$
/// (GP eq:deposits).
pub fn request_octets(len: u32) -> u64 {
    81 + len as u64
}

/// $a_t$ (GP eq:deposits): the threshold balance of an account with this footprint,
/// $\max(0, \mathsf{B}_S + \mathsf{B}_I a_i + \mathsf{B}_L a_o - a_f)$.
pub fn threshold_balance(info: &ServiceInfo) -> u64 {
    let gross = (BASE_DEPOSIT as u128)
        + ITEM_DEPOSIT as u128 * info.items as u128
        + BYTE_DEPOSIT as u128 * info.bytes as u128;
    gross
        .saturating_sub(info.deposit_offset as u128)
        .min(u64::MAX as u128) as u64
}

/// `ServiceInfo` footprint updates: every change to storage or requests goes through these
/// so that $a_i$ and $a_o$ always equal their GP definitions (GP eq:deposits).
pub(crate) trait Footprint {
    /// Adds (`add`) or removes `items` items of `octets` octets in all.
    fn adjust(&mut self, items: u32, octets: u64, add: bool);
}

impl Footprint for ServiceInfo {
    fn adjust(&mut self, items: u32, octets: u64, add: bool) {
        if add {
            self.items = self.items.saturating_add(items);
            self.bytes = self.bytes.saturating_add(octets);
        } else {
            self.items = self.items.saturating_sub(items);
            self.bytes = self.bytes.saturating_sub(octets);
        }
    }
}

/// $I(\mathbf{l}, t)$ of GP eq:historicallookup: whether a preimage with request history `l` was
/// available at time `t`.
pub fn available_at(l: &[TimeSlot], t: TimeSlot) -> bool {
    match *l {
        [x] => x <= t,
        [x, y] => x <= t && t < y,
        [x, y, z] => (x <= t && t < y) || z <= t,
        _ => false,
    }
}

/// Splits a code preimage into metadata and code: the preimage is $\mathcal{E}(\updownarrow
/// \mathbf{m}, \mathbf{c})$ (GP 9.2, Code and Gas); `None` if it is not such an encoding.
pub fn split_code(preimage: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut r = Reader::new(preimage, marmalade_codec::SeqLens::TINY);
    let len = decode_natural(&mut r).ok()?;
    let len = usize::try_from(len).ok()?;
    let metadata = r.take(len).ok()?;
    Some((metadata, r.rest()))
}

/// $\mathcal{E}(\updownarrow[\mathcal{E}_4(x) \mid x \orderedin \mathbf{t}])$: a request's
/// timeslots as stored at its lookup key (GP eq. D.2).
pub fn encode_timeslots(t: &[TimeSlot]) -> Vec<u8> {
    t.to_vec().encode()
}

/// The inverse of [`encode_timeslots`]; `None` if `v` is not such an encoding. (A value at a
/// lookup key that does not decode can only come from a state that was never the
/// serialization of a valid $\sigma$; the host calls then treat the request as absent.)
pub fn decode_timeslots(v: &[u8]) -> Option<Vec<TimeSlot>> {
    // A length-prefixed sequence: no chain parameter is involved, any `SeqLens` will do.
    decode_all(v, SeqLens::TINY).ok()
}

/// $\mathbb{A}$ (GP eq:serviceaccount): a service account, its dictionaries keyed by state key
/// (see the [module documentation](self)). The account does not know its own index $s$; the
/// accessors that compute a state key take it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "wire::KeyedAccount", from = "wire::KeyedAccount")]
pub struct ServiceAccount {
    /// $c, b, g, m, o, f, i, r, a, p$: the code hash, balance, gas minima, footprint ($a_o$,
    /// $a_i$), gratis offset, creation and last-accumulation slots and parent.
    pub info: ServiceInfo,
    /// $\mathbf{s}$, $\mathbf{p}$ and $\mathbf{l}$: every storage, preimage and lookup entry,
    /// by its state key $C(s, h)$, with its serialized value (GP eq. D.2).
    pub items: BTreeMap<StateKey, Vec<u8>>,
}

impl ServiceAccount {
    /// An account with no storage, preimages or requests.
    pub fn new(info: ServiceInfo) -> Self {
        ServiceAccount {
            info,
            items: BTreeMap::new(),
        }
    }

    /// $a_t$ (GP eq:deposits).
    pub fn threshold_balance(&self) -> u64 {
        threshold_balance(&self.info)
    }

    /// The serialized entry at state key `key`, whatever its kind.
    pub fn item(&self, key: &StateKey) -> Option<&[u8]> {
        self.items.get(key).map(Vec::as_slice)
    }

    /// $\mathbf{s}\[k\]$ of this account, whose index is `s`.
    pub fn storage(&self, s: ServiceId, k: &[u8]) -> Option<&[u8]> {
        self.item(&storage_key(s, k))
    }

    /// $\mathbf{p}\[h\]$ of this account, whose index is `s`.
    pub fn preimage(&self, s: ServiceId, h: &Hash) -> Option<&[u8]> {
        self.item(&preimage_key(s, h))
    }

    /// $\mathbf{l}[(h, z)]$ of this account, whose index is `s`; absent if its value does not
    /// decode ([`decode_timeslots`]).
    pub fn request(&self, s: ServiceId, h: &Hash, z: u32) -> Option<Vec<TimeSlot>> {
        self.item(&lookup_key(s, h, z)).and_then(decode_timeslots)
    }

    /// $a_\mathbf{c}$ (GP 9.2, Code and Gas) of this account, whose index is `s`: the code
    /// part of the preimage of the code hash, if the preimage is present and well formed.
    pub fn code(&self, s: ServiceId) -> Option<&[u8]> {
        let preimage = self.preimage(s, &self.info.code_hash)?;
        split_code(preimage).map(|(_, c)| c)
    }

    /// $\Lambda(\mathbf{a}, t, h)$ (GP eq:historicallookup) of this account, whose index is
    /// `s`: the preimage of `h` if it was available at time `t`.
    pub fn historical_lookup(&self, s: ServiceId, t: TimeSlot, h: &Hash) -> Option<&[u8]> {
        let p = self.preimage(s, h)?;
        let len = u32::try_from(p.len()).ok()?;
        let l = self.request(s, h, len)?;
        available_at(&l, t).then_some(p)
    }

    /// Sets (`Some`) or removes (`None`) the entry at `key`, returning the previous value. The
    /// footprint is not touched.
    pub fn set_item(&mut self, key: StateKey, v: Option<Vec<u8>>) -> Option<Vec<u8>> {
        match v {
            Some(v) => self.items.insert(key, v),
            None => self.items.remove(&key),
        }
    }

    /// Sets $\mathbf{s}\[k\] = \mathbf{v}$ of this account (index `s`), keeping $a_i$, $a_o$ up
    /// to date (GP eq:deposits). For building accounts; `write` checks the balance first.
    pub fn insert_storage(&mut self, s: ServiceId, k: &[u8], v: Vec<u8>) {
        let n = v.len();
        if let Some(old) = self.set_item(storage_key(s, k), Some(v)) {
            self.info
                .adjust(1, storage_item_octets(k.len(), old.len()), false);
        }
        self.info.adjust(1, storage_item_octets(k.len(), n), true);
    }

    /// Sets $\mathbf{l}[(h, z)] = \mathbf{t}$ of this account (index `s`), keeping $a_i$,
    /// $a_o$ up to date (GP eq:deposits). For building accounts.
    pub fn insert_request(&mut self, s: ServiceId, h: &Hash, z: u32, t: &[TimeSlot]) {
        if self
            .set_item(lookup_key(s, h, z), Some(encode_timeslots(t)))
            .is_none()
        {
            self.info.adjust(2, request_octets(z), true);
        }
    }

    /// Sets $\mathbf{p}[\mathcal{H}(\mathbf{p})] = \mathbf{p}$ of this account (index `s`)
    /// and returns the hash. Preimages do not count in the footprint (GP eq:deposits).
    pub fn insert_preimage(&mut self, s: ServiceId, p: Vec<u8>) -> Hash {
        let h = blake2b_256(&p);
        self.set_item(preimage_key(s, &h), Some(p));
        h
    }

    /// Integrates a provided preimage $\mathbf{i}$ into this account (index `s`) if it is
    /// requested and not yet provided (the body of $I$, GP 12.2, eq:accpar): the request
    /// becomes $\[t\]$ and the blob is stored. Returns whether it was integrated.
    pub fn provide(&mut self, s: ServiceId, blob: &[u8], t: TimeSlot) -> bool {
        let Ok(len) = u32::try_from(blob.len()) else {
            return false;
        };
        let h = blake2b_256(blob);
        self.provide_hashed(s, &h, len, blob, t)
    }

    /// [`provide`](Self::provide) with $\mathcal{H}(\mathbf{i})$ and $|\mathbf{i}|$ known.
    fn provide_hashed(
        &mut self,
        s: ServiceId,
        h: &Hash,
        len: u32,
        blob: &[u8],
        t: TimeSlot,
    ) -> bool {
        let key = lookup_key(s, h, len);
        match self.items.get_mut(&key) {
            Some(l) if decode_timeslots(l).is_some_and(|l| l.is_empty()) => {
                *l = encode_timeslots(&[t]);
                self.items.insert(preimage_key(s, h), blob.to_vec());
                true
            }
            _ => false,
        }
    }
}

/// $\delta$: the service accounts, a dictionary from service index to account.
///
/// Conversions with the state $\sigma$ as serialized ([`marmalade_state::State`], whose
/// $\delta$ is its `accounts` (the $C(255, s)$ values) and `items` (every $C(s, h)$ entry)):
///
/// - [`from_state`](Self::from_state) / [`write_into`](Self::write_into) copy;
/// - [`take_from`](Self::take_from) / [`into_state`](Self::into_state) move the values (no
///   octet of a blob is copied), for block import, which owns the posterior state anyway.
///
/// Both pairs round-trip exactly. Items of a service index without account info (which no
/// valid state has, but [`marmalade_state::State::from_key_values`] keeps) are not part of
/// any account: they stay in the state untouched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "Vec<wire::KeyedEntry>", from = "Vec<wire::KeyedEntry>")]
pub struct Accounts(pub BTreeMap<ServiceId, ServiceAccount>);

impl std::ops::Deref for Accounts {
    type Target = BTreeMap<ServiceId, ServiceAccount>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Accounts {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(ServiceId, ServiceAccount)> for Accounts {
    fn from_iter<I: IntoIterator<Item = (ServiceId, ServiceAccount)>>(iter: I) -> Self {
        Accounts(iter.into_iter().collect())
    }
}

impl Accounts {
    /// $\delta$ of `state`, copied: each $C(255, s)$ info with the $C(s, h)$ items of $s$.
    pub fn from_state(state: &marmalade_state::State) -> Accounts {
        let mut accounts: BTreeMap<ServiceId, ServiceAccount> = state
            .accounts
            .iter()
            .map(|(s, info)| (*s, ServiceAccount::new(*info)))
            .collect();
        for (k, v) in &state.items {
            if let Some(a) = accounts.get_mut(&item_service(k)) {
                a.items.insert(*k, v.clone());
            }
        }
        Accounts(accounts)
    }

    /// $\delta$ of `state`, moved out of it: `state.accounts` is left empty and `state.items`
    /// keeps only the items of service indices without account info. No value is copied.
    pub fn take_from(state: &mut marmalade_state::State) -> Accounts {
        let infos = std::mem::take(&mut state.accounts);
        // Each service's items arrive in ascending key order: gather them per service and
        // bulk-build each map, rather than inserting one by one.
        let mut grouped: BTreeMap<ServiceId, Vec<(StateKey, Vec<u8>)>> = BTreeMap::new();
        let mut orphans = Vec::new();
        for (k, v) in std::mem::take(&mut state.items) {
            let s = item_service(&k);
            if infos.contains_key(&s) {
                grouped.entry(s).or_default().push((k, v));
            } else {
                orphans.push((k, v));
            }
        }
        state.items = orphans.into_iter().collect();
        Accounts(
            infos
                .into_iter()
                .map(|(s, info)| {
                    let items = grouped.remove(&s).unwrap_or_default();
                    (
                        s,
                        ServiceAccount {
                            info,
                            items: items.into_iter().collect(),
                        },
                    )
                })
                .collect(),
        )
    }

    /// Makes `state`'s $\delta$ equal to `self`: the account infos are replaced, the items of
    /// every service in `state.accounts` or in `self` become exactly `self`'s (items of
    /// removed services are dropped), and items of indices in neither are kept. Only values
    /// that differ are copied, so unchanged blobs cost a comparison, not a copy.
    pub fn write_into(&self, state: &mut marmalade_state::State) {
        let prior = &state.accounts;
        state.items.retain(|k, v| {
            let s = item_service(k);
            match self.get(&s) {
                Some(a) => match a.items.get(k) {
                    Some(new) => {
                        if new != v {
                            v.clone_from(new);
                        }
                        true
                    }
                    None => false,
                },
                // A removed service's items go; an orphan's stay.
                None => !prior.contains_key(&s),
            }
        });
        for a in self.values() {
            for (k, v) in &a.items {
                state.items.entry(*k).or_insert_with(|| v.clone());
            }
        }
        state.accounts = self.iter().map(|(s, a)| (*s, a.info)).collect();
    }

    /// [`write_into`](Self::write_into) moving the values: after [`take_from`](Self::take_from)
    /// on the same state this copies nothing.
    pub fn into_state(self, state: &mut marmalade_state::State) {
        let prior = std::mem::take(&mut state.accounts);
        state.accounts = self.iter().map(|(s, a)| (*s, a.info)).collect();
        let infos = &state.accounts;
        let kept = std::mem::take(&mut state.items)
            .into_iter()
            .filter(|(k, _)| {
                let s = item_service(k);
                !prior.contains_key(&s) && !infos.contains_key(&s)
            })
            .collect::<Vec<_>>();
        // One bulk build from sorted runs (each account's items, the kept orphans), rather
        // than merging the accounts' maps one into the other.
        state.items = kept
            .into_iter()
            .chain(self.0.into_values().flat_map(|a| a.items))
            .collect();
    }
}

impl crate::preimages::PreimageAccounts for Accounts {
    fn awaits_preimage(&self, service: ServiceId, hash: &Hash, length: u32) -> bool {
        self.get(&service)
            .and_then(|a| a.request(service, hash, length))
            .is_some_and(|l| l.is_empty())
    }

    fn provide(&mut self, service: ServiceId, hash: Hash, blob: &[u8], slot: TimeSlot) {
        let (Some(a), Ok(len)) = (self.get_mut(&service), u32::try_from(blob.len())) else {
            return;
        };
        a.provide_hashed(service, &hash, len, blob, slot);
    }
}

/// The vectors' entry types (`accumulate.asn`), which key storage by raw key and requests by
/// `(hash, length)`, and their conversion to the keyed form; and the keyed form's JSON shape.
pub mod wire {
    use super::*;
    use marmalade_codec::{Decode, Encode};

    /// `StorageMapEntry`.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct StorageEntry {
        /// The raw storage key.
        #[serde(with = "marmalade_types::serde_hex")]
        pub key: Vec<u8>,
        /// The value.
        #[serde(with = "marmalade_types::serde_hex")]
        pub value: Vec<u8>,
    }

    /// `PreimagesBlobMapEntry`.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct PreimageEntry {
        /// The blob's hash.
        #[serde(with = "marmalade_types::serde_hex")]
        pub hash: Hash,
        /// The blob.
        #[serde(with = "marmalade_types::serde_hex")]
        pub blob: Vec<u8>,
    }

    /// `PreimagesRequestsMapKey`.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct RequestKey {
        /// The preimage hash.
        #[serde(with = "marmalade_types::serde_hex")]
        pub hash: Hash,
        /// The preimage length.
        pub length: u32,
    }

    /// `PreimagesRequestsMapEntry`.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct RequestEntry {
        /// The request key.
        pub key: RequestKey,
        /// Its status: up to three timeslots.
        pub value: Vec<TimeSlot>,
    }

    /// `ServiceAccount`, with raw keys.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct Account {
        /// The fixed-size part.
        pub service: ServiceInfo,
        /// $\mathbf{s}$.
        pub storage: Vec<StorageEntry>,
        /// $\mathbf{p}$.
        pub preimage_blobs: Vec<PreimageEntry>,
        /// $\mathbf{l}$.
        pub preimage_requests: Vec<RequestEntry>,
    }

    impl Account {
        /// The keyed account of service `s`: each entry at its state key (GP eq. D.2), the
        /// footprint as given. A repeated key keeps the last entry.
        pub fn keyed(&self, s: ServiceId) -> ServiceAccount {
            let mut a = ServiceAccount::new(self.service);
            for e in &self.storage {
                a.set_item(storage_key(s, &e.key), Some(e.value.clone()));
            }
            for e in &self.preimage_blobs {
                a.set_item(preimage_key(s, &e.hash), Some(e.blob.clone()));
            }
            for e in &self.preimage_requests {
                a.set_item(
                    lookup_key(s, &e.key.hash, e.key.length),
                    Some(encode_timeslots(&e.value)),
                );
            }
            a
        }
    }

    /// `AccountsMapEntry`, with raw keys.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct AccountEntry {
        /// The service index.
        pub id: ServiceId,
        /// The account.
        pub data: Account,
    }

    /// The vectors' $\delta$: `SEQUENCE OF AccountsMapEntry`, ascending by index.
    pub type RawAccounts = Vec<AccountEntry>;

    /// The keyed form of the vectors' $\delta$ (a repeated index keeps the last entry).
    pub fn keyed(raw: &[AccountEntry]) -> super::Accounts {
        raw.iter().map(|e| (e.id, e.data.keyed(e.id))).collect()
    }

    /// One keyed entry, for the JSON form of [`ServiceAccount`].
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct KeyedItem {
        /// Its state key $C(s, h)$.
        #[serde(with = "marmalade_types::serde_hex")]
        pub key: StateKey,
        /// Its serialized value.
        #[serde(with = "marmalade_types::serde_hex")]
        pub value: Vec<u8>,
    }

    /// The JSON form of [`ServiceAccount`].
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct KeyedAccount {
        /// The fixed-size part.
        pub service: ServiceInfo,
        /// The entries, ascending by state key.
        pub items: Vec<KeyedItem>,
    }

    /// The JSON form of an [`Accounts`] entry.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct KeyedEntry {
        /// The service index.
        pub id: ServiceId,
        /// The account.
        pub data: ServiceAccount,
    }

    impl From<ServiceAccount> for KeyedAccount {
        fn from(a: ServiceAccount) -> Self {
            KeyedAccount {
                service: a.info,
                items: a
                    .items
                    .into_iter()
                    .map(|(key, value)| KeyedItem { key, value })
                    .collect(),
            }
        }
    }

    impl From<KeyedAccount> for ServiceAccount {
        fn from(w: KeyedAccount) -> Self {
            ServiceAccount {
                info: w.service,
                items: w.items.into_iter().map(|e| (e.key, e.value)).collect(),
            }
        }
    }

    impl From<super::Accounts> for Vec<KeyedEntry> {
        fn from(a: super::Accounts) -> Self {
            a.0.into_iter()
                .map(|(id, data)| KeyedEntry { id, data })
                .collect()
        }
    }

    impl From<Vec<KeyedEntry>> for super::Accounts {
        fn from(v: Vec<KeyedEntry>) -> Self {
            v.into_iter().map(|e| (e.id, e.data)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preimages::{check, integrate, PreimageAccounts};
    use marmalade_types::{ChainSpec, Preimage};

    fn state_with(services: &[ServiceId]) -> marmalade_state::State {
        let mut st = marmalade_state::State::empty(&ChainSpec::TINY);
        for &s in services {
            st.accounts.insert(s, ServiceInfo::default());
            st.set_storage(s, b"k", Some(vec![s as u8]));
            st.set_preimage(s, &[s as u8; 32], Some(vec![1, 2, 3]));
            st.set_lookup(s, &[s as u8; 32], 3, Some(&[1, 2]));
        }
        st
    }

    #[test]
    fn keyed_entries_are_found_by_their_raw_keys() {
        let st = state_with(&[1, 2]);
        let a = Accounts::from_state(&st);
        assert_eq!(a[&1].items.len(), 3);
        assert_eq!(a[&1].storage(1, b"k"), Some(&[1u8][..]));
        assert_eq!(a[&1].storage(2, b"k"), None, "service 2's key");
        assert_eq!(a[&2].preimage(2, &[2; 32]), Some(&[1u8, 2, 3][..]));
        assert_eq!(a[&2].request(2, &[2; 32], 3), Some(vec![1, 2]));
        assert_eq!(a[&2].request(2, &[2; 32], 4), None);
        // Λ: available in [1, 2) only.
        assert_eq!(
            a[&2].historical_lookup(2, 1, &[2; 32]),
            Some(&[1u8, 2, 3][..])
        );
        assert_eq!(a[&2].historical_lookup(2, 2, &[2; 32]), None);
    }

    #[test]
    fn write_into_replaces_delta_and_keeps_orphans() {
        let mut st = state_with(&[1, 2, 3]);
        // An item of service 9, which has no account info.
        st.set_storage(9, b"orphan", Some(vec![9]));
        let mut a = Accounts::from_state(&st);
        assert_eq!(a.len(), 3);
        a.remove(&2);
        let acc1 = a.get_mut(&1).unwrap();
        acc1.insert_storage(1, b"k", vec![7, 7]);
        acc1.insert_storage(1, b"new", vec![]);
        let mut four = ServiceAccount::default();
        four.insert_request(4, &[4; 32], 10, &[]);
        a.insert(4, four);

        let mut copied = st.clone();
        a.write_into(&mut copied);
        let mut moved = st.clone();
        let _ = Accounts::take_from(&mut moved);
        assert_eq!(moved.items.len(), 1, "only the orphan stays");
        a.clone().into_state(&mut moved);
        assert_eq!(copied, moved);

        assert_eq!(
            copied.accounts.keys().copied().collect::<Vec<_>>(),
            [1, 3, 4]
        );
        assert_eq!(copied.service_items(2).count(), 0, "removed with its items");
        assert_eq!(copied.storage(1, b"k"), Some(&[7u8, 7][..]));
        assert_eq!(copied.storage(1, b"new"), Some(&[][..]));
        assert_eq!(copied.storage(9, b"orphan"), Some(&[9u8][..]));
        assert_eq!(copied.lookup(4, &[4; 32], 10), Some(Ok(vec![])));
        assert_eq!(copied.accounts[&4].items, 2);
        assert_eq!(copied.accounts[&4].bytes, 81 + 10);
        assert_eq!(copied.accounts[&1].items, 2, "one item replaced, one added");
        assert_eq!(copied.service_items(3).count(), 3, "untouched");
        assert_eq!(Accounts::from_state(&copied), a);
    }

    #[test]
    fn preimage_accounts_provide_into_keyed_accounts() {
        let blob = b"blob".to_vec();
        let h = blake2b_256(&blob);
        let mut st = state_with(&[1]);
        st.set_lookup(1, &h, 4, Some(&[]));
        let mut a = Accounts::from_state(&st);
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
        assert_eq!(a[&1].preimage(1, &h), Some(&blob[..]));
        assert_eq!(a[&1].request(1, &h, 4), Some(vec![42]));
        assert!(!a.awaits_preimage(1, &h, 4));
        assert_eq!(integrate(&mut a, &provisions, 43), 0);
    }

    #[test]
    fn malformed_lookup_values_read_as_absent() {
        assert_eq!(decode_timeslots(&[0]), Some(vec![]));
        assert_eq!(
            decode_timeslots(&encode_timeslots(&[1, 2, 3])),
            Some(vec![1, 2, 3])
        );
        assert_eq!(decode_timeslots(&[]), None);
        assert_eq!(decode_timeslots(&[1, 0, 0]), None);
        assert_eq!(decode_timeslots(&[0, 0]), None);
        let mut a = ServiceAccount::default();
        a.set_item(lookup_key(1, &[0; 32], 1), Some(vec![5]));
        assert_eq!(a.request(1, &[0; 32], 1), None);
        // A malformed request entry is not an empty one: nothing to provide.
        a.set_item(lookup_key(1, &blake2b_256(&[7]), 1), Some(vec![0, 0]));
        assert!(!a.provide(1, &[7], 1));
        a.set_item(lookup_key(1, &blake2b_256(&[7]), 1), Some(vec![0]));
        assert!(a.provide(1, &[7], 1));
    }
}
