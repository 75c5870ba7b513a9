//! The node's JSON-RPC interface of JIP-2 ("Node RPC") over WebSocket (and HTTP for plain
//! methods), served with `jsonrpsee`.
//!
//! - [`RpcBackend`] is the seam to the node: best/finalized blocks, parents, state roots, a
//!   [`marmalade_state::StateReader`] of a block's posterior state, submissions, and
//!   notification streams. [`ChainBackend`] implements it over a [`marmalade_chain::Chain`].
//! - [`serve`] starts the server on [`RpcConfig::addr`] (127.0.0.1:19800 by default, the JIP's
//!   port) with limits on request size, connections and subscriptions per connection.
//! - [`encoding`]: the JIP's JSON types: hashes and blobs as padded base64 (RFC 4648), a
//!   block as `[Hash, Slot]`, the `Parameters` object.
//!
//! Method names, argument order and results are those of JIP-2; every `subscribeX` has its
//! `unsubscribeX`, and notifications carry the subscribe method's name. Where the JIP leaves
//! room, this crate reads it so:
//!
//! - A result of two items (`bestBlock`, `finalizedBlock`, `parent`, block notifications) is
//!   the array `[Hash, Slot]` ("results ... are passed as an array"); a single item is the
//!   bare value.
//! - A state subscription takes the method's arguments without the header hash, then
//!   `finalized`: `subscribeStatistics [finalized]`, `subscribeServiceData [id, finalized]`,
//!   `subscribeServiceValue [id, key, finalized]`, `subscribeServicePreimage [id, hash,
//!   finalized]`, `subscribeServiceRequest [id, hash, len, finalized]`. It sends the value in
//!   the followed block's state at once, then whenever it changes (`null` when absent).
//! - Unknown blocks: `parent`, `stateRoot`, `beefyRoot`, `statistics` and `serviceData`
//!   answer `null` as the JIP says; `serviceValue`, `servicePreimage`, `serviceRequest` and
//!   `listServices`, whose `null` means "no such item", answer the error
//!   [`BLOCK_UNAVAILABLE_CODE`] instead.
//! - `submitWorkPackage` and `submitPreimage` go to the backend; one without pools answers
//!   [`NOT_SUPPORTED_CODE`].

#![deny(unsafe_code)]

mod backend;
pub mod encoding;
mod server;

pub use backend::{BackendError, BlockDesc, ChainBackend, RpcBackend, StateRef};
pub use encoding::{Blob, Hash32, Parameters};
pub use server::{
    build_module, serve, RpcConfig, RpcError, RpcServer, BACKEND_FAILURE_CODE,
    BLOCK_UNAVAILABLE_CODE, NOT_SUPPORTED_CODE, REJECTED_CODE,
};
