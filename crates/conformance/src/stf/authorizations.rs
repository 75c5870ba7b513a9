//! The `stf/authorizations` vectors (GP 8): authorizer pools, schema
//! `stf/authorizations/authorizations.asn`.

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/authorizations` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_null_case(path, spec, marmalade_stf::authorizations::transition)
}
