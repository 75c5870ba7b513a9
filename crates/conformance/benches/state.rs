//! State serialization and roots on the largest state of the block-import traces: decoding
//! from key/value pairs, encoding back, the from-scratch root, and one step's incremental
//! (import-side change sets are benchmarked in the chain crate).
//!
//! Needs the vectors (`$JAM_VECTORS`, else `.jam-vectors` at the workspace root).

use criterion::{criterion_group, criterion_main, Criterion};
use marmalade_codec::decode_all;
use marmalade_conformance::trace::*;
use marmalade_state::*;
use marmalade_types::ChainSpec;
use std::path::PathBuf;

const SPEC: ChainSpec = ChainSpec::TINY;

/// The largest trace step file (by size) over all trace folders.
fn largest_step() -> (PathBuf, TraceStep) {
    let root = std::env::var_os("JAM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"))
        .join("jam-test-vectors/traces");
    let mut best: Option<(u64, PathBuf)> = None;
    for dir in std::fs::read_dir(&root).expect("trace vectors") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".bin") && name != "genesis.bin" {
                let len = p.metadata().unwrap().len();
                if best.as_ref().is_none_or(|(l, _)| len > *l) {
                    best = Some((len, p));
                }
            }
        }
    }
    let (_, path) = best.expect("no trace steps");
    let step: TraceStep = decode_all(&std::fs::read(&path).unwrap(), SPEC.seq_lens()).unwrap();
    (path, step)
}

fn bench(c: &mut Criterion) {
    let (path, step) = largest_step();
    let raw = &step.post_state;
    let bytes: usize = raw.keyvals.iter().map(|kv| kv.value.len()).sum();
    eprintln!(
        "largest trace state: {} post_state, {} keys, {} value octets",
        path.display(),
        raw.keyvals.len(),
        bytes
    );
    let post = raw.to_state(&SPEC).unwrap();

    let mut g = c.benchmark_group("state");
    g.bench_function("from_key_values", |b| {
        b.iter(|| {
            State::from_key_values(&SPEC, raw.keyvals.iter().map(|kv| (kv.key, &kv.value[..])))
                .unwrap()
        })
    });
    g.bench_function("to_key_values", |b| b.iter(|| post.to_key_values(&SPEC)));
    g.bench_function("state_root", |b| b.iter(|| state_root(&post, &SPEC)));
    g.bench_function("decode+encode+root", |b| {
        b.iter(|| {
            let s =
                State::from_key_values(&SPEC, raw.keyvals.iter().map(|kv| (kv.key, &kv.value[..])))
                    .unwrap();
            let kvs = s.to_key_values(&SPEC);
            marmalade_merkle::state_root(kvs)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
