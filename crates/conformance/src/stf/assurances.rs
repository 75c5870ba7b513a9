//! The `stf/assurances` vectors (GP 11.2): availability assurances, schema
//! `stf/assurances/assurances.asn`.

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/assurances` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, marmalade_stf::assurances::transition)
}
