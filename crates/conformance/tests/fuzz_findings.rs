//! The fuzzer's triaged findings (`testdata/fuzz/traces/*`, see its README): each step must
//! import to the recorded posterior root, the GP's. Fails when the folder is empty.

use std::path::PathBuf;

#[test]
fn fuzz_findings_replay() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz/traces");
    let outcomes = marmalade_conformance::run_paths(&[root]).expect("the findings are readable");
    assert!(
        !outcomes.is_empty(),
        "no finding under testdata/fuzz/traces"
    );
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| Some((&o.name, o.error.as_ref()?)))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
}
