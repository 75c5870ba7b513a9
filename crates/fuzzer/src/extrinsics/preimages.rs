//! Preimages ($\mathbf{E}_P$) of blobs the genesis services solicited.
//!
//! [`solicit`] adds to a genesis the requests $\mathbf{l}[(\mathcal{H}(\mathbf{i}),
//! |\mathbf{i}|)] = []$ of service 0 for the blobs [`blobs`] derives from a seed;
//! [`PreimageSource`] (made with [`PreimageSource::new`] and the same seed) then provides,
//! on each parent state, some of the blobs that state still awaits (GP (12.35)–(12.38)).
//! Each blob is provided once per chain: long sessions run out of them, which is accepted.
//!
//! [`PreimageMutation`] breaks one rule of GP (12.36)–(12.37) in an extrinsic.

use super::BlockContext;
use crate::rng::Rng;
use marmalade_crypto::blake2b_256;
use marmalade_state::account::{request_octets, Footprint};
use marmalade_state::{ServiceItems, State};
use marmalade_types::{ChainSpec, Extrinsic, Hash, Preimage, ServiceId};

/// The service whose solicitations [`solicit`] adds: the dev genesis' only service, the
/// bootstrap service (its gratis offset $a_f = 2^{64}-1$ covers any footprint, GP (9.8)).
pub const SOLICITING_SERVICE: ServiceId = 0;

/// How many blobs [`blobs`] derives (duplicates removed, so at most this many).
pub const BLOB_COUNT: usize = 300;

/// The largest blob [`blobs`] derives, in octets (the smallest is 1).
pub const MAX_BLOB_LEN: usize = 200;

/// Mixed into the seed so that the blobs do not repeat the generator's own stream.
const BLOB_STREAM: u64 = 0x7072_6569_6d61_6765; // "preimage"

/// Why preimages could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreimageError {
    /// The state has no account for the soliciting service.
    #[error("service {0} has no account")]
    NoService(ServiceId),
}

