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
use marmalade_da::{Availability, ValidatorShards};
use marmalade_da::{DaStore, MemoryDaStore};
use marmalade_guarantor::{
    build_report, guarantee, sign_report, Bundle, CodeCache, GuaranteedWork, NoSegmentRoots,
};
use marmalade_rpc::{BackendError, ChainBackend, RpcBackend, StateRef};
use marmalade_state::StateReader;
use marmalade_stf::reports::guarantors::GuarantorAssignments;
use marmalade_stf::safrole;
use marmalade_store::StateStore;
use marmalade_types::{
    AvailAssurance, ChainSpec, CoreIndex, Ed25519Public, Ed25519Signature, ErasureRoot, HeaderHash,
    ReportGuarantee, TimeSlot, ValidatorData, ValidatorIndex, WorkPackage, WorkReport,
};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

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
        self.submit_package(core, package, extrinsics)
    }

    /// Queues a decoded `package` for core `core` (JAMNP-S CE 133 decodes it); as
    /// [`WorkSubmitter::submit`].
    pub(crate) fn submit_package(
        &self,
        core: CoreIndex,
        package: WorkPackage,
        extrinsics: Vec<Vec<u8>>,
    ) -> Result<(), BackendError> {
        if usize::from(core) >= self.spec.cores {
            return Err(BackendError::Rejected(format!("no core {core}")));
        }
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

/// Why a package was not guaranteed (logged by the worker), or not refined for a
/// co-guarantor (CE 134).
#[derive(Debug, thiserror::Error)]
pub(crate) enum WorkError {
    #[error("no best block")]
    NoBest,
    #[error("out of timeslots")]
    OutOfSlots,
    #[error("refine: {0}")]
    Guarantee(#[from] marmalade_guarantor::GuaranteeError),
    #[error("safrole: {0}")]
    Safrole(#[from] safrole::Error),
    #[error("fewer than two guarantors of core {0} signed")]
    NotAssigned(CoreIndex),
    #[error("the guarantor has no chain yet")]
    NoChain,
}

/// What the guarantor asks of the network (`net_work`): the other guarantors' signatures
/// (JAMNP-S CE 134) and the distribution of a guarantee (CE 135) whose shards it keeps to
/// serve (CE 137).
pub(crate) trait GuarantorNet: Send + Sync {
    /// Sends the bundle to `cosigners` (validator index and Ed25519 key, GP (11.19)–(11.22))
    /// and returns the signatures of those whose report hash matches `report`'s, checked
    /// (GP (11.26)). Blocks the calling (worker) thread.
    fn cosign(
        &self,
        core: CoreIndex,
        bundle: &[u8],
        report: &WorkReport,
        cosigners: &[(ValidatorIndex, Ed25519Public)],
    ) -> Vec<(ValidatorIndex, Ed25519Signature)>;

    /// Distributes `guarantee` and keeps `availability` to serve its shards.
    fn distribute(&self, guarantee: &ReportGuarantee, availability: Availability);
}

/// A guarantor's view of the slot after the best block: the posterior $\kappa'$ and the
/// assignment $\mathbf{M}$ (GP (11.19)–(11.21)) of that slot, over the best state.
pub(crate) struct Duty {
    /// The best block's state, which packages are refined on.
    pub state: StateRef,
    /// $\tau'$: the slot after the best block's.
    pub slot: TimeSlot,
    /// $\kappa'$ of that slot.
    pub kappa: Vec<ValidatorData>,
    /// $\mathbf{M}$ of that slot.
    pub assignments: GuarantorAssignments,
}

impl Duty {
    /// The validators assigned to `core` with their (non-offender) Ed25519 keys.
    pub fn assigned(&self, core: CoreIndex) -> Vec<(ValidatorIndex, Ed25519Public)> {
        (0..self.kappa.len())
            .filter_map(|v| match self.assignments.get(v) {
                Some((c, Some(key))) if c == core => Some((v as ValidatorIndex, key)),
                _ => None,
            })
            .collect()
    }
}

/// The local validators' guarantor and assurer duties.
pub struct Guarantor {
    keys: Vec<ValidatorKeys>,
    /// Each local validator's shards by (erasure root, validator index).
    da: Mutex<MemoryDaStore>,
    /// The chain packages are refined on, set when the worker starts.
    chain: OnceLock<Arc<dyn RpcBackend>>,
    /// Service code decoded once, for the worker and CE 134 alike.
    cache: CodeCache,
    /// The network, once attached: co-guarantors and distribution.
    net: OnceLock<Arc<dyn GuarantorNet>>,
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
            chain: OnceLock::new(),
            cache: CodeCache::new(),
            net: OnceLock::new(),
        }
    }

    fn da(&self) -> MutexGuard<'_, MemoryDaStore> {
        self.da.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Attaches the network; `false` if one already is.
    pub(crate) fn attach(&self, net: Arc<dyn GuarantorNet>) -> bool {
        self.net.set(net).is_ok()
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
        let _ = self.chain.set(chain);
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("guarantor".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    let core = job.core;
                    match me.guarantee(job) {
                        Ok((g, availability)) => {
                            let hash = g.report.package_spec.hash;
                            match pools.add_guarantee(g.clone()) {
                                Ok(()) => tracing::info!(
                                    core,
                                    package = %hex::encode(&hash[..4]),
                                    signatures = g.signatures.len(),
                                    "guaranteed a work package"
                                ),
                                Err(e) => tracing::warn!(core, error = %e, "guarantee not pooled"),
                            }
                            if let Some(net) = me.net.get() {
                                net.distribute(&g, availability);
                            }
                        }
                        Err(e) => tracing::warn!(core, error = %e, "work package not guaranteed"),
                    }
                }
            })?;
        Ok(WorkSubmitter { tx, spec })
    }

    /// The duty of the slot after the best block's: $\mathbf{M}$ with the posterior $\eta'$
    /// and $\kappa'$ of that slot (GP (11.19)–(11.21)).
    pub(crate) fn duty(&self) -> Result<Duty, WorkError> {
        let chain = self.chain.get().ok_or(WorkError::NoChain)?;
        let spec = chain.spec();
        let best = chain.best_block().ok().flatten().ok_or(WorkError::NoBest)?;
        let state = chain
            .state(&best.hash)
            .ok()
            .flatten()
            .ok_or(WorkError::NoBest)?;
        let c = state.components();
        let slot = c.tau.checked_add(1).ok_or(WorkError::OutOfSlots)?;
        let saf = safrole::transition(
            &spec,
            &safrole::Prior::of(c, &c.psi.offenders),
            slot,
            &[0; 32],
            &[],
        )?;
        let kappa: Vec<ValidatorData> = saf.kappa.iter().cloned().collect();
        let assignments =
            GuarantorAssignments::current(&spec, &saf.eta, slot, &kappa, &c.psi.offenders);
        drop(saf);
        Ok(Duty {
            state,
            slot,
            kappa,
            assignments,
        })
    }

    /// The local validators among `assigned`, with their keys.
    pub(crate) fn local<'a>(
        &'a self,
        assigned: &'a [(ValidatorIndex, Ed25519Public)],
    ) -> impl Iterator<Item = (ValidatorIndex, &'a ValidatorKeys)> + 'a {
        assigned.iter().filter_map(|(v, key)| {
            let k = self.keys.iter().find(|k| k.ed25519_public() == *key)?;
            Some((*v, k))
        })
    }

    /// $\Xi(\mathbf{p}, c)$ (GP (14.12)) of `bundle` on the duty's state, with its shards.
    pub(crate) fn refine(
        &self,
        duty: &Duty,
        core: CoreIndex,
        bundle: &Bundle,
    ) -> Result<GuaranteedWork, WorkError> {
        let chain = self.chain.get().ok_or(WorkError::NoChain)?;
        let spec = chain.spec();
        Ok(build_report(
            &spec,
            &*duty.state,
            core,
            bundle,
            &NoSegmentRoots,
            &self.cache,
        )?)
    }

    /// Keeps each local validator's shards of `availability`, a report of `core` (what
    /// CE 137 would send it: its assigned shard, [`shard_index`]), reported at `slot`.
    pub(crate) fn keep_local_shards(
        &self,
        spec: &ChainSpec,
        core: CoreIndex,
        availability: &Availability,
        kappa: &[ValidatorData],
        slot: TimeSlot,
    ) {
        let root = availability.spec.erasure_root;
        let mut da = self.da();
        for (v, val) in kappa.iter().enumerate() {
            if !self.keys.iter().any(|k| k.ed25519_public() == val.ed25519) {
                continue;
            }
            let Some(index) = shard_index(spec, core, v) else {
                continue;
            };
            if let Some(shards) = availability.shards.get(usize::from(index)).cloned() {
                if let Err(e) = da.insert(root, index, shards, slot) {
                    tracing::warn!(error = %e, validator = v, "shards not kept");
                }
            }
        }
    }

    /// Keeps shard `index` received over CE 137; the store checks it against the erasure
    /// root (GP (14.17)).
    pub(crate) fn keep_shards(
        &self,
        root: ErasureRoot,
        index: u16,
        shards: ValidatorShards,
        slot: TimeSlot,
    ) -> Result<(), marmalade_da::DaError> {
        self.da().insert(root, index, shards, slot)
    }

    /// Whether shard `index` of `root` is kept.
    pub(crate) fn has_shards(&self, root: &ErasureRoot, index: u16) -> bool {
        self.da().bundle_shard(root, index).is_some()
    }

    /// The best block and its state, once the worker runs.
    pub(crate) fn best_state(&self) -> Option<(HeaderHash, StateRef)> {
        let chain = self.chain.get()?;
        let best = chain.best_block().ok().flatten()?;
        let state = chain.state(&best.hash).ok().flatten()?;
        Some((best.hash, state))
    }

    /// The local validators' indices in `kappa`.
    pub(crate) fn local_indices(&self, kappa: &[ValidatorData]) -> Vec<ValidatorIndex> {
        kappa
            .iter()
            .enumerate()
            .filter(|(_, val)| self.keys.iter().any(|k| k.ed25519_public() == val.ed25519))
            .map(|(v, _)| v as ValidatorIndex)
            .collect()
    }

    /// Refines `job` on the best block's state (the chain's lock is held only to read it),
    /// keeps the local validators' shards and signs the report with the local validators
    /// assigned to its core for the slot after the best block's (GP (11.19)–(11.21)); if
    /// fewer than three of them are local and the network is attached, the other assigned
    /// validators are asked for theirs (JAMNP-S CE 134). Two or three signatures make the
    /// guarantee (GP (11.23)–(11.25)).
    fn guarantee(&self, job: Job) -> Result<(ReportGuarantee, Availability), WorkError> {
        let duty = self.duty()?;
        let bundle = Bundle {
            package: job.package,
            extrinsics: job.extrinsics,
            imports: Vec::new(),
            justifications: Vec::new(),
        };
        let work = self.refine(&duty, job.core, &bundle)?;
        let assigned = duty.assigned(job.core);
        let mut signatures: Vec<(ValidatorIndex, Ed25519Signature)> = self
            .local(&assigned)
            .take(3)
            .map(|(v, k)| (v, sign_report(&work.report, &k.ed25519)))
            .collect();
        if signatures.is_empty() {
            return Err(WorkError::NotAssigned(job.core));
        }
        if signatures.len() < 3 {
            if let Some(net) = self.net.get() {
                let others: Vec<_> = assigned
                    .iter()
                    .filter(|(v, _)| signatures.iter().all(|(s, _)| s != v))
                    .copied()
                    .collect();
                let more = net.cosign(job.core, &bundle.encode(), &work.report, &others);
                for (v, s) in more {
                    if signatures.len() < 3 && signatures.iter().all(|(w, _)| *w != v) {
                        signatures.push((v, s));
                    }
                }
            }
        }
        if signatures.len() < 2 {
            return Err(WorkError::NotAssigned(job.core));
        }
        let spec = self.chain.get().ok_or(WorkError::NoChain)?.spec();
        self.keep_local_shards(&spec, job.core, &work.availability, &duty.kappa, duty.slot);
        let g = guarantee(work.report, duty.slot, signatures)?;
        Ok((g, work.availability))
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
                    let shard =
                        shard_index(spec, CoreIndex::try_from(core).ok()?, usize::from(index))?;
                    da.bundle_shard(&root, shard).map(|_| core)
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

/// The shard validator `v` holds of a report of `core` (JAMNP-S "Shard assignment"):
/// $i = (cR + v) \bmod V$, $R$ the erasure code's recovery threshold (GP appendix H's data
/// chunks). `None` on a chain without an erasure code.
pub(crate) fn shard_index(spec: &ChainSpec, core: CoreIndex, v: usize) -> Option<u16> {
    let r = marmalade_da::erasure_params(spec).ok()?.data_shards();
    let i = usize::from(core)
        .checked_mul(r)?
        .checked_add(v)?
        .checked_rem(spec.validators)?;
    u16::try_from(i).ok()
}
