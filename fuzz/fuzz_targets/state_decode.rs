//! The state decoder `State::from_key_values`: never panics, and a state that decodes and
//! fits the spec serialises back to the same key/value pairs.
//!
//! Input: a spec byte (even: tiny, odd: full), then pairs of a 31-byte key, a `u32`
//! little-endian value length (clamped to what is left) and the value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marmalade_state::{State, StateKey};
use marmalade_types::ChainSpec;

fn split(mut data: &[u8]) -> Vec<(StateKey, &[u8])> {
    let mut kvs = Vec::new();
    while data.len() >= 31 {
        let key: StateKey = data[..31].try_into().unwrap();
        data = &data[31..];
        let n = data.len().min(4);
        let mut len = [0u8; 4];
        len[..n].copy_from_slice(&data[..n]);
        data = &data[n..];
        let len = (u32::from_le_bytes(len) as usize).min(data.len());
        kvs.push((key, &data[..len]));
        data = &data[len..];
    }
    kvs
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let spec = if sel & 1 == 0 {
        ChainSpec::TINY
    } else {
        ChainSpec::FULL
    };
    let kvs = split(rest);
    let Ok(state) = State::from_key_values(&spec, kvs.iter().map(|(k, v)| (*k, v.to_vec()))) else {
        return;
    };
    // `to_key_values` is only defined for states of the spec's shape (as `Chain` checks).
    if state.check_shape(&spec).is_err() {
        return;
    }
    let mut given: Vec<(StateKey, Vec<u8>)> = kvs.iter().map(|(k, v)| (*k, v.to_vec())).collect();
    given.sort_by_key(|kv| kv.0);
    let out = state.to_key_values(&spec);
    assert_eq!(out, given, "to_key_values differs from the decoded pairs");
    let again = State::from_key_values(&spec, out).expect("re-encoding decodes");
    assert_eq!(again.to_key_values(&spec), given);
});
