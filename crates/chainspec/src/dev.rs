//! The built-in `dev` chain: typeberry's `dev` chain spec, rebuilt from the JIP-5 development
//! keys and a few fixed choices.
//!
//! The GP fixes no genesis; a chain's genesis is whatever its spec says. This one's is the
//! trace vectors' genesis (the same 21 key/values), which typeberry also ships as its `dev`
//! chain. Everything in it follows from:
//!
//! - the six development keys `trivial_seed(0..6)` (JIP-5), each validator's metadata
//!   naming `[::ffff:127.0.0.1]:40000+i`;
//! - six entropy values ([`ENTROPY`], [`EPOCH_MARK_ENTROPY`]), arbitrary constants of that
//!   genesis with no derivation we know of;
//! - one service, 0 ("jam-bootstrap-service", `res/bootstrap-service.pvm`), whose code is
//!   the bootstrap service and which also holds the 50-octet "NULL Authorizer"
//!   (`res/null-authorizer.pvm`) that fills every authorizer pool and queue. Both blobs are
//!   typeberry's, taken from its spec.

use crate::bootnode::Bootnode;
use crate::spec::{ChainSpecFile, Genesis};
use marmalade_authoring::{dev_key_set, ValidatorKeys};
use marmalade_crypto::bandersnatch::{ring_commitment, BandersnatchError};
use marmalade_crypto::{blake2b_256, blake2b_256_concat};
use marmalade_state::account::request_octets;
use marmalade_state::{State, StateTrie};
use marmalade_stf::safrole::fallback_key_sequence;
use marmalade_types::constants::{AUTH_POOL_SIZE, AUTH_QUEUE_SIZE};
use marmalade_types::{
    AuthPools, AuthQueue, AuthQueues, BlockInfo, ChainSpec, Entropy, EntropyBuffer, EpochMark,
    EpochMarkValidatorKeys, Hash, Header, RecentBlocks, ServiceId, ServiceInfo, TicketsOrKeys,
    ValidatorData, ValidatorMetadata, ValidatorsData,
};
use std::collections::BTreeMap;

/// The dev chain's `id` (typeberry's, so that both name the same network).
pub const DEV_ID: &str = "typeberry-dev";

/// The dev chain's bootnode: typeberry's `dev` node (its peer key, on its default port).
pub const DEV_BOOTNODE: &str =
    "eyonydqt7gj7bjdek62lwdeuxdzr5q7nmxa2p5zwwtoijgamdnkka@127.0.0.1:12345";

/// The dev chain's validators: $\mathsf{V}$ of `tiny`.
pub const DEV_VALIDATORS: usize = 6;

/// The first port of the validators' metadata: validator $i$ listens on `40000 + i`.
pub const DEV_BASE_PORT: u16 = 40000;

/// The code of service 0, the bootstrap service.
pub const BOOTSTRAP_CODE: &[u8] = include_bytes!("../res/bootstrap-service.pvm");

/// The "NULL Authorizer": authorization code accepting every package, with empty
/// configuration. Service 0 holds it.
pub const NULL_AUTHORIZER: &[u8] = include_bytes!("../res/null-authorizer.pvm");

/// The bootstrap service's index.
pub const BOOTSTRAP_SERVICE: ServiceId = 0;

/// $\eta$ of the genesis state (GP (6.21)).
pub const ENTROPY: [Entropy; 4] = [
    h("15791ce2f9ad023b718ff82e41541cbdb452b39e8eb79204f81989e25717c70f"),
    h("b3230cec228f726817c9fb23f7ffcca477dacd8203a6f0fd3c781ec6232e84a9"),
    h("5e625757e94324fdef8fe7de30d5cdc8a4c4612717c84fa87f4d98434afc2af7"),
    h("5710c5f909acecaec8afe31f4eddd93c495bac0618e715a3f22abc90670e5aab"),
];

/// The genesis header's epoch-mark entropies $(\eta_0, \eta_1)$ (GP (6.27)); the second
/// also picks the fallback sealing keys $\gamma_S$ (GP (6.24)).
pub const EPOCH_MARK_ENTROPY: [Entropy; 2] = [
    h("ee155ace9c40292074cb6aff8c9ccdd273c81648ff1149ef36bcea6ebb8a3e25"),
    h("bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea00ee81917b86b89e801314aa"),
];

