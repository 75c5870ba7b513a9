//! A block-generating, mutating, differential fuzzer for the JAM conformance fuzz protocol v1
//! (`marmalade fuzz`).
//!
//! - [`generator`]: a deterministic (seeded) source of valid blocks on the dev chain (tiny) or
//!   a synthetic genesis of 1,023 development validators (full), authored with the
//!   development keys over an in-process [`marmalade_chain::Chain`] (the oracle): random slot
//!   skips, fallback or ticket seals, tickets with ring proofs on a schedule, occasional
//!   sibling blocks (forks of depth one, as protocol v1's fork feature allows).
//! - [`extrinsics`]: what blocks carry besides tickets, each valid on the parent's state:
//!   guarantees of refined work reports and assurances ([`extrinsics::work`]), preimages of
//!   blobs the genesis solicited ([`extrinsics::preimages`]), verdicts, culprits and faults
//!   ([`extrinsics::disputes`]).
//! - [`mutate`]: structure-aware mutations of a valid block, each a [`MutationKind`], each
//!   making a block a correct node must reject without changing its state (extrinsic kinds
//!   are re-sealed by the block's author, [`Generator::with_extrinsic`]).
//! - [`client`]: the fuzzer side of protocol v1 over a Unix socket ([`TargetClient`]).
//! - [`driver`]: a session that sends the same steps to one or more targets, compares their
//!   answers with the oracle's after every step and, on a mismatch, writes a reproducer in
//!   the trace-step format `marmalade conformance` runs.
//! - [`rng`]: the small seeded generator everything random draws from (a session's shape is
//!   a function of its seed).

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod driver;
pub mod extrinsics;
pub mod generator;
pub mod mutate;
pub mod rng;

pub use client::{ClientError, ImportAnswer, TargetClient};
pub use driver::{Config, DriverError, Fuzzer, Mismatch, Progress, Report};
pub use extrinsics::ExtrinsicConfig;
pub use generator::{Generated, Generator, GeneratorConfig, GeneratorError};
pub use mutate::{mutate, MutationKind};
pub use rng::Rng;
