//! Block and header decoding/encoding on the codec vectors (full config: a 161 KB block with
//! tickets, disputes, preimages, guarantees and assurances).
//!
//!     cargo bench -p marmalade-types --bench decode
//!
//! Needs the vectors (`../shared/vectors/unpack .jam-vectors` or `$JAM_VECTORS`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use marmalade_types::{decode_all, Block, ChainSpec, Encode, Header};
use std::path::PathBuf;

fn vectors() -> PathBuf {
    std::env::var_os("JAM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"))
        .join("jam-test-vectors/codec")
}

fn read(rel: &str) -> Vec<u8> {
    let p = vectors().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (unpack the vectors first)", p.display()))
}

fn bench(c: &mut Criterion) {
    for (cfg, spec) in [("full", ChainSpec::FULL), ("tiny", ChainSpec::TINY)] {
        let lens = spec.seq_lens();
        let block_bytes = read(&format!("{cfg}/block.bin"));
        let header_bytes = read(&format!("{cfg}/header_1.bin"));
        let mut g = c.benchmark_group(format!("codec/{cfg}"));
        g.throughput(Throughput::Bytes(block_bytes.len() as u64));
        g.bench_function("block decode", |b| {
            b.iter(|| decode_all::<Block>(&block_bytes, lens).expect("block decodes"))
        });
        let block: Block = decode_all(&block_bytes, lens).expect("block decodes");
        g.bench_function("block encode", |b| b.iter(|| block.encode()));
        g.throughput(Throughput::Bytes(header_bytes.len() as u64));
        g.bench_function("header decode", |b| {
            b.iter(|| decode_all::<Header>(&header_bytes, lens).expect("header decodes"))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
