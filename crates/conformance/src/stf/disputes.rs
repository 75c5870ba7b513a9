//! The `stf/disputes` vectors (GP 10; schema `stf/disputes/disputes.asn`): a disputes extrinsic
//! against $\psi$, $\rho$, $\tau$, $\kappa$ and $\lambda$, giving the offenders marker or an
//! error code.

use marmalade_types::ChainSpec;
use std::path::Path;

/// Runs one `stf/disputes` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    super::run_case(path, spec, marmalade_stf::disputes::transition)
}
