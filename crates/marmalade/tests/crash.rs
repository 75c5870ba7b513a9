//! Crash safety of `marmalade run` on its database (issue acceptance: kill -9 during
//! authoring at 20 random moments). After each kill the database opens; its finalized block
//! never goes back and stays on the best chain; the node restarts on it (re-importing the
//! blocks above the finalized one and checking their recorded roots, else it exits with an
//! error). At the end every stored block's recorded root is its successor's prior-state root
//! ($\mathbf{H}_R$, GP (5.8)), and the whole best chain, exported, re-imports from the
//! genesis with the same roots.

mod support {
    pub mod node;
}

use marmalade_store::ChainDb;
use marmalade_types::ChainSpec;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::node::marmalade;

fn run_args(base: &Path) -> Vec<String> {
    [
        "run",
        "--chain",
        "dev",
        "--dev-validators",
        "all",
        "--slot-ms",
        "100",
        "--finality-depth",
        "2",
        "--rpc-port",
        "0",
        "--base-path",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([base.display().to_string()])
    .collect()
}

/// xorshift64: the kill moments, reproducible.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn kill_nine_at_twenty_moments_loses_no_finalized_block() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("node");
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut last_final: Option<([u8; 32], u64)> = None;
    for round in 0..20 {
        let mut child = marmalade()
            .args(run_args(&base))
            .env("RUST_LOG", "marmalade_node=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        // Authoring has begun once a block is authored after the restart (start-up makes the
        // ring set-up, resumes, and makes the epoch's ring-proof tickets first: seconds on a
        // loaded machine); then the kill comes at a random moment.
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("authored block") && tx.send(()).is_err() {
                    // Keep draining so the node never blocks on a full pipe.
                    continue;
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = child.kill();
            panic!("round {round}: no block authored within 120 s");
        }
        let wait = next(&mut rng) % 1500;
        std::thread::sleep(Duration::from_millis(wait));
        if let Ok(Some(status)) = child.try_wait() {
            panic!("round {round}: the node exited early: {status}");
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");

        let db = ChainDb::open(&base, ChainSpec::TINY).expect("the database opens");
        let fin = db.finalized().expect("read").expect("a finalized block");
        let fin_height = db.header(&fin).expect("read").expect("stored").height;
        let best = db.best().expect("read").expect("a best block");
        let best_height = db.header(&best).expect("read").expect("stored").height;
        assert!(best_height >= fin_height, "round {round}");
        let best_chain: Vec<_> = db
            .ancestry(&best, usize::MAX)
            .expect("read")
            .into_iter()
            .map(|a| a.1)
            .collect();
        assert!(
            best_chain.contains(&fin),
            "round {round}: final block off the best chain"
        );
        if let Some((prev, prev_height)) = last_final {
            assert!(
                fin_height >= prev_height,
                "round {round}: finality went back"
            );
            assert!(
                best_chain.contains(&prev),
                "round {round}: an earlier finalized block is lost"
            );
        }
        eprintln!("round {round}: killed {wait} ms after its first block; best height {best_height}, finalized {fin_height}");
        last_final = Some((fin, fin_height));
    }
    let (_, fin_height) = last_final.expect("rounds ran");
    assert!(
        fin_height >= 20,
        "the chain hardly grew: finalized height {fin_height}"
    );

    // A clean run on top authors more: the resume checks held.
    let out = marmalade()
        .args(run_args(&base))
        .args(["--blocks", "3"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Recorded roots link up: each block's H_R is its parent's recorded root.
    let db = ChainDb::open(&base, ChainSpec::TINY).expect("the database opens");
    let best = db.best().expect("read").expect("a best block");
    let chain = db.ancestry(&best, usize::MAX).expect("read");
    assert_eq!(
        db.header(&chain[0].1)
            .expect("read")
            .expect("stored")
            .height,
        0,
        "the best chain reaches the genesis"
    );
    for pair in chain.windows(2) {
        let parent = db.header(&pair[0].1).expect("read").expect("stored");
        let block = db.block(&pair[1].1).expect("read").expect("stored");
        assert_eq!(block.header.parent_state_root, parent.state_root);
    }
    drop(db);

    // Exported, the best chain re-imports from the genesis with the recorded roots.
    support::node::export_and_reimport(&base, &dir.path().join("export"), chain.len() - 1);
}
