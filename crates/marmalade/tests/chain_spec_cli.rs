//! `marmalade chain-spec`: the dev chain is typeberry's `dev` spec; files are checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// typeberry's built-in `dev` spec (a copy of `/work/shared/interop/typeberry-dev-spec.json`).
const TYPEBERRY_DEV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../chainspec/res/typeberry-dev-spec.json"
);

fn chain_spec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_marmalade"))
        .arg("chain-spec")
        .args(args)
        .output()
        .unwrap()
}

fn typeberry_dev() -> String {
    std::fs::read_to_string(TYPEBERRY_DEV)
        .unwrap_or_else(|e| panic!("{TYPEBERRY_DEV} is missing: {e}"))
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("marmalade-chain-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The command succeeded, printed typeberry's `dev` spec exactly, and its summary line names
/// typeberry's printed hash and root (`0x2bf11dc5…5716`, `0xbafd5b0b…0029`).
fn assert_prints_typeberry_dev(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        typeberry_dev() + "\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("genesis header hash 0x2bf11dc5"), "{err}");
    assert!(err.contains("5716, state root 0xbafd5b0b"), "{err}");
    assert!(err.trim_end().ends_with("0029"), "{err}");
}

#[test]
fn dev_is_typeberrys_dev_spec() {
    let out = chain_spec(&["--chain", "dev"]);
    assert_prints_typeberry_dev(&out);
    // `dev` is the default.
    assert!(
        chain_spec(&[]).stdout == out.stdout,
        "the default is not dev"
    );
}

#[test]
fn files_are_loaded_checked_and_reprinted() {
    let out = chain_spec(&["--chain", TYPEBERRY_DEV]);
    assert_prints_typeberry_dev(&out);

    // Its own output loads again, with `0x` prefixes too.
    let prefixed =
        typeberry_dev()
            .replace(": \"", ": \"0x")
            .replacen("\"id\": \"0x", "\"id\": \"", 1);
    let again = temp_file("again.json", &prefixed);
    let out2 = chain_spec(&["--chain", again.to_str().unwrap()]);
    assert!(out2.status.success());
    assert!(
        out2.stdout == out.stdout,
        "0x-prefixed hex reads differently"
    );

    // Tiny's genesis is not a full chain's.
    let full = chain_spec(&["--chain", TYPEBERRY_DEV, "--params", "full"]);
    assert_eq!(full.status.code(), Some(2));
}

#[test]
fn bad_files_fail_with_a_message() {
    let dev = typeberry_dev();
    let c11 = "\"0b000000000000000000000000000000000000000000000000000000000000\": \"00000000\"";
    assert!(dev.contains(c11));
    let cases = [
        ("not-json.json", "{".to_string(), "not a JIP-4 chain spec"),
        (
            "short-header.json",
            dev.replacen("\"genesis_header\": \"00", "\"genesis_header\": \"", 1),
            "genesis_header does not decode",
        ),
        (
            "bad-timeslot.json",
            dev.replacen(c11, &c11.replace("00000000\"", "000000\""), 1),
            "genesis_state",
        ),
        (
            "bad-bootnode.json",
            dev.replacen("@127.0.0.1:12345", "@nowhere", 1),
            "bootnode",
        ),
    ];
    for (name, text, expected) in cases {
        let path = temp_file(name, &text);
        let out = chain_spec(&["--chain", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(out.stdout.is_empty(), "{name}");
    }
    let missing = Path::new("/nonexistent/spec.json");
    let out = chain_spec(&["--chain", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    assert_eq!(chain_spec(&["--params", "huge"]).status.code(), Some(2));
}
