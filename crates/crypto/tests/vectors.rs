//! Checks the Bandersnatch code against real JAM data: the ring roots and ticket proofs of the
//! Safrole STF vectors (tiny and full) and the seals, entropy signatures and tickets of the
//! block traces.
//!
//! The vectors are read from `$JAM_VECTORS`, else `.jam-vectors` at the workspace root; the
//! tests fail (they do not skip) when they are missing.

use std::collections::HashSet;
use std::path::PathBuf;

use marmalade_crypto::bandersnatch::{
    self, ietf_verify, ring_commitment, ticket_seal_input, vrf_output, BandersnatchError, RingItem,
    RingVerifier, IETF_SIGNATURE_LEN, RING_SIGNATURE_LEN,
};
use marmalade_crypto::blake2b_256;
use serde_json::Value;

fn vectors_root() -> PathBuf {
    let root = match std::env::var_os("JAM_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"),
    };
    assert!(
        root.join("jam-test-vectors").is_dir(),
        "JAM vectors missing at {} (unpack them with ../shared/vectors/unpack or set JAM_VECTORS)",
        root.display()
    );
    root
}

fn tv(rel: &str) -> PathBuf {
    vectors_root().join("jam-test-vectors").join(rel)
}

fn json(rel: &str) -> Value {
    let path = tv(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bytes(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("hex string");
    hex::decode(s.trim_start_matches("0x")).expect("valid hex")
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().expect("hex of the right length")
}

fn bs_keys(validators: &Value) -> Vec<[u8; 32]> {
    validators
        .as_array()
        .unwrap()
        .iter()
        .map(|k| arr(&k["bandersnatch"]))
        .collect()
}

/// Every tiny Safrole vector: `γ_z = O([k_b | k ∈ γ_k])`, before and after (the
/// `enact-epoch-change-with-padding` case has offenders' zeroed keys, which are padded).
#[test]
fn tiny_ring_commitments_match_gamma_z() {
    let dir = tv("stf/safrole/tiny");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 21);
    let mut checked = HashSet::new();
    let mut padded = 0;
    for f in &files {
        let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        for state in ["pre_state", "post_state"] {
            let keys = bs_keys(&v[state]["gamma_k"]);
            let z: [u8; 144] = arr(&v[state]["gamma_z"]);
            if !checked.insert((keys.clone(), z)) {
                continue;
            }
            if keys.contains(&[0; 32]) {
                padded += 1;
            }
            assert_eq!(
                ring_commitment(&keys).unwrap(),
                z,
                "{} {state}: gamma_z",
                f.display()
            );
        }
    }
    assert!(checked.len() >= 3);
    assert!(padded >= 1, "no ring with a zeroed key was checked");
}

fn tiny_ticket_case(name: &str) -> (Value, RingVerifier, [u8; 32]) {
    let v = json(&format!("stf/safrole/tiny/{name}.json"));
    let z: [u8; 144] = arr(&v["pre_state"]["gamma_z"]);
    let verifier = RingVerifier::from_commitment(&z, 6).unwrap();
    let eta2: [u8; 32] = arr(&v["pre_state"]["eta"][2]);
    (v, verifier, eta2)
}

/// The tickets of `publish-tickets-no-mark-6` verify against `γ_z` with input
/// `X_T ++ η_2 ++ attempt`, and their identifiers are the new entries of `γ'_a`.
#[test]
fn tiny_ticket_proofs_verify() {
    let (v, verifier, eta2) = tiny_ticket_case("publish-tickets-no-mark-6");
    let post_ids: HashSet<[u8; 32]> = v["post_state"]["gamma_a"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| arr(&t["id"]))
        .collect();
    let pre_ids: HashSet<[u8; 32]> = v["pre_state"]["gamma_a"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| arr(&t["id"]))
        .collect();
    let tickets = v["input"]["extrinsic"].as_array().unwrap();
    assert_eq!(tickets.len(), 3);
    let mut inputs = Vec::new();
    let mut proofs = Vec::new();
    for t in tickets {
        let attempt = t["attempt"].as_u64().unwrap() as u8;
        inputs.push(ticket_seal_input(&eta2, attempt));
        proofs.push(arr::<RING_SIGNATURE_LEN>(&t["signature"]));
    }
    let mut ids = Vec::new();
    for (input, proof) in inputs.iter().zip(&proofs) {
        let id = verifier.verify(input, &[], proof).expect("valid ticket");
        assert_eq!(Some(id), bandersnatch::ring_vrf_output(proof));
        assert!(post_ids.contains(&id) && !pre_ids.contains(&id));
        ids.push(id);
    }
    let items: Vec<RingItem<'_>> = inputs
        .iter()
        .zip(&proofs)
        .map(|(i, p)| (i.as_slice(), &[][..], p))
        .collect();
    assert_eq!(verifier.verify_batch(&items).unwrap(), ids);
    assert!(verifier.verify_many(&items).iter().all(|r| r.is_ok()));

    // The same ring built from the keys.
    let from_keys = RingVerifier::from_keys(&bs_keys(&v["pre_state"]["gamma_k"])).unwrap();
    assert_eq!(from_keys.verify(&inputs[0], &[], &proofs[0]), Ok(ids[0]));

    // Corruptions: the proof body, the output, the attempt, the entropy.
    let mut bad = proofs[0];
    bad[400] ^= 0x01;
    assert!(verifier.verify(&inputs[0], &[], &bad).is_err());
    let mut bad = proofs[0];
    bad[100] ^= 0x01;
    assert!(verifier.verify(&inputs[0], &[], &bad).is_err());
    let other_attempt = ticket_seal_input(
        &eta2,
        (tickets[0]["attempt"].as_u64().unwrap() as u8 + 1) % 3,
    );
    assert_eq!(
        verifier.verify(&other_attempt, &[], &proofs[0]),
        Err(BandersnatchError::VerificationFailed)
    );
    assert!(verifier.verify(&inputs[0], b"ad", &proofs[0]).is_err());
    assert!(verifier
        .verify(&ticket_seal_input(&[0; 32], 0), &[], &proofs[0])
        .is_err());
    let mut corrupted = items.clone();
    corrupted[1].0 = &other_attempt;
    assert!(verifier.verify_batch(&corrupted).is_err());
}

/// `publish-tickets-no-mark-5` expects `bad_ticket_proof`: some ticket must fail.
#[test]
fn tiny_bad_ticket_proof_is_rejected() {
    let (v, verifier, eta2) = tiny_ticket_case("publish-tickets-no-mark-5");
    assert_eq!(v["output"]["err"], "bad_ticket_proof");
    let failures = v["input"]["extrinsic"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            let input = ticket_seal_input(&eta2, t["attempt"].as_u64().unwrap() as u8);
            verifier.verify(&input, &[], &arr(&t["signature"])).is_err()
        })
        .count();
    assert!(failures >= 1);
}

