//! Tests against typeberry's `dev` spec (`res/typeberry-dev-spec.json`, a copy of
//! `/work/shared/interop/typeberry-dev-spec.json`), JIP-4's example and JIP-5's vectors.

use crate::dev::{dev_genesis, dev_spec, DEV_BOOTNODE};
use crate::*;
use marmalade_types::ChainSpec;

const TYPEBERRY_DEV: &str = include_str!("../res/typeberry-dev-spec.json");

/// The JIP-4 example's `protocol_parameters`.
const JIP4_PARAMS: &str = "0a00000000000000010000000000000064000000000000000200004b00000c000000809698000000000080f0fa020000000000ca9a3b00000000002d310100000000080000001000080003004038000003000800060050000400000080000500060000fa0000017cd20000093d0004000000000c00000204000000c0000080000000000c00000a000000";

fn typeberry() -> ChainSpecFile {
    ChainSpecFile::from_json(TYPEBERRY_DEV).expect("typeberry's dev spec parses")
}

/// typeberry prints the genesis header hash as `0x2bf11dc5…5716` and the state root as
/// `0xbafd5b0b…0029` (`/work/shared/interop/README.md`).
fn assert_typeberry_printed(g: &Genesis) {
    let (hh, sr) = (hex::encode(g.header_hash), hex::encode(g.state_root));
    assert!(hh.starts_with("2bf11dc5") && hh.ends_with("5716"), "{hh}");
    assert!(sr.starts_with("bafd5b0b") && sr.ends_with("0029"), "{sr}");
}

#[test]
fn typeberry_spec_decodes_to_its_printed_hash_and_root() {
    let spec = typeberry();
    assert_eq!(spec.id, "typeberry-dev");
    assert_eq!(spec.genesis_state.len(), 21);
    let g = spec.genesis(&ChainSpec::TINY).unwrap();
    assert_typeberry_printed(&g);
    // The root of the decoded state, re-serialized, is the root of the pairs as given.
    assert_eq!(
        marmalade_state::state_root(&g.state, &ChainSpec::TINY),
        g.state_root
    );
    // Writing gives back the file, byte for byte.
    assert_eq!(spec.to_json(), TYPEBERRY_DEV);
}

#[test]
fn dev_chain_is_typeberrys_genesis() {
    let file = typeberry();
    let ours = dev_genesis().unwrap();
    let spec = dev_spec().unwrap();
    assert_eq!(
        hex::encode(&spec.genesis_header),
        hex::encode(&file.genesis_header)
    );
    for (k, v) in &file.genesis_state {
        let mine = spec
            .genesis_state
            .get(k)
            .unwrap_or_else(|| panic!("key {} missing", hex::encode(k)));
        assert!(mine == v, "value of {} differs", hex::encode(k));
    }
    assert_eq!(spec.genesis_state.len(), file.genesis_state.len());
    assert_typeberry_printed(&ours);
    let theirs = file.genesis(&ChainSpec::TINY).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(spec.to_json(), TYPEBERRY_DEV);
}

#[test]
fn dev_validators_hold_the_jip5_vector_keys() {
    // JIP-5's test vectors for trivial_seed(0) and trivial_seed(5).
    let g = dev_genesis().unwrap();
    let k = &g.state.components.kappa;
    assert_eq!(
        hex::encode(k[0].ed25519),
        "4418fb8c85bb3985394a8c2756d3643457ce614546202a2f50b093d762499ace"
    );
    assert_eq!(
        hex::encode(k[5].bandersnatch),
        "2105650944fcd101621fd5bb3124c9fd191d114b7ad936c1d79d734f9f21392e"
    );
    assert_eq!(
        DEV_BOOTNODE.parse::<Bootnode>().unwrap().to_string(),
        DEV_BOOTNODE
    );
}

