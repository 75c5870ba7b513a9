//! The JIP-2 methods and subscriptions as a `jsonrpsee` module, and the server.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use jsonrpsee::server::{
    PendingSubscriptionSink, RpcModule, Server, ServerConfig, ServerHandle, SubscriptionSink,
};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use marmalade_codec::Encode;
use marmalade_state::Component;
use marmalade_types::{CoreIndex, ServiceId};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::backend::{BackendError, BlockDesc, RpcBackend, StateRef};
use crate::encoding::{Blob, Hash32, Parameters, VersionedParameters};

/// Error code: the block named is unknown or its state is gone (server-error range of
/// JSON-RPC 2.0).
pub const BLOCK_UNAVAILABLE_CODE: i32 = -32050;
/// Error code: the node does not support this call yet.
pub const NOT_SUPPORTED_CODE: i32 = -32051;
/// Error code: a submission was refused.
pub const REJECTED_CODE: i32 = -32052;
/// Error code: the node failed to read its own data.
pub const BACKEND_FAILURE_CODE: i32 = -32053;

/// Where and within which limits to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpcConfig {
    /// The listening address: 127.0.0.1:19800 by default (the JIP's port); the binary's
    /// `--rpc-port` and `--rpc-external` (0.0.0.0) change it.
    pub addr: SocketAddr,
    /// The largest request (a WebSocket message or HTTP body) in octets; larger ones get an
    /// error and the connection goes on (or is closed, for a WebSocket frame the server
    /// refuses to read).
    pub max_request_size: u32,
    /// The largest response in octets.
    pub max_response_size: u32,
    /// Connections served at once.
    pub max_connections: u32,
    /// Active subscriptions per connection; more are refused with an error.
    pub max_subscriptions_per_connection: u32,
}

impl RpcConfig {
    /// The JIP-2 port.
    pub const DEFAULT_PORT: u16 = 19800;

    /// The defaults with the server on `port`, on all interfaces if `external`, else on
    /// loopback only.
    pub fn on(port: u16, external: bool) -> Self {
        let ip = if external {
            Ipv4Addr::UNSPECIFIED
        } else {
            Ipv4Addr::LOCALHOST
        };
        RpcConfig {
            addr: SocketAddr::from((ip, port)),
            ..Self::default()
        }
    }
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, Self::DEFAULT_PORT)),
            // A bundle of W_B = 13 791 360 octets is 18 388 480 in base64; room for the rest.
            max_request_size: 20 * 1024 * 1024,
            max_response_size: 20 * 1024 * 1024,
            max_connections: 100,
            max_subscriptions_per_connection: 64,
        }
    }
}

/// The server failed to start.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// Binding the address failed.
    #[error("cannot serve RPC on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A method name was registered twice (a bug).
    #[error("registering RPC methods: {0}")]
    Register(String),
}

/// A running server. Dropping it does not stop the server; [`RpcServer::stop`] does.
#[derive(Debug, Clone)]
pub struct RpcServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServer {
    /// The address bound (with the actual port if 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks the server to stop; returns false if it already had.
    pub fn stop(&self) -> bool {
        self.handle.stop().is_ok()
    }

    /// Waits until the server has stopped.
    pub async fn stopped(self) {
        self.handle.stopped().await
    }
}

/// Starts serving JIP-2 over `backend` as `config` says. Needs a tokio runtime.
pub async fn serve(
    config: &RpcConfig,
    backend: Arc<dyn RpcBackend>,
) -> Result<RpcServer, RpcError> {
    let module = build_module(backend)?;
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_size)
        .max_response_body_size(config.max_response_size)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .build();
    let bind = |source| RpcError::Bind {
        addr: config.addr,
        source,
    };
    let server = Server::builder()
        .set_config(server_config)
        .build(config.addr)
        .await
        .map_err(bind)?;
    let addr = server.local_addr().map_err(bind)?;
    let handle = server.start(module);
    Ok(RpcServer { addr, handle })
}

type Ctx = Arc<dyn RpcBackend>;
type RpcResult<T> = Result<T, ErrorObjectOwned>;

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, message, None::<()>)
}

fn backend_error(e: BackendError) -> ErrorObjectOwned {
    let code = match e {
        BackendError::NotSupported(_) => NOT_SUPPORTED_CODE,
        BackendError::Rejected(_) => REJECTED_CODE,
        BackendError::Failure(_) => BACKEND_FAILURE_CODE,
    };
    error(code, e.to_string())
}

