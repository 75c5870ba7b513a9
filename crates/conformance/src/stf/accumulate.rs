//! The `stf/accumulate` vectors (GP section 12): `{input, pre_state, output, post_state}`
//! with the schema of `stf/accumulate/accumulate.asn`, and the adapter from that schema to
//! the node's accumulation.
//!
//! The vectors give service storage by raw key and requests by `(hash, length)`, while the node
//! keys every item by its state key (GP (D.2)). The adapter builds a
//! [`marmalade_state::State`] from the pre-state, runs [`accumulate_block`] on it through the
//! [`StateReader`](marmalade_state::StateReader) seam, applies the changes it returns, and
//! compares the result with the expected post-state converted the same way ([`Keyed`]).

use marmalade_accumulation::{
    accumulate_block, output_root, Accounts, CodeCache, Env, PartialState,
};
use marmalade_codec::{Decode, Encode};
use marmalade_state::account::encode_timeslots;
use marmalade_state::key::{lookup_key, preimage_key, storage_key, StateKey};
use marmalade_state::{StateChanges, StateReader};
use marmalade_types::{
    AccumulatedQueue, AuthQueue, AuthQueues, ChainSpec, Entropy, Hash, Privileges, ReadyQueue,
    ServiceActivityRecord, ServiceId, ServiceInfo, ServicesStatistics, ServicesStatisticsMapEntry,
    TimeSlot, ValidatorData, ValidatorsData, WorkReport,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// `StorageMapEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct StorageEntry {
    /// The raw storage key.
    #[serde(with = "marmalade_types::serde_hex")]
    pub key: Vec<u8>,
    /// The value.
    #[serde(with = "marmalade_types::serde_hex")]
    pub value: Vec<u8>,
}

/// `PreimagesBlobMapEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct PreimageEntry {
    /// The blob's hash.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: Hash,
    /// The blob.
    #[serde(with = "marmalade_types::serde_hex")]
    pub blob: Vec<u8>,
}

/// `PreimagesRequestsMapKey`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct RequestKey {
    /// The preimage hash.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: Hash,
    /// The preimage length.
    pub length: u32,
}

/// `PreimagesRequestsMapEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct RequestEntry {
    /// The request key.
    pub key: RequestKey,
    /// Its status: up to three timeslots.
    pub value: Vec<TimeSlot>,
}

/// `ServiceAccount`, with raw keys.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Account {
    /// The fixed-size part.
    pub service: ServiceInfo,
    /// $\mathbf{s}$.
    pub storage: Vec<StorageEntry>,
    /// $\mathbf{p}$.
    pub preimage_blobs: Vec<PreimageEntry>,
    /// $\mathbf{l}$.
    pub preimage_requests: Vec<RequestEntry>,
}

/// `AccountsMapEntry`, with raw keys.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The service index.
    pub id: ServiceId,
    /// The account.
    pub data: Account,
}

/// The vectors' `State`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct State {
    /// $\tau$: the most recent block's timeslot.
    pub slot: TimeSlot,
    /// $\eta'_0$: the posterior entropy accumulator.
    #[serde(with = "marmalade_types::serde_hex")]
    pub entropy: Entropy,
    /// $\omega$: the ready queue.
    pub ready_queue: ReadyQueue,
    /// $\xi$: the accumulated history.
    pub accumulated: AccumulatedQueue,
    /// $\chi$: the privileged services.
    pub privileges: Privileges,
    /// $\pi_S$: the service statistics.
    pub statistics: ServicesStatistics,
    /// $\delta$, with raw keys.
    pub accounts: Vec<AccountEntry>,
}

/// A block's input to accumulation.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Input {
    /// $\mathbf{H}_T = \tau'$: the block's timeslot.
    pub slot: TimeSlot,
    /// $\mathbf{R}$: the work-reports that became available.
    pub reports: Vec<WorkReport>,
}

/// The root of the accumulation outputs, the vectors' `OpaqueHash` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct Output(#[serde(with = "marmalade_types::serde_hex")] pub Hash);

/// One service's account keyed as the node keys it, for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyedAccount {
    /// The fixed-size part.
    pub service: ServiceInfo,
    /// Every item by state key, hex.
    pub items: BTreeMap<String, String>,
}

/// The vectors' state with $\delta$ keyed by state key: what is compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keyed {
    /// $\tau$.
    pub slot: TimeSlot,
    /// $\omega$.
    pub ready_queue: ReadyQueue,
    /// $\xi$.
    pub accumulated: AccumulatedQueue,
    /// $\chi$.
    pub privileges: Privileges,
    /// $\pi_S$ as accumulation sets it.
    pub statistics: ServicesStatistics,
    /// $\delta$.
    pub accounts: BTreeMap<ServiceId, KeyedAccount>,
}

