//! The `stf/accumulate` vectors (to be written).

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/accumulate` vector file.
pub fn run(_path: &Path, _spec: &ChainSpec) -> Result<(), String> {
    Err("runner not written yet".into())
}
