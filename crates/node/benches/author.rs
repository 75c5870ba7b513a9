//! The node's authoring per block, at both sizes.
//!
//! `node` (the `dev` chain: tiny, all six dev keys): slots 1..=11 of the genesis epoch
//! authored and imported by [`Node::author`], once with the epoch's tickets made by the first
//! block (18 ring proofs, one prover per key, keys in parallel) and once for a tail slot (no
//! tickets, GP (6.30)): find the author, seal, import.
//!
//! `node_full` (full, a synthetic genesis over the 1,023 JIP-5 development keys,
//! [`synthetic_genesis`]; a node holding all of them, so every slot has a local author):
//!
//! - `tail_block_no_tickets`: [`Node::author`] of the last slot of epoch 0 on the genesis
//!   (no tickets: $m' \ge \mathsf{Y}$, GP (6.30)): find the author among 1,023 keys, seal,
//!   import.
//! - `block_with_16_tickets`: the block at slot 1 carrying $\mathsf{K} = 16$ tickets
//!   (GP (6.30)), with [`Node::author`]'s steps (find the author among 1,023 keys, select
//!   the tickets, seal, [`marmalade_chain::Chain::import`], which verifies the 16 ring
//!   proofs). The tickets (of 8 keys, $\mathsf{N} = 2$ each) are made beforehand, as
//!   [`Node::prepare_tickets`] makes them between slots: a node holding all 1,023 keys would
//!   make 2,046 ring proofs for that block, which belongs to ticket making, measured apart.
//! - `verify_16_tickets_batch`: the batch verification of those 16 ring proofs against
//!   $\gamma_Z$, which both the author's Safrole transition and import run.
//! - `ring_prover_1023`, `ticket_proof_1023`: ticket making per key, its two parts: the
//!   ring prover over the 1,023 keys of $\gamma'_P$ (once per key and epoch) and one ticket's
//!   ring VRF proof (one per attempt).
//!
//! Making the 1,023 keys, the genesis (its ring root) and the ring parameters
//! ([`bandersnatch::prepare_ring`]) happens before any timing.
//!
//! `cargo bench -p marmalade-node --bench author`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use marmalade_authoring::{make_tickets, select_tickets, slot_author, Author, Ticket};
use marmalade_chain::Chain;
use marmalade_chainspec::synthetic::synthetic_genesis;
use marmalade_crypto::bandersnatch::{self, RingProver};
use marmalade_node::{dev_key_set, Genesis, Node};
use marmalade_types::{ChainSpec, Extrinsic};
use std::time::Duration;

fn node(genesis: &Genesis, spec: ChainSpec) -> Node {
    Node::new(spec, genesis, dev_key_set(spec.validators), 5).expect("node")
}

fn tiny(c: &mut Criterion) {
    let (genesis, spec) = Genesis::dev().expect("the dev chain");
    bandersnatch::prepare_ring(spec.validators).expect("ring");
    let mut group = c.benchmark_group("node");
    // One batch per sample: the ticket-making case takes seconds per iteration.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
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

fn full(c: &mut Criterion) {
    let spec = ChainSpec::FULL;
    let keys = dev_key_set(spec.validators);
    bandersnatch::prepare_ring(spec.validators).expect("ring");
    let g = synthetic_genesis(&spec, &keys).expect("the synthetic full genesis");
    let genesis = Genesis {
        header: g.header.clone(),
        state: g.state.to_key_values(&spec),
    };
    let mut group = c.benchmark_group("node_full");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));

    let tail = spec.epoch_length - 1;
    group.bench_function("tail_block_no_tickets", |b| {
        b.iter_batched(
            || Node::new(spec, &genesis, keys.clone(), 5).expect("node"),
            |mut n| {
                let a = n.author(tail).expect("authors").expect("an author");
                assert!(a.block.extrinsic.tickets.is_empty());
                n
            },
            BatchSize::PerIteration,
        )
    });

    // K tickets: N from each of K/N keys.
    let slot = 1;
    let ticket_keys = spec.max_tickets_per_extrinsic / spec.tickets_per_validator as usize;
    let tickets: Vec<Ticket> = keys[..ticket_keys]
        .iter()
        .flat_map(|k| make_tickets(&spec, &g.state, slot, k).expect("tickets"))
        .collect();
    assert_eq!(
        select_tickets(&spec, &g.state, slot, &tickets).len(),
        spec.max_tickets_per_extrinsic,
        "the block carries K tickets"
    );
    let authors: Vec<Author> = keys.iter().cloned().map(Author::new).collect();
    let chain = || {
        let mut chain = Chain::new(spec, spec.max_lookup_anchor_age as usize);
        chain
            .initialize(&genesis.header, genesis.state.clone(), Some(&[]))
            .expect("genesis");
        chain
    };
    group.bench_function("block_with_16_tickets", |b| {
        b.iter_batched(
            chain,
            |mut chain| {
                let who = slot_author(&spec, &g.state, slot, &keys).expect("an author");
                let extrinsic = Extrinsic {
                    tickets: select_tickets(&spec, &g.state, slot, &tickets),
                    ..Default::default()
                };
                let block = authors[who]
                    .seal_block(
                        &spec,
                        &g.state,
                        &g.state_root,
                        &g.header_hash,
                        slot,
                        extrinsic,
                    )
                    .expect("sealed");
                chain.import(&block).expect("imports");
                chain
            },
            BatchSize::PerIteration,
        )
    });

    // What import (and the author's Safrole transition) spends on them: one batch
    // verification of the K proofs against γ_Z (the verifier memoised, as in import).
    let eta2 = g.state.components.eta[2];
    let inputs: Vec<Vec<u8>> = tickets
        .iter()
        .map(|t| bandersnatch::ticket_seal_input(&eta2, t.envelope.attempt))
        .collect();
    let verifier =
        bandersnatch::RingVerifier::from_commitment(&g.state.components.gamma_z, spec.validators)
            .expect("verifier");
    group.bench_function("verify_16_tickets_batch", |b| {
        b.iter(|| {
            let items: Vec<bandersnatch::RingItem<'_>> = inputs
                .iter()
                .zip(&tickets)
                .map(|(i, t)| (&i[..], &[][..], &t.envelope.signature))
                .collect();
            verifier.verify_batch(&items).expect("valid tickets")
        })
    });

    // γ'_P at slot 1 is the genesis' γ_P: the 1,023 keys in order.
    let ring: Vec<_> = keys.iter().map(|k| k.bandersnatch_public()).collect();
    let index = ring.len() - 1;
    group.bench_function("ring_prover_1023", |b| {
        b.iter(|| RingProver::new(&ring, index).expect("prover"))
    });
    let prover = RingProver::new(&ring, index).expect("prover");
    let input = bandersnatch::ticket_seal_input(&g.state.components.eta[2], 0);
    group.bench_function("ticket_proof_1023", |b| {
        b.iter(|| prover.prove(&keys[index].bandersnatch, &input, &[]))
    });
    group.finish();
}

criterion_group!(benches, tiny, full);
criterion_main!(benches);
