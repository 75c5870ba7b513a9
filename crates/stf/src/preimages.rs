//! Preimage integration (GP section 12.4, eq. 12.35–12.38, with $\mathcal{I}$ and
//! $\mathcal{Y}$ of GP eq. 12.20–12.21) and the provision counters $p$ of the service
//! statistics (GP eq. 13.7).
//!
//! The preimages extrinsic $\mathbf{E}_P$ is a sequence of (service, blob) pairs, ordered and
//! without duplicates; each blob must be solicited by its service and not yet provided in the
//! *prior* state, $\mathcal{Y}(\delta, s, \mathbf{i})$: the lookup entry
//! $\delta[s]_\mathbf{l}[(\mathcal{H}(\mathbf{i}), |\mathbf{i}|)]$ exists and is empty.
//! Providing sets that entry to $[\tau']$ and stores $\delta[s]_\mathbf{p}[\mathcal{H}(\mathbf{i})]
//! = \mathbf{i}$.
//!
//! The account storage is abstracted by [`PreimageAccounts`] so that block import can run
//! [`check`] against the prior accounts $\delta$ and [`integrate`] into the post-accumulation
//! accounts $\delta^\ddagger$, as GP eq. 12.38 does; [`transition`] runs both on the
//! conformance vectors' account representation ([`State`]).

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::hash::blake2b_256;
use marmalade_types::{
    ByteSequence, ChainSpec, OpaqueHash, Preimage, PreimagesExtrinsic, ServiceActivityRecord,
    ServiceId, ServicesStatistics, ServicesStatisticsMapEntry, TimeSlot,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The service accounts' preimage state, as the preimages extrinsic sees it: the lookup
/// dictionaries $\mathbf{l}$ and the preimage dictionaries $\mathbf{p}$ of GP eq. 9.3.
pub trait PreimageAccounts {
    /// $\mathcal{Y}$ (GP eq. 12.21) at the lookup key $(h, l)$: whether service `service`
    /// exists and its lookup entry for $(h, l)$ is the empty sequence (solicited, not yet
    /// provided).
    fn awaits_preimage(&self, service: ServiceId, hash: &OpaqueHash, length: u32) -> bool;

    /// Provides `blob` (whose hash is `hash`) to `service` at timeslot `slot`:
    /// $\mathbf{l}[(h, |\mathbf{i}|)] = [\,\mathit{slot}\,]$ and $\mathbf{p}[h] = \mathbf{i}$
    /// (GP eq. 12.20). Called only where [`awaits_preimage`](Self::awaits_preimage) holds.
    fn provide(&mut self, service: ServiceId, hash: OpaqueHash, blob: &[u8], slot: TimeSlot);
}

/// One checked item of $\mathbf{E}_P$, with its blob's hash computed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provision<'a> {
    /// The soliciting service.
    pub service: ServiceId,
    /// $\mathcal{H}(\mathbf{i})$.
    pub hash: OpaqueHash,
    /// $\mathbf{i}$, whose length fits the lookup key's $\mathbb{N}_L$.
    pub blob: &'a [u8],
    /// $|\mathbf{i}|$.
    pub length: u32,
}

/// Why a preimages extrinsic is invalid; one variant per `ErrorCode` of the conformance
/// schema, in its order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    thiserror::Error,
    Encode,
    Decode,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Error {
    /// A blob is not solicited by its service, or already provided (GP eq. 12.37).
    #[error("preimage not solicited or already provided")]
    #[codec(index = 0)]
    PreimageUnneeded,
    /// The extrinsic is not ordered by (service, blob) without duplicates (GP eq. 12.36).
    #[error("preimages not sorted and unique")]
    #[codec(index = 1)]
    PreimagesNotSortedUnique,
}

