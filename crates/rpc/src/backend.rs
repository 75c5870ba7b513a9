//! The seam between the RPC server and the node: [`RpcBackend`], and [`ChainBackend`], its
//! implementation over a [`Chain`].

use std::sync::{Arc, Mutex, MutexGuard};

use marmalade_chain::{BlockExecutor, Chain, ChainError, Upsilon};
use marmalade_state::StateReader;
use marmalade_store::{MemoryStore, StateStore};
use marmalade_types::{Block, ChainSpec, CoreIndex, HeaderHash, ServiceId, StateRoot, TimeSlot};
use serde::{Serialize, Serializer};
use tokio::sync::broadcast;

use crate::encoding::Hash32;

/// A block as JIP-2 names one: its header hash and slot, encoded `[Hash, Slot]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockDesc {
    /// The header hash.
    pub hash: HeaderHash,
    /// The header's slot $\mathbf{H}_T$.
    pub slot: TimeSlot,
}

impl Serialize for BlockDesc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (Hash32(self.hash), self.slot).serialize(s)
    }
}

/// A block's posterior state, read through the node's [`StateReader`].
pub type StateRef = Arc<dyn StateReader + Send + Sync>;

/// Why the backend could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The node cannot do this (yet), e.g. submitting without pools or networking.
    #[error("{0} is not supported by this node yet")]
    NotSupported(&'static str),
    /// The submission was refused.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The node failed to read its own data.
    #[error("backend failure: {0}")]
    Failure(String),
}

/// What the RPC methods need of the node. Every call is cheap and does not block for long
/// (it runs on the server's tasks).
pub trait RpcBackend: Send + Sync + 'static {
    /// The chain parameters.
    fn spec(&self) -> ChainSpec;
    /// The head of the best chain, if any block is known.
    fn best_block(&self) -> Result<Option<BlockDesc>, BackendError>;
    /// The latest finalized block, if any.
    fn finalized_block(&self) -> Result<Option<BlockDesc>, BackendError>;
    /// The parent of block `hash`, if both are known.
    fn parent(&self, hash: &HeaderHash) -> Result<Option<BlockDesc>, BackendError>;
    /// The posterior state root of block `hash`, if known.
    fn state_root(&self, hash: &HeaderHash) -> Result<Option<StateRoot>, BackendError>;
    /// The posterior state of block `hash`, if known.
    fn state(&self, hash: &HeaderHash) -> Result<Option<StateRef>, BackendError>;
    /// Hands a work-package with its extrinsics to the guarantors of core `core`.
    fn submit_work_package(
        &self,
        core: CoreIndex,
        package: Vec<u8>,
        extrinsics: Vec<Vec<u8>>,
    ) -> Result<(), BackendError> {
        let _ = (core, package, extrinsics);
        Err(BackendError::NotSupported("submitWorkPackage"))
    }
    /// Hands a preimage requested by `service` to the node, valid while `anchor` is in the
    /// best chain.
    fn submit_preimage(
        &self,
        service: ServiceId,
        preimage: Vec<u8>,
        anchor: HeaderHash,
    ) -> Result<(), BackendError> {
        let _ = (service, preimage, anchor);
        Err(BackendError::NotSupported("submitPreimage"))
    }
    /// Each new head of the best chain, from now on.
    fn subscribe_best(&self) -> broadcast::Receiver<BlockDesc>;
    /// Each newly finalized block, from now on.
    fn subscribe_finalized(&self) -> broadcast::Receiver<BlockDesc>;
}

/// How many notifications a slow subscriber may fall behind before it skips to the latest.
const CHANNEL_CAPACITY: usize = 64;

/// [`RpcBackend`] over a [`Chain`] behind a mutex: imports go through
/// [`ChainBackend::import`] (or [`ChainBackend::with_chain`]), which notify subscribers when
/// the best or finalized block changes.
pub struct ChainBackend<S: StateStore = MemoryStore, E: BlockExecutor = Upsilon> {
    chain: Mutex<Chain<S, E>>,
    spec: ChainSpec,
    /// The first block: final by definition, answered while finality has chosen nothing.
    base: Option<BlockDesc>,
    best_tx: broadcast::Sender<BlockDesc>,
    finalized_tx: broadcast::Sender<BlockDesc>,
}

