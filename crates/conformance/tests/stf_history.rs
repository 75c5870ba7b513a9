//! Runs every `stf/history` vector (tiny and full) and requires all to pass. Fails (does not
//! skip) when the vectors are missing.

#[test]
fn all_history_vectors_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/stf/history", 8);
}
