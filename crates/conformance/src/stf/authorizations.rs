//! The `stf/authorizations` vectors (to be written).

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/authorizations` vector file.
pub fn run(_path: &Path, _spec: &ChainSpec) -> Result<(), String> {
    Err("runner not written yet".into())
}
