//! Shared helpers of the integration tests: where the recorded sessions are, and temp dirs.

#![allow(dead_code)]

use std::path::PathBuf;

/// The recorded example sessions, `fuzz-proto/examples/0.7.2` under `$JAM_VECTORS` or else
/// `CARGO_MANIFEST_DIR/../../.jam-vectors`. Panics (failing the test) when missing.
pub fn examples_dir() -> PathBuf {
    let root = match std::env::var_os("JAM_VECTORS") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"),
    };
    let dir = root.join("fuzz-proto/examples/0.7.2");
    assert!(
        dir.join("forks").is_dir() && dir.join("no_forks").is_dir(),
        "fuzz protocol example sessions missing at {} (unpack them with ../shared/vectors/unpack)",
        dir.display()
    );
    dir
}

/// Both recorded sessions: `forks` and `no_forks`.
pub fn session_dirs() -> Vec<PathBuf> {
    let d = examples_dir();
    vec![d.join("forks"), d.join("no_forks")]
}

/// The `.bin` files of a session folder, sorted by name.
pub fn bin_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    v.sort();
    v
}

/// A fresh, empty temporary directory unique to this process and `name`; short enough for a
/// Unix socket path.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mfz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
