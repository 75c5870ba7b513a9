//! Acceptance: every work-report of the storage, storage_light, preimages and
//! preimages_light block-import traces is reproduced by refining a work-package rebuilt from
//! it, on the pre-state of the block that carries its guarantee.
//!
//! Those traces' only service is the bootstrap service, whose refine outputs `0x01 ⌢ payload`;
//! each payload is recovered from the recorded output and checked against the digest's
//! `payload_hash`. The extrinsics are stand-ins of the recorded count and total size, the
//! export count is the recorded load's. The authorizer is found in the genesis: a preimage
//! $c$ of a service with $\mathcal{H}(c \frown [])$ in the authorizer pools (the "NULL
//! Authorizer", empty configuration and token).
//!
//! Compared with the recorded report: core, context, authorizer hash, authorizer trace and
//! its gas, segment-root lookup, and per digest every field (service, code hash, payload hash,
//! accumulate gas, result, and the whole refine load: gas used, imports, extrinsic count and
//! size, exports); of the availability specifier the exports root and count. Not compared:
//! the package hash, bundle length and erasure root, which depend on the original package's
//! exact bytes (token, extrinsic contents, refine gas limits) that the report does not carry.
//!
//! Each guarantee's recorded credentials are also checked against the report hash and
//! message this crate signs ([`report_hash`], GP (11.26)).
//!
//! The vectors are read from `$JAM_VECTORS`, else `.jam-vectors` at the workspace root;
//! missing vectors fail this test.

use marmalade_codec::{decode_all, Decode};
use marmalade_conformance::trace::{Genesis, TraceStep};
use marmalade_crypto::ed25519;
use marmalade_crypto::hash::{blake2b_256, blake2b_256_concat};
use marmalade_da::Bundle;
use marmalade_guarantor::{build_report, report_hash, CodeCache, NoSegmentRoots};
use marmalade_state::{preimage_key, ServiceItems, State, StateReader};
use marmalade_types::constants::context;
use marmalade_types::{
    ChainSpec, ExtrinsicSpec, Hash, ServiceId, WorkExecResult, WorkItem, WorkPackage, WorkReport,
};
use std::path::{Path, PathBuf};

const SPEC: ChainSpec = ChainSpec::TINY;
const SETS: [&str; 4] = ["storage", "storage_light", "preimages", "preimages_light"];

fn traces_root() -> PathBuf {
    let r = match std::env::var_os("JAM_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"),
    }
    .join("jam-test-vectors/traces");
    assert!(
        r.is_dir(),
        "trace vectors not found at {} (set JAM_VECTORS or unpack them into .jam-vectors)",
        r.display()
    );
    r
}

fn read<T: Decode>(path: &Path) -> T {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode_all(&bytes, SPEC.seq_lens()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The authorization code host and code hash: a service preimage $c$ whose authorizer with
/// the empty configuration, $\mathcal{H}(\mathcal{H}(c) \frown [])$ (GP (14.10)), is in some
/// core's pool.
fn find_authorizer(genesis: &State) -> (ServiceId, Hash) {
    let pooled: Vec<Hash> = genesis.components.alpha.iter().flatten().copied().collect();
    for s in genesis.service_ids() {
        for key in genesis.service_item_keys(s) {
            let Some(v) = genesis.item(&key) else {
                continue;
            };
            let h = blake2b_256(v);
            if preimage_key(s, &h) == key && pooled.contains(&blake2b_256_concat(&[&h, &[]])) {
                return (s, h);
            }
        }
    }
    panic!("no authorizer code with an empty configuration in the genesis pools");
}

/// `z` octets over `n` stand-in blobs (the first ones one octet longer when `n` does not
/// divide `z`), each distinct.
fn stand_in_extrinsics(n: u16, z: u32, seed: u8) -> Vec<Vec<u8>> {
    let (n, z) = (usize::from(n), z as usize);
    (0..n)
        .map(|k| {
            let len = z / n + usize::from(k < z % n);
            (0..len).map(|i| (i as u8) ^ seed ^ (k as u8)).collect()
        })
        .collect()
}

/// The package rebuilt from `r`: same context and authorizer, one item per digest.
fn rebuild(r: &WorkReport, auth: (ServiceId, Hash)) -> Bundle {
    let mut extrinsics = Vec::new();
    let items: Vec<WorkItem> = r
        .results
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let WorkExecResult::Ok(out) = &d.result else {
                panic!("a trace digest that is no output: {:?}", d.result);
            };
            assert_eq!(out.first(), Some(&1), "bootstrap output starts 0x01");
            let payload = out[1..].to_vec();
            assert_eq!(blake2b_256(&payload), d.payload_hash, "payload from output");
            assert_eq!(d.refine_load.imports, 0, "the traces import nothing");
            let load = d.refine_load;
            let xs = stand_in_extrinsics(load.extrinsic_count, load.extrinsic_size, j as u8);
            let refs = xs
                .iter()
                .map(|x| ExtrinsicSpec {
                    hash: blake2b_256(x),
                    len: x.len() as u32,
                })
                .collect();
            extrinsics.extend(xs);
            WorkItem {
                service: d.service_id,
                code_hash: d.code_hash,
                refine_gas_limit: (SPEC.refine_gas - 1) / r.results.len() as u64,
                accumulate_gas_limit: d.accumulate_gas,
                export_count: load.exports,
                payload,
                import_segments: vec![],
                extrinsic: refs,
            }
        })
        .collect();
    Bundle {
        package: WorkPackage {
            auth_code_host: auth.0,
            auth_code_hash: auth.1,
            context: r.context.clone(),
            authorization: vec![],
            authorizer_config: vec![],
            items,
        },
        extrinsics,
        imports: vec![],
        justifications: vec![],
    }
}

