//! Runner for the block-import traces, `traces/<set>/NNNNNNNN.bin` (to be written).

use crate::CaseOutcome;
use std::path::Path;

/// Runs one trace step file (`pre_state`, `block`, `post_state`).
pub fn run(path: &Path) -> CaseOutcome {
    CaseOutcome::fail(crate::name_of(path), "trace runner not written yet")
}
