//! Three nodes of the `dev` chain on loopback, each with two of the six dev validators' keys,
//! author on a shared wall clock of short slots and exchange blocks over JAMNP-S (UP 0
//! announcements, CE 128 requests). The third starts late and catches up from its peers'
//! handshakes. At the end all three have the same best block and state root, and every
//! node's chain holds blocks of every node's authors.

mod support {
    pub mod clock;
}

use marmalade_authoring::trivial_seed;
use marmalade_network::NodeKey;
use marmalade_node::net::{BlockNet, NetConfig};
use marmalade_node::{dev_keys, Genesis, Node, SlotClock};
use marmalade_store::StateStore;
use marmalade_types::{ChainSpec, TimeSlot};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::clock::ShortSlots;

const TINY: ChainSpec = ChainSpec::TINY;
const SLOT_MS: u64 = 1000;
/// The last slot authored.
const LAST_SLOT: TimeSlot = 10;
/// The slot at which the third node starts.
const LATE_START: TimeSlot = 5;

struct Running {
    net: BlockNet,
    addr: SocketAddr,
    node: std::thread::JoinHandle<(Node, Vec<TimeSlot>)>,
}

fn start(
    rt: &tokio::runtime::Runtime,
    genesis: &Genesis,
    validators: [u32; 2],
    clock: Arc<ShortSlots>,
    stop: Arc<AtomicBool>,
) -> Running {
    let keys = validators.iter().map(|&i| dev_keys(i)).collect();
    let mut node = Node::new(TINY, genesis, keys, 3).expect("node");
    let config = NetConfig::loopback(
        NodeKey::from_validator_seed(&trivial_seed(validators[0])),
        genesis.header.hash(),
    );
    let net = {
        let _rt = rt.enter();
        BlockNet::start(config, Arc::new(node.importer()), None).expect("listens")
    };
    let addr = net.network().local_addr().expect("bound");
    let announcer = net.clone();
    let thread = std::thread::spawn(move || {
        let mut authored = Vec::new();
        node.run(&*clock, &stop, None, |a| {
            authored.push(a.block.header.slot);
            announcer.announce(&a.block);
        })
        .expect("the loop runs");
        (node, authored)
    });
    Running {
        net,
        addr,
        node: thread,
    }
}

fn connect(a: &Running, b: &Running) {
    a.net.keep_connected(b.net.network().key(), b.addr);
    b.net.keep_connected(a.net.network().key(), a.addr);
}

#[test]
fn three_nodes_converge_and_a_late_node_catches_up() {
    let (genesis, params) = Genesis::dev().expect("dev chain");
    assert_eq!(params, TINY);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The ring's setup, once per process, before the clock runs (as `marmalade run` does).
    marmalade_crypto::bandersnatch::prepare_ring(TINY.validators).expect("ring");
    let clock = Arc::new(ShortSlots {
        slot_ms: SLOT_MS,
        last: LAST_SLOT,
        start: Instant::now() + Duration::from_secs(4),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let a = start(&rt, &genesis, [0, 1], clock.clone(), stop.clone());
    let b = start(&rt, &genesis, [2, 3], clock.clone(), stop.clone());
    connect(&a, &b);
    while clock.now() < LATE_START {
        std::thread::sleep(Duration::from_millis(20));
    }
    let c = start(&rt, &genesis, [4, 5], clock.clone(), stop.clone());
    connect(&a, &c);
    connect(&b, &c);

    let mut nodes = Vec::new();
    let mut nets = Vec::new();
    for r in [a, b, c] {
        let (node, authored) = r.node.join().expect("node thread");
        nodes.push((node, authored));
        nets.push(r.net);
    }
    // The last block may still be on its way: wait for the bests to agree.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let bests: BTreeSet<_> = nodes.iter().map(|(n, _)| n.best_hash()).collect();
        if bests.len() == 1 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let best = nodes[0].0.best_hash().expect("a best block");
    let root = |n: &Node| n.read_chain(|c| c.state_root(&best).expect("store"));
    for (i, (n, authored)) in nodes.iter().enumerate() {
        assert_eq!(n.best_hash(), Some(best), "node {i} has another best block");
        assert!(root(n).is_some(), "node {i} lacks the best state");
        assert!(!authored.is_empty(), "node {i} authored nothing");
    }
    assert_eq!(root(&nodes[0].0), root(&nodes[1].0));
    assert_eq!(root(&nodes[0].0), root(&nodes[2].0));
    // The best chain runs back to genesis through blocks of all three nodes: the late node
    // has the blocks authored before it started.
    let slots: Vec<TimeSlot> = nodes[2].0.read_chain(|c| {
        c.store()
            .ancestry(&best, 64)
            .expect("ancestry")
            .into_iter()
            .map(|(slot, _)| slot)
            .collect()
    });
    for (i, (_, authored)) in nodes.iter().enumerate() {
        assert!(
            authored.iter().any(|s| slots.contains(s)),
            "no block of node {i} on the late node's best chain: {slots:?} vs {authored:?}"
        );
    }
    assert!(
        slots.iter().any(|&s| s > 0 && s < LATE_START),
        "the late node's best chain lacks the blocks before it started: {slots:?}"
    );
    assert!(nodes[2].0.best_slot().expect("best") >= LAST_SLOT - 1);
    rt.block_on(async {
        for n in &nets {
            n.close().await;
        }
    });
}
