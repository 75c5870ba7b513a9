//! The in-core path over JAMNP-S between six in-process validator nodes on loopback, one dev
//! key each, on the `storage` trace's genesis (as `tests/work.rs`, whose bootstrap service 0
//! refines a payload and accumulates `0x16 0x00 n ++ h_1 … h_n` by writing each hash under
//! itself):
//!
//! - a package submitted with CE 133 to a validator not assigned to its core is refused, a
//!   malformed submission (or CE 134, 135, 137, 141 message) is reset, and one to an
//!   assigned validator is taken;
//! - that guarantor shares the bundle with the core's other guarantors (CE 134), who refine it
//!   and sign, and distributes the guarantee of two or three credentials to every node
//!   (CE 135), which fetch their shards from it (CE 137);
//! - the block carrying the guarantee has credentials of distinct nodes (one key per node),
//!   the nodes assure it (CE 141) and the next block carries assurances of other nodes than
//!   its author, enough to make the report available: it is accumulated there (ξ and the
//!   service's storage).
//!
//! Blocks are authored by the test, slot by slot, by whichever node's key may seal the slot,
//! and travel over UP 0 / CE 128.

mod support {
    pub mod work;
}

use marmalade_authoring::trivial_seed;
use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_jamnp::work::WorkPackageSubmission;
use marmalade_jamnp::Message;
use marmalade_network::NodeKey;
use marmalade_node::net::{BlockNet, NetConfig};
use marmalade_node::net_work::{
    CE_ASSURANCE_DISTRIBUTION, CE_SHARD_DISTRIBUTION, CE_WORK_PACKAGE_SHARING,
    CE_WORK_PACKAGE_SUBMISSION, CE_WORK_REPORT_DISTRIBUTION,
};
use marmalade_node::{dev_keys, genesis_chain, Genesis, Node};
use marmalade_state::StateReader;
use marmalade_stf::reports::guarantors::GuarantorAssignments;
use marmalade_stf::safrole;
use marmalade_types::CoreIndex;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::work::{SERVICE, SPEC};

/// How long any one step may take.
const STEP: Duration = Duration::from_secs(30);

struct Running {
    node: Node,
    net: BlockNet,
    addr: SocketAddr,
}