/// Checks $\mathbf{E}_P$ against the prior accounts $\delta$ (GP eq. 12.35–12.37): ordered by
/// $(s, \mathbf{i})$ without duplicates, each blob awaited by its service. Returns the items
/// with their hashes, in order.
pub fn check<'a, A: PreimageAccounts + ?Sized>(
    accounts: &A,
    preimages: &'a [Preimage],
) -> Result<Vec<Provision<'a>>, Error> {
    // GP eq. 12.36: ordered by the items themselves, service index then blob octets.
    if !preimages
        .windows(2)
        .all(|w| (w[0].requester, &w[0].blob) < (w[1].requester, &w[1].blob))
    {
        return Err(Error::PreimagesNotSortedUnique);
    }
    preimages
        .iter()
        .map(|p| {
            // A blob longer than any lookup key's length cannot have been solicited.
            let length = u32::try_from(p.blob.len()).map_err(|_| Error::PreimageUnneeded)?;
            let hash = blake2b_256(&p.blob);
            if !accounts.awaits_preimage(p.requester, &hash, length) {
                return Err(Error::PreimageUnneeded);
            }
            Ok(Provision {
                service: p.requester,
                hash,
                blob: &p.blob,
                length,
            })
        })
        .collect()
}

/// $\mathcal{I}(\mathbf{d}, \mathbf{p})$ (GP eq. 12.20, 12.38): provides each checked item to
/// `accounts` at timeslot $\tau'$ = `slot`, skipping those no longer awaited (the service was
/// removed or dropped its request during accumulation). Returns how many were provided.
pub fn integrate<A: PreimageAccounts + ?Sized>(
    accounts: &mut A,
    provisions: &[Provision<'_>],
    slot: TimeSlot,
) -> usize {
    let mut provided = 0;
    for p in provisions {
        // The items are distinct, so testing against the dictionary as it is being updated is
        // testing against the original d of GP eq. 12.20.
        if accounts.awaits_preimage(p.service, &p.hash, p.length) {
            accounts.provide(p.service, p.hash, p.blob, slot);
            provided += 1;
        }
    }
    provided
}

/// The provision counters of the service statistics (GP eq. 13.7):
/// $p = \sum_{(s, \mathbf{i}) \in \mathbf{E}_P} (1, |\mathbf{i}|)$ per service, over the whole
/// extrinsic (including items that [`integrate`] later disregards).
pub fn provided_statistics(preimages: &[Preimage]) -> BTreeMap<ServiceId, (u64, u64)> {
    let mut out: BTreeMap<ServiceId, (u64, u64)> = BTreeMap::new();
    for p in preimages {
        let e = out.entry(p.requester).or_default();
        e.0 = e.0.saturating_add(1);
        e.1 = e.1.saturating_add(p.blob.len() as u64);
    }
    out
}

/// Adds the provision counters to $\pi_S$ (kept sorted by service index), creating records for
/// services not yet in it. The record's fields are narrower than the GP's naturals; they
/// saturate rather than wrap (a block cannot carry that many preimages).
pub fn add_provided_statistics(stats: &mut ServicesStatistics, preimages: &[Preimage]) {
    for (id, (count, size)) in provided_statistics(preimages) {
        let i = match stats.binary_search_by_key(&id, |e| e.id) {
            Ok(i) => i,
            Err(i) => {
                stats.insert(
                    i,
                    ServicesStatisticsMapEntry {
                        id,
                        record: ServiceActivityRecord::default(),
                    },
                );
                i
            }
        };
        let r = &mut stats[i].record;
        let count = u16::try_from(count).unwrap_or(u16::MAX);
        let size = u32::try_from(size).unwrap_or(u32::MAX);
        r.provided_count = r.provided_count.saturating_add(count);
        r.provided_size = r.provided_size.saturating_add(size);
    }
}

// ---- The conformance vectors' account representation (`preimages.asn`). ----

/// `PreimagesBlobMapEntry`: an entry of $\mathbf{a}_\mathbf{p}$.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct PreimagesBlobMapEntry {
    /// $\mathcal{H}(\mathbf{i})$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: OpaqueHash,
    /// $\mathbf{i}$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub blob: ByteSequence,
}

