//! The driver against in-process protocol-v1 targets over Unix sockets: a correct one (our
//! chain) agrees at every step; a faulty one (our chain, answering a wrong root from some
//! import on) is caught at that step, with a reproducer that decodes as a trace step.

use marmalade_chain::Chain;
use marmalade_codec::decode_all;
use marmalade_conformance::trace::TraceStep;
use marmalade_fuzz::{serve_session, Ancestry, KeyValue, KeyValues, Target};
use marmalade_fuzzer::{Config, Fuzzer};
use marmalade_types::{Block, ChainSpec, Header, HeaderHash, StateRoot};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::thread::JoinHandle;

/// Our chain as a target; from the `lie_from`-th successful import on, the root is wrong.
struct ChainTarget {
    chain: Chain,
    imported: u64,
    lie_from: Option<u64>,
}

impl Target for ChainTarget {
    fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        _ancestry: Ancestry,
    ) -> Result<StateRoot, String> {
        let kvs = state.into_iter().map(|kv| (kv.key, kv.value)).collect();
        self.chain
            .initialize(&header, kvs, None)
            .map_err(|e| e.to_string())
    }

    fn import_block(&mut self, block: Block) -> Result<StateRoot, String> {
        let mut root = self.chain.import(&block).map_err(|e| e.to_string())?;
        self.imported += 1;
        if self.lie_from.is_some_and(|n| self.imported >= n) {
            root[0] ^= 1;
        }
        Ok(root)
    }

    fn get_state(&mut self, hash: HeaderHash) -> Result<KeyValues, String> {
        Ok(self
            .chain
            .get_state(&hash)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(key, value)| KeyValue { key, value })
            .collect())
    }

    fn reset(&mut self) {}
}

fn serve(path: &Path, lie_from: Option<u64>) -> JoinHandle<()> {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let spec = ChainSpec::TINY;
        let mut t = ChainTarget {
            chain: Chain::new(spec, spec.max_lookup_anchor_age as usize),
            imported: 0,
            lie_from,
        };
        let _ = serve_session(&stream, &mut t, spec);
    })
}

#[test]
fn two_correct_targets_agree_and_a_faulty_one_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.sock");
    let also_good = dir.path().join("also-good.sock");
    let a = serve(&good, None);
    let b = serve(&also_good, None);
    let config = Config {
        seed: 11,
        steps: 30,
        mutate_share: 0.5,
        generator: no_tickets(),
        ..Config::default()
    };
    let mut fuzzer = Fuzzer::dev(config.clone()).unwrap();
    let mut targets = fuzzer.connect(&[good, also_good]).unwrap();
    let report = fuzzer.run(&mut targets, |_| {}).unwrap();
    assert!(report.mismatch.is_none(), "{:?}", report.mismatch);
    assert_eq!(report.sent, 30);
    assert!(report.invalid > 0, "no mutation was sent");
    assert_eq!(report.invalid, report.mutations.values().sum::<u64>());
    drop(targets);
    a.join().unwrap();
    b.join().unwrap();

    let bad = dir.path().join("bad.sock");
    let out = dir.path().join("out");
    let c = serve(&bad, Some(4));
    let mut fuzzer = Fuzzer::dev(Config {
        out_dir: Some(out.clone()),
        ..config
    })
    .unwrap();
    let mut targets = fuzzer.connect(&[bad]).unwrap();
    let report = fuzzer.run(&mut targets, |_| {}).unwrap();
    let m = report.mismatch.expect("the wrong root is caught");
    assert!(m.expected.is_ok());
    assert_eq!(report.valid, 3, "the first three imports agreed");
    // Our target lies about the root only: the states agree.
    assert!(m.diff.is_empty(), "{:?}", m.diff);
    let repro = m.reproducer.expect("a reproducer was written");
    assert!(repro.starts_with(out.join("traces")));
    let bytes = std::fs::read(repro.join("00000001.bin")).unwrap();
    let step: TraceStep = decode_all(&bytes, ChainSpec::TINY.seq_lens()).unwrap();
    assert_eq!(
        step.pre_state.state_root,
        step.block.header.parent_state_root
    );
    assert_ne!(step.post_state, step.pre_state);
    assert!(repro.join("target-post.bin").is_file());
    drop(targets);
    c.join().unwrap();
}

/// Skipped kinds are never sent: with every kind but `seal` skipped and every block
/// mutated, each mutation sent is a `seal` one.
#[test]
fn skipped_mutation_kinds_are_never_sent() {
    let seal = marmalade_fuzzer::MutationKind::Seal;
    let report = session_with_one_target(Config {
        seed: 3,
        steps: 12,
        mutate_share: 1.0,
        skip_mutations: marmalade_fuzzer::MutationKind::all()
            .into_iter()
            .filter(|k| *k != seal)
            .collect(),
        generator: no_tickets(),
        ..Config::default()
    });
    assert!(report.mismatch.is_none(), "{:?}", report.mismatch);
    assert!(report.invalid >= 4, "{report:?}");
    assert_eq!(report.mutations.keys().collect::<Vec<_>>(), vec![&seal]);
}

/// Targets initialized again every five steps go on with the oracle's chain: the same roots
/// after each `Initialize` at the tip.
#[test]
fn targets_initialized_again_at_the_tip_agree() {
    let report = session_with_one_target(Config {
        seed: 8,
        steps: 17,
        reinitialize_every: Some(5),
        // One block a step, so that `Initialize` comes after steps 5, 10 and 15.
        mutate_share: 0.0,
        generator: marmalade_fuzzer::GeneratorConfig {
            fork_share: 0.0,
            ..no_tickets()
        },
        ..Config::default()
    });
    assert!(report.mismatch.is_none(), "{:?}", report.mismatch);
    assert_eq!(report.sent, 17);
    assert_eq!(report.reinitializations, 3, "after steps 5, 10 and 15");
}

/// Generation without ring proofs: tickets are not the subject.
fn no_tickets() -> marmalade_fuzzer::GeneratorConfig {
    marmalade_fuzzer::GeneratorConfig {
        ticket_epochs: 0.0,
        ..Default::default()
    }
}

/// A dev-chain session of `config` against one correct target.
fn session_with_one_target(config: Config) -> marmalade_fuzzer::Report {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("t.sock");
    let t = serve(&sock, None);
    let mut fuzzer = Fuzzer::dev(config).unwrap();
    let mut targets = fuzzer.connect(&[sock]).unwrap();
    let report = fuzzer.run(&mut targets, |_| {}).unwrap();
    drop(targets);
    t.join().unwrap();
    report
}
