//! Preimages ($\mathbf{E}_P$) of blobs the genesis services solicited.

use super::BlockContext;
use crate::rng::Rng;
use marmalade_state::State;
use marmalade_types::{ChainSpec, Extrinsic};

/// Why preimages could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreimageError {}

/// Adds solicitations to a genesis `state` (blobs `seed` determines) so that blocks can
/// provide them.
pub fn solicit(_spec: &ChainSpec, _state: &mut State, _seed: u64) -> Result<(), PreimageError> {
    Ok(())
}

/// The source of preimages.
#[derive(Default)]
pub struct PreimageSource {}

impl PreimageSource {
    /// Adds preimages valid on `ctx.parent`.
    pub fn fill(
        &mut self,
        _ctx: &BlockContext<'_>,
        _rng: &mut Rng,
        _extrinsic: &mut Extrinsic,
    ) -> Result<(), PreimageError> {
        Ok(())
    }
}
