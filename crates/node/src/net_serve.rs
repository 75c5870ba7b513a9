//! Requests answered from what the node holds, over JAMNP-S: state ranges (CE 129),
//! work-reports (CE 136), preimage announcements (CE 142) and preimages (CE 143), on the
//! endpoint of a [`BlockNet`] ([`Node::attach_serve_net`]).
//!
//! - CE 129 ("State request"): the posterior state of the block asked for, if the chain
//!   still stores it, as its serialized key/values $T(\sigma)$ (GP (D.2)) from the start key
//!   to at most the end key (31-octet keys, both inclusive), sorted, with the boundary nodes:
//!   the trie nodes (branches `B`, GP (D.3), and leaves `L`, GP (D.4), of $\mathcal{M}_\sigma$,
//!   GP (D.5)–(D.6)) on the paths from the root to the start key and to the last key sent,
//!   each once, parents first. The whole answer stays within the request's maximum size
//!   (counting each path's nodes in full, so possibly a little below it) and
//!   [`MAX_STATE_RESPONSE`], but always carries at least one pair. The trie is rehashed from
//!   the state's key/values for each request (the chain keeps no node store). Unknown block:
//!   reset ([`code::REFUSED`]).
//! - CE 136 ("Work-report request"): the report whose hash $\mathcal{H}(\mathcal{E}(r))$
//!   (GP (11.2)) is asked for, if a guarantee of the node's pool carries it (the guarantees
//!   this node makes and receives go there); else reset ([`code::REFUSED`]).
//! - CE 143 ("Preimage request"): the preimage of the hash asked for, from the best state's
//!   service accounts ($\mathbf{p}$ of each account, GP (9.3), (9.6)) or the preimage pool;
//!   else reset ([`code::REFUSED`]).
//! - CE 142 ("Preimage announcement"): if the best state's service awaits the preimage
//!   (its lookup entry $\mathbf{l}[(h, z)]$ exists and is empty, GP (9.3), (12.37)) and the
//!   node holds it neither in state nor in its pool, it is asked of the announcer with
//!   CE 143; a preimage of the announced hash and length goes into the pool, any other
//!   answer counts against the announcer.
//!
//! Every received message is decoded within the kind's size limit (the transport refuses a
//! larger one before allocating) and the codecs' bounds; one that does not decode resets the
//! stream and counts against the peer ([`Stream::malformed`]).

use crate::net::BlockNet;
use crate::net_work::AttachError;
use crate::pool::Pools;
use crate::Node;
use marmalade_chain::BlockExecutor;
use marmalade_crypto::hash::blake2b_256;
use marmalade_jamnp::{
    BoundaryNodes, KeyValue, KeyValues, Message, PreimageAnnouncement, PreimageRequest,
    PreimageResponse, StateRequest, TrieNode, WorkReportRequest,
};
use marmalade_network::{code, Limits, Misbehaviour, Network, PeerId, Stream};
use marmalade_state::{ServiceItems, State, StateReader};
use marmalade_store::StateStore;
use marmalade_types::{ChainSpec, Hash, HeaderHash, WorkReport};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// CE 129: state request.
pub const CE_STATE_REQUEST: u8 = 129;
/// CE 136: work-report request.
pub const CE_WORK_REPORT_REQUEST: u8 = 136;
/// CE 142: preimage announcement.
pub const CE_PREIMAGE_ANNOUNCEMENT: u8 = 142;
/// CE 143: preimage request.
pub const CE_PREIMAGE_REQUEST: u8 = 143;

/// **Policy**: the most octets of key/values one CE 129 answer carries, whatever the request
/// asks (a single pair may exceed it, as JAMNP-S allows).
pub const MAX_STATE_RESPONSE: u32 = 4 * 1024 * 1024;

/// The kinds this module serves.
const KINDS: [u8; 4] = [
    CE_STATE_REQUEST,
    CE_WORK_REPORT_REQUEST,
    CE_PREIMAGE_ANNOUNCEMENT,
    CE_PREIMAGE_REQUEST,
];

/// Whether this module serves streams of `kind`.
pub(crate) fn serves(kind: u8) -> bool {
    KINDS.contains(&kind)
}