impl<S, E> ChainBackend<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    /// Serves `chain`, which should be freshly initialized: its best block then is the
    /// initial one, taken as finalized until the chain's finality says otherwise.
    pub fn new(chain: Chain<S, E>) -> Self {
        let spec = *chain.spec();
        let base = chain
            .finalized()
            .or(chain.best())
            .and_then(|h| describe(&chain, &h).ok().flatten());
        ChainBackend {
            chain: Mutex::new(chain),
            spec,
            base,
            best_tx: broadcast::channel(CHANNEL_CAPACITY).0,
            finalized_tx: broadcast::channel(CHANNEL_CAPACITY).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Chain<S, E>> {
        // A panic elsewhere while holding the lock leaves the chain as consistent as the
        // chain makes it (imports change nothing on error); keep serving.
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the chain, then notifies subscribers of a new best or finalized block.
    pub fn with_chain<R>(&self, f: impl FnOnce(&mut Chain<S, E>) -> R) -> R {
        let mut chain = self.lock();
        let before = (chain.best(), chain.finalized());
        let out = f(&mut chain);
        let after = (chain.best(), chain.finalized());
        if after.0 != before.0 {
            if let Some(b) = after.0.and_then(|h| describe(&chain, &h).ok().flatten()) {
                // No receivers is not an error here.
                let _ = self.best_tx.send(b);
            }
        }
        if after.1 != before.1 {
            if let Some(b) = after.1.and_then(|h| describe(&chain, &h).ok().flatten()) {
                let _ = self.finalized_tx.send(b);
            }
        }
        out
    }

    /// Imports `block` ([`Chain::import`]) and notifies subscribers.
    pub fn import(&self, block: &Block) -> Result<StateRoot, ChainError> {
        self.with_chain(|c| c.import(block))
    }
}

/// Block `hash` with its slot, from the store's headers.
fn describe<S: StateStore, E: BlockExecutor>(
    chain: &Chain<S, E>,
    hash: &HeaderHash,
) -> Result<Option<BlockDesc>, BackendError> {
    let line = chain.store().ancestry(hash, 1).map_err(failure)?;
    Ok(line.last().map(|&(slot, hash)| BlockDesc { hash, slot }))
}

fn failure(e: impl std::fmt::Display) -> BackendError {
    BackendError::Failure(e.to_string())
}

impl<S, E> RpcBackend for ChainBackend<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    fn spec(&self) -> ChainSpec {
        self.spec
    }

    fn best_block(&self) -> Result<Option<BlockDesc>, BackendError> {
        let chain = self.lock();
        match chain.best() {
            Some(h) => describe(&chain, &h),
            None => Ok(None),
        }
    }

    fn finalized_block(&self) -> Result<Option<BlockDesc>, BackendError> {
        let chain = self.lock();
        match chain.finalized() {
            Some(h) => describe(&chain, &h),
            None => Ok(self.base),
        }
    }

    fn parent(&self, hash: &HeaderHash) -> Result<Option<BlockDesc>, BackendError> {
        let chain = self.lock();
        let line = chain.store().ancestry(hash, 2).map_err(failure)?;
        // Oldest first: [parent, block] when the parent is known.
        Ok(match line.as_slice() {
            [(slot, parent), _] => Some(BlockDesc {
                hash: *parent,
                slot: *slot,
            }),
            _ => None,
        })
    }

    fn state_root(&self, hash: &HeaderHash) -> Result<Option<StateRoot>, BackendError> {
        self.lock().state_root(hash).map_err(failure)
    }

    fn state(&self, hash: &HeaderHash) -> Result<Option<StateRef>, BackendError> {
        let state = self.lock().state(hash).map_err(failure)?;
        Ok(state.map(|s| s as StateRef))
    }

    fn subscribe_best(&self) -> broadcast::Receiver<BlockDesc> {
        self.best_tx.subscribe()
    }

    fn subscribe_finalized(&self) -> broadcast::Receiver<BlockDesc> {
        self.finalized_tx.subscribe()
    }
}
