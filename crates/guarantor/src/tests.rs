//! The report computation's rules on stand-in invocations (no PVM): limits, the pool,
//! lookups, $C$ and every case of $I(\mathbf{p}, j)$ (GP (14.12)).

use crate::*;
use marmalade_crypto::hash::blake2b_256;
use marmalade_state::{State, StateReader};
use marmalade_types::constants::{MAX_REPORT_VAR_SIZE, SEGMENT_SIZE};
use marmalade_types::{
    ChainSpec, CoreIndex, ExtrinsicSpec, ImportSpec, Segment, ServiceInfo, WorkExecResult,
    WorkItem, WorkPackage,
};
use std::collections::BTreeMap;
use std::sync::Mutex;

const SERVICE: u32 = 7;
const CODE: [u8; 32] = [0xc0; 32];

/// Refines item `j` to `outputs[j]`, exporting `exports[j]` segments filled with `j`, using
/// `100 + j` gas; records the export offsets it was given.
struct Script {
    auth: WorkExecResult,
    outputs: Vec<WorkExecResult>,
    exports: Vec<usize>,
    offsets: Mutex<Vec<usize>>,
}

impl Script {
    fn new(auth: WorkExecResult, outputs: Vec<WorkExecResult>, exports: Vec<usize>) -> Script {
        Script {
            auth,
            outputs,
            exports,
            offsets: Mutex::new(vec![]),
        }
    }
}

impl Invocations for Script {
    fn is_authorized(
        &self,
        _: &ChainSpec,
        _: &dyn StateReader,
        _: &WorkPackage,
        _: CoreIndex,
    ) -> IsAuthorizedOutcome {
        IsAuthorizedOutcome {
            result: self.auth.clone(),
            gas_used: 3,
        }
    }

    fn refine(&self, _: &ChainSpec, _: &dyn StateReader, input: &RefineInput<'_>) -> RefineOutcome {
        self.offsets.lock().unwrap().push(input.export_offset);
        let j = input.item;
        RefineOutcome {
            result: self.outputs[j].clone(),
            exports: (0..self.exports[j])
                .map(|_| Box::new([j as u8 + 1; SEGMENT_SIZE]) as Segment)
                .collect(),
            gas_used: 100 + j as u64,
        }
    }
}

fn item(export_count: u16) -> WorkItem {
    WorkItem {
        service: SERVICE,
        code_hash: CODE,
        refine_gas_limit: 1000,
        accumulate_gas_limit: 1000,
        export_count,
        payload: vec![1, 2, 3],
        ..Default::default()
    }
}

fn package(items: Vec<WorkItem>) -> WorkPackage {
    WorkPackage {
        auth_code_hash: [0xa0; 32],
        authorizer_config: b"config".to_vec(),
        items,
        ..Default::default()
    }
}

/// A tiny state whose core 1 pool holds `p`'s authorizer and with service 7 of code `CODE`.
fn state(p: &WorkPackage) -> State {
    let spec = ChainSpec::TINY;
    let mut s = State::empty(&spec);
    s.components.alpha[1] = vec![authorizer_hash(p)];
    s.accounts.insert(
        SERVICE,
        ServiceInfo {
            code_hash: CODE,
            min_item_gas: 10,
            ..Default::default()
        },
    );
    s
}

fn run(p: &WorkPackage, script: &Script) -> Result<Computed, GuaranteeError> {
    let n = p.items.len();
    let xs: Vec<Vec<Vec<u8>>> = vec![vec![]; n];
    let is: Vec<Vec<Segment>> = vec![vec![]; n];
    let data = PackageData {
        package: p,
        extrinsics: &xs,
        imports: &is,
    };
    compute_report(
        &ChainSpec::TINY,
        &state(p),
        1,
        &data,
        &NoSegmentRoots,
        script,
    )
}

#[test]
fn authorizer_is_hash_of_code_hash_and_config() {
    let p = package(vec![item(0)]);
    let mut concat = vec![0xa0; 32];
    concat.extend_from_slice(b"config");
    assert_eq!(authorizer_hash(&p), blake2b_256(&concat));
}

