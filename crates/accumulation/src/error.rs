//! Why a block's accumulation is invalid.

use marmalade_types::ServiceId;

/// Why a block's accumulation is invalid: the GP names one way for accumulation to
/// invalidate a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AccumulationError {
    /// Two services created an account with the same new index in one round (GP (12.19) and
    /// the note after it; GP B.4 after the new-service index): the block is invalid.
    #[error("two services created service {0} in the same round")]
    ServiceIndexCollision(ServiceId),
}
