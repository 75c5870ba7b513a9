//! Runner for the PVM program vectors (`pvm-test-vectors/programs/*.json`): each file is one
//! program run from the given registers, pc, page map, memory and gas; status, registers, pc,
//! gas, page-fault address and memory are compared (see [`crate::pvm_vectors`]).

use crate::pvm_vectors::ProgramTest;
use crate::CaseOutcome;
use std::path::Path;

/// Runs one vector file.
pub fn run(path: &Path) -> CaseOutcome {
    let name = crate::name_of(path);
    let result = crate::read(path)
        .and_then(|bytes| ProgramTest::from_json(&bytes))
        .and_then(|test| test.run());
    CaseOutcome::from_result(name, result)
}
