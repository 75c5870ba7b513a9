//! Runs every erasure-coding vector (`erasure/{tiny,full}/*.json`): encoding must reproduce the
//! shards exactly and reconstruction must succeed from several minimal subsets. Fails (does not
//! skip) when the vectors are missing.

#[test]
fn all_erasure_vectors_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/erasure", 12);
}
