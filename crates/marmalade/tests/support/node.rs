//! Helpers for the tests that run `marmalade run` as a process.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// The binary under test.
pub fn marmalade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_marmalade"))
}

/// The text without ANSI colour sequences (`ESC [ ... m`), which the log lines carry.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Exports the best chain of the dev-chain database in `base` to `out` (`export-blocks`)
/// and re-imports it from the genesis (`import`), asserting that all `blocks` blocks import
/// and every root equals the one the node recorded.
pub fn export_and_reimport(base: &Path, out: &Path, blocks: usize) {
    let run = marmalade()
        .args(["export-blocks", "--chain", "dev", "--base-path"])
        .arg(base)
        .arg(out)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let run = marmalade()
        .args(["import", "-q"])
        .arg(out)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains(&format!("{blocks} blocks, {blocks} imported, 0 rejected")),
        "{stdout}"
    );
    assert!(!stdout.contains("mismatch"), "{stdout}");
}
