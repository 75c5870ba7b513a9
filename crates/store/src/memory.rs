//! [`MemoryStore`]: recent states in memory, pruned by block height.

use crate::StoreError;
use crate::{BlockRef, StateStore, StoreResult, StoredState};
use marmalade_state::{State, StateChanges};
use marmalade_types::{HeaderHash, StateRoot, TimeSlot};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How much a [`MemoryStore`] keeps.
///
/// Pruning is by *height* (the number of blocks since the first known ancestor), not by
/// slot: a valid block may carry any later slot (a sibling at slot $2^{32}-1$ next to one at
/// slot 24 is valid), so "the last N slots below the best head" could discard the chain that
/// is continued. Heights of siblings are equal whatever their slots. Once a block is final
/// ([`StateStore::finalize`]), the states of every fork off its chain go too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneConfig {
    /// States are kept for the highest stored height and the `state_depth` heights below it:
    /// a block can be imported on a parent at most this far below the highest block. (Short
    /// forks, as the fuzz protocol sends, need 1; the default keeps 3.)
    pub state_depth: u64,
    /// At most this many states per height. When a further state arrives at a full height, the
    /// oldest sibling without stored descendants goes (the oldest of all if each has one): a
    /// peer sending endless accepted siblings cannot grow memory, and the state just inserted
    /// (the next parent, in the fuzz protocol the original block) always stays.
    pub max_siblings: usize,
    /// Headers (slot, hash, parent) are kept `ancestry_depth` heights further down than
    /// states, so [`StateStore::ancestry`] can list the last `L` blocks (GP (11.35)'s lookup
    /// anchor window) behind any stored state. A header whose state is gone and that has no
    /// descendant left is dropped at once (e.g. a pruned sibling's).
    pub ancestry_depth: u64,
}

impl PruneConfig {
    /// The default policy with headers kept for an ancestry of `ancestry_len` blocks.
    pub const fn with_ancestry(ancestry_len: usize) -> PruneConfig {
        PruneConfig {
            state_depth: 3,
            max_siblings: 8,
            ancestry_depth: ancestry_len as u64,
        }
    }
}

impl Default for PruneConfig {
    /// [`PruneConfig::with_ancestry`] of the fuzz protocol's tiny `A` = 24.
    fn default() -> Self {
        PruneConfig::with_ancestry(24)
    }
}

#[derive(Debug, Clone)]
struct HeaderEntry {
    slot: TimeSlot,
    parent: HeaderHash,
    height: u64,
    /// Headers stored with this one as parent.
    children: u32,
    /// Insertion order, to evict the oldest sibling first.
    seq: u64,
}

#[derive(Debug, Clone)]
struct StateEntry {
    root: StateRoot,
    state: Arc<State>,
    /// The changes from the parent's state and their inverse.
    changes: Option<(Arc<StateChanges>, Arc<StateChanges>)>,
}

/// States in memory by header hash, pruned by [`PruneConfig`].
///
/// With the defaults at most `max_siblings * (state_depth + 1)` = 32 states are held (in
/// practice, on a chain with one-deep forks, 4 plus the current siblings), and the headers of
/// their last `ancestry_depth` ancestors.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    config: PruneConfig,
    headers: HashMap<HeaderHash, HeaderEntry>,
    states: HashMap<HeaderHash, StateEntry>,
    /// Header hashes by height, each in insertion order.
    heights: BTreeMap<u64, Vec<HeaderHash>>,
    /// The highest height of a stored state, the reference for pruning.
    head_height: Option<u64>,
    /// The last block marked final, with its height.
    finalized: Option<(u64, HeaderHash)>,
    seq: u64,
}

impl MemoryStore {
    /// An empty store with this policy.
    pub fn new(config: PruneConfig) -> MemoryStore {
        MemoryStore {
            config,
            ..MemoryStore::default()
        }
    }

    /// The policy.
    pub fn config(&self) -> PruneConfig {
        self.config
    }

    /// The number of stored headers (with or without a state).
    pub fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// The height of a stored header: 0 for the first of a chain, one more than its parent's
    /// otherwise.
    pub fn height(&self, hash: &HeaderHash) -> Option<u64> {
        self.headers.get(hash).map(|h| h.height)
    }

