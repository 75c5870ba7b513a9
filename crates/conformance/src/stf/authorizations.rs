//! The `stf/authorizations` vectors (GP 8): authorizer pools, schema
//! `stf/authorizations/authorizations.asn`; and the adapter to
//! [`marmalade_stf::authorizations`]. The vectors give $\varphi'$ as the state's
//! `auth_queues`, which the subsystem leaves unchanged.

use marmalade_codec::{Decode, Encode};
use marmalade_stf::authorizations::{self, CoreAuthorizer};
use marmalade_types::{AuthPools, AuthQueues, ChainSpec, TimeSlot};
use serde::Serialize;
use std::convert::Infallible;
use std::path::Path;

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\alpha$, mutated to $\alpha'$.
    pub auth_pools: AuthPools,
    /// $\varphi'$, read only.
    pub auth_queues: AuthQueues,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct Input {
    /// $\mathbf{H}_T$.
    pub slot: TimeSlot,
    /// The core authorizers of $\mathbf{E}_G$.
    pub auths: Vec<CoreAuthorizer>,
}

/// [`authorizations::transition`] on the vectors' state.
pub fn transition(
    _spec: &ChainSpec,
    pre: &State,
    input: &Input,
) -> Result<(State, ()), Infallible> {
    let auth_pools =
        authorizations::transition(&pre.auth_pools, &pre.auth_queues, input.slot, &input.auths);
    let state = State {
        auth_pools,
        auth_queues: pre.auth_queues.clone(),
    };
    Ok((state, ()))
}

/// Runs one `stf/authorizations` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_null_case(path, spec, transition)
}
