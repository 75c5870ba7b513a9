//! Guaranteeing on the PVM, end to end: packages of a test service refined into reports
//! (exports, availability, imports by package hash and by segments root), signed by the
//! validators assigned to the core and accepted by the on-chain reports transition
//! (GP (11.23)–(11.42)).

mod common;

use common::*;
use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_guarantor::*;
use marmalade_stf::reports::{self, Prior};
use marmalade_types::{
    ChainSpec, ImportSpec, ReportGuarantee, Segment, SegmentRootLookupItem, WorkExecResult,
};
use std::collections::BTreeMap;

fn prior(f: &Fixture) -> Prior<'_> {
    let c = &f.state.components;
    Prior {
        rho: &c.rho,
        kappa: &c.kappa,
        lambda: &c.lambda,
        eta: &c.eta,
        offenders: &[],
        beta_h: &c.beta.history,
        alpha: &c.alpha,
        accounts: &f.state.accounts,
        known_packages: &[],
    }
}

fn signed(f: &Fixture, work: &GuaranteedWork, validators: &[usize]) -> ReportGuarantee {
    let sigs = validators
        .iter()
        .map(|&v| (v as u16, sign_report(&work.report, &f.keys[v])))
        .collect();
    guarantee(work.report.clone(), TAU, sigs).expect("two or three credentials")
}

#[test]
fn pvm_report_signed_by_assigned_guarantors_passes_the_reports_stf() {
    let spec = ChainSpec::TINY;
    let f = Fixture::new(spec, exporter(3, b"done"));
    let cache = CodeCache::new();
    let core = 1;
    let bundle = f.bundle(f.package(vec![f.item(3, b"a"), f.item(3, b"b")]));
    let work =
        build_report(&spec, &f.state, core, &bundle, &NoSegmentRoots, &cache).expect("guaranteed");
    let r = &work.report;

    // Ξ (GP (14.12)): the context, core, authorizer and its (empty) trace, one digest per item.
    assert_eq!(r.context, bundle.package.context);
    assert_eq!(r.core_index, core);
    assert_eq!(r.authorizer_hash, authorizer_hash(&bundle.package));
    assert!(r.auth_output.is_empty());
    // The null authorizer runs load_imm, load_imm, jump_ind: 3 instructions of gas 1.
    assert_eq!(r.auth_gas_used, 3);
    for (d, w) in r.results.iter().zip(&bundle.package.items) {
        assert_eq!(d.result, WorkExecResult::Ok(b"done".to_vec()));
        assert_eq!(d.payload_hash, blake2b_256(&w.payload));
        assert_eq!(d.refine_load.exports, 3);
        assert!(d.refine_load.gas_used > 3 * 10, "three export host calls");
    }
    // The exports, item after item, and the specifier (GP (14.16)–(14.17)).
    let want: Vec<Segment> = (0..2).flat_map(|_| (0..3).map(exported)).collect();
    assert_eq!(work.exports, want);
    let s = &r.package_spec;
    assert_eq!(s.hash, blake2b_256(&bundle.package.encode()));
    assert_eq!(s.length as usize, bundle.encode().len());
    assert_eq!(s.exports_root, marmalade_da::segments_root(&want));
    assert_eq!(s.exports_count, 6);
    assert_eq!(work.availability.spec, *s);
    assert_eq!(work.availability.shards.len(), spec.validators);
    for (i, shards) in work.availability.shards.iter().enumerate() {
        marmalade_da::verify_shards(&s.erasure_root, i, spec.validators, shards)
            .expect("each validator's shards justify to the erasure root");
    }

    // Signed by the validators assigned to the core: the reports transition accepts it.
    let assigned = f.guarantors(core);
    assert!(assigned.len() >= 2, "tiny assigns 3 validators per core");
    let g = signed(&f, &work, &assigned[..2]);
    let post = reports::transition(&spec, &prior(&f), TAU, std::slice::from_ref(&g))
        .expect("the chain accepts the guarantee");
    assert_eq!(post.assigned.len(), 1);
    assert_eq!(post.assigned[0].report, work.report);
    assert_eq!(post.reported[0].exports_root, s.exports_root);

    // A validator of the other core, or a report changed after signing, is refused.
    let other = (0..spec.validators)
        .find(|v| !assigned.contains(v))
        .unwrap();
    let g2 = signed(&f, &work, &[assigned[0], other]);
    assert!(reports::transition(&spec, &prior(&f), TAU, &[g2]).is_err());
    let mut g3 = g.clone();
    g3.report.auth_gas_used += 1;
    assert_eq!(
        reports::transition(&spec, &prior(&f), TAU, &[g3]),
        Err(reports::Error::BadSignature)
    );
}

