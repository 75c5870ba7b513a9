//! The endpoint (JAMNP-S over QUIC): one UDP socket that accepts and makes connections, a
//! table of peers by Ed25519 key with at most one connection each, incoming streams handed
//! to a [`StreamHandler`] by kind, outgoing UP and CE streams, reconnection with backoff, and
//! misbehaviour scores that end in a ban.

use crate::cert::{peer_key, tls_configs, NodeKey, TlsSetupError};
use crate::grid::we_initiate;
use crate::limits::{Backoff, Limits, StreamKind};
use crate::name::{alpn, node_name};
use crate::stream::{code, later, Reporter, Stream, StreamError};
use marmalade_types::Ed25519Public;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A peer's identity: its Ed25519 public key.
pub type PeerId = Ed25519Public;

/// QUIC application error codes with which connections are closed.
pub mod close_code {
    /// This node is shutting down, or was asked to disconnect.
    pub const SHUTDOWN: u32 = 0;
    /// Another connection with the same peer is kept (JAMNP-S: one connection per pair).
    pub const DUPLICATE: u32 = 1;
    /// The peer's misbehaviour score reached the threshold.
    pub const MISBEHAVIOUR: u32 = 2;
    /// The peer is banned for now.
    pub const BANNED: u32 = 3;
    /// The peer did not negotiate this chain's ALPN identifier.
    pub const ALPN: u32 = 4;
    /// No connection slot is free.
    pub const FULL: u32 = 5;
}

/// A peer fault; each counts one against its score ([`Limits::misbehaviour_threshold`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A stream of a kind this node does not serve.
    UnknownKind,
    /// A message over its kind's limit, or a CE stream over its byte limit.
    Oversized,
    /// A stream cut inside a message, or content that does not decode.
    Malformed,
}

/// What a node is: its key, its chain, and its limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The node's key (its certificate and identity).
    pub key: NodeKey,
    /// The chain's genesis header hash: its first 4 octets name the chain in the ALPN.
    pub genesis_header_hash: [u8; 32],
    /// Whether this node connects as a work-package builder (`jamnp-s/0/H/builder`).
    pub builder: bool,
    /// What peers may do.
    pub limits: Limits,
    /// Reconnection timing.
    pub backoff: Backoff,
}

/// A connected peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// Its Ed25519 key.
    pub key: PeerId,
    /// Its address.
    pub address: SocketAddr,
    /// Whether this node initiated the connection (only the initiator opens UP streams).
    pub we_initiated: bool,
    /// Whether the peer connected as a builder.
    pub builder: bool,
}

/// What the node does with what peers send. Calls must return quickly: serve each stream on a
/// task of its own.
pub trait StreamHandler: Send + Sync + 'static {
    /// A peer opened a stream of a kind in [`Limits::kinds`]. For a UP kind, a newer stream of
    /// the same kind from the same connection replaces this one (its operations then fail with
    /// [`StreamError::Replaced`]).
    fn stream(&self, stream: Stream);

    /// A connection to a peer is up (again called if it replaces one to the same peer).
    fn connected(&self, _peer: &PeerInfo) {}

    /// The peer's connection is gone.
    fn disconnected(&self, _peer: &PeerId) {}
}

