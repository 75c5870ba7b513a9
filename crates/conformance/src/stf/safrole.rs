//! The `stf/safrole` vectors (GP section 6): `{input, pre_state, output, post_state}` with
//! the schema of `stf/safrole/safrole.asn`, and the adapter from that schema to
//! [`marmalade_stf::safrole`].

use marmalade_codec::{Decode, Encode};
use marmalade_stf::safrole::{self, Error, Prior};
use marmalade_types::{
    BandersnatchRingCommitment, ChainSpec, Ed25519Public, Entropy, EntropyBuffer, EpochMark,
    TicketsAccumulator, TicketsExtrinsic, TicketsMark, TicketsOrKeys, TimeSlot, ValidatorsData,
};
use serde::Serialize;
use std::path::Path;

/// The vectors' `State`: the Safrole components a block reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct State {
    /// $\tau$.
    pub tau: TimeSlot,
    /// $\eta$.
    pub eta: EntropyBuffer,
    /// $\lambda$.
    pub lambda: ValidatorsData,
    /// $\kappa$.
    pub kappa: ValidatorsData,
    /// $\gamma_P$.
    pub gamma_k: ValidatorsData,
    /// $\iota$.
    pub iota: ValidatorsData,
    /// $\gamma_A$.
    pub gamma_a: TicketsAccumulator,
    /// $\gamma_S$.
    pub gamma_s: TicketsOrKeys,
    /// $\gamma_Z$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub gamma_z: BandersnatchRingCommitment,
    /// $\psi'_O$: the posterior offenders, read only.
    #[serde(with = "marmalade_types::serde_hex")]
    pub post_offenders: Vec<Ed25519Public>,
}

/// The vectors' `Input`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Input {
    /// $\mathbf{H}_T$.
    pub slot: TimeSlot,
    /// $\mathcal{Y}(\mathbf{H}_V)$.
    #[serde(with = "marmalade_types::serde_hex")]
    pub entropy: Entropy,
    /// $\mathbf{E}_T$.
    pub extrinsic: TicketsExtrinsic,
}

/// The vectors' `OutputData`: the header markers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode, Serialize)]
pub struct Output {
    /// $\mathbf{H}_E$.
    pub epoch_mark: Option<EpochMark>,
    /// $\mathbf{H}_W$.
    pub tickets_mark: Option<TicketsMark>,
}

impl State {
    /// The Safrole components of this state, borrowed.
    pub fn prior(&self) -> Prior<'_> {
        Prior {
            tau: self.tau,
            eta: &self.eta,
            lambda: &self.lambda,
            kappa: &self.kappa,
            gamma_p: &self.gamma_k,
            iota: &self.iota,
            gamma_a: &self.gamma_a,
            gamma_s: &self.gamma_s,
            gamma_z: &self.gamma_z,
            offenders: &self.post_offenders,
        }
    }
}

/// [`safrole::transition`] on the vectors' state.
pub fn transition(spec: &ChainSpec, pre: &State, input: &Input) -> Result<(State, Output), Error> {
    let post = safrole::transition(
        spec,
        &pre.prior(),
        input.slot,
        &input.entropy,
        &input.extrinsic,
    )?;
    let out = Output {
        epoch_mark: post.epoch_mark,
        tickets_mark: post.tickets_mark,
    };
    let state = State {
        tau: post.tau,
        eta: post.eta,
        lambda: post.lambda.clone(),
        kappa: post.kappa.clone(),
        gamma_k: post.gamma_p.into_owned(),
        iota: pre.iota.clone(),
        gamma_a: post.gamma_a,
        gamma_s: post.gamma_s.into_owned(),
        gamma_z: post.gamma_z,
        post_offenders: pre.post_offenders.clone(),
    };
    Ok((state, out))
}

/// Runs one `stf/safrole` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, transition)
}
