//! Service accounts (GP section 9, `accounts.tex`): the account tuple $\mathbb{A}$ with its
//! storage $\mathbf{s}$, preimages $\mathbf{p}$ and lookup requests $\mathbf{l}$, the
//! footprint $a_i$/$a_o$ and threshold balance $a_t$ (GP eq:deposits), the code $a_\mathbf{c}$
//! (GP 9.2, Code and Gas) and the historical lookup $\Lambda$ (GP eq:historicallookup).
//!
//! The three dictionaries are keyed maps holding the GP's own keys (the raw storage key, the
//! preimage hash, the `(hash, length)` request key), so the state serialisation can derive
//! the GP D.1 trie keys $C(s, \cdot)$ from them directly. The footprint $a_i$, $a_o$ is kept in
//! the account's [`ServiceInfo`] (as the state serialisation stores it) and is updated
//! incrementally on every change rather than recomputed from the maps.

use marmalade_codec::{decode_natural, Decode, Encode, Reader};
use marmalade_crypto::hash::blake2b_256;
use marmalade_types::constants::{BASE_DEPOSIT, BYTE_DEPOSIT, ITEM_DEPOSIT};
use marmalade_types::{Hash, ServiceId, ServiceInfo, TimeSlot};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A lookup-request key $(h, z)$: the preimage hash and its presupposed length in octets.
pub type RequestKey = (Hash, u32);

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

/// $\mathbb{A}$ (GP eq:serviceaccount): a service account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "wire::Account", from = "wire::Account")]
pub struct ServiceAccount {
    /// $c, b, g, m, o, f, i, r, a, p$: the code hash, balance, gas minima, footprint ($a_o$,
    /// $a_i$), gratis offset, creation and last-accumulation slots and parent.
    pub info: ServiceInfo,
    /// $\mathbf{s}$: storage, raw key to value.
    pub storage: BTreeMap<Vec<u8>, Vec<u8>>,
    /// $\mathbf{p}$: preimages, hash to blob.
    pub preimages: BTreeMap<Hash, Vec<u8>>,
    /// $\mathbf{l}$: lookup requests, $(h, z)$ to up to three timeslots.
    pub requests: BTreeMap<RequestKey, Vec<TimeSlot>>,
}

impl ServiceAccount {
    /// $a_t$ (GP eq:deposits).
    pub fn threshold_balance(&self) -> u64 {
        threshold_balance(&self.info)
    }

    /// $a_\mathbf{c}$ (GP 9.2, Code and Gas): the code part of the preimage of the code hash,
    /// if the preimage is present and well formed.
    pub fn code(&self) -> Option<&[u8]> {
        let preimage = self.preimages.get(&self.info.code_hash)?;
        split_code(preimage).map(|(_, c)| c)
    }

    /// $\Lambda(\mathbf{a}, t, h)$ (GP eq:historicallookup): the preimage of `h` if it was
    /// available at time `t`.
    pub fn historical_lookup(&self, t: TimeSlot, h: &Hash) -> Option<&[u8]> {
        let p = self.preimages.get(h)?;
        let len = u32::try_from(p.len()).ok()?;
        let l = self.requests.get(&(*h, len))?;
        available_at(l, t).then_some(&p[..])
    }

    /// Recomputes $a_i$ and $a_o$ from the maps (GP eq:deposits); for checking the incremental
    /// bookkeeping.
    pub fn computed_footprint(&self) -> (u32, u64) {
        let items = 2 * self.requests.len() as u64 + self.storage.len() as u64;
        let octets = self
            .requests
            .keys()
            .map(|(_, z)| request_octets(*z))
            .chain(
                self.storage
                    .iter()
                    .map(|(k, v)| storage_item_octets(k.len(), v.len())),
            )
            .fold(0u64, u64::saturating_add);
        (items.min(u32::MAX as u64) as u32, octets)
    }

    /// Integrates a provided preimage $\mathbf{i}$ if it is requested and not yet present
    /// (the body of $I$, GP 12.2, eq:accpar): the request becomes $[t]$ and the blob is
    /// stored. Returns whether it was integrated.
    pub fn provide(&mut self, blob: &[u8], t: TimeSlot) -> bool {
        let Ok(len) = u32::try_from(blob.len()) else {
            return false;
        };
        let h = blake2b_256(blob);
        match self.requests.get_mut(&(h, len)) {
            Some(l) if l.is_empty() => {
                l.push(t);
                self.preimages.insert(h, blob.to_vec());
                true
            }
            _ => false,
        }
    }
}