#[test]
fn digest_carries_the_item_and_its_load() {
    let mut w = item(2);
    w.import_segments = vec![ImportSpec::default(); 3];
    w.extrinsic = vec![
        ExtrinsicSpec {
            hash: [0; 32],
            len: 10,
        },
        ExtrinsicSpec {
            hash: [0; 32],
            len: 32,
        },
    ];
    w.accumulate_gas_limit = 77;
    let d = item_to_digest(&w, WorkExecResult::Panic, 55);
    assert_eq!(d.service_id, SERVICE);
    assert_eq!(d.code_hash, CODE);
    assert_eq!(d.payload_hash, blake2b_256(&[1, 2, 3]));
    assert_eq!(d.accumulate_gas, 77);
    assert_eq!(d.result, WorkExecResult::Panic);
    let l = d.refine_load;
    assert_eq!(
        (
            l.gas_used,
            l.imports,
            l.extrinsic_count,
            l.extrinsic_size,
            l.exports
        ),
        (55, 3, 2, 42, 2)
    );
}

#[test]
fn items_are_refined_in_order_with_export_offsets() {
    let p = package(vec![item(2), item(0), item(3)]);
    let ok = |b: &[u8]| WorkExecResult::Ok(b.to_vec());
    let script = Script::new(
        ok(b"trace"),
        vec![ok(b"a"), ok(b"b"), ok(b"c")],
        vec![2, 0, 3],
    );
    let c = run(&p, &script).unwrap();
    assert_eq!(*script.offsets.lock().unwrap(), vec![0, 2, 2]);
    let r = &c.report;
    assert_eq!(r.core_index, 1);
    assert_eq!(r.authorizer_hash, authorizer_hash(&p));
    assert_eq!(
        (r.auth_output.as_slice(), r.auth_gas_used),
        (&b"trace"[..], 3)
    );
    assert_eq!(r.context, p.context);
    let outs: Vec<_> = r.results.iter().map(|d| d.result.clone()).collect();
    assert_eq!(outs, vec![ok(b"a"), ok(b"b"), ok(b"c")]);
    let gas: Vec<_> = r.results.iter().map(|d| d.refine_load.gas_used).collect();
    assert_eq!(gas, vec![100, 101, 102]);
    let firsts: Vec<u8> = c.exports.iter().map(|s| s[0]).collect();
    assert_eq!(firsts, vec![1, 1, 3, 3, 3]);
}

#[test]
fn oversize_bad_exports_and_errors_zero_the_exports() {
    // W_R counts the trace and the kept outputs: 10 + (W_R - 10) fills it exactly.
    let trace = vec![0u8; 10];
    let fill = vec![0u8; MAX_REPORT_VAR_SIZE - 10];
    let p = package(vec![item(1), item(1), item(0), item(1), item(1), item(0)]);
    let script = Script::new(
        WorkExecResult::Ok(trace),
        vec![
            WorkExecResult::Ok(fill.clone()),
            // One octet more: ⊖ (oversize), even though its exports are right.
            WorkExecResult::Ok(vec![7]),
            // Empty outputs still fit.
            WorkExecResult::Ok(vec![]),
            // Two exports for a count of one: ⊚ (bad exports).
            WorkExecResult::Ok(vec![]),
            // A panic exports nothing (GP (B.5)), so with a count of one it is ⊚ too.
            WorkExecResult::Panic,
            WorkExecResult::OutOfGas,
        ],
        vec![1, 1, 0, 2, 0, 0],
    );
    let c = run(&p, &script).unwrap();
    let outs: Vec<_> = c.report.results.iter().map(|d| d.result.clone()).collect();
    assert_eq!(
        outs,
        vec![
            WorkExecResult::Ok(fill),
            WorkExecResult::OutputOversize,
            WorkExecResult::Ok(vec![]),
            WorkExecResult::BadExports,
            WorkExecResult::BadExports,
            WorkExecResult::OutOfGas,
        ]
    );
    // One segment per unit of export count, only the first item's kept.
    let firsts: Vec<u8> = c.exports.iter().map(|s| s[0]).collect();
    assert_eq!(firsts, vec![1, 0, 0, 0]);
    assert!(c.exports[1..].iter().all(|s| s.iter().all(|&b| b == 0)));
}

