//! The node's pools in its blocks, on the `dev` chain with a request added to the genesis:
//! a preimage submitted through the RPC backend is included in the next authored block and
//! then provided in the state; an unsolicited one is refused; a pooled item that import
//! rejects is dropped and the block is authored without it.

use marmalade_codec::{decode_all, Encode, SeqLens};
use marmalade_crypto::hash::blake2b_256;
use marmalade_node::{dev_key_set, Genesis, Node, RpcBackend};
use marmalade_rpc::BackendError;
use marmalade_state::account::encode_timeslots;
use marmalade_state::{lookup_key, service_info_key};
use marmalade_types::{AvailAssurance, ServiceInfo};

/// The dev genesis service the test solicits for.
const SERVICE: u32 = 0;

/// The dev genesis with service 0 soliciting `blob`: the lookup entry
/// $(\mathcal{H}(\mathbf{i}), |\mathbf{i}|) \mapsto []$ (GP (9.3)) and the account's item
/// count and octets raised for it (GP (9.8): two items, $81 + z$ octets).
fn soliciting(blob: &[u8]) -> (Genesis, marmalade_types::ChainSpec) {
    let (mut genesis, spec) = Genesis::dev().expect("the dev chain");
    let info_key = service_info_key(SERVICE);
    let info = genesis
        .state
        .iter_mut()
        .find(|(k, _)| *k == info_key)
        .expect("the dev genesis has service 0");
    let mut a: ServiceInfo = decode_all(&info.1, SeqLens::TINY).expect("service info decodes");
    a.items += 2;
    a.bytes += 81 + blob.len() as u64;
    info.1 = a.encode();
    let len = u32::try_from(blob.len()).expect("small");
    genesis.state.push((
        lookup_key(SERVICE, &blake2b_256(blob), len),
        encode_timeslots(&[]),
    ));
    (genesis, spec)
}

#[test]
fn submitted_preimage_is_provided_by_the_next_block() {
    let blob = b"a preimage the dev service asked for".to_vec();
    let hash = blake2b_256(&blob);
    let (genesis, spec) = soliciting(&blob);
    marmalade_crypto::bandersnatch::prepare_ring(spec.validators).expect("ring");
    let mut node = Node::new(spec, &genesis, dev_key_set(spec.validators), 3).expect("node");
    let rpc = node.rpc_backend();
    let anchor = genesis.header.hash();

    // Not solicited: a different blob, or the right blob for another service.
    for (service, b) in [(SERVICE, b"something else".to_vec()), (7, blob.clone())] {
        match rpc.submit_preimage(service, b, anchor) {
            Err(BackendError::Rejected(_)) => {}
            other => panic!("service {service}: expected a rejection, got {other:?}"),
        }
    }
    rpc.submit_preimage(SERVICE, blob.clone(), anchor)
        .expect("solicited: pooled");
    assert!(
        matches!(
            rpc.submit_preimage(SERVICE, blob.clone(), anchor),
            Err(BackendError::Rejected(_))
        ),
        "a duplicate is refused"
    );

    let a = node.author(1).expect("authors").expect("all keys: ours");
    let provided = &a.block.extrinsic.preimages;
    assert_eq!(provided.len(), 1);
    assert_eq!((provided[0].requester, &provided[0].blob), (SERVICE, &blob));
    assert!(!a.pool_items_dropped);
    let state = rpc
        .state(&a.hash)
        .expect("reads")
        .expect("the block's state");
    assert_eq!(state.preimage(SERVICE, &hash), Some(&blob[..]));
    let len = blob.len() as u32;
    assert_eq!(
        state.request(SERVICE, &hash, len),
        Some(vec![1]),
        "provided at the block's slot (GP (12.38))"
    );
    assert_eq!(node.pools().sizes().preimages, 0, "the pool gave it up");
    // Provided now: a second submission is no longer awaited.
    assert!(matches!(
        rpc.submit_preimage(SERVICE, blob.clone(), a.hash),
        Err(BackendError::Rejected(_))
    ));
    let b = node.author(2).expect("authors").expect("ours");
    assert!(b.block.extrinsic.preimages.is_empty());
}

