//! The types against the conformance vectors beyond the codec ones: the state components and
//! blocks of the block-import traces (binary), and the state/input items of the STF vectors
//! (JSON). Missing vectors fail these tests.

use marmalade_codec::{decode_all, Decode, Encode, SeqLens};
use marmalade_types::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    let r = match std::env::var_os("JAM_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors"),
    }
    .join("jam-test-vectors");
    assert!(r.is_dir(), "vectors not found at {}", r.display());
    r
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Binary round trip: decodes all of `bytes` and re-encodes them identically.
fn bin_round_trip<T: Decode + Encode + Debug>(bytes: &[u8], lens: SeqLens, what: &str) -> T {
    let v: T = decode_all(bytes, lens).unwrap_or_else(|e| panic!("{what}: decode: {e}"));
    assert_eq!(v.encode(), bytes, "{what}: re-encoding differs");
    v
}

/// JSON round trip: parses `json` as `T`, serializes it back identically, and round-trips
/// its binary encoding.
fn json_round_trip<T>(json: &Value, lens: SeqLens, what: &str)
where
    T: Serialize + DeserializeOwned + Decode + Encode + PartialEq + Debug,
{
    let v: T = serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        &serde_json::to_value(&v).unwrap(),
        json,
        "{what}: JSON differs"
    );
    let back: T = decode_all(&v.encode(), lens).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(back, v, "{what}: binary round trip differs");
}

#[derive(Debug, Encode, Decode, Deserialize)]
struct KeyValue {
    #[serde(with = "marmalade_types::serde_hex")]
    key: [u8; 31],
    #[serde(with = "marmalade_types::serde_hex")]
    value: Vec<u8>,
}

#[derive(Debug, Encode, Decode, Deserialize)]
struct RawState {
    #[serde(with = "marmalade_types::serde_hex")]
    state_root: Hash,
    keyvals: Vec<KeyValue>,
}

#[derive(Debug, Encode, Decode, Deserialize)]
struct TraceStep {
    pre_state: RawState,
    block: Block,
    post_state: RawState,
}

/// Safrole state at C(4): $\gamma_P$, $\gamma_Z$, $\gamma_S$, $\gamma_A$.
type SafroleState = (
    ValidatorsData,
    BandersnatchRingCommitment,
    TicketsOrKeys,
    TicketsAccumulator,
);

fn rt<T: Decode + Encode + Debug>(bytes: &[u8], lens: SeqLens, what: &str) {
    bin_round_trip::<T>(bytes, lens, what);
}

fn check_state_item(kv: &KeyValue, lens: SeqLens, what: &str) -> bool {
    let k = &kv.key;
    let v = &kv.value[..];
    let plain = k[1..].iter().all(|&b| b == 0);
    match k[0] {
        1 if plain => rt::<AuthPools>(v, lens, what),
        2 if plain => rt::<AuthQueues>(v, lens, what),
        3 if plain => rt::<RecentBlocks>(v, lens, what),
        4 if plain => rt::<SafroleState>(v, lens, what),
        5 if plain => rt::<DisputesRecords>(v, lens, what),
        6 if plain => rt::<EntropyBuffer>(v, lens, what),
        7..=9 if plain => rt::<ValidatorsData>(v, lens, what),
        10 if plain => rt::<AvailabilityAssignments>(v, lens, what),
        11 if plain => rt::<TimeSlot>(v, lens, what),
        12 if plain => rt::<Privileges>(v, lens, what),
        13 if plain => rt::<Statistics>(v, lens, what),
        14 if plain => rt::<ReadyQueue>(v, lens, what),
        15 if plain => rt::<AccumulatedQueue>(v, lens, what),
        16 if plain => rt::<Vec<(ServiceId, Hash)>>(v, lens, what),
        255 if k[2] == 0 && k[4] == 0 && k[6] == 0 && k[8..].iter().all(|&b| b == 0) => {
            rt::<ServiceInfo>(v, lens, what)
        }
        _ => return false,
    }
    true
}

#[test]
fn trace_blocks_and_state_components_round_trip() {
    let lens = ChainSpec::TINY.seq_lens();
    let traces = root().join("traces");
    let mut blocks = 0;
    let mut items = 0;
    let mut guarantees = 0;
    for dir in std::fs::read_dir(&traces).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        // A sample of each trace: the first eight steps and every twentieth after.
        for (i, bin_path) in files(&dir, "bin").into_iter().enumerate() {
            if i >= 8 && i % 20 != 0 {
                continue;
            }
            let what = bin_path.display().to_string();
            if bin_path.file_stem().is_some_and(|s| s == "genesis") {
                continue;
            }
            let bytes = std::fs::read(&bin_path).unwrap();
            let step: TraceStep = bin_round_trip(&bytes, lens, &what);
            let json: Value =
                serde_json::from_slice(&std::fs::read(bin_path.with_extension("json")).unwrap())
                    .unwrap();
            let block: Block = serde_json::from_value(json["block"].clone()).unwrap();
            assert_eq!(block, step.block, "{what}: JSON block differs");
            assert_eq!(
                serde_json::to_value(&block).unwrap(),
                json["block"],
                "{what}"
            );
            blocks += 1;
            guarantees += block.extrinsic.guarantees.len();
            for kv in step
                .pre_state
                .keyvals
                .iter()
                .chain(&step.post_state.keyvals)
            {
                let w = format!("{what} key 0x{}", hex::encode(kv.key));
                items += check_state_item(kv, lens, &w) as usize;
            }
        }
    }
    assert!(blocks >= 40, "only {blocks} trace blocks found");
    assert!(guarantees > 0, "no guarantees in the sampled trace blocks");
    assert!(items > blocks * 20, "only {items} state items checked");
}

