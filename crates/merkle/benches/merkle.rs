//! State root over 10,000 random keys (values of mixed sizes), incremental trie updates, the
//! constant-depth root of 1023 chunks, and MMR append.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use marmalade_crypto::hash::blake2b_256;
use marmalade_merkle::{merkle_root_cd, state_root, Key, Mmr, MmrExt, Trie};
use std::hint::black_box;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn items(n: usize, rng: &mut Rng) -> Vec<(Key, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let key: Key = rng.bytes(31).try_into().unwrap();
            // Two thirds embedded (<= 32 octets), one third hashed (33..200 octets).
            let len = if i % 3 == 2 {
                33 + (rng.next() % 168) as usize
            } else {
                (rng.next() % 33) as usize
            };
            (key, rng.bytes(len))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let set = items(10_000, &mut rng);
    let mut g = c.benchmark_group("merkle");
    g.bench_function("state_root/10k", |b| {
        b.iter(|| state_root(black_box(set.iter().map(|(k, v)| (k, v)))))
    });
    g.bench_function("trie_build_and_root/10k", |b| {
        b.iter(|| {
            let mut t: Trie = set.iter().cloned().collect();
            t.root()
        })
    });
    let updates = items(100, &mut rng);
    g.bench_function("trie_update_100_of_10k", |b| {
        b.iter_batched_ref(
            || {
                let mut t: Trie = set.iter().cloned().collect();
                t.root();
                t
            },
            |t| {
                for (i, (k, v)) in updates.iter().enumerate() {
                    if i % 2 == 0 {
                        t.insert(*k, v.clone());
                    } else {
                        t.insert(set[i * 97].0, v.clone());
                    }
                }
                t.root()
            },
            BatchSize::LargeInput,
        );
    });
    let chunks: Vec<Vec<u8>> = (0..1023).map(|_| rng.bytes(12)).collect();
    g.bench_function("merkle_root_cd/1023", |b| {
        b.iter(|| merkle_root_cd(black_box(&chunks), blake2b_256))
    });
    let leaves: Vec<[u8; 32]> = (0..1024)
        .map(|_| rng.bytes(32).try_into().unwrap())
        .collect();
    g.bench_function("mmr_append_keccak/1024", |b| {
        b.iter(|| {
            let mut m = Mmr::new();
            for l in &leaves {
                m.append(*l);
            }
            m.super_peak()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
