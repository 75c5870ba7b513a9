//! The subcommands.

pub mod conformance;
pub mod pvm;
