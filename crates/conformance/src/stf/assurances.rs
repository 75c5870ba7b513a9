//! The `stf/assurances` vectors (GP 11.2): availability assurances, schema
//! `stf/assurances/assurances.asn`; and the adapter to [`marmalade_stf::assurances`].

use marmalade_codec::{Decode, Encode};
use marmalade_stf::assurances::{self, Error};
use marmalade_types::{
    AssurancesExtrinsic, AvailabilityAssignments, ChainSpec, HeaderHash, TimeSlot, ValidatorsData,
    WorkReport,
};
use serde::Serialize;
use std::path::Path;

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\rho^\dagger$, mutated to $\rho^\ddagger$.
    pub avail_assignments: AvailabilityAssignments,
    /// $\kappa$, read only.
    pub curr_validators: ValidatorsData,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode, Serialize)]
pub struct Input {
    /// $\mathbf{E}_A$.
    pub assurances: AssurancesExtrinsic,
    /// $\mathbf{H}_T$.
    pub slot: TimeSlot,
    /// $\mathbf{H}_P$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub parent: HeaderHash,
}

/// The vectors' `OutputData`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode, Serialize)]
pub struct Output {
    /// $\mathbf{R}$.
    pub reported: Vec<WorkReport>,
}

/// [`assurances::transition`] on the vectors' state.
pub fn transition(spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, Output), Error> {
    let post = assurances::transition(
        spec,
        &pre.avail_assignments,
        &pre.curr_validators,
        input.slot,
        &input.parent,
        &input.assurances,
    )?;
    let state = State {
        avail_assignments: post.rho,
        curr_validators: pre.curr_validators.clone(),
    };
    let out = Output {
        reported: post.available,
    };
    Ok((state, out))
}

/// Runs one `stf/assurances` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, transition)
}
