//! Runner for the shuffle vectors (`shuffle/shuffle_tests.json`, GP appendix F).
//!
//! A JSON array of `{input, entropy, output}`: shuffling `[0, 1, ..., input - 1]` with the
//! 32-byte `entropy` (hex) must give `output`.

use crate::CaseOutcome;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Case {
    input: u32,
    entropy: String,
    output: Vec<u32>,
}

fn check(case: &Case) -> Result<(), String> {
    let entropy: [u8; 32] = hex::decode(case.entropy.trim_start_matches("0x"))
        .map_err(|e| format!("entropy: {e}"))?
        .try_into()
        .map_err(|_| "entropy: expected 32 bytes".to_string())?;
    let got = marmalade_crypto::shuffle((0..case.input).collect(), &entropy);
    if got == case.output {
        return Ok(());
    }
    let at = got
        .iter()
        .zip(&case.output)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(case.output.len()));
    Err(format!(
        "input {}: output differs at index {at}: got {:?}, expected {:?} (lengths {} and {})",
        case.input,
        got.get(at),
        case.output.get(at),
        got.len(),
        case.output.len()
    ))
}

/// Runs one vector file, one outcome per case (`path#<index>`).
pub fn run(path: &Path) -> Vec<CaseOutcome> {
    crate::run_json_cases::<Case>(path, check)
}
