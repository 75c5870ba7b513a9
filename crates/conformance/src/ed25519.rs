//! Runner for the Ed25519 consensus vectors (`crypto-ed25519/vectors.json`).
//!
//! A JSON array of `{number, desc, pk, r, s, msg, pk_canonical, r_canonical}` (hex; the
//! signature is `r ++ s`): small-order and non-canonical encodings of `A` and `R` with `s = 0`.
//! There is no expected-result field: under ZIP-215, which JAM follows, every case verifies.

use crate::CaseOutcome;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Case {
    number: u64,
    desc: String,
    pk: String,
    r: String,
    s: String,
    msg: String,
}

fn hex_array<const N: usize>(field: &str, s: &str) -> Result<[u8; N], String> {
    let bytes = hex::decode(s.trim_start_matches("0x")).map_err(|e| format!("{field}: {e}"))?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| format!("{field}: {len} bytes, expected {N}"))
}

fn check(case: &Case) -> Result<(), String> {
    let pk: [u8; 32] = hex_array("pk", &case.pk)?;
    let r: [u8; 32] = hex_array("r", &case.r)?;
    let s: [u8; 32] = hex_array("s", &case.s)?;
    let msg = hex::decode(case.msg.trim_start_matches("0x")).map_err(|e| format!("msg: {e}"))?;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(&s);
    marmalade_crypto::ed25519::try_verify(&pk, &msg, &sig).map_err(|e| {
        format!(
            "case {} ({}): expected valid under ZIP-215, got {e}",
            case.number, case.desc
        )
    })
}

/// Runs one vector file, one outcome per case (`path#<index>`).
pub fn run(path: &Path) -> Vec<CaseOutcome> {
    crate::run_json_cases::<Case>(path, check)
}
