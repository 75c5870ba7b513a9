//! `marmalade refine`: a package rebuilt from a trace report, refined on the trace's genesis
//! state, gives the recorded digests; bad inputs end with status 1 and one line naming them.

use marmalade_codec::Encode;
use marmalade_conformance::trace::{load_genesis, load_step, rebuild_package, trace_dir, Genesis};
use marmalade_crypto::hash::blake2b_256;
use marmalade_types::{ChainSpec, WorkReport};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: ChainSpec = ChainSpec::TINY;

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("marmalade-refine-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn refine(state: &Path, bundle: &Path, core: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_marmalade"))
        .args(["refine", "--state"])
        .arg(state)
        .arg("--bundle")
        .arg(bundle)
        .args(["--core", core])
        .output()
        .unwrap()
}

/// The first guaranteed report of the storage trace, and the bundle of the package rebuilt
/// from it (`rebuild_package`: the bootstrap service's output is `0x01 ⌢ payload`; extrinsic
/// stand-ins of the recorded count and size; the genesis's null authorizer).
fn trace_case(genesis: &Genesis) -> (WorkReport, Vec<u8>) {
    let step = load_step("storage", 2);
    let report = step.block.extrinsic.guarantees[0].report.clone();
    let state = genesis
        .state
        .to_state(&SPEC)
        .expect("genesis state decodes");
    let rebuilt = rebuild_package(&state, &report).expect("a package from the trace report");
    let bundle = marmalade_da::encode_bundle(&rebuilt.package, &rebuilt.extrinsics, &[], &[]);
    (report, bundle)
}

#[test]
fn trace_bundle_is_refined_to_the_recorded_digests() {
    let genesis_path = trace_dir("storage").join("genesis.bin");
    let genesis = load_genesis("storage");
    let (want, bundle) = trace_case(&genesis);
    let bundle_path = temp_file("bundle.bin", &bundle);
    let core = want.core_index.to_string();

    let json_state =
        serde_json::to_vec(&serde_json::json!({ "keyvals": genesis.state.keyvals })).unwrap();
    let json_path = temp_file("state.json", &json_state);
    let mut outputs = vec![];
    for state in [&genesis_path, &json_path] {
        let out = refine(state, &bundle_path, &core);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        let got: WorkReport = serde_json::from_value(v["report"].clone()).expect("a WorkReport");
        assert_eq!(got.results, want.results, "the recorded digests");
        assert_eq!(got.auth_output, want.auth_output);
        assert_eq!(got.auth_gas_used, want.auth_gas_used);
        assert_eq!(got.authorizer_hash, want.authorizer_hash);
        assert_eq!(got.context, want.context);
        let hash = format!("0x{}", hex::encode(blake2b_256(&got.encode())));
        assert_eq!(v["hash"], serde_json::Value::String(hash));
        outputs.push(out.stdout);
    }
    assert_eq!(outputs[0], outputs[1], "binary and JSON states agree");
}

#[test]
fn bad_inputs_exit_1_with_one_line() {
    let genesis_path = trace_dir("storage").join("genesis.bin");
    let genesis = load_genesis("storage");
    let (want, bundle) = trace_case(&genesis);
    let good_bundle = temp_file("good.bin", &bundle);
    let junk = temp_file("junk.bin", b"\xff\xff\xff");
    let truncated = temp_file("truncated.bin", &bundle[..bundle.len() - 1]);
    let missing = Path::new("/nonexistent/marmalade/state.bin");
    let core = want.core_index.to_string();
    let cases: [(&Path, &Path, &str, &str); 6] = [
        (missing, &good_bundle, &core, "state"),
        (&junk, &good_bundle, &core, "state"),
        (&genesis_path, &junk, &core, "bundle"),
        (&genesis_path, &truncated, &core, "bundle"),
        // Core 2 does not exist in tiny; the other core's pool holds the authorizer too,
        // so a core beyond C is the failure here.
        (&genesis_path, &good_bundle, "2", "core"),
        (&genesis_path, &good_bundle, "x", "core"),
    ];
    for (state, bundle, core, names) in cases {
        let out = refine(state, bundle, core);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert_eq!(
            code,
            Some(1),
            "{state:?} {bundle:?} {core}: stderr {stderr}"
        );
        assert!(out.stdout.is_empty());
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(names), "names the {names}: {stderr}");
    }
}
