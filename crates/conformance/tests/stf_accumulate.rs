//! The `stf/accumulate` vectors (GP section 12): all 60 files (30 tiny, 30 full) must pass.
//! Fails when the vectors are missing.

#[test]
fn accumulate_vectors_all_pass() {
    let dir = marmalade_conformance::vectors_root().join("jam-test-vectors/stf/accumulate");
    assert!(
        dir.is_dir(),
        "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
        dir.display()
    );
    let outcomes = marmalade_conformance::run_paths(&[dir]).expect("the vectors are readable");
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    assert!(failed.is_empty(), "{} failed: {failed:#?}", failed.len());
    assert_eq!(outcomes.len(), 60);
    for cfg in ["tiny", "full"] {
        let n = outcomes
            .iter()
            .filter(|o| o.name.contains(&format!("/{cfg}/")))
            .count();
        assert_eq!(n, 30, "{cfg}");
    }
}

/// Accumulation time per vector (the whole transition, decoding excluded), heaviest first,
/// on one thread and on all of rayon's. Run with `cargo test --release -p
/// marmalade-conformance --test stf_accumulate -- --ignored --nocapture`.
#[test]
#[ignore = "timing measurement, not a check"]
fn accumulate_timings() {
    use marmalade_accumulation::CodeCache;
    use marmalade_conformance::stf::accumulate::transition;
    use marmalade_conformance::stf::{accumulate::TestCase, load};
    use marmalade_types::ChainSpec;
    use std::time::{Duration, Instant};

    fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(f());
        }
        start.elapsed() / runs
    }

    let root = marmalade_conformance::vectors_root().join("jam-test-vectors/stf/accumulate");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for (cfg, spec) in [("tiny", ChainSpec::TINY), ("full", ChainSpec::FULL)] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(cfg))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
            .collect();
        files.sort();
        for path in files {
            let case: TestCase = load(&path, &spec).unwrap();
            let pre = &case.pre_state;
            let run = || transition(&spec, pre, &case.input, &CodeCache::new()).unwrap();
            let t1 = one.install(|| time(20, run));
            let tn = time(20, run);
            let cache = CodeCache::new();
            let warm = time(20, || transition(&spec, pre, &case.input, &cache).unwrap());
            let name = format!("{cfg}/{}", path.file_name().unwrap().to_string_lossy());
            rows.push((t1, tn, warm, name));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let n = rayon::current_num_threads();
    for (t1, tn, warm, name) in &rows {
        println!("{name}: 1 thread {t1:?}, {n} threads {tn:?}, code cached {warm:?}");
    }
}
