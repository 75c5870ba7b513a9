//! The `stf/statistics` vectors (GP 13.1): validator activity statistics, schema
//! `stf/statistics/statistics.asn`; and the adapter to
//! [`marmalade_stf::statistics::validator_statistics`].
//!
//! The vectors' guarantees are placeholders signed by nobody; the reporters are the keys of
//! $\kappa'$ at the credentials' validator indices (see
//! [`marmalade_stf::statistics::reporters_in`]).

use marmalade_codec::{Decode, Encode};
use marmalade_stf::statistics::{reporters_in, validator_statistics, BlockActivity};
use marmalade_types::{
    ChainSpec, Extrinsic, TimeSlot, ValidatorIndex, ValidatorsData, ValidatorsStatistics,
};
use serde::Serialize;
use std::convert::Infallible;
use std::path::Path;

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\pi_V$, mutated to $\pi_V'$.
    pub vals_curr_stats: ValidatorsStatistics,
    /// $\pi_L$, mutated to $\pi_L'$.
    pub vals_last_stats: ValidatorsStatistics,
    /// $\tau$, read only.
    pub slot: TimeSlot,
    /// $\kappa'$, read only.
    pub curr_validators: ValidatorsData,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct Input {
    /// $\mathbf{H}_T$.
    pub slot: TimeSlot,
    /// $\mathbf{H}_I$.
    pub author_index: ValidatorIndex,
    /// $\mathbf{E}$.
    pub extrinsic: Extrinsic,
}

/// The validator-statistics transition (GP (13.3)–(13.5)) with the reporters set taken from
/// $\kappa'$, on the vectors' state.
pub fn transition(spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, ()), Infallible> {
    let reporters = reporters_in(&pre.curr_validators, &input.extrinsic.guarantees);
    let activity = BlockActivity {
        slot: input.slot,
        author_index: input.author_index,
        extrinsic: &input.extrinsic,
        reporters: &reporters,
    };
    let (curr, last) = validator_statistics(
        spec,
        pre.slot,
        &pre.vals_curr_stats,
        &pre.vals_last_stats,
        &pre.curr_validators,
        &activity,
    );
    let state = State {
        vals_curr_stats: curr,
        vals_last_stats: last,
        slot: pre.slot,
        curr_validators: pre.curr_validators.clone(),
    };
    Ok((state, ()))
}

/// Runs one `stf/statistics` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_null_case(path, spec, transition)
}
