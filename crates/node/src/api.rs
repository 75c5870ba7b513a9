//! The node's JIP-2 interface: [`NodeBackend`], the [`RpcBackend`] over the chain the node
//! authors on and its pools, and [`RpcService`], the server on its own runtime.

use crate::pool::Pools;
use crate::NodeError;
use marmalade_chain::{BlockExecutor, Upsilon};
use marmalade_rpc::{
    serve, BackendError, BlockDesc, ChainBackend, RpcBackend, RpcConfig, RpcServer, StateRef,
};
use marmalade_store::{MemoryStore, StateStore};
use marmalade_types::{ChainSpec, CoreIndex, HeaderHash, ServiceId, StateRoot};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::broadcast;

/// The node as JIP-2 sees it: reads and notifications from the shared [`ChainBackend`]
/// (the authoring loop imports through it, so subscribers see each authored block), and
/// submissions into the node's [`Pools`].
pub struct NodeBackend<S: StateStore = MemoryStore, E: BlockExecutor = Upsilon> {
    pub(crate) chain: Arc<ChainBackend<S, E>>,
    pub(crate) pools: Arc<Pools>,
    pub(crate) work: Option<crate::work::WorkSubmitter>,
}

impl<S, E> RpcBackend for NodeBackend<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    fn spec(&self) -> ChainSpec {
        self.chain.spec()
    }

    fn best_block(&self) -> Result<Option<BlockDesc>, BackendError> {
        self.chain.best_block()
    }

    fn finalized_block(&self) -> Result<Option<BlockDesc>, BackendError> {
        self.chain.finalized_block()
    }

    fn parent(&self, hash: &HeaderHash) -> Result<Option<BlockDesc>, BackendError> {
        self.chain.parent(hash)
    }

    fn state_root(&self, hash: &HeaderHash) -> Result<Option<StateRoot>, BackendError> {
        self.chain.state_root(hash)
    }

    fn state(&self, hash: &HeaderHash) -> Result<Option<StateRef>, BackendError> {
        self.chain.state(hash)
    }

    fn submit_work_package(
        &self,
        core: CoreIndex,
        package: Vec<u8>,
        extrinsics: Vec<Vec<u8>>,
    ) -> Result<(), BackendError> {
        match &self.work {
            Some(w) => w.submit(core, package, extrinsics),
            None => Err(BackendError::NotSupported("submitWorkPackage")),
        }
    }

    fn submit_preimage(
        &self,
        service: ServiceId,
        preimage: Vec<u8>,
        anchor: HeaderHash,
    ) -> Result<(), BackendError> {
        // The anchor only says how long the submitter wants it kept; a preimage is valid on
        // any chain whose state awaits it, which the pool checks against the best block's.
        let _ = anchor;
        let best = self
            .chain
            .best_block()?
            .ok_or_else(|| BackendError::Rejected("no best block yet".into()))?;
        let state = self
            .chain
            .state(&best.hash)?
            .ok_or_else(|| BackendError::Failure("the best block's state is gone".into()))?;
        self.pools
            .submit_preimage(&*state, service, preimage)
            .map_err(|e| BackendError::Rejected(e.to_string()))
    }

    fn subscribe_best(&self) -> broadcast::Receiver<BlockDesc> {
        self.chain.subscribe_best()
    }

    fn subscribe_finalized(&self) -> broadcast::Receiver<BlockDesc> {
        self.chain.subscribe_finalized()
    }
}

/// A running JIP-2 server on a runtime of its own (two worker threads), so that the
/// authoring loop stays a plain thread. Dropping it stops the server.
pub struct RpcService {
    server: RpcServer,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for RpcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcService")
            .field("addr", &self.server.local_addr())
            .finish_non_exhaustive()
    }
}

impl RpcService {
    /// Starts serving `backend` as `config` says (port 0: any free port, see
    /// [`RpcService::local_addr`]).
    pub fn start(config: &RpcConfig, backend: Arc<dyn RpcBackend>) -> Result<Self, NodeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rpc")
            .enable_all()
            .build()
            .map_err(NodeError::Runtime)?;
        let server = runtime.block_on(serve(config, backend))?;
        Ok(RpcService {
            server,
            runtime: Some(runtime),
        })
    }

    /// The address bound (with the actual port if 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

impl Drop for RpcService {
    fn drop(&mut self) {
        self.server.stop();
        if let Some(rt) = self.runtime.take() {
            let stopped = self.server.clone().stopped();
            rt.block_on(async {
                // Open connections are closed by the stop; do not wait on slow clients.
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), stopped).await;
            });
            rt.shutdown_background();
        }
    }
}