    /// The highest height of a stored state.
    pub fn head_height(&self) -> Option<u64> {
        self.head_height
    }

    /// Records a header if new; returns its height.
    fn add_header(&mut self, block: BlockRef) -> u64 {
        if let Some(e) = self.headers.get(&block.hash) {
            return e.height;
        }
        // A header whose parent is unknown starts a chain (the first ancestry item, or the
        // initial state's header when no ancestry is given).
        let height = match self.headers.get_mut(&block.parent) {
            Some(p) if block.parent != block.hash => {
                p.children = p.children.saturating_add(1);
                p.height.saturating_add(1)
            }
            _ => 0,
        };
        self.seq += 1;
        self.headers.insert(
            block.hash,
            HeaderEntry {
                slot: block.slot,
                parent: block.parent,
                height,
                children: 0,
                seq: self.seq,
            },
        );
        self.heights.entry(height).or_default().push(block.hash);
        height
    }

    /// Drops the header `hash` if it has neither a state nor a child, then its parent on the
    /// same condition, and so on: no header outlives both its state and its descendants.
    fn collect_header(&mut self, hash: HeaderHash) {
        let mut hash = hash;
        loop {
            match self.headers.get(&hash) {
                Some(e) if e.children == 0 && !self.states.contains_key(&hash) => {}
                _ => return,
            }
            let Some(e) = self.headers.remove(&hash) else {
                return;
            };
            self.unlist(e.height, &hash);
            match self.headers.get_mut(&e.parent) {
                Some(p) => {
                    p.children = p.children.saturating_sub(1);
                    hash = e.parent;
                }
                None => return,
            }
        }
    }

    fn unlist(&mut self, height: u64, hash: &HeaderHash) {
        if let Some(v) = self.heights.get_mut(&height) {
            v.retain(|h| h != hash);
            if v.is_empty() {
                self.heights.remove(&height);
            }
        }
    }

    /// Enforces [`PruneConfig::max_siblings`] at `height`, never evicting `keep`.
    fn evict_siblings(&mut self, height: u64, keep: &HeaderHash) {
        loop {
            let Some(at) = self.heights.get(&height) else {
                return;
            };
            let with_state: Vec<HeaderHash> = at
                .iter()
                .filter(|h| self.states.contains_key(*h))
                .copied()
                .collect();
            if with_state.len() <= self.config.max_siblings.max(1) {
                return;
            }
            let candidates = with_state.iter().filter(|h| *h != keep);
            let seq = |h: &&HeaderHash| self.headers.get(*h).map_or(0, |e| e.seq);
            let childless = candidates
                .clone()
                .filter(|h| self.headers.get(*h).is_some_and(|e| e.children == 0))
                .min_by_key(seq);
            let Some(victim) = childless.or_else(|| candidates.min_by_key(seq)).copied() else {
                return;
            };
            self.states.remove(&victim);
            self.collect_header(victim);
        }
    }
}

impl MemoryStore {
    /// The ancestor of `hash` at `height` (itself at its own height), if its headers are
    /// known that far back.
    fn ancestor_at(&self, hash: &HeaderHash, height: u64) -> Option<HeaderHash> {
        let mut at = *hash;
        loop {
            let e = self.headers.get(&at)?;
            if e.height == height {
                return Some(at);
            }
            if e.height < height || e.parent == at {
                return None;
            }
            at = e.parent;
        }
    }

    /// Drops the states off the finalized block's chain: at or below its height, every state
    /// but its ancestors'; above it, every state that does not descend from it.
    fn prune_forks(&mut self) {
        let Some((fh, fin)) = self.finalized else {
            return;
        };
        let off_chain: Vec<HeaderHash> = self
            .states
            .keys()
            .filter(|hash| {
                let Some(e) = self.headers.get(*hash) else {
                    return false;
                };
                if e.height <= fh {
                    self.ancestor_at(&fin, e.height) != Some(**hash)
                } else {
                    self.ancestor_at(hash, fh) != Some(fin)
                }
            })
            .copied()
            .collect();
        for hash in off_chain {
            self.states.remove(&hash);
            self.collect_header(hash);
        }
    }
}

