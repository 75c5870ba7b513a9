//! The `stf/history` vectors (GP 7; schema `stf/history/history.asn`): one block's header hash,
//! parent state root, accumulation root and reported packages applied to $\beta$. The output is
//! `NULL`.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::history::{transition, Input, State};
use marmalade_types::ChainSpec;
use std::path::Path;

/// `TestCase ::= SEQUENCE { input, pre-state, output (NULL), post-state }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct TestCase {
    /// The block's inputs.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The output, `NULL` (no octets).
    pub output: (),
    /// The expected posterior state.
    pub post_state: State,
}

/// Runs one `stf/history` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    // The output is NULL on both sides (and the transition cannot fail): only the post-state
    // carries information.
    let (post, ()) = match transition(spec, &case.pre_state, &case.input) {
        Ok(v) => v,
        Err(never) => match never {},
    };
    super::compare("post_state", &case.post_state, &post)
}