/// The blobs `seed` determines: [`BLOB_COUNT`] pseudo-random blobs of 1 to [`MAX_BLOB_LEN`]
/// octets, sorted and without duplicates. [`solicit`] and [`PreimageSource::new`] both call
/// it, so a session's solicitations and provisions agree.
pub fn blobs(seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed ^ BLOB_STREAM);
    let mut out: Vec<Vec<u8>> = (0..BLOB_COUNT)
        .map(|_| {
            let len = 1 + rng.index(MAX_BLOB_LEN);
            let mut blob = Vec::with_capacity(len + 8);
            while blob.len() < len {
                blob.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            blob.truncate(len);
            blob
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Adds to a genesis `state` the solicitations of [`SOLICITING_SERVICE`] for [`blobs`]`(seed)`:
/// $\mathbf{l}[(\mathcal{H}(\mathbf{i}), |\mathbf{i}|)] = []$ (requested, not provided; GP
/// (9.3), (12.37)), with the account's footprint $a_i$ (two items per request) and $a_o$
/// ($81 + z$ per request) kept equal to their definitions (GP (9.8)). Requests the state
/// already holds are left as they are.
pub fn solicit(_spec: &ChainSpec, state: &mut State, seed: u64) -> Result<(), PreimageError> {
    let s = SOLICITING_SERVICE;
    if !state.accounts.contains_key(&s) {
        return Err(PreimageError::NoService(s));
    }
    let (mut items, mut octets) = (0u32, 0u64);
    for blob in blobs(seed) {
        let hash = blake2b_256(&blob);
        // Blobs are at most MAX_BLOB_LEN octets: the length fits N_L.
        let len = blob.len() as u32;
        if state.request(s, &hash, len).is_some() {
            continue;
        }
        state.set_lookup(s, &hash, len, Some(&[]));
        items += 2;
        octets += request_octets(u64::from(len));
    }
    if let Some(info) = state.accounts.get_mut(&s) {
        info.adjust(items, octets, true);
    }
    Ok(())
}

/// The blobs of service `s` that `state` awaits: $\mathcal{Y}$ (GP (12.22)) holds, the request
/// is there and empty (which also means the preimage is absent).
fn awaited<'b>(state: &State, s: ServiceId, blobs: &'b [(Hash, Vec<u8>)]) -> Vec<&'b [u8]> {
    blobs
        .iter()
        .filter(|(h, b)| {
            let len = b.len() as u32;
            state.request(s, h, len).is_some_and(|t| t.is_empty()) && state.preimage(s, h).is_none()
        })
        .map(|(_, b)| b.as_slice())
        .collect()
}

/// Sorts `preimages` by $(s, \mathbf{i})$ and removes duplicates (GP (12.36)).
fn sort_unique(preimages: &mut Vec<Preimage>) {
    preimages.sort_by(|a, b| (a.requester, &a.blob).cmp(&(b.requester, &b.blob)));
    preimages.dedup();
}

/// The source of preimages.
#[derive(Debug, Default)]
pub struct PreimageSource {
    /// The solicited blobs with their hashes (empty when made with `Default`: nothing to
    /// provide).
    blobs: Vec<(Hash, Vec<u8>)>,
}

impl PreimageSource {
    /// A source providing [`blobs`]`(seed)`, the blobs [`solicit`] with the same `seed` asked
    /// for.
    pub fn new(seed: u64) -> PreimageSource {
        PreimageSource {
            blobs: blobs(seed)
                .into_iter()
                .map(|b| (blake2b_256(&b), b))
                .collect(),
        }
    }

    /// How many blobs the source knows.
    pub fn len(&self) -> usize {
        self.blobs.len()
    }

    /// Whether the source knows no blob (made with `Default`).
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// Adds 1 to 4 preimages of blobs `ctx.parent` awaits (GP (12.37)), the extrinsic kept
    /// ordered by $(s, \mathbf{i})$ without duplicates (GP (12.36)); nothing when none is
    /// awaited.
    ///
    /// The GP orders blobs without saying how octet sequences compare; the blobs added are
    /// chosen so that comparing them octet by octet and comparing them by length first agree
    /// (their lengths do not decrease in octet order), so that any reading finds them ordered.
    pub fn fill(
        &mut self,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
        extrinsic: &mut Extrinsic,
    ) -> Result<(), PreimageError> {
        let s = SOLICITING_SERVICE;
        let mut awaited = awaited(ctx.parent, s, &self.blobs);
        // Blobs already in the extrinsic are not awaited by it any more.
        awaited.retain(|b| {
            !extrinsic
                .preimages
                .iter()
                .any(|p| p.requester == s && p.blob == *b)
        });
        if awaited.is_empty() {
            return Ok(());
        }
        let want = 1 + rng.index(4);
        let mut picked: Vec<&[u8]> = Vec::with_capacity(want);
        for _ in 0..want.min(awaited.len()) {
            picked.push(awaited.swap_remove(rng.index(awaited.len())));
        }
        picked.sort();
        // Keep a subsequence whose lengths do not decrease (octet order = length-first order).
        let mut kept: Vec<&[u8]> = Vec::with_capacity(picked.len());
        for b in picked {
            if kept.last().is_none_or(|last| last.len() <= b.len()) {
                kept.push(b);
            }
        }
        extrinsic
            .preimages
            .extend(kept.into_iter().map(|b| Preimage {
                requester: s,
                blob: b.to_vec(),
            }));
        sort_unique(&mut extrinsic.preimages);
        Ok(())
    }
}

/// A way of making a preimages extrinsic invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PreimageMutation {
    /// A blob no service solicited (GP (12.37): $\mathcal{Y}$ fails, no request).
    Unsolicited,
    /// A blob the parent state already holds, its request not empty (GP (12.37)).
    AlreadyProvided,
    /// An item repeated (GP (12.36): ordered without duplicates).
    Duplicate,
    /// Two items out of order (GP (12.36)).
    Order,
    /// A solicited blob attributed to another service, which did not solicit it (GP (12.37)).
    WrongService,
    /// A bit of a solicited blob flipped: its hash is no longer requested (GP (12.37)).
    BlobAltered,
}

