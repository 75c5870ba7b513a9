//! Block import against state size: the same `storage` trace block imported on its recorded
//! prior state, and on that state with 1,000,000 extra storage items (a service of its own,
//! which the block does not touch). Each iteration is the per-block work of the import loop:
//! Υ returning the change set (`import_block`), the store's derived posterior state
//! (`State::derive`), and the incremental trie moved to it and back (`key_changes` of the
//! changes and of their inverse, with a root each way).
//!
//! `cargo bench -p marmalade-chain --bench import`. Needs the vectors (`$JAM_VECTORS`, else
//! `.jam-vectors` at the workspace root).

use criterion::{criterion_group, criterion_main, Criterion};
use marmalade_accumulation::CodeCache;
use marmalade_chain::import_block;
use marmalade_codec::decode_all;
use marmalade_conformance::trace::TraceStep;
use marmalade_state::{State, StateTrie};
use marmalade_types::{ChainSpec, ServiceInfo};
use std::path::PathBuf;

const SPEC: ChainSpec = ChainSpec::TINY;
const EXTRA_ITEMS: u32 = 1_000_000;
const EXTRA_SERVICE: u32 = 0x00de_ad00;

/// The `storage` trace step whose block changes the most keys.
fn busiest_storage_step() -> (String, TraceStep) {
    let dir = std::env::var_os("JAM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"))
        .join("jam-test-vectors/traces/storage");
    let mut best: Option<(usize, String, TraceStep)> = None;
    for i in 1..=100 {
        let path = dir.join(format!("{i:08}.bin"));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let step: TraceStep = decode_all(&bytes, SPEC.seq_lens()).expect("a trace step");
        let pre: std::collections::BTreeMap<_, _> = step
            .pre_state
            .keyvals
            .iter()
            .map(|kv| (kv.key, &kv.value))
            .collect();
        let changed = step
            .post_state
            .keyvals
            .iter()
            .filter(|kv| pre.get(&kv.key) != Some(&&kv.value))
            .count();
        if best.as_ref().is_none_or(|b| changed > b.0) {
            best = Some((changed, path.display().to_string(), step));
        }
    }
    let (changed, name, step) = best.expect("storage trace steps (unpack the vectors)");
    eprintln!("block: {name} ({changed} keys changed)");
    (name, step)
}

/// One block's import-loop work on `prior` with its trie.
fn import_once(prior: &State, trie: &mut StateTrie, step: &TraceStep, cache: &CodeCache) {
    let root = step.block.header.parent_state_root;
    let changes = import_block(&SPEC, prior, &root, &step.block, None, cache).expect("imports");
    let undo = changes.inverse(prior);
    let post = prior.derive(&changes);
    trie.apply(changes.key_changes());
    std::hint::black_box(trie.root());
    trie.apply(undo.key_changes());
    std::hint::black_box(trie.root());
    std::hint::black_box(post);
}

fn bench(c: &mut Criterion) {
    let (_, step) = busiest_storage_step();
    let small = step
        .pre_state
        .to_state(&SPEC)
        .expect("the prior state decodes");
    let mut large = small.clone();
    let mut info = ServiceInfo {
        balance: u64::MAX / 2,
        ..Default::default()
    };
    for i in 0..EXTRA_ITEMS {
        let value = i.to_le_bytes().repeat(8);
        info.items += 1;
        info.bytes += 34 + 4 + value.len() as u64;
        large.set_storage(EXTRA_SERVICE, &i.to_le_bytes(), Some(value));
    }
    large.accounts.insert(EXTRA_SERVICE, info);
    let cache = CodeCache::new();
    let mut g = c.benchmark_group("import_vs_state_size");
    g.sample_size(30);
    for (name, state) in [("small", &small), ("plus_1M_items", &large)] {
        let mut trie = StateTrie::from_state(state, &SPEC);
        trie.root();
        eprintln!("{name}: {} keys", trie.len());
        g.bench_function(name, |b| {
            b.iter(|| import_once(state, &mut trie, &step, &cache))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