fn size(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `limits` with this module's kinds: each direction's largest message.
pub(crate) fn limits(limits: Limits, spec: &ChainSpec) -> Limits {
    let state_response = BoundaryNodes::max_size(spec)
        .max(KeyValues::max_size_for(MAX_STATE_RESPONSE))
        .max(KeyValues::max_size(spec));
    let mut l = limits
        .with_kind_limits(
            CE_STATE_REQUEST,
            size(StateRequest::max_size(spec)),
            size(state_response),
        )
        .with_kind_limits(
            CE_WORK_REPORT_REQUEST,
            size(WorkReportRequest::max_size(spec)),
            size(WorkReport::max_size(spec)),
        )
        .with_kind_limits(
            CE_PREIMAGE_ANNOUNCEMENT,
            size(PreimageAnnouncement::max_size(spec)),
            0,
        )
        .with_kind_limits(
            CE_PREIMAGE_REQUEST,
            size(PreimageRequest::max_size(spec)),
            size(PreimageResponse::max_size(spec)),
        );
    // CE 129's two answers (boundary nodes and key/values), with their length prefixes.
    let state = BoundaryNodes::max_size(spec) + state_response;
    l.max_ce_stream_bytes = l
        .max_ce_stream_bytes
        .max(state as u64 + 64)
        .max(PreimageResponse::max_size(spec) as u64 + 64);
    l
}

/// The posterior state of a block (`Some(hash)`) or of the best block (`None`), if stored.
type States = dyn Fn(Option<&HeaderHash>) -> Option<Arc<State>> + Send + Sync;

/// The request protocols of one node. Made by [`Node::attach_serve_net`].
pub struct ServeNet {
    spec: ChainSpec,
    states: Arc<States>,
    pools: Arc<Pools>,
    network: Network,
    /// The hashes of announced preimages being fetched (each fetched once at a time, however
    /// often it is announced); at most [`MAX_FETCHING`].
    fetching: Mutex<HashSet<Hash>>,
}

/// The most announced preimages fetched at once (a bound on what announcements can make the
/// node ask for; an announcement beyond it is ignored).
const MAX_FETCHING: usize = 64;

impl std::fmt::Debug for ServeNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeNet").finish_non_exhaustive()
    }
}

impl<S, E> Node<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    /// Answers CE 129, 136 and 143 on `net` from this node's chain and pools, and follows
    /// CE 142 announcements of awaited preimages into its pool.
    pub fn attach_serve_net(&self, net: &BlockNet) -> Result<(), AttachError> {
        let chain = Arc::clone(&self.chain);
        let states: Arc<States> = Arc::new(move |hash: Option<&HeaderHash>| {
            chain.with_chain(|c| {
                let hash = match hash {
                    Some(h) => *h,
                    None => c.best()?,
                };
                c.state(&hash).ok().flatten()
            })
        });
        let serve = Arc::new(ServeNet {
            spec: self.chain.with_chain(|c| *c.spec()),
            states,
            pools: Arc::clone(&self.pools),
            network: net.network().clone(),
            fetching: Mutex::new(HashSet::new()),
        });
        if net.set_serve(serve) {
            Ok(())
        } else {
            Err(AttachError::Attached)
        }
    }
}

/// A trie key (GP (D.1)).
type Key = [u8; 31];

/// Bit `i` (most significant first, GP (3.7)) of `key`; `i < 248`.
fn bit(key: &Key, i: usize) -> bool {
    (key[i >> 3] >> (7 - (i & 7))) & 1 == 1
}

/// The first index of `kvs` (sorted, sharing their first `depth` bits) whose bit `depth` is 1.
fn split<V>(kvs: &[(Key, V)], depth: usize) -> usize {
    kvs.partition_point(|(k, _)| !bit(k, depth))
}

/// The number of nodes on the path from the root of $\mathcal{M}_\sigma$ over `kvs` (sorted,
/// distinct) to `key`: the branches descended, and the leaf where it ends if any.
fn path_len<V>(kvs: &[(Key, V)], key: &Key) -> usize {
    let mut slice = kvs;
    let mut nodes = 0;
    for depth in 0..248 {
        match slice.len() {
            0 => return nodes,
            1 => return nodes + 1,
            _ => {}
        }
        nodes += 1;
        let at = split(slice, depth);
        slice = if bit(key, depth) {
            &slice[at..]
        } else {
            &slice[..at]
        };
    }
    nodes
}

/// `L(k, v)` (GP (D.4)): the value embedded if at most 32 octets, else its hash.
fn leaf(key: &Key, value: &[u8]) -> TrieNode {
    let mut n = [0u8; 64];
    n[1..32].copy_from_slice(key);
    if value.len() <= 32 {
        n[0] = 0x80 | value.len() as u8;
        n[32..32 + value.len()].copy_from_slice(value);
    } else {
        n[0] = 0xc0;
        n[32..].copy_from_slice(&blake2b_256(value));
    }
    n
}

/// `B(l, r)` (GP (D.3)): the first bit of the left hash replaced by the branch marker 0.
fn branch(left: &Hash, right: &Hash) -> TrieNode {
    let mut n = [0u8; 64];
    n[..32].copy_from_slice(left);
    n[0] &= 0x7f;
    n[32..].copy_from_slice(right);
    n
}

