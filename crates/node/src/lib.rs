//! The Marmalade node: a [`Chain`] that authors blocks with its validators' keys as the slots
//! go by.
//!
//! [`Node`] holds the chain (over any [`StateStore`]; [`MemoryStore`] until the database
//! lands) behind a shared [`ChainBackend`], the local validators' keys and their Safrole
//! tickets. The chain is shared with the JIP-2 server ([`Node::rpc_backend`],
//! [`Node::serve_rpc`]): the node takes its lock only to read the best block and to import,
//! never while it makes ring proofs or seals, and each import notifies the server's
//! subscribers of the new best and finalized blocks. At each slot of a
//! [`SlotClock`] it asks whether one of its keys may seal the slot on the best block
//! ([`slot_author`], GP (6.15)–(6.16)); if so it seals a block ([`Author::seal_block`]) carrying
//! the extrinsic its [`Pools`] offer (preimages, guarantees, assurances, disputes, and the
//! tickets of its validators the Safrole accumulator would keep, GP (6.29)–(6.35)),
//! imports it through [`Chain::import`] and logs one status line. The tickets (ring VRF
//! proofs, seconds of work) are made once per epoch, between slots, not while a block waits.
//! Finality is the chain's [`Finality`] policy ([`FixedDepth`] until GRANDPA). Each import
//! is handed to the hook of [`Node::set_import_hook`] (where a database persists blocks and
//! finalization).

pub mod api;
pub mod clock;
pub mod db;
pub mod net;
pub mod net_serve;
pub mod net_work;
pub mod pool;
pub mod work;

pub use api::{NodeBackend, RpcService};
pub use clock::{SlotClock, SystemClock, VirtualClock, JAM_EPOCH_UNIX_SECS, SLOT_PERIOD_MS};
/// The keys a node authors with (JIP-5), re-exported for its callers.
pub use marmalade_authoring::{dev_key_set, dev_keys, ValidatorKeys};
pub use marmalade_rpc::{ChainBackend, RpcBackend, RpcConfig};
pub use pool::{PoolError, PoolLimits, PoolSizes, Pools};
pub use work::{Guarantor, WorkSubmitter};

use marmalade_authoring::{make_tickets, slot_author, Author, AuthoringError, Ticket};
use marmalade_chain::{BlockExecutor, Chain, ChainError, Finality, FixedDepth, Upsilon};
use marmalade_chainspec::ChainSpecFile;
use marmalade_state::{StateKey, StateReader};
use marmalade_store::{MemoryStore, PruneConfig, StateStore};
use marmalade_types::{
    Block, ChainSpec, Extrinsic, Hash, Header, HeaderHash, StateRoot, TicketsOrKeys, TimeSlot,
};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The depth behind the best block at which blocks are final until GRANDPA.
pub const DEFAULT_FINALITY_DEPTH: usize = 5;

/// A chain's genesis: the header and the state (GP (D.2) key/values) it is the posterior of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// The genesis header: the first authored block's parent.
    pub header: Header,
    /// The genesis state $\sigma$ as serialized key/value pairs.
    pub state: Vec<(StateKey, Vec<u8>)>,
}

impl Genesis {
    /// The genesis of a JIP-4 chain spec under `params`: its header decoded (the state's
    /// shape is checked too) and its state key/values exactly as the file gives them, so the
    /// root is the file's.
    pub fn from_spec(
        spec: &ChainSpecFile,
        params: &ChainSpec,
    ) -> Result<Self, marmalade_chainspec::ChainSpecError> {
        Ok(Genesis {
            header: spec.genesis(params)?.header,
            state: spec
                .genesis_state
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
        })
    }

    /// The built-in `dev` chain ([`marmalade_chainspec::dev_spec`]: tiny, the six JIP-5
    /// development validators, typeberry's genesis) and its parameters.
    pub fn dev() -> Result<(Self, ChainSpec), NodeError> {
        let spec = marmalade_chainspec::dev_spec()?;
        let params = spec.params(&ChainSpec::TINY)?;
        Ok((Genesis::from_spec(&spec, &params)?, params))
    }
}