#[test]
fn trace_reports_are_reproduced() {
    let root = traces_root();
    let cache = CodeCache::new();
    let (mut reports, mut digests) = (0usize, 0usize);
    for set in SETS {
        let dir = root.join(set);
        let genesis: Genesis = read(&dir.join("genesis.bin"));
        let genesis = genesis
            .state
            .to_state(&SPEC)
            .expect("genesis state decodes");
        let auth = find_authorizer(&genesis);
        let mut steps: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "bin")
                    && p.file_stem().is_some_and(|s| s != "genesis")
            })
            .collect();
        steps.sort();
        assert!(!steps.is_empty(), "no trace steps in {}", dir.display());
        for path in steps {
            let step: TraceStep = read(&path);
            if step.block.extrinsic.guarantees.is_empty() {
                continue;
            }
            let pre = step
                .pre_state
                .to_state(&SPEC)
                .unwrap_or_else(|e| panic!("{}: pre_state: {e}", path.display()));
            for g in &step.block.extrinsic.guarantees {
                let want = &g.report;
                let name = format!("{} core {}", path.display(), want.core_index);
                let bundle = rebuild(want, auth);
                let got = build_report(
                    &SPEC,
                    &pre,
                    want.core_index,
                    &bundle,
                    &NoSegmentRoots,
                    &cache,
                )
                .unwrap_or_else(|e| panic!("{name}: {e}"));
                let r = &got.report;
                assert_eq!(r.core_index, want.core_index, "{name}");
                assert_eq!(r.context, want.context, "{name}: context");
                assert_eq!(r.authorizer_hash, want.authorizer_hash, "{name}");
                assert_eq!(r.auth_output, want.auth_output, "{name}: auth output");
                assert_eq!(r.auth_gas_used, want.auth_gas_used, "{name}: auth gas");
                assert_eq!(r.segment_root_lookup, want.segment_root_lookup, "{name}");
                assert_eq!(
                    r.package_spec.exports_root, want.package_spec.exports_root,
                    "{name}: exports root"
                );
                assert_eq!(
                    r.package_spec.exports_count, want.package_spec.exports_count,
                    "{name}"
                );
                assert_eq!(r.results.len(), want.results.len(), "{name}");
                for (j, (d, w)) in r.results.iter().zip(&want.results).enumerate() {
                    assert_eq!(d, w, "{name}: digest {j}");
                }
                // The recorded credentials sign X_G ⌢ H(E(r)) (GP (11.26)): our hash and
                // message are the vectors' (keys of κ, or λ for a guarantee of the previous
                // rotation across an epoch change).
                let msg = [context::GUARANTEE, &report_hash(want)[..]].concat();
                let c = &pre.components;
                for sig in &g.signatures {
                    let v = usize::from(sig.validator_index);
                    let ok = [&c.kappa, &c.lambda].iter().any(|k| {
                        k.get(v)
                            .is_some_and(|k| ed25519::verify(&k.ed25519, &msg, &sig.signature))
                    });
                    assert!(ok, "{name}: credential of validator {v}");
                }
                reports += 1;
                digests += r.results.len();
            }
        }
    }
    assert_eq!(
        (reports, digests),
        (338, 746),
        "reports and digests reproduced"
    );
}
