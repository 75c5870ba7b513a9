//! The `stf/authorizations` vectors (tiny and full): all 6 files must pass. Fails when the vectors are
//! missing.

#[test]
fn stf_authorizations_vectors_all_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/stf/authorizations", 6);
}
