//! State storage for block import.
//!
//! - [`StateStore`]: the seam between the chain and where states live: posterior states by
//!   header hash with their slot, parent and Merkle root, each derived from its parent's by a
//!   block's [`StateChanges`]; the recent header chain behind a block (its ancestry, for the
//!   lookup-anchor check of GP (11.35)); and pruning. Only [`MemoryStore`] exists today; a
//!   persistent backend implements the same trait (every method returns a [`StoreResult`]
//!   for that reason).
//! - [`MemoryStore`]: keeps the states of the last few block heights, so a block can be
//!   imported on any recent parent (forks), with memory bounded whatever a peer sends. States
//!   share structure ([`marmalade_state::Items`]), so each costs its block's changes.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod db;
mod memory;

pub use db::{ChainDb, DbError, DbResult, StoredHeader, DB_FILE};
pub use memory::{MemoryStore, PruneConfig};

use marmalade_state::{State, StateChanges};
use marmalade_types::{HeaderHash, StateRoot, TimeSlot};
use std::sync::Arc;

/// What the store keeps of a header: enough to walk the chain backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// The header's hash.
    pub hash: HeaderHash,
    /// $\mathbf{H}_T$: its timeslot.
    pub slot: TimeSlot,
    /// $\mathbf{H}_P$: its parent's hash (for the state given at initialization, the previous
    /// item of the given ancestry, if any).
    pub parent: HeaderHash,
}

/// A stored posterior state: the block it follows, its Merkle root
/// $\mathcal{M}_\sigma(\sigma)$ (GP (D.5)) and the state itself, shared.
#[derive(Debug, Clone)]
pub struct StoredState {
    /// The block whose posterior state this is.
    pub block: BlockRef,
    /// The state root.
    pub root: StateRoot,
    /// The state.
    pub state: Arc<State>,
    /// The changes that made it from its parent's state, and their inverse (`None` for a
    /// state given whole).
    pub changes: Option<(Arc<StateChanges>, Arc<StateChanges>)>,
}

/// A storage backend failure (never a property of the blocks or states themselves).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, corruption, ...).
    #[error("state store backend: {0}")]
    Backend(String),
    /// Changes were given for a block whose parent state is not stored.
    #[error("no stored state for parent 0x{}", hex(.0))]
    UnknownParent(HeaderHash),
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Where posterior states live, keyed by header hash.
///
/// Implementations decide which states to keep in [`StateStore::prune`]; the caller calls it
/// after inserting, so a store never grows without bound when driven by the chain.
pub trait StateStore {
    /// Records a header without a state: an ancestor known only by its hash and slot (the
    /// ancestry given at initialization). Inserting a known hash again does nothing.
    fn insert_header(&mut self, block: BlockRef) -> StoreResult<()>;

    /// Stores a state given whole as the posterior state of `block` with its root (and
    /// records the header): a genesis, or a state a peer sent. Inserting a known hash again
    /// replaces nothing: a header hash determines its posterior state.
    fn insert(&mut self, block: BlockRef, root: StateRoot, state: Arc<State>) -> StoreResult<()>;

    /// Stores the posterior state of `block`: its parent's stored state with `changes`
    /// applied, and its root. Fails if the parent's state is not stored. Inserting a known
    /// hash again replaces nothing.
    fn apply(&mut self, block: BlockRef, root: StateRoot, changes: StateChanges)
        -> StoreResult<()>;

    /// The posterior state of the block with this hash, if stored.
    fn get(&self, hash: &HeaderHash) -> StoreResult<Option<StoredState>>;

    /// The chain ending at the block with this hash: at most `max` `(slot, header hash)`
    /// pairs, oldest first, the last being the block itself; shorter where the known chain
    /// ends, empty if the block is unknown.
    fn ancestry(&self, hash: &HeaderHash, max: usize) -> StoreResult<Vec<(TimeSlot, HeaderHash)>>;

    /// The height of a known header: 0 for the first of a chain, one more than its parent's.
    fn height(&self, hash: &HeaderHash) -> StoreResult<Option<u64>>;

    /// Marks the block `hash` final: from the next [`prune`](StateStore::prune) on, states of
    /// blocks that are not on its chain (not its ancestors nor its descendants) are dropped.
    fn finalize(&mut self, hash: &HeaderHash) -> StoreResult<()>;

    /// Drops what can no longer be needed (see the implementation's policy).
    fn prune(&mut self) -> StoreResult<()>;

    /// Drops everything.
    fn clear(&mut self) -> StoreResult<()>;

    /// The number of stored states.
    fn state_count(&self) -> usize;
}
