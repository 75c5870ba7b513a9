//! [`Chain`]: the node's one import loop: blocks on any stored parent, through a
//! [`BlockExecutor`] (block import $\Upsilon$), into a [`StateStore`] as change sets, with one
//! incremental state trie moved along the block tree.

use crate::import::{extrinsic_hash, header_hash, import_block, BlockError};
use marmalade_accumulation::CodeCache;
use marmalade_state::{State, StateChanges, StateError, StateKey, StateReader, StateTrie};
use marmalade_store::{BlockRef, MemoryStore, PruneConfig, StateStore, StoreError, StoredState};
use marmalade_types::serde_hex::to_hex;
use marmalade_types::{Block, ChainSpec, Hash, Header, HeaderHash, StateRoot, TimeSlot};
use std::sync::Arc;

/// Blocks imported with one [`CodeCache`] before it is replaced by an empty one.
///
/// The cache holds decoded service code by code hash and has no eviction of its own; renewing
/// it bounds its memory by the code accumulated within this many blocks, at the price of
/// decoding each live service's code again once per period.
pub const CODE_CACHE_BLOCKS: u32 = 256;

/// The execution seam: what turns a prior state and a block into the block's changes.
/// [`Upsilon`] is the real one; tests of the block tree use stand-ins.
pub trait BlockExecutor {
    /// The changes `block` makes to `prior` (whose root is `prior_root`), or why it is
    /// invalid. `ancestry`: the recent `(slot, hash)` chain ending at the parent, if checked.
    fn execute(
        &mut self,
        spec: &ChainSpec,
        prior: &dyn StateReader,
        prior_root: &Hash,
        block: &Block,
        ancestry: Option<&[(TimeSlot, Hash)]>,
    ) -> Result<StateChanges, BlockError>;

    /// Prepares, before any import, what executing blocks on `state` will need (the real
    /// executor decodes every service's code). Nothing by default.
    fn prepare(&mut self, state: &dyn StateReader) {
        let _ = state;
    }
}

/// $\Upsilon$ (GP (4.1)): [`import_block`] with decoded service code kept across blocks
/// (cleared every [`CODE_CACHE_BLOCKS`] blocks). The cache may be shared by several chains
/// ([`Upsilon::with_cache`]): a process serving one session after another keeps its decoded
/// code, so a new session's first accumulations do not decode it again.
#[derive(Debug, Default)]
pub struct Upsilon {
    cache: Arc<CodeCache>,
    uses: u32,
}

impl Upsilon {
    /// Block import with decoded code kept in `cache`.
    pub fn with_cache(cache: Arc<CodeCache>) -> Self {
        Upsilon { cache, uses: 0 }
    }
}

impl BlockExecutor for Upsilon {
    fn execute(
        &mut self,
        spec: &ChainSpec,
        prior: &dyn StateReader,
        prior_root: &Hash,
        block: &Block,
        ancestry: Option<&[(TimeSlot, Hash)]>,
    ) -> Result<StateChanges, BlockError> {
        self.uses += 1;
        if self.uses > CODE_CACHE_BLOCKS {
            self.cache.clear();
            self.uses = 1;
        }
        import_block(spec, prior, prior_root, block, ancestry, &self.cache)
    }

    fn prepare(&mut self, state: &dyn StateReader) {
        use marmalade_types::constants::MAX_SERVICE_CODE_SIZE;
        for s in state.service_ids() {
            if let Some(info) = state.service_info(s) {
                let code = state.code(s, &info.code_hash);
                if let Some(code) = code.filter(|c| c.len() <= MAX_SERVICE_CODE_SIZE) {
                    let _ = self.cache.get(&info.code_hash, code);
                }
            }
        }
    }
}

/// The finality seam: which block is final once a block has become the best. GRANDPA will
/// implement it; until then [`FixedDepth`], and [`NoFinality`] where nothing is ever final
/// (the fuzz protocol, trace replays).
pub trait Finality: Send {
    /// Given the best chain's last headers, oldest first and ending at the best block, the
    /// block to finalize now, if any (one of them).
    fn finalize(&mut self, best_chain: &[(TimeSlot, HeaderHash)]) -> Option<HeaderHash>;
}