#[test]
fn a_pooled_item_import_rejects_is_dropped() {
    let (genesis, spec) = Genesis::dev().expect("the dev chain");
    marmalade_crypto::bandersnatch::prepare_ring(spec.validators).expect("ring");
    let mut node = Node::new(spec, &genesis, dev_key_set(spec.validators), 3).expect("node");
    // Anchored on the parent, assuring no core (so the pool's own checks pass), but its
    // signature is not validator 0's (GP (11.13)): only import finds it out.
    let bad = AvailAssurance {
        anchor: genesis.header.hash(),
        bitfield: vec![0; spec.cores.div_ceil(8)],
        validator_index: 0,
        signature: [7; 64],
    };
    node.pools().add_assurance(bad).expect("pooled");
    assert_eq!(node.pools().sizes().assurances, 1);
    let a = node.author(1).expect("authors despite it").expect("ours");
    assert!(
        a.pool_items_dropped,
        "the first block carried it and failed"
    );
    assert!(a.block.extrinsic.assurances.is_empty());
    assert_eq!(
        node.pools().sizes().assurances,
        0,
        "dropped, not retried forever"
    );
    assert_eq!(node.best_hash(), Some(a.hash));
}

/// What can never go into a block on the parent is dropped by [`Pools::take`], not kept:
/// a guarantee anchored outside recent history (GP (11.33)), an assurance anchored elsewhere
/// than the parent (GP (11.11)) or assuring a core without a pending report (GP (11.15)),
/// and disputes that do not verify (GP section 10).
#[test]
fn take_drops_what_can_never_go_in() {
    use marmalade_node::Pools;
    use marmalade_types::{DisputesExtrinsic, ReportGuarantee, Verdict};
    let (genesis, spec) = Genesis::dev().expect("the dev chain");
    let parent = genesis.header.hash();
    let node = Node::new(spec, &genesis, Vec::new(), 3).expect("node");
    let state = node
        .read_chain(|c| c.state(&parent))
        .expect("reads")
        .expect("the genesis state");
    let pools = Pools::default();
    pools
        .add_guarantee(ReportGuarantee {
            slot: 1,
            ..Default::default()
        })
        .expect("pooled");
    let assurance = |anchor, bitfield: Vec<u8>, validator_index| AvailAssurance {
        anchor,
        bitfield,
        validator_index,
        signature: [0; 64],
    };
    let width = spec.cores.div_ceil(8);
    pools
        .add_assurance(assurance([9; 32], vec![0; width], 0))
        .expect("pooled");
    let mut core0 = vec![0; width];
    core0[0] = 1;
    pools
        .add_assurance(assurance(parent, core0, 1))
        .expect("pooled");
    pools
        .add_disputes(DisputesExtrinsic {
            verdicts: vec![Verdict::default()],
            ..Default::default()
        })
        .expect("pooled");
    let sizes = pools.sizes();
    assert_eq!(
        (sizes.guarantees, sizes.assurances, sizes.disputes),
        (1, 2, 1)
    );
    assert!(
        pools.add_guarantee(ReportGuarantee {
            slot: 1,
            ..Default::default()
        }) == Err(marmalade_node::PoolError::Duplicate),
        "a guarantee of the same report is a duplicate"
    );

    assert!(
        state.components.rho.iter().all(Option::is_none),
        "no pending reports"
    );
    let x = pools.take(&spec, &*state, &parent, 1);
    assert!(x.guarantees.is_empty() && x.assurances.is_empty());
    assert_eq!(x.disputes, DisputesExtrinsic::default());
    assert_eq!(pools.sizes(), Default::default(), "all dropped");
}
