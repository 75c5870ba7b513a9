//! The node on the network: blocks over JAMNP-S (UP 0 block announcement, CE 128 block
//! request) on the QUIC transport of `marmalade-network`.
//!
//! [`BlockNet::start`] binds the node's endpoint (its key: the Ed25519 key of its first local
//! validator). On each connection the initiator opens UP 0; each side sends its [`Handshake`]
//! (the finalized block and the best block as the one leaf this node reports), then a
//! [`BlockAnnouncement`] for every block it authors ([`BlockNet::announce`]) or imports from a
//! peer. A header or handshake leaf of an unknown block is fetched with CE 128: descending
//! from the announced hash ([`Direction::DescendingInclusive`]) until a known ancestor, in
//! requests of at most [`MAX_REQUEST_BLOCKS`] (the first for the announced block alone: it
//! usually extends our best, and its ancestors would be sent for nothing), then imported
//! oldest first through
//! [`ChainView::import`] (for a node: [`BlockImporter`], the node's own import path, so the
//! blocks are persisted and RPC subscribers notified). A node that starts behind catches up
//! this way from its peers' handshakes. Blocks that do not decode, do not chain to the hash
//! asked for, or do not import count against the peer ([`Network::report`]).
//!
//! Safrole tickets go to the other validators with CE 132 ([`BlockNet::share_tickets`]):
//! every ticket in the node's pool made for the best block's epoch (its $\eta_2$) is sent
//! once to each connected peer, directly (the generating validator acts as its own proxy,
//! so CE 131 is not used; on a full mesh of validators this reaches all of them). A
//! received ticket for the next epoch is checked against the best state's ring root
//! $\gamma_Z$ and $\eta_2$ (GP (6.29)) and pooled, so that any author's block can carry it;
//! without this only a validator's own blocks carry its tickets, and one that authored
//! nothing in a submission period (stopped, or unlucky) gets no slot in the next epoch.
//!
//! CE 128 is served from the blocks this node saw (a bounded cache of the last
//! [`CACHED_BLOCKS`]) and then from a [`BlockSource`] (the database), both directions.
//!
//! UP 0 is one stream read and written by one task: the transport's [`Stream`] has no split
//! halves, so a message to send waits in a `select!` beside the read. Cancelling the read
//! between messages is safe (it waits on the message's first octet, which QUIC's `read`
//! returns without loss when cancelled); cancelled inside a message the frame would be lost,
//! which the peer's announcement pacing (one per slot) makes unlikely but not impossible, and
//! then costs the stream (it is reopened with the connection). A split `Stream` in the
//! transport would remove this.

use crate::{BlockImporter, NodeError, Pools};
use marmalade_authoring::Ticket;
use marmalade_chain::BlockExecutor;
use marmalade_jamnp::{
    BlockAnnouncement, BlockRequest, BlockResponse, Direction, Handshake, HashSlot, Message,
    TicketDistribution,
};
use marmalade_network::{
    Config, Limits, Misbehaviour, Network, NetworkError, PeerId, PeerInfo, Stream, StreamHandler,
};
use marmalade_store::StateStore;
use marmalade_types::{
    BandersnatchRingCommitment, Block, ChainSpec, EpochIndex, Hash, HeaderHash, TicketId,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::mpsc;

pub use marmalade_network::{metadata_address, node_name, Backoff, NodeKey};

/// UP 0: block announcement.
pub const UP_BLOCK_ANNOUNCEMENT: u8 = 0;
/// CE 128: block request.
pub const CE_BLOCK_REQUEST: u8 = 128;
/// The most blocks this node asks for, and serves, in one CE 128 exchange.
pub const MAX_REQUEST_BLOCKS: u32 = 64;
/// The most blocks one fetch collects before importing (a bound on what a peer can make us
/// hold; a node further behind catches up over several announcements).
pub const MAX_FETCH_BLOCKS: usize = 4096;
/// How many recent blocks the node keeps to serve CE 128 without its database.
pub const CACHED_BLOCKS: usize = 2048;
/// CE 131: Safrole ticket, generating validator to its proxy validator.
pub const CE_TICKET_TO_PROXY: u8 = 131;
/// CE 132: Safrole ticket, proxy to all current validators.
pub const CE_TICKET_DISTRIBUTION: u8 = 132;
/// How often the pool is looked at for tickets to share.
const TICKET_SHARE_PERIOD: std::time::Duration = std::time::Duration::from_millis(250);
/// The most ticket identifiers remembered as shared or received (a bound; forgetting one
/// at worst sends it again).
const SEEN_TICKETS: usize = 4096;

/// What checking a received ticket needs, from the best block's state: its epoch, and the
/// ring root $\gamma_Z$ (of a ring of `ring_size` keys) and entropy $\eta_2$ that the
/// tickets of blocks in that epoch are proved under (GP (6.29)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketContext {
    /// The best block's epoch.
    pub epoch: EpochIndex,
    /// $\eta_2$ of the best state.
    pub entropy: Hash,
    /// $\gamma_Z$ of the best state.
    pub gamma_z: BandersnatchRingCommitment,
    /// The number of keys in the ring, $|\gamma_P|$.
    pub ring_size: usize,
    /// Whether the best block is in the epoch's tail, where blocks carry no tickets.
    pub in_tail: bool,
}

