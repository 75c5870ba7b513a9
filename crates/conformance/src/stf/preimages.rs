//! The `stf/preimages` vectors (GP 12.4; schema `stf/preimages/preimages.asn`): a preimages
//! extrinsic against the services' preimage requests and blobs, updating them and the
//! provision counters of $\pi_S$. The output is `ok NULL` or an error code.
//!
//! The adapter implements [`PreimageAccounts`] on the vectors' account representation and
//! runs [`check`], [`integrate`] and [`add_provided_statistics`] on it.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::preimages::{
    add_provided_statistics, check, integrate, Error, PreimageAccounts,
};
use marmalade_types::{
    ByteSequence, ChainSpec, OpaqueHash, PreimagesExtrinsic, ServiceId, ServicesStatistics,
    TimeSlot,
};
use serde::Serialize;
use std::path::Path;

/// `PreimagesBlobMapEntry`: an entry of $\mathbf{a}_\mathbf{p}$.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct PreimagesBlobMapEntry {
    /// $\mathcal{H}(\mathbf{i})$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: OpaqueHash,
    /// $\mathbf{i}$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub blob: ByteSequence,
}

/// `PreimagesRequestsMapKey`: a key $(h, l)$ of $\mathbf{a}_\mathbf{l}$.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode, Serialize)]
pub struct PreimagesRequestsMapKey {
    /// $h$: the preimage hash.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: OpaqueHash,
    /// $l$: the preimage length.
    pub length: u32,
}

/// `PreimagesRequestsMapEntry`: an entry of $\mathbf{a}_\mathbf{l}$: up to three timeslots.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct PreimagesRequestsMapEntry {
    /// The lookup key.
    pub key: PreimagesRequestsMapKey,
    /// The request's history of timeslots.
    pub value: Vec<TimeSlot>,
}

/// `ServiceAccount`: the preimage parts of a service account, each dictionary as a sequence
/// sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct ServiceAccount {
    /// $\mathbf{a}_\mathbf{p}$.
    pub preimage_blobs: Vec<PreimagesBlobMapEntry>,
    /// $\mathbf{a}_\mathbf{l}$.
    pub preimage_requests: Vec<PreimagesRequestsMapEntry>,
}

/// `ServiceAccountMapEntry`: an entry of $\delta$.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct ServiceAccountMapEntry {
    /// The service index.
    pub id: ServiceId,
    /// Its account.
    pub data: ServiceAccount,
}

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\delta$ (the preimage parts), sorted by service index.
    pub accounts: Vec<ServiceAccountMapEntry>,
    /// $\pi_S$, of which the provision counters are updated.
    pub statistics: ServicesStatistics,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Input {
    /// $\mathbf{E}_P$.
    pub preimages: PreimagesExtrinsic,
    /// $\tau' = \mathbf{H}_T$.
    pub slot: TimeSlot,
}

impl ServiceAccount {
    fn request(&self, key: &PreimagesRequestsMapKey) -> Option<&PreimagesRequestsMapEntry> {
        self.preimage_requests.iter().find(|e| e.key == *key)
    }
}

impl PreimageAccounts for State {
    fn awaits_preimage(&self, service: ServiceId, hash: &OpaqueHash, length: u32) -> bool {
        let key = PreimagesRequestsMapKey {
            hash: *hash,
            length,
        };
        self.accounts
            .iter()
            .find(|a| a.id == service)
            .and_then(|a| a.data.request(&key))
            .is_some_and(|e| e.value.is_empty())
    }

    fn provide(&mut self, service: ServiceId, hash: OpaqueHash, blob: &[u8], slot: TimeSlot) {
        let Some(account) = self.accounts.iter_mut().find(|a| a.id == service) else {
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
pub fn transition(_spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, ()), Error> {
    let provisions = check(pre, &input.preimages)?;
    let mut post = pre.clone();
    integrate(&mut post, &provisions, input.slot);
    add_provided_statistics(&mut post.statistics, &input.preimages);
    Ok((post, ()))
}

/// `Output ::= CHOICE { ok NULL, err ErrorCode }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum TestOutput {
    /// Success.
    #[codec(index = 0)]
    Ok(()),
    /// The error code.
    #[codec(index = 1)]
    Err(Error),
}

impl From<TestOutput> for Result<(), Error> {
    fn from(o: TestOutput) -> Self {
        match o {
            TestOutput::Ok(v) => Ok(v),
            TestOutput::Err(e) => Err(e),
        }
    }
}

/// `TestCase ::= SEQUENCE { input, pre-state, output, post-state }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct TestCase {
    /// The preimages extrinsic and the block's timeslot.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The expected output.
    pub output: TestOutput,
    /// The expected posterior state (the prior state on an error).
    pub post_state: State,
}

/// Runs one `stf/preimages` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<(), Error> = case.output.into();
    let (got, post) = match transition(spec, &case.pre_state, &case.input) {
        Ok((post, out)) => (Ok(out), post),
        Err(e) => (Err(e), case.pre_state),
    };
    super::check(&expected, &got, &case.post_state, &post)
}