fn start(rt: &tokio::runtime::Runtime, genesis: &Genesis, v: u32) -> Running {
    let chain = genesis_chain(SPEC, genesis, marmalade_chain::FixedDepth(3)).expect("genesis");
    let mut node = Node::with_chain(chain, vec![dev_keys(v)]);
    node.start_guarantor().expect("guarantor");
    let config = NetConfig::loopback(
        NodeKey::from_validator_seed(&trivial_seed(v)),
        genesis.header.hash(),
    );
    let net = {
        let _rt = rt.enter();
        BlockNet::start(config, Arc::new(node.importer()), None).expect("listens")
    };
    node.attach_work_net(&net).expect("attaches");
    let addr = net.network().local_addr().expect("bound");
    Running { node, net, addr }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < STEP, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn package_submitted_over_ce133_is_guaranteed_assured_and_accumulated_across_nodes() {
    let genesis = support::work::storage_genesis();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut nodes: Vec<Running> = (0..SPEC.validators as u32)
        .map(|v| start(&rt, &genesis, v))
        .collect();
    for a in 0..nodes.len() {
        for b in a + 1..nodes.len() {
            let (na, nb) = (&nodes[a], &nodes[b]);
            na.net.keep_connected(nb.net.network().key(), nb.addr);
            nb.net.keep_connected(na.net.network().key(), na.addr);
        }
    }
    wait_for("a full mesh", || {
        nodes
            .iter()
            .all(|n| n.net.network().peers().len() == SPEC.validators - 1)
    });

    // The genesis state, and the guarantor assignment of the slot after it as the GP
    // defines it (GP (11.19)–(11.21)): made here from the STF's pieces.
    let (head, state, root) = support::work::head_state(&nodes[0].node);
    let c = state.components();
    // Each node's endpoint key is its validator's Ed25519 key: that is how co-guarantors
    // and assurers are found.
    for (v, n) in nodes.iter().enumerate() {
        assert_eq!(n.net.network().key(), c.kappa[v].ed25519, "node {v}'s key");
    }
    let slot = c.tau + 1;
    let rotation = safrole::rotate(&SPEC, &safrole::Prior::of(c, &c.psi.offenders), slot);
    let m =
        GuarantorAssignments::current(&SPEC, &rotation.eta, slot, rotation.kappa, &c.psi.offenders);
    // Core 1: its shards are rotated (JAMNP-S "Shard assignment", i = (cR + v) mod V).
    let core: CoreIndex = 1;
    let assigned: Vec<usize> = (0..SPEC.validators)
        .filter(|&v| m.get(v).is_some_and(|(k, _)| k == core))
        .collect();
    assert!(
        assigned.len() >= 2,
        "core {core} has guarantors: {assigned:?}"
    );
    let guarantor = assigned[0];
    let outsider = (0..SPEC.validators)
        .find(|v| !assigned.contains(v))
        .expect("a validator of another core");

    // The package, as in tests/work.rs: one item for service 0 writing `key`.
    let key = blake2b_256(b"node work path over the network");
    let package = support::work::storage_write_package(&state, root, head, core, key);
    let package_hash = blake2b_256(&package.encode());
    let submission = WorkPackageSubmission {
        core_index: core,
        package,
    }
    .to_bytes();

    // CE 133, from a node acting as builder.
    let builder = nodes[(guarantor + 1) % SPEC.validators]
        .net
        .network()
        .clone();
    let submit = |to: usize, messages: Vec<Vec<u8>>| {
        let peer = nodes[to].net.network().key();
        let builder = builder.clone();
        rt.block_on(async move {
            builder
                .request(&peer, CE_WORK_PACKAGE_SUBMISSION, &messages)
                .await
        })
    };
    if outsider != (guarantor + 1) % SPEC.validators {
        assert!(
            submit(outsider, vec![submission.clone(), Vec::new()]).is_err(),
            "an unassigned validator refuses the package"
        );
    }
    assert!(
        submit(guarantor, vec![vec![0xff; 7], Vec::new()]).is_err(),
        "a malformed submission is reset"
    );
    // Input that does not decode resets the stream of every in-core kind.
    for kind in [
        CE_WORK_PACKAGE_SHARING,
        CE_WORK_REPORT_DISTRIBUTION,
        CE_SHARD_DISTRIBUTION,
        CE_ASSURANCE_DISTRIBUTION,
    ] {
        let peer = nodes[guarantor].net.network().key();
        let r = rt.block_on(builder.request(&peer, kind, &[vec![0xff; 7]]));
        assert!(r.is_err(), "CE {kind}: garbage is reset");
    }
    let taken = submit(guarantor, vec![submission, Vec::new()]).expect("taken");
    assert!(taken.is_empty(), "CE 133 has no response");

    // The guarantee reaches every node (CE 134 and CE 135 on the way).
    wait_for("the guarantee in every pool", || {
        nodes.iter().all(|n| n.node.pools().sizes().guarantees == 1)
    });

    // Slot by slot: whoever may seal authors, and every node imports it.
    let mut next_slot = slot;
    let mut author = |nodes: &mut Vec<Running>| loop {
        let s = next_slot;
        next_slot += 1;
        let mut authored = None;
        for (i, n) in nodes.iter_mut().enumerate() {
            if let Some(a) = n.node.author(s).expect("authors") {
                assert!(!a.pool_items_dropped, "slot {s}: pooled items failed");
                n.net.announce(&a.block);
                authored = Some((i, a));
                break;
            }
        }
        let Some((i, a)) = authored else { continue };
        wait_for("every node importing the block", || {
            nodes.iter().all(|n| n.node.best_hash() == Some(a.hash))
        });
        return (i, a);
    };

    let (_, first) = author(&mut nodes);
    assert_eq!(first.block.extrinsic.guarantees.len(), 1, "guaranteed");
    let g = &first.block.extrinsic.guarantees[0];
    assert_eq!(g.report.package_spec.hash, package_hash);
    assert_eq!(g.report.core_index, core);
    let signers: BTreeSet<usize> = g
        .signatures
        .iter()
        .map(|s| usize::from(s.validator_index))
        .collect();
    assert!(
        signers.len() >= 2,
        "credentials of two distinct nodes: {signers:?}"
    );
    assert!(signers.contains(&guarantor));
    assert!(
        signers.iter().all(|v| assigned.contains(v)),
        "only the core's guarantors sign: {signers:?} vs {assigned:?}"
    );
    let post = nodes[0].node.rpc_backend();
    let read = |hash| {
        marmalade_rpc::RpcBackend::state(&*post, &hash)
            .expect("reads")
            .expect("state")
    };
    assert!(read(first.hash).components().rho[usize::from(core)].is_some());
    assert_eq!(read(first.hash).storage(SERVICE, &key), None);

    // Every node holds its shards and assures the block (CE 141): each pool gathers all.
    wait_for("every node's assurances in every pool", || {
        nodes
            .iter()
            .all(|n| n.node.pools().sizes().assurances == SPEC.validators)
    });
    let (author_node, second) = author(&mut nodes);
    let assurers: BTreeSet<usize> = second
        .block
        .extrinsic
        .assurances
        .iter()
        .map(|a| usize::from(a.validator_index))
        .collect();
    assert_eq!(assurers.len(), SPEC.validators, "everyone assured");
    assert!(assurers.iter().any(|&v| v != author_node));
    let post_state = read(second.hash);
    let c2 = post_state.components();
    assert!(c2.rho[usize::from(core)].is_none(), "available: left ρ");
    assert!(
        c2.xi.last().is_some_and(|x| x.contains(&package_hash)),
        "accumulated (ξ)"
    );
    assert_eq!(
        post_state.storage(SERVICE, &key),
        Some(&key[..]),
        "written by accumulate"
    );

    rt.block_on(async {
        for n in &nodes {
            n.net.close().await;
        }
    });
}
