//! The `stf/statistics` vectors (GP 13.1): validator activity statistics, schema
//! `stf/statistics/statistics.asn`.
//!
//! The vectors' guarantees are placeholders signed by nobody; the reporters are the keys of
//! $\kappa'$ at the credentials' validator indices (see
//! [`marmalade_stf::statistics::reporters_in`]).

use super::{compare, load};
use marmalade_codec::Decode;
use marmalade_stf::statistics::{transition, Input, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// One `stf/statistics` test case; the output is `NULL`.
#[derive(Debug, Decode)]
struct TestCase {
    input: Input,
    pre_state: State,
    output: (),
    post_state: State,
}

/// Runs one `stf/statistics` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = load(path, spec)?;
    let (post, out) = match transition(spec, &case.pre_state, &case.input) {
        Ok(r) => r,
        Err(never) => match never {},
    };
    // The output is NULL on both sides: only the post-state can differ.
    let ((), ()) = (case.output, out);
    compare("post_state", &case.post_state, &post)
}
