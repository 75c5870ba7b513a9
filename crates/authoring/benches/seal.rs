//! Authoring costs on the `fallback` trace genesis: sealing an empty block at slot 1
//! (Safrole posterior, VRF output, entropy-source and seal signatures), the same at the first
//! slot of the next epoch (whose ring root of the new pending set is memoised by key set after
//! the first iteration, so it is not in the figure), finding the slot's
//! author among the six dev keys, and one validator's ticket set (ring prover and
//! $\mathsf{N}$ ring proofs).
//!
//! `cargo bench -p marmalade-authoring --bench seal`. Needs the vectors (`$JAM_VECTORS`,
//! else `.jam-vectors` at the workspace root).

use criterion::{criterion_group, criterion_main, Criterion};
use marmalade_authoring::{dev_keys, make_tickets, slot_author, Author, ValidatorKeys};
use marmalade_conformance::trace::Genesis;
use marmalade_types::{decode_all, ChainSpec, DisputesExtrinsic, Extrinsic};

const SPEC: ChainSpec = ChainSpec::TINY;

fn empty() -> Extrinsic {
    Extrinsic {
        tickets: Vec::new(),
        preimages: Vec::new(),
        guarantees: Vec::new(),
        assurances: Vec::new(),
        disputes: DisputesExtrinsic::default(),
    }
}

fn bench(c: &mut Criterion) {
    let path =
        marmalade_conformance::vectors_root().join("jam-test-vectors/traces/fallback/genesis.bin");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{} missing ({e}): unpack the vectors", path.display()));
    let g: Genesis = decode_all(&bytes, SPEC.seq_lens()).expect("genesis decodes");
    let state = g.state.to_state(&SPEC).expect("genesis state");
    let root = g.state.computed_root();
    let parent = g.header.hash();
    let keys: Vec<ValidatorKeys> = (0..SPEC.validators as u32).map(dev_keys).collect();

    for (name, slot) in [
        ("seal_block", 1),
        ("seal_block_new_epoch", SPEC.epoch_length),
    ] {
        let who = slot_author(&SPEC, &state, slot, &keys).expect("an author");
        let author = Author::new(keys[who].clone());
        c.bench_function(name, |b| {
            b.iter(|| {
                author
                    .seal_block(&SPEC, &state, &root, &parent, slot, empty())
                    .expect("sealed")
            })
        });
    }
    c.bench_function("slot_author", |b| {
        b.iter(|| slot_author(&SPEC, &state, 1, &keys))
    });
    let mut group = c.benchmark_group("tickets");
    group.sample_size(10);
    group.bench_function("make_tickets", |b| {
        b.iter(|| make_tickets(&SPEC, &state, 1, &keys[0]).expect("tickets"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