/// Blocks the node has beyond its cache (its database), by header hash.
pub type BlockSource = Arc<dyn Fn(&HeaderHash) -> Option<Block> + Send + Sync>;

/// What the network needs of the chain.
pub trait ChainView: Send + Sync + 'static {
    /// The chain's parameters.
    fn spec(&self) -> ChainSpec;
    /// Whether the block of this hash is imported (or is the initial block).
    fn knows(&self, hash: &HeaderHash) -> bool;
    /// The best block.
    fn best(&self) -> Option<HashSlot>;
    /// The latest finalized block.
    fn finalized(&self) -> Option<HashSlot>;
    /// Imports a block received from a peer.
    fn import(&self, block: &Block) -> Result<(), NodeError>;
    /// What checking tickets needs, from the best state; `None`: tickets are not shared.
    fn ticket_context(&self) -> Option<TicketContext> {
        None
    }
}

impl<S, E> ChainView for BlockImporter<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    fn spec(&self) -> ChainSpec {
        self.chain().with_chain(|c| *c.spec())
    }

    fn knows(&self, hash: &HeaderHash) -> bool {
        self.chain()
            .with_chain(|c| c.state_root(hash).ok().flatten().is_some())
    }

    fn best(&self) -> Option<HashSlot> {
        self.chain().with_chain(|c| {
            let hash = c.best()?;
            let slot = c.state(&hash).ok().flatten()?.components.tau;
            Some(HashSlot { hash, slot })
        })
    }

    fn finalized(&self) -> Option<HashSlot> {
        self.chain().with_chain(|c| {
            let hash = c.finalized()?;
            let slot = c.state(&hash).ok().flatten()?.components.tau;
            Some(HashSlot { hash, slot })
        })
    }

    fn import(&self, block: &Block) -> Result<(), NodeError> {
        BlockImporter::import(self, block).map(|_| ())
    }

    fn ticket_context(&self) -> Option<TicketContext> {
        self.chain().with_chain(|c| {
            let spec = c.spec();
            let state = c.state(&c.best()?).ok().flatten()?;
            let s = &state.components;
            Some(TicketContext {
                epoch: spec.epoch_of(s.tau),
                entropy: s.eta[2],
                gamma_z: s.gamma_z,
                ring_size: s.gamma_p.len(),
                in_tail: spec.slot_phase(s.tau) >= spec.ticket_submission_end,
            })
        })
    }
}

/// How the node joins the network.
#[derive(Clone)]
pub struct NetConfig {
    /// The node's key.
    pub key: NodeKey,
    /// The chain's genesis header hash (it names the chain in the ALPN).
    pub genesis_header_hash: HeaderHash,
    /// The address to bind.
    pub listen: SocketAddr,
    /// Reconnection timing.
    pub backoff: Backoff,
}

