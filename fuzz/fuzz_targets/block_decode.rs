//! `Block` and `Header` decoding under both chain specs: never panics, and whatever decodes
//! re-encodes to the same bytes (the JAM codec has one encoding per value) and decodes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marmalade_codec::{decode_all, Decode, Encode};
use marmalade_types::{Block, ChainSpec, Header};

fn check<T: Decode + Encode + PartialEq + std::fmt::Debug>(data: &[u8], spec: &ChainSpec) {
    let lens = spec.seq_lens();
    if let Ok(value) = decode_all::<T>(data, lens) {
        let bytes = value.encode();
        assert_eq!(bytes, data, "re-encoding differs ({})", spec.name);
        let again = decode_all::<T>(&bytes, lens).expect("re-encoding decodes");
        assert_eq!(again, value);
    }
}

fuzz_target!(|data: &[u8]| {
    for spec in [ChainSpec::TINY, ChainSpec::FULL] {
        check::<Block>(data, &spec);
        check::<Header>(data, &spec);
    }
});
