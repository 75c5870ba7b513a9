//! The chain: block import $\Upsilon$ (GP (4.1)) composed from the subsystems and
//! accumulation ([`import`]), and the node's one import loop over a block tree and a state
//! store ([`Chain`]).

#![deny(unsafe_code)]

pub mod import;
mod importer;

pub use import::{check_seal, extrinsic_hash, header_hash, import_block, BlockError};
pub use importer::{
    block_ref, BlockExecutor, Chain, ChainError, Finality, FixedDepth, NoFinality, Upsilon,
    CODE_CACHE_BLOCKS,
};
