//! Work-package bundles (GP (14.16)) and the DA justifications and proof pages a validator
//! receives over JAMNP-S (CE 137-140): decoding never panics nor allocates beyond the input, and
//! a bundle that decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marmalade_da::{decode_bundle, JustificationStep, ProofPage};
use marmalade_types::ChainSpec;

fuzz_target!(|data: &[u8]| {
    for spec in [ChainSpec::TINY, ChainSpec::FULL] {
        if let Ok(bundle) = decode_bundle(data, &spec) {
            assert_eq!(bundle.encode(), data, "re-encoding differs ({})", spec.name);
        }
    }
    if let Some((&first, rest)) = data.split_first() {
        let _ = JustificationStep::decode_all(rest, usize::from(first));
        let _ = ProofPage::decode(rest, usize::from(first), usize::from(first) * 64 + 5);
    }
});
