//! The in-core path over JAMNP-S ("Work packages and reports", "Assurances"): work-package
//! submission (CE 133), sharing between the guarantors of a core (CE 134), distribution of
//! the guarantee (CE 135), shard distribution to assurers (CE 137) and assurance
//! distribution (CE 141), on the endpoint of a [`BlockNet`].
//!
//! - CE 133: a builder (or peer) sends `Core Index ++ Work-Package` and `[Extrinsic]`; if a
//!   local validator is assigned to the core for the slot after the best block's (the
//!   assignment $\mathbf{M}$, GP (11.19)–(11.21)) the package goes to the node's guarantor
//!   worker (as `submitWorkPackage` does), else the stream is reset ([`code::REFUSED`]).
//! - CE 134: the worker, having refined the package (GP (14.12)) and signed with its local
//!   assigned keys, sends the bundle (GP (14.16)) and its (empty: imports are not supported)
//!   segments-root mappings to the other validators assigned to the core. Each refines it on
//!   its own best state and, assigned too, answers its report hash and signature
//!   (GP (11.26)); the worker keeps those whose hash is its own and whose signature holds,
//!   and makes the guarantee of two or three credentials (GP (11.23)–(11.25)). A validator is
//!   reached at the peer whose key is its Ed25519 key (JAMNP-S: a validator's node key).
//! - CE 135: the guarantee goes to every connected peer (JAMNP-S asks for the next block
//!   authors at least; on a testnet all is simplest). A receiver checks its credentials
//!   against $\kappa'$ (GP (11.26)) and pools it.
//! - CE 137: a CE 135 receiver then asks the sender for the shards assigned to each of its
//!   local validators (JAMNP-S "Shard assignment", [`crate::work`]'s `shard_index`), and
//!   keeps them once their justification holds under the erasure root (GP (14.17)).
//! - CE 141: whenever the best block changes, the local validators holding shards of reports
//!   pending on it ($\rho$) sign an assurance anchored on it (GP (11.10)–(11.13), the
//!   authoring crate's `assurance`) and send it to every connected peer; a receiver checks
//!   the signature with the key of the sender's validator in the best state's $\kappa$ and
//!   pools it.
//!
//! Every received message is decoded within the kind's size limit (the transport refuses a
//! larger one before allocating) and the codecs' bounds; one that does not decode resets
//! the stream and counts against the peer ([`Stream::malformed`], [`Network::report`]).

