//! Signature verification costs: Ed25519 (single and a batch of 1023, one per validator) and
//! Bandersnatch (IETF seal, ring root, ticket proofs in a tiny 6-key ring and a full 1023-key
//! ring; a block's worth of tickets single-threaded, with rayon, and with the batch verifier).
//!
//! `cargo bench -p marmalade-crypto --bench crypto -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use marmalade_crypto::bandersnatch::{
    self, ring_commitment, ticket_seal_input, RingItem, RingProver, RingSignature, RingVerifier,
    SecretKey,
};
use marmalade_crypto::ed25519;
use std::hint::black_box;

/// Tickets per block in the full configuration (`K`).
const TICKETS_PER_BLOCK: usize = 16;

fn ed25519_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("ed25519");
    let keys: Vec<_> = (0..1023u32)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            ed25519::SecretKey::from_seed(&seed)
        })
        .collect();
    let msgs: Vec<Vec<u8>> = (0..1023u32)
        .map(|i| [&b"jam_available"[..], &i.to_le_bytes()].concat())
        .collect();
    let pks: Vec<_> = keys.iter().map(|k| k.public()).collect();
    let sigs: Vec<_> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();

    g.bench_function("verify", |b| {
        b.iter(|| assert!(ed25519::verify(black_box(&pks[0]), &msgs[0], &sigs[0])))
    });
    let items: Vec<ed25519::BatchItem<'_>> = pks
        .iter()
        .zip(&msgs)
        .zip(&sigs)
        .map(|((p, m), s)| (p, m.as_slice(), s))
        .collect();
    g.throughput(Throughput::Elements(1023));
    g.bench_function("verify_1023_one_by_one", |b| {
        b.iter(|| assert!(items.iter().all(|(p, m, s)| ed25519::verify(p, m, s))))
    });
    g.bench_function("verify_batch_1023", |b| {
        b.iter(|| assert!(ed25519::verify_batch(black_box(&items))))
    });
    g.finish();
}

struct Ring {
    verifier: RingVerifier,
    inputs: Vec<Vec<u8>>,
    proofs: Vec<RingSignature>,
}

impl Ring {
    fn new(size: usize, proofs: usize) -> Ring {
        let secrets: Vec<_> = (0..size as u32)
            .map(|i| SecretKey::from_seed(&i.to_le_bytes()))
            .collect();
        let keys: Vec<_> = secrets.iter().map(SecretKey::public).collect();
        let verifier = RingVerifier::from_keys(&keys).unwrap();
        let index = size / 2;
        let prover = RingProver::new(&keys, index).unwrap();
        let inputs: Vec<_> = (0..proofs)
            .map(|i| ticket_seal_input(&[i as u8; 32], (i % 2) as u8))
            .collect();
        let proofs = inputs
            .iter()
            .map(|input| prover.prove(&secrets[index], input, &[]))
            .collect();
        Ring {
            verifier,
            inputs,
            proofs,
        }
    }

    fn items(&self) -> Vec<RingItem<'_>> {
        self.inputs
            .iter()
            .zip(&self.proofs)
            .map(|(i, p)| (i.as_slice(), &[][..], p))
            .collect()
    }
}

fn bandersnatch_benches(c: &mut Criterion) {
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut g = c.benchmark_group("bandersnatch");
    g.sample_size(10);

    let sk = SecretKey::from_seed(b"author");
    let pk = sk.public();
    let input = bandersnatch::fallback_seal_input(&[1; 32]);
    let sig = sk.ietf_sign(&input, b"unsigned header");
    g.bench_function("ietf_verify", |b| {
        b.iter(|| {
            bandersnatch::ietf_verify(&pk, &input, b"unsigned header", black_box(&sig)).unwrap()
        })
    });
    // The same verification with ark-vrf's own verifier (four separate scalar
    // multiplications), side by side with ours (two double-scalar multiplications).
    {
        use ark_vrf::ietf::Verifier as _;
        use ark_vrf::reexports::ark_serialize::CanonicalDeserialize;
        use ark_vrf::suites::bandersnatch as suite;
        // Decoding and hashing to the curve included, as in `ietf_verify`.
        g.bench_function("ietf_verify_ark_vrf", |b| {
            b.iter(|| {
                let sig = black_box(&sig);
                let public = suite::Public::deserialize_compressed(&pk[..]).unwrap();
                let output = suite::Output::deserialize_compressed(&sig[..32]).unwrap();
                let proof = suite::IetfProof::deserialize_compressed(&sig[32..]).unwrap();
                let h = suite::Input::new(&input).unwrap();
                public
                    .verify(h, output, b"unsigned header", &proof)
                    .unwrap()
            })
        });
    }

    for (label, size) in [("tiny6", 6usize), ("full1023", 1023)] {
        let ring = Ring::new(size, TICKETS_PER_BLOCK);
        let items = ring.items();
        let keys: Vec<_> = (0..size as u32)
            .map(|i| SecretKey::from_seed(&i.to_le_bytes()).public())
            .collect();
        g.bench_function(format!("ring_commitment/{label}"), |b| {
            b.iter(|| ring_commitment(black_box(&keys)).unwrap())
        });
        g.bench_function(format!("ring_verifier_from_commitment/{label}"), |b| {
            let root = ring.verifier.commitment();
            b.iter(|| RingVerifier::from_commitment(black_box(&root), size).unwrap())
        });
        g.bench_function(format!("ticket_verify/{label}"), |b| {
            b.iter(|| {
                ring.verifier
                    .verify(&ring.inputs[0], &[], black_box(&ring.proofs[0]))
                    .unwrap()
            })
        });
        g.bench_function(format!("ticket_verify_1thread/{label}"), |b| {
            single.install(|| {
                b.iter(|| {
                    ring.verifier
                        .verify(&ring.inputs[0], &[], black_box(&ring.proofs[0]))
                        .unwrap()
                })
            })
        });
        g.bench_function(
            format!("tickets{TICKETS_PER_BLOCK}_sequential_1thread/{label}"),
            |b| {
                single.install(|| {
                    b.iter(|| {
                        for (i, a, p) in &items {
                            ring.verifier.verify(i, a, p).unwrap();
                        }
                    })
                })
            },
        );
        g.bench_function(format!("tickets{TICKETS_PER_BLOCK}_rayon/{label}"), |b| {
            b.iter(|| {
                assert!(ring.verifier.verify_many(&items).iter().all(|r| r.is_ok()));
            })
        });
        g.bench_function(format!("tickets{TICKETS_PER_BLOCK}_batch/{label}"), |b| {
            b.iter(|| ring.verifier.verify_batch(&items).unwrap())
        });
        if size == 6 {
            let secrets: Vec<_> = (0..6u32)
                .map(|i| SecretKey::from_seed(&i.to_le_bytes()))
                .collect();
            g.bench_function(format!("ring_prove/{label}"), |b| {
                b.iter_batched(
                    || RingProver::new(&keys, 3).unwrap(),
                    |p| p.prove(&secrets[3], &ring.inputs[0], &[]),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, ed25519_benches, bandersnatch_benches);
criterion_main!(benches);
