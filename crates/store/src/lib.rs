//! State storage for block import.
//!
//! - [`StateStore`]: the seam between block import and where states live: posterior states by
//!   header hash with their slot, parent and Merkle root, the recent header chain behind a block
//!   (its ancestry, for the lookup-anchor check of GP eq. 11.35), and pruning. Only
//!   [`MemoryStore`] exists today; a persistent backend can implement the same trait later
//!   (every method returns a [`StoreResult`] for that reason).
//! - [`MemoryStore`]: keeps the states of the last few block heights, so a block can be imported
//!   on any recent parent (simple forks), with memory bounded whatever the peer sends.
//! - [`Importer`]: the node-side driver: initialize from key/values, import blocks on any stored
//!   parent through [`marmalade_stf::import::import_block`], answer state roots incrementally
//!   and whole states by header hash.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod importer;
mod memory;

pub use importer::{default_import_fn, ImportError, ImportFn, Importer, CODE_CACHE_BLOCKS};
pub use memory::{MemoryStore, PruneConfig};

use marmalade_state::State;
use marmalade_types::{Encode, Header, HeaderHash, StateRoot, TimeSlot};
use std::sync::Arc;

/// $\mathcal{H}(\mathcal{E}(\mathbf{H}))$: a header's hash, BLAKE2b-256 of its encoding (GP
/// eq. 5.2 names a block's parent by it). Blocks, states and ancestry items are keyed by it.
pub fn header_hash(header: &Header) -> HeaderHash {
    marmalade_crypto::hash::blake2b_256(&header.encode())
}

/// What the store keeps of a header: enough to walk the chain backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockInfo {
    /// The header's hash.
    pub hash: HeaderHash,
    /// $\mathbf{H}_T$: its timeslot.
    pub slot: TimeSlot,
    /// $\mathbf{H}_P$: its parent's hash (for the state given at initialization, the previous
    /// item of the given ancestry, if any).
    pub parent: HeaderHash,
}

impl BlockInfo {
    /// The info of `header`.
    pub fn of(header: &Header) -> BlockInfo {
        BlockInfo {
            hash: header_hash(header),
            slot: header.slot,
            parent: header.parent,
        }
    }
}

/// A stored posterior state: the block it follows, its Merkle root
/// $\mathcal{M}_\sigma(\sigma)$ (GP eq. D.5) and the state itself, shared.
#[derive(Debug, Clone)]
pub struct StoredState {
    /// The block whose posterior state this is.
    pub block: BlockInfo,
    /// The state root.
    pub root: StateRoot,
    /// The state.
    pub state: Arc<State>,
}

/// A storage backend failure (never a property of the blocks or states themselves).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, corruption, ...). [`MemoryStore`] never fails.
    #[error("state store backend: {0}")]
    Backend(String),
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Where posterior states live, keyed by header hash.
///
/// Implementations decide which states to keep in [`StateStore::prune`]; the caller calls it
/// after inserting, so a store never grows without bound when driven by an [`Importer`].
pub trait StateStore {
    /// Records a header without a state: an ancestor known only by its hash and slot (the
    /// ancestry given at initialization). Inserting a known hash again does nothing.
    fn insert_header(&mut self, block: BlockInfo) -> StoreResult<()>;

    /// Stores the posterior state of `block` with its root (and records the header). Inserting
    /// a known hash again replaces nothing: a header hash determines its posterior state.
    fn insert(&mut self, block: BlockInfo, root: StateRoot, state: Arc<State>) -> StoreResult<()>;

    /// The posterior state of the block with this hash, if stored.
    fn get(&self, hash: &HeaderHash) -> StoreResult<Option<StoredState>>;

    /// The chain ending at the block with this hash: at most `max` `(slot, header hash)`
    /// pairs, oldest first, the last being the block itself; shorter where the known chain
    /// ends, empty if the block is unknown.
    fn ancestry(&self, hash: &HeaderHash, max: usize) -> StoreResult<Vec<(TimeSlot, HeaderHash)>>;

    /// Drops what can no longer be needed (see the implementation's policy).
    fn prune(&mut self) -> StoreResult<()>;

    /// Drops everything.
    fn clear(&mut self) -> StoreResult<()>;

    /// The number of stored states.
    fn state_count(&self) -> usize;
}
