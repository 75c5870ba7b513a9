//! The Ed25519 ZIP-215 vectors: all 196 cases must verify. Fails when the vectors are missing.

#[test]
fn ed25519_vectors_all_pass() {
    let path = marmalade_conformance::vectors_root().join("crypto-ed25519/vectors.json");
    assert!(
        path.is_file(),
        "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
        path.display()
    );
    assert_eq!(
        marmalade_conformance::detect(&path),
        Some(marmalade_conformance::Kind::Ed25519)
    );
    let outcomes = marmalade_conformance::ed25519::run(&path);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    assert!(failed.is_empty(), "{} failed: {failed:#?}", failed.len());
    assert_eq!(outcomes.len(), 196);
    assert!(outcomes[0].name.ends_with("#0"));
}