impl PreimageMutation {
    /// Every mutation.
    pub const ALL: [PreimageMutation; 6] = [
        PreimageMutation::Unsolicited,
        PreimageMutation::AlreadyProvided,
        PreimageMutation::Duplicate,
        PreimageMutation::Order,
        PreimageMutation::WrongService,
        PreimageMutation::BlobAltered,
    ];

    /// A short `kebab-case` name, for reports and file names.
    pub const fn name(self) -> &'static str {
        match self {
            PreimageMutation::Unsolicited => "preimage-unsolicited",
            PreimageMutation::AlreadyProvided => "preimage-already-provided",
            PreimageMutation::Duplicate => "preimage-duplicate",
            PreimageMutation::Order => "preimages-order",
            PreimageMutation::WrongService => "preimage-wrong-service",
            PreimageMutation::BlobAltered => "preimage-blob-altered",
        }
    }

    /// `extrinsic` with its preimages made invalid on `ctx.parent`, or `None` when the
    /// mutation needs preimages the extrinsic does not have (`Duplicate`, `WrongService`,
    /// `BlobAltered` need one, `Order` two distinct ones). Nothing else changes, so a node
    /// must reject a block re-sealed around it.
    pub fn apply(
        self,
        extrinsic: &Extrinsic,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
    ) -> Option<Extrinsic> {
        let mut e = extrinsic.clone();
        let p = &mut e.preimages;
        match self {
            PreimageMutation::Unsolicited => {
                // Longer than any solicited blob: never requested by the generated sets.
                let len = MAX_BLOB_LEN + 1 + rng.index(64);
                let blob = (0..len).map(|_| rng.next_u64() as u8).collect();
                p.push(Preimage {
                    requester: SOLICITING_SERVICE,
                    blob,
                });
                sort_unique(p);
            }
            PreimageMutation::AlreadyProvided => {
                let provided = provided_blobs(ctx.parent, SOLICITING_SERVICE);
                if provided.is_empty() {
                    return None;
                }
                let blob = provided[rng.index(provided.len())].to_vec();
                p.push(Preimage {
                    requester: SOLICITING_SERVICE,
                    blob,
                });
                sort_unique(p);
            }
            PreimageMutation::Duplicate => {
                let i = rng.index(p.len());
                let item = p.get(i)?.clone();
                p.insert(i, item);
            }
            PreimageMutation::Order => {
                if p.len() < 2 {
                    return None;
                }
                let last = p.len() - 1;
                p.swap(0, last);
            }
            PreimageMutation::WrongService => {
                // The last item: a greater service index keeps the order (GP (12.36)).
                let last = p.last_mut()?;
                let other = last.requester.checked_add(1 + rng.below(1000) as u32)?;
                if ctx.parent.accounts.contains_key(&other) {
                    // A service that exists might solicit the blob too; keep to one that
                    // does not.
                    return None;
                }
                last.requester = other;
            }
            PreimageMutation::BlobAltered => {
                let i = rng.index(p.len());
                let blob = &mut p.get_mut(i)?.blob;
                if blob.is_empty() {
                    return None;
                }
                let j = rng.index(blob.len());
                blob[j] ^= 1 << rng.below(8);
            }
        }
        (e != *extrinsic).then_some(e)
    }
}

impl std::fmt::Display for PreimageMutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The preimages $\mathbf{p}$ of service `s` in `state`: the items whose key is the preimage
/// key of their own value's hash (items are held by hashed keys, so this is how a preimage is
/// told from storage and requests).
fn provided_blobs(state: &State, s: ServiceId) -> Vec<&[u8]> {
    state
        .items
        .service(s)
        .filter(|(key, value)| **key == marmalade_state::key::preimage_key(s, &blake2b_256(value)))
        .map(|(_, value)| value)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_a_function_of_the_seed_sorted_unique_and_in_range() {
        let a = blobs(1);
        assert_eq!(a, blobs(1));
        assert_ne!(a, blobs(2));
        assert!(a.len() > BLOB_COUNT / 2);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|b| (1..=MAX_BLOB_LEN).contains(&b.len())));
    }
}
