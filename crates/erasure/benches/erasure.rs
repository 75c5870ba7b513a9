//! Erasure coding throughput with the full parameters (K = 342, N = 1023): one 4104-octet
//! segment, a batch of 64 segments, and a 12 MiB bundle; reconstruction from K chunks of which
//! most are recovery chunks.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use marmalade_erasure::{
    encode, encode_flat, encode_segments, reconstruct, reconstruct_segments, Coder, ErasureParams,
    SEGMENT_SIZE,
};
use std::hint::black_box;

fn data(len: usize) -> Vec<u8> {
    let mut x = 0x1234_5678_9abc_def1u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// K chunk indices: the first 32 data chunks, the rest recovery chunks from the top.
fn mostly_recovery(p: ErasureParams) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..32).collect();
    idx.extend(
        (p.data_shards()..p.total_shards())
            .rev()
            .take(p.data_shards() - 32),
    );
    idx
}

fn bench(c: &mut Criterion) {
    let p = ErasureParams::FULL;
    let mut g = c.benchmark_group("erasure");
    g.sample_size(10);
    for (name, len) in [("segment", SEGMENT_SIZE), ("bundle_12MiB", 12 << 20)] {
        let d = data(len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::new("encode", name), &d, |b, d| {
            b.iter(|| encode(p, black_box(d)))
        });
        g.bench_with_input(BenchmarkId::new("encode_flat", name), &d, |b, d| {
            b.iter(|| encode_flat(p, black_box(d)))
        });
        let chunks = encode(p, &d);
        let given: Vec<(usize, &[u8])> = mostly_recovery(p)
            .into_iter()
            .map(|i| (i, chunks[i].as_slice()))
            .collect();
        g.bench_with_input(BenchmarkId::new("reconstruct", name), &given, |b, given| {
            b.iter(|| reconstruct(p, black_box(given), len).unwrap())
        });
        if len > SEGMENT_SIZE {
            let mut coder = Coder::new();
            g.bench_with_input(BenchmarkId::new("encode_reused_coder", name), &d, |b, d| {
                b.iter(|| coder.encode(p, black_box(d)))
            });
            g.bench_with_input(
                BenchmarkId::new("reconstruct_reused_coder", name),
                &given,
                |b, given| b.iter(|| coder.reconstruct(p, black_box(given), len).unwrap()),
            );
        }
    }
    let segs: Vec<Vec<u8>> = (0..64).map(|_| data(SEGMENT_SIZE)).collect();
    g.throughput(Throughput::Bytes((64 * SEGMENT_SIZE) as u64));
    g.bench_function("encode_segments/64_batched", |b| {
        b.iter(|| encode_segments(p, black_box(&segs)).unwrap())
    });
    g.bench_function("encode_segments/64_one_by_one", |b| {
        b.iter(|| {
            segs.iter()
                .map(|s| encode(p, black_box(s)))
                .collect::<Vec<_>>()
        })
    });
    let batch = encode_segments(p, &segs).unwrap();
    let shards: Vec<(usize, Vec<&[u8]>)> = mostly_recovery(p)
        .into_iter()
        .map(|i| (i, batch.iter().map(|c| &c[i]).collect()))
        .collect();
    g.bench_function("reconstruct_segments/64_batched", |b| {
        b.iter(|| reconstruct_segments(p, SEGMENT_SIZE, black_box(&shards)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
