//! The assurer's shard store: what a validator keeps of each work-package it assures, keyed by
//! (erasure root, shard index) as JAMNP-S asks for it (CE 138, 139, 140).
//!
//! Retention (GP section 14.3): items of the short-term Audit DA (bundle shards) are kept "only
//! until finality of the block in which the availability of the work-result's work-package is
//! assured"; the D³L (segment shards, exports and proof pages) are kept "for a minimum of 28 days
//! (672 complete epochs) following the reporting of the work-report". Each entry records the
//! slot of its report; [`DaStore::expire_bundles`] and [`DaStore::expire`] drop what is older than
//! a cutoff the caller derives ([`audit_cutoff`], [`segment_cutoff`]).

use std::collections::HashMap;

use marmalade_crypto::hash::{blake2b_256, Hash};
use marmalade_merkle::binary::WbTree;
use marmalade_types::{ChainSpec, ErasureRoot, TimeSlot};

use crate::availability::{verify_shards, JustificationStep, ShardSeq, ValidatorShards};
use crate::DaError;

/// Segment shards are kept 672 complete epochs (28 days) after the report (GP section 14.3).
pub const SEGMENT_RETENTION_EPOCHS: u32 = 672;

/// The oldest report slot whose segment shards must still be kept at slot `now`: reports made
/// before it are past the D³L retention of 672 epochs.
pub fn segment_cutoff(spec: &ChainSpec, now: TimeSlot) -> TimeSlot {
    now.saturating_sub(SEGMENT_RETENTION_EPOCHS.saturating_mul(spec.epoch_length))
}

/// The oldest report slot whose bundle shard may still be needed once the block of slot
/// `finalized` is final: a report is assured within `U` slots of being reported or dropped
/// (GP (11.17), the availability timeout `U = 5`), so a report made more than `U` slots before
/// the finalized slot has had its assurance, if any, finalized.
pub fn audit_cutoff(finalized: TimeSlot) -> TimeSlot {
    finalized.saturating_sub(marmalade_types::constants::ASSURANCE_TIMEOUT_PERIOD)
}

/// A shard with its justification, as CE 138 and CE 140 return them.
pub type Justified = (Vec<u8>, Vec<JustificationStep>);

/// Where a validator's shards live.
pub trait DaStore: Send + Sync {
    /// Stores validator `index`'s shards of the package with this erasure root, reported at
    /// `reported`, after checking them against the root (CE 137). Storing the same key again
    /// replaces the entry.
    fn insert(
        &mut self,
        erasure_root: ErasureRoot,
        index: u16,
        shards: ValidatorShards,
        reported: TimeSlot,
    ) -> Result<(), DaError>;

    /// The bundle shard and its CE 138 justification (the CE 137 one with the segment-shards
    /// root appended); `None` if not stored or already expired.
    fn bundle_shard(&self, erasure_root: &ErasureRoot, index: u16) -> Option<Justified>;

    /// The segment shards at `segments` (indices into `s ⌢ P(s)`), for CE 139.
    fn segment_shards(
        &self,
        erasure_root: &ErasureRoot,
        index: u16,
        segments: &[u16],
    ) -> Result<Vec<Vec<u8>>, DaError>;

    /// The segment shards at `segments` with their CE 140 justifications.
    fn segment_shards_justified(
        &self,
        erasure_root: &ErasureRoot,
        index: u16,
        segments: &[u16],
    ) -> Result<Vec<Justified>, DaError>;

    /// Every (erasure root, shard index) held, with its report slot.
    fn list(&self) -> Vec<(ErasureRoot, u16, TimeSlot)>;

    /// Drops everything of reports made before `before` (the D³L retention, [`segment_cutoff`]);
    /// returns the number of entries removed.
    fn expire(&mut self, before: TimeSlot) -> usize;

    /// Drops the bundle shards (the Audit DA) of reports made before `before` ([`audit_cutoff`]),
    /// keeping their segment shards; returns the number of bundle shards dropped.
    fn expire_bundles(&mut self, before: TimeSlot) -> usize;
}

#[derive(Debug, Clone)]
struct Entry {
    bundle_shard: Option<Vec<u8>>,
    bundle_hash: Hash,
    segments: ShardSeq,
    segments_root: Hash,
    /// The well-balanced tree over the segment shards, for CE 140 traces.
    tree: WbTree,
    justification: Vec<JustificationStep>,
    reported: TimeSlot,
}

