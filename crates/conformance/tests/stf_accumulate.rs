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
    use marmalade_conformance::stf::{accumulate::TestCase, load};
    use marmalade_stf::accumulate::{transition, transition_cached, CodeCache};
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
            let pre = case.pre_state.keyed();
            let run = || transition(&spec, &pre, &case.input).unwrap();
            let t1 = one.install(|| time(20, run));
            let tn = time(20, run);
            let cache = CodeCache::new();
            let warm = time(20, || {
                transition_cached(&spec, &pre, &case.input, &cache).unwrap()
            });
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

/// Every trace step's pre-state (all 600 of `traces/*`), decoded as a
/// `marmalade_state::State`.
fn trace_pre_states() -> Vec<(String, marmalade_state::State)> {
    use marmalade_codec::decode_all;
    use marmalade_state::TraceStep;
    use marmalade_types::ChainSpec;

    let root = marmalade_conformance::vectors_root().join("jam-test-vectors/traces");
    assert!(root.is_dir(), "{} is missing", root.display());
    let mut sets: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    let mut out = Vec::new();
    for set in sets {
        let mut files: Vec<_> = std::fs::read_dir(&set)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "bin")
                    && p.file_name().is_some_and(|n| n != "genesis.bin")
            })
            .collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let step: TraceStep = decode_all(&bytes, ChainSpec::TINY.seq_lens()).unwrap();
            let state = step.pre_state.to_state(&ChainSpec::TINY).unwrap();
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            out.push((name, state));
        }
    }
    out
}

/// `Accounts::from_state` then `write_into`, and `take_from` then `into_state`, give back the
/// identical state, for every trace pre-state; and the keyed accounts find each service's
/// code by its code hash.
#[test]
fn accounts_round_trip_every_trace_pre_state() {
    use marmalade_stf::accumulate::Accounts;

    let states = trace_pre_states();
    assert_eq!(states.len(), 600);
    let mut with_code = 0;
    for (name, state) in &states {
        let accounts = Accounts::from_state(state);
        assert_eq!(accounts.len(), state.accounts.len(), "{name}");
        let items: usize = accounts.values().map(|a| a.items.len()).sum();
        assert_eq!(items, state.items.len(), "{name}: no orphan items");

        // Into the same state: nothing changes.
        let mut same = state.clone();
        accounts.write_into(&mut same);
        assert!(same == *state, "{name}: write_into the same state");

        // Into a state without δ: δ is rebuilt.
        let mut blank = state.clone();
        blank.accounts.clear();
        blank.items.clear();
        accounts.write_into(&mut blank);
        assert!(blank == *state, "{name}: write_into an empty δ");

        // Moving out and back.
        let mut moved = state.clone();
        let taken = Accounts::take_from(&mut moved);
        assert!(taken == accounts, "{name}: take_from == from_state");
        assert!(moved.accounts.is_empty() && moved.items.is_empty());
        taken.into_state(&mut moved);
        assert!(moved == *state, "{name}: take_from then into_state");

        for (s, a) in accounts.iter() {
            if a.preimage(*s, &a.info.code_hash).is_some() {
                assert!(a.code(*s).is_some(), "{name}: service {s} code");
                with_code += 1;
            }
        }
    }
    assert!(with_code >= 600, "every trace has a service with code");
}

/// The cost of the conversions on the largest trace pre-states, against cloning the whole
/// state. Run with `cargo test --release -p marmalade-conformance --test stf_accumulate --
/// --ignored --nocapture accounts_conversion_cost`.
#[test]
#[ignore = "timing measurement, not a check"]
fn accounts_conversion_cost() {
    use marmalade_stf::accumulate::Accounts;
    use std::time::{Duration, Instant};

    fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(f());
        }
        start.elapsed() / runs
    }

    let mut states = trace_pre_states();
    // A synthetic large state: 10 services, each with 10 000 storage items of 100 octets and
    // ten 1 MB preimages.
    let mut big = states[0].1.clone();
    for s in 1..=10u32 {
        big.accounts.insert(s, Default::default());
        for i in 0..10_000u32 {
            big.set_storage(s, &i.to_le_bytes(), Some(vec![i as u8; 100]));
        }
        for i in 0..10u8 {
            big.set_preimage(s, &[i; 32], Some(vec![i; 1 << 20]));
        }
    }
    states.push(("synthetic/large".into(), big));
    let size = |s: &marmalade_state::State| s.items.values().map(Vec::len).sum::<usize>();
    states.sort_by_key(|(_, s)| std::cmp::Reverse((size(s), s.items.len())));
    let mut seen = std::collections::BTreeSet::new();
    for (name, state) in states {
        // The largest state of each trace set.
        let set = name.split('/').next().unwrap_or("").to_string();
        if !seen.insert(set) {
            continue;
        }
        let runs: u32 = if state.items.len() > 10_000 { 5 } else { 200 };
        let clone = time(runs, || state.clone());
        let from = time(runs, || Accounts::from_state(&state));
        let accounts = Accounts::from_state(&state);
        // Both are idempotent on the same state: no clone inside the timed part.
        let mut s = state.clone();
        let write_same = time(runs, || accounts.write_into(&mut s));
        let mut blank = state.clone();
        let write_blank = time(runs, || {
            blank.accounts.clear();
            blank.items.clear();
            accounts.write_into(&mut blank)
        });
        let take_into = time(runs, || Accounts::take_from(&mut s).into_state(&mut s));
        assert!(s == state && blank == state);
        println!(
            "{name}: {} services, {} items, {} value octets: State::clone {clone:?}, \
             from_state {from:?}, write_into (unchanged) {write_same:?}, \
             write_into (empty δ) {write_blank:?}, take_from + into_state {take_into:?}",
            state.accounts.len(),
            state.items.len(),
            size(&state),
        );
    }
}
