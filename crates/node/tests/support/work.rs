//! The chain of the in-core node tests: the `storage` trace's genesis, whose validators hold
//! the JIP-5 development keys and whose bootstrap service (service 0) refines a payload into
//! `0x01 ++ payload` and accumulates `0x16 0x00 n ++ h_1 … h_n` by writing each hash under
//! itself; and a package for it.

// Each test file compiles this module for itself and uses a part of it.
#![allow(dead_code)]

use marmalade_conformance::trace::{find_null_authorizer, load_genesis};
use marmalade_node::{Genesis, Node};
use marmalade_state::{State, StateReader};
use marmalade_types::{
    ChainSpec, CoreIndex, Hash, HeaderHash, RefineContext, ServiceId, StateRoot, WorkItem,
    WorkPackage,
};
use std::sync::Arc;

pub const SPEC: ChainSpec = ChainSpec::TINY;
/// The bootstrap service.
pub const SERVICE: ServiceId = 0;

/// The `storage` trace's genesis, with the ring parameters for its validators prepared.
pub fn storage_genesis() -> Genesis {
    let g = load_genesis("storage");
    marmalade_crypto::bandersnatch::prepare_ring(SPEC.validators).expect("ring");
    Genesis {
        header: g.header.clone(),
        state: g.state.key_values(),
    }
}

/// `node`'s best block with its posterior state and root.
pub fn head_state(node: &Node) -> (HeaderHash, Arc<State>, StateRoot) {
    let head = node.best_hash().expect("a head");
    let (state, root) = node
        .read_chain(|c| {
            Ok::<_, marmalade_chain::ChainError>((c.state(&head)?, c.state_root(&head)?))
        })
        .expect("reads");
    (head, state.expect("head state"), root.expect("head root"))
}

/// A package for `core` on the head `head` (state `state`, root `root`): one item for
/// service 0 that writes `key` under itself, authorized by the null authorizer in the
/// core's pool and anchored on the head (GP (11.33)–(11.35)).
pub fn storage_write_package(
    state: &State,
    root: StateRoot,
    head: HeaderHash,
    core: CoreIndex,
    key: Hash,
) -> WorkPackage {
    let c = state.components();
    let last = c.beta.history.last().expect("recent history");
    let (auth_code_host, auth_code_hash) = c.alpha[usize::from(core)]
        .iter()
        .find_map(|a| find_null_authorizer(state, a))
        .expect("a null authorizer in the core's pool");
    let mut payload = vec![0x16, 0x00, 1];
    payload.extend_from_slice(&key);
    WorkPackage {
        auth_code_host,
        auth_code_hash,
        context: RefineContext {
            anchor: head,
            state_root: root,
            beefy_root: last.beefy_root,
            lookup_anchor: head,
            lookup_anchor_slot: c.tau,
            prerequisites: Vec::new(),
        },
        authorization: Vec::new(),
        authorizer_config: Vec::new(),
        items: vec![WorkItem {
            service: SERVICE,
            code_hash: state.service_info(SERVICE).expect("service 0").code_hash,
            refine_gas_limit: SPEC.refine_gas / 2,
            accumulate_gas_limit: 5_000_000,
            export_count: 0,
            payload,
            import_segments: Vec::new(),
            extrinsic: Vec::new(),
        }],
    }
}
