//! Package to report: 16 work-items of a test service each exporting 192 segments (3,072 in
//! all, $\mathsf{W}_X$), refined on the PVM into a report with its availability specifier and
//! every validator's shards (GP (14.12)–(14.17)), for the full and tiny chain configurations.
//! `compute_report` alone (no erasure coding) is measured beside it.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use marmalade_guarantor::{
    build_report, compute_report, CodeCache, NoSegmentRoots, PackageData, Pvm,
};
use marmalade_types::ChainSpec;
use std::hint::black_box;

const ITEMS: usize = 16;
const EXPORTS_PER_ITEM: u16 = 192;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("package_to_report");
    g.sample_size(10);
    for spec in [ChainSpec::FULL, ChainSpec::TINY] {
        let f = Fixture::new(spec, exporter(u32::from(EXPORTS_PER_ITEM), b"exported"));
        let items = (0..ITEMS)
            .map(|j| f.item(EXPORTS_PER_ITEM, &[j as u8]))
            .collect();
        let bundle = f.bundle(f.package(items));
        let cache = CodeCache::new();
        let work = build_report(&spec, &f.state, 0, &bundle, &NoSegmentRoots, &cache)
            .expect("the bench package is guaranteed");
        assert_eq!(work.exports.len(), ITEMS * usize::from(EXPORTS_PER_ITEM));
        assert!(work.report.results.iter().all(|d| d.result.is_ok()));
        g.bench_function(format!("{}/refine_only", spec.name), |b| {
            let empty_x = vec![vec![]; ITEMS];
            let empty_i = vec![vec![]; ITEMS];
            let data = PackageData {
                package: &bundle.package,
                extrinsics: &empty_x,
                imports: &empty_i,
            };
            b.iter(|| {
                black_box(
                    compute_report(
                        &spec,
                        &f.state,
                        0,
                        &data,
                        &NoSegmentRoots,
                        &Pvm { cache: &cache },
                    )
                    .unwrap(),
                )
            })
        });
        g.bench_function(format!("{}/with_availability", spec.name), |b| {
            b.iter(|| {
                black_box(
                    build_report(&spec, &f.state, 0, &bundle, &NoSegmentRoots, &cache).unwrap(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
