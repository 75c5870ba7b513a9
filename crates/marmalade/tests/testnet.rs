//! `marmalade testnet`: three dev validator processes reach height 3 and are all stopped when
//! the command exits; it refuses more validators than the dev chain has.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn marmalade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_marmalade"))
}

/// Whether a process with this pid exists (Linux: its `/proc` entry). A zombie would still
/// show, but the command waits for its children, so none of them should be one.
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A base port with the 9 ports the test uses (3 nodes × QUIC, RPC, Prometheus) free now,
/// chosen away from the defaults and from the ephemeral range's usual start.
fn free_base() -> u16 {
    let seed = (std::process::id() as u64)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
    for k in 0..200u64 {
        let base = 20000 + ((seed + k * 7919) % 12000) as u16;
        if (0..9).all(|i| TcpListener::bind((Ipv4Addr::LOCALHOST, base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free block of 9 ports found");
}

#[test]
fn three_nodes_reach_height_and_are_stopped() {
    let base = free_base();
    let mut child = marmalade()
        .args([
            "testnet",
            "--validators",
            "3",
            "--slot-ms",
            "300",
            "--until-height",
            "3",
            "--base-port",
            &base.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // Kill it if it overruns, rather than hang the test run.
    let deadline = Instant::now() + Duration::from_secs(25);
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "testnet did not finish in 25 s:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(status.success(), "{status}\n{stdout}\n{stderr}");

    // The pids it printed, one per node, on the ports asked for.
    let mut pids = Vec::new();
    for i in 0..3u16 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("node {i}: pid ")))
            .unwrap_or_else(|| panic!("no line for node {i}:\n{stdout}"));
        let pid: u32 = line
            .split_whitespace()
            .nth(3)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no pid in {line}"));
        assert!(
            line.contains(&format!("prometheus 127.0.0.1:{}", base + 6 + i)),
            "{line}"
        );
        pids.push(pid);
    }
    // Not a terminal: one summary line a second; the last shows every node at height >= 3.
    let last = stdout
        .lines()
        .rfind(|l| l.starts_with("t="))
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    let best = last
        .split_whitespace()
        .find_map(|w| w.strip_prefix("best=["))
        .and_then(|w| w.strip_suffix(']'))
        .unwrap_or_else(|| panic!("no best in {last}"));
    let heights: Vec<u64> = best
        .split(',')
        .map(|h| {
            h.parse()
                .unwrap_or_else(|_| panic!("height {h:?} in {last}"))
        })
        .collect();
    assert_eq!(heights.len(), 3, "{last}");
    assert!(heights.iter().all(|&h| h >= 3), "{last}");
    assert!(stdout.contains("all nodes stopped"), "{stdout}");

    for pid in pids {
        assert!(!alive(pid), "node process {pid} outlived the command");
    }
    // Their ports are free again.
    for i in 0..9 {
        assert!(
            TcpListener::bind((Ipv4Addr::LOCALHOST, base + i)).is_ok(),
            "port {} still bound",
            base + i
        );
    }
}

#[test]
fn more_validators_than_the_dev_chain_is_an_error() {
    let out = marmalade()
        .args(["testnet", "--validators", "7"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--validators 7"), "{stderr}");
}
