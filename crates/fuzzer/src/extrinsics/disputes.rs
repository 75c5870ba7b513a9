//! Disputes ($\mathbf{E}_D$): verdicts, culprits and faults signed with the development keys.

use super::BlockContext;
use crate::rng::Rng;
use marmalade_types::Extrinsic;

/// Why disputes could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {}

/// The source of disputes.
#[derive(Default)]
pub struct DisputeSource {}

impl DisputeSource {
    /// Adds disputes valid on `ctx.parent`.
    pub fn fill(
        &mut self,
        _ctx: &BlockContext<'_>,
        _rng: &mut Rng,
        _extrinsic: &mut Extrinsic,
    ) -> Result<(), DisputeError> {
        Ok(())
    }
}
