//! The messages of the fuzz protocol v1 (`fuzz-v1.asn`), with their JAM encoding and the JSON
//! form of the recorded example sessions.
//!
//! A message on the wire is the JAM encoding of [`Message`]: a one-byte discriminator (the
//! ASN.1 `CHOICE` index: 0 `peer_info` … 5 `state`, 255 `error`) followed by the payload. The
//! framing (a `u32` little-endian length prefix) is [`crate::framing`]'s business.
//!
//! In JSON a message is an object with one key, the variant's `snake_case` name, as in the
//! examples: `{"state_root": "0x…"}`, `{"error": "…"}`, `{"peer_info": {…}}`.

use marmalade_codec::{decode_all, Decode, Encode, Reader};
use marmalade_types::{serde_hex, Block, ChainSpec, Header, HeaderHash, StateRoot, TimeSlot};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The fuzz protocol version this crate speaks (`fuzz-version` of [`PeerInfo`]).
pub const FUZZ_VERSION: u8 = 1;

/// `Features`: a bitmask of optional protocol features. The session's features are the
/// bitwise-and of both peers' masks.
pub type Features = u32;

/// `feature-ancestry`: the fuzzer sends the first block's ancestry in [`Initialize`], and the
/// target checks that guarantee lookup anchors are among the last `L` headers (when the
/// feature is off, the target skips that check).
pub const FEATURE_ANCESTRY: Features = 1;
/// `feature-fork`: the fuzzer may send sibling blocks (forks of depth at most one): several
/// mutations of a block, then the original, which is always the parent of the next block.
pub const FEATURE_FORKS: Features = 2;
/// `feature-reserved`: reserved for future extensions.
pub const FEATURE_RESERVED: Features = 1 << 31;

/// The maximum ancestry length `A` the protocol README sets for the tiny spec (the lookup
/// anchor age `L` scaled down by the tiny/full ratio 600).
pub const MAX_ANCESTRY_TINY: usize = 24;

/// The longest ancestry an `Initialize` may carry: the schema's `Ancestry ::= SEQUENCE
/// (SIZE(0..24))`, whatever the spec. A longer one ends the session as malformed input.
pub const MAX_ANCESTRY: usize = 24;

/// The JAM protocol version Marmalade implements (Gray Paper 0.7.2).
pub const JAM_VERSION: Version = Version {
    major: 0,
    minor: 7,
    patch: 2,
};

/// The application name Marmalade announces in its [`PeerInfo`].
pub const APP_NAME: &str = "marmalade";

/// `Version`: a `major.minor.patch` version, one byte each.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode, Serialize, Deserialize,
)]
pub struct Version {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version.
    pub patch: u8,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Version {
    /// This crate's version (`CARGO_PKG_VERSION_*`, saturated to a byte per component).
    pub fn of_this_crate() -> Version {
        fn byte(s: &str) -> u8 {
            s.parse::<u64>().map_or(0, |v| v.min(255) as u8)
        }
        Version {
            major: byte(env!("CARGO_PKG_VERSION_MAJOR")),
            minor: byte(env!("CARGO_PKG_VERSION_MINOR")),
            patch: byte(env!("CARGO_PKG_VERSION_PATCH")),
        }
    }
}

/// `PeerInfo`: the handshake message each peer sends once, the fuzzer first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
pub struct PeerInfo {
    /// `fuzz-version`: the fuzz protocol version ([`FUZZ_VERSION`]).
    pub fuzz_version: u8,
    /// `fuzz-features`: the features this peer supports ([`FEATURE_ANCESTRY`],
    /// [`FEATURE_FORKS`]).
    pub fuzz_features: Features,
    /// `jam-version`: the Gray Paper version the peer implements.
    pub jam_version: Version,
    /// `app-version`: the peer application's version.
    pub app_version: Version,
    /// `app-name`: the peer application's name (a length-prefixed UTF-8 string).
    #[codec(with = utf8)]
    pub app_name: String,
}

impl PeerInfo {
    /// Marmalade's own handshake: protocol version 1, features ancestry and forks, JAM
    /// 0.7.2, this crate's version, name `marmalade`.
    pub fn marmalade() -> PeerInfo {
        PeerInfo {
            fuzz_version: FUZZ_VERSION,
            fuzz_features: FEATURE_ANCESTRY | FEATURE_FORKS,
            jam_version: JAM_VERSION,
            app_version: Version::of_this_crate(),
            app_name: APP_NAME.to_owned(),
        }
    }
}

/// `KeyValue`: one entry of the state trie's key/value store: a 31-byte state key and its
/// value.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode, Serialize, Deserialize,
)]
pub struct KeyValue {
    /// The 31-byte state key.
    #[serde(with = "serde_hex")]
    pub key: [u8; 31],
    /// The value (length-prefixed).
    #[serde(with = "serde_hex")]
    pub value: Vec<u8>,
}

/// The protocol's `State`: a whole state as its key/value pairs (named for what it holds, so
/// as not to be confused with the node's `marmalade_state::State`).
pub type KeyValues = Vec<KeyValue>;

