//! Runs every `stf/preimages` vector (tiny and full) and requires all to pass. Fails (does not
//! skip) when the vectors are missing.

use marmalade_conformance::{run_paths, vectors_root};

/// The number of `.bin` cases in `stf/preimages/{tiny,full}` at tag v0.7.2.
const CASES: usize = 8 + 8;

#[test]
fn all_preimages_vectors_pass() {
    let dir = vectors_root().join("jam-test-vectors/stf/preimages");
    assert!(
        dir.is_dir(),
        "preimages vectors missing at {}",
        dir.display()
    );
    let outcomes = run_paths(&[dir]).expect("walking the vectors");
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.name)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} failures:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert_eq!(outcomes.len(), CASES);
    for cfg in ["tiny", "full"] {
        assert!(
            outcomes
                .iter()
                .any(|o| o.name.contains(&format!("/{cfg}/"))),
            "no {cfg} vectors ran"
        );
    }
}
