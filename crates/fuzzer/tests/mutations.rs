//! Generated blocks import on our own chain; every mutation of them is rejected by it, with
//! nothing changed (the parent's state and root, the head).

mod support;

use marmalade_fuzzer::mutate::Context;
use marmalade_fuzzer::{mutate, ExtrinsicConfig, Generator, GeneratorConfig, MutationKind, Rng};
use std::collections::BTreeSet;

#[test]
fn generated_blocks_import_and_every_mutation_is_rejected() {
    let config = GeneratorConfig {
        max_skip: 1,
        fork_share: 0.2,
        // 4 keys × N = 3 attempts: just the E = 12 tickets a winning-tickets marker needs.
        ticket_keys: 4,
        ..GeneratorConfig::default()
    };
    let mut g = Generator::dev(3, config).expect("dev generator");
    let spec = *g.spec();
    let mut rng = Rng::new(99);
    let mut applied = BTreeSet::new();
    let mut ticket_blocks = 0;
    let mut epoch_marks = 0;
    let mut tickets_mark = None;
    let mut forks = 0;
    let mut grandparent = None;
    // Three tiny epochs (E = 12): epoch marks, tickets, and a winning-tickets marker.
    let end_slot = 3 * spec.epoch_len() as u32 + 2;
    loop {
        let parent = g.tip();
        let parent_slot = g.chain().state(&parent).unwrap().unwrap().components.tau;
        if parent_slot >= end_slot {
            break;
        }
        let planned = g.plan().expect("plan");
        let block = planned.block;
        assert_eq!(block.header.parent, parent);
        assert!(block.header.slot > parent_slot);
        ticket_blocks += usize::from(!block.extrinsic.tickets.is_empty());
        epoch_marks += usize::from(block.header.epoch_mark.is_some());
        let ctx = Context {
            parent_slot,
            other_block: grandparent,
            tickets_mark: tickets_mark.clone(),
        };
        for kind in MutationKind::BLOCK {
            let Some(bad) = mutate(kind, &block, &spec, &ctx, &mut rng) else {
                continue;
            };
            assert_ne!(bad, block, "{kind} changed nothing");
            support::import_rejected(&mut g, &bad, &parent, &kind);
            applied.insert(kind);
        }
        if let Some(s) = planned.sibling {
            assert_eq!(s.header.parent, parent);
            g.import(&s).expect("the sibling imports");
            forks += 1;
        }
        let root = g.import(&block).expect("the generated block imports");
        assert_eq!(g.chain().state_root(&planned.hash).unwrap(), Some(root));
        if block.header.tickets_mark.is_some() {
            tickets_mark = block.header.tickets_mark.clone();
        }
        grandparent = Some(parent);
        g.advance(planned.hash);
    }
    assert!(ticket_blocks > 0, "no block carried tickets");
    assert!(epoch_marks >= 2, "epoch marks: {epoch_marks}");
    assert!(
        tickets_mark.is_some(),
        "no winning-tickets marker was produced"
    );
    assert!(forks > 0, "no sibling was generated");
    let missing: Vec<_> = MutationKind::BLOCK
        .iter()
        .filter(|k| !applied.contains(k))
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
}

/// Ring proofs carry fresh randomness, so blocks with tickets differ in their bytes from
/// run to run; what a seed fixes is the session's shape: slots, authors, ticket counts.
#[test]
fn the_same_seed_generates_the_same_session() {
    let run = |seed| {
        // One key's ring proofs: the shape, not the proofs, is the subject.
        let config = GeneratorConfig {
            ticket_keys: 1,
            ..GeneratorConfig::default()
        };
        let mut g = Generator::dev(seed, config).unwrap();
        (0..5)
            .map(|_| {
                let p = g.plan().unwrap();
                g.import(&p.block).unwrap();
                g.advance(p.hash);
                let h = &p.block.header;
                (h.slot, h.author_index, p.block.extrinsic.tickets.len())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

/// The extrinsic kinds through the driver's path ([`Generator::with_extrinsic`]: applied to
/// a generated block, re-sealed by its author): each is rejected by our chain with nothing
/// changed, and every kind applies somewhere in two tiny epochs of blocks that carry every
/// extrinsic kind.
#[test]
fn extrinsic_mutations_resealed_are_rejected() {
    let config = GeneratorConfig {
        max_skip: 0,
        fork_share: 0.0,
        extrinsics: ExtrinsicConfig {
            guarantees: 1.0,
            assurances: 1.0,
            preimages: 1.0,
            disputes: 0.5,
        },
        // No ring proofs: the ticket kinds are the other test's.
        ticket_epochs: 0.0,
        ..GeneratorConfig::default()
    };
    let mut g = Generator::dev(4, config).expect("dev generator");
    let kinds: Vec<MutationKind> = MutationKind::all()
        .into_iter()
        .filter(|k| !MutationKind::BLOCK.contains(k))
        .collect();
    let mut applied = BTreeSet::new();
    for _ in 0..2 * g.spec().epoch_len() {
        let parent = g.tip();
        let planned = g.plan().expect("plan");
        for &kind in &kinds {
            let bad = g
                .with_extrinsic(&planned.block, |e, c, r| match kind {
                    MutationKind::Work(m) => m.apply(e, c, r),
                    MutationKind::Preimage(m) => m.apply(e, c, r),
                    MutationKind::Dispute(m) => m.apply(e, c, r),
                    _ => None,
                })
                .expect("with_extrinsic");
            let Some(bad) = bad else { continue };
            assert_ne!(
                bad.extrinsic, planned.block.extrinsic,
                "{kind} changed nothing"
            );
            support::import_rejected(&mut g, &bad, &parent, &kind);
            applied.insert(kind);
        }
        g.import(&planned.block)
            .expect("the generated block imports");
        g.advance(planned.hash);
    }
    let missing: Vec<_> = kinds.iter().filter(|k| !applied.contains(k)).collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
}