/// Nothing is ever final.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFinality;

impl Finality for NoFinality {
    fn finalize(&mut self, _: &[(TimeSlot, HeaderHash)]) -> Option<HeaderHash> {
        None
    }
}

/// The block `0` blocks behind the best is final (until GRANDPA: a fixed depth).
#[derive(Debug, Clone, Copy)]
pub struct FixedDepth(pub usize);

impl Finality for FixedDepth {
    fn finalize(&mut self, best_chain: &[(TimeSlot, HeaderHash)]) -> Option<HeaderHash> {
        let n = best_chain.len();
        (n > self.0).then(|| best_chain[n - 1 - self.0].1)
    }
}

/// Why a [`Chain`] request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// No state yet: [`Chain::initialize`] was not called (or the chain was reset).
    #[error("no state: not initialized")]
    NotInitialized,
    /// The initial key/values are not a serialized state (GP (D.2)) for the chain spec.
    #[error("initial state is invalid: {0}")]
    InvalidState(#[from] StateError),
    /// The block's parent $\mathbf{H}_P$ is not a stored state (never imported, rejected, or
    /// pruned).
    #[error("unknown parent block {}", to_hex(.0))]
    UnknownParent(HeaderHash),
    /// [`Chain::get_state`] of a block whose state is not stored.
    #[error("unknown block {}", to_hex(.0))]
    UnknownBlock(HeaderHash),
    /// The block is invalid (the state is unchanged).
    #[error(transparent)]
    Block(#[from] BlockError),
    /// The executor produced components that do not fit the chain spec (a bug, not a
    /// property of the block).
    #[error("posterior state does not fit the chain spec: {0}")]
    BadPosterior(StateError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Does, outside any import, the ring work the next blocks will ask for (both results are
/// remembered by `marmalade_crypto`): the verifier of $\gamma_Z$ for this epoch's tickets, and
/// the ring root of $\Phi(\iota)$, the next epoch's $\gamma'_Z$ (GP (6.13)–(6.14)). Each costs
/// tens of milliseconds the first time; without this the first blocks would pay it.
fn prepare_rings(c: &marmalade_state::Components) {
    let next = next_ring(c);
    let (a, b) = rayon::join(
        || marmalade_crypto::bandersnatch::ring_commitment(&next).is_ok(),
        || {
            marmalade_crypto::bandersnatch::RingVerifier::from_commitment(
                &c.gamma_z,
                c.gamma_p.len(),
            )
            .is_ok()
        },
    );
    std::hint::black_box((a, b));
}

/// The Bandersnatch keys of $\Phi(\iota)$: the ring of the next epoch as it stands (GP (6.13)).
fn next_ring(c: &marmalade_state::Components) -> Vec<marmalade_types::BandersnatchPublic> {
    marmalade_stf::safrole::blacklist_filter(&c.iota, &c.psi.offenders)
        .iter()
        .map(|k| k.bandersnatch)
        .collect()
}

/// The reference of `header` in the block tree.
pub fn block_ref(header: &Header) -> BlockRef {
    BlockRef {
        hash: header_hash(header),
        slot: header.slot,
        parent: header.parent,
    }
}

/// The incremental trie of one stored state, and which.
struct Cursor {
    trie: StateTrie,
    hash: HeaderHash,
}

impl Cursor {
    /// Makes the trie that of `target`, walking the block tree: the inverse changes of each
    /// block from the trie's state back to the common ancestor, then the changes of each
    /// block down to `target`. Only the changed paths are re-hashed by the next
    /// [`StateTrie::root`]. Where a link is gone (pruned), the trie is rebuilt from the
    /// target state.
    fn move_to<S: StateStore>(
        &mut self,
        store: &S,
        target: &StoredState,
        spec: &ChainSpec,
    ) -> Result<(), StoreError> {
        if self.hash == target.block.hash {
            return Ok(());
        }
        // The target's ancestors with their changes, nearest first, until the trie's block.
        let mut down: Vec<Arc<StateChanges>> = Vec::new();
        let mut up: Vec<Arc<StateChanges>> = Vec::new();
        let mut at = target.clone();
        let from = store.get(&self.hash)?;
        // Depth bound: a fork is a few blocks deep; beyond that, rebuild.
        const MAX_WALK: usize = 64;
        let mut found = false;
        let mut from_chain: Vec<StoredState> = Vec::new();
        if let Some(f) = from {
            let mut c = f;
            for _ in 0..MAX_WALK {
                from_chain.push(c.clone());
                match store.get(&c.block.parent)? {
                    Some(p) if p.block.hash != c.block.hash => c = p,
                    _ => break,
                }
            }
        }
        for _ in 0..MAX_WALK {
            if let Some(i) = from_chain
                .iter()
                .position(|s| s.block.hash == at.block.hash)
            {
                for s in &from_chain[..i] {
                    match &s.changes {
                        Some((_, undo)) => up.push(Arc::clone(undo)),
                        None => break,
                    }
                }
                found = up.len() == i;
                break;
            }
            let Some((changes, _)) = &at.changes else {
                break;
            };
            down.push(Arc::clone(changes));
            match store.get(&at.block.parent)? {
                Some(p) => at = p,
                None => break,
            }
        }
        if found {
            for undo in &up {
                self.trie.apply(undo.key_changes());
            }
            for changes in down.iter().rev() {
                self.trie.apply(changes.key_changes());
            }
        } else {
            self.trie = StateTrie::from_state(&target.state, spec);
        }
        self.hash = target.block.hash;
        Ok(())
    }
}

/// The chain: a block tree of stored states, imported into by one loop.
///
/// Holds the [`StateStore`], the chain spec, the [`BlockExecutor`], and one incremental
/// [`StateTrie`] positioned on the last state it computed a root for. A block may be imported
/// on any stored parent (forks); the trie then moves along the tree by change sets.
pub struct Chain<S: StateStore = MemoryStore, E: BlockExecutor = Upsilon> {
    spec: ChainSpec,
    store: S,
    executor: E,
    finality: Box<dyn Finality>,
    ancestry_len: usize,
    check_ancestry: bool,
    cursor: Option<Cursor>,
    head: Option<HeaderHash>,
    /// The best block and its height: the highest, the first seen among equals.
    best: Option<(u64, HeaderHash)>,
    finalized: Option<HeaderHash>,
}

impl<S: StateStore, E: BlockExecutor> std::fmt::Debug for Chain<S, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("spec", &self.spec.name)
            .field("states", &self.store.state_count())
            .field("ancestry_len", &self.ancestry_len)
            .field("check_ancestry", &self.check_ancestry)
            .finish_non_exhaustive()
    }
}

impl Chain<MemoryStore, Upsilon> {
    /// A chain over a [`MemoryStore`] keeping headers for an ancestry of `ancestry_len`
    /// blocks (the lookup-anchor window $\mathsf{L}$ of GP (11.35)), importing with
    /// [`Upsilon`].
    pub fn new(spec: ChainSpec, ancestry_len: usize) -> Self {
        Chain::with_parts(
            spec,
            MemoryStore::new(PruneConfig::with_ancestry(ancestry_len)),
            Upsilon::default(),
            ancestry_len,
        )
    }
}

impl<S: StateStore, E: BlockExecutor> Chain<S, E> {
    /// A chain over `store` executing blocks with `executor`, passing ancestries of at most
    /// `ancestry_len` blocks.
    pub fn with_parts(spec: ChainSpec, store: S, executor: E, ancestry_len: usize) -> Self {
        Chain {
            spec,
            store,
            executor,
            finality: Box::new(NoFinality),
            ancestry_len,
            check_ancestry: false,
            cursor: None,
            head: None,
            best: None,
            finalized: None,
        }
    }

    /// The same chain with `finality` deciding which blocks are final.
    pub fn with_finality(mut self, finality: impl Finality + 'static) -> Self {
        self.finality = Box::new(finality);
        self
    }

    /// The best block: the highest imported (or the initial one), the first seen among
    /// equals. (GP section 19's rule, most ticket-sealed ancestors among audited blocks,
    /// comes with auditing.)
    pub fn best(&self) -> Option<HeaderHash> {
        self.best.map(|b| b.1)
    }

    /// The last block made final.
    pub fn finalized(&self) -> Option<HeaderHash> {
        self.finalized
    }

    /// A newly stored block: the best if higher than the best; then ask finality.
    fn on_stored(&mut self, hash: HeaderHash) -> Result<(), ChainError> {
        let height = self.store.height(&hash)?.unwrap_or(0);
        if self.best.is_some_and(|(h, _)| h >= height) {
            return Ok(());
        }
        self.best = Some((height, hash));
        let depth = self.ancestry_len.max(1) + 1;
        let best_chain = self.store.ancestry(&hash, depth)?;
        if let Some(f) = self.finality.finalize(&best_chain) {
            if self.finalized != Some(f) {
                self.store.finalize(&f)?;
                self.finalized = Some(f);
            }
        }
        Ok(())
    }

    /// The chain spec.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The hash of the last block imported (or of the initial header).
    pub fn head(&self) -> Option<HeaderHash> {
        self.head
    }

    /// Replaces everything with the state given by `key_values`, as the posterior state of
    /// `header` (whatever the header says: a genesis-like reference point), and returns its
    /// root $\mathcal{M}_\sigma$ (GP (D.5)) computed over the pairs exactly as given.
    ///
    /// `ancestry`: the recent `(slot, header hash)` pairs before the first block to import
    /// (in any order; the header's own hash may be among them), kept for the lookup-anchor
    /// check (GP (11.35)) of later imports; `None` turns that check off for this chain.
    pub fn initialize(
        &mut self,
        header: &Header,
        key_values: Vec<(StateKey, Vec<u8>)>,
        ancestry: Option<&[(TimeSlot, HeaderHash)]>,
    ) -> Result<StateRoot, ChainError> {
        self.initialize_at(block_ref(header), key_values, ancestry)
    }

    /// [`Chain::initialize`] with the block given by reference (when only its hash is known,
    /// as for a trace step's parent).
    pub fn initialize_at(
        &mut self,
        mut info: BlockRef,
        key_values: Vec<(StateKey, Vec<u8>)>,
        ancestry: Option<&[(TimeSlot, HeaderHash)]>,
    ) -> Result<StateRoot, ChainError> {
        self.reset()?;
        let state = State::from_key_values(
            &self.spec,
            key_values.iter().map(|(k, v)| (*k, v.as_slice())),
        )?;
        state.check_shape(&self.spec)?;
        prepare_rings(&state.components);
        self.executor.prepare(&state);
        let mut trie = StateTrie::from_key_values(key_values);
        let root = trie.root();

        self.check_ancestry = ancestry.is_some();
        if let Some(given) = ancestry {
            // Oldest first: slots strictly increase along a chain, whatever order they came in.
            let mut items: Vec<(TimeSlot, HeaderHash)> =
                given.iter().filter(|a| a.1 != info.hash).copied().collect();
            items.sort_by_key(|a| a.0);
            items.dedup_by_key(|a| a.1);
            let keep = self.ancestry_len.saturating_sub(1);
            let items = &items[items.len().saturating_sub(keep)..];
            let mut parent = [0u8; 32];
            for (i, &(slot, hash)) in items.iter().enumerate() {
                // The first item's parent is unknown: a self-link marks a chain start.
                let p = if i == 0 { hash } else { parent };
                self.store.insert_header(BlockRef {
                    hash,
                    slot,
                    parent: p,
                })?;
                parent = hash;
            }
            if !items.is_empty() {
                info.parent = parent;
            }
        }
        self.store.insert(info, root, Arc::new(state))?;
        self.on_stored(info.hash)?;
        self.store.prune()?;
        self.cursor = Some(Cursor {
            trie,
            hash: info.hash,
        });
        self.head = Some(info.hash);
        Ok(root)
    }

    /// Imports `block` on the stored state of its parent $\mathbf{H}_P$ and returns the
    /// posterior state root. On error nothing changes.
    ///
    /// A block already imported is checked against its own header (the extrinsic hash, GP
    /// (5.4)) before its stored root is answered: a header hash fixes the parent and the
    /// header, but only the extrinsic hash ties the extrinsic to it.
    pub fn import(&mut self, block: &Block) -> Result<StateRoot, ChainError> {
        if self.cursor.is_none() {
            return Err(ChainError::NotInitialized);
        }
        let info = block_ref(&block.header);
        if let Some(known) = self.store.get(&info.hash)? {
            let xt_hash = extrinsic_hash(&block.extrinsic);
            if xt_hash != block.header.extrinsic_hash {
                return Err(BlockError::BadExtrinsicHash {
                    expected: xt_hash,
                    found: block.header.extrinsic_hash,
                }
                .into());
            }
            self.head = Some(info.hash);
            return Ok(known.root);
        }
        let parent = self
            .store
            .get(&block.header.parent)?
            .ok_or(ChainError::UnknownParent(block.header.parent))?;
        let ancestry = if self.check_ancestry {
            Some(self.store.ancestry(&parent.block.hash, self.ancestry_len)?)
        } else {
            None
        };
        let changes = self.executor.execute(
            &self.spec,
            &*parent.state,
            &parent.root,
            block,
            ancestry.as_deref(),
        )?;
        if let Some(c) = &changes.components {
            c.check_shape(&self.spec)
                .map_err(ChainError::BadPosterior)?;
        }

        let cursor = self.cursor.as_mut().ok_or(ChainError::NotInitialized)?;
        // Move from whatever the trie holds (the parent, a sibling, ...) to the parent, then
        // apply the block's changes.
        cursor.move_to(&self.store, &parent, &self.spec)?;
        cursor.trie.apply(changes.key_changes());
        cursor.hash = info.hash;
        let root = cursor.trie.root();

        if let Some(c) = &changes.components {
            // The next epoch's ring root, Φ(ι'), while no block is being imported.
            let next = next_ring(c);
            rayon::spawn(move || {
                let _ = marmalade_crypto::bandersnatch::ring_commitment(&next);
            });
        }
        self.store.apply(info, root, changes)?;
        self.on_stored(info.hash)?;
        self.store.prune()?;
        self.head = Some(info.hash);
        Ok(root)
    }

    /// The whole posterior state of the block with this hash (or of the initial header), as
    /// key/value pairs in ascending key order, with the bytes its root was computed over.
    pub fn get_state(&mut self, hash: &HeaderHash) -> Result<Vec<(StateKey, Vec<u8>)>, ChainError> {
        let stored = self
            .store
            .get(hash)?
            .ok_or(ChainError::UnknownBlock(*hash))?;
        let cursor = self.cursor.as_mut().ok_or(ChainError::NotInitialized)?;
        cursor.move_to(&self.store, &stored, &self.spec)?;
        Ok(cursor.trie.iter().map(|(k, v)| (*k, v.to_vec())).collect())
    }

    /// The stored posterior state of the block with this hash.
    pub fn state(&self, hash: &HeaderHash) -> Result<Option<Arc<State>>, ChainError> {
        Ok(self.store.get(hash)?.map(|s| s.state))
    }

    /// The stored root of the block with this hash.
    pub fn state_root(&self, hash: &HeaderHash) -> Result<Option<StateRoot>, ChainError> {
        Ok(self.store.get(hash)?.map(|s| s.root))
    }

    /// Drops every state, as if freshly created (the executor and policy stay).
    pub fn reset(&mut self) -> Result<(), ChainError> {
        self.cursor = None;
        self.head = None;
        self.best = None;
        self.finalized = None;
        self.check_ancestry = false;
        self.store.clear()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_state::state_root;
    use marmalade_types::Extrinsic;

    const SPEC: ChainSpec = ChainSpec::TINY;

    fn header(
        parent: HeaderHash,
        parent_state_root: StateRoot,
        slot: TimeSlot,
        tag: u16,
    ) -> Header {
        Header {
            parent,
            parent_state_root,
            extrinsic_hash: [0; 32],
            slot,
            epoch_mark: None,
            tickets_mark: None,
            author_index: tag,
            entropy_source: [0; 96],
            offenders_mark: vec![],
            seal: [0; 96],
        }
    }

    fn block(parent: HeaderHash, parent_state_root: StateRoot, slot: TimeSlot, tag: u16) -> Block {
        let mut header = header(parent, parent_state_root, slot, tag);
        header.extrinsic_hash = extrinsic_hash(&Extrinsic::default());
        Block {
            header,
            extrinsic: Extrinsic::default(),
        }
    }

    /// A stand-in for block import: rejects a block whose $\mathbf{H}_R$ is not the prior
    /// root or whose author index is `0xffff`; otherwise sets τ and writes one storage item.
    fn fake_changes(
        prior: &dyn StateReader,
        prior_root: &Hash,
        block: &Block,
    ) -> Result<StateChanges, BlockError> {
        let h = &block.header;
        if h.parent_state_root != *prior_root || h.author_index == 0xffff {
            return Err(BlockError::BadSeal);
        }
        let mut c = prior.components().clone();
        c.tau = h.slot;
        let mut ch = StateChanges::with_components(prior.components(), c);
        ch.items.insert(
            marmalade_state::storage_key(7, &h.author_index.to_le_bytes()),
            Some(h.slot.to_le_bytes().to_vec()),
        );
        Ok(ch)
    }

    /// The posterior state [`fake_changes`] makes.
    fn fake(
        _: &ChainSpec,
        prior: &State,
        prior_root: &Hash,
        block: &Block,
        _: Option<&[(TimeSlot, Hash)]>,
    ) -> Result<State, BlockError> {
        fake_changes(prior, prior_root, block).map(|ch| prior.derive(&ch))
    }

    /// An executor calling a closure.
    struct Fake<F>(F);

    impl<F> BlockExecutor for Fake<F>
    where
        F: FnMut(Option<&[(TimeSlot, Hash)]>),
    {
        fn execute(
            &mut self,
            _: &ChainSpec,
            prior: &dyn StateReader,
            prior_root: &Hash,
            block: &Block,
            ancestry: Option<&[(TimeSlot, Hash)]>,
        ) -> Result<StateChanges, BlockError> {
            (self.0)(ancestry);
            fake_changes(prior, prior_root, block)
        }
    }

    fn chain_with<F: FnMut(Option<&[(TimeSlot, Hash)]>)>(
        ancestry_len: usize,
        f: F,
    ) -> Chain<MemoryStore, Fake<F>> {
        Chain::with_parts(
            SPEC,
            MemoryStore::new(PruneConfig::with_ancestry(ancestry_len)),
            Fake(f),
            ancestry_len,
        )
    }

    fn genesis() -> (Header, State) {
        let mut s = State::empty(&SPEC);
        s.accounts.insert(7, Default::default());
        s.set_storage(7, b"k", Some(vec![1, 2, 3]));
        (header([0; 32], [0; 32], 0, 0), s)
    }

    type Silent = fn(Option<&[(TimeSlot, Hash)]>);

    fn importer() -> Chain<MemoryStore, Fake<Silent>> {
        chain_with(24, |_| {})
    }

    #[test]
    fn initialize_root_is_the_given_key_values_root() {
        let (h, s) = genesis();
        let mut imp = importer();
        let kvs = s.to_key_values(&SPEC);
        let root = imp.initialize(&h, kvs.clone(), None).unwrap();
        assert_eq!(root, state_root(&s, &SPEC));
        let hash = header_hash(&h);
        assert_eq!(imp.get_state(&hash).unwrap(), kvs);
        assert_eq!(imp.head(), Some(hash));
        let mut bad = kvs.clone();
        bad.retain(|(k, _)| k[0] != 1);
        assert!(matches!(
            imp.initialize(&h, bad, None),
            Err(ChainError::InvalidState(_))
        ));
        assert!(matches!(
            imp.import(&block(hash, root, 1, 1)),
            Err(ChainError::NotInitialized)
        ));
    }

    /// One-deep forks as the fuzzer sends them: several siblings (some rejected), then the
    /// original, extended next. Every root equals the from-scratch root of the expected state,
    /// wherever the trie was before.
    #[test]
    fn forks_and_incremental_roots() {
        let (gh, gs) = genesis();
        let mut imp = importer();
        let mut root = imp.initialize(&gh, gs.to_key_values(&SPEC), None).unwrap();
        let mut parent = header_hash(&gh);
        let mut parent_state = gs;
        for slot in 1..60u32 {
            for tag in [11u16, 0xffff, 12, 13] {
                let b = block(parent, root, slot, tag);
                let got = imp.import(&b);
                if tag == 0xffff {
                    assert_eq!(got, Err(ChainError::Block(BlockError::BadSeal)));
                    continue;
                }
                let want = fake(&SPEC, &parent_state, &root, &b, None).unwrap();
                assert_eq!(got.unwrap(), state_root(&want, &SPEC), "sibling {tag}");
            }
            // A block on an unknown parent, and a stale root, are rejected.
            assert_eq!(
                imp.import(&block([9; 32], root, slot, 1)),
                Err(ChainError::UnknownParent([9; 32]))
            );
            assert!(imp.import(&block(parent, [1; 32], slot, 1)).is_err());
            // The original.
            let b = block(parent, root, slot, 1);
            let post = fake(&SPEC, &parent_state, &root, &b, None).unwrap();
            let r = imp.import(&b).unwrap();
            assert_eq!(r, state_root(&post, &SPEC));
            // Importing it again answers the same root; with another extrinsic, an error.
            assert_eq!(imp.import(&b).unwrap(), r);
            let mut other = b.clone();
            other.extrinsic.preimages.push(Default::default());
            assert!(matches!(
                imp.import(&other),
                Err(ChainError::Block(BlockError::BadExtrinsicHash { .. }))
            ));
            // get_state of a sibling, then continue from the original.
            let sib = header_hash(&block(parent, root, slot, 12).header);
            let want = fake(
                &SPEC,
                &parent_state,
                &root,
                &block(parent, root, slot, 12),
                None,
            )
            .unwrap()
            .to_key_values(&SPEC);
            assert_eq!(imp.get_state(&sib).unwrap(), want);
            parent = header_hash(&b.header);
            parent_state = post;
            root = r;
            assert!(imp.store().state_count() <= 4 * 4);
        }
        assert_eq!(
            imp.get_state(&parent).unwrap(),
            parent_state.to_key_values(&SPEC)
        );
        assert!(matches!(
            imp.get_state(&header_hash(&gh)),
            Err(ChainError::UnknownBlock(_))
        ));
    }

    /// The ancestry passed to the import function: the initial items (sorted, the header's
    /// own hash added), then the imported chain, at most `ancestry_len` long, ending at the
    /// parent.
    #[test]
    fn ancestry_is_passed_ending_at_the_parent() {
        type Log = Vec<Vec<(TimeSlot, Hash)>>;
        let seen: Arc<std::sync::Mutex<Log>> = Default::default();
        let log = Arc::clone(&seen);
        let mut imp = chain_with(4, move |a: Option<&[(TimeSlot, Hash)]>| {
            log.lock()
                .unwrap()
                .push(a.map(<[_]>::to_vec).unwrap_or_default());
        });
        let (gh, gs) = genesis();
        let mut gh = gh;
        gh.slot = 10;
        let g = header_hash(&gh);
        let given = [(9, [9; 32]), (10, g), (7, [7; 32]), (3, [3; 32])];
        let mut root = imp
            .initialize(&gh, gs.to_key_values(&SPEC), Some(&given))
            .unwrap();
        let mut parent = g;
        for slot in 11..14 {
            let b = block(parent, root, slot, 1);
            root = imp.import(&b).unwrap();
            parent = header_hash(&b.header);
        }
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[0],
            vec![(3, [3; 32]), (7, [7; 32]), (9, [9; 32]), (10, g)]
        );
        assert_eq!(seen[1].len(), 4);
        assert_eq!(seen[1][..3], [(7, [7; 32]), (9, [9; 32]), (10, g)]);
        assert_eq!(seen[2][..2], [(9, [9; 32]), (10, g)]);
        assert_eq!(seen[2][3].0, 12);
    }

    /// The best block is the highest; with a fixed finality depth, the block that far behind
    /// it is final and forks off its chain lose their states.
    #[test]
    fn best_block_and_fixed_depth_finality() {
        let (gh, gs) = genesis();
        let mut imp = importer().with_finality(FixedDepth(2));
        let root0 = imp.initialize(&gh, gs.to_key_values(&SPEC), None).unwrap();
        let g = header_hash(&gh);
        assert_eq!(imp.best(), Some(g));
        // A fork at height 1 (tag 2), then the main chain 1..=4 on tag 1.
        let fork = block(g, root0, 1, 2);
        imp.import(&fork).unwrap();
        let (mut parent, mut root) = (g, root0);
        let mut main = Vec::new();
        for slot in 1..=4u32 {
            let b = block(parent, root, slot, 1);
            root = imp.import(&b).unwrap();
            parent = header_hash(&b.header);
            main.push(parent);
        }
        assert_eq!(imp.best(), Some(main[3]));
        assert_eq!(imp.finalized(), Some(main[1]), "two behind the best");
        let fork_hash = header_hash(&fork.header);
        assert_eq!(imp.state_root(&fork_hash).unwrap(), None, "fork pruned");
        assert!(imp.state_root(&main[0]).unwrap().is_some());
        // A sibling at an existing height is not better.
        let sib = block(main[2], imp.state_root(&main[2]).unwrap().unwrap(), 9, 7);
        imp.import(&sib).unwrap();
        assert_eq!(imp.best(), Some(main[3]));
    }

    /// A block is valid by its own content: the initial header again with another extrinsic
    /// is rejected (not answered with the stored root), and nothing changes.
    #[test]
    fn a_known_header_with_junk_extrinsic_is_rejected() {
        let (gh, gs) = genesis();
        let mut imp = importer();
        let root = imp.initialize(&gh, gs.to_key_values(&SPEC), None).unwrap();
        let g = header_hash(&gh);
        let before = imp.get_state(&g).unwrap();
        let mut junk = Block {
            header: gh.clone(),
            extrinsic: Extrinsic::default(),
        };
        junk.extrinsic.preimages.push(marmalade_types::Preimage {
            requester: 7,
            blob: vec![1, 2, 3],
        });
        assert!(matches!(
            imp.import(&junk),
            Err(ChainError::Block(BlockError::BadExtrinsicHash { .. }))
        ));
        assert_eq!(imp.state_root(&g).unwrap(), Some(root));
        assert_eq!(imp.get_state(&g).unwrap(), before);
        assert_eq!(imp.best(), Some(g));
    }

    #[test]
    fn ancestry_is_none_without_the_feature() {
        let mut imp = chain_with(24, |a: Option<&[(TimeSlot, Hash)]>| assert!(a.is_none()));
        let (gh, gs) = genesis();
        let root = imp.initialize(&gh, gs.to_key_values(&SPEC), None).unwrap();
        imp.import(&block(header_hash(&gh), root, 1, 1)).unwrap();
    }
}
