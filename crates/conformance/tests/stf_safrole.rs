//! The `stf/safrole` vectors (GP section 6): all 42 files (21 tiny, 21 full) must pass.
//! Fails when the vectors are missing.

/// Runs this file's tests one at a time. `marmalade_crypto::bandersnatch` builds a ring size's
/// parameters (with rayon) while holding its cache lock; a thread outside rayon's pool doing
/// that while the pool's workers wait on the same lock deadlocks, which is what the timing
/// test (on the test thread) and the vector run (on the pool) would do side by side.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn safrole_vectors_all_pass() {
    let _serial = serial();
    marmalade_conformance::assert_suite("jam-test-vectors/stf/safrole", 42);
}

/// Ticket verification timings on the heaviest full vector (`publish-tickets-with-mark-3`,
/// five tickets against the 1023-key ring), on one thread and on all of rayon's threads.
/// Run with `cargo test --release -p marmalade-conformance --test stf_safrole -- --ignored
/// --nocapture`.
#[test]
#[ignore = "timing measurement, not a check"]
fn ticket_verification_timings() {
    let _serial = serial();
    use marmalade_conformance::stf::safrole::{transition, Input, Output, State};
    use marmalade_conformance::stf::{load, TestCase, VectorOutput};
    use marmalade_crypto::bandersnatch::{ring_commitment, ticket_seal_input, RingVerifier};
    use marmalade_stf::safrole::{verify_tickets, Error};
    use marmalade_types::ChainSpec;
    use std::time::{Duration, Instant};

    fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(f());
        }
        start.elapsed() / runs
    }

    let spec = ChainSpec::FULL;
    let path = marmalade_conformance::vectors_root()
        .join("jam-test-vectors/stf/safrole/full/publish-tickets-with-mark-3.bin");
    let case: TestCase<Input, State, VectorOutput<Output, Error>> =
        load(&path, &spec).expect("the vector loads");
    let pre = &case.pre_state;
    let tickets = &case.input.extrinsic;
    let eta2 = pre.eta[2];

    let t = Instant::now();
    let verifier = RingVerifier::from_commitment(&pre.gamma_z, spec.validators).unwrap();
    println!(
        "first RingVerifier (ring params for 1023 keys): {:?}",
        t.elapsed()
    );
    let from_root = time(5, || {
        RingVerifier::from_commitment(&pre.gamma_z, spec.validators).unwrap()
    });
    let keys: Vec<_> = pre.gamma_k.iter().map(|k| k.bandersnatch).collect();
    let from_keys = time(3, || RingVerifier::from_keys(&keys).unwrap());
    let commit = time(3, || ring_commitment(&keys).unwrap());
    println!("RingVerifier::from_commitment: {from_root:?}, from_keys: {from_keys:?}");
    println!("ring_commitment of 1023 keys (epoch change): {commit:?}");

    let threads = rayon::current_num_threads();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let input0 = ticket_seal_input(&eta2, tickets[0].attempt);
    let single = time(40, || {
        verifier
            .verify(&input0, &[], &tickets[0].signature)
            .unwrap()
    });
    println!("one ticket, verify: {single:?}");
    let n = tickets.len();
    let runs = 20;
    let seq = time(runs, || {
        for t in tickets {
            let input = ticket_seal_input(&eta2, t.attempt);
            verifier.verify(&input, &[], &t.signature).unwrap();
        }
    });
    println!("{n} tickets one by one, 1 thread: {seq:?}");
    let batch1 = one.install(|| time(runs, || verify_tickets(&verifier, &eta2, tickets).unwrap()));
    let batch_n = time(runs, || verify_tickets(&verifier, &eta2, tickets).unwrap());
    println!(
        "{n} tickets verify_tickets (batch), 1 thread: {batch1:?}; {threads} threads: {batch_n:?}"
    );
    let items: Vec<_> = tickets
        .iter()
        .map(|t| (ticket_seal_input(&eta2, t.attempt), t.signature))
        .collect();
    let refs: Vec<_> = items
        .iter()
        .map(|(i, s)| (i.as_slice(), &[][..], s))
        .collect();
    let many1 = one.install(|| time(runs, || verifier.verify_many(&refs)));
    let many_n = time(runs, || verifier.verify_many(&refs));
    println!("{n} tickets verify_many, 1 thread: {many1:?}; {threads} threads: {many_n:?}");
    let stf1 = one.install(|| time(runs, || transition(&spec, pre, &case.input).unwrap()));
    let stf_n = time(runs, || transition(&spec, pre, &case.input).unwrap());
    println!("whole transition, 1 thread: {stf1:?}; {threads} threads: {stf_n:?}");
}
