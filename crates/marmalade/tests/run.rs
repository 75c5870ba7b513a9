//! `marmalade run` on the dev chain with the wall clock: it authors the blocks asked for, one
//! status line each, and refuses to start without keys.

mod support {
    pub mod node;
}

use std::process::Command;
use support::node::{marmalade, strip_ansi};

#[test]
fn run_authors_the_blocks_asked_for() {
    let out = marmalade()
        .args([
            "run",
            "--chain",
            "dev",
            "--dev-validators",
            "all",
            "--slot-ms",
            "100",
            "--blocks",
            "4",
            "--rpc-port",
            "0",
            "--temp",
        ])
        .env("RUST_LOG", "marmalade_node=info")
        .output()
        .expect("runs");
    let stderr = strip_ansi(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("authored block"))
        .collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    for l in &lines {
        for field in ["slot=", "hash=", "author=", "import_ms="] {
            assert!(l.contains(field), "{l}");
        }
    }
    assert!(stderr.contains("authored 4 blocks"), "{stderr}");
    assert!(stderr.contains("validators=[0, 1, 2, 3, 4, 5]"), "{stderr}");
    assert!(stderr.contains("rpc listening"), "{stderr}");
}

#[test]
fn run_needs_keys() {
    for args in [
        &["run"][..],
        &["run", "--dev-validators", "some"],
        &["run", "--slot-ms", "0", "--dev-validator", "0"],
    ] {
        let out = marmalade().args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error:"),
            "{args:?}"
        );
    }
}

/// Ctrl-C (SIGINT) stops the node cleanly once it has announced its start: exit code 0 and
/// the closing summary, without waiting for more slots (6-second slots here).
#[test]
fn ctrl_c_stops_cleanly() {
    use std::io::{BufRead, BufReader, Read};
    let mut child = marmalade()
        .args(["run", "--dev-validator", "0", "--no-rpc", "--temp"])
        .env("RUST_LOG", "marmalade_node=info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut seen = String::new();
    while !seen.contains("starting") {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("reads") == 0 {
            panic!("exited before starting: {seen}");
        }
        seen.push_str(&line);
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let start = std::time::Instant::now();
    stderr.read_to_string(&mut seen).expect("reads");
    let status = child.wait().expect("exits");
    let seen = strip_ansi(&seen);
    assert!(status.success(), "{seen}");
    assert!(seen.contains("stopping"), "{seen}");
    assert!(seen.contains("authored "), "{seen}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "stopped promptly"
    );
}

/// Issue acceptance: the dev chain's six keys in one process author four epochs (epochs 1-3
/// sealed by tickets) into a database; the best chain, exported from it, re-imports through
/// `marmalade import` from the genesis with the roots the node recorded.
#[test]
fn four_epochs_with_tickets_reimport_from_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("node");
    let out = marmalade()
        .args([
            "run",
            "--dev-validators",
            "all",
            "--virtual-slots",
            "--blocks",
            "48",
            "--no-rpc",
            "--base-path",
        ])
        .arg(&base)
        .env("RUST_LOG", "marmalade_node=info")
        .output()
        .expect("runs");
    let stderr = strip_ansi(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    // Per epoch (tiny: 12 slots), the seal kinds of its blocks.
    let mut seals: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    for l in stderr.lines().filter(|l| l.contains("authored block")) {
        let field = |name: &str| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .map(str::to_owned)
                .expect("field")
        };
        let slot: u32 = field("slot=").parse().expect("a slot");
        seals.entry(slot / 12).or_default().push(field("seal="));
    }
    assert_eq!(seals.values().map(Vec::len).sum::<usize>(), 48, "{stderr}");
    assert!(seals.len() >= 4, "{seals:?}");
    let ticket_epochs = seals
        .values()
        .filter(|s| s.iter().all(|k| k == "Ticket"))
        .count();
    assert!(ticket_epochs >= 3, "{seals:?}");

    support::node::export_and_reimport(&base, &dir.path().join("export"), 48);
}
