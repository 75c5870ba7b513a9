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
mod error;
pub mod host;
pub mod invoke;
pub mod partial;
pub mod pipeline;
pub mod queue;

pub use account::Accounts;
pub use error::AccumulationError;
pub use invoke::{AccumulationInput, CodeCache, DeferredTransfer, Env, OperandTuple};
pub use pipeline::{accumulate_block, output_root, BlockAccumulation, PartialState};
