//! The `stf/accumulate` vectors (GP section 12): `{input, pre_state, output, post_state}`
//! with the schema of `stf/accumulate/accumulate.asn`.
//!
//! The vectors give service storage by raw key and requests by `(hash, length)`, while a node
//! keys them by state key (see `marmalade_stf::accumulate::account`). The runner converts the
//! pre-state to the keyed form ([`State::keyed`]), runs the transition on it, and compares the
//! result with the expected post-state converted the same way.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::accumulate::{transition, Input, Output, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// The vectors' `Output`: `ok OpaqueHash` (0), the accumulation-output root, or `err NULL`
/// (1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum CaseOutput {
    /// The transition succeeded with this accumulation-output root.
    #[codec(index = 0)]
    Ok(Output),
    /// The transition failed (the schema gives no code).
    #[codec(index = 1)]
    Err,
}

/// One `stf/accumulate` test case.
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

/// Runs one `stf/accumulate` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<Output, ()> = match case.output {
        CaseOutput::Ok(o) => Ok(o),
        CaseOutput::Err => Err(()),
    };
    let pre = case.pre_state.keyed();
    let (got, state) = match transition(spec, &pre, &case.input) {
        Ok((state, out)) => (Ok(out), state),
        Err(_) => (Err(()), pre),
    };
    super::check(&expected, &got, &case.post_state.keyed(), &state)
}