/// $\delta$: the service accounts, a dictionary from service index to account. Encoded (and
/// serialized) as the vectors' `SEQUENCE OF AccountsMapEntry`, ascending by index.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "Vec<wire::AccountEntry>", from = "Vec<wire::AccountEntry>")]
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

impl Encode for ServiceAccount {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.info.encode_to(out);
        marmalade_codec::encode_natural(self.storage.len() as u64, out);
        for (k, v) in &self.storage {
            k.encode_to(out);
            v.encode_to(out);
        }
        marmalade_codec::encode_natural(self.preimages.len() as u64, out);
        for (h, p) in &self.preimages {
            h.encode_to(out);
            p.encode_to(out);
        }
        marmalade_codec::encode_natural(self.requests.len() as u64, out);
        for ((h, z), l) in &self.requests {
            h.encode_to(out);
            z.encode_to(out);
            l.encode_to(out);
        }
    }
}

/// Collects entries into a map, rejecting a repeated key (any order is accepted).
fn collect_unique<K: Ord, V>(
    entries: impl IntoIterator<Item = (K, V)>,
) -> marmalade_codec::Result<BTreeMap<K, V>> {
    let mut map = BTreeMap::new();
    for (k, v) in entries {
        if map.insert(k, v).is_some() {
            return Err(marmalade_codec::Error::Invalid("repeated dictionary key"));
        }
    }
    Ok(map)
}

impl Decode for ServiceAccount {
    fn decode(r: &mut Reader<'_>) -> marmalade_codec::Result<Self> {
        let w = wire::Account::decode(r)?;
        Ok(ServiceAccount {
            info: w.service,
            storage: collect_unique(w.storage.into_iter().map(|e| (e.key, e.value)))?,
            preimages: collect_unique(w.preimage_blobs.into_iter().map(|e| (e.hash, e.blob)))?,
            requests: collect_unique(
                w.preimage_requests
                    .into_iter()
                    .map(|e| ((e.key.hash, e.key.length), e.value)),
            )?,
        })
    }
}

impl Encode for Accounts {
    fn encode_to(&self, out: &mut Vec<u8>) {
        marmalade_codec::encode_natural(self.0.len() as u64, out);
        for (id, a) in &self.0 {
            id.encode_to(out);
            a.encode_to(out);
        }
    }
}

impl Decode for Accounts {
    fn decode(r: &mut Reader<'_>) -> marmalade_codec::Result<Self> {
        let n = r.seq_len()?;
        let mut entries = Vec::new();
        for _ in 0..n {
            entries.push((ServiceId::decode(r)?, ServiceAccount::decode(r)?));
        }
        collect_unique(entries).map(Accounts)
    }
}

/// The vectors' entry types (`accumulate.asn`), used for the JSON form and for decoding.
pub mod wire {
    use super::*;

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

    /// `ServiceAccount`.
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

    /// `AccountsMapEntry`.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
    pub struct AccountEntry {
        /// The service index.
        pub id: ServiceId,
        /// The account.
        pub data: super::ServiceAccount,
    }

    impl From<super::ServiceAccount> for Account {
        fn from(a: super::ServiceAccount) -> Self {
            Account {
                service: a.info,
                storage: a
                    .storage
                    .into_iter()
                    .map(|(key, value)| StorageEntry { key, value })
                    .collect(),
                preimage_blobs: a
                    .preimages
                    .into_iter()
                    .map(|(hash, blob)| PreimageEntry { hash, blob })
                    .collect(),
                preimage_requests: a
                    .requests
                    .into_iter()
                    .map(|((hash, length), value)| RequestEntry {
                        key: RequestKey { hash, length },
                        value,
                    })
                    .collect(),
            }
        }
    }

    impl From<Account> for super::ServiceAccount {
        fn from(w: Account) -> Self {
            // JSON input: a repeated key keeps the last entry.
            super::ServiceAccount {
                info: w.service,
                storage: w.storage.into_iter().map(|e| (e.key, e.value)).collect(),
                preimages: w
                    .preimage_blobs
                    .into_iter()
                    .map(|e| (e.hash, e.blob))
                    .collect(),
                requests: w
                    .preimage_requests
                    .into_iter()
                    .map(|e| ((e.key.hash, e.key.length), e.value))
                    .collect(),
            }
        }
    }

    impl From<super::Accounts> for Vec<AccountEntry> {
        fn from(a: super::Accounts) -> Self {
            a.0.into_iter()
                .map(|(id, data)| AccountEntry { id, data })
                .collect()
        }
    }

    impl From<Vec<AccountEntry>> for super::Accounts {
        fn from(v: Vec<AccountEntry>) -> Self {
            v.into_iter().map(|e| (e.id, e.data)).collect()
        }
    }
}
