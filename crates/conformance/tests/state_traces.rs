//! The state serialization against the block-import traces of the conformance vectors: every
//! genesis, pre-state and post-state of every trace decodes into a [`State`], serializes back to
//! exactly the same key/value set, and has the recorded state root, both from scratch and by
//! updating an incremental [`StateTrie`] with the per-component [`diff`].
//!
//! The vectors are read from `$JAM_VECTORS`, else `.jam-vectors` at the workspace root. Missing
//! vectors fail these tests.

use marmalade_codec::{decode_all, Decode};
use marmalade_conformance::trace::*;
use marmalade_crypto::blake2b_256;
use marmalade_state::*;
use marmalade_types::ChainSpec;
use std::path::{Path, PathBuf};

const SPEC: ChainSpec = ChainSpec::TINY;

fn traces_root() -> PathBuf {
    let r = match std::env::var_os("JAM_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"),
    }
    .join("jam-test-vectors/traces");
    assert!(r.is_dir(), "trace vectors not found at {}", r.display());
    r
}

fn read<T: Decode>(path: &Path) -> T {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode_all(&bytes, SPEC.seq_lens()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes a raw state, checks that it re-serializes to exactly the same key/value set and
/// that its root is the recorded one; returns the state.
fn check_raw(raw: &RawState, what: &str) -> State {
    let state = raw
        .to_state(&SPEC)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let ours = state.to_key_values(&SPEC);
    let mut given = raw.key_values();
    given.sort();
    if ours != given {
        let d = diff_key_values(
            given.iter().map(|(k, v)| (k, &v[..])),
            ours.iter().map(|(k, v)| (k, &v[..])),
        );
        let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
        panic!("{what}: re-serialization differs:\n{}", lines.join("\n"));
    }
    assert_eq!(
        state_root(&state, &SPEC),
        raw.state_root,
        "{what}: state root"
    );
    state
}

/// Checks the item-key constructors against the items of a trace state: every preimage entry
/// (recognized as the key $C(s, \mathcal{E}_4(2^{32}-2) \frown \mathcal{H}(p))$ of its value
/// $p$) has its lookup entry at [`lookup_key`]`(s, H(p), |p|)` holding a valid timeslot
/// sequence. Returns the number of preimages found.
fn check_preimages(state: &State, what: &str) -> usize {
    let mut n = 0;
    for (k, v) in state.items.iter() {
        let s = item_service(k);
        let h = blake2b_256(v);
        if preimage_key(s, &h) == *k {
            n += 1;
            assert_eq!(state.preimage(s, &h), Some(v));
            let l = state
                .request(s, &h, v.len() as u32)
                .unwrap_or_else(|| panic!("{what}: preimage {} has no lookup", hex::encode(h)));
            assert!(!l.is_empty() && l.len() <= 3, "{what}: lookup {l:?}");
        }
    }
    n
}

/// How often the less common shapes of the components occur, to see what the traces exercise.
#[derive(Default, Debug)]
struct Coverage {
    tickets: usize,
    gamma_a: usize,
    psi: usize,
    rho: usize,
    omega: usize,
    xi: usize,
    theta: usize,
    always_acc: usize,
    services_stats: usize,
    accounts_max: usize,
    orphan_items: usize,
    nonzero_version: usize,
    beta_reported: usize,
}

impl Coverage {
    fn add(&mut self, s: &State) {
        use marmalade_types::TicketsOrKeys;
        self.tickets += matches!(s.components.gamma_s, TicketsOrKeys::Tickets(_)) as usize;
        self.gamma_a += !s.components.gamma_a.is_empty() as usize;
        self.psi += (s.components.psi != Default::default()) as usize;
        self.rho += s.components.rho.iter().any(Option::is_some) as usize;
        self.omega += s.components.omega.iter().any(|x| !x.is_empty()) as usize;
        self.xi += s.components.xi.iter().any(|x| !x.is_empty()) as usize;
        self.theta += !s.components.theta.is_empty() as usize;
        self.always_acc += !s.components.chi.always_acc.is_empty() as usize;
        self.services_stats += !s.components.pi.services.is_empty() as usize;
        self.accounts_max = self.accounts_max.max(s.accounts.len());
        self.orphan_items += s
            .items
            .iter()
            .filter(|(k, _)| !s.accounts.contains_key(&item_service(k)))
            .count();
        self.nonzero_version += s.accounts.values().filter(|i| i.version != 0).count();
        self.beta_reported += s
            .components
            .beta
            .history
            .iter()
            .any(|b| !b.reported.is_empty()) as usize;
    }
}

struct Summary {
    coverage: Coverage,
    steps: usize,
    preimages: usize,
    changed_keys: usize,
    rebuilt: usize,
}

fn run_trace(name: &str) -> Summary {
    let dir = traces_root().join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    let genesis_path = dir.join("genesis.bin");
    assert!(files.contains(&genesis_path), "{name}: no genesis.bin");
    files.retain(|p| *p != genesis_path);
    assert!(!files.is_empty(), "{name}: no steps");

    let genesis: Genesis = read(&genesis_path);
    let genesis_state = check_raw(&genesis.state, &format!("{name}/genesis"));
    let mut summary = Summary {
        steps: 0,
        preimages: check_preimages(&genesis_state, name),
        changed_keys: 0,
        rebuilt: 0,
        coverage: Coverage::default(),
    };
    summary.coverage.add(&genesis_state);

    // One trie carried through the whole trace from the genesis, updated step by step.
    let mut chain = StateTrie::from_state(&genesis_state, &SPEC);
    assert_eq!(chain.root(), genesis.state.state_root);

    for path in &files {
        let what = format!("{name}/{}", path.file_name().unwrap().to_string_lossy());
        let step: TraceStep = read(path);
        let pre = check_raw(&step.pre_state, &format!("{what} pre_state"));
        let post = check_raw(&step.post_state, &format!("{what} post_state"));
        summary.preimages += check_preimages(&post, &what);
        summary.coverage.add(&post);

        // A fresh trie of the pre-state, updated by the diff.
        let changes = key_changes(&step.pre_state, &step.post_state);
        let _ = (&pre, &post);
        summary.changed_keys += changes.len();
        let mut trie = StateTrie::from_key_values(step.pre_state.key_values());
        assert_eq!(trie.root(), step.pre_state.state_root, "{what}: pre trie");
        trie.apply(changes.clone());
        assert_eq!(
            trie.root(),
            step.post_state.state_root,
            "{what}: incremental"
        );
        assert_eq!(
            trie.len(),
            step.post_state.keyvals.len(),
            "{what}: key count"
        );

        // The diff carries exactly the keys whose values differ.
        let raw_diff = diff_key_values(
            step.pre_state
                .keyvals
                .iter()
                .map(|kv| (&kv.key, &kv.value[..])),
            step.post_state
                .keyvals
                .iter()
                .map(|kv| (&kv.key, &kv.value[..])),
        );
        assert_eq!(changes.len(), raw_diff.len(), "{what}: diff size");

        // The long-lived trie, if the trace is continuous here.
        if chain.root() != step.pre_state.state_root {
            summary.rebuilt += 1;
            chain = StateTrie::from_state(&pre, &SPEC);
        }
        chain.apply(changes);
        assert_eq!(chain.root(), step.post_state.state_root, "{what}: chain");
        summary.steps += 1;
    }
    eprintln!(
        "{name}: genesis + {} steps round-trip; {} preimage entries; {} changed keys; {} \
         discontinuities\n  {name} states with: {:?}",
        summary.steps, summary.preimages, summary.changed_keys, summary.rebuilt, summary.coverage
    );
    summary
}

macro_rules! trace_tests {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            let s = run_trace(stringify!($name));
            assert_eq!(s.steps, 100, "{}: step count", stringify!($name));
            assert!(s.preimages > 0, "{}: no preimage entries found", stringify!($name));
        }
    )*};
}

