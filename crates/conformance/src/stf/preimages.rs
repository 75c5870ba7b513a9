//! The `stf/preimages` vectors (GP 12.4; schema `stf/preimages/preimages.asn`): a preimages
//! extrinsic against the services' preimage requests and blobs, updating them and the
//! provision counters of $\pi_S$. The output is `ok NULL` or an error code.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::preimages::{transition, Error, Input, Output, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// `Output ::= CHOICE { ok NULL, err ErrorCode }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum TestOutput {
    /// Success.
    #[codec(index = 0)]
    Ok(Output),
    /// The error code.
    #[codec(index = 1)]
    Err(Error),
}

impl From<TestOutput> for Result<Output, Error> {
    fn from(o: TestOutput) -> Self {
        match o {
            TestOutput::Ok(v) => Ok(v),
            TestOutput::Err(e) => Err(e),
        }
    }
}

/// `TestCase ::= SEQUENCE { input, pre-state, output, post-state }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct TestCase {
    /// The preimages extrinsic and the block's timeslot.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The expected output.
    pub output: TestOutput,
    /// The expected posterior state (the prior state on an error).
    pub post_state: State,
}

/// Runs one `stf/preimages` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<Output, Error> = case.output.into();
    let (got, post) = match transition(spec, &case.pre_state, &case.input) {
        Ok((post, out)) => (Ok(out), post),
        Err(e) => (Err(e), case.pre_state),
    };
    super::check(&expected, &got, &case.post_state, &post)
}
