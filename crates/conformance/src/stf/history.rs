//! The `stf/history` vectors (GP 7; schema `stf/history/history.asn`): one block's header hash,
//! parent state root, accumulation root and reported packages applied to $\beta$. The output is
//! `NULL`.

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/history` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_null_case(path, spec, marmalade_stf::history::transition)
}
