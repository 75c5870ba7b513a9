//! The `stf/reports` vectors (GP 11.3–11.5, work-report guarantees).

use marmalade_codec::{Decode, Encode};
use marmalade_stf::reports::{transition, Error, Input, Output, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// The vectors' `Output`: `ok` with the reported packages and reporters, or an error code.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum CaseOutput {
    /// `ok`.
    #[codec(index = 0)]
    Ok(Output),
    /// `err`.
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

/// One `stf/reports` test case.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct TestCase {
    /// The guarantees, block slot and known packages.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The expected output.
    pub output: CaseOutput,
    /// The expected posterior state (the prior state on an error).
    pub post_state: State,
}

/// Runs one `stf/reports` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<Output, Error> = case.output.into();
    let (got, post) = match transition(spec, &case.pre_state, &case.input) {
        Ok((post, out)) => (Ok(out), post),
        Err(e) => (Err(e), case.pre_state),
    };
    super::check(&expected, &got, &case.post_state, &post)
}