impl NetConfig {
    /// A node on loopback (any free port) whose peers are local too, so reconnection is quick:
    /// 100 ms doubling to 500 ms, 200 ms grace for the preferred initiator. For in-process
    /// networks (tests, local tools).
    pub fn loopback(key: NodeKey, genesis_header_hash: HeaderHash) -> NetConfig {
        NetConfig {
            key,
            genesis_header_hash,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backoff: Backoff {
                initial: std::time::Duration::from_millis(100),
                max: std::time::Duration::from_millis(500),
                initiator_grace: std::time::Duration::from_millis(200),
            },
        }
    }
}

/// A bounded map of recent blocks, oldest evicted first.
#[derive(Default)]
struct Cache {
    blocks: HashMap<HeaderHash, Block>,
    order: VecDeque<HeaderHash>,
}

impl Cache {
    fn insert(&mut self, hash: HeaderHash, block: Block) {
        if self.blocks.insert(hash, block).is_none() {
            self.order.push_back(hash);
            while self.order.len() > CACHED_BLOCKS {
                if let Some(old) = self.order.pop_front() {
                    self.blocks.remove(&old);
                }
            }
        }
    }
}

struct Shared {
    chain: Arc<dyn ChainView>,
    spec: ChainSpec,
    source: Option<BlockSource>,
    cache: Mutex<Cache>,
    /// The writer of each peer's UP 0 stream.
    up: Mutex<HashMap<PeerId, mpsc::UnboundedSender<Vec<u8>>>>,
    /// Each peer's head: the latest block it announced, or its best leaf (else its
    /// finalized block) from its UP 0 handshake.
    heads: Mutex<HashMap<PeerId, HeaderHash>>,
    network: OnceLock<Network>,
    /// The in-core protocols (`crate::net_work`), once attached.
    work: OnceLock<Arc<crate::net_work::WorkNet>>,
    /// The request protocols (`crate::net_serve`), once attached.
    serve: OnceLock<Arc<crate::net_serve::ServeNet>>,
    /// One fetch at a time from each peer (concurrent announcements of one chain would fetch
    /// it twice); per peer, so that a peer that never answers holds up only its own fetches,
    /// not the import of other peers' blocks.
    fetching: Mutex<HashMap<PeerId, Arc<tokio::sync::Mutex<()>>>>,
    /// One fetched chain imported at a time (fetches from two peers may bring the same blocks).
    importing: tokio::sync::Mutex<()>,
    /// The pool tickets are shared from and received into ([`BlockNet::share_tickets`]).
    pools: OnceLock<Arc<Pools>>,
    /// Tickets already sent or received, by identifier.
    tickets_seen: Mutex<HashSet<TicketId>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The largest CE 128 response this node takes or sends, as a stream limit.
fn max_response(spec: &ChainSpec) -> u32 {
    u32::try_from(BlockResponse::max_size_for(spec, MAX_REQUEST_BLOCKS)).unwrap_or(u32::MAX)
}

fn limits(spec: &ChainSpec) -> Limits {
    let up = Handshake::max_size(spec).max(BlockAnnouncement::max_size(spec));
    let up = u32::try_from(up).unwrap_or(u32::MAX);
    let request = u32::try_from(BlockRequest::max_size(spec)).unwrap_or(u32::MAX);
    let response = max_response(spec);
    let ticket = u32::try_from(TicketDistribution::max_size(spec)).unwrap_or(u32::MAX);
    let mut l = Limits::default()
        .with_kind(UP_BLOCK_ANNOUNCEMENT, up)
        .with_kind_limits(CE_BLOCK_REQUEST, request, response)
        .with_kind_limits(CE_TICKET_TO_PROXY, ticket, 0)
        .with_kind_limits(CE_TICKET_DISTRIBUTION, ticket, 0);
    l.max_ce_stream_bytes = l.max_ce_stream_bytes.max(u64::from(response) + 64);
    crate::net_serve::limits(crate::net_work::limits(l, spec), spec)
}

/// The node's block protocols on its endpoint. Cheap to clone.
#[derive(Clone)]
pub struct BlockNet {
    shared: Arc<Shared>,
    network: Network,
    /// The runtime the endpoint runs on: calls from other threads spawn there.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for BlockNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockNet")
            .field("network", &self.network)
            .finish()
    }
}

