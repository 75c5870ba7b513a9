//! The `stf/reports` vectors (GP 11.3–11.5, work-report guarantees).

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/reports` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, marmalade_stf::reports::transition)
}
