//! Work packages submitted over JIP-2 (`submitWorkPackage`), guaranteed by the node's own
//! validators: a worker thread refines each package off the chain's lock
//! ([`marmalade_guarantor::build_report`], GP (14.12)), the local validators the core is
//! assigned to sign it (GP (11.19)–(11.26)), the guarantee goes into the pool and each local
//! validator keeps its shards of the bundle (GP (14.16)–(14.17)) in a [`MemoryDaStore`].
//! The authoring loop then assures the cores whose pending reports the local validators hold
//! shards of ([`Guarantor::assurances`], GP (11.10)–(11.13)).

use crate::pool::Pools;
use marmalade_authoring::{assurance, bitfield, ValidatorKeys};
use marmalade_chain::BlockExecutor;
use marmalade_codec::decode_all;
use marmalade_da::{DaStore, MemoryDaStore};
use marmalade_guarantor::{
    build_report, guarantee, sign_report, Bundle, CodeCache, NoSegmentRoots,
};
use marmalade_rpc::{BackendError, ChainBackend, RpcBackend};
use marmalade_state::StateReader;
use marmalade_stf::reports::guarantors::GuarantorAssignments;
use marmalade_stf::safrole;
use marmalade_store::StateStore;
use marmalade_types::{
    AvailAssurance, ChainSpec, CoreIndex, HeaderHash, ReportGuarantee, ValidatorIndex, WorkPackage,
};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};

/// Packages queued for the worker at most; more are refused.
const QUEUE: usize = 16;

/// One submitted package.
struct Job {
    core: CoreIndex,
    package: WorkPackage,
    extrinsics: Vec<Vec<u8>>,
}

/// The RPC side: checks a submission and queues it for the worker.
#[derive(Clone)]
pub struct WorkSubmitter {
    tx: mpsc::SyncSender<Job>,
    spec: ChainSpec,
}

impl std::fmt::Debug for WorkSubmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkSubmitter").finish_non_exhaustive()
    }
}

impl WorkSubmitter {
    /// Queues `package` (encoded, GP (C.28)) for core `core`. Packages importing segments
    /// are refused: this node has no segments to import from yet.
    pub(crate) fn submit(
        &self,
        core: CoreIndex,
        package: Vec<u8>,
        extrinsics: Vec<Vec<u8>>,
    ) -> Result<(), BackendError> {
        if usize::from(core) >= self.spec.cores {
            return Err(BackendError::Rejected(format!("no core {core}")));
        }
        let package: WorkPackage = decode_all(&package, self.spec.seq_lens())
            .map_err(|e| BackendError::Rejected(format!("work package: {e}")))?;
        if package.items.iter().any(|w| !w.import_segments.is_empty()) {
            return Err(BackendError::NotSupported("importing segments"));
        }
        self.tx
            .try_send(Job {
                core,
                package,
                extrinsics,
            })
            .map_err(|_| BackendError::Rejected("the guarantor's queue is full".into()))
    }
}

/// Why a queued package was not guaranteed (logged by the worker).
#[derive(Debug, thiserror::Error)]
enum WorkError {
    #[error("no best block")]
    NoBest,
    #[error("out of timeslots")]
    OutOfSlots,
    #[error("refine: {0}")]
    Guarantee(#[from] marmalade_guarantor::GuaranteeError),
    #[error("safrole: {0}")]
    Safrole(#[from] safrole::Error),
    #[error("fewer than two local guarantors are assigned to core {0}")]
    NotAssigned(CoreIndex),
}

/// The local validators' guarantor and assurer duties.
pub struct Guarantor {
    keys: Vec<ValidatorKeys>,
    /// Each local validator's shards by (erasure root, validator index).
    da: Mutex<MemoryDaStore>,
}

impl std::fmt::Debug for Guarantor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarantor").finish_non_exhaustive()
    }
}

impl Guarantor {
    /// The duties of `keys` on a chain of `validators`.
    pub(crate) fn new(keys: Vec<ValidatorKeys>, validators: usize) -> Self {
        Guarantor {
            keys,
            da: Mutex::new(MemoryDaStore::new(validators)),
        }
    }

