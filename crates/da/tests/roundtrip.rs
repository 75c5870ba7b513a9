//! Erasure round trips of bundles and segments through `availability` and reconstruction from
//! random one-third subsets of the validators' shards (full and tiny configurations), the shard
//! justifications against the erasure root, the store's CE 138/139/140 answers, and
//! cross-checks against the erasure-coding vectors and the trace reports.

use std::path::PathBuf;

use marmalade_crypto::hash::blake2b_256;
use marmalade_da::availability::{bundle_shard_justification, segment_shard_justification};
use marmalade_da::reconstruct::segment_request;
use marmalade_da::segments::justification;
use marmalade_da::store::{audit_cutoff, segment_cutoff};
use marmalade_da::*;
use marmalade_types::constants::SEGMENT_SIZE;
use marmalade_types::work::Segment;
use marmalade_types::ChainSpec;

/// xorshift64: a seeded RNG for data and subsets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// `k` distinct indices below `n`, in random order.
    fn subset(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + (self.next() % (n - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx
    }
}

fn segments(rng: &mut Rng, n: usize) -> Vec<Segment> {
    (0..n)
        .map(|_| {
            let mut s: Segment = Box::new([0; SEGMENT_SIZE]);
            s.copy_from_slice(&rng.bytes(SEGMENT_SIZE));
            s
        })
        .collect()
}

fn k_of(spec: &ChainSpec) -> usize {
    erasure_params(spec).unwrap().data_shards()
}

fn bundle_round_trips(spec: ChainSpec, sizes: &[(usize, usize)]) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ spec.validators as u64);
    let k = k_of(&spec);
    // JAMNP-S's recovery threshold R: 342 of 1023, 2 of 6.
    assert_eq!(k, if spec.validators == 1023 { 342 } else { 2 });
    for &(len, subsets) in sizes {
        let bundle = rng.bytes(len);
        let a = availability(&spec, [len as u8; 32], &bundle, &[]).unwrap();
        assert_eq!(a.spec.length as usize, len);
        assert_eq!(a.spec.exports_count, 0);
        assert_eq!(a.spec.exports_root, [0; 32]);
        assert_eq!(a.shards.len(), spec.validators);
        // b♣ pads to W_E: each chunk is 2⌈|b|/W_E⌉ octets.
        let chunk = 2 * len.div_ceil(spec.ec_piece_size);
        assert!(a.shards.iter().all(|s| s.bundle_shard.len() == chunk));
        // The systematic part is the padded bundle itself.
        let mut joined: Vec<u8> = a.shards[..k]
            .iter()
            .flat_map(|s| s.bundle_shard.clone())
            .collect();
        assert!(joined[len..].iter().all(|&b| b == 0));
        joined.truncate(len);
        assert_eq!(joined, bundle);
        let root = a.spec.erasure_root;
        for _ in 0..subsets {
            let pick = rng.subset(spec.validators, k);
            let shards: Vec<(u16, &[u8])> = pick
                .iter()
                .map(|&i| (i as u16, &a.shards[i].bundle_shard[..]))
                .collect();
            for (i, s) in &shards {
                let j = bundle_shard_justification(
                    &a.shards[*i as usize].justification,
                    a.shards[*i as usize].segment_shards.root(),
                );
                verify_bundle_shard(&root, *i as usize, spec.validators, s, &j).unwrap();
            }
            let rebuilt = reconstruct_bundle(&spec, a.spec.length, &shards).unwrap();
            assert!(rebuilt == bundle, "bundle of {len} octets not rebuilt");
        }
        // Bad shard sets are errors: a repeated index, an index past V, a shard of the wrong
        // size.
        let mut dup: Vec<(u16, &[u8])> = (0..k)
            .map(|i| (i as u16, &a.shards[i].bundle_shard[..]))
            .collect();
        dup.push(dup[0]);
        assert!(reconstruct_bundle(&spec, a.spec.length, &dup).is_err());
        dup.pop();
        dup[0].0 = spec.validators as u16;
        assert!(reconstruct_bundle(&spec, a.spec.length, &dup).is_err());
        dup[0] = (0, &a.shards[0].bundle_shard[1..]);
        assert!(reconstruct_bundle(&spec, a.spec.length, &dup).is_err());
        assert!(reconstruct_bundle(&spec, a.spec.length + 1_000_000, &dup).is_err());
        // One fewer than K shards is an error.
        let few: Vec<(u16, &[u8])> = (0..k - 1)
            .map(|i| (i as u16, &a.shards[i].bundle_shard[..]))
            .collect();
        assert!(matches!(
            reconstruct_bundle(&spec, a.spec.length, &few),
            Err(DaError::Erasure(_))
        ));
    }
}

