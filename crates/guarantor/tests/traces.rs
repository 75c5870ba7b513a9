//! Acceptance: every work-report of the storage, storage_light, preimages and
//! preimages_light block-import traces is reproduced by refining a work-package rebuilt from
//! it, on the pre-state of the block that carries its guarantee.
//!
//! Those traces' only service is the bootstrap service, whose refine outputs `0x01 ⌢ payload`;
//! the package is rebuilt by `marmalade_conformance::trace::rebuild_package`: each payload
//! recovered from the recorded output and checked against the digest's `payload_hash`,
//! extrinsic stand-ins of the recorded count and total size, the recorded export count, and
//! the authorizer found in the genesis: a preimage $c$ of a service with
//! $\mathcal{H}(\mathcal{H}(c) \frown [])$ the report's authorizer hash (the "NULL
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

use marmalade_conformance::trace::{
    load_genesis, load_trace_file, rebuild_package, step_paths, TraceStep,
};
use marmalade_crypto::ed25519;
use marmalade_da::Bundle;
use marmalade_guarantor::{build_report, report_hash, CodeCache, NoSegmentRoots};
use marmalade_types::constants::context;
use marmalade_types::ChainSpec;

const SPEC: ChainSpec = ChainSpec::TINY;
const SETS: [&str; 4] = ["storage", "storage_light", "preimages", "preimages_light"];

#[test]
fn trace_reports_are_reproduced() {
    let cache = CodeCache::new();
    let (mut reports, mut digests) = (0usize, 0usize);
    for set in SETS {
        let genesis = load_genesis(set)
            .state
            .to_state(&SPEC)
            .expect("genesis state decodes");
        for path in step_paths(set) {
            let step: TraceStep = load_trace_file(&path);
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
                let rebuilt =
                    rebuild_package(&genesis, want).unwrap_or_else(|e| panic!("{name}: {e}"));
                let bundle = Bundle {
                    package: rebuilt.package,
                    extrinsics: rebuilt.extrinsics,
                    imports: vec![],
                    justifications: vec![],
                };
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
