//! All PVM program vectors (`pvm-test-vectors/programs/*.json`) must pass.

use marmalade_conformance::pvm_vectors::ProgramTest;
use marmalade_pvm::GasModel;
use std::path::PathBuf;

fn programs_dir() -> PathBuf {
    let root = std::env::var_os("JAM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"));
    root.join("pvm-test-vectors/programs")
}

#[test]
fn all_program_vectors_pass() {
    let dir = programs_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("PVM vectors missing at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        307,
        "expected 307 program vectors in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut gp_model_differs = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let test = ProgramTest::from_json(&bytes);
        if let Err(e) = test.clone().and_then(|t| t.run()) {
            failures.push(format!("{name}: {e}"));
        }
        if let Err(e) = test.and_then(|t| t.run_with(GasModel::PerInstruction)) {
            gp_model_differs.push(format!("{name}: {e}"));
        }
    }
    // Informational: where the GP's strict per-instruction charging (a faulting instruction costs
    // 1, the rest of its block nothing) disagrees with the vectors' per-block charging.
    println!(
        "{} vectors differ under GasModel::PerInstruction:\n{}",
        gp_model_differs.len(),
        gp_model_differs.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