/// Why a network operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The TLS or QUIC configuration could not be made.
    #[error("setup: {0}")]
    Setup(#[from] TlsSetupError),
    /// The socket could not be bound.
    #[error("bind: {0}")]
    Bind(std::io::Error),
    /// The connection could not be made or was lost during the handshake (a refused
    /// certificate or ALPN identifier ends here).
    #[error("connection failed: {0}")]
    Connection(String),
    /// The operation took too long.
    #[error("timed out")]
    Timeout,
    /// The peer is banned for misbehaviour.
    #[error("peer is banned")]
    Banned,
    /// No connection to the peer.
    #[error("not connected")]
    NotConnected,
    /// The peer did not negotiate this chain's ALPN identifier.
    #[error("ALPN mismatch")]
    Alpn,
    /// UP streams are opened only by the connection's initiator.
    #[error("only the connection's initiator opens UP streams")]
    NotInitiator,
    /// The kind is not in [`Limits::kinds`] (or is UP where CE is needed).
    #[error("stream kind {0} is not served")]
    UnknownKind(u8),
    /// The stream failed.
    #[error("stream: {0}")]
    Stream(#[from] StreamError),
    /// The network is closed.
    #[error("network closed")]
    Closed,
}

/// One connection to a peer.
struct PeerConn {
    conn: quinn::Connection,
    info: PeerInfo,
    /// Incoming UP streams by kind: the stream's ID and the switch that replaces it.
    up_in: Mutex<HashMap<u8, (quinn::StreamId, watch::Sender<bool>)>>,
    /// Our UP streams by kind: the switch that replaces each.
    up_out: Mutex<HashMap<u8, watch::Sender<bool>>>,
}

#[derive(Default)]
struct State {
    peers: HashMap<PeerId, Arc<PeerConn>>,
    /// Misbehaviour scores: the score and when it last decayed.
    scores: HashMap<PeerId, (u32, Instant)>,
    /// Banned peers, until when.
    bans: HashMap<PeerId, Instant>,
    /// Reconnection tasks by peer.
    maintained: HashMap<PeerId, tokio::task::AbortHandle>,
    closed: bool,
}

struct Inner {
    endpoint: quinn::Endpoint,
    key: PeerId,
    limits: Limits,
    backoff: Backoff,
    client_config: quinn::ClientConfig,
    /// `jamnp-s/0/H` and `jamnp-s/0/H/builder`.
    alpns: [Vec<u8>; 2],
    handler: Arc<dyn StreamHandler>,
    state: Mutex<State>,
    /// UDP octets sent on connections that have ended ([`Network::bytes_sent`]).
    ended_tx_bytes: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The accept loop holds an endpoint handle: closing ends it, and frees the socket.
        self.endpoint
            .close(varint(close_code::SHUTDOWN), b"shutdown");
    }
}

/// The node's JAMNP-S endpoint. Cheap to clone; [`Network::close`] shuts it down.
#[derive(Clone)]
pub struct Network {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("key", &node_name(&self.inner.key))
            .field("addr", &self.inner.endpoint.local_addr().ok())
            .finish()
    }
}

/// Reports misbehaviour to the network, if it still exists.
struct WeakReporter(Weak<Inner>);

impl Reporter for WeakReporter {
    fn report(&self, peer: &PeerId, what: Misbehaviour) {
        if let Some(inner) = self.0.upgrade() {
            inner.report(peer, what);
        }
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // No code panics while holding the lock; a poisoned lock's data is still consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn lock_map<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn varint(c: u32) -> quinn::VarInt {
    quinn::VarInt::from_u32(c)
}

/// A random number for jitter (std's per-instance random hasher keys; no RNG dependency).
fn random() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(Instant::now())
}

/// The peer's key from its certificate, as the verifiers checked it.
fn connection_peer_key(conn: &quinn::Connection) -> Option<PeerId> {
    let certs = conn
        .peer_identity()?
        .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
        .ok()?;
    peer_key(certs.first()?).ok()
}

fn connection_alpn(conn: &quinn::Connection) -> Option<Vec<u8>> {
    conn.handshake_data()?
        .downcast::<quinn::crypto::rustls::HandshakeData>()
        .ok()?
        .protocol
}