#[test]
fn authorization_failures() {
    let p = package(vec![item(0)]);
    let ok = vec![WorkExecResult::Ok(vec![])];
    let e = run(&p, &Script::new(WorkExecResult::Panic, ok.clone(), vec![0])).unwrap_err();
    assert_eq!(e, GuaranteeError::Unauthorized(WorkExecResult::Panic));
    let big = WorkExecResult::Ok(vec![0; MAX_REPORT_VAR_SIZE + 1]);
    let e = run(&p, &Script::new(big, ok.clone(), vec![0])).unwrap_err();
    assert_eq!(e, GuaranteeError::TraceTooLarge(MAX_REPORT_VAR_SIZE + 1));
    // An authorizer of another configuration is not in the pool.
    let mut q = p.clone();
    let s = state(&p);
    q.authorizer_config = b"other".to_vec();
    let data = PackageData {
        package: &q,
        extrinsics: &[vec![]],
        imports: &[vec![]],
    };
    let script = Script::new(WorkExecResult::Ok(vec![]), ok, vec![0]);
    let spec = ChainSpec::TINY;
    let e = compute_report(&spec, &s, 1, &data, &NoSegmentRoots, &script).unwrap_err();
    assert!(matches!(e, GuaranteeError::NotInPool { core: 1, .. }));
    let data = PackageData {
        package: &p,
        extrinsics: &[vec![]],
        imports: &[vec![]],
    };
    let e = compute_report(&spec, &s, 0, &data, &NoSegmentRoots, &script).unwrap_err();
    assert!(matches!(e, GuaranteeError::NotInPool { core: 0, .. }));
    let e = compute_report(&spec, &s, 2, &data, &NoSegmentRoots, &script).unwrap_err();
    assert_eq!(e, GuaranteeError::BadCore { core: 2, cores: 2 });
}

#[test]
fn services_are_checked() {
    let ok = || {
        Script::new(
            WorkExecResult::Ok(vec![]),
            vec![WorkExecResult::Ok(vec![])],
            vec![0],
        )
    };
    let mut w = item(0);
    w.service = 8;
    let e = run(&package(vec![w]), &ok()).unwrap_err();
    assert_eq!(
        e,
        GuaranteeError::UnknownService {
            item: 0,
            service: 8
        }
    );
    let mut w = item(0);
    w.code_hash = [1; 32];
    let e = run(&package(vec![w]), &ok()).unwrap_err();
    assert!(matches!(
        e,
        GuaranteeError::CodeHashMismatch { item: 0, .. }
    ));
    let mut w = item(0);
    w.accumulate_gas_limit = 9;
    let e = run(&package(vec![w]), &ok()).unwrap_err();
    assert_eq!(
        e,
        GuaranteeError::AccumulateGasTooLow {
            item: 0,
            gas: 9,
            min: 10
        }
    );
}

#[test]
fn package_limits() {
    let spec = ChainSpec::TINY;
    assert_eq!(
        check_package(&spec, &package(vec![])),
        Err(GuaranteeError::ItemCount(0))
    );
    assert_eq!(
        check_package(&spec, &package(vec![item(0); 17])),
        Err(GuaranteeError::ItemCount(17))
    );
    assert!(check_package(&spec, &package(vec![item(0); 16])).is_ok());
    let e = check_package(&spec, &package(vec![item(1024); 4])).unwrap_err();
    assert!(matches!(
        e,
        GuaranteeError::TooMany {
            what: "exports",
            count: 4096,
            ..
        }
    ));
    // Accumulation gas may sum to G_A exactly (GP (11.30)), not beyond.
    let mut w = item(0);
    w.accumulate_gas_limit = spec.report_accumulate_gas / 2;
    assert!(check_package(&spec, &package(vec![w.clone(), w.clone()])).is_ok());
    w.accumulate_gas_limit += 1;
    assert!(matches!(
        check_package(&spec, &package(vec![w.clone(), w])),
        Err(GuaranteeError::GasLimits {
            what: "accumulate",
            ..
        })
    ));
    // Refine gas strictly below G_R (GP (14.8)).
    let mut w = item(0);
    w.refine_gas_limit = spec.refine_gas;
    assert!(matches!(
        check_package(&spec, &package(vec![w])),
        Err(GuaranteeError::GasLimits { what: "refine", .. })
    ));
    // GP (14.5): 3,072 imports' footprint alone is within W_B, one payload octet more than
    // the rest of W_B is not.
    let mut w = item(0);
    w.import_segments = vec![ImportSpec::default(); 3072];
    // The package's configuration takes 6 of the 4,096 + 64 + 64 spare octets.
    w.payload = vec![0; 4096 + 128 - 6];
    assert!(check_package(&spec, &package(vec![w.clone()])).is_ok());
    w.payload.push(0);
    assert!(matches!(
        check_package(&spec, &package(vec![w])),
        Err(GuaranteeError::BundleTooLarge { .. })
    ));
}

