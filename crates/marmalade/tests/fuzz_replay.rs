//! Replays the recorded fuzz-protocol sessions (`fuzz-proto/examples/0.7.2/{forks,no_forks}`)
//! against the `marmalade fuzz-target` binary running as a separate process, both sessions on
//! the same process one after the other (so a session must leave the target ready for the
//! next). State roots must match the recording byte for byte; `Error` answers by kind.

mod support {
    pub mod fuzz_target;
}

use marmalade_fuzz::{replay, replay_socket, Recording, ReplayReport};
use marmalade_types::ChainSpec;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::fuzz_target::TargetProcess;

/// How long one answer may take (block import of a tiny block is milliseconds).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// The recorded sessions under `$JAM_VECTORS` or `CARGO_MANIFEST_DIR/../../.jam-vectors`;
/// fails the test when missing.
fn examples_dir() -> PathBuf {
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

/// The handshake and `Initialize` of both recordings, on one process: the answered root must
/// be the recorded root of the given key/values (no block import involved).
#[test]
fn handshake_and_initialize() {
    let examples = examples_dir();
    let mut target = TargetProcess::start("init");
    for session in ["forks", "no_forks"] {
        let mut rec = Recording::load(examples.join(session)).unwrap();
        rec.exchanges.truncate(2);
        let stream = UnixStream::connect(target.socket()).unwrap();
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
        let report = replay(&stream, &rec, ChainSpec::TINY);
        drop(stream);
        assert!(report.is_success(), "{session}: {report}");
        target.assert_running();
    }
}

fn replay_session(socket: &Path, dir: &Path) -> ReplayReport {
    replay_socket(socket, dir, ChainSpec::TINY, Some(ANSWER_TIMEOUT))
        .unwrap_or_else(|e| panic!("replaying {}: {e}", dir.display()))
}

/// Both whole recordings, one after the other on the same process.
#[test]
fn replay_recorded_sessions() {
    let examples = examples_dir();
    let mut target = TargetProcess::start("replay");
    let mut failures = Vec::new();
    for session in ["forks", "no_forks"] {
        let started = Instant::now();
        let report = replay_session(target.socket(), &examples.join(session));
        eprintln!("{session}: {report} in {:.1?}", started.elapsed());
        if !report.is_success() {
            failures.push(format!("{session}: {report}"));
        }
        target.assert_running();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// In process, both recordings through a [`marmalade_chain::Chain`]: the incremental root it
/// answers for each block must equal the root computed from scratch over the stored
/// posterior state (applied from the block's change set). Separates store and trie bugs from
/// state-transition bugs when the replay fails.
#[test]
fn incremental_roots_equal_scratch_roots() {
    use marmalade_chain::{block_ref, Chain};
    use marmalade_fuzz::Message;

    let spec = ChainSpec::TINY;
    for session in ["forks", "no_forks"] {
        let rec = Recording::load(examples_dir().join(session)).unwrap();
        let mut chain = Chain::new(spec, marmalade_fuzz::MAX_ANCESTRY_TINY);
        let (mut imported, mut rejected) = (0, 0);
        for ex in &rec.exchanges {
            match Message::decode_with(&ex.request, &spec).unwrap() {
                Message::Initialize(init) => {
                    let kvs = init
                        .state
                        .into_iter()
                        .map(|kv| (kv.key, kv.value))
                        .collect();
                    chain.initialize(&init.header, kvs, None).unwrap();
                }
                Message::ImportBlock(block) => match chain.import(&block) {
                    Ok(root) => {
                        imported += 1;
                        let hash = block_ref(&block.header).hash;
                        let state = chain.state(&hash).unwrap().expect("stored");
                        let want = marmalade_state::state_root(&state, &spec);
                        assert_eq!(root, want, "{session} #{}", ex.index);
                    }
                    Err(_) => rejected += 1,
                },
                _ => {}
            }
        }
        assert!(imported > 0);
        eprintln!("{session}: {imported} imported, {rejected} rejected, roots consistent");
    }
}