#[test]
fn protocol_parameters_select_the_chain_parameters() {
    let mut spec = typeberry();
    assert_eq!(spec.params(&ChainSpec::FULL).unwrap().name, "full");
    spec.protocol_parameters = Some(marmalade_host::protocol_constants(&ChainSpec::TINY));
    assert_eq!(spec.params(&ChainSpec::FULL).unwrap().name, "tiny");
    spec.protocol_parameters = Some(marmalade_host::protocol_constants(&ChainSpec::FULL));
    assert_eq!(spec.params(&ChainSpec::TINY).unwrap().name, "full");
    spec.protocol_parameters = Some(vec![0; 3]);
    assert!(matches!(
        spec.params(&ChainSpec::TINY),
        Err(ChainSpecError::UnknownParameters)
    ));
    // Written and read back.
    spec.protocol_parameters = Some(hex::decode(JIP4_PARAMS).unwrap());
    let back = ChainSpecFile::from_json(&spec.to_json()).unwrap();
    assert_eq!(back, spec);
}

/// Replaces `from` by `to` in typeberry's spec (which must contain it).
fn edited(from: &str, to: &str) -> String {
    assert!(TYPEBERRY_DEV.contains(from), "{from}");
    TYPEBERRY_DEV.replacen(from, to, 1)
}

#[test]
fn malformed_specs_give_typed_errors() {
    use ChainSpecError as E;
    let parse = |s: &str| ChainSpecFile::from_json(s);
    assert!(matches!(parse("not json"), Err(E::Json(_))));
    assert!(matches!(
        parse(&edited("\"id\"", "\"name\"")),
        Err(E::Json(_))
    ));
    assert!(matches!(
        parse(&edited(
            "\"genesis_header\": \"00",
            "\"genesis_header\": \"0g"
        )),
        Err(E::Hex { .. })
    ));
    assert!(matches!(
        parse(&edited("\"0a0000000000", "\"0a00000000")),
        Err(E::KeyLength { len: 30, .. })
    ));
    let k10 = "\"10000000000000000000000000000000000000000000000000000000000000\": \"00\"";
    assert!(matches!(
        parse(&edited(k10, &format!("{k10},\n{k10}"))),
        Err(E::DuplicateKey(_))
    ));
    assert!(matches!(
        parse(&edited("@127.0.0.1:12345", "@127.0.0.1")),
        Err(E::Bootnode { .. })
    ));
    // Fields JIP-4 does not define are ignored; `bootnodes` is optional.
    let s = parse(&edited("\"bootnodes\"", "\"extra\"")).unwrap();
    assert!(s.bootnodes.is_empty());
    // The header with a trailing octet, the state without C(16) or with a bad C(11).
    let tiny = ChainSpec::TINY;
    let mut s = typeberry();
    s.genesis_header.push(0);
    assert!(matches!(s.genesis(&tiny), Err(E::Header(_))));
    let mut s = typeberry();
    let mut c16 = [0u8; 31];
    c16[0] = 16;
    s.genesis_state.remove(&c16);
    assert!(matches!(s.genesis(&tiny), Err(E::State(_))));
    let mut s = typeberry();
    let mut c11 = [0u8; 31];
    c11[0] = 11;
    s.genesis_state.insert(c11, vec![0; 3]);
    assert!(matches!(s.genesis(&tiny), Err(E::State(_))));
    // Tiny's state is not a full chain's: six validators where 1023 are expected.
    assert!(typeberry().genesis(&ChainSpec::FULL).is_err());
    assert!(matches!(
        ChainSpecFile::load(std::path::Path::new("/nonexistent/spec.json")),
        Err(E::Io { .. })
    ));
}

/// JIP-5's last test vector: a non-trivial seed and its public keys.
const SEED: &str = "f92d680ea3f0ac06307795490d8a03c5c0d4572b5e0a8cffec87e1294855d9d1";
const ED25519: &str = "11a695f674de95ff3daaff9a5b88c18448b10156bf88bc04200e48d5155c7243";
const BANDERSNATCH: &str = "299bdfd8d615aadd9e6c58718f9893a5144d60e897bc9da1f3d73c935715c650";
/// JIP-5's Ed25519 and Bandersnatch secret seeds of [`SEED`].
const SECRETS: [&str; 2] = [
    "f21e2d96a51387f9a7e5b90203654913dde7fa1044e3eba5631ed19f327d6126",
    "06154d857537a9b622a9a94b1aeee7d588db912bfc914a8a9707148bfba3b9d1",
];

