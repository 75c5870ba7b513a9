//! Guarantees ($\mathbf{E}_G$) of work reports for the genesis services and assurances
//! ($\mathbf{E}_A$) of the reports pending availability.

use super::BlockContext;
use crate::rng::Rng;
use marmalade_types::Extrinsic;

/// Why guarantees or assurances could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {}

/// The source of guarantees and assurances.
#[derive(Default)]
pub struct WorkSource {}

impl WorkSource {
    /// Adds assurances (if `assure`) and guarantees (if `guarantee`) valid on `ctx.parent`.
    pub fn fill(
        &mut self,
        _ctx: &BlockContext<'_>,
        _rng: &mut Rng,
        _assure: bool,
        _guarantee: bool,
        _extrinsic: &mut Extrinsic,
    ) -> Result<(), WorkError> {
        Ok(())
    }
}