    fn da(&self) -> MutexGuard<'_, MemoryDaStore> {
        self.da.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the worker thread; it stops when every [`WorkSubmitter`] is dropped.
    pub(crate) fn spawn<S, E>(
        self: &Arc<Self>,
        chain: Arc<ChainBackend<S, E>>,
        pools: Arc<Pools>,
    ) -> std::io::Result<WorkSubmitter>
    where
        S: StateStore + Send + 'static,
        E: BlockExecutor + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let spec = chain.spec();
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("guarantor".into())
            .spawn(move || {
                let cache = CodeCache::new();
                while let Ok(job) = rx.recv() {
                    let core = job.core;
                    match me.guarantee(&*chain, &cache, job) {
                        Ok(g) => {
                            let hash = g.report.package_spec.hash;
                            match pools.add_guarantee(g) {
                                Ok(()) => tracing::info!(
                                    core,
                                    package = %hex::encode(&hash[..4]),
                                    "guaranteed a work package"
                                ),
                                Err(e) => tracing::warn!(core, error = %e, "guarantee not pooled"),
                            }
                        }
                        Err(e) => tracing::warn!(core, error = %e, "work package not guaranteed"),
                    }
                }
            })?;
        Ok(WorkSubmitter { tx, spec })
    }

    /// Refines `job` on the best block's state (the chain's lock is held only to read it),
    /// keeps the local validators' shards and signs the report with the local validators
    /// assigned to its core for the slot after the best block's: $\mathbf{M}$ with the
    /// posterior $\eta'$ and $\kappa'$ of that slot (GP (11.19)–(11.21)), two or three of them
    /// (GP (11.25)).
    fn guarantee(
        &self,
        chain: &dyn RpcBackend,
        cache: &CodeCache,
        job: Job,
    ) -> Result<ReportGuarantee, WorkError> {
        let spec = chain.spec();
        let best = chain.best_block().ok().flatten().ok_or(WorkError::NoBest)?;
        let state = chain
            .state(&best.hash)
            .ok()
            .flatten()
            .ok_or(WorkError::NoBest)?;
        let bundle = Bundle {
            package: job.package,
            extrinsics: job.extrinsics,
            imports: Vec::new(),
            justifications: Vec::new(),
        };
        let work = build_report(&spec, &*state, job.core, &bundle, &NoSegmentRoots, cache)?;
        let c = state.components();
        let slot = c.tau.checked_add(1).ok_or(WorkError::OutOfSlots)?;
        let saf = safrole::transition(
            &spec,
            &safrole::Prior::of(c, &c.psi.offenders),
            slot,
            &[0; 32],
            &[],
        )?;
        let m = GuarantorAssignments::current(&spec, &saf.eta, slot, saf.kappa, &c.psi.offenders);
        let mut signatures = Vec::new();
        for v in 0..spec.validators {
            let Some((core, Some(key))) = m.get(v) else {
                continue;
            };
            if core != job.core || signatures.len() == 3 {
                continue;
            }
            if let Some(k) = self.keys.iter().find(|k| k.ed25519_public() == key) {
                let v = v as ValidatorIndex;
                signatures.push((v, sign_report(&work.report, &k.ed25519)));
            }
        }
        if signatures.len() < 2 {
            return Err(WorkError::NotAssigned(job.core));
        }
        // Every local validator keeps its own shards (what CE 137 would send it).
        let root = work.report.package_spec.erasure_root;
        {
            let mut da = self.da();
            for (v, val) in saf.kappa.iter().enumerate() {
                let local = self.keys.iter().any(|k| k.ed25519_public() == val.ed25519);
                let shards = work.availability.shards.get(v).cloned();
                if let (true, Some(shards), Ok(index)) = (local, shards, u16::try_from(v)) {
                    if let Err(e) = da.insert(root, index, shards, slot) {
                        tracing::warn!(error = %e, validator = v, "shards not kept");
                    }
                }
            }
        }
        Ok(guarantee(work.report, slot, signatures)?)
    }

    /// The assurances a block on `parent` (posterior state `state`) may carry from the local
    /// validators: each in $\kappa$ assures the cores whose pending report ($\rho$) it holds
    /// its shards of (GP (11.15)), anchored on `parent` (GP (11.11)).
    pub(crate) fn assurances(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        parent: &HeaderHash,
    ) -> Vec<AvailAssurance> {
        let c = state.components();
        let da = self.da();
        let mut out = Vec::new();
        for (v, val) in c.kappa.iter().enumerate() {
            let (Some(k), Ok(index)) = (
                self.keys.iter().find(|k| k.ed25519_public() == val.ed25519),
                u16::try_from(v),
            ) else {
                continue;
            };
            let cores: Vec<usize> = c
                .rho
                .iter()
                .enumerate()
                .filter_map(|(core, a)| {
                    let root = a.as_ref()?.report.package_spec.erasure_root;
                    da.bundle_shard(&root, index).map(|_| core)
                })
                .collect();
            if cores.is_empty() {
                continue;
            }
            let signed =
                bitfield(spec, &cores).and_then(|f| assurance(spec, parent, &f, index, &k.ed25519));
            match signed {
                Ok(a) => out.push(a),
                Err(e) => tracing::warn!(error = %e, "assurance not made"),
            }
        }
        out
    }
}
