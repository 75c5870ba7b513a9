//! Shared test data: real blocks, headers, reports and packages from the codec vectors
//! (`jam-test-vectors/codec/{tiny,full}`), and the round-trip check every message goes through.
#![allow(dead_code)]

use std::path::PathBuf;

use marmalade_codec::{decode_all, Decode};
use marmalade_jamnp::{Message, MessageReader};
use marmalade_types::{
    AvailAssurance, Block, ChainSpec, Header, ReportGuarantee, WorkPackage, WorkReport,
};

/// The codec vector `file` of the spec's configuration. Missing vectors fail the test.
pub fn vector(spec: &ChainSpec, file: &str) -> Vec<u8> {
    let root = std::env::var_os("JAM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"));
    let path = root
        .join("jam-test-vectors/codec")
        .join(spec.name)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "codec vector {} not readable ({e}); set JAM_VECTORS or unpack them into .jam-vectors",
            path.display()
        )
    })
}

/// Decodes the codec vector `file` as a `T`.
pub fn decoded<T: Decode>(spec: &ChainSpec, file: &str) -> T {
    decode_all(&vector(spec, file), spec.seq_lens()).expect("codec vector decodes")
}

pub fn block(spec: &ChainSpec) -> Block {
    decoded(spec, "block.bin")
}

/// The header with an epoch mark and a tickets mark where the vectors have them.
pub fn header(spec: &ChainSpec) -> Header {
    decoded(spec, "header_1.bin")
}

pub fn work_report(spec: &ChainSpec) -> WorkReport {
    decoded(spec, "work_report.bin")
}

pub fn work_package(spec: &ChainSpec) -> WorkPackage {
    decoded(spec, "work_package.bin")
}

pub fn guarantee(spec: &ChainSpec) -> ReportGuarantee {
    let mut g: Vec<ReportGuarantee> = decoded(spec, "guarantees_extrinsic.bin");
    g.remove(0)
}

pub fn assurance(spec: &ChainSpec) -> AvailAssurance {
    let mut a: Vec<AvailAssurance> = decoded(spec, "assurances_extrinsic.bin");
    a.remove(0)
}

pub const SPECS: [ChainSpec; 2] = [ChainSpec::TINY, ChainSpec::FULL];

/// A byte pattern that differs from position to position, so that misplaced fields show.
pub fn bytes<const N: usize>(seed: u8) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = seed.wrapping_add((i as u8).wrapping_mul(7));
    }
    out
}

/// Encodes `m`, checks the size against its bound, decodes it back, and reads it again through
/// the framing, chunk by chunk, under the message's own limit. Returns the content.
pub fn roundtrip<M: Message + PartialEq + std::fmt::Debug>(m: &M, spec: &ChainSpec) -> Vec<u8> {
    let content = m.to_bytes();
    assert!(
        content.len() <= M::max_size(spec),
        "{} bytes over the bound {} for {}",
        content.len(),
        M::max_size(spec),
        std::any::type_name::<M>()
    );
    assert_eq!(&M::from_bytes(&content, spec).expect("decodes"), m);
    let framed = marmalade_jamnp::frame::frame(&content).expect("frames");
    let mut reader = MessageReader::new(M::max_size(spec));
    let mut got = None;
    for chunk in framed.chunks(7) {
        let mut chunk = chunk;
        while !chunk.is_empty() {
            if let Some(msg) = reader.read(&mut chunk).expect("reads") {
                assert!(got.is_none(), "one message expected");
                got = Some(msg);
            }
        }
    }
    reader.finish().expect("ends between messages");
    assert_eq!(got.as_deref(), Some(&content[..]));
    content
}