/// `AncestryItem`: one ancestor of the first imported block: its slot and header hash.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode, Serialize, Deserialize,
)]
pub struct AncestryItem {
    /// The ancestor's timeslot.
    pub slot: TimeSlot,
    /// The ancestor's header hash.
    #[serde(with = "serde_hex")]
    pub header_hash: HeaderHash,
}

/// `Ancestry`: up to [`MAX_ANCESTRY_TINY`] (tiny) ancestors; empty unless both peers enable
/// [`FEATURE_ANCESTRY`]. Includes the [`Initialize`] header's hash.
pub type Ancestry = Vec<AncestryItem>;

/// `Initialize`: set (or reset) the target's state to `state`, to be referenced by `header`'s
/// hash; the state must be stored as given whatever the header says.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Initialize {
    /// A "genesis-like" header whose hash refers to `state`.
    pub header: Header,
    /// `keyvals`: the state's key/value pairs (`state` in the examples' JSON).
    #[serde(alias = "keyvals")]
    pub state: KeyValues,
    /// The ancestors of the first block to be imported (empty without
    /// [`FEATURE_ANCESTRY`]).
    pub ancestry: Ancestry,
}

/// `Message`: the `CHOICE` of every protocol message, with the ASN.1 discriminators.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// `[0]` handshake, both directions.
    #[codec(index = 0)]
    PeerInfo(PeerInfo),
    /// `[1]` fuzzer → target: set the state. Answered by [`Message::StateRoot`].
    #[codec(index = 1)]
    Initialize(Box<Initialize>),
    /// `[2]` target → fuzzer: the posterior state root.
    #[codec(index = 2)]
    StateRoot(#[serde(with = "serde_hex")] StateRoot),
    /// `[3]` fuzzer → target: import a block. Answered by [`Message::StateRoot`] or
    /// [`Message::Error`].
    #[codec(index = 3)]
    ImportBlock(Box<Block>),
    /// `[4]` fuzzer → target: fetch the state after the block with this header hash.
    /// Answered by [`Message::State`].
    #[codec(index = 4)]
    GetState(#[serde(with = "serde_hex")] HeaderHash),
    /// `[5]` target → fuzzer: a whole state.
    #[codec(index = 5)]
    State(KeyValues),
    /// `[255]` target → fuzzer: the block was rejected (a protocol-defined failure only); the
    /// text is for debugging.
    #[codec(index = 255)]
    Error(#[codec(with = utf8)] String),
}

/// The variant of a [`Message`], without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    /// [`Message::PeerInfo`].
    PeerInfo,
    /// [`Message::Initialize`].
    Initialize,
    /// [`Message::StateRoot`].
    StateRoot,
    /// [`Message::ImportBlock`].
    ImportBlock,
    /// [`Message::GetState`].
    GetState,
    /// [`Message::State`].
    State,
    /// [`Message::Error`].
    Error,
}

impl MessageKind {
    /// Every kind, in discriminator order.
    pub const ALL: [MessageKind; 7] = [
        MessageKind::PeerInfo,
        MessageKind::Initialize,
        MessageKind::StateRoot,
        MessageKind::ImportBlock,
        MessageKind::GetState,
        MessageKind::State,
        MessageKind::Error,
    ];

    /// The wire discriminator (the ASN.1 `CHOICE` index).
    pub const fn discriminator(self) -> u8 {
        match self {
            MessageKind::PeerInfo => 0,
            MessageKind::Initialize => 1,
            MessageKind::StateRoot => 2,
            MessageKind::ImportBlock => 3,
            MessageKind::GetState => 4,
            MessageKind::State => 5,
            MessageKind::Error => 255,
        }
    }

    /// The kind with this discriminator, if any.
    pub fn from_discriminator(tag: u8) -> Option<MessageKind> {
        MessageKind::ALL
            .into_iter()
            .find(|k| k.discriminator() == tag)
    }

    /// The `snake_case` name: the JSON key and the suffix of the example file names
    /// (`peer_info`, `initialize`, `state_root`, `import_block`, `get_state`, `state`,
    /// `error`).
    pub const fn name(self) -> &'static str {
        match self {
            MessageKind::PeerInfo => "peer_info",
            MessageKind::Initialize => "initialize",
            MessageKind::StateRoot => "state_root",
            MessageKind::ImportBlock => "import_block",
            MessageKind::GetState => "get_state",
            MessageKind::State => "state",
            MessageKind::Error => "error",
        }
    }

    /// The kind called `name` (see [`MessageKind::name`]).
    pub fn from_name(name: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Message {
    /// The message's variant.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::PeerInfo(_) => MessageKind::PeerInfo,
            Message::Initialize(_) => MessageKind::Initialize,
            Message::StateRoot(_) => MessageKind::StateRoot,
            Message::ImportBlock(_) => MessageKind::ImportBlock,
            Message::GetState(_) => MessageKind::GetState,
            Message::State(_) => MessageKind::State,
            Message::Error(_) => MessageKind::Error,
        }
    }

    /// Decodes a message that spans all of `bytes` (a frame's payload) with the sequence
    /// lengths of `spec`.
    pub fn decode_with(bytes: &[u8], spec: &ChainSpec) -> marmalade_codec::Result<Message> {
        decode_all(bytes, spec.seq_lens())
    }

    /// A one-line description for logs and reports: the kind and a short payload digest
    /// (never the whole payload).
    pub fn summary(&self) -> String {
        match self {
            Message::PeerInfo(p) => format!(
                "peer_info {} {} (fuzz v{}, features {:#x}, jam {})",
                p.app_name, p.app_version, p.fuzz_version, p.fuzz_features, p.jam_version
            ),
            Message::Initialize(i) => format!(
                "initialize slot {} ({} key/values, {} ancestors)",
                i.header.slot,
                i.state.len(),
                i.ancestry.len()
            ),
            Message::StateRoot(r) => format!("state_root {}", serde_hex::to_hex(r)),
            Message::ImportBlock(b) => format!(
                "import_block slot {} parent {}",
                b.header.slot,
                serde_hex::to_hex(&b.header.parent)
            ),
            Message::GetState(h) => format!("get_state {}", serde_hex::to_hex(h)),
            Message::State(s) => format!("state ({} key/values)", s.len()),
            Message::Error(e) => format!("error {e:?}"),
        }
    }
}