use crate::net::BlockNet;
use crate::pool::Pools;
use crate::work::{shard_index, Guarantor, GuarantorNet, WorkSubmitter};
use crate::Node;
use marmalade_chain::BlockExecutor;
use marmalade_crypto::ed25519;
use marmalade_da::{Availability, ValidatorShards};
use marmalade_guarantor::{report_hash, sign_report};
use marmalade_jamnp::shards::{BundleShard, Justification, SegmentShards, ShardRequest};
use marmalade_jamnp::work::{
    CoreMappings, ExtrinsicData, SharingResponse, WorkPackageBundle, WorkPackageSubmission,
};
use marmalade_jamnp::{AssuranceDistribution, Message};
use marmalade_network::{code, Limits, Misbehaviour, Network, PeerId, Stream};
use marmalade_rpc::RpcBackend;
use marmalade_store::StateStore;
use marmalade_types::constants::context;
use marmalade_types::{
    ChainSpec, CoreIndex, Ed25519Public, Ed25519Signature, ErasureRoot, HeaderHash,
    ReportGuarantee, ValidatorIndex, WorkReport,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// CE 133: work-package submission.
pub const CE_WORK_PACKAGE_SUBMISSION: u8 = 133;
/// CE 134: work-package sharing.
pub const CE_WORK_PACKAGE_SHARING: u8 = 134;
/// CE 135: work-report distribution.
pub const CE_WORK_REPORT_DISTRIBUTION: u8 = 135;
/// CE 137: shard distribution.
pub const CE_SHARD_DISTRIBUTION: u8 = 137;
/// CE 141: assurance distribution.
pub const CE_ASSURANCE_DISTRIBUTION: u8 = 141;

/// The kinds this module serves.
const KINDS: [u8; 5] = [
    CE_WORK_PACKAGE_SUBMISSION,
    CE_WORK_PACKAGE_SHARING,
    CE_WORK_REPORT_DISTRIBUTION,
    CE_SHARD_DISTRIBUTION,
    CE_ASSURANCE_DISTRIBUTION,
];

/// The most reports whose shards are kept to serve CE 137 (oldest forgotten first).
const KEPT_AVAILABILITY: usize = 64;
/// How often the best block is looked at for assurances to make.
const ASSURANCE_PERIOD: Duration = Duration::from_millis(100);
/// How long the guarantor waits for the other guarantors' CE 134 answers.
const SHARING_TIMEOUT: Duration = Duration::from_secs(10);

/// The block assured on and each local validator's bitfield sent for it.
type Assured = (HeaderHash, Vec<(ValidatorIndex, Vec<u8>)>);

/// Whether this module serves streams of `kind`.
pub(crate) fn serves(kind: u8) -> bool {
    KINDS.contains(&kind)
}

fn size(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `limits` with this module's kinds: each direction's largest message.
pub(crate) fn limits(limits: Limits, spec: &ChainSpec) -> Limits {
    let submission = WorkPackageSubmission::max_size(spec).max(ExtrinsicData::MAX_SIZE);
    let sharing = CoreMappings::max_size(spec).max(WorkPackageBundle::max_size(spec));
    let shards = BundleShard::max_size(spec)
        .max(SegmentShards::max_size(spec))
        .max(Justification::max_size(spec));
    let mut l = limits
        .with_kind_limits(CE_WORK_PACKAGE_SUBMISSION, size(submission), 0)
        .with_kind_limits(
            CE_WORK_PACKAGE_SHARING,
            size(sharing),
            size(SharingResponse::max_size(spec)),
        )
        .with_kind_limits(
            CE_WORK_REPORT_DISTRIBUTION,
            size(ReportGuarantee::max_size(spec)),
            0,
        )
        .with_kind_limits(
            CE_SHARD_DISTRIBUTION,
            size(ShardRequest::max_size(spec)),
            size(shards),
        )
        .with_kind_limits(
            CE_ASSURANCE_DISTRIBUTION,
            size(AssuranceDistribution::max_size(spec)),
            0,
        );
    // The two CE 133 messages or the two CE 134 ones, with their length prefixes.
    let stream = (submission + ExtrinsicData::MAX_SIZE).max(sharing + CoreMappings::max_size(spec));
    l.max_ce_stream_bytes = l.max_ce_stream_bytes.max(stream as u64 + 64);
    l
}

/// The in-core protocols of one node. Made by [`Node::attach_work_net`].
pub struct WorkNet {
    spec: ChainSpec,
    guarantor: Arc<Guarantor>,
    submitter: WorkSubmitter,
    pools: Arc<Pools>,
    network: Network,
    runtime: tokio::runtime::Handle,
    /// Reports' shards kept to serve CE 137, by erasure root.
    availability: Mutex<VecDeque<(ErasureRoot, Arc<Availability>)>>,
}

impl std::fmt::Debug for WorkNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkNet").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why [`Node::attach_work_net`] did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// [`Node::start_guarantor`] was not called.
    #[error("the guarantor is not started")]
    NoGuarantor,
    /// The node or the endpoint has its in-core protocols already.
    #[error("already attached")]
    Attached,
}

impl<S, E> Node<S, E>
where
    S: StateStore + Send + 'static,
    E: BlockExecutor + Send + 'static,
{
    /// Serves the in-core protocols (CE 133, 134, 135, 137, 141) on `net` for this node's
    /// guarantor ([`Node::start_guarantor`] first): packages submitted over CE 133 are
    /// guaranteed with the other assigned validators' signatures, guarantees and
    /// assurances go to the peers and theirs into this node's pools.
    pub fn attach_work_net(&self, net: &BlockNet) -> Result<(), AttachError> {
        let submitter = self.work.clone().ok_or(AttachError::NoGuarantor)?;
        let work = Arc::new(WorkNet {
            spec: self.chain.spec(),
            guarantor: Arc::clone(&self.guarantor),
            submitter,
            pools: Arc::clone(&self.pools),
            network: net.network().clone(),
            runtime: net.runtime().clone(),
            availability: Mutex::new(VecDeque::new()),
        });
        if !net.set_work(Arc::clone(&work)) {
            return Err(AttachError::Attached);
        }
        if !self
            .guarantor
            .attach(Arc::clone(&work) as Arc<dyn GuarantorNet>)
        {
            return Err(AttachError::Attached);
        }
        let weak = Arc::downgrade(&work);
        work.runtime.spawn(async move {
            let mut tick = tokio::time::interval(ASSURANCE_PERIOD);
            let mut last: Arc<Assured> = Arc::default();
            loop {
                tick.tick().await;
                let Some(work) = weak.upgrade() else { return };
                let w = Arc::clone(&work);
                let seen = Arc::clone(&last);
                let Ok(assured) = tokio::task::spawn_blocking(move || w.assure(&seen)).await else {
                    return;
                };
                if let Some(now) = assured {
                    last = Arc::new(now);
                }
            }
        });
        Ok(())
    }
}

impl WorkNet {
    /// Serves one stream of a kind of [`serves`].
    pub(crate) fn stream(self: &Arc<Self>, stream: Stream) {
        let this = Arc::clone(self);
        match stream.kind().0 {
            CE_WORK_PACKAGE_SUBMISSION => {
                tokio::spawn(this.receive_package(stream));
            }
            CE_WORK_PACKAGE_SHARING => {
                tokio::spawn(this.receive_bundle(stream));
            }
            CE_WORK_REPORT_DISTRIBUTION => {
                tokio::spawn(this.receive_guarantee(stream));
            }
            CE_SHARD_DISTRIBUTION => {
                tokio::spawn(this.serve_shards(stream));
            }
            CE_ASSURANCE_DISTRIBUTION => {
                tokio::spawn(this.receive_assurance(stream));
            }
            _ => {}
        }
    }

    fn keep_availability(&self, availability: Availability) {
        let mut kept = lock(&self.availability);
        let root = availability.spec.erasure_root;
        if kept.iter().any(|(r, _)| *r == root) {
            return;
        }
        kept.push_back((root, Arc::new(availability)));
        while kept.len() > KEPT_AVAILABILITY {
            kept.pop_front();
        }
    }

    /// Whether a local validator is assigned to `core` for the slot after the best block's
    /// (GP (11.19)–(11.21)); `false` if the duty cannot be known.
    fn assigned_locally(&self, core: CoreIndex) -> bool {
        match self.guarantor.duty() {
            Ok(duty) => {
                let assigned = duty.assigned(core);
                let local = self.guarantor.local(&assigned).next().is_some();
                local
            }
            Err(e) => {
                tracing::debug!(error = %e, "no guarantor duty");
                false
            }
        }
    }

    /// CE 133: queues the package for the guarantor worker if a local validator is
    /// assigned to its core, else refuses it.
    async fn receive_package(self: Arc<Self>, mut stream: Stream) {
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let decoded = match messages.as_slice() {
            [submission, extrinsics] => WorkPackageSubmission::from_bytes(submission, &self.spec)
                .ok()
                .and_then(|s| {
                    let x = ExtrinsicData::from_bytes(extrinsics, &s.package).ok()?;
                    Some((s, x))
                }),
            _ => None,
        };
        let Some((submission, extrinsics)) = decoded else {
            stream.malformed();
            return;
        };
        let core = submission.core_index;
        let this = Arc::clone(&self);
        let queued = tokio::task::spawn_blocking(move || {
            if !this.assigned_locally(core) {
                return Err("no local validator is assigned to the core".to_string());
            }
            this.submitter
                .submit_package(core, submission.package, extrinsics.0)
                .map_err(|e| e.to_string())
        })
        .await;
        match queued {
            Ok(Ok(())) => {
                let _ = stream.finish();
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %short(&stream.peer()), core, error = %e, "work package refused");
                stream.reset(code::REFUSED);
            }
            Err(_) => stream.reset(code::REFUSED),
        }
    }

    /// CE 134: refines the shared bundle as a guarantor of its core and answers the report
    /// hash and this node's signature (GP (11.26)); refuses if no local validator is
    /// assigned to the core or the bundle does not refine.
    async fn receive_bundle(self: Arc<Self>, mut stream: Stream) {
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let decoded = match messages.as_slice() {
            [mappings, bundle] => CoreMappings::from_bytes(mappings, &self.spec)
                .ok()
                .and_then(|m| {
                    let b = WorkPackageBundle::from_bytes(bundle, &self.spec).ok()?;
                    let b = b.decode_bundle(&self.spec).ok()?;
                    Some((m, b))
                }),
            _ => None,
        };
        let Some((mappings, bundle)) = decoded else {
            stream.malformed();
            return;
        };
        let core = mappings.core_index;
        if !mappings.mappings.is_empty() || !bundle.imports.is_empty() {
            // This node has no segments to import from yet (as `submitWorkPackage`).
            stream.reset(code::REFUSED);
            return;
        }
        let this = Arc::clone(&self);
        let answer = tokio::task::spawn_blocking(move || {
            let duty = this.guarantor.duty().ok()?;
            let assigned = duty.assigned(core);
            let (_, key) = this.guarantor.local(&assigned).next()?;
            let secret = key.ed25519.clone();
            let work = match this.guarantor.refine(&duty, core, &bundle) {
                Ok(w) => w,
                Err(e) => {
                    tracing::debug!(core, error = %e, "shared bundle does not refine");
                    return None;
                }
            };
            // This guarantor holds the bundle: it keeps its own shards and can serve others.
            this.guarantor.keep_local_shards(
                &this.spec,
                core,
                &work.availability,
                &duty.kappa,
                duty.slot,
            );
            let response = SharingResponse {
                report_hash: report_hash(&work.report),
                signature: sign_report(&work.report, &secret),
            };
            this.keep_availability(work.availability);
            Some(response)
        })
        .await;
        match answer {
            Ok(Some(r)) => {
                if stream.send(&r.to_bytes()).await.is_ok() {
                    let _ = stream.finish();
                }
            }
            _ => stream.reset(code::REFUSED),
        }
    }

    /// CE 135: pools a guarantee whose credentials hold under $\kappa'$ (GP (11.26)), then
    /// fetches the local validators' shards of it from the sender (CE 137).
    async fn receive_guarantee(self: Arc<Self>, mut stream: Stream) {
        let peer = stream.peer();
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let Some(Ok(g)) = (match messages.as_slice() {
            [one] => Some(ReportGuarantee::from_bytes(one, &self.spec)),
            _ => None,
        }) else {
            stream.malformed();
            return;
        };
        let _ = stream.finish();
        let this = Arc::clone(&self);
        let checked = tokio::task::spawn_blocking(move || {
            let duty = this.guarantor.duty().ok()?;
            if usize::from(g.report.core_index) >= this.spec.cores {
                return None;
            }
            let message = [context::GUARANTEE, &report_hash(&g.report)[..]].concat();
            let holds = g.signatures.iter().all(|s| {
                duty.kappa
                    .get(usize::from(s.validator_index))
                    .is_some_and(|k| ed25519::verify(&k.ed25519, &message, &s.signature))
            });
            holds.then_some((g, this.guarantor.local_indices(&duty.kappa)))
        })
        .await;
        let Ok(Some((g, local))) = checked else {
            // Another epoch's or fork's guarantee is not held against the peer.
            tracing::debug!(peer = %short(&peer), "received guarantee not checked");
            return;
        };
        let root = g.report.package_spec.erasure_root;
        let (core, slot) = (g.report.core_index, g.slot);
        match self.pools.add_guarantee(g) {
            Ok(()) => tracing::debug!(peer = %short(&peer), "pooled a received guarantee"),
            Err(e) => tracing::debug!(error = %e, "received guarantee not pooled"),
        }
        for v in local {
            let Some(index) = shard_index(&self.spec, core, usize::from(v)) else {
                continue;
            };
            if !self.guarantor.has_shards(&root, index) {
                self.fetch_shards(peer, root, index, slot).await;
            }
        }
    }

    /// CE 137: asks `peer` for shard `index` of `root` and keeps it if it is justified under
    /// the root.
    async fn fetch_shards(&self, peer: PeerId, root: ErasureRoot, index: u16, slot: u32) {
        let request = ShardRequest {
            erasure_root: root,
            shard_index: index,
        };
        let reply = match self
            .network
            .request(&peer, CE_SHARD_DISTRIBUTION, &[request.to_bytes()])
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(peer = %short(&peer), error = %e, "shards not fetched");
                return;
            }
        };
        let shards = match reply.as_slice() {
            [b, s, j] => (|| {
                Some(ValidatorShards {
                    bundle_shard: BundleShard::from_bytes(b, &self.spec).ok()?.0,
                    segment_shards: SegmentShards::from_bytes(s, &self.spec).ok()?.0,
                    justification: Justification::from_bytes(j, &self.spec).ok()?.0,
                })
            })(),
            _ => None,
        };
        let Some(shards) = shards else {
            self.network.report(&peer, Misbehaviour::Malformed);
            return;
        };
        if let Err(e) = self.guarantor.keep_shards(root, index, shards, slot) {
            tracing::debug!(peer = %short(&peer), error = %e, "shards do not verify");
            self.network.report(&peer, Misbehaviour::Malformed);
        }
    }

    /// CE 137 served: a kept report's shards of the index asked for.
    async fn serve_shards(self: Arc<Self>, mut stream: Stream) {
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let Some(Ok(request)) = (match messages.as_slice() {
            [one] => Some(ShardRequest::from_bytes(one, &self.spec)),
            _ => None,
        }) else {
            stream.malformed();
            return;
        };
        let availability = lock(&self.availability)
            .iter()
            .find(|(r, _)| *r == request.erasure_root)
            .map(|(_, a)| Arc::clone(a));
        let Some(shards) = availability
            .as_ref()
            .and_then(|a| a.shards.get(usize::from(request.shard_index)))
        else {
            stream.reset(code::REFUSED);
            return;
        };
        let messages = [
            BundleShard(shards.bundle_shard.clone()).to_bytes(),
            SegmentShards(shards.segment_shards.clone()).to_bytes(),
            Justification(shards.justification.clone()).to_bytes(),
        ];
        let _ = stream.send_all_and_finish(&messages).await;
    }

    /// Makes and sends the local validators' assurances on the best block (CE 141) unless
    /// they are `last`, the ones sent before; returns them if new. Shards that arrive after
    /// the best block was first looked at are assured then.
    fn assure(&self, last: &Assured) -> Option<Assured> {
        let (best, state) = self.guarantor.best_state()?;
        let assurances = self.guarantor.assurances(&self.spec, &*state, &best);
        let now: Assured = (
            best,
            assurances
                .iter()
                .map(|a| (a.validator_index, a.bitfield.clone()))
                .collect(),
        );
        if now == *last {
            return None;
        }
        for a in assurances {
            if let Err(e) = self.pools.add_assurance(a.clone()) {
                tracing::debug!(error = %e, "local assurance not pooled");
            }
            let message = AssuranceDistribution::from(a).to_bytes();
            for peer in self.network.peers() {
                let network = self.network.clone();
                let message = message.clone();
                self.runtime.spawn(async move {
                    let r = network
                        .request(&peer.key, CE_ASSURANCE_DISTRIBUTION, &[message])
                        .await;
                    if let Err(e) = r {
                        tracing::debug!(peer = %short(&peer.key), error = %e, "assurance not sent");
                    }
                });
            }
        }
        Some(now)
    }

    /// CE 141: pools an assurance whose signature holds under the key of the sender's
    /// validator in the best state's $\kappa$ (GP (11.13)).
    async fn receive_assurance(self: Arc<Self>, mut stream: Stream) {
        let peer = stream.peer();
        let Ok(messages) = stream.recv_to_end().await else {
            return;
        };
        let Some(Ok(m)) = (match messages.as_slice() {
            [one] => Some(AssuranceDistribution::from_bytes(one, &self.spec)),
            _ => None,
        }) else {
            stream.malformed();
            return;
        };
        let _ = stream.finish();
        let Some((_, state)) = self.guarantor.best_state() else {
            return;
        };
        let kappa = &state.components().kappa;
        let Some((v, key)) = kappa
            .iter()
            .enumerate()
            .find(|(_, k)| k.ed25519 == peer)
            .and_then(|(v, k)| Some((ValidatorIndex::try_from(v).ok()?, k.ed25519)))
        else {
            tracing::debug!(peer = %short(&peer), "assurance from a peer not in κ");
            return;
        };
        let message = marmalade_stf::assurances::signing_message(&m.anchor, &m.bitfield);
        if !ed25519::verify(&key, &message, &m.signature) {
            // An assurance under another epoch's keys is not the peer's fault.
            tracing::debug!(peer = %short(&peer), "assurance signature does not hold");
            return;
        }
        if let Err(e) = self.pools.add_assurance(m.into_assurance(v)) {
            tracing::debug!(error = %e, "received assurance not pooled");
        }
    }

    /// CE 134 sent: asks each of `cosigners` for its signature of `report`.
    async fn share(
        &self,
        core: CoreIndex,
        bundle: Vec<u8>,
        report: &WorkReport,
        cosigners: &[(ValidatorIndex, Ed25519Public)],
    ) -> Vec<(ValidatorIndex, Ed25519Signature)> {
        let hash = report_hash(report);
        let first = CoreMappings {
            core_index: core,
            mappings: Vec::new(),
        }
        .to_bytes();
        let messages = vec![first, bundle];
        let mut asks = tokio::task::JoinSet::new();
        for &(v, key) in cosigners {
            if !self.network.is_connected(&key) {
                continue;
            }
            let network = self.network.clone();
            let messages = messages.clone();
            asks.spawn(async move {
                let r = network
                    .request(&key, CE_WORK_PACKAGE_SHARING, &messages)
                    .await;
                (v, key, r)
            });
        }
        let mut out = Vec::new();
        let message = [context::GUARANTEE, &hash[..]].concat();
        while let Some(Ok((v, key, r))) = asks.join_next().await {
            let reply = match r {
                Ok(reply) => reply,
                Err(e) => {
                    tracing::debug!(peer = %short(&key), error = %e, "no CE 134 answer");
                    continue;
                }
            };
            let Some(Ok(answer)) = (match reply.as_slice() {
                [one] => Some(SharingResponse::from_bytes(one, &self.spec)),
                _ => None,
            }) else {
                self.network.report(&key, Misbehaviour::Malformed);
                continue;
            };
            if answer.report_hash != hash {
                tracing::warn!(peer = %short(&key), core, "a co-guarantor's report differs");
                continue;
            }
            if !ed25519::verify(&key, &message, &answer.signature) {
                self.network.report(&key, Misbehaviour::Malformed);
                continue;
            }
            out.push((v, answer.signature));
        }
        out
    }
}

