//! The `stf/reports` vectors (GP 11.3–11.5): all 42 tiny and 42 full cases must pass. Fails
//! when the vectors are missing.

#[test]
fn reports_vectors_all_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/stf/reports", 84);
}
