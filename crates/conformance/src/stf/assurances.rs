//! The `stf/assurances` vectors (GP 11.2): availability assurances, schema
//! `stf/assurances/assurances.asn`.

use super::{check, load};
use marmalade_codec::Decode;
use marmalade_stf::assurances::{transition, Error, Input, Output, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// The vectors' `Output`: `ok` with the available reports, or `err` with an error code.
#[derive(Debug, Decode)]
enum VectorOutput {
    #[codec(index = 0)]
    Ok(Output),
    #[codec(index = 1)]
    Err(Error),
}

/// One `stf/assurances` test case.
#[derive(Debug, Decode)]
struct TestCase {
    input: Input,
    pre_state: State,
    output: VectorOutput,
    post_state: State,
}

/// Runs one `stf/assurances` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = load(path, spec)?;
    let expected = match case.output {
        VectorOutput::Ok(o) => Ok(o),
        VectorOutput::Err(e) => Err(e),
    };
    match transition(spec, &case.pre_state, &case.input) {
        Ok((post, out)) => check(&expected, &Ok(out), &case.post_state, &post),
        // On an error nothing changes: the expected post-state must be the pre-state.
        Err(e) => check(&expected, &Err(e), &case.post_state, &case.pre_state),
    }
}