impl Network {
    /// Binds `addr` and accepts connections on it (connections this node makes leave from the
    /// same socket). Call within a Tokio runtime.
    pub fn listen(
        config: Config,
        addr: SocketAddr,
        handler: Arc<dyn StreamHandler>,
    ) -> Result<Network, NetworkError> {
        let alpns = [
            alpn(&config.genesis_header_hash, false),
            alpn(&config.genesis_header_hash, true),
        ];
        let client_alpn = alpns[usize::from(config.builder)].clone();
        let (server_tls, client_tls) = tls_configs(&config.key, alpns.to_vec(), client_alpn)?;
        let transport = Arc::new(transport_config(&config.limits)?);
        let server_crypto = quinn::crypto::rustls::QuicServerConfig::try_from(server_tls)
            .map_err(|e| TlsSetupError::Quic(e.to_string()))?;
        let mut server_config = quinn::ServerConfig::with_crypto(Arc::new(server_crypto));
        server_config.transport_config(transport.clone());
        let client_crypto = quinn::crypto::rustls::QuicClientConfig::try_from(client_tls)
            .map_err(|e| TlsSetupError::Quic(e.to_string()))?;
        let mut client_config = quinn::ClientConfig::new(Arc::new(client_crypto));
        client_config.transport_config(transport);
        let endpoint = quinn::Endpoint::server(server_config, addr).map_err(NetworkError::Bind)?;
        let inner = Arc::new(Inner {
            endpoint: endpoint.clone(),
            key: config.key.public(),
            limits: config.limits,
            backoff: config.backoff,
            client_config,
            alpns,
            handler,
            state: Mutex::new(State::default()),
            ended_tx_bytes: AtomicU64::new(0),
        });
        tokio::spawn(accept_loop(endpoint, Arc::downgrade(&inner)));
        Ok(Network { inner })
    }

    /// This node's key.
    pub fn key(&self) -> PeerId {
        self.inner.key
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr, NetworkError> {
        self.inner.endpoint.local_addr().map_err(NetworkError::Bind)
    }

    /// Connects to the node of key `peer` at `addr`, or returns the connection there already
    /// is. The peer's certificate must be of `peer`'s key (its alternative name is checked
    /// against $N(\text{peer})$), and it must accept this chain's ALPN identifier.
    pub async fn connect(&self, addr: SocketAddr, peer: PeerId) -> Result<PeerInfo, NetworkError> {
        self.inner.connect(addr, peer).await
    }

    /// Keeps a connection to `peer` at `addr`: connects now (after a grace period when the
    /// peer is the preferred initiator, so that it connects first), and again whenever the
    /// connection is lost, waiting with jittered exponential backoff between failures and
    /// out a ban. Replaces an earlier call's task for the same peer.
    pub fn keep_connected(&self, peer: PeerId, addr: SocketAddr) {
        self.maintain(peer, addr, true);
    }

    /// [`Network::keep_connected`] without the preferred-initiator grace: for a bootnode,
    /// which knows nothing of this node and so never connects first.
    pub fn keep_connected_eagerly(&self, peer: PeerId, addr: SocketAddr) {
        self.maintain(peer, addr, false);
    }

    fn maintain(&self, peer: PeerId, addr: SocketAddr, grace: bool) {
        let task = tokio::spawn(maintain(Arc::downgrade(&self.inner), peer, addr, grace));
        let mut st = lock(&self.inner.state);
        if let Some(old) = st.maintained.insert(peer, task.abort_handle()) {
            old.abort();
        }
    }

    /// Stops keeping a connection to `peer` (the connection, if any, stays).
    pub fn stop_keeping(&self, peer: &PeerId) {
        if let Some(t) = lock(&self.inner.state).maintained.remove(peer) {
            t.abort();
        }
    }

    /// Closes the connection to `peer`, if any.
    pub fn disconnect(&self, peer: &PeerId) {
        let pc = lock(&self.inner.state).peers.remove(peer);
        if let Some(pc) = pc {
            pc.conn.close(varint(close_code::SHUTDOWN), b"disconnect");
            self.inner.handler.disconnected(peer);
        }
    }

    /// The UDP octets this endpoint has sent on its connections (QUIC's count, headers and
    /// retransmissions included): those of ended connections plus the current ones'.
    /// Connections that never completed their handshake are not counted.
    pub fn bytes_sent(&self) -> u64 {
        let live: u64 = lock(&self.inner.state)
            .peers
            .values()
            .map(|p| p.conn.stats().udp_tx.bytes)
            .sum();
        live.saturating_add(self.inner.ended_tx_bytes.load(Ordering::Relaxed))
    }

    /// The connected peers.
    pub fn peers(&self) -> Vec<PeerInfo> {
        lock(&self.inner.state)
            .peers
            .values()
            .map(|p| p.info.clone())
            .collect()
    }

    /// The connected peer of key `peer`.
    pub fn peer(&self, peer: &PeerId) -> Option<PeerInfo> {
        self.inner.peer_conn(peer).map(|p| p.info.clone())
    }

    /// Whether `peer` is connected.
    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.inner.peer_conn(peer).is_some()
    }