/// The parts of a Safrole STF `.bin` vector we need (input and pre-state), decoded by hand
/// (GP appendix C; the lengths involved all fit one-byte compact integers).
struct SafroleBin {
    tickets: Vec<(u8, [u8; 784])>,
    eta: [[u8; 32]; 4],
    gamma_k: Vec<[u8; 32]>,
    gamma_z: [u8; 144],
}

fn parse_safrole_bin(b: &[u8], validators: usize, epoch_len: usize) -> SafroleBin {
    let mut at = 0usize;
    let mut take = |n: usize| {
        let s = &b[at..at + n];
        at += n;
        s
    };
    take(4 + 32); // slot, entropy
    let n = take(1)[0] as usize;
    assert!(n < 128);
    let tickets = (0..n)
        .map(|_| (take(1)[0], take(784).try_into().unwrap()))
        .collect();
    take(4); // tau
    let mut eta = [[0u8; 32]; 4];
    for e in &mut eta {
        e.copy_from_slice(take(32));
    }
    take(2 * validators * 336); // lambda, kappa
    let gamma_k = (0..validators)
        .map(|_| take(336)[..32].try_into().unwrap())
        .collect();
    take(validators * 336); // iota
    let na = take(1)[0] as usize;
    assert!(na < 128);
    take(na * 33); // gamma_a
    match take(1)[0] {
        0 => take(epoch_len * 33),
        1 => take(epoch_len * 32),
        t => panic!("bad gamma_s tag {t}"),
    };
    let gamma_z = take(144).try_into().unwrap();
    SafroleBin {
        tickets,
        eta,
        gamma_k,
        gamma_z,
    }
}

