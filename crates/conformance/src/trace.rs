//! The block-import trace schema (`traces/schema.asn` of the conformance vectors): raw states
//! as key/value pairs, trace steps and the genesis, with their binary (GP appendix C) and JSON
//! forms.

use marmalade_codec::{Decode, Encode};
use marmalade_state::{State, StateError, StateKey};
use marmalade_types::{Block, ChainSpec, Header, StateRoot};
use serde::{Deserialize, Serialize};

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