    /// Whether `peer` is banned now.
    pub fn is_banned(&self, peer: &PeerId) -> bool {
        self.inner.ban_remaining(peer).is_some()
    }

    /// Counts `what` against `peer` (for faults found above the framing, such as a message
    /// that does not decode); at the threshold the peer is disconnected and banned.
    pub fn report(&self, peer: &PeerId, what: Misbehaviour) {
        self.inner.report(peer, what);
    }

    /// Opens a stream of `kind` to `peer`, sending the kind byte. A UP kind may be opened only
    /// on a connection this node initiated, and replaces our earlier stream of that kind.
    pub async fn open(&self, peer: &PeerId, kind: u8) -> Result<Stream, NetworkError> {
        self.inner.open(peer, StreamKind(kind)).await
    }

    /// A CE exchange: opens a stream of `kind`, sends `messages`, finishes, and returns the
    /// peer's messages up to its FIN, all within [`Limits::stream_timeout`].
    pub async fn request(
        &self,
        peer: &PeerId,
        kind: u8,
        messages: &[Vec<u8>],
    ) -> Result<Vec<Vec<u8>>, NetworkError> {
        if StreamKind(kind).is_unique_persistent() {
            return Err(NetworkError::UnknownKind(kind));
        }
        let deadline = later(self.inner.limits.stream_timeout);
        let exchange = async {
            let mut s = self.open(peer, kind).await?;
            s.send_all_and_finish(messages).await?;
            Ok(s.recv_to_end().await?)
        };
        tokio::time::timeout_at(deadline, exchange)
            .await
            .unwrap_or(Err(NetworkError::Timeout))
    }

    /// Closes every connection and the socket, and stops reconnecting.
    pub async fn close(&self) {
        let (peers, tasks) = {
            let mut st = lock(&self.inner.state);
            st.closed = true;
            (
                std::mem::take(&mut st.peers),
                std::mem::take(&mut st.maintained),
            )
        };
        for t in tasks.values() {
            t.abort();
        }
        for (key, pc) in peers {
            pc.conn.close(varint(close_code::SHUTDOWN), b"shutdown");
            self.inner.handler.disconnected(&key);
        }
        self.inner
            .endpoint
            .close(varint(close_code::SHUTDOWN), b"shutdown");
        self.inner.endpoint.wait_idle().await;
    }
}

fn transport_config(limits: &Limits) -> Result<quinn::TransportConfig, TlsSetupError> {
    let mut t = quinn::TransportConfig::default();
    t.max_concurrent_bidi_streams(varint(limits.max_incoming_streams));
    // JAMNP-S uses bidirectional streams only.
    t.max_concurrent_uni_streams(varint(0));
    t.datagram_receive_buffer_size(None);
    // What a peer may have in flight to us, unread, over all its streams (quinn's default is
    // unbounded but for the per-stream windows): bounds a connection's buffers.
    t.receive_window(varint(16 << 20));
    let idle = quinn::IdleTimeout::try_from(limits.idle_timeout)
        .map_err(|e| TlsSetupError::Quic(e.to_string()))?;
    t.max_idle_timeout(Some(idle));
    t.keep_alive_interval(Some(limits.idle_timeout / 3));
    Ok(t)
}

