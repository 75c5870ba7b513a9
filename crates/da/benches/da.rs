//! Data availability with the full configuration (V = 1023, K = 342): the availability
//! specifier of a 12 MiB bundle with 3,072 exported segments (erasure coding, `b♣`, `s♣`, the
//! erasure root and every validator's justification), and reconstruction from one third of the
//! shards (mostly recovery shards) of that bundle and of the 3,072 segments with their proof
//! pages, and of an import batch of 64 segments with its `J_0` justifications.

use criterion::{criterion_group, criterion_main, Criterion};
use marmalade_da::reconstruct::segment_request;
use marmalade_da::{availability, reconstruct_bundle, reconstruct_imports, reconstruct_segments};
use marmalade_types::constants::SEGMENT_SIZE;
use marmalade_types::work::Segment;
use marmalade_types::ChainSpec;
use std::hint::black_box;

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let spec = ChainSpec::FULL;
    let bundle = data(12 << 20, 1);
    let exports: Vec<Segment> = (0..3072u64)
        .map(|i| Box::new(data(SEGMENT_SIZE, i + 2).try_into().unwrap()))
        .collect();
    let mut g = c.benchmark_group("da");
    g.sample_size(10);
    g.bench_function("availability_12MiB_3072_segments", |b| {
        b.iter(|| availability(&spec, [0; 32], black_box(&bundle), black_box(&exports)).unwrap())
    });

    let a = availability(&spec, [0; 32], &bundle, &exports).unwrap();
    // One third: 32 data shards and 310 recovery shards.
    let pick: Vec<usize> = (0..32).chain((1023 - 310)..1023).collect();
    let bundle_shards: Vec<(u16, &[u8])> = pick
        .iter()
        .map(|&i| (i as u16, &a.shards[i].bundle_shard[..]))
        .collect();
    g.bench_function("reconstruct_bundle_12MiB", |b| {
        b.iter(|| reconstruct_bundle(&spec, a.spec.length, black_box(&bundle_shards)).unwrap())
    });
    let lists: Vec<(u16, Vec<&[u8]>)> = pick
        .iter()
        .map(|&i| (i as u16, a.shards[i].segment_shards.to_slices()))
        .collect();
    g.bench_function("reconstruct_3072_segments_and_48_pages", |b| {
        b.iter(|| reconstruct_segments(&spec, black_box(&lists)).unwrap())
    });
    let wanted: Vec<u16> = (1000..1064).collect();
    let req = segment_request(&wanted, 3072).unwrap();
    let import_lists: Vec<(u16, Vec<&[u8]>)> = pick
        .iter()
        .map(|&i| {
            let l = &a.shards[i].segment_shards;
            (
                i as u16,
                req.iter().map(|&x| l.get(x as usize).unwrap()).collect(),
            )
        })
        .collect();
    g.bench_function("reconstruct_imports_64_with_justifications", |b| {
        b.iter(|| {
            reconstruct_imports(
                &spec,
                &a.spec.exports_root,
                3072,
                &wanted,
                black_box(&import_lists),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
