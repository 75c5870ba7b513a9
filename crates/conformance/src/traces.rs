//! Runner for the block-import traces, `traces/<set>/NNNNNNNN.bin` (tiny configuration, schema
//! `traces/schema.asn`).
//!
//! Each step is `{pre_state, block, post_state}` with the states as raw key/value pairs. The
//! runner decodes the prior state ($T^{-1}$, GP D.2), checks its root against the recorded one,
//! imports the block through the node's import loop ([`marmalade_chain::Chain`], without an
//! ancestry: the traces carry none) and compares:
//! - an imported block's posterior state, key by key with the recorded post-state (naming the
//!   first differing keys, and for a state component or account info the first differing
//!   field of its decoded value), then its root;
//! - a rejected block: the recorded post-state must be the pre-state (the traces' way of
//!   marking an invalid block).

use crate::trace::TraceStep;
use crate::CaseOutcome;
use marmalade_chain::{block_ref, Chain};
use marmalade_codec::decode_all;
use marmalade_state::{
    classify, diff_key_values, state_root, Component, Components, KeyKind, KeyValueDiff, State,
};
use marmalade_store::BlockRef;
use marmalade_types::{ChainSpec, ServiceInfo};
use serde_json::{json, Value};
use std::path::Path;

/// How many differing keys a failure lists.
const MAX_DIFFS: usize = 8;

/// Runs one trace step file (`pre_state`, `block`, `post_state`).
pub fn run(path: &Path) -> CaseOutcome {
    CaseOutcome::from_result(crate::name_of(path), check(path))
}

/// Decodes a trace step (tiny configuration).
pub fn load(path: &Path) -> Result<TraceStep, String> {
    let bytes = crate::read(path)?;
    decode_all(&bytes, ChainSpec::TINY.seq_lens())
        .map_err(|e| format!("decoding {}: {e}", path.display()))
}

fn check(path: &Path) -> Result<(), String> {
    let spec = ChainSpec::TINY;
    let step = load(path)?;
    let pre = step
        .pre_state
        .to_state(&spec)
        .map_err(|e| format!("pre_state does not decode: {e}"))?;
    let pre_root = state_root(&pre, &spec);
    if pre_root != step.pre_state.state_root {
        return Err(format!(
            "pre_state root: recorded 0x{}, computed 0x{}",
            hex::encode(step.pre_state.state_root),
            hex::encode(pre_root)
        ));
    }
    let mut chain = Chain::new(spec, 0);
    let parent = BlockRef {
        hash: step.block.header.parent,
        slot: pre.components.tau,
        parent: step.block.header.parent,
    };
    chain
        .initialize_at(parent, step.pre_state.key_values(), None)
        .map_err(|e| format!("pre_state: {e}"))?;
    match chain.import(&step.block) {
        Ok(_) => {
            let hash = block_ref(&step.block.header).hash;
            let got = chain.get_state(&hash).map_err(|e| e.to_string())?;
            let post = State::from_key_values(&spec, got.iter().map(|(k, v)| (*k, v.as_slice())))
                .map_err(|e| e.to_string())?;
            let expected = &step.post_state.keyvals;
            let diffs = diff_key_values(
                expected.iter().map(|kv| (&kv.key, kv.value.as_slice())),
                got.iter().map(|(k, v)| (k, v.as_slice())),
            );
            if !diffs.is_empty() {
                return Err(describe_diffs(&spec, &diffs));
            }
            let root = state_root(&post, &spec);
            if root != step.post_state.state_root {
                return Err(format!(
                    "post_state root: recorded 0x{}, computed 0x{} (the key/values agree)",
                    hex::encode(step.post_state.state_root),
                    hex::encode(root)
                ));
            }
            Ok(())
        }
        Err(e) if step.post_state != step.pre_state => Err(format!(
            "block rejected ({e}), but the trace imports it (post_state differs from pre_state)"
        )),
        // An invalid block: the trace keeps the prior state, as the importer does.
        Err(_) => Ok(()),
    }
}

