//! Preimage integration (GP section 12.4, (12.35)–(12.38), with $\mathcal{I}$ and
//! $\mathcal{Y}$ of GP (12.21)–(12.22)) and the provision counters $p$ of the service
//! statistics (GP (13.7)).
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
//! accounts $\delta^\ddagger$, as GP (12.38) does.

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::hash::blake2b_256;
use marmalade_types::{
    OpaqueHash, Preimage, ServiceActivityRecord, ServiceId, ServicesStatistics,
    ServicesStatisticsMapEntry, TimeSlot,
};
use std::collections::BTreeMap;

/// The service accounts' preimage state, as the preimages extrinsic sees it: the lookup
/// dictionaries $\mathbf{l}$ and the preimage dictionaries $\mathbf{p}$ of GP (9.3).
pub trait PreimageAccounts {
    /// $\mathcal{Y}$ (GP (12.21)) at the lookup key $(h, l)$: whether service `service`
    /// exists and its lookup entry for $(h, l)$ is the empty sequence (solicited, not yet
    /// provided).
    fn awaits_preimage(&self, service: ServiceId, hash: &OpaqueHash, length: u32) -> bool;

    /// Provides `blob` (whose hash is `hash`) to `service` at timeslot `slot`:
    /// $\mathbf{l}[(h, |\mathbf{i}|)] = [\,\mathit{slot}\,]$ and $\mathbf{p}[h] = \mathbf{i}$
    /// (GP (12.21)). Called only where [`awaits_preimage`](Self::awaits_preimage) holds.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Encode, Decode)]
pub enum Error {
    /// A blob is not solicited by its service, or already provided (GP (12.37)).
    #[error("preimage not solicited or already provided")]
    #[codec(index = 0)]
    PreimageUnneeded,
    /// The extrinsic is not ordered by (service, blob) without duplicates (GP (12.36)).
    #[error("preimages not sorted and unique")]
    #[codec(index = 1)]
    PreimagesNotSortedUnique,
}

/// Checks $\mathbf{E}_P$ against the prior accounts $\delta$ (GP (12.35)–(12.37)): ordered by
/// $(s, \mathbf{i})$ without duplicates, each blob awaited by its service. Returns the items
/// with their hashes, in order.
pub fn check<'a, A: PreimageAccounts + ?Sized>(
    accounts: &A,
    preimages: &'a [Preimage],
) -> Result<Vec<Provision<'a>>, Error> {
    // GP (12.36): ordered by the items themselves, service index then blob octets.
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

/// $\mathcal{I}(\mathbf{d}, \mathbf{p})$ (GP (12.21), (12.38)): provides each checked item to
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
        // testing against the original d of GP (12.21).
        if accounts.awaits_preimage(p.service, &p.hash, p.length) {
            accounts.provide(p.service, p.hash, p.blob, slot);
            provided += 1;
        }
    }
    provided
}

/// The provision counters of the service statistics (GP (13.7)):
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Accounts as two dictionaries: the lookup entries $\mathbf{l}$ and the preimages
    /// $\mathbf{p}$ of each service.
    #[derive(Debug, Clone, Default)]
    struct TestAccounts {
        requests: BTreeMap<(ServiceId, OpaqueHash, u32), Vec<TimeSlot>>,
        blobs: BTreeMap<(ServiceId, OpaqueHash), Vec<u8>>,
    }

    impl PreimageAccounts for TestAccounts {
        fn awaits_preimage(&self, service: ServiceId, hash: &OpaqueHash, length: u32) -> bool {
            self.requests
                .get(&(service, *hash, length))
                .is_some_and(|e| e.is_empty())
        }

        fn provide(&mut self, service: ServiceId, hash: OpaqueHash, blob: &[u8], slot: TimeSlot) {
            let length = u32::try_from(blob.len()).unwrap_or(u32::MAX);
            self.requests.insert((service, hash, length), vec![slot]);
            self.blobs.insert((service, hash), blob.to_vec());
        }
    }

    fn accounts(requested: &[(ServiceId, &[u8])]) -> TestAccounts {
        let mut a = TestAccounts::default();
        for (s, b) in requested {
            a.requests
                .insert((*s, blake2b_256(b), b.len() as u32), vec![]);
        }
        a
    }

    fn item(requester: ServiceId, blob: &[u8]) -> Preimage {
        Preimage {
            requester,
            blob: blob.to_vec(),
        }
    }

    /// Checks `items` against `pre`, provides them at `slot` and counts them in $\pi_S$, as
    /// the vectors do (with no accumulation between, $\delta^\ddagger = \delta$).
    fn run(
        pre: &TestAccounts,
        items: &[Preimage],
        slot: TimeSlot,
    ) -> Result<(TestAccounts, ServicesStatistics), Error> {
        let provisions = check(pre, items)?;
        let mut post = pre.clone();
        integrate(&mut post, &provisions, slot);
        let mut statistics = vec![];
        add_provided_statistics(&mut statistics, items);
        Ok((post, statistics))
    }

    #[test]
    fn order_is_by_service_then_blob() {
        let pre = accounts(&[(1, b"b"), (1, b"a"), (2, b"a")]);
        let run = |items: Vec<Preimage>| run(&pre, &items, 9);
        let (post, statistics) = run(vec![item(1, b"a"), item(1, b"b"), item(2, b"a")]).unwrap();
        assert_eq!(statistics.len(), 2);
        assert_eq!(statistics[0].record.provided_count, 2);
        assert_eq!(statistics[1].record.provided_size, 1);
        assert_eq!(post.blobs.keys().filter(|(s, _)| *s == 1).count(), 2);
        assert!(post
            .requests
            .iter()
            .filter(|((s, _, _), _)| *s == 1)
            .all(|(_, v)| *v == vec![9]));
        for bad in [
            vec![item(1, b"b"), item(1, b"a")],
            vec![item(2, b"a"), item(1, b"a")],
            vec![item(1, b"a"), item(1, b"a")],
        ] {
            assert_eq!(run(bad).err(), Some(Error::PreimagesNotSortedUnique));
        }
        // Unknown service; same blob with a length nobody asked for.
        assert_eq!(
            run(vec![item(3, b"a")]).err(),
            Some(Error::PreimageUnneeded)
        );
        assert_eq!(
            run(vec![item(1, b"c")]).err(),
            Some(Error::PreimageUnneeded)
        );
    }

    #[test]
    fn integration_skips_requests_dropped_meanwhile() {
        let prior = accounts(&[(1, b"a"), (1, b"b")]);
        let items = vec![item(1, b"a"), item(1, b"b")];
        let provisions = check(&prior, &items).unwrap();
        // Accumulation dropped the request for "b".
        let mut after = prior.clone();
        after
            .requests
            .retain(|(_, h, _), _| *h != blake2b_256(b"b"));
        assert_eq!(integrate(&mut after, &provisions, 5), 1);
        assert_eq!(after.blobs.len(), 1);
        // Provided once, no longer awaited.
        assert!(!after.awaits_preimage(1, &blake2b_256(b"a"), 1));
        // The statistics still count both.
        assert_eq!(provided_statistics(&items)[&1], (2, 2));
    }

    #[test]
    fn error_codes_match_the_schema() {
        let codes = [
            (Error::PreimageUnneeded, 0u8, "preimage_unneeded"),
            (
                Error::PreimagesNotSortedUnique,
                1,
                "preimages_not_sorted_unique",
            ),
        ];
        for (e, code, name) in codes {
            assert_eq!(e.encode(), vec![code]);
            assert_eq!(crate::snake_case(&format!("{e:?}")), name);
        }
    }
}
