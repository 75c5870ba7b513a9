//! Runs the state-trie vectors (`trie/trie.json`, legacy layout) and checks the Gray Paper 0.7.2
//! layout against the state roots recorded in the block-import traces, both one-shot and by
//! updating an incremental trie from each pre-state to its post-state. Fails (does not skip) when
//! the vectors are missing.

use marmalade_conformance::{run_file, vectors_root, Kind};
use marmalade_merkle::trie::{state_root, Key, Trie};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The number of cases in `trie.json` at tag v0.7.2.
const TRIE_CASES: usize = 11;

#[test]
fn all_trie_vectors_pass() {
    let path = vectors_root().join("jam-test-vectors/trie/trie.json");
    assert!(path.is_file(), "trie vectors missing at {}", path.display());
    let outcomes = run_file(&path, Kind::Trie);
    assert_eq!(outcomes.len(), TRIE_CASES);
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.name)))
        .collect();
    assert!(failed.is_empty(), "failures:\n{}", failed.join("\n"));
    for (i, o) in outcomes.iter().enumerate() {
        assert!(o.name.ends_with(&format!("trie.json#{i}")), "{}", o.name);
    }
}

#[derive(Deserialize)]
struct KeyVal {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct State {
    state_root: String,
    keyvals: Vec<KeyVal>,
}

#[derive(Deserialize)]
struct Step {
    pre_state: State,
    post_state: State,
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("hex")
}

fn state_map(s: &State) -> BTreeMap<Key, Vec<u8>> {
    s.keyvals
        .iter()
        .map(|kv| {
            let k: Key = unhex(&kv.key).try_into().expect("31-octet key");
            (k, unhex(&kv.value))
        })
        .collect()
}

fn check_step(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let step: Step = serde_json::from_slice(&bytes).expect("trace json");
    let pre = state_map(&step.pre_state);
    let post = state_map(&step.post_state);
    let pre_root = unhex(&step.pre_state.state_root);
    let post_root = unhex(&step.post_state.state_root);
    assert_eq!(state_root(&pre)[..], pre_root[..], "{} pre", path.display());
    assert_eq!(
        state_root(&post)[..],
        post_root[..],
        "{} post",
        path.display()
    );

    let mut trie: Trie = pre.clone().into_iter().collect();
    assert_eq!(
        trie.root()[..],
        pre_root[..],
        "{} incremental pre",
        path.display()
    );
    for k in pre.keys().filter(|k| !post.contains_key(*k)) {
        trie.remove(k);
    }
    for (k, v) in &post {
        if pre.get(k) != Some(v) {
            trie.insert(*k, v.clone());
        }
    }
    assert_eq!(
        trie.root()[..],
        post_root[..],
        "{} incremental post",
        path.display()
    );
    1
}

#[test]
fn trace_state_roots_use_gp_layout() {
    let root = vectors_root().join("jam-test-vectors/traces");
    let sets = [
        "fallback",
        "safrole",
        "storage",
        "storage_light",
        "preimages",
        "preimages_light",
    ];
    let mut checked = 0;
    for set in sets {
        for n in 1..=100 {
            let path = root.join(set).join(format!("{n:08}.json"));
            assert!(path.is_file(), "trace step missing: {}", path.display());
            checked += check_step(&path);
        }
    }
    assert_eq!(checked, 6 * 100);
}