/// `PreimagesRequestsMapKey`: a key $(h, l)$ of $\mathbf{a}_\mathbf{l}$.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode, Serialize, Deserialize,
)]
pub struct PreimagesRequestsMapKey {
    /// $h$: the preimage hash.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: OpaqueHash,
    /// $l$: the preimage length.
    pub length: u32,
}

/// `PreimagesRequestsMapEntry`: an entry of $\mathbf{a}_\mathbf{l}$: up to three timeslots
/// (solicited, provided, forgotten, re-solicited).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct PreimagesRequestsMapEntry {
    /// The lookup key.
    pub key: PreimagesRequestsMapKey,
    /// The request's history of timeslots.
    pub value: Vec<TimeSlot>,
}

/// `ServiceAccount`: the parts of a service account $\mathbf{a}$ this subsystem touches, each
/// dictionary as a sequence sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct ServiceAccount {
    /// $\mathbf{a}_\mathbf{p}$: the preimages, by hash.
    pub preimage_blobs: Vec<PreimagesBlobMapEntry>,
    /// $\mathbf{a}_\mathbf{l}$: the preimage requests, by (hash, length).
    pub preimage_requests: Vec<PreimagesRequestsMapEntry>,
}

/// `ServiceAccountMapEntry`: an entry of $\delta$.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct ServiceAccountMapEntry {
    /// The service index.
    pub id: ServiceId,
    /// Its account.
    pub data: ServiceAccount,
}

/// The state components the preimages transition reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct State {
    /// $\delta$: the service accounts (their preimage parts), sorted by service index.
    pub accounts: Vec<ServiceAccountMapEntry>,
    /// $\pi_S$: the service statistics, of which the provision counters
    /// (`provided_count`, `provided_size`) are updated.
    pub statistics: ServicesStatistics,
}

/// The preimages transition's input.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Input {
    /// $\mathbf{E}_P$: the preimages extrinsic.
    pub preimages: PreimagesExtrinsic,
    /// $\tau' = \mathbf{H}_T$: the block's timeslot.
    pub slot: TimeSlot,
}

/// The preimages transition has no output (`ok NULL`).
pub type Output = ();

impl ServiceAccount {
    fn request(&self, key: &PreimagesRequestsMapKey) -> Option<&PreimagesRequestsMapEntry> {
        self.preimage_requests.iter().find(|e| e.key == *key)
    }
}

impl PreimageAccounts for [ServiceAccountMapEntry] {
    fn awaits_preimage(&self, service: ServiceId, hash: &OpaqueHash, length: u32) -> bool {
        let key = PreimagesRequestsMapKey {
            hash: *hash,
            length,
        };
        self.iter()
            .find(|a| a.id == service)
            .and_then(|a| a.data.request(&key))
            .is_some_and(|e| e.value.is_empty())
    }

    fn provide(&mut self, service: ServiceId, hash: OpaqueHash, blob: &[u8], slot: TimeSlot) {
        let Some(account) = self.iter_mut().find(|a| a.id == service) else {
            return;
        };
        let a = &mut account.data;
        let key = PreimagesRequestsMapKey {
            hash,
            length: u32::try_from(blob.len()).unwrap_or(u32::MAX),
        };
        match a.preimage_requests.iter_mut().find(|e| e.key == key) {
            Some(e) => e.value = vec![slot],
            None => {
                let i = a.preimage_requests.partition_point(|e| e.key < key);
                a.preimage_requests.insert(
                    i,
                    PreimagesRequestsMapEntry {
                        key,
                        value: vec![slot],
                    },
                );
            }
        }
        let entry = PreimagesBlobMapEntry {
            hash,
            blob: blob.to_vec(),
        };
        match a.preimage_blobs.binary_search_by_key(&hash, |e| e.hash) {
            Ok(i) => a.preimage_blobs[i] = entry,
            Err(i) => a.preimage_blobs.insert(i, entry),
        }
    }
}

