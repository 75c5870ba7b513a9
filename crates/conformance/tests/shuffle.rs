//! The shuffle vectors (GP appendix F): all 8 cases must pass. Fails when the vectors are missing.

#[test]
fn shuffle_vectors_all_pass() {
    let path =
        marmalade_conformance::vectors_root().join("jam-test-vectors/shuffle/shuffle_tests.json");
    assert!(
        path.is_file(),
        "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
        path.display()
    );
    assert_eq!(
        marmalade_conformance::detect(&path),
        Some(marmalade_conformance::Kind::Shuffle)
    );
    let outcomes = marmalade_conformance::shuffle::run(&path);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    assert!(failed.is_empty(), "{} failed: {failed:#?}", failed.len());
    assert_eq!(outcomes.len(), 8);
    assert!(outcomes[7].name.ends_with("#7"));
}
