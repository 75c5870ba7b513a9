//! A node one block behind its peer fetches that block alone (CE 128), not the peer's whole
//! recent chain: the octets the peer sends for it, beyond what a connection to an
//! up-to-date node costs, stay below the size of the block's ancestors.

use marmalade_authoring::trivial_seed;
use marmalade_jamnp::{BlockResponse, Message};
use marmalade_network::NodeKey;
use marmalade_node::net::{BlockNet, NetConfig};
use marmalade_node::{dev_key_set, dev_keys, Genesis, Node};
use marmalade_types::{Block, ChainSpec};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TINY: ChainSpec = ChainSpec::TINY;

fn net(rt: &tokio::runtime::Runtime, genesis: &Genesis, node: &Node, seed: u32) -> BlockNet {
    let config = NetConfig::loopback(
        NodeKey::from_validator_seed(&trivial_seed(seed)),
        genesis.header.hash(),
    );
    let _rt = rt.enter();
    BlockNet::start(config, Arc::new(node.importer()), None).expect("listens")
}

fn connect(a: &BlockNet, b: &BlockNet) {
    let addr = |n: &BlockNet| n.network().local_addr().expect("bound");
    a.keep_connected(b.network().key(), addr(b));
    b.keep_connected(a.network().key(), addr(a));
}

/// Waits until `cond`, then a little more for the last packets and acknowledgements.
fn settle(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
}

fn size(b: &Block) -> u64 {
    BlockResponse {
        blocks: vec![b.clone()],
    }
    .to_bytes()
    .len() as u64
}

#[test]
fn one_block_behind_fetches_one_block() {
    let (genesis, _) = Genesis::dev().expect("dev chain");
    marmalade_crypto::bandersnatch::prepare_ring(TINY.validators).expect("ring");
    // A chain of 12 blocks by a node holding every key, in epochs' tails (slots of phase
    // 10 and 11, after the submission period: no ring proofs to make).
    const { assert!(TINY.ticket_submission_end <= 10 && TINY.epoch_length == 12) };
    let mut a = Node::new(TINY, &genesis, dev_key_set(TINY.validators), 3).expect("node");
    let first = TINY.epoch_of(a.best_slot().expect("slot")) + 1;
    let mut blocks = Vec::new();
    for k in 0..6 {
        for phase in [10, 11] {
            let slot = (first + k) * TINY.epoch_length + phase;
            let authored = a.author(slot).expect("authors").expect("a key may seal");
            blocks.push(authored.block);
        }
    }
    let last = blocks.last().expect("blocks").clone();
    let last_hash = last.header.hash();
    // B has all but the last; C has all.
    let b = Node::new(TINY, &genesis, vec![dev_keys(1)], 3).expect("node");
    let c = Node::new(TINY, &genesis, vec![dev_keys(2)], 3).expect("node");
    for blk in &blocks[..blocks.len() - 1] {
        b.importer().import(blk).expect("imports");
    }
    for blk in &blocks {
        c.importer().import(blk).expect("imports");
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (net_a, net_b, net_c) = (
        net(&rt, &genesis, &a, 0),
        net(&rt, &genesis, &b, 1),
        net(&rt, &genesis, &c, 2),
    );
    for blk in &blocks {
        net_a.announce(blk); // no peers yet: kept to serve
    }
    // What A sends to a peer that needs nothing: the QUIC and UP 0 handshakes.
    connect(&net_a, &net_c);
    settle("C's UP 0", || net_a.peer_count() == 1);
    let idle = net_a.network().bytes_sent();
    // What A sends to B, which lacks the last block and fetches it on A's handshake.
    connect(&net_a, &net_b);
    settle("B to import the last block", || {
        b.best_hash() == Some(last_hash)
    });
    let for_b = net_a.network().bytes_sent() - idle;
    let ancestors: u64 = blocks[..blocks.len() - 1].iter().map(size).sum();
    eprintln!(
        "A sent {idle} octets to C (up to date), {for_b} to B (one behind); the last block is \
         {} octets, its ancestors {ancestors}",
        size(&last)
    );
    assert!(
        for_b < idle + size(&last) + ancestors / 2,
        "B got more than the block it lacked: {for_b} octets against {idle} for C, the block \
         {} and its ancestors {ancestors}",
        size(&last)
    );
    rt.block_on(async {
        for n in [&net_a, &net_b, &net_c] {
            n.close().await;
        }
    });
}