/// A [`DaStore`] in memory.
#[derive(Debug, Clone)]
pub struct MemoryDaStore {
    validators: usize,
    entries: HashMap<(ErasureRoot, u16), Entry>,
}

impl MemoryDaStore {
    /// An empty store for a chain of `validators` validators (the erasure-root tree's width).
    pub fn new(validators: usize) -> Self {
        MemoryDaStore {
            validators,
            entries: HashMap::new(),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn entry(&self, root: &ErasureRoot, index: u16) -> Result<&Entry, DaError> {
        self.entries.get(&(*root, index)).ok_or(DaError::NotFound)
    }
}

fn shard_at(e: &Entry, n: u16) -> Result<&[u8], DaError> {
    e.segments.get(usize::from(n)).ok_or(DaError::SegmentIndex {
        index: usize::from(n),
        count: e.segments.len(),
    })
}

impl DaStore for MemoryDaStore {
    fn insert(
        &mut self,
        erasure_root: ErasureRoot,
        index: u16,
        shards: ValidatorShards,
        reported: TimeSlot,
    ) -> Result<(), DaError> {
        verify_shards(&erasure_root, usize::from(index), self.validators, &shards)?;
        let slices = shards.segment_shards.to_slices();
        let tree = WbTree::new(&slices, blake2b_256);
        let segments_root = tree.root();
        let entry = Entry {
            bundle_hash: blake2b_256(&shards.bundle_shard),
            bundle_shard: Some(shards.bundle_shard),
            segments: shards.segment_shards,
            segments_root,
            tree,
            justification: shards.justification,
            reported,
        };
        self.entries.insert((erasure_root, index), entry);
        Ok(())
    }

    fn bundle_shard(&self, erasure_root: &ErasureRoot, index: u16) -> Option<Justified> {
        let e = self.entries.get(&(*erasure_root, index))?;
        let shard = e.bundle_shard.clone()?;
        let mut j = e.justification.clone();
        j.push(JustificationStep::Hash(e.segments_root));
        Some((shard, j))
    }

    fn segment_shards(
        &self,
        erasure_root: &ErasureRoot,
        index: u16,
        segments: &[u16],
    ) -> Result<Vec<Vec<u8>>, DaError> {
        let e = self.entry(erasure_root, index)?;
        segments
            .iter()
            .map(|&n| shard_at(e, n).map(<[u8]>::to_vec))
            .collect()
    }

    fn segment_shards_justified(
        &self,
        erasure_root: &ErasureRoot,
        index: u16,
        segments: &[u16],
    ) -> Result<Vec<Justified>, DaError> {
        let e = self.entry(erasure_root, index)?;
        let slices = e.segments.to_slices();
        segments
            .iter()
            .map(|&n| {
                let shard = shard_at(e, n)?.to_vec();
                let mut j = e.justification.clone();
                j.push(JustificationStep::Hash(e.bundle_hash));
                j.extend(
                    e.tree
                        .trace(&slices, usize::from(n))
                        .into_iter()
                        .map(|x| match x {
                            marmalade_merkle::binary::MerkleNode::Hash(h) => {
                                JustificationStep::Hash(h)
                            }
                            marmalade_merkle::binary::MerkleNode::Item(b) => {
                                JustificationStep::Shard(b.to_vec())
                            }
                        }),
                );
                Ok((shard, j))
            })
            .collect()
    }

    fn list(&self) -> Vec<(ErasureRoot, u16, TimeSlot)> {
        let mut out: Vec<_> = self
            .entries
            .iter()
            .map(|((r, i), e)| (*r, *i, e.reported))
            .collect();
        out.sort_unstable();
        out
    }

    fn expire(&mut self, before: TimeSlot) -> usize {
        let n = self.entries.len();
        self.entries.retain(|_, e| e.reported >= before);
        n - self.entries.len()
    }

    fn expire_bundles(&mut self, before: TimeSlot) -> usize {
        let mut dropped = 0;
        for e in self.entries.values_mut() {
            if e.reported < before && e.bundle_shard.take().is_some() {
                dropped += 1;
            }
        }
        dropped
    }
}
