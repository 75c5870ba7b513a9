//! Two `marmalade run` processes on the dev chain, three dev validators each, on loopback:
//! the second knows the first only as a `--bootnode`. Each imports blocks the other
//! authored (UP 0 announcement, CE 128 request) and logs them as "imported block".

mod support {
    pub mod node;
}

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Stdio};
use std::time::Duration;
use support::node::{marmalade, strip_ansi};

/// A UDP port free now on loopback.
fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

/// The `hash=` fields of the log lines carrying `what`.
fn hashes(log: &str, what: &str) -> BTreeSet<String> {
    log.lines()
        .filter(|l| l.contains(what))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|f| f.strip_prefix("hash=").map(str::to_owned))
        })
        .collect()
}

fn node(validators: [&str; 3], blocks: u32, listen: u16, bootnode: Option<String>) -> Child {
    let mut cmd = marmalade();
    cmd.args(["run", "--chain", "dev", "--slot-ms", "1000", "--blocks"])
        .arg(blocks.to_string())
        .args(["--no-rpc", "--temp", "--listen"])
        .arg(format!("127.0.0.1:{listen}"));
    for v in validators {
        cmd.args(["--dev-validator", v]);
    }
    if let Some(b) = bootnode {
        cmd.arg("--bootnode").arg(b);
    }
    cmd.env("RUST_LOG", "marmalade_node=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts")
}

#[test]
fn two_processes_exchange_blocks() {
    let (pa, pb) = (free_port(), free_port());
    // Dev validator 0's JAMNP-S name, N of its Ed25519 key (JIP-5 `trivial_seed(0)`).
    let a_name = "eecgwpgwq3noky4ijm4jmvjtmuzv44qvigciusxakq5epnrfj2utb";
    // A stops after 3 blocks, B after 8: which keys seal the first slots depends on the
    // wall clock, and B, authoring longer, is there when A's blocks come even if B's keys
    // sealed the first three slots (1 in 2^8 that B's keys seal all of its run's first slots).
    let mut a = node(["0", "1", "2"], 3, pa, None);
    // B dials A once A listens: a QUIC Initial sent to a port not yet bound is lost, and its
    // retransmission comes seconds later, after these short runs have authored their blocks.
    let a_log = {
        let stderr = a.stderr.take().expect("piped");
        let (listening, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut log = String::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("network listening") {
                    let _ = listening.send(());
                }
                log.push_str(&line);
                log.push('\n');
            }
            log
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("a listens within 60 s");
        reader
    };
    let b = node(
        ["3", "4", "5"],
        8,
        pb,
        Some(format!("{a_name}@127.0.0.1:{pa}")),
    );
    let a_status = a.wait().expect("a runs");
    let b = b.wait_with_output().expect("b runs");
    let la = strip_ansi(&a_log.join().expect("a's log"));
    let lb = strip_ansi(&String::from_utf8_lossy(&b.stderr));
    assert!(a_status.success(), "{la}");
    assert!(b.status.success(), "{lb}");
    assert!(la.contains(&format!("name={a_name}")), "{la}");
    let (auth_a, auth_b) = (hashes(&la, "authored block"), hashes(&lb, "authored block"));
    let (imp_a, imp_b) = (hashes(&la, "imported block"), hashes(&lb, "imported block"));
    assert_eq!((auth_a.len(), auth_b.len()), (3, 8), "{la}\n{lb}");
    assert!(
        imp_a.is_subset(&auth_b),
        "a imported what b did not author:\n{la}\n{lb}"
    );
    assert!(
        imp_b.is_subset(&auth_a),
        "b imported what a did not author:\n{la}\n{lb}"
    );
    assert!(
        imp_a.len() + imp_b.len() >= 2 && !imp_b.is_empty(),
        "too few blocks exchanged:\n{la}\n{lb}"
    );
}