fn unavailable(hash: &Hash32) -> ErrorObjectOwned {
    error(
        BLOCK_UNAVAILABLE_CODE,
        format!(
            "the posterior state of block {} is not available",
            serde_json::to_string(hash).unwrap_or_default()
        ),
    )
}

/// The state of block `hash`, or `None` if the node does not have it.
fn state_of(b: &dyn RpcBackend, hash: &Hash32) -> RpcResult<Option<StateRef>> {
    b.state(&hash.0).map_err(backend_error)
}

/// The state of block `hash`, or the block-unavailable error.
fn known_state(b: &dyn RpcBackend, hash: &Hash32) -> RpcResult<StateRef> {
    state_of(b, hash)?.ok_or_else(|| unavailable(hash))
}

/// How a state subscription reads its item in a state: the value sent (`None` is sent as
/// `null`).
type Follow<T, V> = fn(&dyn RpcBackend, &StateRef, &T) -> V;

/// $\pi$ as the GP encodes it, the value of $C(13)$ (GP (D.2)).
fn statistics(s: &StateRef) -> Blob {
    Blob(s.components().encode_component(Component::Statistics))
}

/// The account info of `service`, encoded as the value of $C(255, s)$ (GP (D.2)).
fn service_data(s: &StateRef, service: ServiceId) -> Option<Blob> {
    s.service_info(service).map(|i| Blob(i.encode()))
}

/// The request (the slots of $\mathbf{l}$) of `service` for `(hash, len)` (GP (9.3)).
fn service_request(s: &StateRef, service: ServiceId, hash: &Hash32, len: u32) -> Option<Vec<u32>> {
    s.request(service, &hash.0, len)
}

