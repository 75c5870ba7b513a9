//! The authoring loop on the built-in `dev` chain with the six dev keys on a virtual clock: at least three epochs, one of
//! them sealed by tickets the node itself submitted, every block re-imported into a fresh
//! chain with the same state roots.

use marmalade_authoring::dev_key_set;
use marmalade_chain::NoFinality;
use marmalade_crypto::bandersnatch;
use marmalade_node::{genesis_chain, Authored, Genesis, Node, SealKind, SlotClock, VirtualClock};
use marmalade_types::{ChainSpec, TicketsOrKeys};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const TINY: ChainSpec = ChainSpec::TINY;

/// The `dev` chain's genesis (tiny), whose validators hold the JIP-5 dev keys.
fn genesis() -> Genesis {
    let (genesis, params) = Genesis::dev().expect("the dev chain");
    assert_eq!(params, TINY);
    genesis
}

#[test]
fn six_dev_validators_author_epochs_sealed_by_tickets() {
    let genesis = genesis();
    let keys = dev_key_set(TINY.validators);
    let mut node = Node::new(TINY, &genesis, keys, 3).expect("node starts");
    assert_eq!(node.best_slot().unwrap(), 0, "the dev genesis is at slot 0");
    // Slots 1..=48: the rest of epoch 0 and epochs 1, 2 and 3 (E = 12).
    let epochs = 4;
    let blocks = epochs * TINY.epoch_len() - 1;
    let clock = VirtualClock::at(0);
    let stop = AtomicBool::new(false);
    let mut authored: Vec<Authored> = Vec::new();
    let n = node
        .run(&clock, &stop, Some(blocks), |a| authored.push(a.clone()))
        .expect("the loop runs");
    assert_eq!(n, blocks);
    assert_eq!(authored.len(), blocks);

    // Every slot has an author among the six (GP (6.24): every key of γ'_S is in κ').
    for (i, a) in authored.iter().enumerate() {
        assert_eq!(a.block.header.slot as usize, i + 1, "consecutive slots");
        assert_eq!(
            usize::from(a.block.header.author_index),
            a.local_key,
            "with all six keys, key i is κ'[i]"
        );
    }
    // The loop made each epoch's tickets between slots: no block waited for ring proofs
    // (taking ready tickets is a comparison and a slice).
    for a in &authored {
        assert!(
            a.tickets_time < Duration::from_millis(50),
            "slot {}: tickets made while the block waited ({:?})",
            a.block.header.slot,
            a.tickets_time
        );
    }
    assert_eq!(node.best_hash(), Some(authored.last().unwrap().hash));
    // FixedDepth(3): the block three behind the best is final.
    assert_eq!(
        node.finalized_hash(),
        Some(authored[blocks - 4].hash),
        "final at depth 3"
    );

    // Tickets went in during epoch 0's submission period only (m < Y, GP (6.30)), and
    // epochs from 1 on are ticket-sealed. Every block re-imports into a fresh chain from the
    // same genesis with the same root, and there the seal is checked against the posterior
    // γ'_S: under tickets the seal's VRF output is the ticket identifier γ'_S[m] (GP (6.15)).
    let mut fresh = genesis_chain(TINY, &genesis, NoFinality).expect("genesis");
    let mut by_epoch = vec![(0usize, 0usize); epochs];
    for a in &authored {
        let h = &a.block.header;
        let (e, m) = (TINY.epoch_of(h.slot) as usize, TINY.slot_phase(h.slot));
        if m >= TINY.ticket_submission_end {
            assert!(a.block.extrinsic.tickets.is_empty(), "slot {}", h.slot);
        }
        let root = fresh
            .import(&a.block)
            .unwrap_or_else(|e| panic!("slot {}: re-import: {e}", h.slot));
        assert_eq!(root, a.state_root, "slot {}: state root", h.slot);
        let post = fresh.state(&a.hash).unwrap().expect("the imported state");
        match (&post.components.gamma_s, a.seal_kind) {
            (TicketsOrKeys::Tickets(t), SealKind::Ticket) => {
                let out = bandersnatch::vrf_output(&h.seal).expect("a seal");
                assert_eq!(
                    out, t[m as usize].id,
                    "slot {}: sealed by the ticket",
                    h.slot
                );
                by_epoch[e].0 += 1;
            }
            (TicketsOrKeys::Keys(_), SealKind::Fallback) => by_epoch[e].1 += 1,
            _ => panic!("slot {}: seal kind disagrees with γ'_S", h.slot),
        }
    }
    assert_eq!(fresh.best(), node.best_hash());
    let submitted: usize = authored
        .iter()
        .map(|a| a.block.extrinsic.tickets.len())
        .sum();
    assert!(
        submitted >= TINY.epoch_len() * (epochs - 1),
        "E tickets per epoch: {submitted}"
    );
    assert_eq!(by_epoch[0], (0, 11), "epoch 0: genesis fallback keys");
    for (e, &(ticket, fallback)) in by_epoch.iter().enumerate().skip(1) {
        assert_eq!(
            (ticket, fallback),
            (TINY.epoch_len(), 0),
            "epoch {e} sealed by tickets"
        );
    }
    // The winning-tickets marker came in each epoch's tail (GP (6.28)).
    let marks = authored
        .iter()
        .filter(|a| a.block.header.tickets_mark.is_some())
        .count();
    assert_eq!(marks, epochs);

    // Authoring time per block without making tickets (once per epoch), and import time.
    let total = |f: fn(&Authored) -> Duration| authored.iter().map(f).sum::<Duration>();
    let max = |f: fn(&Authored) -> Duration| authored.iter().map(f).max().unwrap_or_default();
    let seal = |a: &Authored| a.author_time - a.tickets_time;
    eprintln!(
        "{blocks} blocks: author (no ticket making) mean {:?} max {:?}; tickets made in a block's time {} \
         times, total {:?}; import mean {:?} max {:?}",
        total(seal) / blocks as u32,
        max(seal),
        authored
            .iter()
            .filter(|a| a.tickets_time > Duration::from_millis(1))
            .count(),
        total(|a| a.tickets_time),
        total(|a| a.import_time) / blocks as u32,
        max(|a| a.import_time),
    );
    let mut slow: Vec<_> = authored
        .iter()
        .map(|a| (seal(a), a.block.header.slot))
        .collect();
    slow.sort();
    eprintln!(
        "slowest (author less tickets, slot): {:?}",
        &slow[slow.len() - 3..]
    );
}

