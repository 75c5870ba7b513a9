//! The `stf/reports` vectors (GP 11.3–11.5): all 42 tiny and 42 full cases must pass. Fails
//! when the vectors are missing.

#[test]
fn reports_vectors_all_pass() {
    let dir = marmalade_conformance::vectors_root().join("jam-test-vectors/stf/reports");
    assert!(
        dir.is_dir(),
        "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
        dir.display()
    );
    let outcomes = marmalade_conformance::run_paths(&[dir.join("tiny"), dir.join("full")])
        .expect("vectors readable");
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    assert!(failed.is_empty(), "{} failed: {failed:#?}", failed.len());
    assert_eq!(outcomes.len(), 84);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.name.contains("/tiny/"))
            .count(),
        42
    );
}
