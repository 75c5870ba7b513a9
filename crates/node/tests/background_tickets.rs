//! Ring proofs off the authoring thread: with background tickets
//! ([`Node::set_background_tickets`]) the loop authors every slot of a short-slot wall clock
//! while the six dev keys' 18 ring proofs are made (seconds: on the authoring thread they
//! hold the loop up for many slots), and the proofs still reach the pool.

mod support {
    pub mod clock;
}

use marmalade_authoring::dev_key_set;
use marmalade_node::{Genesis, Node};
use marmalade_types::{ChainSpec, TimeSlot};
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use support::clock::ShortSlots;

const TINY: ChainSpec = ChainSpec::TINY;
const SLOT_MS: u64 = 300;
/// The last slot authored: into the second epoch (E = 12).
const LAST_SLOT: TimeSlot = 20;

#[test]
fn proofs_in_the_background_hold_up_no_slot() {
    let (genesis, params) = Genesis::dev().expect("the dev chain");
    assert_eq!(params, TINY);
    let mut node = Node::new(TINY, &genesis, dev_key_set(TINY.validators), 3).expect("node");
    node.set_background_tickets(true);
    let clock = ShortSlots {
        slot_ms: SLOT_MS,
        last: LAST_SLOT,
        start: Instant::now(),
    };
    let stop = AtomicBool::new(false);
    let mut slots = Vec::new();
    node.run(&clock, &stop, None, |a| slots.push(a.block.header.slot))
        .expect("the loop runs");
    // With all six keys every slot is ours: a slot is missed only if the loop was held up
    // past it. Proving 18 tickets on the authoring thread takes seconds (≥ 7 slots here).
    assert!(slots.len() >= 2, "authored {slots:?}");
    let most_missed = slots.windows(2).map(|w| w[1] - w[0] - 1).max();
    assert!(
        most_missed <= Some(2),
        "the loop was held up: authored slots {slots:?}"
    );
    // The proofs were made all the same, and pooled for the chain's entropy.
    node.wait_for_tickets();
    assert!(
        node.pools().sizes().tickets > 0,
        "no tickets reached the pool"
    );
}
