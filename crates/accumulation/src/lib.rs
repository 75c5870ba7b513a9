//! Accumulation (GP section 12): the accumulate invocation $\Psi_A$ (GP B.4) with its host
//! calls, the ready queue and accumulated history, and the block-level pipeline
//! $\Delta_1$, $\Delta_*$, $\Delta_+$.
//!
//! - [`account`]: $\delta$ as accumulation sees it: the prior accounts through a
//!   [`marmalade_state::StateReader`] with the changes made over them.
//! - [`queue`]: the ready queue $\omega$ and history $\xi$ (GP (12.1)–(12.3)).
//! - [`invoke`]: $\Psi_A$ with its implications context pair and `checkpoint` (GP B.4).
//! - [`host`]: the accumulate host calls (GP B.7) and the general ones they share with the
//!   other invocations (GP B.6).
//! - [`pipeline`]: $\Delta_1$, $\Delta_*$, $\Delta_+$ and the block's final integration.
//!
//! Block import calls [`accumulate_block`] with the prior state behind a
//! [`marmalade_state::StateReader`]; what it writes to $\delta$ comes back as changes
//! ([`Accounts::into_changes`]), never as a copy of the state.

#![deny(unsafe_code)]

pub mod account;
pub mod host;
pub mod invoke;
pub mod pipeline;
pub mod queue;

pub use account::Accounts;
pub use invoke::{AccumulationInput, CodeCache, DeferredTransfer, Env, OperandTuple};
pub use pipeline::{accumulate_block, output_root, BlockAccumulation, PartialState};

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
