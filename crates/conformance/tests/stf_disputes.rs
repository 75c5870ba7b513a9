//! Runs every `stf/disputes` vector (tiny and full) and requires all to pass. Fails (does not
//! skip) when the vectors are missing.

#[test]
fn all_disputes_vectors_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/stf/disputes", 56);
}