impl State {
    /// The node's state for this pre-state: empty components but for $\tau$, $\omega$,
    /// $\xi$, $\chi$, and $\delta$ with every item at its state key.
    pub fn to_node_state(&self, spec: &ChainSpec) -> marmalade_state::State {
        let mut st = marmalade_state::State::empty(spec);
        st.components.tau = self.slot;
        st.components.omega = self.ready_queue.clone();
        st.components.xi = self.accumulated.clone();
        st.components.chi = self.privileges.clone();
        for e in &self.accounts {
            let s = e.id;
            st.accounts.insert(s, e.data.service);
            for x in &e.data.storage {
                st.items.insert(storage_key(s, &x.key), x.value.clone());
            }
            for x in &e.data.preimage_blobs {
                st.items.insert(preimage_key(s, &x.hash), x.blob.clone());
            }
            for x in &e.data.preimage_requests {
                st.items.insert(
                    lookup_key(s, &x.key.hash, x.key.length),
                    encode_timeslots(&x.value),
                );
            }
        }
        st
    }

    /// The keyed form of this state, for comparison.
    pub fn keyed(&self, spec: &ChainSpec) -> Keyed {
        keyed(&self.to_node_state(spec), self.statistics.clone())
    }
}

fn keyed(st: &marmalade_state::State, statistics: ServicesStatistics) -> Keyed {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Keyed {
        slot: st.components.tau,
        ready_queue: st.components.omega.clone(),
        accumulated: st.components.xi.clone(),
        privileges: st.components.chi.clone(),
        statistics,
        accounts: st
            .accounts
            .iter()
            .map(|(s, info)| {
                let items = st
                    .items
                    .service(*s)
                    .map(|(k, v): (&StateKey, &[u8])| (hex(k), hex(v)))
                    .collect();
                (
                    *s,
                    KeyedAccount {
                        service: *info,
                        items,
                    },
                )
            })
            .collect(),
    }
}

/// The services statistics $\pi_S$ accumulation produces: for each service accumulated, its
/// accumulated work-item count and gas (GP (12.26)), other fields zero.
pub fn statistics_records(stats: &BTreeMap<ServiceId, (u64, u32)>) -> ServicesStatistics {
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

/// The accumulation transition on the vectors' components: accumulates `input` on
/// `pre` and returns the posterior in keyed form and the output root. The staging set and
/// authorizer queues start empty and are dropped (the vectors do not carry them).
pub fn transition(
    spec: &ChainSpec,
    pre: &State,
    input: &Input,
    cache: &CodeCache,
) -> Result<(Keyed, Output), marmalade_accumulation::AccumulationError> {
    let prior = pre.to_node_state(spec);
    let reader: &dyn StateReader = &prior;
    let state = PartialState {
        accounts: Accounts::new(reader),
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
    let (accounts, items) = res.state.accounts.into_changes();
    let mut post = prior.derive(&StateChanges {
        accounts,
        items,
        ..Default::default()
    });
    post.components.tau = input.slot;
    post.components.omega = res.ready_queue;
    post.components.xi = res.accumulated;
    post.components.chi = res.state.privileges;
    let out = Output(output_root(&res.outputs));
    Ok((keyed(&post, statistics_records(&res.statistics)), out))
}

/// The vectors' `Output`: `ok OpaqueHash` (0), the accumulation-output root, or `err NULL`
/// (1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum CaseOutput {
    /// The transition succeeded with this accumulation-output root.
    #[codec(index = 0)]
    Ok(Output),
    /// The transition failed (the schema gives no code).
    #[codec(index = 1)]
    Err,
}

/// One `stf/accumulate` test case.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct TestCase {
    /// The block's inputs.
    pub input: Input,
    /// The prior state.
    pub pre_state: State,
    /// The expected output.
    pub output: CaseOutput,
    /// The expected posterior state (the prior state on an error).
    pub post_state: State,
}

/// Runs one `stf/accumulate` vector file.
pub fn run(path: &Path, spec: &ChainSpec) -> Result<(), String> {
    let case: TestCase = super::load(path, spec)?;
    let expected: Result<Output, ()> = match case.output {
        CaseOutput::Ok(o) => Ok(o),
        CaseOutput::Err => Err(()),
    };
    let (got, state) = match transition(spec, &case.pre_state, &case.input, &CodeCache::new()) {
        Ok((state, out)) => (Ok(out), state),
        Err(_) => (Err(()), case.pre_state.keyed(spec)),
    };
    super::check(&expected, &got, &case.post_state.keyed(spec), &state)
}
