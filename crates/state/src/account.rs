//! Service accounts (GP section 9): the item accessors every holder of service items shares
//! ([`ServiceItems`]), the footprint and threshold balance (GP (9.8)), the code
//! $a_\mathbf{c}$ and the historical lookup $\Lambda$ (GP (9.7)); and [`ServiceAccount`], an
//! account held whole (one created during accumulation, or one built for a test).
//!
//! # Items by state key
//!
//! An account's three dictionaries $\mathbf{s}$, $\mathbf{p}$ and $\mathbf{l}$ are held by the
//! GP D.1 state key $C(s, h)$ of each entry with its serialized value (GP (D.2)):
//!
//! - storage $\mathbf{s}\[k\] = \mathbf{v}$ at [`storage_key`]`(s, k)`, value $\mathbf{v}$;
//! - preimage $\mathbf{p}\[h\] = \mathbf{p}$ at [`preimage_key`]`(s, h)`, value $\mathbf{p}$;
//! - request $\mathbf{l}[(h, z)] = \mathbf{t}$ at [`lookup_key`]`(s, h, z)`, value
//!   $\mathcal{E}(\updownarrow[\mathcal{E}_4(x) \mid x \orderedin \mathbf{t}])$.
//!
//! Since GP 0.7 the state key hashes the item's own key together with its kind, so a node that
//! starts from a state given as key/value pairs knows neither the raw storage keys nor the
//! request keys; it does not need to: every host call is given the raw key (or $h$ and $z$)
//! and computes the state key from it. The footprint $a_i$, $a_o$ cannot be recomputed from
//! such a map, so it is kept in the account's [`ServiceInfo`] (as the state serialization
//! stores it) and updated on every change ([`Footprint`]).

use crate::key::{lookup_key, preimage_key, storage_key, StateKey};
use marmalade_codec::{decode_all, decode_natural, Encode, Reader, SeqLens};
use marmalade_crypto::blake2b_256;
use marmalade_types::constants::{BASE_DEPOSIT, BYTE_DEPOSIT, ITEM_DEPOSIT};
use marmalade_types::{Hash, ServiceId, ServiceInfo, TimeSlot};
use std::collections::BTreeMap;

/// The octets one storage item adds to $a_o$: $34 + |k| + |v|$ (GP (9.8)).
pub fn storage_item_octets(key_len: usize, value_len: usize) -> u64 {
    34u64
        .saturating_add(key_len as u64)
        .saturating_add(value_len as u64)
}

/// The octets one lookup request for a preimage of `len` octets adds to $a_o$: $81 + z$
/// (GP (9.8)). Computed in 64 bits: any $z < 2^{64} - 81$ is representable.
pub fn request_octets(len: u64) -> u64 {
    81u64.saturating_add(len)
}

/// $a_t$ (GP (9.8)): the threshold balance of an account with this footprint,
/// $\max(0, \mathsf{B}_S + \mathsf{B}_I a_i + \mathsf{B}_L a_o - a_f)$.
pub fn threshold_balance(info: &ServiceInfo) -> u64 {
    let gross = (BASE_DEPOSIT as u128)
        + ITEM_DEPOSIT as u128 * info.items as u128
        + BYTE_DEPOSIT as u128 * info.bytes as u128;
    gross
        .saturating_sub(info.deposit_offset as u128)
        .min(u64::MAX as u128) as u64
}

/// Footprint updates: every change to storage or requests goes through these so that $a_i$
/// and $a_o$ always equal their definitions (GP (9.8)).
pub trait Footprint {
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

/// $I(\mathbf{l}, t)$ of GP (9.7): whether a preimage with request history `l` was available
/// at time `t`.
pub fn available_at(l: &[TimeSlot], t: TimeSlot) -> bool {
    match *l {
        [x] => x <= t,
        [x, y] => x <= t && t < y,
        [x, y, z] => (x <= t && t < y) || z <= t,
        _ => false,
    }
}

/// Splits a code preimage into metadata and code: the preimage is
/// $\mathcal{E}(\updownarrow\mathbf{m}, \mathbf{c})$ (GP (9.4)); `None` if it is not such an
/// encoding.
pub fn split_code(preimage: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut r = Reader::new(preimage, SeqLens::TINY);
    let len = decode_natural(&mut r).ok()?;
    let len = usize::try_from(len).ok()?;
    let metadata = r.take(len).ok()?;
    Some((metadata, r.rest()))
}

/// $\mathcal{E}(\updownarrow[\mathcal{E}_4(x) \mid x \orderedin \mathbf{t}])$: a request's
/// timeslots as stored at its lookup key (GP (D.2)).
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

/// Reads of a service's items by their GP keys: the one set of accessors for everything that
/// holds service items (the state, an account, accumulation's view of an account). Only
/// [`ServiceItems::item`] is required; the rest compute the state key and decode.
pub trait ServiceItems {
    /// The serialized entry at state key `key`, whatever its kind.
    fn item(&self, key: &StateKey) -> Option<&[u8]>;