impl StateStore for MemoryStore {
    fn insert_header(&mut self, block: BlockRef) -> StoreResult<()> {
        self.add_header(block);
        Ok(())
    }

    fn insert(&mut self, block: BlockRef, root: StateRoot, state: Arc<State>) -> StoreResult<()> {
        let height = self.add_header(block);
        if self.states.contains_key(&block.hash) {
            return Ok(());
        }
        self.states.insert(
            block.hash,
            StateEntry {
                root,
                state,
                changes: None,
            },
        );
        self.head_height = Some(self.head_height.map_or(height, |h| h.max(height)));
        self.evict_siblings(height, &block.hash);
        Ok(())
    }

    fn apply(
        &mut self,
        block: BlockRef,
        root: StateRoot,
        changes: StateChanges,
    ) -> StoreResult<()> {
        if self.states.contains_key(&block.hash) {
            return Ok(());
        }
        let parent = self
            .states
            .get(&block.parent)
            .ok_or(StoreError::UnknownParent(block.parent))?;
        let undo = changes.inverse(&*parent.state);
        let state = Arc::new(parent.state.derive(&changes));
        let height = self.add_header(block);
        self.states.insert(
            block.hash,
            StateEntry {
                root,
                state,
                changes: Some((Arc::new(changes), Arc::new(undo))),
            },
        );
        self.head_height = Some(self.head_height.map_or(height, |h| h.max(height)));
        self.evict_siblings(height, &block.hash);
        Ok(())
    }

    fn get(&self, hash: &HeaderHash) -> StoreResult<Option<StoredState>> {
        let Some(s) = self.states.get(hash) else {
            return Ok(None);
        };
        let Some(h) = self.headers.get(hash) else {
            return Ok(None);
        };
        Ok(Some(StoredState {
            block: BlockRef {
                hash: *hash,
                slot: h.slot,
                parent: h.parent,
            },
            root: s.root,
            state: Arc::clone(&s.state),
            changes: s.changes.clone(),
        }))
    }

    fn ancestry(&self, hash: &HeaderHash, max: usize) -> StoreResult<Vec<(TimeSlot, HeaderHash)>> {
        let mut out = Vec::new();
        let mut at = *hash;
        while out.len() < max {
            let Some(e) = self.headers.get(&at) else {
                break;
            };
            out.push((e.slot, at));
            // Heights strictly decrease along parent links; anything else is a malformed link
            // (a header naming itself), where the chain is cut rather than looped.
            match self.headers.get(&e.parent) {
                Some(p) if p.height < e.height => at = e.parent,
                _ => break,
            }
        }
        out.reverse();
        Ok(out)
    }

    fn height(&self, hash: &HeaderHash) -> StoreResult<Option<u64>> {
        Ok(self.headers.get(hash).map(|h| h.height))
    }

    fn finalize(&mut self, hash: &HeaderHash) -> StoreResult<()> {
        if let Some(h) = self.headers.get(hash) {
            self.finalized = Some((h.height, *hash));
        }
        Ok(())
    }

    /// Drops the states more than [`PruneConfig::state_depth`] heights below the highest
    /// stored state, and the headers more than `state_depth + ancestry_depth` below it (and
    /// any header left with neither state nor descendant).
    fn prune(&mut self) -> StoreResult<()> {
        let Some(head) = self.head_height else {
            return Ok(());
        };
        let state_floor = head.saturating_sub(self.config.state_depth);
        let header_floor = state_floor.saturating_sub(self.config.ancestry_depth);

        let kept = self.heights.split_off(&header_floor);
        let dropped = std::mem::replace(&mut self.heights, kept);
        for hash in dropped.into_values().flatten() {
            self.headers.remove(&hash);
            self.states.remove(&hash);
        }

        let stale: Vec<HeaderHash> = self
            .heights
            .range(..state_floor)
            .flat_map(|(_, v)| v.iter())
            .filter(|h| self.states.contains_key(*h))
            .copied()
            .collect();
        for hash in stale {
            self.states.remove(&hash);
            self.collect_header(hash);
        }
        self.prune_forks();
        Ok(())
    }

