//! The subcommands.

pub mod base_path;
pub mod chain_arg;
pub mod chain_spec;
pub mod conformance;
pub mod export;
pub mod fuzz;
pub mod fuzz_target;
pub mod import;
pub mod pvm;
pub mod refine;
pub mod run;
pub mod testnet;
