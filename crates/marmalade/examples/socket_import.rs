//! Imports the trace sets through a fuzz target's socket, timing each block round trip: the
//! side-by-side measurement of block import through the fuzz protocol (two targets, e.g. this
//! build's `marmalade fuzz-target` and another build's, each measured in the same run).
//!
//!     cargo run --release --example socket_import -- SOCKET [SOCKET...]
//!
//! For each trace set (the six under the vectors' `traces/`): `PeerInfo`, `Initialize` with
//! the genesis, then every step's block as `ImportBlock`; per target and set, the mean, p50,
//! p90 and max per block and whether every answered root equals the trace's. The targets
//! take turns set by set, several rounds, so machine noise falls on both alike.

use marmalade_conformance::trace::{Genesis, TraceStep};
use marmalade_fuzz::{read_frame, write_message, Initialize, Message, PeerInfo, MAX_FRAME_LEN};
use marmalade_types::{decode_all, ChainSpec, Decode};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use marmalade_conformance::trace::TRACE_SETS as SETS;
const ROUNDS: usize = 3;

fn load<T: Decode>(path: &Path) -> T {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode_all(&bytes, ChainSpec::TINY.seq_lens())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ask(s: &mut UnixStream, m: &Message) -> Message {
    write_message(s, m, MAX_FRAME_LEN).expect("send");
    let bytes = read_frame(s, MAX_FRAME_LEN).expect("answer");
    Message::decode_with(&bytes, &ChainSpec::TINY).expect("decodable answer")
}

/// One set through one target: the per-block round-trip times and whether every root matched.
fn run_set(socket: &Path, genesis: &Genesis, steps: &[TraceStep]) -> (Vec<Duration>, bool) {
    let mut s = UnixStream::connect(socket).expect("connect");
    ask(&mut s, &Message::PeerInfo(PeerInfo::marmalade()));
    let init = Initialize {
        header: genesis.header.clone(),
        state: genesis
            .state
            .keyvals
            .iter()
            .map(|kv| marmalade_fuzz::KeyValue {
                key: kv.key,
                value: kv.value.clone(),
            })
            .collect(),
        ancestry: Vec::new(),
    };
    ask(&mut s, &Message::Initialize(Box::new(init)));
    let mut times = Vec::with_capacity(steps.len());
    let mut ok = true;
    for step in steps {
        let m = Message::ImportBlock(Box::new(step.block.clone()));
        let start = Instant::now();
        let answer = ask(&mut s, &m);
        times.push(start.elapsed());
        match answer {
            Message::StateRoot(r) => ok &= r == step.post_state.state_root,
            _ => ok &= step.post_state.state_root == step.pre_state.state_root,
        }
    }
    (times, ok)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let sockets: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    assert!(
        !sockets.is_empty(),
        "usage: socket_import SOCKET [SOCKET...]"
    );
    let root = marmalade_conformance::vectors_root().join("jam-test-vectors/traces");
    for set in SETS {
        let dir = root.join(set);
        let genesis: Genesis = load(&dir.join("genesis.bin"));
        let steps: Vec<TraceStep> = (1..=100)
            .map(|i| dir.join(format!("{i:08}.bin")))
            .filter(|p| p.is_file())
            .map(|p| load(&p))
            .collect();
        let mut all: Vec<Vec<Duration>> = vec![Vec::new(); sockets.len()];
        // The slowest block of each target: (time, round, block index).
        let mut slowest = vec![(Duration::ZERO, 0, 0); sockets.len()];
        let mut good = vec![true; sockets.len()];
        for round in 0..ROUNDS {
            for (i, socket) in sockets.iter().enumerate() {
                let (t, ok) = run_set(socket, &genesis, &steps);
                if std::env::var_os("SLOW").is_some() {
                    let mean = t.iter().sum::<Duration>() / t.len() as u32;
                    let slow: Vec<String> = t
                        .iter()
                        .enumerate()
                        .filter(|(_, d)| **d > mean * 2)
                        .map(|(b, d)| format!("{}:{:.1}", b + 1, ms(*d)))
                        .collect();
                    eprintln!(
                        "{set} {} round {round}: {}",
                        socket.display(),
                        slow.join(" ")
                    );
                }
                for (b, d) in t.iter().enumerate() {
                    if *d > slowest[i].0 {
                        slowest[i] = (*d, round, b + 1);
                    }
                }
                all[i].extend(t);
                good[i] &= ok;
            }
        }
        for (i, socket) in sockets.iter().enumerate() {
            let t = &mut all[i];
            t.sort();
            let mean = ms(t.iter().sum::<Duration>()) / t.len() as f64;
            let pct = |p: usize| ms(t[(p * t.len()).div_ceil(100).clamp(1, t.len()) - 1]);
            println!(
                "{set:16} {:24} mean {mean:.3} p50 {:.3} p90 {:.3} max {:.3} ms (max/mean {:.1}, \
                 round {} block {}){}",
                socket.display(),
                pct(50),
                pct(90),
                ms(*t.last().unwrap()),
                ms(*t.last().unwrap()) / mean,
                slowest[i].1 + 1,
                slowest[i].2,
                if good[i] { "" } else { "  ROOT MISMATCH" }
            );
        }
    }
}