#[test]
fn bin_parser_agrees_with_json() {
    let v = json("stf/safrole/tiny/publish-tickets-no-mark-6.json");
    let b = std::fs::read(tv("stf/safrole/tiny/publish-tickets-no-mark-6.bin")).unwrap();
    let p = parse_safrole_bin(&b, 6, 12);
    assert_eq!(p.gamma_k, bs_keys(&v["pre_state"]["gamma_k"]));
    assert_eq!(p.gamma_z, arr::<144>(&v["pre_state"]["gamma_z"]));
    assert_eq!(p.eta[2], arr::<32>(&v["pre_state"]["eta"][2]));
    assert_eq!(p.tickets.len(), 3);
    assert_eq!(
        p.tickets[0].1,
        arr::<784>(&v["input"]["extrinsic"][0]["signature"])
    );
}

/// The full configuration: a 1023-key ring root and its ticket proofs.
#[test]
fn full_ring_commitment_and_tickets() {
    let b = std::fs::read(tv("stf/safrole/full/publish-tickets-no-mark-6.bin")).unwrap();
    let p = parse_safrole_bin(&b, 1023, 600);
    assert_eq!(ring_commitment(&p.gamma_k).unwrap(), p.gamma_z);
    let verifier = RingVerifier::from_commitment(&p.gamma_z, 1023).unwrap();
    assert!(!p.tickets.is_empty());
    let inputs: Vec<Vec<u8>> = p
        .tickets
        .iter()
        .map(|(a, _)| ticket_seal_input(&p.eta[2], *a))
        .collect();
    let items: Vec<RingItem<'_>> = inputs
        .iter()
        .zip(&p.tickets)
        .map(|(i, (_, proof))| (i.as_slice(), &[][..], proof))
        .collect();
    let results = verifier.verify_many(&items);
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    // A tiny-ring verifier must reject them.
    let tiny = RingVerifier::from_keys(&p.gamma_k[..6]).unwrap();
    assert!(tiny.verify(items[0].0, &[], items[0].2).is_err());
}

