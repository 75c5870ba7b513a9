//! The fuzz-protocol decoders: the input is decoded whole as a `Message` under both specs
//! and also read as a stream of frames (`read_frame_into`), each decoded as a `Message`.
//! Never panics; what decodes re-encodes to the same bytes; a frame buffer never holds much
//! more than the bytes that actually arrived (libFuzzer's `-malloc_limit_mb` catches a
//! decoder that reserves by a forged length).
#![no_main]

use libfuzzer_sys::fuzz_target;
use marmalade_codec::Encode;
use marmalade_fuzz::framing::{read_frame_into, FrameError, MAX_FRAME_LEN, RETAINED_CAPACITY};
use marmalade_fuzz::Message;
use marmalade_types::ChainSpec;
use std::io::Cursor;

fn decode(bytes: &[u8], spec: &ChainSpec) {
    if let Ok(msg) = Message::decode_with(bytes, spec) {
        let _ = msg.summary();
        assert_eq!(msg.encode(), bytes, "re-encoding differs ({})", spec.name);
    }
}

fuzz_target!(|data: &[u8]| {
    for spec in [ChainSpec::TINY, ChainSpec::FULL] {
        decode(data, &spec);
    }
    // A stream of frames, as on the socket (tiny: the fuzz protocol's usual spec).
    let mut r = Cursor::new(data);
    let mut buf = Vec::new();
    loop {
        match read_frame_into(&mut r, &mut buf, MAX_FRAME_LEN) {
            Ok(()) => decode(&buf, &ChainSpec::TINY),
            Err(
                FrameError::Closed | FrameError::Truncated { .. } | FrameError::TooLarge { .. },
            ) => break,
            Err(e) => panic!("unexpected frame error from an in-memory reader: {e}"),
        }
        assert!(buf.capacity() <= RETAINED_CAPACITY.max(2 * buf.len()) + 64);
    }
});
