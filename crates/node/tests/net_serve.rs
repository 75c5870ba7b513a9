//! The request protocols of `net_serve` between two nodes on loopback: CE 143 (preimages
//! from state and pool), CE 129 (state ranges), CE 136 (pooled reports) and CE 142 (an
//! awaited preimage fetched from the announcer into the pool). Expected answers come from
//! the genesis the test builds, not from the code under test.

use marmalade_authoring::trivial_seed;
use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_jamnp::{
    BoundaryNodes, KeyValue, KeyValues, Message, PreimageAnnouncement, PreimageRequest,
    StateRequest, WorkReportRequest,
};
use marmalade_network::{Network, NodeKey, PeerId};
use marmalade_node::net::{BlockNet, NetConfig};
use marmalade_node::net_serve::{
    CE_PREIMAGE_ANNOUNCEMENT, CE_PREIMAGE_REQUEST, CE_STATE_REQUEST, CE_WORK_REPORT_REQUEST,
};
use marmalade_node::{dev_keys, Genesis, Node};
use marmalade_state::account::encode_timeslots;
use marmalade_state::{lookup_key, ServiceItems, StateReader};
use marmalade_types::{ChainSpec, ReportGuarantee, WorkReport};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TINY: ChainSpec = ChainSpec::TINY;

fn net(rt: &tokio::runtime::Runtime, genesis: &Genesis, node: &Node, seed: u32) -> BlockNet {
    let config = NetConfig::loopback(
        NodeKey::from_validator_seed(&trivial_seed(seed)),
        genesis.header.hash(),
    );
    let _rt = rt.enter();
    let net = BlockNet::start(config, Arc::new(node.importer()), None).expect("listens");
    node.attach_serve_net(&net).expect("attaches");
    net
}

