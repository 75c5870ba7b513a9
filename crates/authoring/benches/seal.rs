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
use marmalade_authoring::{dev_key_set, make_tickets, slot_author, Author};
use marmalade_conformance::trace::load_genesis;
use marmalade_types::{ChainSpec, Extrinsic};

const SPEC: ChainSpec = ChainSpec::TINY;

fn bench(c: &mut Criterion) {
    let g = load_genesis("fallback");
    let state = g.state.to_state(&SPEC).expect("genesis state");
    let root = g.state.computed_root();
    let parent = g.header.hash();
    let keys = dev_key_set(SPEC.validators);

    for (name, slot) in [
        ("seal_block", 1),
        ("seal_block_new_epoch", SPEC.epoch_length),
    ] {
        let who = slot_author(&SPEC, &state, slot, &keys).expect("an author");
        let author = Author::new(keys[who].clone());
        c.bench_function(name, |b| {
            b.iter(|| {
                author
                    .seal_block(&SPEC, &state, &root, &parent, slot, Extrinsic::default())
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