fn keyval(state: &Value, index: u8) -> Vec<u8> {
    let mut key = vec![index];
    key.resize(31, 0);
    let key = format!("0x{}", hex::encode(key));
    let kv = state["keyvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv["key"] == key.as_str())
        .unwrap_or_else(|| panic!("no state component {index}"));
    bytes(&kv["value"])
}

fn eta_of(state: &Value) -> [[u8; 32]; 4] {
    let v = keyval(state, 6);
    std::array::from_fn(|i| v[32 * i..32 * i + 32].try_into().unwrap())
}

/// Block traces: every seal (`X_T`/`X_F`, `η'_3`, the unsigned header), every entropy
/// signature (`X_E ++ Y(H_S)`), `η'_0 = H(η_0 ++ Y(H_V))`, and every ticket of the extrinsic
/// (`X_T ++ η'_2 ++ attempt` against `γ'_z`).
fn check_trace(set: &str) -> (usize, usize, usize) {
    const E: usize = 12;
    let (mut ticketed, mut fallback, mut tickets) = (0, 0, 0);
    for i in 1..=100 {
        let rel = format!("traces/{set}/{i:08}");
        let v = json(&format!("{rel}.json"));
        let bin = std::fs::read(tv(&format!("{rel}.bin"))).unwrap();
        let h = &v["block"]["header"];
        let (pre, post) = (&v["pre_state"], &v["post_state"]);

        // The unsigned header: from the parent hash to the seal in the block's encoding.
        let start_marker = [bytes(&h["parent"]), bytes(&h["parent_state_root"])].concat();
        let seal: [u8; IETF_SIGNATURE_LEN] = arr(&h["seal"]);
        let start = find(&bin, &start_marker).expect("header in the .bin");
        let seal_at = start + find(&bin[start..], &seal).expect("seal in the .bin");
        let unsigned = &bin[start..seal_at];

        let kappa = keyval(post, 8);
        let author = h["author_index"].as_u64().unwrap() as usize;
        let key: [u8; 32] = kappa[336 * author..336 * author + 32].try_into().unwrap();
        let eta = eta_of(post);
        let gamma = keyval(post, 4);
        let gamma_z: [u8; 144] = gamma[6 * 336..6 * 336 + 144].try_into().unwrap();
        let gamma_s = &gamma[6 * 336 + 144..];
        let slot = h["slot"].as_u64().unwrap() as usize;

        let seal_input = match gamma_s[0] {
            0 => {
                let t = &gamma_s[1 + 33 * (slot % E)..][..33];
                ticketed += 1;
                let out = ietf_verify(&key, &ticket_seal_input(&eta[3], t[32]), unsigned, &seal)
                    .unwrap_or_else(|e| panic!("{rel}: ticketed seal: {e}"));
                assert_eq!(&out[..], &t[..32], "{rel}: seal output is the ticket id");
                ticket_seal_input(&eta[3], t[32])
            }
            1 => {
                let k: [u8; 32] = gamma_s[1 + 32 * (slot % E)..][..32].try_into().unwrap();
                assert_eq!(k, key, "{rel}: author is the fallback key");
                fallback += 1;
                bandersnatch::fallback_seal_input(&eta[3])
            }
            t => panic!("bad gamma_s tag {t}"),
        };
        let y_seal = ietf_verify(&key, &seal_input, unsigned, &seal)
            .unwrap_or_else(|e| panic!("{rel}: seal: {e}"));
        assert_eq!(Some(y_seal), vrf_output(&seal));
        let mut bad = unsigned.to_vec();
        bad[0] ^= 1;
        assert!(ietf_verify(&key, &seal_input, &bad, &seal).is_err());

        let vrf: [u8; IETF_SIGNATURE_LEN] = arr(&h["entropy_source"]);
        let y_vrf = ietf_verify(&key, &bandersnatch::entropy_input(&y_seal), &[], &vrf)
            .unwrap_or_else(|e| panic!("{rel}: entropy: {e}"));
        let eta0 = eta_of(pre)[0];
        assert_eq!(
            blake2b_256(&[&eta0[..], &y_vrf[..]].concat()),
            eta[0],
            "{rel}: eta'_0"
        );

        let xt = v["block"]["extrinsic"]["tickets"].as_array().unwrap();
        if !xt.is_empty() {
            let verifier = RingVerifier::from_commitment(&gamma_z, 6).unwrap();
            let inputs: Vec<_> = xt
                .iter()
                .map(|t| ticket_seal_input(&eta[2], t["attempt"].as_u64().unwrap() as u8))
                .collect();
            let proofs: Vec<[u8; RING_SIGNATURE_LEN]> =
                xt.iter().map(|t| arr(&t["signature"])).collect();
            let items: Vec<RingItem<'_>> = inputs
                .iter()
                .zip(&proofs)
                .map(|(i, p)| (i.as_slice(), &[][..], p))
                .collect();
            verifier
                .verify_batch(&items)
                .unwrap_or_else(|e| panic!("{rel}: tickets: {e}"));
            tickets += xt.len();
        }
    }
    (ticketed, fallback, tickets)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn fallback_trace_seals_and_entropy() {
    let (ticketed, fallback, _) = check_trace("fallback");
    assert_eq!((ticketed, fallback), (0, 100));
}

#[test]
fn safrole_trace_seals_entropy_and_tickets() {
    let (ticketed, fallback, tickets) = check_trace("safrole");
    assert_eq!(ticketed + fallback, 100);
    assert!(ticketed > 0, "no ticketed seal in the safrole trace");
    assert_eq!(tickets, 80);
}