fn settle(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ask(
    rt: &tokio::runtime::Runtime,
    from: &Network,
    to: &PeerId,
    kind: u8,
    message: Vec<u8>,
) -> Option<Vec<Vec<u8>>> {
    rt.block_on(from.request(to, kind, &[message])).ok()
}

/// The boundary nodes hold together: the first is the root node (its hash the chain's
/// state root), each other node's hash is a child of an earlier one, and the paths end at the
/// leaves of `leaves` (keys present in the state).
fn check_boundary(nodes: &BoundaryNodes, root: &[u8; 32], leaves: &[&[u8; 31]]) {
    let first = nodes.0.first().expect("a root node");
    assert_eq!(&blake2b_256(first), root);
    for (i, n) in nodes.0.iter().enumerate().skip(1) {
        let h = blake2b_256(n);
        let child = nodes.0[..i].iter().any(|p| {
            // A branch's left hash has its first bit replaced by the branch marker.
            p[0] & 0x80 == 0 && (p[32..] == h[..] || (p[1..32] == h[1..] && p[0] == h[0] & 0x7f))
        });
        assert!(child, "node {i} is no child of an earlier node");
    }
    for key in leaves {
        assert!(
            nodes
                .0
                .iter()
                .any(|n| n[0] & 0x80 != 0 && n[1..32] == key[..]),
            "the leaf of a boundary key"
        );
    }
}

#[test]
fn serves_state_reports_and_preimages() {
    let (mut genesis, _) = Genesis::dev().expect("dev chain");
    let base = Node::new(TINY, &genesis, vec![dev_keys(0)], 3).expect("node");
    let gh = genesis.header.hash();
    let state0 = base
        .read_chain(|c| c.state(&gh))
        .expect("reads")
        .expect("genesis state");
    let service = *state0.accounts.keys().next().expect("a genesis service");
    let code_hash = state0.service_info(service).expect("info").code_hash;
    let code = state0
        .preimage(service, &code_hash)
        .expect("the service's code is in state")
        .to_vec();
    // A preimage the service awaits: its lookup entry exists and is empty (GP (12.37)).
    let blob = b"an awaited preimage".to_vec();
    let blob_hash = blake2b_256(&blob);
    let len = blob.len() as u32;
    genesis
        .state
        .push((lookup_key(service, &blob_hash, len), encode_timeslots(&[])));
    genesis.state.sort_by_key(|(k, _)| *k);

    let a = Node::new(TINY, &genesis, vec![dev_keys(0)], 3).expect("node");
    let b = Node::new(TINY, &genesis, vec![dev_keys(1)], 3).expect("node");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let an = net(&rt, &genesis, &a, 0);
    let bn = net(&rt, &genesis, &b, 1);
    let addr = |n: &BlockNet| n.network().local_addr().expect("bound");
    an.keep_connected(bn.network().key(), addr(&bn));
    bn.keep_connected(an.network().key(), addr(&an));
    settle("connection", || {
        an.peer_count() == 1 && bn.peer_count() == 1
    });
    let a_key = an.network().key();
    let b_key = bn.network().key();
    let bnet = bn.network().clone();

    // CE 143 from the best state's accounts.
    let reply = ask(
        &rt,
        &bnet,
        &a_key,
        CE_PREIMAGE_REQUEST,
        PreimageRequest(code_hash).to_bytes(),
    );
    assert_eq!(reply, Some(vec![code.clone()]));
    // Not held: reset.
    assert_eq!(
        ask(
            &rt,
            &bnet,
            &a_key,
            CE_PREIMAGE_REQUEST,
            PreimageRequest(blob_hash).to_bytes()
        ),
        None
    );
    // Malformed (not a hash): reset.
    assert_eq!(
        ask(&rt, &bnet, &a_key, CE_PREIMAGE_REQUEST, vec![1, 2, 3]),
        None
    );
    // From the pool.
    let a_state = a
        .read_chain(|c| c.state(&gh))
        .expect("reads")
        .expect("state");
    a.pools()
        .submit_preimage(&*a_state, service, blob.clone())
        .expect("awaited");
    assert_eq!(
        ask(
            &rt,
            &bnet,
            &a_key,
            CE_PREIMAGE_REQUEST,
            PreimageRequest(blob_hash).to_bytes()
        ),
        Some(vec![blob.clone()])
    );

    // CE 129: the whole genesis state, then a size-bounded prefix, then one key.
    let expected: Vec<KeyValue> = genesis
        .state
        .iter()
        .map(|(k, v)| KeyValue {
            key: *k,
            value: v.clone(),
        })
        .collect();
    let whole = StateRequest {
        header_hash: gh,
        start: [0; 31],
        end: [0xff; 31],
        max_size: 1 << 22,
    };
    let root = a
        .read_chain(|c| c.state_root(&gh))
        .expect("reads")
        .expect("genesis root");
    let reply = ask(&rt, &bnet, &a_key, CE_STATE_REQUEST, whole.to_bytes()).expect("answered");
    assert_eq!(reply.len(), 2);
    let nodes = BoundaryNodes::from_bytes(&reply[0], &TINY).expect("decodes");
    check_boundary(
        &nodes,
        &root,
        &[&expected[0].key, &expected[expected.len() - 1].key],
    );
    let kvs = KeyValues::from_bytes(&reply[1], &TINY).expect("decodes");
    assert_eq!(kvs.0, expected);
    let tiny = StateRequest {
        max_size: 1,
        ..whole
    };
    let reply = ask(&rt, &bnet, &a_key, CE_STATE_REQUEST, tiny.to_bytes()).expect("answered");
    let kvs = KeyValues::from_bytes(&reply[1], &TINY).expect("decodes");
    assert_eq!(
        kvs.0,
        expected[..1],
        "one pair even beyond the maximum size"
    );
    let third = expected[2].key;
    let one = StateRequest {
        start: third,
        end: third,
        ..whole
    };
    let reply = ask(&rt, &bnet, &a_key, CE_STATE_REQUEST, one.to_bytes()).expect("answered");
    let nodes = BoundaryNodes::from_bytes(&reply[0], &TINY).expect("decodes");
    check_boundary(&nodes, &root, &[&third]);
    let kvs = KeyValues::from_bytes(&reply[1], &TINY).expect("decodes");
    assert_eq!(kvs.0, expected[2..3]);
    // A start key absent from the state: no pairs, and the path to where it would be, which
    // ends at a branch or at the leaf of another key.
    let mut absent = third;
    absent[30] ^= 1;
    assert!(expected.iter().all(|kv| kv.key != absent));
    let missing = StateRequest {
        start: absent,
        end: absent,
        ..whole
    };
    let missing_reply =
        ask(&rt, &bnet, &a_key, CE_STATE_REQUEST, missing.to_bytes()).expect("answered");
    let missing_nodes = BoundaryNodes::from_bytes(&missing_reply[0], &TINY).expect("decodes");
    check_boundary(&missing_nodes, &root, &[]);
    assert!(missing_nodes.0.iter().all(|n| n[1..32] != absent[..]));
    assert!(KeyValues::from_bytes(&missing_reply[1], &TINY)
        .expect("decodes")
        .0
        .is_empty());
    // A size bound that leaves room for the boundary nodes and a few pairs only.
    let some = StateRequest {
        max_size: (reply[0].len() * 2 + 200) as u32,
        ..whole
    };
    let reply = ask(&rt, &bnet, &a_key, CE_STATE_REQUEST, some.to_bytes()).expect("answered");
    let total = reply[0].len() + reply[1].len();
    assert!(total <= some.max_size as usize, "{total} octets");
    let kvs = KeyValues::from_bytes(&reply[1], &TINY).expect("decodes");
    assert!(!kvs.0.is_empty() && kvs.0.len() < expected.len());
    assert_eq!(kvs.0, expected[..kvs.0.len()]);
    let unknown = StateRequest {
        header_hash: [7; 32],
        ..whole
    };
    assert_eq!(
        ask(&rt, &bnet, &a_key, CE_STATE_REQUEST, unknown.to_bytes()),
        None
    );

    // CE 136: a pooled guarantee's report.
    let report = WorkReport {
        core_index: 1,
        ..WorkReport::default()
    };
    let report_hash = blake2b_256(&report.encode());
    assert_eq!(
        ask(
            &rt,
            &bnet,
            &a_key,
            CE_WORK_REPORT_REQUEST,
            WorkReportRequest(report_hash).to_bytes()
        ),
        None
    );
    a.pools()
        .add_guarantee(ReportGuarantee {
            report: report.clone(),
            slot: 0,
            signatures: Vec::new(),
        })
        .expect("pooled");
    let reply = ask(
        &rt,
        &bnet,
        &a_key,
        CE_WORK_REPORT_REQUEST,
        WorkReportRequest(report_hash).to_bytes(),
    )
    .expect("answered");
    assert_eq!(reply, vec![report.encode()]);

    // CE 142: A announces the awaited preimage to B, which fetches it into its pool.
    assert!(!b.pools().has_preimage(service, &blob_hash));
    let announcement = PreimageAnnouncement {
        service_id: service,
        hash: blob_hash,
        length: len,
    };
    let reply = ask(
        &rt,
        an.network(),
        &b_key,
        CE_PREIMAGE_ANNOUNCEMENT,
        announcement.to_bytes(),
    );
    assert_eq!(reply, Some(vec![]));
    settle("the announced preimage", || {
        b.pools().has_preimage(service, &blob_hash)
    });
    assert_eq!(b.pools().preimage(&blob_hash), Some(blob));
    // An announcement of what no service awaits fetches nothing.
    let other = PreimageAnnouncement {
        hash: [9; 32],
        ..announcement
    };
    assert_eq!(
        ask(
            &rt,
            an.network(),
            &b_key,
            CE_PREIMAGE_ANNOUNCEMENT,
            other.to_bytes()
        ),
        Some(vec![])
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(b.pools().sizes().preimages, 1);

    rt.block_on(async {
        an.close().await;
        bn.close().await;
    });
}
