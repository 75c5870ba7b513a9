//! The Ed25519 vectors (ZIP-215 rules): all 196 cases must pass. Fails when the vectors are
//! missing.

#[test]
fn ed25519_vectors_all_pass() {
    let outcomes = marmalade_conformance::assert_suite("crypto-ed25519/vectors.json", 196);
    assert!(outcomes[195].name.ends_with("#195"));
}