    fn clear(&mut self) -> StoreResult<()> {
        *self = MemoryStore::new(self.config);
        Ok(())
    }

    fn state_count(&self) -> usize {
        self.states.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_types::ChainSpec;

    fn h(n: u32) -> HeaderHash {
        let mut x = [0u8; 32];
        x[..4].copy_from_slice(&n.to_le_bytes());
        x[31] = 0xaa;
        x
    }

    fn info(n: u32, slot: TimeSlot, parent: u32) -> BlockRef {
        BlockRef {
            hash: h(n),
            slot,
            parent: h(parent),
        }
    }

    fn state() -> Arc<State> {
        Arc::new(State::empty(&ChainSpec::TINY))
    }

    fn put(s: &mut MemoryStore, n: u32, slot: TimeSlot, parent: u32) {
        s.insert(info(n, slot, parent), h(n), state()).unwrap();
        s.prune().unwrap();
    }

    fn has(s: &MemoryStore, n: u32) -> bool {
        s.get(&h(n)).unwrap().is_some()
    }

    /// Once a block is final, the forks off its chain lose their states; its ancestors and
    /// descendants keep theirs.
    #[test]
    fn finalization_prunes_forks() {
        let mut s = MemoryStore::new(PruneConfig {
            state_depth: 10,
            max_siblings: 8,
            ancestry_depth: 10,
        });
        put(&mut s, 1, 1, 0);
        // 1 ← 2 ← 3 ← 4, and forks 12 (on 1) ← 13, and 23 (on 2).
        put(&mut s, 2, 2, 1);
        put(&mut s, 12, 2, 1);
        put(&mut s, 3, 3, 2);
        put(&mut s, 13, 3, 12);
        put(&mut s, 23, 3, 2);
        put(&mut s, 4, 4, 3);
        assert!([1, 2, 3, 4, 12, 13, 23].iter().all(|n| has(&s, *n)));
        s.finalize(&h(3)).unwrap();
        s.prune().unwrap();
        for n in [1, 2, 3, 4] {
            assert!(has(&s, n), "{n} is on the final chain");
        }
        for n in [12, 13, 23] {
            assert!(!has(&s, n), "{n} is off the final chain");
        }
        assert_eq!(StateStore::height(&s, &h(4)).unwrap(), Some(3));
    }

    #[test]
    fn get_and_ancestry() {
        let mut s = MemoryStore::new(PruneConfig::with_ancestry(4));
        for (i, a) in [(100, 3), (101, 5), (102, 6)] {
            s.insert_header(info(i, a, i - 1)).unwrap();
        }
        put(&mut s, 1, 7, 102);
        put(&mut s, 2, 8, 1);
        let got = s.get(&h(2)).unwrap().unwrap();
        assert_eq!(got.block, info(2, 8, 1));
        assert_eq!(got.root, h(2));
        assert_eq!(s.height(&h(2)), Some(4));
        assert_eq!(
            s.ancestry(&h(2), 10).unwrap(),
            vec![(3, h(100)), (5, h(101)), (6, h(102)), (7, h(1)), (8, h(2))]
        );
        assert_eq!(s.ancestry(&h(2), 2).unwrap(), vec![(7, h(1)), (8, h(2))]);
        assert!(s.ancestry(&h(9), 2).unwrap().is_empty());
        assert!(!has(&s, 100), "ancestry headers have no state");
        s.clear().unwrap();
        assert_eq!((s.state_count(), s.header_count()), (0, 0));
    }

    /// The fuzz protocol's pattern: mutations of block i on block i-1, then the original,
    /// which the chain continues from. States stay bounded; every needed parent survives.
    #[test]
    fn one_deep_forks_stay_bounded() {
        let cfg = PruneConfig::with_ancestry(24);
        let mut s = MemoryStore::new(cfg);
        put(&mut s, 1, 0, 0);
        let mut parent = 1;
        let mut next = 2;
        for i in 1..200u32 {
            // Three accepted mutations (one with a far-future slot), then the original.
            for m in 0..3 {
                let slot = if m == 1 { u32::MAX } else { i };
                assert!(has(&s, parent), "parent of block {i} pruned");
                put(&mut s, next, slot, parent);
                next += 1;
            }
            assert!(has(&s, parent));
            put(&mut s, next, i, parent);
            parent = next;
            next += 1;
            assert!(s.state_count() <= 4 * (cfg.state_depth as usize + 1));
        }
        // The original chain's last 24 + state_depth headers are kept, the mutations' headers
        // only while their states are.
        assert_eq!(
            s.ancestry(&h(parent), 24).unwrap().len(),
            24,
            "full ancestry window"
        );
        assert!(s.header_count() <= 24 + 4 * 4 + 4, "{}", s.header_count());
        let anc = s.ancestry(&h(parent), 24).unwrap();
        assert!(
            anc.windows(2).all(|w| w[0].0 < w[1].0),
            "chain slots increase"
        );
    }

    #[test]
    fn siblings_are_capped_and_the_newest_kept() {
        let cfg = PruneConfig {
            state_depth: 1,
            max_siblings: 3,
            ancestry_depth: 2,
        };
        let mut s = MemoryStore::new(cfg);
        put(&mut s, 1, 0, 0);
        for n in 10..20 {
            put(&mut s, n, 1, 1);
            assert!(has(&s, n), "the state just inserted stays");
            assert!(s.state_count() <= 4);
        }
        assert!(has(&s, 1), "the parent is below the cap's height");
        assert!(has(&s, 17) && has(&s, 18) && has(&s, 19));
        assert!(!has(&s, 10));
        // Evicted siblings left no headers behind.
        assert_eq!(s.header_count(), 4);
    }

    #[test]
    fn sibling_with_descendants_is_evicted_last() {
        let cfg = PruneConfig {
            state_depth: 2,
            max_siblings: 2,
            ancestry_depth: 2,
        };
        let mut s = MemoryStore::new(cfg);
        put(&mut s, 1, 0, 0);
        put(&mut s, 2, 1, 1); // extended below
        put(&mut s, 3, 1, 1);
        put(&mut s, 4, 2, 2);
        put(&mut s, 5, 1, 1); // height 1 is over the cap: 3 goes, not 2
        assert!(has(&s, 2) && !has(&s, 3) && has(&s, 5) && has(&s, 4));
        assert_eq!(
            s.ancestry(&h(4), 5).unwrap(),
            vec![(0, h(1)), (1, h(2)), (2, h(4))]
        );
    }

    #[test]
    fn old_states_are_pruned_by_height_not_slot() {
        let cfg = PruneConfig {
            state_depth: 2,
            max_siblings: 4,
            ancestry_depth: 3,
        };
        let mut s = MemoryStore::new(cfg);
        put(&mut s, 1, 0, 0);
        // A sibling at a huge slot does not make its siblings' parent stale.
        put(&mut s, 2, u32::MAX, 1);
        put(&mut s, 3, 1, 1);
        put(&mut s, 4, 2, 3);
        assert!(has(&s, 1) && has(&s, 2));
        for n in 5..12 {
            put(&mut s, n, n - 2, n - 1);
        }
        // Block n >= 4 is at height n - 2: head height 9 (block 11), states at heights 7..=9,
        // headers down to height 4 (block 6).
        assert_eq!(s.head_height(), Some(9));
        assert_eq!(s.state_count(), 3);
        assert!(has(&s, 9) && has(&s, 10) && has(&s, 11) && !has(&s, 8));
        let anc = s.ancestry(&h(11), 100).unwrap();
        assert_eq!(anc.first(), Some(&(4, h(6))));
        assert_eq!(anc.len(), 6);
        assert_eq!(
            s.header_count(),
            6,
            "the sibling's header went with its state"
        );
    }

    #[test]
    fn self_parent_does_not_loop() {
        let mut s = MemoryStore::default();
        s.insert(info(1, 0, 1), h(1), state()).unwrap();
        assert_eq!(s.ancestry(&h(1), 10).unwrap(), vec![(0, h(1))]);
    }
}
