//! The `stf/disputes` vectors (GP 10; schema `stf/disputes/disputes.asn`): a disputes extrinsic
//! against $\psi$, $\rho$, $\tau$, $\kappa$ and $\lambda$, giving the offenders marker or an
//! error code.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::disputes::{transition, Error, Input, Output, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// `Output ::= CHOICE { ok OutputData, err ErrorCode }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum TestOutput {
    /// The offenders marker.
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
    /// The disputes extrinsic.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The expected output.
    pub output: TestOutput,
    /// The expected posterior state (the prior state on an error).
    pub post_state: State,
}

/// Runs one `stf/disputes` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<Output, Error> = case.output.into();
    let (got, post) = match transition(spec, &case.pre_state, &case.input) {
        Ok((post, out)) => (Ok(out), post),
        Err(e) => (Err(e), case.pre_state),
    };
    super::check(&expected, &got, &case.post_state, &post)
}