/// $\mathcal{M}$ (GP (D.6)) of `kvs` (sorted, distinct, sharing their first `depth` bits);
/// the nodes on the paths to `targets` (where `on` says the sub-trie lies on them) are pushed
/// to `out`, each parent before its children.
fn merkle(
    kvs: &[(Key, Cow<'_, [u8]>)],
    depth: usize,
    targets: &[Key; 2],
    on: [bool; 2],
    out: &mut Vec<TrieNode>,
) -> Hash {
    let on_path = on[0] || on[1];
    match kvs {
        [] => [0; 32],
        [(k, v)] => {
            let node = leaf(k, v);
            if on_path {
                out.push(node);
            }
            blake2b_256(&node)
        }
        // Distinct 248-bit keys part before this depth.
        _ if depth >= 248 => [0; 32],
        _ => {
            let slot = on_path.then(|| {
                out.push([0; 64]);
                out.len() - 1
            });
            let at = split(kvs, depth);
            let side = |right: bool| {
                [
                    on[0] && bit(&targets[0], depth) == right,
                    on[1] && bit(&targets[1], depth) == right,
                ]
            };
            let l = merkle(&kvs[..at], depth + 1, targets, side(false), out);
            let r = merkle(&kvs[at..], depth + 1, targets, side(true), out);
            let node = branch(&l, &r);
            if let Some(i) = slot {
                out[i] = node;
            }
            blake2b_256(&node)
        }
    }
}

/// The CE 129 answer on `state`: the key/values in `[start, end]` (31-octet keys), sorted,
/// the first always and the others while the whole answer (pairs, and the boundary nodes
/// counted as two full paths) stays within `max_size`; and the boundary nodes of the paths
/// to `start` and to the last key sent.
fn state_range(
    spec: &ChainSpec,
    state: &State,
    start: &Key,
    end: &Key,
    max_size: u32,
) -> (BoundaryNodes, KeyValues) {
    let kvs = state.key_values_ref(spec);
    let start_nodes = path_len(&kvs, start);
    let first = kvs.partition_point(|(k, _)| k < start);
    let mut pairs = Vec::new();
    let mut total = 0usize;
    for (key, value) in kvs[first..].iter().take_while(|(k, _)| k <= end) {
        let len = marmalade_codec::Encode::encode(&KeyValue {
            key: *key,
            value: value.to_vec(),
        })
        .len();
        let nodes = std::mem::size_of::<TrieNode>() * (start_nodes + path_len(&kvs, key));
        if !pairs.is_empty() && total.saturating_add(len).saturating_add(nodes) > max_size as usize
        {
            break;
        }
        total = total.saturating_add(len);
        pairs.push(KeyValue {
            key: *key,
            value: value.to_vec(),
        });
    }
    let last = pairs.last().map_or(*start, |p| p.key);
    let mut nodes = Vec::new();
    merkle(&kvs, 0, &[*start, last], [true, true], &mut nodes);
    (BoundaryNodes(nodes), KeyValues(pairs))
}

/// The preimage of `hash` in any service account of `state` (GP (9.3)).
fn state_preimage(state: &State, hash: &Hash) -> Option<Vec<u8>> {
    state
        .accounts
        .keys()
        .find_map(|s| state.preimage(*s, hash).map(<[u8]>::to_vec))
}

impl ServeNet {
    /// Serves one stream of a kind of [`serves`].
    pub(crate) fn stream(self: &Arc<Self>, stream: Stream) {
        let this = Arc::clone(self);
        match stream.kind().0 {
            CE_STATE_REQUEST => {
                tokio::spawn(this.serve_state(stream));
            }
            CE_WORK_REPORT_REQUEST => {
                tokio::spawn(this.serve_report(stream));
            }
            CE_PREIMAGE_ANNOUNCEMENT => {
                tokio::spawn(this.receive_announcement(stream));
            }
            CE_PREIMAGE_REQUEST => {
                tokio::spawn(this.serve_preimage(stream));
            }
            _ => {}
        }
    }

    /// The one message of a request stream decoded as `M`; `None` (the stream reset and
    /// the peer reported if it was malformed) otherwise.
    async fn request<M: Message>(&self, stream: &mut Stream) -> Option<M> {
        let messages = stream.recv_to_end().await.ok()?;
        let decoded = match messages.as_slice() {
            [one] => M::from_bytes(one, &self.spec).ok(),
            _ => None,
        };
        if decoded.is_none() {
            stream.malformed();
        }
        decoded
    }

    /// CE 129 served: the range of the block's state and its boundary nodes.
    async fn serve_state(self: Arc<Self>, mut stream: Stream) {
        let Some(request) = self.request::<StateRequest>(&mut stream).await else {
            return;
        };
        let this = Arc::clone(&self);
        let answer = tokio::task::spawn_blocking(move || {
            let state = (this.states)(Some(&request.header_hash))?;
            let max = request.max_size.min(MAX_STATE_RESPONSE);
            Some(state_range(
                &this.spec,
                &state,
                &request.start,
                &request.end,
                max,
            ))
        })
        .await;
        let Ok(Some((nodes, pairs))) = answer else {
            stream.reset(code::REFUSED);
            return;
        };
        let messages = [nodes.to_bytes(), pairs.to_bytes()];
        let _ = stream.send_all_and_finish(&messages).await;
    }

    /// CE 136 served: the report of a pooled guarantee.
    async fn serve_report(self: Arc<Self>, mut stream: Stream) {
        let Some(WorkReportRequest(hash)) = self.request(&mut stream).await else {
            return;
        };
        match self.pools.report(&hash) {
            Some(report) => {
                let _ = stream.send_all_and_finish(&[report.to_bytes()]).await;
            }
            None => stream.reset(code::REFUSED),
        }
    }

    /// The preimage of `hash` from the best state's accounts or the pool.
    fn preimage(&self, hash: &Hash) -> Option<Vec<u8>> {
        (self.states)(None)
            .and_then(|state| state_preimage(&state, hash))
            .or_else(|| self.pools.preimage(hash))
    }

    /// CE 143 served: the preimage, from the best state or the pool.
    async fn serve_preimage(self: Arc<Self>, mut stream: Stream) {
        let Some(PreimageRequest(hash)) = self.request(&mut stream).await else {
            return;
        };
        let this = Arc::clone(&self);
        let found = tokio::task::spawn_blocking(move || this.preimage(&hash)).await;
        match found {
            Ok(Some(blob)) => {
                let _ = stream
                    .send_all_and_finish(&[PreimageResponse(blob).to_bytes()])
                    .await;
            }
            _ => stream.reset(code::REFUSED),
        }
    }

    /// CE 142 received: fetches an awaited preimage not held from the announcer.
    async fn receive_announcement(self: Arc<Self>, mut stream: Stream) {
        let Some(announcement) = self.request::<PreimageAnnouncement>(&mut stream).await else {
            return;
        };
        let _ = stream.finish();
        let peer = stream.peer();
        let this = Arc::clone(&self);
        let wanted = tokio::task::spawn_blocking(move || this.wanted(&announcement)).await;
        let Ok(Some(state)) = wanted else { return };
        {
            let mut fetching = self.fetching.lock().unwrap_or_else(|p| p.into_inner());
            if fetching.len() >= MAX_FETCHING || !fetching.insert(announcement.hash) {
                return;
            }
        }
        self.fetch_preimage(peer, announcement, state).await;
        self.fetching
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&announcement.hash);
    }

    /// The best state if its service awaits the announced preimage (GP (12.37)) and the node
    /// holds it neither there nor in its pool.
    fn wanted(&self, a: &PreimageAnnouncement) -> Option<Arc<State>> {
        let state = (self.states)(None)?;
        let awaited = state.service_info(a.service_id).is_some()
            && state
                .request(a.service_id, &a.hash, a.length)
                .is_some_and(|slots| slots.is_empty());
        let held = state.preimage(a.service_id, &a.hash).is_some()
            || self.pools.has_preimage(a.service_id, &a.hash);
        (awaited && !held).then_some(state)
    }

    /// CE 143 to `peer` for the announced preimage; pooled if it is of the announced hash
    /// and length, else the peer is reported.
    async fn fetch_preimage(&self, peer: PeerId, a: PreimageAnnouncement, state: Arc<State>) {
        let reply = match self
            .network
            .request(
                &peer,
                CE_PREIMAGE_REQUEST,
                &[PreimageRequest(a.hash).to_bytes()],
            )
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "announced preimage not fetched");
                return;
            }
        };
        let blob = match reply.as_slice() {
            [one] if one.len() == PreimageResponse::max_size_for(a.length) => one.clone(),
            _ => {
                self.network.report(&peer, Misbehaviour::Malformed);
                return;
            }
        };
        if blake2b_256(&blob) != a.hash {
            self.network.report(&peer, Misbehaviour::Malformed);
            return;
        }
        if let Err(e) = self.pools.submit_preimage(&*state, a.service_id, blob) {
            tracing::debug!(error = %e, "fetched preimage not pooled");
        }
    }
}
