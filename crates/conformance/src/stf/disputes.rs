//! The `stf/disputes` vectors (GP 10; schema `stf/disputes/disputes.asn`): a disputes extrinsic
//! against $\psi$, $\rho$, $\tau$, $\kappa$ and $\lambda$, giving the offenders marker or an
//! error code; and the adapter from that schema to [`marmalade_stf::disputes`].

use marmalade_codec::{Decode, Encode};
use marmalade_stf::disputes::{self, Error, Prior};
use marmalade_types::{
    AvailabilityAssignments, ChainSpec, DisputesExtrinsic, DisputesRecords, OffendersMark,
    TimeSlot, ValidatorsData,
};
use serde::Serialize;
use std::path::Path;

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\psi$, mutated to $\psi'$.
    pub psi: DisputesRecords,
    /// $\rho$, mutated to $\rho^\dagger$.
    pub rho: AvailabilityAssignments,
    /// $\tau$.
    pub tau: TimeSlot,
    /// $\kappa$.
    pub kappa: ValidatorsData,
    /// $\lambda$.
    pub lambda: ValidatorsData,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Input {
    /// $\mathbf{E}_D$.
    pub disputes: DisputesExtrinsic,
}

/// The vectors' `OutputData`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Output {
    /// $\mathbf{H}_O$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub offenders_mark: OffendersMark,
}

/// [`disputes::transition`] on the vectors' state.
pub fn transition(spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, Output), Error> {
    let prior = Prior {
        psi: &pre.psi,
        rho: &pre.rho,
        tau: pre.tau,
        kappa: &pre.kappa,
        lambda: &pre.lambda,
    };
    let post = disputes::transition(spec, &prior, &input.disputes)?;
    let state = State {
        psi: post.psi,
        rho: post.rho,
        tau: pre.tau,
        kappa: pre.kappa.clone(),
        lambda: pre.lambda.clone(),
    };
    let out = Output {
        offenders_mark: post.offenders_mark,
    };
    Ok((state, out))
}

/// Runs one `stf/disputes` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, transition)
}
