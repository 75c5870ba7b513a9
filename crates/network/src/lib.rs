//! JAMNP-S transport (JAM Simple Networking Protocol): QUIC connections authenticated by
//! self-signed Ed25519 certificates, the chain's ALPN identifier, a peer table by Ed25519 key
//! with one connection per peer, and Unique Persistent (UP) and Common Ephemeral (CE) streams
//! of length-prefixed messages, with limits. Message contents are opaque here.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cert;
pub mod grid;
pub mod limits;
pub mod name;
pub mod network;
pub mod stream;

pub use cert::{peer_key, CertError, NodeKey, TlsSetupError};
pub use grid::{
    are_grid_neighbours, grid_neighbours, grid_width, metadata_address, preferred_initiator,
    we_initiate,
};
pub use limits::{Backoff, KindLimit, Limits, StreamKind};
pub use name::{alpn, node_name};
pub use network::{
    close_code, Config, Misbehaviour, Network, NetworkError, PeerId, PeerInfo, StreamHandler,
};
pub use stream::{code, Stream, StreamError};
