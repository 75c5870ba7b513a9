//! The `stf/authorizations` vectors (GP 8): authorizer pools, schema
//! `stf/authorizations/authorizations.asn`.

use super::{compare, load};
use marmalade_codec::Decode;
use marmalade_stf::authorizations::{transition, Input, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// One `stf/authorizations` test case; the output is `NULL`.
#[derive(Debug, Decode)]
struct TestCase {
    input: Input,
    pre_state: State,
    output: (),
    post_state: State,
}

/// Runs one `stf/authorizations` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = load(path, spec)?;
    let got = transition(spec, &case.pre_state, &case.input);
    let (post, out) = match got {
        Ok(r) => r,
        Err(never) => match never {},
    };
    // The output is NULL on both sides: only the post-state can differ.
    let ((), ()) = (case.output, out);
    compare("post_state", &case.post_state, &post)
}
