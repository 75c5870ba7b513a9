//! The node's authoring loop per block on the `dev` chain (tiny, all six dev keys): slots
//! 1..=11 of the genesis epoch authored and imported by [`Node::author`], once with the
//! epoch's tickets made by the first block (18 ring proofs, one prover per key, keys in
//! parallel) and once for a tail slot (no tickets, GP (6.30)): find the author, seal,
//! import.
//!
//! `cargo bench -p marmalade-node --bench author`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use marmalade_node::{dev_key_set, Genesis, Node};
use marmalade_types::ChainSpec;

fn node(genesis: &Genesis, spec: ChainSpec) -> Node {
    Node::new(spec, genesis, dev_key_set(spec.validators), 5).expect("node")
}

fn bench(c: &mut Criterion) {
    let (genesis, spec) = Genesis::dev().expect("the dev chain");
    marmalade_crypto::bandersnatch::prepare_ring(spec.validators).expect("ring");
    let mut group = c.benchmark_group("node");
    group.sample_size(10);
    group.bench_function("epoch0_11_blocks_with_tickets", |b| {
        b.iter_batched(
            || node(&genesis, spec),
            |mut n| {
                for slot in 1..spec.epoch_length {
                    n.author(slot).expect("authors").expect("an author");
                }
                n
            },
            BatchSize::PerIteration,
        )
    });
    let tail = spec.epoch_length - 1;
    group.bench_function("tail_block_no_tickets", |b| {
        b.iter_batched(
            || {
                let mut n = node(&genesis, spec);
                for slot in 1..tail {
                    n.author(slot).expect("authors").expect("an author");
                }
                n
            },
            |mut n| {
                n.author(tail).expect("authors").expect("an author");
                n
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
