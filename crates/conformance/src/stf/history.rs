//! The `stf/history` vectors (GP 7; schema `stf/history/history.asn`): one block's header hash,
//! parent state root, accumulation root and reported packages applied to $\beta$. The output is
//! `NULL`. The adapter composes the two steps of [`marmalade_stf::history`], as the vectors
//! apply them together.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::history::{append_block, fix_parent_state_root};
use marmalade_types::{
    ChainSpec, HeaderHash, OpaqueHash, RecentBlocks, ReportedWorkPackage, StateRoot,
};
use serde::Serialize;
use std::convert::Infallible;
use std::path::Path;

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\beta$, mutated to $\beta'$.
    pub beta: RecentBlocks,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Input {
    /// $\mathcal{H}(\mathbf{H})$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub header_hash: HeaderHash,
    /// $\mathbf{H}_R$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub parent_state_root: StateRoot,
    /// The root of the block's accumulation outputs (GP (7.6), (7.7)).
    #[serde(with = "marmalade_types::serde_hex")]
    pub accumulate_root: OpaqueHash,
    /// $\mathbf{p}$: the reported packages (GP (7.8)).
    pub work_packages: Vec<ReportedWorkPackage>,
}

/// $\beta_H^\dagger$ (GP (7.5)), then $\beta'$ (GP (7.7), (7.8)).
pub fn transition(
    _spec: &ChainSpec,
    pre: &State,
    input: &Input,
) -> Result<(State, ()), Infallible> {
    let dagger = fix_parent_state_root(&pre.beta.history, input.parent_state_root);
    let beta = append_block(
        &dagger,
        &pre.beta.mmr,
        input.header_hash,
        input.accumulate_root,
        &input.work_packages,
    );
    Ok((State { beta }, ()))
}

/// Runs one `stf/history` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_null_case(path, spec, transition)
}