#[test]
fn imports_by_package_hash_and_by_root_are_justified_and_recorded() {
    let spec = ChainSpec::TINY;
    let f = Fixture::new(spec, exporter(3, b"ok"));
    let cache = CodeCache::new();
    let a = f.bundle(f.package(vec![f.item(3, b"exporter")]));
    let wa = build_report(&spec, &f.state, 0, &a, &NoSegmentRoots, &cache).unwrap();
    let (ha, root) = (
        package_hash(&a.package),
        wa.report.package_spec.exports_root,
    );

    let mut item = f.item(3, b"importer");
    item.import_segments = vec![
        ImportSpec {
            tree_root: ha,
            index: PACKAGE_HASH_TAG | 1,
        },
        ImportSpec {
            tree_root: root,
            index: 2,
        },
    ];
    let just = |n| marmalade_da::segments::justification(&wa.exports, n).unwrap();
    let mut b = f.bundle(f.package(vec![item]));
    b.imports = vec![wa.exports[1].clone(), wa.exports[2].clone()];
    b.justifications = vec![just(1), just(2)];
    let known: BTreeMap<_, _> = [(ha, root)].into();
    let wb = build_report(&spec, &f.state, 1, &b, &known, &cache).unwrap();
    assert_eq!(
        wb.report.segment_root_lookup,
        vec![SegmentRootLookupItem {
            work_package_hash: ha,
            segment_tree_root: root
        }]
    );
    assert_eq!(wb.report.results[0].refine_load.imports, 2);

    // Unknown package, a segment its justification does not lead to the root from.
    assert_eq!(
        build_report(&spec, &f.state, 1, &b, &NoSegmentRoots, &cache).unwrap_err(),
        GuaranteeError::UnknownSegmentRoot(ha)
    );
    let mut bad = b.clone();
    bad.imports.swap(0, 1);
    assert_eq!(
        build_report(&spec, &f.state, 1, &bad, &known, &cache).unwrap_err(),
        GuaranteeError::BadImport(0)
    );
    let mut short = b.clone();
    short.justifications.pop();
    assert!(matches!(
        build_report(&spec, &f.state, 1, &short, &known, &cache),
        Err(GuaranteeError::BundleData { .. })
    ));
}

#[test]
fn wrong_export_count_reports_bad_exports_with_zero_segments() {
    let spec = ChainSpec::TINY;
    let f = Fixture::new(spec, exporter(3, b"ok"));
    let cache = CodeCache::new();
    let b = f.bundle(f.package(vec![f.item(2, b"x"), f.item(3, b"y")]));
    let w = build_report(&spec, &f.state, 0, &b, &NoSegmentRoots, &cache).unwrap();
    assert_eq!(w.report.results[0].result, WorkExecResult::BadExports);
    assert_eq!(
        w.report.results[1].result,
        WorkExecResult::Ok(b"ok".to_vec())
    );
    let zero: Segment = Box::new([0; marmalade_types::constants::SEGMENT_SIZE]);
    let want: Vec<Segment> = vec![zero.clone(), zero]
        .into_iter()
        .chain((0..3).map(exported))
        .collect();
    assert_eq!(w.exports, want);
}

#[test]
fn unknown_authorizer_code_is_not_authorized() {
    let spec = ChainSpec::TINY;
    let f = Fixture::new(spec, exporter(0, b""));
    let mut p = f.package(vec![f.item(0, b"")]);
    p.auth_code_hash = [9; 32];
    let mut state = f.state.clone();
    let a = authorizer_hash(&p);
    state.components.alpha[0].push(a);
    let e = build_report(
        &spec,
        &state,
        0,
        &f.bundle(p),
        &NoSegmentRoots,
        &CodeCache::new(),
    );
    assert_eq!(
        e.unwrap_err(),
        GuaranteeError::Unauthorized(WorkExecResult::BadCode)
    );
}
