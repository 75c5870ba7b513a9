//! Hostile input never panics: random bytes as messages, mutated recorded messages, random
//! streams into a session.

mod common;

use marmalade_codec::Encode;
use marmalade_fuzz::{
    serve_session, write_frame, Ancestry, FuzzError, KeyValues, Message, PeerInfo, Target,
    MAX_FRAME_LEN,
};
use marmalade_types::{Block, ChainSpec, Header, HeaderHash, StateRoot};
use proptest::prelude::*;
use std::io::{self, Cursor, Read, Write};

const SPECS: [ChainSpec; 2] = [ChainSpec::TINY, ChainSpec::FULL];

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Decodes with both specs; whatever decodes must re-encode to the same bytes (the codec is
/// canonical).
fn check(bytes: &[u8]) {
    for spec in &SPECS {
        if let Ok(m) = Message::decode_with(bytes, spec) {
            assert_eq!(
                m.encode(),
                bytes,
                "non-canonical acceptance ({})",
                spec.name
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn random_payloads_behind_each_discriminator(
        tag in prop_oneof![0u8..=6, Just(255u8)],
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = vec![tag];
        bytes.extend_from_slice(&body);
        check(&bytes);
    }
}

#[test]
fn mutated_recorded_messages_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut decoded = 0usize;
    let mut tried = 0usize;
    for dir in common::session_dirs() {
        for path in common::bin_files(&dir) {
            let orig = std::fs::read(&path).unwrap();
            // The big Initialize message gets fewer rounds to keep the test quick.
            let rounds = if orig.len() > 10_000 { 40 } else { 200 };
            for _ in 0..rounds {
                let mut b = orig.clone();
                match rng.below(4) {
                    0 => {
                        for _ in 0..1 + rng.below(4) {
                            let i = rng.below(b.len());
                            b[i] ^= 1 << rng.below(8);
                        }
                    }
                    1 => {
                        let i = rng.below(b.len());
                        b[i] = rng.next() as u8;
                    }
                    2 => b.truncate(rng.below(b.len())),
                    _ => {
                        let i = rng.below(b.len() + 1);
                        b.insert(i, rng.next() as u8);
                    }
                }
                tried += 1;
                if Message::decode_with(&b, &ChainSpec::TINY).is_ok() {
                    decoded += 1;
                }
                check(&b);
            }
        }
    }
    // Flips in hashes and signatures still decode; the structure-breaking ones do not.
    assert!(decoded > 0 && decoded < tried, "{decoded}/{tried}");
}

/// A stream with fixed input that swallows output.
struct Pipe(Cursor<Vec<u8>>);
impl Read for Pipe {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.0.read(b)
    }
}
impl Write for Pipe {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Accepting;
impl Target for Accepting {
    fn initialize(&mut self, _: Header, _: KeyValues, _: Ancestry) -> Result<StateRoot, String> {
        Ok([0; 32])
    }
    fn import_block(&mut self, _: Block) -> Result<StateRoot, String> {
        Ok([0; 32])
    }
    fn get_state(&mut self, _: HeaderHash) -> Result<KeyValues, String> {
        Ok(vec![])
    }
    fn reset(&mut self) {}
}

#[test]
fn random_streams_never_panic_a_session() {
    let mut rng = Rng(42);
    let hello = Message::PeerInfo(PeerInfo::marmalade()).encode();
    let recorded: Vec<Vec<u8>> = common::bin_files(&common::session_dirs()[1])
        .into_iter()
        .filter(|p| p.to_str().unwrap().contains("_fuzzer_"))
        .take(12)
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut outcomes = [0usize; 3];
    for round in 0..3000 {
        let mut input = Vec::new();
        if round % 3 != 0 {
            write_frame(&mut input, &hello, MAX_FRAME_LEN).unwrap();
        }
        for _ in 0..rng.below(6) {
            match rng.below(3) {
                // A recorded request, possibly corrupted.
                0 => {
                    let mut m = recorded[rng.below(recorded.len())].clone();
                    if rng.below(2) == 0 {
                        let i = rng.below(m.len());
                        m[i] ^= 1 << rng.below(8);
                    }
                    write_frame(&mut input, &m, MAX_FRAME_LEN).unwrap();
                }
                // A random frame.
                1 => {
                    let len = rng.below(64);
                    let m: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                    write_frame(&mut input, &m, MAX_FRAME_LEN).unwrap();
                }
                // Raw garbage, including absurd length prefixes.
                _ => {
                    for _ in 0..rng.below(16) {
                        input.push(rng.next() as u8);
                    }
                }
            }
        }
        let r = serve_session(Pipe(Cursor::new(input)), &mut Accepting, ChainSpec::TINY);
        outcomes[match r {
            Ok(_) => 0,
            Err(FuzzError::Malformed { .. } | FuzzError::Unexpected { .. }) => 1,
            Err(_) => 2,
        }] += 1;
    }
    assert!(outcomes.iter().all(|&n| n > 0), "{outcomes:?}");
}

/// The schema's `Ancestry ::= SEQUENCE (SIZE(0..24))`: an `Initialize` with 24 ancestors is
/// served, one with 25 ends the session before the target sees it.
#[test]
fn initialize_with_25_ancestors_is_rejected() {
    use marmalade_fuzz::{AncestryItem, Initialize, MAX_ANCESTRY};
    struct Counting(usize);
    impl Target for Counting {
        fn initialize(
            &mut self,
            _: Header,
            _: KeyValues,
            a: Ancestry,
        ) -> Result<StateRoot, String> {
            self.0 = a.len();
            Ok([0; 32])
        }
        fn import_block(&mut self, _: Block) -> Result<StateRoot, String> {
            Ok([0; 32])
        }
        fn get_state(&mut self, _: HeaderHash) -> Result<KeyValues, String> {
            Ok(vec![])
        }
        fn reset(&mut self) {}
    }
    let header: Header = common::bin_files(&common::session_dirs()[1])
        .into_iter()
        .find_map(|p| {
            let m = Message::decode_with(&std::fs::read(p).ok()?, &ChainSpec::TINY).ok()?;
            match m {
                Message::Initialize(i) => Some(i.header),
                _ => None,
            }
        })
        .expect("a recorded Initialize");
    for (n, accepted) in [(MAX_ANCESTRY, true), (MAX_ANCESTRY + 1, false)] {
        let init = Initialize {
            header: header.clone(),
            state: vec![],
            ancestry: (0..n as u32)
                .map(|i| AncestryItem {
                    slot: i,
                    header_hash: [i as u8; 32],
                })
                .collect(),
        };
        let mut input = Vec::new();
        let hello = Message::PeerInfo(PeerInfo::marmalade()).encode();
        write_frame(&mut input, &hello, MAX_FRAME_LEN).unwrap();
        let msg = Message::Initialize(Box::new(init)).encode();
        write_frame(&mut input, &msg, MAX_FRAME_LEN).unwrap();
        let mut target = Counting(0);
        let r = serve_session(Pipe(Cursor::new(input)), &mut target, ChainSpec::TINY);
        if accepted {
            assert!(r.is_ok(), "{n}: {r:?}");
            assert_eq!(target.0, n);
        } else {
            assert!(matches!(r, Err(FuzzError::AncestryTooLong(25))), "{r:?}");
            assert_eq!(target.0, 0, "the target never saw it");
        }
    }
}
