//! Runs every erasure-coding vector (`erasure/{tiny,full}/*.json`): encoding must reproduce the
//! shards exactly and reconstruction must succeed from several minimal subsets. Fails (does not
//! skip) when the vectors are missing.

use marmalade_conformance::{collect, run_file, vectors_root, Config, Kind};

#[test]
fn all_erasure_vectors_pass() {
    let dir = vectors_root().join("jam-test-vectors/erasure");
    let files = collect(std::slice::from_ref(&dir))
        .unwrap_or_else(|e| panic!("erasure vectors missing at {}: {e}", dir.display()));
    let tiny = files
        .iter()
        .filter(|(_, k)| *k == Kind::Erasure(Config::Tiny))
        .count();
    let full = files
        .iter()
        .filter(|(_, k)| *k == Kind::Erasure(Config::Full))
        .count();
    assert_eq!(
        (tiny, full),
        (6, 6),
        "expected 6 tiny and 6 full erasure files"
    );
    assert_eq!(files.len(), 12);

    let outcomes: Vec<_> = files.iter().flat_map(|(p, k)| run_file(p, *k)).collect();
    assert_eq!(outcomes.len(), 12);
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.name)))
        .collect();
    assert!(failed.is_empty(), "failures:\n{}", failed.join("\n"));
}
