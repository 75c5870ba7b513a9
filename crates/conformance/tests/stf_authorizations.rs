//! The `stf/authorizations` vectors (tiny and full): all 6 files must pass. Fails when the vectors are
//! missing.

#[test]
fn stf_authorizations_vectors_all_pass() {
    let dir = marmalade_conformance::vectors_root().join("jam-test-vectors/stf/authorizations");
    assert!(
        dir.is_dir(),
        "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
        dir.display()
    );
    let outcomes = marmalade_conformance::run_paths(&[dir]).expect("walking the vectors");
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    assert!(failed.is_empty(), "{} failed: {failed:#?}", failed.len());
    assert_eq!(outcomes.len(), 6);
}