/// The JAM encoding of a UTF-8 string (ASN.1 `UTF8String`): its bytes with a natural-number
/// length prefix. For `#[codec(with = utf8)]`.
pub mod utf8 {
    use super::*;

    /// Appends the length-prefixed bytes of `s`.
    pub fn encode_to(s: &str, out: &mut Vec<u8>) {
        marmalade_codec::encode_natural(s.len() as u64, out);
        out.extend_from_slice(s.as_bytes());
    }

    /// Decodes length-prefixed bytes that must be valid UTF-8.
    pub fn decode(r: &mut Reader<'_>) -> marmalade_codec::Result<String> {
        let n = r.seq_len()?;
        let bytes = r.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| marmalade_codec::Error::Invalid("string is not valid UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        serde_hex::from_hex(s).unwrap()
    }

    #[test]
    fn readme_peer_info_example() {
        let bytes = hex("0x0001020000000007000001190666757a7a6572");
        let m = Message::decode_with(&bytes, &ChainSpec::TINY).unwrap();
        let want = Message::PeerInfo(PeerInfo {
            fuzz_version: 1,
            fuzz_features: 2,
            jam_version: Version {
                major: 0,
                minor: 7,
                patch: 0,
            },
            app_version: Version {
                major: 0,
                minor: 1,
                patch: 25,
            },
            app_name: "fuzzer".into(),
        });
        assert_eq!(m, want);
        assert_eq!(m.encode(), bytes);
    }

    #[test]
    fn readme_state_root_and_error_examples() {
        let bytes = hex("0x024559342d3a32a8cbc3c46399a80753abff8bf785aa9d6f623e0de045ba6701fe");
        let m = Message::decode_with(&bytes, &ChainSpec::TINY).unwrap();
        assert_eq!(m.kind(), MessageKind::StateRoot);
        assert_eq!(m.encode(), bytes);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"state_root": "0x4559342d3a32a8cbc3c46399a80753abff8bf785aa9d6f623e0de045ba6701fe"})
        );

        let text = "Chain error: block execution failure: preimages error: preimage not required";
        let mut bytes = vec![0xff, text.len() as u8];
        bytes.extend_from_slice(text.as_bytes());
        let m = Message::decode_with(&bytes, &ChainSpec::TINY).unwrap();
        assert_eq!(m, Message::Error(text.into()));
        assert_eq!(m.encode(), bytes);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({ "error": text })
        );
    }

    #[test]
    fn discriminators_match_the_asn() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::from_discriminator(k.discriminator()), Some(k));
            assert_eq!(MessageKind::from_name(k.name()), Some(k));
        }
        assert_eq!(MessageKind::from_discriminator(6), None);
        assert_eq!(Message::GetState([7; 32]).encode()[0], 4);
        assert_eq!(Message::State(vec![]).encode(), vec![5, 0]);
        assert!(Message::decode_with(&[6], &ChainSpec::TINY).is_err());
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        assert!(Message::decode_with(&[0xff, 1, 0xc3], &ChainSpec::TINY).is_err());
        assert!(Message::decode_with(&[0xff, 2, b'o'], &ChainSpec::TINY).is_err());
    }

    #[test]
    fn our_peer_info() {
        let p = PeerInfo::marmalade();
        assert_eq!(p.fuzz_features, 3);
        assert_eq!(p.jam_version.to_string(), "0.7.2");
        assert_eq!(p.app_name, "marmalade");
        let m = Message::PeerInfo(p);
        assert_eq!(Message::decode_with(&m.encode(), &ChainSpec::FULL), Ok(m));
    }
}