#[test]
fn bundle_data_must_match_the_manifest() {
    let blob = b"extrinsic".to_vec();
    let mut w = item(0);
    w.extrinsic = vec![ExtrinsicSpec {
        hash: blake2b_256(&blob),
        len: blob.len() as u32,
    }];
    w.import_segments = vec![ImportSpec::default()];
    let p = package(vec![w]);
    let seg: Segment = Box::new([0; SEGMENT_SIZE]);
    let good = [vec![blob.clone()]];
    let imports = [vec![seg]];
    let data = |xs, is| PackageData {
        package: &p,
        extrinsics: xs,
        imports: is,
    };
    assert!(check_data(&data(&good, &imports)).is_ok());
    let bad = [vec![b"extrinsiC".to_vec()]];
    assert_eq!(
        check_data(&data(&bad, &imports)),
        Err(GuaranteeError::BadExtrinsic { item: 0, index: 0 })
    );
    let no_xs: [Vec<Vec<u8>>; 1] = [vec![]];
    let no_is: [Vec<Segment>; 1] = [vec![]];
    assert!(matches!(
        check_data(&data(&no_xs, &imports)),
        Err(GuaranteeError::ExtrinsicCount {
            item: 0,
            got: 0,
            expected: 1
        })
    ));
    assert!(matches!(
        check_data(&data(&good, &no_is)),
        Err(GuaranteeError::ImportCount {
            item: 0,
            got: 0,
            expected: 1
        })
    ));
    assert!(matches!(
        check_data(&data(&[], &[])),
        Err(GuaranteeError::BundleItems {
            got: 0,
            expected: 1
        })
    ));
}

#[test]
fn imports_by_package_hash_are_looked_up_sorted_and_once() {
    let (a, b, root) = ([0xaa; 32], [0x0b; 32], [0x11; 32]);
    let mut w = item(0);
    w.import_segments = vec![
        ImportSpec {
            tree_root: a,
            index: PACKAGE_HASH_TAG | 5,
        },
        ImportSpec {
            tree_root: root,
            index: 6,
        },
        ImportSpec {
            tree_root: b,
            index: PACKAGE_HASH_TAG,
        },
        ImportSpec {
            tree_root: a,
            index: PACKAGE_HASH_TAG | 1,
        },
    ];
    let p = package(vec![w.clone()]);
    let known: BTreeMap<_, _> = [(a, [0xea; 32]), (b, [0xeb; 32])].into();
    let l = segment_root_lookups(&p, &known).unwrap();
    let keys: Vec<_> = l
        .iter()
        .map(|e| (e.work_package_hash, e.segment_tree_root))
        .collect();
    assert_eq!(keys, vec![(b, [0xeb; 32]), (a, [0xea; 32])]);
    assert_eq!(
        resolve_import(&w.import_segments[0], &l),
        Some(([0xea; 32], 5))
    );
    assert_eq!(resolve_import(&w.import_segments[1], &l), Some((root, 6)));
    assert_eq!(
        resolve_import(&w.import_segments[2], &l),
        Some(([0xeb; 32], 0))
    );
    let only_a: BTreeMap<_, _> = [(a, [0xea; 32])].into();
    assert_eq!(
        segment_root_lookups(&p, &only_a),
        Err(GuaranteeError::UnknownSegmentRoot(b))
    );
    // With 7 prerequisites the two lookups exceed J = 8.
    let mut q = p.clone();
    q.context.prerequisites = vec![[0; 32]; 7];
    assert_eq!(
        segment_root_lookups(&q, &known),
        Err(GuaranteeError::TooManyDependencies(9))
    );
}

#[test]
fn guarantee_orders_and_bounds_credentials() {
    let r = marmalade_types::WorkReport::default();
    let g = guarantee(r.clone(), 9, vec![(4, [4; 64]), (1, [1; 64]), (2, [2; 64])]).unwrap();
    let idx: Vec<u16> = g.signatures.iter().map(|s| s.validator_index).collect();
    assert_eq!((idx, g.slot), (vec![1, 2, 4], 9));
    assert_eq!(g.signatures[0].signature, [1; 64]);
    for bad in [
        vec![(1, [0; 64])],
        vec![(1, [0; 64]), (1, [0; 64])],
        vec![(1, [0; 64]), (2, [0; 64]), (3, [0; 64]), (4, [0; 64])],
    ] {
        let n = bad.len();
        assert_eq!(
            guarantee(r.clone(), 9, bad),
            Err(GuaranteeError::Credentials(n))
        );
    }
}