impl GuarantorNet for WorkNet {
    fn cosign(
        &self,
        core: CoreIndex,
        bundle: &[u8],
        report: &WorkReport,
        cosigners: &[(ValidatorIndex, Ed25519Public)],
    ) -> Vec<(ValidatorIndex, Ed25519Signature)> {
        let ask = self.share(core, bundle.to_vec(), report, cosigners);
        // Called on the worker thread, never on the runtime's.
        // The timer is made inside the runtime (it needs one).
        self.runtime
            .block_on(async { tokio::time::timeout(SHARING_TIMEOUT, ask).await })
            .unwrap_or_default()
    }

    fn distribute(&self, guarantee: &ReportGuarantee, availability: Availability) {
        self.keep_availability(availability);
        let message = guarantee.to_bytes();
        for peer in self.network.peers() {
            let network = self.network.clone();
            let message = message.clone();
            self.runtime.spawn(async move {
                let r = network
                    .request(&peer.key, CE_WORK_REPORT_DISTRIBUTION, &[message])
                    .await;
                if let Err(e) = r {
                    tracing::debug!(peer = %short(&peer.key), error = %e, "guarantee not sent");
                }
            });
        }
    }
}

fn short(hash: &[u8; 32]) -> String {
    format!("{}…", hex::encode(&hash[..4]))
}
