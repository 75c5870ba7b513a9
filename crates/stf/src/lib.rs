//! The on-chain subsystems of the Gray Paper 0.7.2 as pure state-transition functions.
//!
//! Each subsystem takes its prior state components and its inputs and returns the posterior
//! components and an output, or a typed error whose variants map one-to-one onto the error
//! codes of the subsystem's conformance schema. A failing transition changes nothing: the
//! functions take the prior state by reference and build the posterior state aside.

#![deny(unsafe_code)]

pub mod assurances;
pub mod authorizations;
pub mod disputes;
pub mod history;
pub mod preimages;
pub mod reports;
pub mod safrole;
pub mod statistics;
