//! Six `marmalade run` processes on loopback, one dev validator each, at a shortened slot
//! time (issue 15): they run past the first full epoch and three more with all six on the
//! same best and finalized blocks at the end; node 5 is stopped (SIGTERM) for one whole
//! epoch, restarted on its database, catches up and authors again (blocks the others import).
//!
//! It also measures block propagation: for every block and every other running node, the
//! time from the author's "authored block" log line to the node's "imported block" line (one
//! machine, one clock), and the UDP octets all nodes sent (`marmalade_network_bytes_sent`)
//! per block. Run it in release (ring proofs in a debug build take far longer than a slot):
//!
//! `cargo test --release -p marmalade --test testnet_six -- --nocapture`

mod support {
    pub mod node;
}

use marmalade_chainspec::Bootnode;
use marmalade_node::{dev_keys, JAM_EPOCH_UNIX_SECS};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::node::{marmalade, strip_ansi};

/// Nodes: the dev chain's six validators.
const N: usize = 6;
/// The slot period. Every node proves its tickets at an epoch's start (seconds of ring
/// proofs, six nodes on a small machine): one second leaves room for them.
const SLOT_MS: u64 = 1000;
/// The tiny chain's epoch length $\mathsf{E}$, in slots.
const EPOCH: u64 = 12;
/// The node stopped for an epoch.
const RESTARTED: usize = 5;

/// A base port with the `3N` ports free now (QUIC, RPC, Prometheus of each node), away from
/// the range `tests/testnet.rs` draws from (20000..32000).
fn free_base() -> u16 {
    let seed = u64::from(std::process::id())
        ^ SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::from(d.subsec_nanos()))
            .unwrap_or(0);
    let span = 3 * N as u16;
    for k in 0..200u64 {
        let base = 33000 + ((seed + k * 7919) % 7000) as u16;
        if (0..span).all(|i| TcpListener::bind((Ipv4Addr::LOCALHOST, base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free block of {span} ports found");
}

/// Milliseconds since the JAM Common Era, as the nodes' clocks count them.
fn era_ms() -> u64 {
    let era = UNIX_EPOCH + Duration::from_secs(JAM_EPOCH_UNIX_SECS);
    SystemTime::now()
        .duration_since(era)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn slot_now() -> u64 {
    era_ms() / SLOT_MS
}

/// Sleeps until `fraction` of the way into `slot`.
fn sleep_until_slot(slot: u64, fraction: f64) {
    let at = slot * SLOT_MS + (fraction * SLOT_MS as f64) as u64;
    let now = era_ms();
    if at > now {
        std::thread::sleep(Duration::from_millis(at - now));
    }
}

struct Net {
    base: u16,
    dir: PathBuf,
}

impl Net {
    fn quic(&self, i: usize) -> u16 {
        self.base + i as u16
    }
    fn rpc(&self, i: usize) -> u16 {
        self.base + (N + i) as u16
    }
    fn prometheus(&self, i: usize) -> u16 {
        self.base + (2 * N + i) as u16
    }

    /// Starts node `i` on its database, its log (stderr) in `node-i.<run>.log`.
    fn start(&self, i: usize, run: usize) -> (Child, PathBuf) {
        let log = self.dir.join(format!("node-{i}.{run}.log"));
        let mut cmd = marmalade();
        cmd.args(["run", "--chain", "dev", "--dev-validator", &i.to_string()])
            .arg("--base-path")
            .arg(self.dir.join(format!("node-{i}")))
            .args(["--slot-ms", &SLOT_MS.to_string()])
            .args(["--rpc-port", &self.rpc(i).to_string()])
            .args(["--prometheus-port", &self.prometheus(i).to_string()])
            .arg("--listen")
            .arg(SocketAddr::from((Ipv4Addr::LOCALHOST, self.quic(i))).to_string());
        for j in (0..N).filter(|&j| j != i) {
            let boot = Bootnode {
                ed25519: dev_keys(j as u32).ed25519_public(),
                address: SocketAddr::from((Ipv4Addr::LOCALHOST, self.quic(j))),
            };
            cmd.arg("--bootnode").arg(boot.to_string());
        }
        let child = cmd
            .env("RUST_LOG", "marmalade_node=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("starts");
        (child, log)
    }

    /// The node's metrics (`GET /metrics`), `name value` pairs; empty if it does not answer.
    fn metrics(&self, i: usize) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.prometheus(i)));
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else {
            return out;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n");
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        for l in text.lines().filter(|l| l.starts_with("marmalade_")) {
            if let Some((k, v)) = l.rsplit_once(' ') {
                if let Ok(v) = v.parse() {
                    out.insert(k.to_owned(), v);
                }
            }
        }
        out
    }

    /// One JSON-RPC call (JIP-2, over HTTP) without parameters: its `result`, or `null`.
    fn call(&self, i: usize, method: &str) -> serde_json::Value {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.rpc(i)));
        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[]}}"#);
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else {
            return serde_json::Value::Null;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = write!(
            s,
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        let json = match (answer.find('{'), answer.rfind('}')) {
            (Some(a), Some(b)) if a < b => &answer[a..=b],
            _ => return serde_json::Value::Null,
        };
        serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("result").cloned())
            .unwrap_or(serde_json::Value::Null)
    }

    fn metric(&self, i: usize, name: &str) -> Option<f64> {
        self.metrics(i).get(name).copied()
    }
}

