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
use crate::synthetic::{genesis_from, SyntheticGenesisError};
use marmalade_authoring::{dev_key_set, ValidatorKeys};
use marmalade_types::{ChainSpec, Entropy, Hash, ServiceId, ValidatorData, ValidatorMetadata};

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

/// The dev chain's genesis under `tiny`: [`genesis_from`] with the [`dev_validators`] of
/// [`dev_key_set`], [`ENTROPY`] as $\eta$ and [`EPOCH_MARK_ENTROPY`] in the epoch mark
/// (typeberry's `dev` genesis, which `crate::tests` checks against its spec file).
pub fn dev_genesis() -> Result<Genesis, SyntheticGenesisError> {
    genesis_from(
        &ChainSpec::TINY,
        &dev_validators(&dev_key_set(DEV_VALIDATORS)),
        ENTROPY,
        EPOCH_MARK_ENTROPY,
    )
}

/// The dev chain's spec: [`DEV_ID`], [`DEV_BOOTNODE`] and [`dev_genesis`].
pub fn dev_spec() -> Result<ChainSpecFile, SyntheticGenesisError> {
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
