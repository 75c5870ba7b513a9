//! The JAM conformance fuzz protocol, version 1 (`fuzz-proto/fuzz-v1.asn` of
//! davxy/jam-conformance), for Gray Paper 0.7.2.
//!
//! - [`messages`]: every protocol message with its JAM encoding and example-JSON form, and the
//!   [`Message`] choice with the ASN.1 discriminators.
//! - [`framing`]: `u32` little-endian length-prefixed frames, with a length cap
//!   ([`MAX_FRAME_LEN`]) checked before anything is allocated.
//! - [`target`]: the [`Target`] trait the node implements, [`serve_session`] for one session
//!   over any stream, and the Unix-socket [`Server`] / [`serve`] loop.
//! - [`mod@replay`]: a client that plays a recorded session against a target and reports
//!   mismatching answers.
//!
//! Messages are decoded with the sequence lengths of a [`ChainSpec`](marmalade_types::ChainSpec)
//! (`tiny` or `full`, see [`spec_from_env`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod framing;
pub mod messages;
pub mod replay;
pub mod target;

pub use framing::{
    read_frame, read_frame_into, write_frame, write_message, FrameError, MAX_FRAME_LEN,
};
pub use messages::{
    Ancestry, AncestryItem, Features, Initialize, KeyValue, KeyValues, Message, MessageKind,
    PeerInfo, Version, APP_NAME, FEATURE_ANCESTRY, FEATURE_FORKS, FEATURE_RESERVED, FUZZ_VERSION,
    JAM_VERSION, MAX_ANCESTRY, MAX_ANCESTRY_TINY,
};
pub use replay::{
    replay, replay_socket, Abort, Exchange, Mismatch, MismatchDetail, Recording, ReplayError,
    ReplayReport,
};
pub use target::{
    serve, serve_session, socket_from_env, spec_from_env, FuzzError, Server, SessionEnd, Target,
    DEFAULT_SOCKET_PATH, ENV_SOCK_PATH, ENV_SPEC,
};
