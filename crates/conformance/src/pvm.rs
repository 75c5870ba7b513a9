//! Runner for the pvm vectors (to be written).

use crate::CaseOutcome;
use std::path::Path;

/// Runs one vector file.
pub fn run(path: &Path) -> CaseOutcome {
    CaseOutcome::fail(crate::name_of(path), "runner not written yet")
}