/// A 32-octet constant from 64 hex digits (a compile-time error otherwise).
const fn h(s: &str) -> Hash {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = digit(b[2 * i]) << 4 | digit(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// The metadata of dev validator `i`: JAMNP-S's first 18 octets, the IPv6 address
/// `::ffff:127.0.0.1` and the port `40000 + i` little-endian; the rest zero.
pub fn dev_metadata(i: u16) -> ValidatorMetadata {
    let mut m = [0u8; 128];
    m[..16].copy_from_slice(&std::net::Ipv4Addr::LOCALHOST.to_ipv6_mapped().octets());
    m[16..18].copy_from_slice(&DEV_BASE_PORT.wrapping_add(i).to_le_bytes());
    m
}

/// The dev validators' key sets $\mathbf{k}$ (GP (6.8)–(6.12)): the development keys' Bandersnatch
/// and Ed25519 keys, no BLS key (no BEEFY yet), [`dev_metadata`].
pub fn dev_validators(keys: &[ValidatorKeys]) -> Vec<ValidatorData> {
    keys.iter()
        .zip(0u16..)
        .map(|(k, i)| ValidatorData {
            bandersnatch: k.bandersnatch_public(),
            ed25519: k.ed25519_public(),
            bls: [0; 144],
            metadata: dev_metadata(i),
        })
        .collect()
}

/// The dev chain's genesis under `tiny`, built from [`dev_key_set`].
pub fn dev_genesis() -> Result<Genesis, BandersnatchError> {
    let params = ChainSpec::TINY;
    let validators = dev_validators(&dev_key_set(DEV_VALIDATORS));
    let mut state = State::empty(&params);
    let c = &mut state.components;

    // The validator sets: pending, staging, active and previous are all the dev set.
    let set = ValidatorsData(validators.clone());
    (c.gamma_p, c.iota, c.kappa, c.lambda) = (set.clone(), set.clone(), set.clone(), set);
    let bandersnatch: Vec<_> = validators.iter().map(|v| v.bandersnatch).collect();
    // γ_Z = O([k_b | k ∈ γ_P]) (GP (6.13)).
    c.gamma_z = ring_commitment(&bandersnatch)?;
    // No tickets at genesis: the fallback keys F(η'_2, κ') (GP (6.24), (6.26)), with the
    // epoch mark's second entropy as η'_2.
    c.gamma_s = TicketsOrKeys::Keys(fallback_key_sequence(
        &EPOCH_MARK_ENTROPY[1],
        &validators,
        params.epoch_len(),
    ));
    c.eta = EntropyBuffer(ENTROPY);

    // The authorizer of the NULL Authorizer with empty configuration, H(H(c) ⌢ []) (GP (14.10)),
    // fills every pool and queue (GP (8.1)).
    let auth_code_hash = blake2b_256(NULL_AUTHORIZER);
    let authorizer = blake2b_256_concat(&[&auth_code_hash, &[]]);
    c.alpha = AuthPools(vec![vec![authorizer; AUTH_POOL_SIZE]; params.cores]);
    c.phi = AuthQueues(vec![
        AuthQueue(vec![authorizer; AUTH_QUEUE_SIZE]);
        params.cores
    ]);

    // Service 0 holds both blobs as preimages, each requested and available since slot 0
    // (l[(h, |p|)] = [0]); it is every privileged service (χ all 0, as `empty` has it).
    let code_hash = blake2b_256(BOOTSTRAP_CODE);
    let mut octets = 0u64;
    for blob in [BOOTSTRAP_CODE, NULL_AUTHORIZER] {
        let hash = blake2b_256(blob);
        state.set_preimage(BOOTSTRAP_SERVICE, &hash, Some(blob.to_vec()));
        // Preimages are far below 2^32 octets: both are constants of this crate.
        state.set_lookup(BOOTSTRAP_SERVICE, &hash, blob.len() as u32, Some(&[0]));
        octets += request_octets(blob.len() as u64);
    }
    state.accounts = BTreeMap::from([(
        BOOTSTRAP_SERVICE,
        ServiceInfo {
            version: 0,
            code_hash,
            balance: u64::MAX,
            min_item_gas: 10,
            min_memo_gas: 10,
            // a_o and a_i (GP (9.8)): 81 + z per request, two items per request.
            bytes: octets,
            // Gratis storage covers all: the service needs no balance for its footprint.
            deposit_offset: u64::MAX,
            items: 4,
            creation_slot: 0,
            last_accumulation_slot: 0,
            parent_service: 0,
        },
    )]);

    // H^0: no parent, no prior state root, no extrinsic, slot 0; the epoch mark introduces
    // the validators (GP (6.27)); no author (index 2^16 - 1), no VRF signatures.
    let header = Header {
        parent: [0; 32],
        parent_state_root: [0; 32],
        extrinsic_hash: [0; 32],
        slot: 0,
        epoch_mark: Some(EpochMark {
            entropy: EPOCH_MARK_ENTROPY[0],
            tickets_entropy: EPOCH_MARK_ENTROPY[1],
            validators: validators
                .iter()
                .map(|v| EpochMarkValidatorKeys {
                    bandersnatch: v.bandersnatch,
                    ed25519: v.ed25519,
                })
                .collect(),
        }),
        tickets_mark: None,
        author_index: u16::MAX,
        entropy_source: [0; 96],
        offenders_mark: Vec::new(),
        seal: [0; 96],
    };
    let header_hash = header.hash();
    // β_H holds the genesis block itself, with a zero state root that the next block
    // corrects (GP (7.5)) and an empty accumulation-output belt (GP (7.7)).
    state.components.beta = RecentBlocks {
        history: vec![BlockInfo {
            header_hash,
            beefy_root: [0; 32],
            state_root: [0; 32],
            reported: Vec::new(),
        }],
        mmr: Default::default(),
    };
    let state_root = StateTrie::from_state(&state, &params).root();
    Ok(Genesis {
        header,
        header_hash,
        state,
        state_root,
    })
}

/// The dev chain's spec: [`DEV_ID`], [`DEV_BOOTNODE`] and [`dev_genesis`].
pub fn dev_spec() -> Result<ChainSpecFile, BandersnatchError> {
    let bootnode: Bootnode = DEV_BOOTNODE
        .parse()
        .expect("DEV_BOOTNODE is a valid entry (tested)");
    Ok(ChainSpecFile::from_genesis(
        DEV_ID,
        vec![bootnode],
        &dev_genesis()?,
        &ChainSpec::TINY,
    ))
}