/// One key authors only its own slots: the loop skips the others' (the chain then has
/// gaps, which Safrole allows) and stops when asked. In the genesis epoch the seal keys are
/// the genesis γ_S whatever the blocks (GP (6.24)), so the full set agrees on which slots
/// are key 2's.
#[test]
fn one_key_authors_only_its_slots() {
    let genesis = genesis();
    let keys = dev_key_set(TINY.validators);
    let epoch0 = 1..TINY.epoch_length;
    let mut alone = Node::new(TINY, &genesis, vec![keys[2].clone()], 3).expect("node");
    let mine: Vec<_> = epoch0
        .clone()
        .filter(|&slot| alone.author(slot).expect("authors").is_some())
        .collect();
    assert!(!mine.is_empty(), "key 2 holds a slot of the genesis epoch");
    let mut all = Node::new(TINY, &genesis, keys.clone(), 3).expect("node");
    for slot in epoch0 {
        let a = all.author(slot).expect("authors").expect("some key");
        assert_eq!(a.local_key == 2, mine.contains(&slot), "slot {slot}");
    }

    let mut node = Node::new(TINY, &genesis, vec![keys[2].clone()], 3).expect("node");
    let clock = VirtualClock::at(0);
    let stop = AtomicBool::new(false);
    let mut slots = Vec::new();
    node.run(&clock, &stop, Some(1), |a| slots.push(a.block.header.slot))
        .expect("runs");
    assert_eq!(slots, mine[..1]);
    assert_eq!(
        clock.now(),
        mine[0],
        "the clock went no further than needed"
    );
    // A set stop flag ends the loop before any slot.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let before = node.best_hash();
    assert_eq!(node.run(&clock, &stop, None, |_| {}).unwrap(), 0);
    assert_eq!(node.best_hash(), before);
}
