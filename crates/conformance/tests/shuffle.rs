//! The shuffle vectors (GP appendix F): all 8 cases must pass. Fails when the vectors are missing.

#[test]
fn shuffle_vectors_all_pass() {
    let outcomes =
        marmalade_conformance::assert_suite("jam-test-vectors/shuffle/shuffle_tests.json", 8);
    assert!(outcomes[7].name.ends_with("#7"));
}
