//! JIP-4 chain spec files: the network's id, its bootnodes, the genesis header and state.

use crate::bootnode::{Bootnode, BootnodeError};
use marmalade_codec::Encode;
use marmalade_state::{State, StateError, StateKey, StateTrie};
use marmalade_types::{ChainSpec, Header, HeaderHash, StateRoot};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a chain spec file cannot be read, or its genesis not decoded.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not JSON, or a required field (`id`, `genesis_header`, `genesis_state`) is missing or
    /// of the wrong type.
    #[error("not a JIP-4 chain spec: {0}")]
    Json(#[from] serde_json::Error),
    /// A field that should be a hex string is not one.
    #[error("{field} is not a hex string: {source}")]
    Hex {
        /// The field (`genesis_header`, a state key or value, `protocol_parameters`).
        field: String,
        /// The error.
        source: hex::FromHexError,
    },
    /// A `genesis_state` key is not 31 octets.
    #[error("genesis_state key {key} has {len} octets, a state key has 31")]
    KeyLength {
        /// The key as written.
        key: String,
        /// Its length in octets.
        len: usize,
    },
    /// A `genesis_state` key occurs twice.
    #[error("genesis_state key {0} occurs twice")]
    DuplicateKey(String),
    /// A bootnode entry is not `<name>@<ip>:<port>`.
    #[error("bootnode {entry:?}: {source}")]
    Bootnode {
        /// The entry.
        entry: String,
        /// What is wrong with it.
        source: BootnodeError,
    },
    /// `genesis_header` is not (entirely) the encoding of a header.
    #[error("genesis_header does not decode: {0}")]
    Header(marmalade_codec::Error),
    /// `genesis_state` is not the serialization of a state.
    #[error("genesis_state: {0}")]
    State(#[from] StateError),
    /// `protocol_parameters` are neither the `tiny` nor the `full` parameters.
    #[error("protocol_parameters match neither the tiny nor the full chain parameters")]
    UnknownParameters,
}

/// A JIP-4 chain spec, checked for form: hex decoded, state keys of 31 octets, bootnodes
/// parsed. The header and state are decoded by [`ChainSpecFile::genesis`], which needs the
/// protocol parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpecFile {
    /// `id`: the network's machine-readable identifier.
    pub id: String,
    /// `bootnodes`: nodes accepting connections (optional in the file; empty if absent).
    pub bootnodes: Vec<Bootnode>,
    /// `genesis_header`: the encoded genesis header $\mathcal{E}(\mathbf{H}^0)$ (GP (C.22)).
    pub genesis_header: Vec<u8>,
    /// `genesis_state`: $T(\sigma^0)$ (GP (D.2)), by state key.
    pub genesis_state: BTreeMap<StateKey, Vec<u8>>,
    /// `protocol_parameters`: the encoding of the `fetch` host call's variant 0 (GP B.6), if
    /// given.
    pub protocol_parameters: Option<Vec<u8>>,
}

/// A chain's genesis, decoded: the header, its hash, the state and its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// $\mathbf{H}^0$.
    pub header: Header,
    /// $\mathcal{H}(\mathcal{E}(\mathbf{H}^0))$.
    pub header_hash: HeaderHash,
    /// $\sigma^0$.
    pub state: State,
    /// $\mathcal{M}_\sigma(\sigma^0)$ (GP (D.5)) of the key/values as given.
    pub state_root: StateRoot,
}

/// The file's JSON shape; fields JIP-4 does not define are ignored.
#[derive(Deserialize)]
struct RawSpec {
    id: String,
    #[serde(default)]
    bootnodes: Vec<String>,
    genesis_header: String,
    genesis_state: Entries,
    #[serde(default)]
    protocol_parameters: Option<String>,
}

/// The file's JSON shape for writing: the fields in JIP-4's order.
#[derive(Serialize)]
struct OutSpec<'a> {
    id: &'a str,
    bootnodes: Vec<String>,
    genesis_header: String,
    genesis_state: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_parameters: Option<String>,
}

/// A JSON object's entries in order, duplicates kept (a map would drop all but one).
struct Entries(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of hex strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = map.next_entry::<String, String>()? {
                    out.push(e);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Hex with or without `0x`.
fn unhex(field: impl FnOnce() -> String, s: &str) -> Result<Vec<u8>, ChainSpecError> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|source| ChainSpecError::Hex {
        field: field(),
        source,
    })
}