trace_tests!(
    fallback,
    safrole,
    storage,
    storage_light,
    preimages,
    preimages_light
);

/// The JSON forms of the genesis and the first step decode to the same values as the binary.
#[test]
fn json_matches_binary() {
    for name in ["fallback", "storage", "preimages_light"] {
        let dir = traces_root().join(name);
        let g: Genesis = read(&dir.join("genesis.bin"));
        let text = std::fs::read_to_string(dir.join("genesis.json")).unwrap();
        let j: Genesis = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(g, j, "{name}/genesis");
        let s: TraceStep = read(&dir.join("00000001.bin"));
        let text = std::fs::read_to_string(dir.join("00000001.json")).unwrap();
        let j: TraceStep = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s, j, "{name}/00000001");
    }
}

/// The traces' genesis holds the bootstrap service 0 with its code preimage: the preimage key
/// of the code and the lookup key of (code hash, code length) are both present.
#[test]
fn genesis_has_the_bootstrap_code_preimage() {
    let g: Genesis = read(&traces_root().join("storage/genesis.bin"));
    let state = g.state.to_state(&SPEC).unwrap();
    let info = state.accounts.get(&0).expect("service 0");
    let code = state
        .preimage(0, &info.code_hash)
        .expect("code preimage at C(0, E_4(2^32-2) ++ code_hash)");
    assert_eq!(blake2b_256(code), info.code_hash);
    assert!(state
        .request(0, &info.code_hash, code.len() as u32)
        .is_some());
    assert!(describe_key_value(&preimage_key(0, &info.code_hash), code).contains("preimage"));
}

/// The key-level changes from one raw state to another: keys added or changed with their new
/// value, removed keys with `None`.
fn key_changes(
    pre: &marmalade_conformance::trace::RawState,
    post: &marmalade_conformance::trace::RawState,
) -> Vec<marmalade_state::KeyChange> {
    let before: std::collections::BTreeMap<_, _> =
        pre.keyvals.iter().map(|kv| (kv.key, &kv.value)).collect();
    let after: std::collections::BTreeMap<_, _> =
        post.keyvals.iter().map(|kv| (kv.key, &kv.value)).collect();
    let mut out: Vec<marmalade_state::KeyChange> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (*k, Some((*v).clone())))
        .collect();
    out.extend(
        before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .map(|k| (*k, None)),
    );
    out
}
