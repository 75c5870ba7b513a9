//! The `stf/statistics` vectors (GP 13.1): validator activity statistics, schema
//! `stf/statistics/statistics.asn`.
//!
//! The vectors' guarantees are placeholders signed by nobody; the reporters are the keys of
//! $\kappa'$ at the credentials' validator indices (see
//! [`marmalade_stf::statistics::reporters_in`]).

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/statistics` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_null_case(path, spec, marmalade_stf::statistics::transition)
}
