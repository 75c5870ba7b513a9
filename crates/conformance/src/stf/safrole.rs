//! The `stf/safrole` vectors (GP section 6): `{input, pre_state, output, post_state}` with
//! the schema of `stf/safrole/safrole.asn`.

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/safrole` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, marmalade_stf::safrole::transition)
}
