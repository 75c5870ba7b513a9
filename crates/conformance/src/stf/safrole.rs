//! The `stf/safrole` vectors (GP section 6): `{input, pre_state, output, post_state}` with
//! the schema of `stf/safrole/safrole.asn`.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::safrole::{transition, Error, Input, Output, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// The vectors' `Output`: `ok OutputData` (0) or `err ErrorCode` (1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum CaseOutput {
    /// The transition succeeded with these markers.
    #[codec(index = 0)]
    Ok(Output),
    /// The transition failed with this code.
    #[codec(index = 1)]
    Err(Error),
}

impl From<CaseOutput> for Result<Output, Error> {
    fn from(o: CaseOutput) -> Self {
        match o {
            CaseOutput::Ok(v) => Ok(v),
            CaseOutput::Err(e) => Err(e),
        }
    }
}

/// One `stf/safrole` test case.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct TestCase {
    /// The block's inputs.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The expected output.
    pub output: CaseOutput,
    /// The expected posterior state (the prior state on an error).
    pub post_state: State,
}

/// Runs one `stf/safrole` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<Output, Error> = case.output.into();
    let (got, state) = match transition(spec, &case.pre_state, &case.input) {
        Ok((state, out)) => (Ok(out), state),
        Err(e) => (Err(e), case.pre_state.clone()),
    };
    super::check(&expected, &got, &case.post_state, &state)
}