/// The JIP-2 methods and subscriptions over `backend`, for [`serve`] or for embedding in
/// another server.
pub fn build_module(backend: Arc<dyn RpcBackend>) -> Result<RpcModule<Ctx>, RpcError> {
    let mut module = RpcModule::new(backend);
    let m = &mut module;

    // Methods without arguments ignore any given, as before.
    method(m, "parameters", |b, _: IgnoredAny| {
        Ok(VersionedParameters::V1(Parameters::of(&b.spec())))
    })?;
    method(m, "bestBlock", |b, _: IgnoredAny| {
        b.best_block()
            .map_err(backend_error)?
            .ok_or_else(|| error(BLOCK_UNAVAILABLE_CODE, "no block is known yet"))
    })?;
    method(m, "finalizedBlock", |b, _: IgnoredAny| {
        b.finalized_block()
            .map_err(backend_error)?
            .ok_or_else(|| error(BLOCK_UNAVAILABLE_CODE, "no block is finalized yet"))
    })?;
    method(m, "parent", |b, (hash,): (Hash32,)| {
        b.parent(&hash.0).map_err(backend_error)
    })?;
    method(m, "stateRoot", |b, (hash,): (Hash32,)| {
        Ok(b.state_root(&hash.0).map_err(backend_error)?.map(Hash32))
    })?;
    method(m, "beefyRoot", |b, (hash,): (Hash32,)| {
        // The block's own entry of recent history β_H in its posterior state (GP (7.8)).
        Ok(state_of(b, &hash)?.and_then(|s| {
            s.components()
                .beta
                .history
                .iter()
                .rev()
                .find(|i| i.header_hash == hash.0)
                .map(|i| Hash32(i.beefy_root))
        }))
    })?;
    method(m, "statistics", |b, (hash,): (Hash32,)| {
        Ok(state_of(b, &hash)?.map(|s| statistics(&s)))
    })?;
    method(
        m,
        "serviceData",
        |b, (hash, service): (Hash32, ServiceId)| {
            Ok(state_of(b, &hash)?.and_then(|s| service_data(&s, service)))
        },
    )?;
    method(
        m,
        "serviceValue",
        |b, (hash, service, key): (Hash32, ServiceId, Blob)| {
            let s = known_state(b, &hash)?;
            Ok(s.storage(service, &key.0).map(|v| Blob(v.to_vec())))
        },
    )?;
    method(
        m,
        "servicePreimage",
        |b, (hash, service, preimage): (Hash32, ServiceId, Hash32)| {
            let s = known_state(b, &hash)?;
            Ok(s.preimage(service, &preimage.0).map(|v| Blob(v.to_vec())))
        },
    )?;
    method(
        m,
        "serviceRequest",
        |b, (hash, service, preimage, len): (Hash32, ServiceId, Hash32, u32)| {
            let s = known_state(b, &hash)?;
            Ok(service_request(&s, service, &preimage, len))
        },
    )?;
    method(m, "listServices", |b, (hash,): (Hash32,)| {
        Ok(known_state(b, &hash)?.service_ids())
    })?;
    method(
        m,
        "submitWorkPackage",
        |b, (core, package, extrinsics): (CoreIndex, Blob, Vec<Blob>)| {
            let extrinsics = extrinsics.into_iter().map(|x| x.0).collect();
            b.submit_work_package(core, package.0, extrinsics)
                .map_err(backend_error)
        },
    )?;
    method(
        m,
        "submitPreimage",
        |b, (service, preimage, anchor): (ServiceId, Blob, Hash32)| {
            b.submit_preimage(service, preimage.0, anchor.0)
                .map_err(backend_error)
        },
    )?;

    // Block subscriptions: the current block, then each new one.
    block_subscription(m, "subscribeBestBlock", "unsubscribeBestBlock", false)?;
    block_subscription(
        m,
        "subscribeFinalizedBlock",
        "unsubscribeFinalizedBlock",
        true,
    )?;

    // State subscriptions: arguments as the method's without the block hash, then
    // `finalized`; the value in the followed block's state, sent first and on each change.
    state_subscription(
        m,
        "subscribeStatistics",
        "unsubscribeStatistics",
        |(finalized,): (bool,)| ((), finalized),
        |_, s, _| Some(statistics(s)),
    )?;
    state_subscription(
        m,
        "subscribeServiceData",
        "unsubscribeServiceData",
        |(id, finalized): (ServiceId, bool)| (id, finalized),
        |_, s, &id| service_data(s, id),
    )?;
    state_subscription(
        m,
        "subscribeServiceValue",
        "unsubscribeServiceValue",
        |(id, key, fin): (ServiceId, Blob, bool)| ((id, key), fin),
        |_, s, (id, key)| s.storage(*id, &key.0).map(|v| Blob(v.to_vec())),
    )?;
    state_subscription(
        m,
        "subscribeServicePreimage",
        "unsubscribeServicePreimage",
        |(id, h, fin): (ServiceId, Hash32, bool)| ((id, h), fin),
        |_, s, (id, h)| s.preimage(*id, &h.0).map(|v| Blob(v.to_vec())),
    )?;
    state_subscription(
        m,
        "subscribeServiceRequest",
        "unsubscribeServiceRequest",
        |(id, h, len, fin): (ServiceId, Hash32, u32, bool)| ((id, h, len), fin),
        |_, s, (id, h, len)| service_request(s, *id, h, *len),
    )?;
    Ok(module)
}

fn register_error(e: jsonrpsee::core::RegisterMethodError) -> RpcError {
    RpcError::Register(e.to_string())
}

