//! Block import (GP sections 4-13 composed in the GP's dependency order): header checks, then
//! the subsystems, producing the posterior state or a typed error that leaves the prior state
//! untouched.
//!
//! (Being written: the signature below is the contract for the store and the fuzz target.)

use marmalade_state::State;
use marmalade_types::{Block, ChainSpec, Hash, TimeSlot};

/// Why a block was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not implemented yet.
    #[error("block import is not implemented yet")]
    Unimplemented,
}

/// Imports `block` on the state `prior` whose Merkle root is `prior_root` (the block's
/// `H_r` must equal it). `ancestry` is the chain of recent `(slot, header hash)` pairs ending
/// at the parent, used for the lookup-anchor check (GP eq. 11.35); `None` skips that check
/// (the fuzz protocol without the ancestry feature).
pub fn import_block(
    _spec: &ChainSpec,
    _prior: &State,
    _prior_root: &Hash,
    _block: &Block,
    _ancestry: Option<&[(TimeSlot, Hash)]>,
) -> Result<State, ImportError> {
    Err(ImportError::Unimplemented)
}