/// A failure message: how many keys differ and the first [`MAX_DIFFS`] of them, each with the
/// first differing field where the key is a component or an account info.
fn describe_diffs(spec: &ChainSpec, diffs: &[KeyValueDiff]) -> String {
    let mut out = format!("post_state: {} keys differ", diffs.len());
    for d in diffs.iter().take(MAX_DIFFS) {
        out.push_str("\n  ");
        out.push_str(&d.to_string());
        if let KeyValueDiff::Changed(key, expected, got) = d {
            if let Some(field) = decoded_difference(spec, key, expected, got) {
                out.push_str("\n    ");
                out.push_str(&field);
            }
        }
    }
    if diffs.len() > MAX_DIFFS {
        out.push_str(&format!("\n  ... and {} more", diffs.len() - MAX_DIFFS));
    }
    out
}

/// The first differing field of two values of a component or account-info key, decoded as
/// GP types; `None` for service items (opaque blobs) or values that do not decode.
fn decoded_difference(
    spec: &ChainSpec,
    key: &[u8; 31],
    expected: &[u8],
    got: &[u8],
) -> Option<String> {
    match classify(key) {
        KeyKind::Component(c) => {
            let (mut e, mut g) = (Components::empty(spec), Components::empty(spec));
            e.decode_component(spec, c, expected).ok()?;
            g.decode_component(spec, c, got).ok()?;
            let what = format!("{c}");
            crate::stf::compare(&what, &component_json(&e, c), &component_json(&g, c)).err()
        }
        KeyKind::ServiceInfo(s) => {
            let e: ServiceInfo = decode_all(expected, spec.seq_lens()).ok()?;
            let g: ServiceInfo = decode_all(got, spec.seq_lens()).ok()?;
            crate::stf::compare(&format!("service {s} info"), &e, &g).err()
        }
        KeyKind::ServiceItem(_) => None,
    }
}

/// Component `c` of `s` as JSON, for field-level differences.
fn component_json(s: &Components, c: Component) -> Value {
    let v = |x: Result<Value, serde_json::Error>| x.unwrap_or(Value::Null);
    match c {
        Component::AuthPools => v(serde_json::to_value(&s.alpha)),
        Component::AuthQueues => v(serde_json::to_value(&s.phi)),
        Component::RecentHistory => v(serde_json::to_value(&s.beta)),
        Component::Safrole => json!({
            "gamma_k": v(serde_json::to_value(&s.gamma_p)),
            "gamma_z": format!("0x{}", hex::encode(s.gamma_z)),
            "gamma_s": v(serde_json::to_value(&s.gamma_s)),
            "gamma_a": v(serde_json::to_value(&s.gamma_a)),
        }),
        Component::Disputes => v(serde_json::to_value(&s.psi)),
        Component::Entropy => v(serde_json::to_value(s.eta)),
        Component::StagingSet => v(serde_json::to_value(&s.iota)),
        Component::ActiveSet => v(serde_json::to_value(&s.kappa)),
        Component::PreviousSet => v(serde_json::to_value(&s.lambda)),
        Component::Reports => v(serde_json::to_value(&s.rho)),
        Component::Timeslot => json!(s.tau),
        Component::Privileges => v(serde_json::to_value(&s.chi)),
        Component::Statistics => v(serde_json::to_value(&s.pi)),
        Component::ReadyQueue => v(serde_json::to_value(&s.omega)),
        Component::Accumulated => v(serde_json::to_value(&s.xi)),
        Component::AccumulationOutputs => v(serde_json::to_value(&s.theta)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failure names the differing keys and, for components and account infos, the first
    /// differing field of the decoded values.
    #[test]
    fn differences_are_decoded() {
        let spec = ChainSpec::TINY;
        let path = crate::vectors_root().join("jam-test-vectors/traces/storage/00000012.bin");
        let step = load(&path).expect("the vectors are unpacked");
        let mut state = step.post_state.to_state(&spec).unwrap();
        let expected = state.to_key_values(&spec);
        state.components.tau += 1;
        state.components.pi.vals_curr[3].blocks += 1;
        if let Some(info) = state.accounts.values_mut().next() {
            info.balance ^= 1;
        }
        let got = state.to_key_values(&spec);
        let diffs = diff_key_values(
            expected.iter().map(|(k, v)| (k, v.as_slice())),
            got.iter().map(|(k, v)| (k, v.as_slice())),
        );
        assert_eq!(diffs.len(), 3);
        let msg = describe_diffs(&spec, &diffs);
        assert!(msg.contains("3 keys differ"), "{msg}");
        assert!(msg.contains(".vals_curr[3].blocks: expected"), "{msg}");
        assert!(msg.contains("info.balance: expected"), "{msg}");
        assert!(msg.contains("C(11) τ"), "{msg}");
    }
}