#[test]
fn bundles_tiny() {
    bundle_round_trips(
        ChainSpec::TINY,
        &[
            (1, 4),
            (2, 4),
            (683, 4),
            (684, 4),
            (4104, 4),
            (1 << 20, 3),
            (12 << 20, 2),
        ],
    );
}

#[test]
fn bundles_full() {
    bundle_round_trips(
        ChainSpec::FULL,
        &[
            (1, 4),
            (2, 4),
            (683, 4),
            (684, 4),
            (685, 3),
            (4104, 4),
            (1 << 20, 2),
            (12 << 20, 1),
        ],
    );
}

#[test]
fn justifications_verify_and_tampering_fails() {
    for spec in [ChainSpec::TINY, ChainSpec::FULL] {
        let mut rng = Rng(77);
        let bundle = rng.bytes(5000);
        let exports = segments(&mut rng, 70);
        let a = availability(&spec, [1; 32], &bundle, &exports).unwrap();
        let root = a.spec.erasure_root;
        let v = spec.validators;
        for (i, s) in a.shards.iter().enumerate() {
            verify_shards(&root, i, v, s).unwrap();
        }
        let s = &a.shards[3];
        assert!(verify_shards(&root, 4, v, s).is_err());
        assert!(verify_shards(&root, v, v, s).is_err());
        assert!(verify_shards(&[9; 32], 3, v, s).is_err());
        let mut t = s.clone();
        t.bundle_shard[0] ^= 1;
        assert!(verify_shards(&root, 3, v, &t).is_err());
        let mut t = s.clone();
        let mut seg = t.segment_shards.as_bytes().to_vec();
        seg[5] ^= 0x80;
        t.segment_shards = ShardSeq::new(seg, t.segment_shards.shard_len()).unwrap();
        assert!(verify_shards(&root, 3, v, &t).is_err());
        let mut t = s.clone();
        t.justification.pop();
        assert!(verify_shards(&root, 3, v, &t).is_err());

        // CE 138 responses with a tampered shard: it is left out, the bundle still rebuilt.
        let k = k_of(&spec);
        let mut resp: Vec<(u16, Vec<u8>, Vec<JustificationStep>)> = (0..=k)
            .map(|i| {
                let s = &a.shards[i];
                let j = bundle_shard_justification(&s.justification, s.segment_shards.root());
                (i as u16, s.bundle_shard.clone(), j)
            })
            .collect();
        resp[1].1[0] ^= 1;
        let (rebuilt, bad) = reconstruct_bundle_justified(&spec, &a.spec, &resp).unwrap();
        assert_eq!((rebuilt, bad), (bundle.clone(), vec![1]));
        resp[2].1[0] ^= 1;
        assert!(reconstruct_bundle_justified(&spec, &a.spec, &resp).is_err());

        // CE 138 and CE 140 justifications, and their JAMNP-S encoding.
        let j138 = bundle_shard_justification(&s.justification, s.segment_shards.root());
        verify_bundle_shard(&root, 3, v, &s.bundle_shard, &j138).unwrap();
        let mut bad = s.bundle_shard.clone();
        bad[1] ^= 1;
        assert!(verify_bundle_shard(&root, 3, v, &bad, &j138).is_err());
        assert!(verify_bundle_shard(&root, 3, v, &s.bundle_shard, &s.justification).is_err());
        let enc = JustificationStep::encode_all(&j138);
        assert_eq!(
            JustificationStep::decode_all(&enc, s.segment_shards.shard_len()).unwrap(),
            j138
        );
        assert!(JustificationStep::decode_all(&enc[..enc.len() - 1], 12).is_err());
        let m = a.shards[3].segment_shards.len();
        assert_eq!(m, 70 + 2);
        for n in [0, 1, 63, 64, 69, 70, 71] {
            let bh = blake2b_256(&s.bundle_shard);
            let j =
                segment_shard_justification(&s.justification, bh, &s.segment_shards, n).unwrap();
            let shard = s.segment_shards.get(n).unwrap();
            verify_segment_shard(&root, 3, v, 70, n, shard, &j).unwrap();
            let enc = JustificationStep::encode_all(&j);
            let dec = JustificationStep::decode_all(&enc, s.segment_shards.shard_len()).unwrap();
            assert_eq!(dec, j);
            let mut bad = shard.to_vec();
            bad[0] ^= 1;
            assert!(verify_segment_shard(&root, 3, v, 70, n, &bad, &j).is_err());
            assert!(verify_segment_shard(&root, 3, v, 70, (n + 1) % m, shard, &j).is_err());
            assert!(verify_segment_shard(&root, 3, v, 71, n, shard, &j).is_err() || n < 64);
        }
        assert!(verify_segment_shard(&root, 3, v, 70, 72, &[0; 12], &[]).is_err());
    }
}