/// Applies the preimages extrinsic to the vectors' state: checks it against the prior
/// accounts, provides every item at the block's timeslot and counts the provisions in
/// $\pi_S$. (With no accumulation in between, $\delta^\ddagger = \delta$.)
pub fn transition(_spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, Output), Error> {
    let provisions = check(&pre.accounts[..], &input.preimages)?;
    let mut post = pre.clone();
    integrate(&mut post.accounts[..], &provisions, input.slot);
    add_provided_statistics(&mut post.statistics, &input.preimages);
    Ok((post, ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: ServiceId, requested: &[&[u8]]) -> ServiceAccountMapEntry {
        let mut preimage_requests: Vec<_> = requested
            .iter()
            .map(|b| PreimagesRequestsMapEntry {
                key: PreimagesRequestsMapKey {
                    hash: blake2b_256(b),
                    length: b.len() as u32,
                },
                value: vec![],
            })
            .collect();
        preimage_requests.sort_by_key(|e| e.key);
        ServiceAccountMapEntry {
            id,
            data: ServiceAccount {
                preimage_blobs: vec![],
                preimage_requests,
            },
        }
    }

    fn item(requester: ServiceId, blob: &[u8]) -> Preimage {
        Preimage {
            requester,
            blob: blob.to_vec(),
        }
    }

    #[test]
    fn order_is_by_service_then_blob() {
        let pre = State {
            accounts: vec![account(1, &[b"b", b"a"]), account(2, &[b"a"])],
            statistics: vec![],
        };
        let run = |items: Vec<Preimage>| {
            transition(
                &ChainSpec::TINY,
                &pre,
                &Input {
                    preimages: items,
                    slot: 9,
                },
            )
        };
        let ok = run(vec![item(1, b"a"), item(1, b"b"), item(2, b"a")])
            .unwrap()
            .0;
        assert_eq!(ok.statistics.len(), 2);
        assert_eq!(ok.statistics[0].record.provided_count, 2);
        assert_eq!(ok.statistics[1].record.provided_size, 1);
        assert_eq!(ok.accounts[0].data.preimage_blobs.len(), 2);
        assert!(ok.accounts[0]
            .data
            .preimage_requests
            .iter()
            .all(|e| e.value == vec![9]));
        for bad in [
            vec![item(1, b"b"), item(1, b"a")],
            vec![item(2, b"a"), item(1, b"a")],
            vec![item(1, b"a"), item(1, b"a")],
        ] {
            assert_eq!(run(bad), Err(Error::PreimagesNotSortedUnique));
        }
        // Unknown service; same blob with a length nobody asked for.
        assert_eq!(run(vec![item(3, b"a")]), Err(Error::PreimageUnneeded));
        assert_eq!(run(vec![item(1, b"c")]), Err(Error::PreimageUnneeded));
    }

    #[test]
    fn integration_skips_requests_dropped_meanwhile() {
        let prior = vec![account(1, &[b"a", b"b"])];
        let items = vec![item(1, b"a"), item(1, b"b")];
        let provisions = check(&prior[..], &items).unwrap();
        // Accumulation dropped the request for "b".
        let mut after = prior.clone();
        after[0]
            .data
            .preimage_requests
            .retain(|e| e.key.hash != blake2b_256(b"b"));
        assert_eq!(integrate(&mut after[..], &provisions, 5), 1);
        assert_eq!(after[0].data.preimage_blobs.len(), 1);
        // Provided once, no longer awaited.
        assert!(!after[..].awaits_preimage(1, &blake2b_256(b"a"), 1));
        // The statistics still count both.
        assert_eq!(provided_statistics(&items)[&1], (2, 2));
    }
}