impl BlockNet {
    /// Binds `config.listen` and serves UP 0 and CE 128 for `chain`. Call within a Tokio
    /// runtime.
    pub fn start(
        config: NetConfig,
        chain: Arc<dyn ChainView>,
        source: Option<BlockSource>,
    ) -> Result<BlockNet, NetworkError> {
        let spec = chain.spec();
        let shared = Arc::new(Shared {
            chain,
            spec,
            source,
            cache: Mutex::new(Cache::default()),
            up: Mutex::new(HashMap::new()),
            heads: Mutex::new(HashMap::new()),
            network: OnceLock::new(),
            work: OnceLock::new(),
            serve: OnceLock::new(),
            fetching: Mutex::new(HashMap::new()),
            importing: tokio::sync::Mutex::new(()),
            pools: OnceLock::new(),
            tickets_seen: Mutex::new(HashSet::new()),
        });
        let net_config = Config {
            key: config.key,
            genesis_header_hash: config.genesis_header_hash,
            builder: false,
            limits: limits(&spec),
            backoff: config.backoff,
        };
        let network = Network::listen(
            net_config,
            config.listen,
            Arc::new(Handler(Arc::clone(&shared))),
        )?;
        // Set once, here; the handler sees no connection before `listen` returns the socket.
        let _ = shared.network.set(network.clone());
        Ok(BlockNet {
            shared,
            network,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// The transport.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Keeps a connection to `peer` at `addr` (with backoff, [`Network::keep_connected`]).
    /// Callable from any thread.
    pub fn keep_connected(&self, peer: PeerId, addr: SocketAddr) {
        self.keep(peer, addr, false);
    }

    /// Keeps a connection to the bootnode `peer` at `addr`, dialling at once
    /// ([`Network::keep_connected_eagerly`]: a bootnode does not know us to connect first).
    pub fn keep_connected_to_bootnode(&self, peer: PeerId, addr: SocketAddr) {
        self.keep(peer, addr, true);
    }

    fn keep(&self, peer: PeerId, addr: SocketAddr, eagerly: bool) {
        if peer != self.network.key() {
            let _runtime = self.runtime.enter();
            if eagerly {
                self.network.keep_connected_eagerly(peer, addr);
            } else {
                self.network.keep_connected(peer, addr);
            }
        }
    }

    /// The number of peers with a UP 0 stream (those that hear our announcements).
    pub fn peer_count(&self) -> usize {
        lock(&self.shared.up).len()
    }

    /// Whether some peer has told us its head (UP 0) and the chain has every peer's head:
    /// the node has caught up with what it has heard of. A node should not author before
    /// (its blocks would be a fork of a chain it has not seen yet).
    pub fn synced(&self) -> bool {
        let heads = lock(&self.shared.heads);
        !heads.is_empty() && heads.values().all(|h| self.shared.chain.knows(h))
    }

    /// Waits until [`BlockNet::synced`], `deadline` or `stop`, whichever comes first; returns
    /// whether the node is synced.
    pub fn wait_synced(&self, deadline: std::time::Instant, stop: &AtomicBool) -> bool {
        loop {
            let synced = self.synced();
            if synced || std::time::Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
                return synced;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Keeps `block` to serve, and announces it to every peer: call for each block the node
    /// authors (blocks imported from peers are announced by this module).
    pub fn announce(&self, block: &Block) {
        self.shared.announce(block, None);
    }

    /// Shares Safrole tickets through `pools` from now on: the tickets the pool holds for
    /// the best block's epoch go to every connected peer once (CE 132, looked for every
    /// [`TICKET_SHARE_PERIOD`]), and the valid ones peers send go into it. Callable from any
    /// thread; only the first call has an effect.
    pub fn share_tickets(&self, pools: Arc<Pools>) {
        if self.shared.pools.set(pools).is_err() {
            return;
        }
        let weak = Arc::downgrade(&self.shared);
        self.runtime.spawn(async move {
            let mut tick = tokio::time::interval(TICKET_SHARE_PERIOD);
            loop {
                tick.tick().await;
                let Some(shared) = weak.upgrade() else { return };
                shared.send_tickets();
            }
        });
    }

    /// Serves the in-core protocols through `work` (`Node::attach_work_net`); `false` if
    /// already set.
    pub(crate) fn set_work(&self, work: Arc<crate::net_work::WorkNet>) -> bool {
        self.shared.work.set(work).is_ok()
    }

    /// Serves the request protocols through `serve` (`Node::attach_serve_net`); `false` if
    /// already set.
    pub(crate) fn set_serve(&self, serve: Arc<crate::net_serve::ServeNet>) -> bool {
        self.shared.serve.set(serve).is_ok()
    }

    /// The runtime the endpoint runs on.
    pub(crate) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Closes the endpoint.
    pub async fn close(&self) {
        lock(&self.shared.up).clear();
        self.network.close().await;
    }
}

/// A [`BlockNet`] on a Tokio runtime of its own, for a node whose authoring loop is a plain
/// thread (`marmalade run`). Dropping it stops the network.
pub struct NetService {
    net: BlockNet,
    // Dropped after `net`: the endpoint's tasks end with it.
    _runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for NetService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.net.fmt(f)
    }
}

impl NetService {
    /// Starts a runtime of two worker threads and [`BlockNet::start`] on it.
    pub fn start(
        config: NetConfig,
        chain: Arc<dyn ChainView>,
        source: Option<BlockSource>,
    ) -> Result<NetService, NetworkError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("marmalade-net")
            .enable_all()
            .build()
            .map_err(NetworkError::Bind)?;
        let net = {
            let _runtime = runtime.enter();
            BlockNet::start(config, chain, source)?
        };
        Ok(NetService {
            net,
            _runtime: runtime,
        })
    }

    /// The block protocols (callable from any thread).
    pub fn net(&self) -> &BlockNet {
        &self.net
    }
}

impl Shared {
    fn network(&self) -> Option<&Network> {
        self.network.get()
    }

    fn handshake(&self) -> Handshake {
        let best = self.chain.best();
        let finalized = self.chain.finalized().or(best).unwrap_or(HashSlot {
            hash: [0; 32],
            slot: 0,
        });
        Handshake {
            finalized,
            leaves: best.into_iter().collect(),
        }
    }

    fn announce(&self, block: &Block, except: Option<PeerId>) {
        let hash = block.header.hash();
        lock(&self.cache).insert(hash, block.clone());
        let finalized = self.chain.finalized().unwrap_or(HashSlot {
            hash,
            slot: block.header.slot,
        });
        let message = BlockAnnouncement {
            header: block.header.clone(),
            finalized,
        }
        .to_bytes();
        let up = lock(&self.up);
        for (peer, tx) in up.iter() {
            if Some(*peer) != except {
                // A closed writer is removed by its task.
                let _ = tx.send(message.clone());
            }
        }
    }

    fn block(&self, hash: &HeaderHash) -> Option<Block> {
        if let Some(b) = lock(&self.cache).blocks.get(hash) {
            return Some(b.clone());
        }
        self.source.as_ref().and_then(|s| s(hash))
    }

    /// The CE 128 response: at most `max` blocks, within the response limit.
    fn respond(&self, req: &BlockRequest) -> Vec<Block> {
        let max = req.max_blocks.min(MAX_REQUEST_BLOCKS) as usize;
        let mut blocks = Vec::new();
        match req.direction {
            Direction::DescendingInclusive => {
                let mut next = req.hash;
                while blocks.len() < max {
                    let Some(b) = self.block(&next) else { break };
                    next = b.header.parent;
                    blocks.push(b);
                }
            }
            Direction::AscendingExclusive => {
                // The best chain's blocks above `req.hash`: walk down from the best to it.
                let Some(best) = self.chain.best() else {
                    return blocks;
                };
                let mut chain = Vec::new();
                let mut next = best.hash;
                while next != req.hash && chain.len() < MAX_FETCH_BLOCKS {
                    let Some(b) = self.block(&next) else {
                        return blocks;
                    };
                    next = b.header.parent;
                    chain.push(b);
                }
                if next != req.hash {
                    return blocks;
                }
                chain.reverse();
                chain.truncate(max);
                blocks = chain;
            }
        }
        blocks
    }

    /// Fetches the block `target` and its unknown ancestors from `peer` with CE 128 and
    /// imports them, oldest first.
    async fn fetch(self: &Arc<Self>, peer: PeerId, target: HeaderHash) {
        let from_peer = Arc::clone(lock(&self.fetching).entry(peer).or_default());
        let _one = from_peer.lock().await;
        if self.chain.knows(&target) {
            return;
        }
        let Some(network) = self.network().cloned() else {
            return;
        };
        // Newest first.
        let mut pending: Vec<Block> = Vec::new();
        let mut want = target;
        // The announced block alone first: it is almost always the child of our best, and
        // the peer would otherwise send up to `MAX_REQUEST_BLOCKS` of its ancestors that we
        // have (tens of kilobytes per block and peer). Only a block whose parent we lack
        // asks for more.
        let mut ask = 1;
        loop {
            let request = BlockRequest {
                hash: want,
                direction: Direction::DescendingInclusive,
                max_blocks: ask,
            };
            ask = MAX_REQUEST_BLOCKS;
            let reply = match network
                .request(&peer, CE_BLOCK_REQUEST, &[request.to_bytes()])
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(peer = %short(&peer), error = %e, "block request failed");
                    return;
                }
            };
            let blocks = match reply.as_slice() {
                [] => Vec::new(),
                [one] => {
                    match BlockResponse::from_bytes_at_most(one, &self.spec, MAX_REQUEST_BLOCKS) {
                        Ok(r) => r.blocks,
                        Err(e) => {
                            tracing::debug!(peer = %short(&peer), error = %e, "bad block response");
                            network.report(&peer, Misbehaviour::Malformed);
                            return;
                        }
                    }
                }
                _ => {
                    network.report(&peer, Misbehaviour::Malformed);
                    return;
                }
            };
            if blocks.is_empty() {
                tracing::debug!(peer = %short(&peer), want = %short(&want), "peer lacks the block");
                return;
            }
            let mut reached_known = false;
            for b in blocks {
                // The response must be the chain down from `want`, as asked.
                if b.header.hash() != want {
                    network.report(&peer, Misbehaviour::Malformed);
                    return;
                }
                want = b.header.parent;
                pending.push(b);
                if self.chain.knows(&want) {
                    reached_known = true;
                    break;
                }
            }
            if reached_known {
                break;
            }
            if pending.len() >= MAX_FETCH_BLOCKS {
                tracing::warn!(peer = %short(&peer), "too far behind for one fetch");
                return;
            }
        }
        let _importing = self.importing.lock().await;
        while let Some(block) = pending.pop() {
            if self.chain.knows(&block.header.hash()) {
                // Another peer's fetch imported it meanwhile.
                continue;
            }
            let this = Arc::clone(self);
            let b = block.clone();
            let started = std::time::Instant::now();
            let result = tokio::task::spawn_blocking(move || this.chain.import(&b)).await;
            match result {
                Ok(Ok(())) => {
                    let h = &block.header;
                    tracing::info!(
                        target: "marmalade_node",
                        slot = h.slot,
                        hash = %short(&h.hash()),
                        author = h.author_index,
                        import_ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0,
                        peer = %short(&peer),
                        "imported block"
                    );
                    self.announce(&block, Some(peer));
                }
                Ok(Err(e)) => {
                    tracing::warn!(peer = %short(&peer), slot = block.header.slot, error = %e, "block from peer does not import");
                    network.report(&peer, Misbehaviour::Malformed);
                    return;
                }
                Err(_) => return,
            }
        }
    }

    /// A peer's UP 0 stream: our handshake first, then ours and theirs both ways.
    async fn up_stream(self: Arc<Self>, mut stream: Stream) {
        let peer = stream.peer();
        let (tx, mut rx) = mpsc::unbounded_channel();
        lock(&self.up).insert(peer, tx.clone());
        if stream.send(&self.handshake().to_bytes()).await.is_ok() {
            let mut handshaken = false;
            loop {
                tokio::select! {
                    biased;
                    r = stream.recv() => match r {
                        Ok(Some(m)) => {
                            if !self.on_up_message(peer, &m, &mut handshaken) {
                                stream.malformed();
                                break;
                            }
                        }
                        Ok(None) | Err(_) => break,
                    },
                    Some(m) = rx.recv() => {
                        if stream.send(&m).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        let mut up = lock(&self.up);
        if up.get(&peer).is_some_and(|t| t.same_channel(&tx)) {
            up.remove(&peer);
        }
    }

    /// Handles one UP 0 message; `false` if it does not decode.
    fn on_up_message(self: &Arc<Self>, peer: PeerId, m: &[u8], handshaken: &mut bool) -> bool {
        let wanted: Vec<HeaderHash> = if !*handshaken {
            let Ok(h) = Handshake::from_bytes(m, &self.spec) else {
                return false;
            };
            *handshaken = true;
            let head = h
                .leaves
                .iter()
                .max_by_key(|l| l.slot)
                .unwrap_or(&h.finalized);
            lock(&self.heads).insert(peer, head.hash);
            h.leaves.iter().map(|l| l.hash).collect()
        } else {
            let Ok(a) = BlockAnnouncement::from_bytes(m, &self.spec) else {
                return false;
            };
            let hash = a.header.hash();
            lock(&self.heads).insert(peer, hash);
            vec![hash]
        };
        for hash in wanted {
            if !self.chain.knows(&hash) {
                let this = Arc::clone(self);
                tokio::spawn(async move { this.fetch(peer, hash).await });
            }
        }
        true
    }

    /// Remembers `id` as sent or received; `false` if it already was.
    fn first_sight(&self, id: TicketId) -> bool {
        let mut seen = lock(&self.tickets_seen);
        if seen.len() >= SEEN_TICKETS {
            seen.clear();
        }
        seen.insert(id)
    }

    /// Sends the pooled tickets made for the best block's epoch that no peer has had from
    /// us (nor sent us) to every connected peer, CE 132.
    fn send_tickets(self: &Arc<Self>) {
        let (Some(pools), Some(network)) = (self.pools.get(), self.network()) else {
            return;
        };
        let Some(ctx) = self.chain.ticket_context() else {
            return;
        };
        if ctx.in_tail {
            return;
        }
        let Some(epoch_index) = ctx.epoch.checked_add(1) else {
            return;
        };
        for (entropy, ticket) in pools.tickets() {
            if entropy != ctx.entropy || !self.first_sight(ticket.id) {
                continue;
            }
            let message = TicketDistribution {
                epoch_index,
                ticket: ticket.envelope,
            }
            .to_bytes();
            broadcast_ticket(network, message, None);
        }
    }

    /// Receives one CE 131 or CE 132 ticket: pooled if it is for the epoch after the best block's and
    /// its ring proof holds under the best state's $\gamma_Z$ and $\eta_2$ (GP (6.29)).
    /// As the proxy (CE 131), a ticket that holds also goes on to every other peer by CE 132.
    async fn receive_ticket(self: Arc<Self>, mut stream: Stream, proxy: bool) {
        let peer = stream.peer();
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let Some(Ok(m)) = (match messages.as_slice() {
            [one] => Some(TicketDistribution::from_bytes(one, &self.spec)),
            _ => None,
        }) else {
            stream.malformed();
            return;
        };
        let _ = stream.finish();
        let (Some(pools), Some(ctx)) = (self.pools.get(), self.chain.ticket_context()) else {
            return;
        };
        // A ticket for another epoch than the next (a peer on another fork or epoch, or
        // late) cannot be checked against this state: it is dropped, not held against it.
        if ctx.in_tail || ctx.epoch.checked_add(1) != Some(m.epoch_index) {
            tracing::debug!(peer = %short(&peer), epoch = m.epoch_index, "ticket not for the next epoch");
            return;
        }
        let envelope = m.ticket;
        let checked = tokio::task::spawn_blocking(move || {
            let verifier = marmalade_crypto::bandersnatch::RingVerifier::from_commitment(
                &ctx.gamma_z,
                ctx.ring_size,
            )
            .ok()?;
            marmalade_stf::safrole::verify_tickets(&verifier, &ctx.entropy, &[envelope])
                .ok()?
                .first()
                .copied()
        })
        .await;
        let Ok(Some(id)) = checked else {
            tracing::debug!(peer = %short(&peer), "ticket proof does not hold");
            return;
        };
        if self.first_sight(id) {
            if let Err(e) = pools.add_tickets(ctx.entropy, [Ticket { id, envelope }]) {
                tracing::debug!(error = %e, "received ticket not pooled");
            }
            if let (true, Some(network)) = (proxy, self.network()) {
                let message = TicketDistribution {
                    epoch_index: m.epoch_index,
                    ticket: envelope,
                }
                .to_bytes();
                broadcast_ticket(network, message, Some(peer));
            }
        }
    }

    /// Serves one CE 128 request.
    async fn serve(self: Arc<Self>, mut stream: Stream) {
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let request = match messages.as_slice() {
            [one] => BlockRequest::from_bytes(one, &self.spec),
            _ => {
                stream.malformed();
                return;
            }
        };
        let Ok(request) = request else {
            stream.malformed();
            return;
        };
        let this = Arc::clone(&self);
        let Ok(blocks) = tokio::task::spawn_blocking(move || this.respond(&request)).await else {
            return;
        };
        let bytes = BlockResponse { blocks }.to_bytes();
        if stream.send(&bytes).await.is_ok() {
            let _ = stream.finish();
        }
    }
}

/// Sends one CE 132 ticket message to every connected peer but `except`.
fn broadcast_ticket(network: &Network, message: Vec<u8>, except: Option<PeerId>) {
    for peer in network.peers() {
        if Some(peer.key) == except {
            continue;
        }
        let network = network.clone();
        let message = message.clone();
        tokio::spawn(async move {
            let r = network
                .request(&peer.key, CE_TICKET_DISTRIBUTION, &[message])
                .await;
            if let Err(e) = r {
                tracing::debug!(peer = %short(&peer.key), error = %e, "ticket not sent");
            }
        });
    }
}

struct Handler(Arc<Shared>);

impl StreamHandler for Handler {
    fn stream(&self, stream: Stream) {
        let shared = Arc::clone(&self.0);
        match stream.kind().0 {
            UP_BLOCK_ANNOUNCEMENT => {
                tokio::spawn(shared.up_stream(stream));
            }
            CE_BLOCK_REQUEST => {
                tokio::spawn(shared.serve(stream));
            }
            CE_TICKET_TO_PROXY => {
                tokio::spawn(shared.receive_ticket(stream, true));
            }
            CE_TICKET_DISTRIBUTION => {
                tokio::spawn(shared.receive_ticket(stream, false));
            }
            kind if crate::net_work::serves(kind) => {
                if let Some(work) = shared.work.get() {
                    work.stream(stream);
                }
            }
            kind if crate::net_serve::serves(kind) => {
                if let Some(serve) = shared.serve.get() {
                    serve.stream(stream);
                }
            }
            // The transport passes only the kinds of our limits.
            _ => {}
        }
    }

    fn connected(&self, peer: &PeerInfo) {
        if !peer.we_initiated {
            return;
        }
        let shared = Arc::clone(&self.0);
        let key = peer.key;
        tokio::spawn(async move {
            let Some(network) = shared.network().cloned() else {
                return;
            };
            match network.open(&key, UP_BLOCK_ANNOUNCEMENT).await {
                Ok(stream) => shared.up_stream(stream).await,
                Err(e) => tracing::debug!(peer = %short(&key), error = %e, "UP 0 not opened"),
            }
        });
    }

    fn disconnected(&self, peer: &PeerId) {
        lock(&self.0.up).remove(peer);
        lock(&self.0.heads).remove(peer);
        // A fetch still running holds its own handle.
        lock(&self.0.fetching).remove(peer);
    }
}

fn short(hash: &[u8; 32]) -> String {
    format!("{}…", hex::encode(&hash[..4]))
}