impl ChainSpecFile {
    /// Parses a chain spec from its JSON text.
    pub fn from_json(json: &str) -> Result<ChainSpecFile, ChainSpecError> {
        let raw: RawSpec = serde_json::from_str(json)?;
        let bootnodes = raw
            .bootnodes
            .into_iter()
            .map(|entry| {
                entry
                    .parse()
                    .map_err(|source| ChainSpecError::Bootnode { entry, source })
            })
            .collect::<Result<_, _>>()?;
        let genesis_header = unhex(|| "genesis_header".into(), &raw.genesis_header)?;
        let mut genesis_state = BTreeMap::new();
        for (k, v) in raw.genesis_state.0 {
            let bytes = unhex(|| format!("genesis_state key {k}"), &k)?;
            let key = StateKey::try_from(&bytes[..]).map_err(|_| ChainSpecError::KeyLength {
                key: k.clone(),
                len: bytes.len(),
            })?;
            let value = unhex(|| format!("genesis_state[{k}]"), &v)?;
            if genesis_state.insert(key, value).is_some() {
                return Err(ChainSpecError::DuplicateKey(k));
            }
        }
        let protocol_parameters = raw
            .protocol_parameters
            .map(|p| unhex(|| "protocol_parameters".into(), &p))
            .transpose()?;
        Ok(ChainSpecFile {
            id: raw.id,
            bootnodes,
            genesis_header,
            genesis_state,
            protocol_parameters,
        })
    }

    /// Reads and parses a chain spec file ([`ChainSpecFile::from_json`]).
    pub fn load(path: &Path) -> Result<ChainSpecFile, ChainSpecError> {
        let json = std::fs::read_to_string(path).map_err(|source| ChainSpecError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// The JSON text: fields in JIP-4's order, one-space indents, state keys in order, hex
    /// without `0x` (the form typeberry writes), `protocol_parameters` only if given.
    pub fn to_json(&self) -> String {
        let out = OutSpec {
            id: &self.id,
            bootnodes: self.bootnodes.iter().map(|b| b.to_string()).collect(),
            genesis_header: hex::encode(&self.genesis_header),
            genesis_state: self
                .genesis_state
                .iter()
                .map(|(k, v)| (hex::encode(k), hex::encode(v)))
                .collect(),
            protocol_parameters: self.protocol_parameters.as_ref().map(hex::encode),
        };
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        // Strings and maps of strings always serialize, and the output is UTF-8.
        out.serialize(&mut ser).expect("serializing strings");
        String::from_utf8(buf).expect("serde_json writes UTF-8")
    }

    /// The chain's protocol parameters: those `protocol_parameters` encode (`tiny` or
    /// `full`), or `default` if the file gives none.
    pub fn params(&self, default: &ChainSpec) -> Result<ChainSpec, ChainSpecError> {
        match &self.protocol_parameters {
            None => Ok(*default),
            Some(p) => [ChainSpec::TINY, ChainSpec::FULL]
                .into_iter()
                .find(|s| marmalade_host::protocol_constants(s) == *p)
                .ok_or(ChainSpecError::UnknownParameters),
        }
    }

    /// Decodes the genesis under `params`: the header (all of `genesis_header`), the state
    /// ($T^{-1}$, [`State::from_key_values`], which also checks the components' shapes), the
    /// header hash and the root of the key/values.
    pub fn genesis(&self, params: &ChainSpec) -> Result<Genesis, ChainSpecError> {
        let header: Header = marmalade_codec::decode_all(&self.genesis_header, params.seq_lens())
            .map_err(ChainSpecError::Header)?;
        let state = State::from_key_values(
            params,
            self.genesis_state.iter().map(|(k, v)| (*k, v.clone())),
        )?;
        state.check_shape(params)?;
        let state_root =
            StateTrie::from_key_values(self.genesis_state.iter().map(|(k, v)| (*k, v.clone())))
                .root();
        Ok(Genesis {
            header_hash: header.hash(),
            header,
            state,
            state_root,
        })
    }

    /// The spec of a genesis: `id`, `bootnodes`, the encoded header and $T(\sigma^0)$ under
    /// `params`; no `protocol_parameters`.
    pub fn from_genesis(
        id: impl Into<String>,
        bootnodes: Vec<Bootnode>,
        genesis: &Genesis,
        params: &ChainSpec,
    ) -> ChainSpecFile {
        ChainSpecFile {
            id: id.into(),
            bootnodes,
            genesis_header: genesis.header.encode(),
            genesis_state: genesis.state.to_key_values(params).into_iter().collect(),
            protocol_parameters: None,
        }
    }
}
