//! Chain specs and validator keys.
//!
//! - [`ChainSpecFile`]: JIP-4 chain spec files (`id`, `bootnodes`, `genesis_header`,
//!   `genesis_state`, `protocol_parameters`), read and written, and their decoded
//!   [`Genesis`] (header, header hash, state, state root).
//! - [`dev`]: the built-in `dev` chain, typeberry's, rebuilt from the JIP-5 development keys.
//! - [`keyfile`]: a validator's JIP-5 seed in a JSON key file.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bootnode;
pub mod dev;
pub mod keyfile;
pub mod spec;
pub mod synthetic;

pub use bootnode::{Bootnode, BootnodeError};
pub use dev::{dev_genesis, dev_spec};
pub use keyfile::{KeyFile, KeyFileError, ValidatorSeed};
pub use spec::{ChainSpecError, ChainSpecFile, Genesis};

#[cfg(test)]
mod tests;