fn segment_round_trips(spec: ChainSpec, counts: &[usize], subsets: usize) {
    let mut rng = Rng(0x1234 ^ spec.validators as u64);
    let k = k_of(&spec);
    let v = spec.validators;
    for &n in counts {
        let exports = segments(&mut rng, n);
        let bundle = rng.bytes(300);
        let a = availability(&spec, [2; 32], &bundle, &exports).unwrap();
        assert_eq!(a.spec.exports_count as usize, n);
        assert_eq!(a.spec.exports_root, segments_root(&exports));
        let proofs = paged_proofs(&exports);
        let m = n + n.div_ceil(64);
        assert_eq!(proofs.len(), n.div_ceil(64));
        let all: Vec<&Segment> = exports.iter().chain(&proofs).collect();
        for s in &a.shards {
            assert_eq!(s.segment_shards.len(), m);
            assert_eq!(
                s.segment_shards.shard_len(),
                SEGMENT_SIZE / k,
                "W_G / K octets per segment shard"
            );
        }
        for _ in 0..subsets {
            let pick = rng.subset(v, k);
            let lists: Vec<(u16, Vec<&[u8]>)> = pick
                .iter()
                .map(|&i| (i as u16, a.shards[i].segment_shards.to_slices()))
                .collect();
            let rebuilt = reconstruct_segments(&spec, &lists).unwrap();
            assert_eq!(rebuilt.len(), m);
            assert!(
                rebuilt.iter().zip(&all).all(|(r, s)| r == *s),
                "{n} segments not rebuilt"
            );

            // Importing a batch: the segments and their pages, then J_0 from the pages.
            let wanted: Vec<u16> = (0..n.min(5))
                .map(|_| (rng.next() % n as u64) as u16)
                .chain([n as u16 - 1])
                .collect();
            let req = segment_request(&wanted, n as u16).unwrap();
            let lists: Vec<(u16, Vec<&[u8]>)> = pick
                .iter()
                .map(|&i| {
                    let l = &a.shards[i].segment_shards;
                    (
                        i as u16,
                        req.iter()
                            .map(|&x| l.get(x as usize).unwrap())
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            let imported =
                reconstruct_imports(&spec, &a.spec.exports_root, n as u16, &wanted, &lists)
                    .unwrap();
            for (&w, (seg, j)) in wanted.iter().zip(&imported) {
                assert!(*seg == exports[w as usize]);
                assert_eq!(Some(j), justification(&exports, w as usize).as_ref());
            }
            // The same shards against another root fail.
            assert!(reconstruct_imports(&spec, &[3; 32], n as u16, &wanted, &lists).is_err());
        }
        // Bad requests: too few lists, lists of unequal length, an index past the exports.
        let few: Vec<(u16, Vec<&[u8]>)> = (0..k - 1)
            .map(|i| (i as u16, a.shards[i].segment_shards.to_slices()))
            .collect();
        assert!(reconstruct_segments(&spec, &few).is_err());
        let mut uneven: Vec<(u16, Vec<&[u8]>)> = (0..k)
            .map(|i| (i as u16, a.shards[i].segment_shards.to_slices()))
            .collect();
        uneven[0].1.pop();
        assert!(m == 1 || reconstruct_segments(&spec, &uneven).is_err());
        assert!(segment_request(&[n as u16], n as u16).is_err());
    }
}

#[test]
fn segments_tiny() {
    segment_round_trips(ChainSpec::TINY, &[1, 2, 63, 64, 65, 3072], 3);
}

#[test]
fn segments_full() {
    segment_round_trips(ChainSpec::FULL, &[1, 2, 63, 64, 65], 3);
    segment_round_trips(ChainSpec::FULL, &[3072], 2);
}

#[test]
fn store_serves_ce138_to_ce140_and_expires() {
    let spec = ChainSpec::TINY;
    let v = spec.validators;
    let mut rng = Rng(5);
    let exports = segments(&mut rng, 100);
    let bundle = rng.bytes(10_000);
    let a = availability(&spec, [4; 32], &bundle, &exports).unwrap();
    let root = a.spec.erasure_root;
    let mut store = MemoryDaStore::new(v);
    for (i, s) in a.shards.iter().enumerate() {
        store.insert(root, i as u16, s.clone(), 10).unwrap();
    }
    // A shard that does not match the root is refused.
    let mut bad = a.shards[0].clone();
    bad.bundle_shard[0] ^= 1;
    assert!(store.insert(root, 0, bad, 10).is_err());
    assert!(store
        .insert(root, v as u16, a.shards[0].clone(), 10)
        .is_err());
    assert_eq!(store.list().len(), v);

    let mut bundle_shards = Vec::new();
    for i in 0..v as u16 {
        let (shard, j) = store.bundle_shard(&root, i).unwrap();
        verify_bundle_shard(&root, i as usize, v, &shard, &j).unwrap();
        bundle_shards.push((i, shard));
    }
    let rebuilt = reconstruct_bundle(&spec, a.spec.length, &bundle_shards[4..]).unwrap();
    assert_eq!(rebuilt, bundle);

    let want = [0u16, 5, 99, 100, 101];
    for i in 0..v as u16 {
        let plain = store.segment_shards(&root, i, &want).unwrap();
        let justified = store.segment_shards_justified(&root, i, &want).unwrap();
        for ((&n, p), (s, j)) in want.iter().zip(&plain).zip(&justified) {
            assert_eq!(p, s);
            verify_segment_shard(&root, i as usize, v, 100, n as usize, s, j).unwrap();
        }
    }
    assert!(store.segment_shards(&root, 0, &[102]).is_err());
    assert_eq!(
        store.segment_shards(&[0; 32], 0, &[0]),
        Err(DaError::NotFound)
    );

    // Retention: bundle shards go once their assurance is final, segments after 672 epochs.
    assert_eq!(audit_cutoff(15), 10);
    assert_eq!(store.expire_bundles(audit_cutoff(15)), 0);
    assert_eq!(store.expire_bundles(audit_cutoff(16)), v);
    assert!(store.bundle_shard(&root, 0).is_none());
    assert_eq!(store.segment_shards(&root, 0, &[1]).unwrap().len(), 1);
    let horizon = 10 + SEGMENT_RETENTION_EPOCHS * spec.epoch_length;
    assert_eq!(segment_cutoff(&spec, horizon), 10);
    assert_eq!(store.expire(segment_cutoff(&spec, horizon)), 0);
    assert_eq!(store.expire(segment_cutoff(&spec, horizon + 1)), v);
    assert!(store.is_empty());
}

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors/jam-test-vectors")
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The bundle shards are `C_k(P_{W_E}(b))` of the erasure vectors, and a 4,104-octet vector
/// coded as a segment gives the same chunks as segment shards.
#[test]
fn shards_match_erasure_vectors() {
    let mut seen = 0;
    for (dir, spec) in [("tiny", ChainSpec::TINY), ("full", ChainSpec::FULL)] {
        let path = vectors().join("erasure").join(dir);
        let entries = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("erasure vectors missing at {}: {e}", path.display()));
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            let data = unhex(j["data"].as_str().unwrap());
            let shards: Vec<Vec<u8>> = j["shards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| unhex(s.as_str().unwrap()))
                .collect();
            let a = availability(&spec, [0; 32], &data, &[]).unwrap();
            for (i, s) in shards.iter().enumerate() {
                assert_eq!(&a.shards[i].bundle_shard, s, "{} shard {i}", p.display());
            }
            if data.len() == SEGMENT_SIZE {
                let seg: Segment = Box::new(data.clone().try_into().unwrap());
                let a = availability(&spec, [0; 32], &[1], &[seg]).unwrap();
                for (i, s) in shards.iter().enumerate() {
                    assert_eq!(a.shards[i].segment_shards.get(0).unwrap(), &s[..]);
                }
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 12, "expected six erasure vectors per configuration");
}

/// Every report in the storage traces exports nothing, and its exports root is then the root of
/// no segments.
#[test]
fn exports_root_of_trace_reports() {
    let dir = vectors().join("traces/storage");
    let mut specs = 0;
    let empty = segments_root(&[]);
    for e in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("trace vectors missing at {}: {e}", dir.display()))
    {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let Some(gs) = j["block"]["extrinsic"]["guarantees"].as_array() else {
            continue;
        };
        for g in gs {
            let ps = &g["report"]["package_spec"];
            assert_eq!(ps["exports_count"].as_u64(), Some(0), "{}", p.display());
            assert_eq!(unhex(ps["exports_root"].as_str().unwrap()), empty.to_vec());
            specs += 1;
        }
    }
    assert!(specs > 0, "no guarantees found in {}", dir.display());
}

/// A bundle around the codec vectors' work-package: `E(p)` is the vector's bytes, and the bundle
/// decodes back to the package with its extrinsics, imports and justifications.
#[test]
fn bundle_of_the_codec_vector_package() {
    for (dir, spec) in [("tiny", ChainSpec::TINY), ("full", ChainSpec::FULL)] {
        let path = vectors().join("codec").join(dir).join("work_package.bin");
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("codec vector missing at {}: {e}", path.display()));
        let package: marmalade_types::work::WorkPackage =
            marmalade_types::decode_all(&bytes, spec.seq_lens()).unwrap();
        let mut rng = Rng(11);
        let extrinsics: Vec<Vec<u8>> = package
            .items
            .iter()
            .flat_map(|w| &w.extrinsic)
            .map(|x| rng.bytes(x.len as usize))
            .collect();
        let n: usize = package.items.iter().map(|w| w.import_segments.len()).sum();
        assert!(
            n > 0 && !extrinsics.is_empty(),
            "the vector has imports and extrinsics"
        );
        let imports = segments(&mut rng, n);
        let justifications: Vec<Vec<[u8; 32]>> = (0..n).map(|i| vec![[i as u8; 32]; i]).collect();
        let b = encode_bundle(&package, &extrinsics, &imports, &justifications);
        assert_eq!(&b[..bytes.len()], &bytes[..]);
        let d = decode_bundle(&b, &spec).unwrap();
        assert_eq!(d.package, package);
        assert_eq!(d.extrinsics, extrinsics);
        assert!(d.imports == imports);
        assert_eq!(d.justifications, justifications);
        // The vector's extrinsic hashes are not those of our random blobs.
        assert!(d.verify_extrinsics().is_err());
        // Missing one imported segment's worth of octets is an error.
        assert!(decode_bundle(&b[..b.len() - SEGMENT_SIZE], &spec).is_err());
    }
}

/// A bundle's imports checked against the segments roots their references name, by root or by
/// work-package hash (bit 15 of the index) through a lookup.
#[test]
fn bundle_imports_verify_against_their_roots() {
    use marmalade_types::work::{ImportSpec, WorkItem, WorkPackage};
    let mut rng = Rng(21);
    let a = segments(&mut rng, 70);
    let b = segments(&mut rng, 5);
    let (root_a, root_b) = (segments_root(&a), segments_root(&b));
    let wp_b = [0xbb; 32];
    let refs = vec![
        ImportSpec {
            tree_root: root_a,
            index: 3,
        },
        ImportSpec {
            tree_root: root_a,
            index: 69,
        },
        ImportSpec {
            tree_root: wp_b,
            index: 2 | 0x8000,
        },
    ];
    let package = WorkPackage {
        items: vec![WorkItem {
            import_segments: refs,
            ..Default::default()
        }],
        ..Default::default()
    };
    let imports = vec![a[3].clone(), a[69].clone(), b[2].clone()];
    let justifications = vec![
        justification(&a, 3).unwrap(),
        justification(&a, 69).unwrap(),
        justification(&b, 2).unwrap(),
    ];
    let bytes = encode_bundle(&package, &[], &imports, &justifications);
    let bundle = decode_bundle(&bytes, &ChainSpec::TINY).unwrap();
    let lookup = |r: &ImportSpec| {
        if r.index & 0x8000 == 0 {
            Some(r.tree_root)
        } else {
            (r.tree_root == wp_b).then_some(root_b)
        }
    };
    bundle.verify_imports(lookup).unwrap();
    assert_eq!(
        bundle.verify_imports(|r| (r.index & 0x8000 == 0).then_some(r.tree_root)),
        Err(DaError::UnknownRoot { import: 2 })
    );
    let mut bad = bundle.clone();
    bad.imports[1][0] ^= 1;
    assert_eq!(
        bad.verify_imports(lookup),
        Err(DaError::SegmentRoot { index: 69 })
    );
    let mut bad = bundle.clone();
    bad.justifications.swap(0, 1);
    assert!(bad.verify_imports(lookup).is_err());
}