/// Registers a method run on the blocking pool: its parameters parse as `P`, then `f` answers.
fn method<P, R, F>(m: &mut RpcModule<Ctx>, name: &'static str, f: F) -> Result<(), RpcError>
where
    P: DeserializeOwned,
    R: Serialize + Clone + Send + 'static,
    F: Fn(&dyn RpcBackend, P) -> RpcResult<R> + Clone + Send + Sync + 'static,
{
    m.register_blocking_method(name, move |p, ctx, _| -> RpcResult<R> {
        f(&**ctx, p.parse()?)
    })
    .map_err(register_error)?;
    Ok(())
}

/// Registers a subscription to the best (or finalized) block; it takes no arguments.
fn block_subscription(
    m: &mut RpcModule<Ctx>,
    name: &'static str,
    unsubscribe: &'static str,
    finalized: bool,
) -> Result<(), RpcError> {
    m.register_subscription(
        name,
        name,
        unsubscribe,
        move |_, pending, ctx, _| async move {
            follow_blocks(pending, Ctx::clone(&ctx), finalized).await;
        },
    )
    .map_err(register_error)?;
    Ok(())
}

/// Registers a subscription to a state value: its arguments parse as `P`, which `split` turns
/// into the item followed and `finalized`; `read` reads the item in each followed state.
fn state_subscription<P, T, V>(
    m: &mut RpcModule<Ctx>,
    name: &'static str,
    unsubscribe: &'static str,
    split: fn(P) -> (T, bool),
    read: Follow<T, V>,
) -> Result<(), RpcError>
where
    P: DeserializeOwned + Send + 'static,
    T: Send + Sync + 'static,
    V: Serialize + PartialEq + Send + Sync + 'static,
{
    m.register_subscription(
        name,
        name,
        unsubscribe,
        move |p, pending, ctx, _| async move {
            match p.parse::<P>() {
                Ok(args) => {
                    let (item, finalized) = split(args);
                    follow_state(pending, Ctx::clone(&ctx), finalized, item, read).await
                }
                Err(e) => pending.reject(e).await,
            }
        },
    )
    .map_err(register_error)?;
    Ok(())
}

/// The block followed now: the best or the finalized.
fn current(b: &dyn RpcBackend, finalized: bool) -> Option<BlockDesc> {
    let r = if finalized {
        b.finalized_block()
    } else {
        b.best_block()
    };
    r.ok().flatten()
}

/// Sends `value`; false once the subscriber is gone.
async fn send(sink: &SubscriptionSink, value: &impl Serialize) -> bool {
    match serde_json::value::to_raw_value(value) {
        Ok(raw) => sink.send(raw).await.is_ok(),
        Err(_) => false,
    }
}

/// Follows the best (or finalized) block and sends `read(block)` first and whenever it
/// differs from the last sent. A subscriber that falls behind skips to the current block.
/// Reads run on the blocking pool: the backend may wait for an import to finish.
async fn follow<T, F>(pending: PendingSubscriptionSink, b: Ctx, finalized: bool, read: F)
where
    T: Serialize + PartialEq + Send + 'static,
    F: Fn(&dyn RpcBackend, &BlockDesc) -> Option<T> + Clone + Send + Sync + 'static,
{
    // Subscribe before reading the current block, so no block falls between the two.
    let mut rx = if finalized {
        b.subscribe_finalized()
    } else {
        b.subscribe_best()
    };
    let Ok(sink) = pending.accept().await else {
        return;
    };
    // `None`: the block followed now.
    let fetch = move |blk: Option<BlockDesc>| -> Option<T> {
        let blk = match blk {
            Some(blk) => blk,
            None => current(&*b, finalized)?,
        };
        read(&*b, &blk)
    };
    let mut last: Option<T> = None;
    let mut block: Option<BlockDesc> = None;
    loop {
        let f = fetch.clone();
        let value = tokio::task::spawn_blocking(move || f(block))
            .await
            .ok()
            .flatten();
        if let Some(v) = value {
            if last.as_ref() != Some(&v) {
                if !send(&sink, &v).await {
                    return;
                }
                last = Some(v);
            }
        }
        block = tokio::select! {
            _ = sink.closed() => return,
            r = rx.recv() => match r {
                Ok(blk) => Some(blk),
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return,
            },
        };
    }
}

async fn follow_blocks(pending: PendingSubscriptionSink, b: Ctx, finalized: bool) {
    follow(pending, b, finalized, |_, blk| Some(*blk)).await
}

/// Follows a state value. JIP-2 sends `null` when the value is absent; a block whose state is
/// gone is skipped.
async fn follow_state<T, V>(
    pending: PendingSubscriptionSink,
    b: Ctx,
    finalized: bool,
    item: T,
    read: Follow<T, V>,
) where
    T: Send + Sync + 'static,
    V: Serialize + PartialEq + Send + Sync + 'static,
{
    let item = Arc::new(item);
    follow(pending, b, finalized, move |b, blk| {
        let s = b.state(&blk.hash).ok().flatten()?;
        Some(read(b, &s, &item))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_address_is_loopback_on_the_jip_port() {
        assert_eq!(
            RpcConfig::default().addr,
            "127.0.0.1:19800".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            RpcConfig::on(9944, true).addr,
            "0.0.0.0:9944".parse::<SocketAddr>().unwrap()
        );
        // A whole bundle of W_B octets fits a request once base64-encoded (4 per 3).
        let wb = marmalade_types::constants::MAX_BUNDLE_SIZE as u64;
        assert!(u64::from(RpcConfig::default().max_request_size) > wb.div_ceil(3) * 4);
    }

    #[test]
    fn a_block_is_hash_then_slot() {
        let b = BlockDesc {
            hash: [0xff; 32],
            slot: 42,
        };
        assert_eq!(
            serde_json::to_value(b).unwrap(),
            serde_json::json!(["//////////////////////////////////////////8=", 42])
        );
    }
}
