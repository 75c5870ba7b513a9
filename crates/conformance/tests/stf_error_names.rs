//! The subsystems' error variants are the vectors' error codes by name as well as by number:
//! for every STF vector whose output is an error, the code decoded from the `.bin` file is
//! the variant named (in snake case) by the `.json` file's `output.err`. Fails when the
//! vectors are missing.

use marmalade_codec::Decode;
use marmalade_conformance::stf::{self, load, TestCase, VectorOutput};
use marmalade_stf::snake_case;
use marmalade_types::ChainSpec;
use std::fmt::Debug;

/// Checks every error case of `stf/<dir>`; returns how many there were.
fn check<I: Decode, S: Decode, O: Decode, E: Decode + Debug>(dir: &str) -> usize {
    let root = marmalade_conformance::vectors_root()
        .join("jam-test-vectors/stf")
        .join(dir);
    let mut n = 0;
    for (cfg, spec) in [("tiny", ChainSpec::TINY), ("full", ChainSpec::FULL)] {
        let files =
            std::fs::read_dir(root.join(cfg)).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        for f in files {
            let json = f.expect("directory entry").path();
            if json.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let case: serde_json::Value = marmalade_conformance::read_json(&json).expect("json");
            let Some(name) = case["output"]["err"].as_str() else {
                continue;
            };
            let case: TestCase<I, S, VectorOutput<O, E>> =
                load(&json.with_extension("bin"), &spec).expect("the vector decodes");
            let VectorOutput::Err(e) = case.output else {
                panic!("{}: the binary output is not an error", json.display());
            };
            assert_eq!(snake_case(&format!("{e:?}")), name, "{}", json.display());
            n += 1;
        }
    }
    n
}

#[test]
fn error_variants_are_named_as_the_vectors_codes() {
    use marmalade_stf as p;
    use stf::{assurances as a, disputes as d, preimages as pi, reports as r, safrole as s};
    assert!(check::<s::Input, s::State, s::Output, p::safrole::Error>("safrole") > 0);
    assert!(check::<d::Input, d::State, d::Output, p::disputes::Error>("disputes") > 0);
    assert!(check::<a::Input, a::State, a::Output, p::assurances::Error>("assurances") > 0);
    assert!(check::<r::Input, r::State, r::Output, p::reports::Error>("reports") > 0);
    assert!(check::<pi::Input, pi::State, (), p::preimages::Error>("preimages") > 0);
}
