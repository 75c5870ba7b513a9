//! Accumulation (GP section 12, the accumulate invocation $\Psi_A$ of appendix B.4 and its
//! host calls, service accounts of section 9).
//!
//! - [`account`]: service accounts $\mathbb{A}$, footprints and threshold balances.
//! - [`queue`]: the ready queue $\vartheta$ and history $\xi$ (GP 12.1).
//! - [`invoke`]: $\Psi_A$ with its implications context pair and `checkpoint` (GP B.4).
//! - [`host`]: the host calls (GP B.6, B.7) and JIP-1 `log`.
//! - [`pipeline`]: $\Delta_1$, $\Delta_*$, $\Delta_+$ and the block's final integration
//!   (GP 12.2–12.3).
//!
//! [`transition`] is the vectors' view of a block's accumulation: it takes the components of
//! `stf/accumulate` (the ready queue, history, privileges, service accounts and statistics)
//! and the newly available reports, and returns the posterior components and the root of
//! the accumulation outputs. Block import uses [`pipeline::accumulate_block`] directly, which
//! also carries the staging set $\iota$ and authorizer queues $\varphi$ that `designate` and
//! `assign` write and that the vectors do not include.

pub mod account;
pub mod host;
pub mod invoke;
pub mod pipeline;
pub mod queue;

pub use account::{Accounts, ServiceAccount};
pub use invoke::{AccumulationInput, CodeCache, DeferredTransfer, Env, OperandTuple};
pub use pipeline::{accumulate_block, output_root, BlockAccumulation, PartialState};

use marmalade_codec::{Decode, Encode};
use marmalade_types::{
    AccumulatedQueue, AuthQueue, AuthQueues, ChainSpec, Entropy, Hash, Privileges, ReadyQueue,
    ServiceActivityRecord, ServiceId, ServicesStatistics, ServicesStatisticsMapEntry, TimeSlot,
    ValidatorData, ValidatorsData, WorkReport,
};
use serde::{Deserialize, Serialize};

/// The accumulation state components of the vectors' `State`, in the vectors' schema: service
/// storage by raw key and requests by `(hash, length)` ([`account::wire`]).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct State {
    /// $\tau$: the most recent block's timeslot.
    pub slot: TimeSlot,
    /// $\eta'_0$: the posterior entropy accumulator (for new service indices, GP eq:accinvocation).
    #[serde(with = "marmalade_types::serde_hex")]
    pub entropy: Entropy,
    /// $\vartheta$: the reports ready but waiting on dependencies (GP eq:readyspec).
    pub ready_queue: ReadyQueue,
    /// $\xi$: the work-packages accumulated in each of the last $\mathsf{E}$ blocks
    /// (GP eq:accumulatedspec).
    pub accumulated: AccumulatedQueue,
    /// $\chi$: the privileged services (GP eq:privilegesspec).
    pub privileges: Privileges,
    /// $\pi_S$: the service statistics, of which accumulation sets the accumulate count and
    /// gas (GP eq:accumulationstatisticsdef).
    pub statistics: ServicesStatistics,
    /// $\delta$: the service accounts (GP eq:serviceaccounts), with raw keys.
    pub accounts: account::wire::RawAccounts,
}

impl State {
    /// The same components with the accounts keyed by state key ([`Accounts`]), the form
    /// [`transition`] works on. (The way back does not exist: state keys hash the raw keys.)
    pub fn keyed(&self) -> KeyedState {
        KeyedState {
            slot: self.slot,
            entropy: self.entropy,
            ready_queue: self.ready_queue.clone(),
            accumulated: self.accumulated.clone(),
            privileges: self.privileges.clone(),
            statistics: self.statistics.clone(),
            accounts: account::wire::keyed(&self.accounts),
        }
    }
}

/// The vectors' accumulation state components with the service accounts keyed by state key,
/// as a node holds them ([`account`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedState {
    /// $\tau$: the most recent block's timeslot.
    pub slot: TimeSlot,
    /// $\eta'_0$: the posterior entropy accumulator.
    #[serde(with = "marmalade_types::serde_hex")]
    pub entropy: Entropy,
    /// $\vartheta$: the ready queue.
    pub ready_queue: ReadyQueue,
    /// $\xi$: the accumulated history.
    pub accumulated: AccumulatedQueue,
    /// $\chi$: the privileged services.
    pub privileges: Privileges,
    /// $\pi_S$: the service statistics.
    pub statistics: ServicesStatistics,
    /// $\delta$: the service accounts.
    pub accounts: Accounts,
}

/// A block's input to accumulation.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Input {
    /// $\mathbf{H}_T$ = $\tau'$: the block's timeslot.
    pub slot: TimeSlot,
    /// $\mathbf{R}$: the work-reports that became available (GP 11.2).
    pub reports: Vec<WorkReport>,
}

/// The root of the block's accumulation outputs $\theta'$, $\mathcal{M}_B$ with Keccak
/// (GP eq:accoutbeltdef), the vectors' `OpaqueHash` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Output(#[serde(with = "marmalade_types::serde_hex")] pub Hash);

/// Why a block's accumulation is invalid. The vectors' schema has no error codes (`err
/// NULL`); the GP names one way for accumulation to invalidate a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Error {
    /// Two services created an account with the same new index in one round (GP 12.2, the
    /// note after eq:accpar; GP B.4 after eq:newserviceindex): the block is invalid.
    #[error("two services created service {0} in the same round")]
    ServiceIndexCollision(ServiceId),
}

/// The services statistics $\pi_S$ accumulation produces: for each service accumulated,
/// its accumulated work-item count and gas (GP eq:accumulationstatisticsdef), other fields zero.
pub fn statistics_records(
    stats: &std::collections::BTreeMap<ServiceId, (u64, u32)>,
) -> ServicesStatistics {
    stats
        .iter()
        .map(|(&id, &(gas, count))| ServicesStatisticsMapEntry {
            id,
            record: ServiceActivityRecord {
                accumulate_count: count,
                accumulate_gas_used: gas,
                ..Default::default()
            },
        })
        .collect()
}

/// The accumulation transition on the vectors' components (keyed: [`State::keyed`]). The staging set and
/// authorizer queues start empty and are dropped (the vectors do not carry them).
pub fn transition(
    spec: &ChainSpec,
    pre: &KeyedState,
    input: &Input,
) -> Result<(KeyedState, Output), Error> {
    transition_cached(spec, pre, input, &CodeCache::new())
}

/// [`transition`] with decoded service code kept in `cache` (across blocks).
pub fn transition_cached(
    spec: &ChainSpec,
    pre: &KeyedState,
    input: &Input,
    cache: &CodeCache,
) -> Result<(KeyedState, Output), Error> {
    let state = PartialState {
        accounts: pre.accounts.clone(),
        staging_set: ValidatorsData(vec![ValidatorData::NULL; spec.validators]),
        auth_queue: AuthQueues(vec![AuthQueue::default(); spec.cores]),
        privileges: pre.privileges.clone(),
    };
    let env = Env {
        slot: input.slot,
        entropy: pre.entropy,
    };
    let res = accumulate_block(
        spec,
        env,
        pre.slot,
        &pre.ready_queue,
        &pre.accumulated,
        state,
        &input.reports,
        cache,
    )?;
    let post = KeyedState {
        slot: input.slot,
        entropy: pre.entropy,
        ready_queue: res.ready_queue,
        accumulated: res.accumulated,
        privileges: res.state.privileges,
        statistics: statistics_records(&res.statistics),
        accounts: res.state.accounts,
    };
    Ok((post, Output(output_root(&res.outputs))))
}
