//! The block-import trace schema (`traces/schema.asn` of the conformance vectors): raw states
//! as key/value pairs, trace steps and the genesis, with their binary (GP appendix C) and JSON
//! forms.

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::hash::{blake2b_256, blake2b_256_concat};
use marmalade_state::{preimage_key, ServiceItems, State, StateError, StateKey, StateReader};
use marmalade_types::{
    Block, ChainSpec, ExtrinsicSpec, Hash, Header, ServiceId, StateRoot, WorkExecResult, WorkItem,
    WorkPackage, WorkReport,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The six block-import trace folders under the vectors' `traces/`, in the order they
/// exercise more of block import.
pub const TRACE_SETS: [&str; 6] = [
    "fallback",
    "safrole",
    "storage_light",
    "storage",
    "preimages_light",
    "preimages",
];

/// `KeyValue`: a state key (`StorageKey`, 31 octets, no length prefix) and its value
/// (`ByteSequence`, length-prefixed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct KeyValue {
    /// The state key.
    #[serde(with = "marmalade_types::serde_hex")]
    pub key: StateKey,
    /// The value.
    #[serde(with = "marmalade_types::serde_hex")]
    pub value: Vec<u8>,
}

/// `RawState`: a serialized state $T(\sigma)$ and its root $\mathcal{M}_\sigma(\sigma)$.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode, Serialize, Deserialize)]
pub struct RawState {
    /// The state root.
    #[serde(with = "marmalade_types::serde_hex")]
    pub state_root: StateRoot,
    /// The key/value pairs.
    pub keyvals: Vec<KeyValue>,
}

impl RawState {
    /// The raw form of `state`, with its root computed.
    pub fn from_state(state: &State, spec: &ChainSpec) -> RawState {
        let keyvals = state.to_key_values(spec);
        RawState {
            state_root: marmalade_merkle::state_root(
                keyvals.iter().map(|(k, v)| (k, v.as_slice())),
            ),
            keyvals: keyvals
                .into_iter()
                .map(|(key, value)| KeyValue { key, value })
                .collect(),
        }
    }

    /// Decodes the state ([`State::from_key_values`]); the root is not checked.
    pub fn to_state(&self, spec: &ChainSpec) -> Result<State, StateError> {
        State::from_key_values(spec, self.keyvals.iter().map(|kv| (kv.key, &kv.value[..])))
    }

    /// The pairs as `(key, value)` tuples, in their given order.
    pub fn key_values(&self) -> Vec<(StateKey, Vec<u8>)> {
        self.keyvals
            .iter()
            .map(|kv| (kv.key, kv.value.clone()))
            .collect()
    }

    /// The root of the pairs as given, $M$ (GP (D.6)), ignoring [`RawState::state_root`].
    pub fn computed_root(&self) -> StateRoot {
        marmalade_merkle::state_root(self.keyvals.iter().map(|kv| (&kv.key, &kv.value[..])))
    }
}

/// `TraceStep`: the state before a block, the block, and the state after it (equal to the
/// state before if the block is invalid).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct TraceStep {
    /// The prior state.
    pub pre_state: RawState,
    /// The block to import.
    pub block: Block,
    /// The posterior state.
    pub post_state: RawState,
}

/// `Genesis`: the genesis header and state of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Genesis {
    /// The genesis header.
    pub header: Header,
    /// The genesis state.
    pub state: RawState,
}

/// The folder of trace set `set` (one of [`TRACE_SETS`]) under the vectors
/// ([`crate::vectors_root`]). For tests and benches: panics, naming the path, when it is
/// absent, so that no test passes silently without the vectors.
pub fn trace_dir(set: &str) -> PathBuf {
    let dir = crate::vectors_root()
        .join("jam-test-vectors/traces")
        .join(set);
    assert!(
        dir.is_dir(),
        "trace vectors not found at {} (set JAM_VECTORS or unpack them into .jam-vectors)",
        dir.display()
    );
    dir
}

/// Decodes `path`, a trace file (tiny configuration). For tests and benches: panics, naming
/// the file, when it is missing or does not decode.
pub fn load_trace_file<T: Decode>(path: &Path) -> T {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "trace vector {} missing ({e}): unpack the vectors",
            path.display()
        )
    });
    marmalade_codec::decode_all(&bytes, ChainSpec::TINY.seq_lens())
        .unwrap_or_else(|e| panic!("trace vector {} does not decode: {e}", path.display()))
}

/// The genesis (`genesis.bin`) of trace set `set`; panics as [`load_trace_file`] does.
pub fn load_genesis(set: &str) -> Genesis {
    load_trace_file(&trace_dir(set).join("genesis.bin"))
}

