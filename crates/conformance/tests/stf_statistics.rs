//! The `stf/statistics` vectors (tiny and full): all 6 files must pass. Fails when the vectors are
//! missing.

#[test]
fn stf_statistics_vectors_all_pass() {
    marmalade_conformance::assert_suite("jam-test-vectors/stf/statistics", 6);
}

/// The ok cases of `dir` (`stf/<subsystem>/{tiny,full}/*.json`) with their chain spec.
fn ok_cases(dir: &str) -> Vec<(marmalade_types::ChainSpec, serde_json::Value)> {
    use marmalade_types::ChainSpec;
    let root = marmalade_conformance::vectors_root()
        .join("jam-test-vectors/stf")
        .join(dir);
    let mut cases = Vec::new();
    for (cfg, spec) in [("tiny", ChainSpec::TINY), ("full", ChainSpec::FULL)] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(cfg))
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let case: serde_json::Value = marmalade_conformance::read_json(&f).expect("json");
            if case["output"].get("err").is_none() {
                cases.push((spec, case));
            }
        }
    }
    cases
}

fn field<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> T {
    serde_json::from_value(v.clone()).expect("vector field")
}

/// The core and service statistics functions (GP 13.2, 13.3) reproduce the parts of
/// $\pi_C'$ and $\pi_S'$ that the `stf/reports` vectors check (the incoming reports' loads;
/// no availability, assurances or accumulation there, and an all-zero prior).
#[test]
fn core_and_service_statistics_match_the_reports_vectors() {
    use marmalade_stf::statistics::{core_statistics, service_statistics};
    use marmalade_types::{CoresStatistics, GuaranteesExtrinsic, ServicesStatistics};
    let cases = ok_cases("reports");
    assert_eq!(cases.len(), 28);
    for (spec, case) in cases {
        let guarantees: GuaranteesExtrinsic = field(&case["input"]["guarantees"]);
        let incoming = guarantees.iter().map(|g| &g.report);
        let cores: CoresStatistics = field(&case["post_state"]["cores_statistics"]);
        let services: ServicesStatistics = field(&case["post_state"]["services_statistics"]);
        assert_eq!(core_statistics(&spec, incoming.clone(), [], &vec![]), cores);
        assert_eq!(
            service_statistics(incoming, &vec![], &Default::default()),
            services
        );
    }
}

/// The service statistics function reproduces the provision counts $p$ that the
/// `stf/preimages` vectors check.
#[test]
fn service_statistics_match_the_preimages_vectors() {
    use marmalade_stf::statistics::service_statistics;
    use marmalade_types::{PreimagesExtrinsic, ServicesStatistics};
    let cases = ok_cases("preimages");
    assert_eq!(cases.len(), 6);
    for (_, case) in cases {
        let preimages: PreimagesExtrinsic = field(&case["input"]["preimages"]);
        let services: ServicesStatistics = field(&case["post_state"]["statistics"]);
        assert_eq!(
            service_statistics([], &preimages, &Default::default()),
            services
        );
    }
}
