//! The `stf/assurances` vectors (tiny and full): all 20 files must pass. Fails when the vectors are
//! missing.

#[test]
fn stf_assurances_vectors_all_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/stf/assurances", 20);
}

/// Times the signature checks of the heaviest block of the vectors (`full/some_assurances-1`,
/// 1023 assurances): the whole transition (chunked batches over the thread pool), one batch on
/// one thread, and one-by-one checks. Run with
/// `cargo test --release -p marmalade-conformance --test stf_assurances -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check"]
fn heaviest_block_signature_timing() {
    use marmalade_codec::Decode;
    use marmalade_conformance::stf::assurances::{transition, Input, Output, State};
    use marmalade_crypto::ed25519;
    use marmalade_stf::assurances::{signing_message, Error};
    use marmalade_types::ChainSpec;
    use std::time::{Duration, Instant};

    #[allow(dead_code)]
    #[derive(Decode)]
    enum VectorOutput {
        #[codec(index = 0)]
        Ok(Output),
        #[codec(index = 1)]
        Err(Error),
    }
    #[allow(dead_code)]
    #[derive(Decode)]
    struct TestCase {
        input: Input,
        pre_state: State,
        output: VectorOutput,
        post_state: State,
    }

    let path = marmalade_conformance::vectors_root()
        .join("jam-test-vectors/stf/assurances/full/some_assurances-1.bin");
    let bytes = std::fs::read(&path).expect("vector file");
    let spec = ChainSpec::FULL;
    let case: TestCase = marmalade_codec::decode_all(&bytes, spec.seq_lens()).expect("decodes");
    let input = &case.input;
    let messages: Vec<Vec<u8>> = input
        .assurances
        .iter()
        .map(|a| signing_message(&input.parent, &a.bitfield))
        .collect();
    let items: Vec<ed25519::BatchItem<'_>> = input
        .assurances
        .iter()
        .zip(&messages)
        .map(|(a, m)| {
            let k = &case.pre_state.curr_validators[usize::from(a.validator_index)].ed25519;
            (k, m.as_slice(), &a.signature)
        })
        .collect();

    let median = |f: &mut dyn FnMut()| -> Duration {
        let mut times: Vec<Duration> = (0..9)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let whole = median(&mut || assert!(transition(&spec, &case.pre_state, input).is_ok()));
    let batch = median(&mut || assert!(ed25519::verify_batch(&items)));
    let single = median(&mut || assert!(items.iter().all(|(k, m, s)| ed25519::verify(k, m, s))));
    println!(
        "{} assurances: transition {whole:?}, one batch {batch:?}, one by one {single:?} \
         ({} threads)",
        items.len(),
        rayon::current_num_threads()
    );
}