/// Step `n` (`NNNNNNNN.bin`) of trace set `set`; panics as [`load_trace_file`] does.
pub fn load_step(set: &str, n: u32) -> TraceStep {
    load_trace_file(&trace_dir(set).join(format!("{n:08}.bin")))
}

/// The step files (`NNNNNNNN.bin`) of trace set `set`, in order; panics when there are none.
pub fn step_paths(set: &str) -> Vec<PathBuf> {
    let dir = trace_dir(set);
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
    steps
}

/// A work-package rebuilt from a work-report of the block-import traces, whose only service is
/// the bootstrap service (refine output `0x01 ⌢ payload`), with its extrinsic blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuiltPackage {
    /// Same context and authorizer as the report, one item per digest.
    pub package: WorkPackage,
    /// Every item's extrinsic blobs in item order (as a bundle holds them): stand-ins of the
    /// recorded count and size.
    pub extrinsics: Vec<Vec<u8>>,
}

/// The authorization code host and code hash of `authorizer` in `state`: a service preimage
/// $c$ with $\mathcal{H}(\mathcal{H}(c) \frown []) = $ `authorizer` (GP (14.10), the empty
/// configuration of the traces' "NULL Authorizer").
pub fn find_null_authorizer(state: &State, authorizer: &Hash) -> Option<(ServiceId, Hash)> {
    state.service_ids().into_iter().find_map(|s| {
        state.service_item_keys(s).into_iter().find_map(|key| {
            let h = blake2b_256(state.item(&key)?);
            (preimage_key(s, &h) == key && blake2b_256_concat(&[&h, &[]]) == *authorizer)
                .then_some((s, h))
        })
    })
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

/// The package of trace report `r` rebuilt on `genesis` (the state holding its authorizer):
/// each payload recovered from the recorded output `0x01 ⌢ payload` and checked against the
/// digest's `payload_hash`; extrinsic stand-ins of the recorded count and total size; the
/// recorded export count; no imports (the traces have none); refine gas
/// $\lfloor(\mathsf{G}_R - 1) / |\mathbf{r}|\rfloor$ per item. An error names what the
/// report does not allow.
pub fn rebuild_package(genesis: &State, r: &WorkReport) -> Result<RebuiltPackage, String> {
    let (host, code_hash) = find_null_authorizer(genesis, &r.authorizer_hash)
        .ok_or("no NULL authorizer for the report's authorizer hash in the genesis")?;
    let gas = (ChainSpec::TINY.refine_gas - 1) / r.results.len().max(1) as u64;
    let mut extrinsics = Vec::new();
    let mut items = Vec::with_capacity(r.results.len());
    for (j, d) in r.results.iter().enumerate() {
        let payload = match &d.result {
            WorkExecResult::Ok(out) if out.first() == Some(&1) => out[1..].to_vec(),
            other => {
                return Err(format!(
                    "digest {j}: no bootstrap output 0x01 ⌢ payload: {other:?}"
                ))
            }
        };
        if blake2b_256(&payload) != d.payload_hash {
            return Err(format!("digest {j}: the payload is not the output's"));
        }
        let load = d.refine_load;
        if load.imports != 0 {
            return Err(format!("digest {j}: imports {}", load.imports));
        }
        let xs = stand_in_extrinsics(load.extrinsic_count, load.extrinsic_size, j as u8);
        let extrinsic = xs
            .iter()
            .map(|x| ExtrinsicSpec {
                hash: blake2b_256(x),
                len: x.len() as u32,
            })
            .collect();
        extrinsics.extend(xs);
        items.push(WorkItem {
            service: d.service_id,
            code_hash: d.code_hash,
            refine_gas_limit: gas,
            accumulate_gas_limit: d.accumulate_gas,
            export_count: load.exports,
            payload,
            import_segments: vec![],
            extrinsic,
        });
    }
    Ok(RebuiltPackage {
        package: WorkPackage {
            auth_code_host: host,
            auth_code_hash: code_hash,
            context: r.context.clone(),
            authorization: vec![],
            authorizer_config: vec![],
            items,
        },
        extrinsics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_state_round_trip() {
        let spec = ChainSpec::TINY;
        let s = State::empty(&spec);
        let raw = RawState::from_state(&s, &spec);
        assert_eq!(raw.state_root, marmalade_state::state_root(&s, &spec));
        assert_eq!(raw.computed_root(), raw.state_root);
        assert_eq!(raw.to_state(&spec).unwrap(), s);
        let bin = raw.encode();
        assert_eq!(
            marmalade_codec::decode_all::<RawState>(&bin, spec.seq_lens()).unwrap(),
            raw
        );
        let json = serde_json::to_string(&raw).unwrap();
        assert_eq!(serde_json::from_str::<RawState>(&json).unwrap(), raw);
    }
}