fn stf_files(sub: &str, full_sample: usize) -> Vec<(PathBuf, ChainSpec)> {
    let dir = root().join("stf").join(sub);
    let mut out: Vec<_> = files(&dir.join("tiny"), "json")
        .into_iter()
        .map(|p| (p, ChainSpec::TINY))
        .collect();
    assert!(!out.is_empty(), "no tiny {sub} vectors");
    out.extend(
        files(&dir.join("full"), "json")
            .into_iter()
            .take(full_sample)
            .map(|p| (p, ChainSpec::FULL)),
    );
    out
}

fn load(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Round-trips the JSON item at `pointer` (in the pre- and post-state for `state/...`).
fn item<T>(j: &Value, pointer: &str, spec: &ChainSpec, file: &Path)
where
    T: Serialize + DeserializeOwned + Decode + Encode + PartialEq + Debug,
{
    let pointers: Vec<String> = match pointer.strip_prefix("state") {
        Some(rest) => vec![format!("/pre_state{rest}"), format!("/post_state{rest}")],
        None => vec![pointer.to_owned()],
    };
    for p in pointers {
        let v = j
            .pointer(&p)
            .unwrap_or_else(|| panic!("{}: no {p}", file.display()));
        json_round_trip::<T>(v, spec.seq_lens(), &format!("{} {p}", file.display()));
    }
}

#[test]
fn stf_json_items_round_trip() {
    for (f, s) in stf_files("safrole", 4) {
        let j = load(&f);
        item::<EntropyBuffer>(&j, "state/eta", &s, &f);
        for k in ["lambda", "kappa", "gamma_k", "iota"] {
            item::<ValidatorsData>(&j, &format!("state/{k}"), &s, &f);
        }
        item::<TicketsAccumulator>(&j, "state/gamma_a", &s, &f);
        item::<TicketsOrKeys>(&j, "state/gamma_s", &s, &f);
        item::<TicketsExtrinsic>(&j, "/input/extrinsic", &s, &f);
        if let Some(ok) = j.pointer("/output/ok") {
            json_round_trip::<Option<EpochMark>>(&ok["epoch_mark"], s.seq_lens(), "epoch_mark");
            json_round_trip::<Option<TicketsMark>>(&ok["tickets_mark"], s.seq_lens(), "tm");
        }
    }
    for (f, s) in stf_files("accumulate", 2) {
        let j = load(&f);
        item::<ReadyQueue>(&j, "state/ready_queue", &s, &f);
        item::<AccumulatedQueue>(&j, "state/accumulated", &s, &f);
        item::<Privileges>(&j, "state/privileges", &s, &f);
        item::<ServicesStatistics>(&j, "state/statistics", &s, &f);
        item::<Vec<WorkReport>>(&j, "/input/reports", &s, &f);
        for st in ["/pre_state", "/post_state"] {
            let n = j[&st[1..]]["accounts"].as_array().unwrap().len();
            for i in 0..n {
                item::<ServiceInfo>(&j, &format!("{st}/accounts/{i}/data/service"), &s, &f);
            }
        }
    }
    for (f, s) in stf_files("statistics", 4) {
        let j = load(&f);
        item::<ValidatorsStatistics>(&j, "state/vals_curr_stats", &s, &f);
        item::<ValidatorsStatistics>(&j, "state/vals_last_stats", &s, &f);
        item::<ValidatorsData>(&j, "state/curr_validators", &s, &f);
        item::<Extrinsic>(&j, "/input/extrinsic", &s, &f);
    }
    for (f, s) in stf_files("history", 100) {
        item::<RecentBlocks>(&load(&f), "state/beta", &s, &f);
    }
    for (f, s) in stf_files("authorizations", 4) {
        let j = load(&f);
        item::<AuthPools>(&j, "state/auth_pools", &s, &f);
        item::<AuthQueues>(&j, "state/auth_queues", &s, &f);
    }
    for (f, s) in stf_files("reports", 2) {
        let j = load(&f);
        item::<AvailabilityAssignments>(&j, "state/avail_assignments", &s, &f);
        item::<ValidatorsData>(&j, "state/curr_validators", &s, &f);
        item::<EntropyBuffer>(&j, "state/entropy", &s, &f);
        item::<RecentBlocks>(&j, "state/recent_blocks", &s, &f);
        item::<AuthPools>(&j, "state/auth_pools", &s, &f);
        item::<CoresStatistics>(&j, "state/cores_statistics", &s, &f);
        item::<ServicesStatistics>(&j, "state/services_statistics", &s, &f);
        item::<GuaranteesExtrinsic>(&j, "/input/guarantees", &s, &f);
    }
    for (f, s) in stf_files("assurances", 2) {
        let j = load(&f);
        item::<AvailabilityAssignments>(&j, "state/avail_assignments", &s, &f);
        item::<AssurancesExtrinsic>(&j, "/input/assurances", &s, &f);
    }
    for (f, s) in stf_files("disputes", 1) {
        let j = load(&f);
        item::<DisputesRecords>(&j, "state/psi", &s, &f);
        item::<AvailabilityAssignments>(&j, "state/rho", &s, &f);
        item::<DisputesExtrinsic>(&j, "/input/disputes", &s, &f);
    }
    for (f, s) in stf_files("preimages", 4) {
        item::<PreimagesExtrinsic>(&load(&f), "/input/preimages", &s, &f);
    }
}