#[test]
fn key_files_load_and_check_public_keys() {
    let f = KeyFile::from_json(&format!("{{\"seed\": \"0x{SEED}\"}}")).unwrap();
    assert_eq!(hex::encode(f.ed25519_public()), ED25519);
    assert_eq!(hex::encode(f.bandersnatch_public()), BANDERSNATCH);
    assert_eq!(hex::encode(f.keys().ed25519_public()), ED25519);
    let back = KeyFile::from_json(&f.to_json()).unwrap();
    assert_eq!(back.seed(), f.seed());
    let full = format!(
        "{{\"seed\": \"{SEED}\", \"ed25519\": \"{ED25519}\", \"bandersnatch\": \"{BANDERSNATCH}\"}}"
    );
    assert!(KeyFile::from_json(&full).is_ok());
    // A key file of trivial_seed(1) does not match the vector's public keys.
    let wrong = full.replace(SEED, &hex::encode(ValidatorSeed::trivial(1).expose()));
    assert!(matches!(
        KeyFile::from_json(&wrong),
        Err(KeyFileError::Mismatch("ed25519"))
    ));
    let wrong = format!("{{\"seed\": \"{SEED}\", \"bandersnatch\": \"{ED25519}\"}}");
    assert!(matches!(
        KeyFile::from_json(&wrong),
        Err(KeyFileError::Mismatch("bandersnatch"))
    ));
    for bad in [
        format!("{{\"seed\": \"{}\"}}", &SEED[2..]),
        format!("{{\"seed\": \"{SEED}00\"}}"),
        format!("{{\"seed\": \"{SEED}\", \"ed25519\": \"zz\"}}"),
    ] {
        assert!(
            matches!(KeyFile::from_json(&bad), Err(KeyFileError::Hex(_))),
            "{bad}"
        );
    }
    assert!(matches!(
        KeyFile::from_json("{}"),
        Err(KeyFileError::Json(_))
    ));
    assert!(matches!(
        KeyFile::load(std::path::Path::new("/nonexistent/key.json")),
        Err(KeyFileError::Io { .. })
    ));
    assert_eq!(
        ValidatorSeed::trivial(2).keys().ed25519_public(),
        marmalade_authoring::dev_keys(2).ed25519_public()
    );
}

#[test]
fn secrets_are_never_printed() {
    let f = KeyFile::new(ValidatorSeed::new(
        hex::decode(SEED).unwrap().try_into().unwrap(),
    ));
    let seed_bytes = format!("{:?}", f.seed().expose());
    let mut shown = vec![
        format!("{f:?}"),
        format!("{f:#?}"),
        format!("{:?}", f.seed()),
        format!("{:?}", f.keys()),
    ];
    // Errors of files holding the seed must not quote it either.
    for text in [
        format!("{{\"seed\": \"{SEED}\", \"ed25519\": 5}}"),
        format!("{{\"seed\": [\"{SEED}\"]}}"),
        format!("{{\"{SEED}\": 1}}"),
        format!("{{\"seed\": \"{SEED}\", \"ed25519\": \"{BANDERSNATCH}\"}}"),
    ] {
        let e = KeyFile::from_json(&text).unwrap_err();
        shown.push(e.to_string());
        shown.push(format!("{e:?}"));
    }
    for s in &shown {
        for secret in [SEED, SECRETS[0], SECRETS[1], &seed_bytes[1..20]] {
            assert!(!s.contains(secret), "{s} shows a secret");
        }
    }
    // The public keys are shown.
    assert!(format!("{f:?}").contains(ED25519));
}