    /// $\mathbf{s}\[k\]$ of service `s`.
    fn storage(&self, s: ServiceId, k: &[u8]) -> Option<&[u8]> {
        self.item(&storage_key(s, k))
    }

    /// $\mathbf{p}\[h\]$ of service `s`.
    fn preimage(&self, s: ServiceId, h: &Hash) -> Option<&[u8]> {
        self.item(&preimage_key(s, h))
    }

    /// $\mathbf{l}[(h, z)]$ of service `s`; absent if its value does not decode
    /// ([`decode_timeslots`]).
    fn request(&self, s: ServiceId, h: &Hash, z: u32) -> Option<Vec<TimeSlot>> {
        self.item(&lookup_key(s, h, z)).and_then(decode_timeslots)
    }

    /// $a_\mathbf{c}$ (GP (9.4)) of service `s` with code hash `code_hash`: the code part of
    /// the preimage of the code hash, if present and well formed.
    fn code(&self, s: ServiceId, code_hash: &Hash) -> Option<&[u8]> {
        split_code(self.preimage(s, code_hash)?).map(|(_, c)| c)
    }

    /// $\Lambda(\mathbf{a}, t, h)$ (GP (9.7)) of service `s`: the preimage of `h` if it was
    /// available at time `t`.
    fn historical_lookup(&self, s: ServiceId, t: TimeSlot, h: &Hash) -> Option<&[u8]> {
        let p = self.preimage(s, h)?;
        let len = u32::try_from(p.len()).ok()?;
        let l = self.request(s, h, len)?;
        available_at(&l, t).then_some(p)
    }
}

/// $\mathbb{A}$ (GP (9.3)) held whole: the fixed part and every item by state key. The
/// account does not know its own index $s$; the accessors that compute a state key take it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceAccount {
    /// $c, b, g, m, o, f, i, r, a, p$: the code hash, balance, gas minima, footprint ($a_o$,
    /// $a_i$), gratis offset, creation and last-accumulation slots and parent.
    pub info: ServiceInfo,
    /// $\mathbf{s}$, $\mathbf{p}$ and $\mathbf{l}$, by state key $C(s, h)$, with their
    /// serialized values (GP (D.2)).
    pub items: BTreeMap<StateKey, Vec<u8>>,
}

impl ServiceItems for ServiceAccount {
    fn item(&self, key: &StateKey) -> Option<&[u8]> {
        self.items.get(key).map(Vec::as_slice)
    }
}

impl ServiceAccount {
    /// An account with no storage, preimages or requests.
    pub fn new(info: ServiceInfo) -> Self {
        ServiceAccount {
            info,
            items: BTreeMap::new(),
        }
    }

    /// $a_t$ (GP (9.8)).
    pub fn threshold_balance(&self) -> u64 {
        threshold_balance(&self.info)
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
    /// to date (GP (9.8)). For building accounts; `write` checks the balance first.
    pub fn insert_storage(&mut self, s: ServiceId, k: &[u8], v: Vec<u8>) {
        let n = v.len();
        if let Some(old) = self.set_item(storage_key(s, k), Some(v)) {
            self.info
                .adjust(1, storage_item_octets(k.len(), old.len()), false);
        }
        self.info.adjust(1, storage_item_octets(k.len(), n), true);
    }

    /// Sets $\mathbf{l}[(h, z)] = \mathbf{t}$ of this account (index `s`), keeping $a_i$,
    /// $a_o$ up to date (GP (9.8)). For building accounts.
    pub fn insert_request(&mut self, s: ServiceId, h: &Hash, z: u32, t: &[TimeSlot]) {
        if self
            .set_item(lookup_key(s, h, z), Some(encode_timeslots(t)))
            .is_none()
        {
            self.info.adjust(2, request_octets(z.into()), true);
        }
    }

    /// Sets $\mathbf{p}[\mathcal{H}(\mathbf{p})] = \mathbf{p}$ of this account (index `s`)
    /// and returns the hash. Preimages do not count in the footprint (GP (9.8)).
    pub fn insert_preimage(&mut self, s: ServiceId, p: Vec<u8>) -> Hash {
        let h = blake2b_256(&p);
        self.set_item(preimage_key(s, &h), Some(p));
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn accessors_and_historical_lookup() {
        let mut a = ServiceAccount::default();
        a.insert_storage(2, b"k", vec![1]);
        let h = a.insert_preimage(2, vec![1, 2, 3]);
        a.insert_request(2, &h, 3, &[1, 2]);
        assert_eq!(a.info.items, 3);
        assert_eq!(a.info.bytes, 34 + 1 + 1 + 81 + 3);
        assert_eq!(a.storage(2, b"k"), Some(&[1u8][..]));
        assert_eq!(a.storage(3, b"k"), None, "service 3's key");
        assert_eq!(a.request(2, &h, 3), Some(vec![1, 2]));
        assert_eq!(a.historical_lookup(2, 1, &h), Some(&[1u8, 2, 3][..]));
        assert_eq!(a.historical_lookup(2, 2, &h), None);
    }
}