/// Why the node stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The chain refused a request (the genesis, or one of our own blocks).
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] marmalade_store::DbError),
    /// The chain's state store failed.
    #[error("state store: {0}")]
    Store(#[from] marmalade_store::StoreError),
    /// A block re-imported from the database gave another state root than it recorded.
    #[error("database block 0x{}: recorded state root 0x{}, recomputed 0x{}", hex::encode(.block), hex::encode(.stored), hex::encode(.computed))]
    StoredRootMismatch {
        /// The block.
        block: HeaderHash,
        /// The root the database recorded.
        stored: StateRoot,
        /// The root recomputed now.
        computed: StateRoot,
    },
    /// Sealing a block or making tickets failed.
    #[error("authoring: {0}")]
    Authoring(#[from] AuthoringError),
    /// The chain has no best block, or its state is gone.
    #[error("no state for the best block")]
    NoBestState,
    /// The timeslot after the best block's does not exist ($2^{32}$, GP (4.28)).
    #[error("out of timeslots")]
    OutOfSlots,
    /// The dev chain's genesis could not be made (its ring root $\gamma_Z$).
    #[error("dev genesis: {0}")]
    DevGenesis(#[from] marmalade_chainspec::synthetic::SyntheticGenesisError),
    /// The chain spec's genesis does not decode.
    #[error("chain spec: {0}")]
    ChainSpec(#[from] marmalade_chainspec::ChainSpecError),
    /// The Ctrl-C handler could not be installed.
    #[error("signal handler: {0}")]
    Signal(#[from] ctrlc::Error),
    /// The RPC server could not start.
    #[error("rpc: {0}")]
    Rpc(#[from] marmalade_rpc::RpcError),
    /// The RPC server's runtime could not start.
    #[error("rpc runtime: {0}")]
    Runtime(std::io::Error),
    /// The guarantor's worker thread could not start.
    #[error("guarantor thread: {0}")]
    Thread(std::io::Error),
}

/// How a slot's seal key was chosen (GP (6.24)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    /// A ticket's holder sealed it (GP (6.15)).
    Ticket,
    /// The fallback key sealed it (GP (6.16)).
    Fallback,
}

/// A block this node authored and imported.
#[derive(Debug, Clone)]
pub struct Authored {
    /// The block.
    pub block: Block,
    /// Its header hash.
    pub hash: HeaderHash,
    /// Its posterior state root.
    pub state_root: StateRoot,
    /// The chain's finalized block once this one was imported.
    pub finalized: Option<HeaderHash>,
    /// Which local key sealed it (an index into [`Node::keys`]).
    pub local_key: usize,
    /// How it was sealed, by the posterior seal-key series $\gamma'_S$ (GP (6.24)).
    pub seal_kind: SealKind,
    /// Time to make this epoch's tickets, when this block was the first to need them (the
    /// ring proofs: the bulk of authoring in the submission period's first block).
    pub tickets_time: Duration,
    /// Time to author the block: find the author, select tickets, seal (with
    /// `tickets_time`).
    pub author_time: Duration,
    /// Time of [`Chain::import`].
    pub import_time: Duration,
    /// Whether a first block with pooled items failed to seal or import, so that they were
    /// dropped and this block carries tickets only.
    pub pool_items_dropped: bool,
}

/// A block the node imported, as the import hook sees it ([`Node::set_import_hook`]).
#[derive(Debug, Clone, Copy)]
pub struct Imported<'a> {
    /// The block.
    pub block: &'a Block,
    /// Its header hash.
    pub hash: HeaderHash,
    /// Its posterior state root.
    pub state_root: StateRoot,
    /// The chain's finalized block after the import (it may have moved with it).
    pub finalized: Option<HeaderHash>,
}

/// An import's posterior state root, the finalized block after it and how the block was
/// sealed.
type ImportOutcome = (StateRoot, Option<HeaderHash>, SealKind);

/// What a block is authored on: the sealing key (an index into the node's keys), the
/// parameters, the parent's posterior state, root and hash, and the slot.
struct BlockBase<'a> {
    who: usize,
    spec: &'a ChainSpec,
    state: &'a dyn StateReader,
    parent_root: &'a StateRoot,
    parent: &'a HeaderHash,
    slot: TimeSlot,
}

/// A background ticket prover ([`Node::set_background_tickets`]).
struct TicketJob {
    handle: std::thread::JoinHandle<()>,
    /// Set when its tickets are no longer wanted (a later epoch's are).
    cancel: Arc<AtomicBool>,
    /// The $\eta'_2$ it makes tickets for.
    entropy: Hash,
}

/// What [`Node::set_import_hook`] takes.
pub type ImportHook = Box<dyn FnMut(&Imported<'_>) -> Result<(), NodeError> + Send>;

/// A validator node: a chain shared with the RPC server, the local validators' keys and the
/// authoring loop.
pub struct Node<S: StateStore = MemoryStore, E: BlockExecutor = Upsilon> {
    chain: Arc<ChainBackend<S, E>>,
    authors: Vec<Author>,
    keys: Vec<ValidatorKeys>,
    /// The $\eta'_2$s this node made (or is making) its tickets for, latest last (they go
    /// into the pool).
    tickets_made_for: Vec<Hash>,
    /// Whether ring proofs are made on a background thread ([`Node::set_background_tickets`]).
    background_tickets: bool,
    /// The background ticket prover, while it runs.
    ticket_job: Option<TicketJob>,
    pools: Arc<Pools>,
    guarantor: Arc<Guarantor>,
    work: Option<WorkSubmitter>,
    /// Shared with the [`BlockImporter`]s: one hook, called in import order.
    import_hook: SharedHook,
}

/// The import hook behind a lock, shared by the node and its [`BlockImporter`]s.
type SharedHook = Arc<std::sync::Mutex<Option<ImportHook>>>;

/// Imports blocks from elsewhere (peers) through the node's import path: the shared chain
/// (RPC subscribers are notified), then the import hook (the database), the same as the
/// node's own blocks. Cheap to clone, usable from any thread while [`Node::run`] runs; an
/// import waits for one in progress.
pub struct BlockImporter<S: StateStore = MemoryStore, E: BlockExecutor = Upsilon> {
    chain: Arc<ChainBackend<S, E>>,
    hook: SharedHook,
}

impl<S: StateStore, E: BlockExecutor> Clone for BlockImporter<S, E> {
    fn clone(&self) -> Self {
        BlockImporter {
            chain: Arc::clone(&self.chain),
            hook: Arc::clone(&self.hook),
        }
    }
}

impl<S, E> BlockImporter<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    /// The chain the blocks go into.
    pub fn chain(&self) -> &Arc<ChainBackend<S, E>> {
        &self.chain
    }

    /// Imports `block` on its stored parent, then hands it to the import hook. Returns its
    /// posterior state root and the finalized block after it.
    pub fn import(&self, block: &Block) -> Result<(StateRoot, Option<HeaderHash>), NodeError> {
        self.import_outcome(block).map(|(root, fin, _)| (root, fin))
    }

    /// Imports `block` ([`BlockImporter::import`]), also telling how its posterior seal-key
    /// series is made. The hook's lock is held from the chain's import to the hook's end,
    /// so the hook sees blocks in import order.
    fn import_outcome(&self, block: &Block) -> Result<ImportOutcome, NodeError> {
        let mut hook = self.hook.lock().unwrap_or_else(|p| p.into_inner());
        let hash = block.header.hash();
        let (state_root, finalized, seal_kind) = self.chain.with_chain(|chain| {
            let root = chain.import(block)?;
            let post = chain.state(&hash)?.ok_or(NodeError::NoBestState)?;
            let kind = match post.components.gamma_s {
                TicketsOrKeys::Tickets(_) => SealKind::Ticket,
                TicketsOrKeys::Keys(_) => SealKind::Fallback,
            };
            Ok::<_, NodeError>((root, chain.finalized(), kind))
        })?;
        if let Some(hook) = hook.as_mut() {
            hook(&Imported {
                block,
                hash,
                state_root,
                finalized,
            })?;
        }
        Ok((state_root, finalized, seal_kind))
    }
}

impl<S: StateStore, E: BlockExecutor> std::fmt::Debug for Node<S, E> {
    /// Public keys only: secrets are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| hex::encode(k.bandersnatch_public()))
            .collect();
        f.debug_struct("Node")
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

/// A chain over a [`MemoryStore`] started at `genesis`, finalizing `finality_depth` blocks
/// behind the best ([`FixedDepth`]), checking lookup anchors over the last $\mathsf{L}$
/// blocks (GP (11.35)).
pub fn genesis_chain(
    spec: ChainSpec,
    genesis: &Genesis,
    finality: impl Finality + 'static,
) -> Result<Chain, NodeError> {
    let ancestry_len = spec.max_lookup_anchor_age as usize;
    let store = MemoryStore::new(PruneConfig::with_ancestry(ancestry_len));
    let mut chain =
        Chain::with_parts(spec, store, Upsilon::default(), ancestry_len).with_finality(finality);
    chain.initialize(&genesis.header, genesis.state.clone(), Some(&[]))?;
    Ok(chain)
}

impl Node {
    /// A node over a [`MemoryStore`] started at `genesis`, authoring with `keys`, finalizing
    /// at depth `finality_depth`.
    pub fn new(
        spec: ChainSpec,
        genesis: &Genesis,
        keys: Vec<ValidatorKeys>,
        finality_depth: usize,
    ) -> Result<Self, NodeError> {
        let chain = genesis_chain(spec, genesis, FixedDepth(finality_depth))?;
        Ok(Node::with_chain(chain, keys))
    }
}

impl<S, E> Node<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    /// A node authoring on `chain` (initialized) with `keys`.
    pub fn with_chain(chain: Chain<S, E>, keys: Vec<ValidatorKeys>) -> Self {
        let guarantor = Arc::new(Guarantor::new(keys.clone(), chain.spec().validators));
        Node {
            chain: Arc::new(ChainBackend::new(chain)),
            guarantor,
            work: None,
            authors: keys.iter().cloned().map(Author::new).collect(),
            keys,
            tickets_made_for: Vec::new(),
            background_tickets: false,
            ticket_job: None,
            pools: Arc::new(Pools::default()),
            import_hook: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Runs `f` on the chain under its lock (the RPC server waits meanwhile: keep it short).
    pub fn read_chain<R>(&self, f: impl FnOnce(&Chain<S, E>) -> R) -> R {
        self.chain.with_chain(|c| f(c))
    }

    /// The head of the best chain.
    pub fn best_hash(&self) -> Option<HeaderHash> {
        self.read_chain(|c| c.best())
    }

    /// The latest finalized block.
    pub fn finalized_hash(&self) -> Option<HeaderHash> {
        self.read_chain(|c| c.finalized())
    }

    /// The pools the node's blocks draw their extrinsics from.
    pub fn pools(&self) -> &Arc<Pools> {
        &self.pools
    }

    /// The chain as shared with the RPC server.
    pub fn shared_chain(&self) -> &Arc<ChainBackend<S, E>> {
        &self.chain
    }

    /// The JIP-2 backend over this node's chain.
    pub fn rpc_backend(&self) -> Arc<NodeBackend<S, E>> {
        Arc::new(NodeBackend {
            chain: Arc::clone(&self.chain),
            pools: Arc::clone(&self.pools),
            work: self.work.clone(),
        })
    }

    /// Starts the guarantor's worker thread: from then on the RPC backends made by
    /// [`Node::rpc_backend`] accept `submitWorkPackage` for cores the local validators are
    /// assigned to, and the node's blocks carry the resulting guarantees and the local
    /// validators' assurances ([`work`]). Does nothing if already started.
    pub fn start_guarantor(&mut self) -> Result<(), NodeError> {
        if self.work.is_none() {
            let submitter = self
                .guarantor
                .spawn(Arc::clone(&self.chain), Arc::clone(&self.pools))
                .map_err(NodeError::Thread)?;
            self.work = Some(submitter);
        }
        Ok(())
    }

    /// Starts the JIP-2 server over [`Node::rpc_backend`] (on its own runtime; it serves
    /// until the returned service is dropped).
    pub fn serve_rpc(&self, config: &RpcConfig) -> Result<RpcService, NodeError> {
        RpcService::start(config, self.rpc_backend())
    }

    /// Calls `hook` after each block the node imports, outside the chain's lock, in import
    /// order: a database persists the block there (by hash, with its state root) and the
    /// finalized block it reports. Replaces any earlier hook. A hook's error is the
    /// import's: the authoring loop stops on it (the block stays imported in memory).
    pub fn set_import_hook(
        &mut self,
        hook: impl FnMut(&Imported<'_>) -> Result<(), NodeError> + Send + 'static,
    ) {
        *self.import_hook.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
    }

    /// A handle that imports blocks received from peers through the same path as the
    /// node's own: the shared chain, then the import hook ([`Node::set_import_hook`]).
    pub fn importer(&self) -> BlockImporter<S, E> {
        BlockImporter {
            chain: Arc::clone(&self.chain),
            hook: Arc::clone(&self.import_hook),
        }
    }

    /// The local validators' keys.
    pub fn keys(&self) -> &[ValidatorKeys] {
        &self.keys
    }

    /// The best block, its state and root (under the chain's lock, briefly).
    fn best(&self) -> Result<(HeaderHash, Arc<marmalade_state::State>, StateRoot), NodeError> {
        self.read_chain(|chain| {
            let hash = chain.best().ok_or(NodeError::NoBestState)?;
            let state = chain.state(&hash)?.ok_or(NodeError::NoBestState)?;
            let root = chain.state_root(&hash)?.ok_or(NodeError::NoBestState)?;
            Ok((hash, state, root))
        })
    }

    /// Imports `block` through the shared chain (subscribers are notified), then hands it to
    /// the import hook. Returns its root, the finalized block after it and its posterior
    /// $\gamma'_S$ kind.
    fn import(&mut self, block: &Block) -> Result<ImportOutcome, NodeError> {
        self.importer().import_outcome(block)
    }

    /// The timeslot of the best block's state, $\tau$.
    pub fn best_slot(&self) -> Result<TimeSlot, NodeError> {
        Ok(self.best()?.1.components.tau)
    }

    /// Authors the block at `slot` on the best block if a local key may seal it, and imports
    /// it; `Ok(None)` if none may (another validator's slot, or not after the best block's).
    /// The extrinsic is what [`Pools::take`] offers on the best block's state (this node's
    /// tickets go through the pool too). If that block does not seal or import because of a
    /// pooled item, those items are dropped (they left the pool) and the block is authored
    /// again with its tickets only, with a warning.
    pub fn author(&mut self, slot: TimeSlot) -> Result<Option<Authored>, NodeError> {
        let (parent, state, parent_root) = self.best()?;
        let spec = self.chain.spec();
        let start = Instant::now();
        let Some(who) = slot_author(&spec, &*state, slot, &self.keys) else {
            return Ok(None);
        };
        let tickets_start = Instant::now();
        self.tickets_for(&spec, &state, slot)?;
        let tickets_time = tickets_start.elapsed();
        for a in self.guarantor.assurances(&spec, &*state, &parent) {
            if let Err(e) = self.pools.add_assurance(a) {
                tracing::warn!(error = %e, "local assurance not pooled");
            }
        }
        let extrinsic = self.pools.take(&spec, &*state, &parent, slot);
        let tickets_only = Extrinsic {
            tickets: extrinsic.tickets.clone(),
            ..Default::default()
        };
        let from_pools = extrinsic != tickets_only;
        let base = BlockBase {
            who,
            spec: &spec,
            state: &*state,
            parent_root: &parent_root,
            parent: &parent,
            slot,
        };
        let first = self.seal_and_import(&base, extrinsic, start);
        // Retry only if the chain did not take the block (the best is still its parent): an
        // import hook failing after the import is not the pool's fault.
        let pool_items_dropped = from_pools && first.is_err() && self.best_hash() == Some(parent);
        let (block, author_time, import_time, (state_root, finalized, seal_kind)) = match first {
            Ok(done) => done,
            Err(e) if pool_items_dropped => {
                tracing::warn!(
                    slot,
                    error = %e,
                    "a block with pooled items failed; dropping them and authoring with tickets only"
                );
                self.seal_and_import(&base, tickets_only, Instant::now())?
            }
            Err(e) => return Err(e),
        };
        let hash = block.header.hash();
        Ok(Some(Authored {
            block,
            hash,
            state_root,
            finalized,
            local_key: who,
            seal_kind,
            tickets_time,
            author_time,
            import_time,
            pool_items_dropped,
        }))
    }

    /// Seals `extrinsic` on `base` and imports it: the block, the time from `start` to the
    /// seal, the import's time and its outcome.
    fn seal_and_import(
        &mut self,
        base: &BlockBase<'_>,
        extrinsic: Extrinsic,
        start: Instant,
    ) -> Result<(Block, Duration, Duration, ImportOutcome), NodeError> {
        let block = self.authors[base.who].seal_block(
            base.spec,
            base.state,
            base.parent_root,
            base.parent,
            base.slot,
            extrinsic,
        )?;
        let author_time = start.elapsed();
        let start = Instant::now();
        let outcome = self.import(&block)?;
        Ok((block, author_time, start.elapsed(), outcome))
    }

    /// Makes ring proofs for tickets on a background thread (`true`) or on the authoring
    /// thread (`false`, the default). In the background a block is never held up by the
    /// epoch's proofs (seconds for a node holding many keys); the tickets reach the pool,
    /// and the blocks, when they are done. On the authoring thread every block of the
    /// submission period can carry them: for virtual clocks, which do not wait for slots.
    pub fn set_background_tickets(&mut self, background: bool) {
        self.background_tickets = background;
    }

    /// Makes the local validators' tickets a block at `slot` on `state` may carry and pools
    /// them: none in the epoch's tail ($m' \ge \mathsf{Y}$, GP (6.30)); otherwise those of
    /// the epoch whose $\eta'_2$ (GP (6.23): $\eta_1$ on an epoch change, else $\eta_2$)
    /// they are made for, once per epoch. Each local key in $\gamma'_P$ proves its
    /// $\mathsf{N}$ tickets with one ring prover (built by [`make_tickets`]), the keys in
    /// parallel. Returns how many were made here.
    ///
    /// In the background ([`Node::set_background_tickets`]) one prover runs at a time, and
    /// once this epoch's tickets are made it makes the next epoch's a whole epoch ahead:
    /// their $\eta'_2$ will be this epoch's $\eta_1$ and their ring $\Phi(\iota)$
    /// (GP (6.13), (6.23)), both known now, so they are ready when its submission period
    /// opens (a designation changing $\iota$ within the epoch would void them).
    fn tickets_for(
        &mut self,
        spec: &ChainSpec,
        state: &Arc<marmalade_state::State>,
        slot: TimeSlot,
    ) -> Result<usize, NodeError> {
        let c = state.components();
        let new_epoch = spec.epoch_of(slot) > spec.epoch_of(c.tau);
        let mut wanted: Vec<(TimeSlot, Hash)> = Vec::with_capacity(2);
        if spec.slot_phase(slot) < spec.ticket_submission_end {
            wanted.push((slot, if new_epoch { c.eta[1] } else { c.eta[2] }));
        }
        if self.background_tickets && !new_epoch {
            let next = spec
                .epoch_of(slot)
                .checked_add(1)
                .and_then(|e| e.checked_mul(spec.epoch_length));
            if let Some(next) = next {
                wanted.push((next, c.eta[1]));
            }
        }
        if self.background_tickets {
            if let Some(running) = self.ticket_job.as_ref().filter(|j| !j.handle.is_finished()) {
                // Still wanted: let it finish. Else stop it after its current key; the next
                // prover starts on a later call, once it has.
                if !wanted.iter().any(|(_, e)| *e == running.entropy) {
                    running.cancel.store(true, Ordering::Relaxed);
                }
                return Ok(0);
            }
        }
        let Some(&(slot, entropy)) = wanted
            .iter()
            .find(|(_, e)| !self.tickets_made_for.contains(e))
        else {
            return Ok(0);
        };
        if self.tickets_made_for.len() >= 4 {
            self.tickets_made_for.remove(0);
        }
        self.tickets_made_for.push(entropy);
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::clone(&cancel);
        let keys = self.keys.clone();
        let pools = Arc::clone(&self.pools);
        let spec = *spec;
        let state = Arc::clone(state);
        let job = move || -> Result<usize, NodeError> {
            let start = Instant::now();
            let made: Vec<Result<Vec<Ticket>, AuthoringError>> = keys
                .par_iter()
                .map(|k| {
                    if cancelled.load(Ordering::Relaxed) {
                        return Ok(Vec::new());
                    }
                    match make_tickets(&spec, &*state, slot, k) {
                        // Not a validator of the next epoch: no tickets to make.
                        Err(AuthoringError::NotInPendingSet) => Ok(Vec::new()),
                        other => other,
                    }
                })
                .collect();
            if cancelled.load(Ordering::Relaxed) {
                return Ok(0);
            }
            let mut tickets = Vec::new();
            for t in made {
                tickets.extend(t?);
            }
            let n = tickets.len();
            if let Err(e) = pools.add_tickets(entropy, tickets) {
                tracing::warn!(error = %e, "not all local tickets were pooled");
            }
            if n > 0 {
                tracing::info!(
                    epoch = spec.epoch_of(slot),
                    tickets = n,
                    ms = ms(start.elapsed()),
                    "made tickets"
                );
            }
            Ok(n)
        };
        if !self.background_tickets {
            return job();
        }
        // Its own rayon pool, half the cores: the proofs' parallel work must not queue the
        // authoring thread's (import, sealing) behind seconds of proving in the global pool.
        let threads = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
        let handle = std::thread::spawn(move || {
            let made = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(pool) => pool.install(job),
                Err(_) => job(),
            };
            if let Err(e) = made {
                tracing::warn!(error = %e, "making tickets failed");
            }
        });
        self.ticket_job = Some(TicketJob {
            handle,
            cancel,
            entropy,
        });
        Ok(0)
    }

    /// Makes the local validators' tickets for a block at `slot` on the best block, if that
    /// slot is in a submission period and they are not made yet ([`Node::author`] makes
    /// them on demand otherwise). The loop calls it between slots, so that the ring proofs
    /// do not delay a block. Returns the time spent on this thread.
    pub fn prepare_tickets(&mut self, slot: TimeSlot) -> Result<Duration, NodeError> {
        let (_, state, _) = self.best()?;
        let spec = self.chain.spec();
        let start = Instant::now();
        self.tickets_for(&spec, &state, slot)?;
        Ok(start.elapsed())
    }

    /// Waits for a background ticket prover to finish, if one runs (tests; shutdown).
    pub fn wait_for_tickets(&mut self) {
        if let Some(job) = self.ticket_job.take() {
            if job.handle.join().is_err() {
                tracing::warn!("the ticket prover panicked");
            }
        }
    }

    /// The authoring loop: from the slot after the best block's (or the clock's, if later),
    /// waits for each slot and authors it when a local key may ([`Node::author`]), logging
    /// one status line per block and handing it to `on_block`; between slots it makes the
    /// next slot's tickets if due ([`Node::prepare_tickets`]). Stops when `stop` is set,
    /// after `max_blocks` blocks, or on an error (one of our own blocks not importing is a
    /// bug worth stopping for). Returns the number of blocks authored.
    pub fn run(
        &mut self,
        clock: &dyn SlotClock,
        stop: &AtomicBool,
        max_blocks: Option<usize>,
        mut on_block: impl FnMut(&Authored),
    ) -> Result<usize, NodeError> {
        let mut authored = 0;
        let mut next = self
            .best_slot()?
            .checked_add(1)
            .ok_or(NodeError::OutOfSlots)?
            .max(clock.now());
        while max_blocks.is_none_or(|m| authored < m) {
            self.prepare_tickets(next)?;
            if !clock.wait_until(next, stop) {
                break;
            }
            // Authoring may have overrun whole slots: those are gone.
            let slot = next.max(clock.now());
            match self.author(slot)? {
                Some(a) => {
                    authored += 1;
                    self.log(&a);
                    on_block(&a);
                }
                None => tracing::debug!(slot, "not our slot"),
            }
            next = slot.checked_add(1).ok_or(NodeError::OutOfSlots)?;
        }
        if stop.load(Ordering::Relaxed) {
            tracing::info!(authored, "stopping");
        }
        Ok(authored)
    }

    /// The status line of an authored block.
    fn log(&self, a: &Authored) {
        let h = &a.block.header;
        tracing::info!(
            slot = h.slot,
            hash = %short(&a.hash),
            author = h.author_index,
            seal = ?a.seal_kind,
            tickets = a.block.extrinsic.tickets.len(),
            preimages = a.block.extrinsic.preimages.len(),
            guarantees = a.block.extrinsic.guarantees.len(),
            assurances = a.block.extrinsic.assurances.len(),
            author_ms = ms(a.author_time),
            tickets_ms = ms(a.tickets_time),
            import_ms = ms(a.import_time),
            finalized = %a.finalized.as_ref().map_or_else(String::new, short),
            "authored block"
        );
    }
}

fn short(hash: &Hash) -> String {
    format!("{}…", hex::encode(&hash[..4]))
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

/// A stop flag set on Ctrl-C (SIGINT) and SIGTERM, for [`Node::run`]'s clean shutdown: the
/// loop sees it between slots and after the block in hand is imported.
pub fn stop_on_ctrl_c() -> Result<Arc<AtomicBool>, NodeError> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))?;
    Ok(stop)
}