async fn accept_loop(endpoint: quinn::Endpoint, weak: Weak<Inner>) {
    while let Some(incoming) = endpoint.accept().await {
        let Some(inner) = weak.upgrade() else { break };
        let full = {
            let st = lock(&inner.state);
            st.closed || st.peers.len() >= inner.limits.max_connections
        };
        if full {
            incoming.refuse();
            continue;
        }
        tokio::spawn(async move {
            if let Err(e) = inner.accept(incoming).await {
                tracing::debug!("incoming connection refused: {e}");
            }
        });
    }
}

/// A connection closed sooner than this after it was made counts as a failed attempt.
const SHORT_LIVED: Duration = Duration::from_secs(5);

/// Keeps a connection to `peer` ([`Network::keep_connected`]).
async fn maintain(weak: Weak<Inner>, peer: PeerId, addr: SocketAddr, grace: bool) {
    let mut failures = 0u32;
    let mut waited_for_peer = !grace;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        if let Some(pc) = inner.peer_conn(&peer) {
            let backoff = inner.backoff;
            drop(inner);
            let since = Instant::now();
            pc.conn.closed().await;
            waited_for_peer = !grace;
            if since.elapsed() >= SHORT_LIVED {
                failures = 0;
            } else {
                // Closed at once (e.g. as the duplicate of a connection the peer still
                // holds, dead until its idle timeout, after a restart of ours): a failure,
                // so that redials back off instead of handshaking in a loop.
                let wait = backoff.delay(failures, random());
                failures = failures.saturating_add(1);
                tokio::time::sleep(wait).await;
            }
            continue;
        }
        if let Some(left) = inner.ban_remaining(&peer) {
            drop(inner);
            tokio::time::sleep(left).await;
            continue;
        }
        if !waited_for_peer && !we_initiate(&inner.key, &peer) {
            // JAMNP-S: the preferred initiator connects; the other side only after a while.
            let grace = inner.backoff.initiator_grace;
            drop(inner);
            tokio::time::sleep(grace).await;
            waited_for_peer = true;
            continue;
        }
        match inner.connect(addr, peer).await {
            // Failures reset once the connection has lasted (above).
            Ok(_) => {}
            Err(e) => {
                let wait = inner.backoff.delay(failures, random());
                tracing::debug!("connecting to {}: {e}; retry in {wait:?}", node_name(&peer));
                failures = failures.saturating_add(1);
                drop(inner);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

impl Inner {
    fn peer_conn(&self, peer: &PeerId) -> Option<Arc<PeerConn>> {
        lock(&self.state)
            .peers
            .get(peer)
            .filter(|p| p.conn.close_reason().is_none())
            .cloned()
    }

    fn ban_remaining(&self, peer: &PeerId) -> Option<Duration> {
        let mut st = lock(&self.state);
        let until = *st.bans.get(peer)?;
        let now = Instant::now();
        if until > now {
            Some(until - now)
        } else {
            st.bans.remove(peer);
            None
        }
    }

    fn report(&self, peer: &PeerId, what: Misbehaviour) {
        tracing::debug!("{} misbehaved: {what:?}", node_name(peer));
        let now = Instant::now();
        let removed = {
            let mut st = lock(&self.state);
            let forgotten = self
                .limits
                .misbehaviour_decay
                .saturating_mul(self.limits.misbehaviour_threshold);
            if st.scores.len() > self.limits.max_connections.saturating_mul(2) {
                // Keys cost nothing to make: forget scores that have fully decayed.
                st.scores
                    .retain(|_, (_, at)| now.saturating_duration_since(*at) < forgotten);
            }
            let (score, at) = st.scores.entry(*peer).or_insert((0, now));
            let decay = self.limits.misbehaviour_decay.as_nanos().max(1);
            let steps = now.saturating_duration_since(*at).as_nanos() / decay;
            if steps > 0 {
                *score = score.saturating_sub(u32::try_from(steps).unwrap_or(u32::MAX));
                *at = now;
            }
            *score = score.saturating_add(1);
            if *score < self.limits.misbehaviour_threshold {
                return;
            }
            st.scores.remove(peer);
            // Expired bans are forgotten whenever one is added.
            st.bans.retain(|_, until| *until > now);
            st.bans.insert(*peer, later(self.limits.ban).into_std());
            st.peers.remove(peer)
        };
        if let Some(pc) = removed {
            pc.conn
                .close(varint(close_code::MISBEHAVIOUR), b"misbehaviour");
            self.handler.disconnected(peer);
        }
    }

    async fn connect(
        self: &Arc<Self>,
        addr: SocketAddr,
        peer: PeerId,
    ) -> Result<PeerInfo, NetworkError> {
        if peer == self.key {
            return Err(NetworkError::Connection("cannot connect to own key".into()));
        }
        if let Some(pc) = self.peer_conn(&peer) {
            return Ok(pc.info.clone());
        }
        if self.ban_remaining(&peer).is_some() {
            return Err(NetworkError::Banned);
        }
        let connecting = self
            .endpoint
            .connect_with(self.client_config.clone(), addr, &node_name(&peer))
            .map_err(|e| NetworkError::Connection(e.to_string()))?;
        let conn = tokio::time::timeout(self.limits.connect_timeout, connecting)
            .await
            .map_err(|_| NetworkError::Timeout)?
            .map_err(|e| NetworkError::Connection(e.to_string()))?;
        // The verifier matched the certificate to $N(peer)$; check again what it saw.
        if connection_peer_key(&conn) != Some(peer) {
            conn.close(varint(close_code::SHUTDOWN), b"wrong peer");
            return Err(NetworkError::Connection("unexpected peer key".into()));
        }
        let alpn = connection_alpn(&conn);
        let builder = alpn.as_ref() == Some(&self.alpns[1]);
        if alpn.is_none_or(|a| !self.alpns.contains(&a)) {
            conn.close(varint(close_code::ALPN), b"alpn");
            return Err(NetworkError::Alpn);
        }
        let info = PeerInfo {
            key: peer,
            address: conn.remote_address(),
            we_initiated: true,
            builder,
        };
        self.register(conn, info).map(|pc| pc.info.clone())
    }

    async fn accept(self: &Arc<Self>, incoming: quinn::Incoming) -> Result<(), NetworkError> {
        let connecting = incoming
            .accept()
            .map_err(|e| NetworkError::Connection(e.to_string()))?;
        let conn = tokio::time::timeout(self.limits.connect_timeout, connecting)
            .await
            .map_err(|_| NetworkError::Timeout)?
            .map_err(|e| NetworkError::Connection(e.to_string()))?;
        let alpn = connection_alpn(&conn);
        let builder = alpn.as_ref() == Some(&self.alpns[1]);
        if alpn.is_none_or(|a| !self.alpns.contains(&a)) {
            conn.close(varint(close_code::ALPN), b"alpn");
            return Err(NetworkError::Alpn);
        }
        let full = {
            let st = lock(&self.state);
            let limit = match builder {
                true => self.limits.max_connections,
                // The last `builder_slots` slots are kept for builders.
                false => self
                    .limits
                    .max_connections
                    .saturating_sub(self.limits.builder_slots),
            };
            st.peers.len() >= limit
        };
        if full {
            conn.close(varint(close_code::FULL), b"full");
            return Err(NetworkError::Connection("no free slot".into()));
        }
        let Some(key) = connection_peer_key(&conn).filter(|k| *k != self.key) else {
            conn.close(varint(close_code::SHUTDOWN), b"certificate");
            return Err(NetworkError::Connection("no peer key".into()));
        };
        let info = PeerInfo {
            key,
            address: conn.remote_address(),
            we_initiated: false,
            builder,
        };
        self.register(conn, info).map(|_| ())
    }

    /// Enters a new connection in the peer table, keeping one per peer: of two connections
    /// made in opposite directions, the one the preferred initiator made (both sides choose
    /// the same one); of two in one direction, the newer (the older is likely stale, e.g.
    /// the peer restarted).
    fn register(
        self: &Arc<Self>,
        conn: quinn::Connection,
        info: PeerInfo,
    ) -> Result<Arc<PeerConn>, NetworkError> {
        let key = info.key;
        let new = Arc::new(PeerConn {
            conn,
            info,
            up_in: Mutex::new(HashMap::new()),
            up_out: Mutex::new(HashMap::new()),
        });
        let (winner, loser) = {
            let mut st = lock(&self.state);
            if st.closed {
                drop(st);
                new.conn.close(varint(close_code::SHUTDOWN), b"shutdown");
                return Err(NetworkError::Closed);
            }
            if st
                .bans
                .get(&key)
                .is_some_and(|&until| until > Instant::now())
            {
                drop(st);
                new.conn.close(varint(close_code::BANNED), b"banned");
                return Err(NetworkError::Banned);
            }
            match st
                .peers
                .get(&key)
                .filter(|p| p.conn.close_reason().is_none())
                .cloned()
            {
                Some(old) => {
                    let keep_new = if old.info.we_initiated == new.info.we_initiated {
                        true
                    } else {
                        new.info.we_initiated == we_initiate(&self.key, &key)
                    };
                    if keep_new {
                        st.peers.insert(key, new.clone());
                        (new.clone(), Some(old))
                    } else {
                        (old, Some(new.clone()))
                    }
                }
                None => {
                    st.peers.insert(key, new.clone());
                    (new.clone(), None)
                }
            }
        };
        if let Some(loser) = loser {
            loser
                .conn
                .close(varint(close_code::DUPLICATE), b"duplicate");
            // A driven connection is counted when its driver ends; this one never was.
            if Arc::ptr_eq(&loser, &new) {
                self.count_ended(&loser.conn);
            }
        }
        if Arc::ptr_eq(&winner, &new) {
            tokio::spawn(drive(Arc::downgrade(self), new.clone()));
            self.handler.connected(&new.info);
        }
        // If the new connection lost, the caller is connected through the kept one.
        Ok(winner)
    }

    /// Adds an ended connection's sent octets to [`Network::bytes_sent`]'s total.
    fn count_ended(&self, conn: &quinn::Connection) {
        self.ended_tx_bytes
            .fetch_add(conn.stats().udp_tx.bytes, Ordering::Relaxed);
    }

    /// Drops `pc` from the table if it is still the peer's connection.
    fn remove(&self, pc: &Arc<PeerConn>) {
        let removed = {
            let mut st = lock(&self.state);
            match st.peers.get(&pc.info.key) {
                Some(cur) if Arc::ptr_eq(cur, pc) => st.peers.remove(&pc.info.key).is_some(),
                _ => false,
            }
        };
        if removed {
            self.handler.disconnected(&pc.info.key);
        }
    }

    fn stream(
        self: &Arc<Self>,
        pc: &PeerConn,
        kind: StreamKind,
        send: quinn::SendStream,
        recv: quinn::RecvStream,
        outgoing: bool,
        replaced: Option<watch::Receiver<bool>>,
    ) -> Option<Stream> {
        let limit = self.limits.kind(kind)?;
        let (max_in, max_out) = if outgoing {
            (limit.to_initiator, limit.to_acceptor)
        } else {
            (limit.to_acceptor, limit.to_initiator)
        };
        let budget = (!kind.is_unique_persistent()).then(|| {
            (
                self.limits.max_ce_stream_bytes,
                later(self.limits.stream_timeout),
            )
        });
        Some(Stream {
            peer: pc.info.key,
            kind,
            send,
            recv,
            max_in,
            max_out,
            budget,
            message_timeout: self.limits.stream_timeout,
            replaced,
            reporter: Arc::new(WeakReporter(Arc::downgrade(self))),
            done: false,
            rate: match (kind.is_unique_persistent(), self.limits.up_bytes_per_second) {
                (true, Some(r)) => Some((r, tokio::time::Instant::now())),
                _ => None,
            },
        })
    }

    async fn open(
        self: &Arc<Self>,
        peer: &PeerId,
        kind: StreamKind,
    ) -> Result<Stream, NetworkError> {
        if self.limits.kind(kind).is_none() {
            return Err(NetworkError::UnknownKind(kind.0));
        }
        let pc = self.peer_conn(peer).ok_or(NetworkError::NotConnected)?;
        let up = kind.is_unique_persistent();
        if up && !pc.info.we_initiated {
            return Err(NetworkError::NotInitiator);
        }
        let opened = async {
            // Waits while the peer's limit of concurrent streams is reached.
            let (mut send, recv) = pc
                .conn
                .open_bi()
                .await
                .map_err(|e| NetworkError::Connection(e.to_string()))?;
            send.write_all(&[kind.0])
                .await
                .map_err(|e| NetworkError::Stream(e.into()))?;
            Ok::<_, NetworkError>((send, recv))
        };
        let (send, recv) = tokio::time::timeout(self.limits.stream_timeout, opened)
            .await
            .map_err(|_| NetworkError::Timeout)??;
        let replaced = up.then(|| {
            let (tx, rx) = watch::channel(false);
            if let Some(old) = lock_map(&pc.up_out).insert(kind.0, tx) {
                // Our older stream of this kind: its operations now fail with `Replaced`.
                let _ = old.send(true);
            }
            rx
        });
        self.stream(&pc, kind, send, recv, true, replaced)
            .ok_or(NetworkError::UnknownKind(kind.0))
    }

    /// Serves a stream the peer opened: its kind byte, then the handler.
    async fn incoming(
        self: Arc<Self>,
        pc: Arc<PeerConn>,
        mut send: quinn::SendStream,
        mut recv: quinn::RecvStream,
    ) {
        let refuse = |send: &mut quinn::SendStream, recv: &mut quinn::RecvStream, c: u32| {
            let _ = send.reset(varint(c));
            let _ = recv.stop(varint(c));
        };
        let mut kind = [0u8; 1];
        match tokio::time::timeout(self.limits.kind_timeout, recv.read_exact(&mut kind)).await {
            Ok(Ok(())) => {}
            _ => return refuse(&mut send, &mut recv, code::TIMEOUT),
        }
        let kind = StreamKind(kind[0]);
        if self.limits.kind(kind).is_none() {
            refuse(&mut send, &mut recv, code::UNKNOWN_KIND);
            self.report(&pc.info.key, Misbehaviour::UnknownKind);
            return;
        }
        let mut replaced = None;
        if kind.is_unique_persistent() {
            // JAMNP-S has only the connection's initiator open UP streams, and this node keeps
            // to it ([`Network::open`]); but typeberry 0.11 also opens UP 0 on connections it
            // accepted, and resets of those make it disconnect. So the peer's UP streams are
            // taken either way, one per kind, the newest kept.
            let id = send.id();
            let mut up = lock_map(&pc.up_in);
            if up.get(&kind.0).is_some_and(|(old, _)| *old > id) {
                // An older stream arriving late: the one with the greatest ID is kept.
                drop(up);
                return refuse(&mut send, &mut recv, code::REPLACED);
            }
            let (tx, rx) = watch::channel(false);
            if let Some((_, old)) = up.insert(kind.0, (id, tx)) {
                let _ = old.send(true);
            }
            replaced = Some(rx);
        }
        if let Some(stream) = self.stream(&pc, kind, send, recv, false, replaced) {
            self.handler.stream(stream);
        }
    }
}

/// Accepts the peer's streams on `pc` until the connection ends, then drops it from the table.
async fn drive(weak: Weak<Inner>, pc: Arc<PeerConn>) {
    while let Ok((send, recv)) = pc.conn.accept_bi().await {
        let Some(inner) = weak.upgrade() else { break };
        tokio::spawn(inner.incoming(pc.clone(), send, recv));
    }
    if let Some(inner) = weak.upgrade() {
        inner.remove(&pc);
        inner.count_ended(&pc.conn);
    }
}
