//! Safrole tickets over JAMNP-S (CE 131/132, [`BlockNet::share_tickets`]): nodes of the `dev`
//! chain on loopback; the tickets one node pools reach the other's pool with the identifiers
//! their ring proofs give, and a ticket whose proof does not hold is not pooled there.

use marmalade_authoring::{make_tickets, trivial_seed, Ticket};
use marmalade_jamnp::Message;
use marmalade_network::NodeKey;
use marmalade_node::net::{BlockNet, NetConfig};
use marmalade_node::{dev_keys, Genesis, Node};
use marmalade_types::ChainSpec;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TINY: ChainSpec = ChainSpec::TINY;

fn start(rt: &tokio::runtime::Runtime, genesis: &Genesis, validator: u32) -> (Node, BlockNet) {
    let node = Node::new(TINY, genesis, vec![dev_keys(validator)], 3).expect("node");
    let config = NetConfig::loopback(
        NodeKey::from_validator_seed(&trivial_seed(validator)),
        genesis.header.hash(),
    );
    let net = {
        let _rt = rt.enter();
        BlockNet::start(config, Arc::new(node.importer()), None).expect("listens")
    };
    net.share_tickets(Arc::clone(node.pools()));
    (node, net)
}

fn pooled_ids(node: &Node) -> BTreeSet<[u8; 32]> {
    node.pools().tickets().iter().map(|(_, t)| t.id).collect()
}

#[test]
fn pooled_tickets_reach_a_peer_and_a_bad_proof_does_not() {
    let (genesis, _) = Genesis::dev().expect("dev chain");
    marmalade_crypto::bandersnatch::prepare_ring(TINY.validators).expect("ring");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (a, net_a) = start(&rt, &genesis, 0);
    let (b, net_b) = start(&rt, &genesis, 1);

    // Validator 0's tickets for a block in the genesis state's epoch, as its node makes them.
    let state = a.read_chain(|c| c.state(&c.best().expect("best")).expect("state"));
    let state = state.expect("genesis state");
    let tau = state.components.tau;
    let slot = tau + 1;
    assert_eq!(TINY.epoch_of(slot), TINY.epoch_of(tau));
    assert!(TINY.slot_phase(slot) < TINY.ticket_submission_end);
    let tickets = make_tickets(&TINY, &*state, slot, &dev_keys(0)).expect("tickets");
    assert_eq!(tickets.len(), TINY.tickets_per_validator as usize);
    let good: BTreeSet<[u8; 32]> = tickets.iter().map(|t| t.id).collect();
    // One more, its proof broken, under an identifier of its own.
    let mut forged = tickets[0].clone();
    forged.envelope.signature[40] ^= 1;
    forged.id = [0xee; 32];
    let entropy = state.components.eta[2];
    let mut all: Vec<Ticket> = tickets.clone();
    all.push(forged);
    a.pools().add_tickets(entropy, all).expect("pooled");
    assert!(pooled_ids(&b).is_empty());

    net_a.keep_connected(
        net_b.network().key(),
        net_b.network().local_addr().expect("b"),
    );
    net_b.keep_connected(
        net_a.network().key(),
        net_a.network().local_addr().expect("a"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while pooled_ids(&b).len() < good.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Time for the forged one to arrive too, were it accepted.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(pooled_ids(&b), good);
    // Pooled for the same entropy, so the next block's author can carry them.
    assert!(b.pools().tickets().iter().all(|(e, _)| *e == entropy));
    rt.block_on(async {
        net_a.close().await;
        net_b.close().await;
    });
}

/// CE 131: a ticket sent to its proxy is pooled there and goes on by CE 132 to the proxy's
/// other peers (here C, which is not connected to the ticket's sender A).
#[test]
fn a_proxy_forwards_a_ticket_to_its_other_peers() {
    let (genesis, _) = Genesis::dev().expect("dev chain");
    marmalade_crypto::bandersnatch::prepare_ring(TINY.validators).expect("ring");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (a, net_a) = start(&rt, &genesis, 0);
    let (b, net_b) = start(&rt, &genesis, 1);
    let (c, net_c) = start(&rt, &genesis, 2);
    let addr = |n: &BlockNet| n.network().local_addr().expect("bound");
    for (x, y) in [(&net_a, &net_b), (&net_b, &net_c)] {
        x.keep_connected(y.network().key(), addr(y));
        y.keep_connected(x.network().key(), addr(x));
    }
    let state = a.read_chain(|ch| ch.state(&ch.best().expect("best")).expect("state"));
    let state = state.expect("genesis state");
    let slot = state.components.tau + 1;
    let ticket = make_tickets(&TINY, &*state, slot, &dev_keys(0))
        .expect("tickets")
        .remove(0);
    let message = marmalade_jamnp::TicketDistribution {
        epoch_index: TINY.epoch_of(slot) + 1,
        ticket: ticket.envelope,
    }
    .to_bytes();
    let key_b = net_b.network().key();
    let deadline = Instant::now() + Duration::from_secs(60);
    let sent = rt.block_on(async {
        loop {
            match net_a
                .network()
                .request(
                    &key_b,
                    marmalade_node::net::CE_TICKET_TO_PROXY,
                    std::slice::from_ref(&message),
                )
                .await
            {
                Ok(_) => break true,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(_) => break false,
            }
        }
    });
    assert!(sent, "A could not reach B");
    let want = BTreeSet::from([ticket.id]);
    while pooled_ids(&c) != want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(pooled_ids(&b), want, "the proxy pooled it");
    assert_eq!(pooled_ids(&c), want, "the proxy forwarded it");
    assert!(
        net_c
            .network()
            .peers()
            .iter()
            .all(|p| p.key != net_a.network().key()),
        "C heard it from B, not A"
    );
    rt.block_on(async {
        net_a.close().await;
        net_b.close().await;
        net_c.close().await;
    });
}
