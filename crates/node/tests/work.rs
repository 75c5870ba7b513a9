//! A work package submitted to the node over its RPC backend goes all the way: the node's
//! guarantor worker refines it and the local validators assigned to its core sign it, the
//! next block carries the guarantee (the report is then pending on the core, ρ), the block
//! after carries the six local validators' assurances, and the report becomes available and
//! is accumulated there: the service's storage holds what its accumulate makes of the
//! output.
//!
//! The chain is the `storage` trace's genesis, whose validators hold the JIP-5 development
//! keys and whose bootstrap service (service 0) refines a payload into `0x01 ++ payload` and
//! accumulates `0x16 0x00 n ++ h_1 … h_n` by writing each hash under itself (as
//! `crates/marmalade/tests/in_core.rs` reads them off the trace).

mod support {
    pub mod work;
}

use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_node::{dev_key_set, genesis_chain, Node, RpcBackend};
use marmalade_rpc::BackendError;
use marmalade_state::StateReader;
use std::time::{Duration, Instant};
use support::work::{SERVICE, SPEC};

#[test]
fn submitted_package_is_guaranteed_assured_and_accumulated() {
    let genesis = support::work::storage_genesis();
    let chain = genesis_chain(SPEC, &genesis, marmalade_chain::FixedDepth(3)).expect("genesis");
    let mut node = Node::with_chain(chain, dev_key_set(SPEC.validators));
    let rpc = node.rpc_backend();
    assert!(
        matches!(
            rpc.submit_work_package(0, Vec::new(), Vec::new()),
            Err(BackendError::NotSupported(_))
        ),
        "no guarantor yet"
    );
    node.start_guarantor().expect("starts");
    let rpc = node.rpc_backend();

    // The package: one item for the bootstrap service writing `key`, the genesis's null
    // authorizer of core 0, its context anchored on the head (GP (11.33)–(11.35)).
    let (head, state, root) = support::work::head_state(&node);
    let c = state.components();
    let key = blake2b_256(b"node work path");
    let package = support::work::storage_write_package(&state, root, head, 0, key);
    let package_hash = blake2b_256(&package.encode());
    assert!(matches!(
        rpc.submit_work_package(0, vec![1, 2, 3], Vec::new()),
        Err(BackendError::Rejected(_))
    ));
    assert!(matches!(
        rpc.submit_work_package(SPEC.cores as u16, package.encode(), Vec::new()),
        Err(BackendError::Rejected(_))
    ));
    rpc.submit_work_package(0, package.encode(), Vec::new())
        .expect("queued");

    // The worker refines off the chain's lock; wait for its guarantee.
    let start = Instant::now();
    while node.pools().sizes().guarantees == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no guarantee made"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut slot = c.tau + 1;
    let a = node.author(slot).expect("authors").expect("all keys: ours");
    assert!(!a.pool_items_dropped);
    assert_eq!(a.block.extrinsic.guarantees.len(), 1, "guaranteed");
    let g = &a.block.extrinsic.guarantees[0];
    assert_eq!(g.report.package_spec.hash, package_hash);
    assert!((2..=3).contains(&g.signatures.len()));
    let post = rpc.state(&a.hash).expect("reads").expect("state");
    assert!(post.components().rho[0].is_some(), "pending on core 0");
    assert_eq!(post.storage(SERVICE, &key), None, "not before availability");

    slot += 1;
    let b = node.author(slot).expect("authors").expect("ours");
    assert!(!b.pool_items_dropped);
    assert_eq!(
        b.block.extrinsic.assurances.len(),
        SPEC.validators,
        "every local validator assured"
    );
    let post = rpc.state(&b.hash).expect("reads").expect("state");
    assert!(post.components().rho[0].is_none(), "available: left ρ");
    assert!(
        post.components()
            .xi
            .last()
            .is_some_and(|x| x.contains(&package_hash)),
        "accumulated (ξ)"
    );
    assert_eq!(
        post.storage(SERVICE, &key),
        Some(&key[..]),
        "written by accumulate"
    );
}