/// SIGTERM (`run` stops cleanly on it, authoring no further block).
fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// SIGTERM and wait, killing it after a grace period.
fn terminate(child: &mut Child) {
    sigterm(child);
    wait_or_kill(child);
}

/// Waits for it to exit, killing it after a grace period.
fn wait_or_kill(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Kills every node still running when the test ends, however it ends.
struct Guard(Vec<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A log line's UTC timestamp (`2026-11-30T00:21:09.156367Z`) in microseconds since 1970.
fn timestamp_us(line: &str) -> Option<i64> {
    let t = line.split_whitespace().next()?;
    let (date, time) = t.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, dd) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut h = hms.split(':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) = (h.next()?.ok()?, h.next()?.ok()?, h.next()?.ok()?);
    let micros: i64 = format!("{frac:0<6}").get(..6)?.parse().ok()?;
    // Days from civil (H. Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1_000_000) + micros)
}

/// A `key=value` field of a log line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
}

/// One block event of a log: when, the block's hash (short form) and slot.
#[derive(Debug, Clone)]
struct Event {
    at_us: i64,
    hash: String,
    slot: u64,
}

/// The events of `what` ("authored block" or "imported block") in a log.
fn events(log: &str, what: &str) -> Vec<Event> {
    log.lines()
        .filter(|l| l.contains(what))
        .filter_map(|l| {
            Some(Event {
                at_us: timestamp_us(l)?,
                hash: field(l, "hash")?.to_owned(),
                slot: field(l, "slot")?.parse().ok()?,
            })
        })
        .collect()
}

/// The `best 0x..; finalized 0x..` of `run`'s exit line.
fn exit_hashes(log: &str) -> Option<(String, String)> {
    let l = log.lines().rfind(|l| l.starts_with("authored "))?;
    let best = l.split("best 0x").nth(1)?.split(';').next()?.to_owned();
    let fin = l.split("finalized 0x").nth(1)?.trim().to_owned();
    Some((best, fin))
}

fn read(p: &Path) -> String {
    strip_ansi(&std::fs::read_to_string(p).unwrap_or_default())
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "needs release: cargo test --release -p marmalade --test testnet_six"
)]
fn six_nodes_agree_and_a_restarted_node_catches_up_and_authors() {
    let started = Instant::now();
    let tmp = tempfile_dir();
    let net = Net {
        base: free_base(),
        dir: tmp.clone(),
    };
    let mut logs: Vec<Vec<PathBuf>> = vec![Vec::new(); N];
    let mut guard = Guard(Vec::new());
    for (i, log) in logs.iter_mut().enumerate() {
        let (c, l) = net.start(i, 0);
        guard.0.push(c);
        log.push(l);
    }
    let start_slot = slot_now();
    // E0: the first full epoch at least three slots away (the nodes take a moment to
    // start); node 5 is down for all of E1, back from E2's start.
    let e0 = (start_slot + 3) / EPOCH + 1;
    let (e1, e2) = (e0 + 1, e0 + 2);
    // The end: into E4's first slot, so E1..E3 (three epochs past E0) have all gone by.
    let end_slot = (e0 + 4) * EPOCH;

    // Stop node 5 just before E1 begins (its last block, if any, is out by then).
    sleep_until_slot(e1 * EPOCH - 1, 0.7);
    let bytes_first_run = net
        .metric(RESTARTED, "marmalade_network_bytes_sent_total")
        .unwrap_or(0.0);
    let heights_at_stop: Vec<Option<f64>> = (0..N)
        .map(|i| net.metric(i, "marmalade_best_block_height"))
        .collect();
    terminate(&mut guard.0[RESTARTED]);
    let stopped_us = now_us();
    // Restart it just after E1 ends: it missed every slot of E1.
    sleep_until_slot(e2 * EPOCH, 0.05);
    let (c, l) = net.start(RESTARTED, 1);
    let restarted_us = now_us();
    guard.0[RESTARTED] = c;
    logs[RESTARTED].push(l);

    // At the end, in the middle of a slot (its block has propagated), every node's best and
    // finalized block over JIP-2, until all six agree (a slot's block still in flight, or a
    // fork not yet resolved, gets a few slots' more tries).
    sleep_until_slot(end_slot, 0.5);
    let final_metrics: Vec<BTreeMap<String, f64>> = (0..N).map(|i| net.metrics(i)).collect();
    let metrics_slot = slot_now();
    let mut heads = Vec::new();
    for attempt in 0..6 {
        heads = (0..N)
            .map(|i| (net.call(i, "bestBlock"), net.call(i, "finalizedBlock")))
            .collect::<Vec<_>>();
        let agree = heads.windows(2).all(|w| w[0] == w[1]);
        if agree || attempt == 5 {
            break;
        }
        sleep_until_slot(slot_now() + 1, 0.5);
    }
    for c in &guard.0 {
        sigterm(c);
    }
    for c in &mut guard.0 {
        wait_or_kill(c);
    }
    let wall = started.elapsed();

    let texts: Vec<Vec<String>> = logs
        .iter()
        .map(|ls| ls.iter().map(|p| read(p)).collect())
        .collect();
    let all_logs = |i: usize| texts[i].join("\n");
    let dump = || {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| format!("===== node {i}\n{}", t.join("\n----- restart\n")))
            .collect::<Vec<_>>()
            .join("\n")
    };

    // Every run of every node stopped cleanly on SIGTERM (its exit line).
    for (i, runs) in texts.iter().enumerate() {
        for t in runs {
            assert!(
                exit_hashes(t).is_some(),
                "node {i} did not stop cleanly:\n{}",
                dump()
            );
        }
    }

    // All six on one best block and one finalized block.
    let slot_of_desc = |v: &serde_json::Value| v[1].as_u64();
    assert!(
        heads.windows(2).all(|w| w[0] == w[1]),
        "the nodes' best and finalized blocks differ: {heads:?}\n{}",
        dump()
    );
    let (best, finalized) = &heads[0];
    let best_slot = slot_of_desc(best).unwrap_or_else(|| panic!("no best block: {heads:?}"));
    let finalized_slot =
        slot_of_desc(finalized).unwrap_or_else(|| panic!("no finalized block: {heads:?}"));
    // Recent, and finality followed: the finalized block is of E3 or later.
    assert!(best_slot + 3 >= end_slot, "best at slot {best_slot}");
    assert!(
        finalized_slot >= (e0 + 3) * EPOCH,
        "finalized at slot {finalized_slot}"
    );

    // Authored and imported blocks by node.
    let authored: Vec<Vec<Event>> = (0..N)
        .map(|i| events(&all_logs(i), "authored block"))
        .collect();
    let imported: Vec<Vec<Event>> = (0..N)
        .map(|i| events(&all_logs(i), "imported block"))
        .collect();
    let slot_of = |e: &Event| e.slot;

    // Blocks were made in every epoch from E0 to E3.
    for e in e0..e0 + 4 {
        let n = authored
            .iter()
            .flatten()
            .filter(|a| slot_of(a) / EPOCH == e)
            .count();
        assert!(n >= 3, "only {n} blocks in epoch {e}:\n{}", dump());
    }

    // Node 5 authored nothing in E1 (it was down) ...
    let (down_lo, down_hi) = (e1 * EPOCH, e2 * EPOCH);
    assert!(
        authored[RESTARTED]
            .iter()
            .all(|a| !(down_lo..down_hi).contains(&a.slot)),
        "{}",
        dump()
    );
    // ... and caught up on restart: it imported blocks of E1 from its peers.
    let restart_log = &texts[RESTARTED][1];
    let caught_up = events(restart_log, "imported block")
        .iter()
        .filter(|b| (down_lo..down_hi).contains(&b.slot))
        .count();
    let e1_blocks = authored
        .iter()
        .flatten()
        .filter(|a| (down_lo..down_hi).contains(&a.slot))
        .count();
    assert!(
        caught_up > 0 && caught_up >= e1_blocks.saturating_sub(1),
        "node {RESTARTED} imported {caught_up} of E1's {e1_blocks} blocks after its restart:\n{}",
        dump()
    );
    // It authored again after the restart, blocks every other node imported (but for one
    // after the nodes agreed, which may have been in flight when they stopped).
    let again: Vec<Event> = events(restart_log, "authored block")
        .into_iter()
        .filter(|a| a.slot <= best_slot)
        .collect();
    assert!(
        !again.is_empty(),
        "node {RESTARTED} authored nothing after its restart:\n{}",
        dump()
    );
    for a in &again {
        for (j, imp) in imported.iter().enumerate().filter(|(j, _)| *j != RESTARTED) {
            assert!(
                imp.iter().any(|b| b.hash == a.hash),
                "node {j} did not import node {RESTARTED}'s block {} (slot {}):\n{}",
                a.hash,
                a.slot,
                dump()
            );
        }
    }

    // Propagation: author's log line to each other node's import line, for the nodes that
    // were running when the block was authored (node 5's catch-up is not propagation).
    let mut latencies = Vec::new();
    let mut missing = 0;
    let by_hash: BTreeMap<&str, (usize, &Event)> = authored
        .iter()
        .enumerate()
        .flat_map(|(i, v)| v.iter().map(move |e| (e.hash.as_str(), (i, e))))
        .collect();
    for (hash, (author, a)) in by_hash.iter().filter(|(_, (_, a))| a.slot <= best_slot) {
        for (j, imp) in imported.iter().enumerate().filter(|(j, _)| j != author) {
            if j == RESTARTED
                && a.at_us >= stopped_us - 200_000
                && a.at_us <= restarted_us + 2_000_000
            {
                continue;
            }
            match imp.iter().find(|b| b.hash == *hash) {
                Some(b) => latencies.push(b.at_us - a.at_us),
                None => missing += 1,
            }
        }
    }
    latencies.sort_unstable();
    assert!(!latencies.is_empty());
    let (p50, p90, max) = (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        latencies[latencies.len() - 1],
    );
    // Bytes: every node's sent-octets counter at the end, plus node 5's before its stop.
    let per_node: Vec<f64> = final_metrics
        .iter()
        .map(|m| {
            m.get("marmalade_network_bytes_sent_total")
                .copied()
                .unwrap_or(0.0)
        })
        .collect();
    eprintln!("bytes sent per node at the end: {per_node:?}; node {RESTARTED} before its stop: {bytes_first_run}");
    let bytes: f64 = final_metrics
        .iter()
        .map(|m| {
            m.get("marmalade_network_bytes_sent_total")
                .copied()
                .unwrap_or(0.0)
        })
        .sum::<f64>()
        + bytes_first_run;
    // The blocks made by the time of the counters' last reading.
    let blocks = by_hash
        .values()
        .filter(|(_, a)| a.slot <= metrics_slot)
        .count();
    let height = final_metrics[0]
        .get("marmalade_best_block_height")
        .copied()
        .unwrap_or(0.0);
    println!(
        "six-node testnet, {SLOT_MS} ms slots: wall {:.1} s, slots {start_slot}..{}, height {height}, \
         {} blocks authored, heights at node {RESTARTED}'s stop {heights_at_stop:?}; \
         all six on best slot {best_slot}, finalized slot {finalized_slot}",
        wall.as_secs_f64(),
        slot_now(),
        by_hash.len()
    );
    println!(
        "propagation (authored -> imported, {} block×node pairs, {missing} not imported): \
         p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        latencies.len(),
        p50 as f64 / 1e3,
        p90 as f64 / 1e3,
        max as f64 / 1e3
    );
    println!(
        "bytes sent (UDP, all nodes): {bytes:.0} total, {:.0} per block",
        bytes / blocks as f64
    );
    println!(
        "node {RESTARTED}: caught up {caught_up} of E1's {e1_blocks} blocks, authored {} after restart",
        again.len()
    );
    assert!(bytes > 0.0, "no node reported bytes sent");
    // A block and its announcements are a few kB per node; a restarted peer once made two
    // nodes redial it in a loop (full handshakes, ~2 MB per block), which this catches.
    assert!(
        bytes / (blocks as f64) < 400_000.0,
        "{bytes:.0} octets sent for {blocks} blocks"
    );
    // Blocks reach the others well within a slot.
    assert!(
        p50 < (SLOT_MS as i64) * 1000,
        "p50 {p50} µs not within a slot"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// A fresh folder for the nodes' databases and logs (kept if the test fails, for its logs).
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "marmalade-testnet-six-{}-{}",
        std::process::id(),
        now_us()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
