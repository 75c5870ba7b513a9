//! Accumulation execution (GP section 12.2–12.3): the single-service accumulation
//! $\Delta_1$ (GP (12.24)), the parallelised round $\Delta_*$ (GP (12.19)), the outer
//! sequential accumulation $\Delta_+$ (GP (12.18)) and the block's final state integration
//! (GP (12.25) and after): the accumulation-output log $\theta'$, the
//! accumulation statistics and the last-accumulation slots.
//!
//! The services of one $\Delta_*$ round all start from the same partial state and are
//! independent, so they run in parallel (rayon) and their outcomes are merged in service
//! order, exactly as the GP's set-builder definitions combine them; the result does not
//! depend on the number of threads.

use super::invoke::{
    accumulate_service, AccumulationInput, AccumulationOutcome, CodeCache, DeferredTransfer, Env,
    OperandTuple,
};
use crate::error::AccumulationError as Error;
pub use crate::partial::PartialState;
use crate::queue;
use marmalade_crypto::hash::keccak_256;
use marmalade_types::{
    AccumulatedQueue, ChainSpec, Gas, Hash, Privileges, ReadyQueue, ServiceId, WorkReport,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The always-accumulate services $\chi_Z$ as a dictionary.
pub fn free_services(p: &Privileges) -> BTreeMap<ServiceId, Gas> {
    p.always_acc.iter().map(|e| (e.id, e.gas)).collect()
}

/// The total accumulation gas limit of a report: the sum of its digests' limits.
fn report_gas(r: &WorkReport) -> Gas {
    r.results
        .iter()
        .map(|d| d.accumulate_gas)
        .fold(0, Gas::saturating_add)
}

/// $\Delta_1(\mathbf{e}, \mathbf{t}, \mathbf{r}, \mathbf{f}, s)$ (GP (12.24)): accumulates
/// service `s` with its transfers (first) and work-digests, with gas
/// $\mathbf{f}_s + \sum t_g + \sum d_g$.
#[allow(clippy::too_many_arguments)]
pub fn accumulate_single(
    spec: &ChainSpec,
    env: Env,
    state: &PartialState<'_>,
    transfers: &[DeferredTransfer],
    reports: &[WorkReport],
    free: &BTreeMap<ServiceId, Gas>,
    s: ServiceId,
    cache: &CodeCache,
) -> AccumulationOutcome {
    let mut gas = free.get(&s).copied().unwrap_or(0);
    let mut inputs = Vec::new();
    for t in transfers.iter().filter(|t| t.dest == s) {
        gas = gas.saturating_add(t.gas);
        inputs.push(AccumulationInput::Transfer(t.clone()));
    }
    for r in reports {
        for d in r.results.iter().filter(|d| d.service_id == s) {
            gas = gas.saturating_add(d.accumulate_gas);
            inputs.push(AccumulationInput::Operand(OperandTuple {
                package_hash: r.package_spec.hash,
                segment_root: r.package_spec.exports_root,
                authorizer_hash: r.authorizer_hash,
                payload_hash: d.payload_hash,
                gas_limit: d.accumulate_gas,
                result: d.result.clone(),
                auth_trace: r.auth_output.clone(),
            }));
        }
    }
    accumulate_service(spec, env, state, s, gas, &inputs, cache)
}

/// The result of a $\Delta_*$ round.
#[derive(Debug, Clone)]
pub struct RoundResult<'a> {
    /// The posterior partial state.
    pub state: PartialState<'a>,
    /// $\mathbf{t}'$: the deferred transfers made, in service order.
    pub transfers: Vec<DeferredTransfer>,
    /// $\mathbf{b}$: the accumulation outputs.
    pub outputs: BTreeSet<(ServiceId, Hash)>,
    /// $\mathbf{u}$: the gas used by each accumulated service, in service order.
    pub gas_used: Vec<(ServiceId, Gas)>,
}

/// $R(o, a, b)$ (GP (12.19)): the manager's change if it made one, else the owner's.
fn replace_if_changed(o: ServiceId, a: ServiceId, b: ServiceId) -> ServiceId {
    if a == o {
        b
    } else {
        a
    }
}

/// $\Delta_*(\mathbf{e}, \mathbf{t}, \mathbf{r}, \mathbf{f})$ (GP (12.19)): accumulates every
/// service with a digest in `reports`, a free allowance in `free` or a transfer in
/// `transfers`, each from `state`, and merges their outcomes.
pub fn accumulate_parallel<'a>(
    spec: &ChainSpec,
    env: Env,
    mut state: PartialState<'a>,
    transfers: &[DeferredTransfer],
    reports: &[WorkReport],
    free: &BTreeMap<ServiceId, Gas>,
    cache: &CodeCache,
) -> Result<RoundResult<'a>, Error> {
    let services: BTreeSet<ServiceId> = reports
        .iter()
        .flat_map(|r| r.results.iter().map(|d| d.service_id))
        .chain(free.keys().copied())
        .chain(transfers.iter().map(|t| t.dest))
        .collect();
    let services: Vec<ServiceId> = services.into_iter().collect();
    let outcomes: Vec<AccumulationOutcome> = {
        let st = &state;
        let run =
            |s: &ServiceId| accumulate_single(spec, env, st, transfers, reports, free, *s, cache);
        if services.len() > 1 {
            services.par_iter().map(run).collect()
        } else {
            services.iter().map(run).collect()
        }
    };
    let by_id: BTreeMap<ServiceId, &AccumulationOutcome> =
        services.iter().copied().zip(outcomes.iter()).collect();

    // Privileges (GP (12.19)): the manager's view of (m, z); R for a, v, r; the staging
    // set from the delegator and each core's queue from its assigner.
    let prior = state.privileges.clone();
    let post_of = |s: ServiceId| by_id.get(&s).map(|o| &o.changes);
    let manager_post = post_of(prior.bless).map_or(&prior, |c| &c.privileges);
    let mut privileges = Privileges {
        bless: manager_post.bless,
        assign: prior.assign.clone(),
        designate: 0,
        register: 0,
        always_acc: manager_post.always_acc.clone(),
    };
    for (c, &o) in prior.assign.iter().enumerate() {
        let own = post_of(o).map_or(o, |ch| ch.privileges.assign.get(c).copied().unwrap_or(o));
        let managed = manager_post.assign.get(c).copied().unwrap_or(o);
        privileges.assign[c] = replace_if_changed(o, managed, own);
        if let Some(q) = post_of(o).and_then(|ch| ch.auth_queue.get(&c)) {
            if let Some(slot) = state.auth_queue.get_mut(c) {
                *slot = q.clone();
            }
        }
    }
    let v = prior.designate;
    privileges.designate = replace_if_changed(
        v,
        manager_post.designate,
        post_of(v).map_or(v, |ch| ch.privileges.designate),
    );
    let r = prior.register;
    privileges.register = replace_if_changed(
        r,
        manager_post.register,
        post_of(r).map_or(r, |ch| ch.privileges.register),
    );
    if let Some(keys) = post_of(v).and_then(|ch| ch.staging_set.clone()) {
        state.staging_set = keys;
    }
    state.privileges = privileges;

    // Accounts: d' = I((d ∪ n) \ m, ∪ p).
    let mut transfers_out = Vec::new();
    let mut outputs = BTreeSet::new();
    let mut gas_used = Vec::with_capacity(services.len());
    let mut provisions: Vec<(ServiceId, Vec<u8>)> = Vec::new();
    let mut new_accounts = BTreeMap::new();
    let mut removed = BTreeSet::new();
    for (s, o) in services.iter().copied().zip(outcomes) {
        gas_used.push((s, o.gas_used));
        if let Some(y) = o.yield_hash {
            outputs.insert((s, y));
        }
        transfers_out.extend(o.transfers);
        provisions.extend(o.provisions);
        let ch = o.changes;
        // m: prior accounts absent from the service's posterior state.
        removed.extend(
            ch.removed
                .iter()
                .filter(|id| !ch.created.contains_key(id))
                .copied(),
        );
        // n: the service's own account and the accounts it created that are not prior ones.
        if let Some(delta) = ch.own {
            if state.accounts.contains(s) {
                delta.apply(s, &mut state.accounts);
            }
        }
        for (id, a) in ch.created {
            if state.accounts.contains(id) {
                continue;
            }
            if new_accounts.insert(id, a).is_some() {
                return Err(Error::ServiceIndexCollision(id));
            }
        }
    }
    for (id, a) in new_accounts {
        state.accounts.insert(id, a);
    }
    for id in &removed {
        state.accounts.remove(*id);
    }
    // I (GP (12.19)): provisions into services still present and still requesting.
    let mut seen = BTreeSet::new();
    for (s, blob) in provisions {
        if !seen.insert((s, marmalade_crypto::hash::blake2b_256(&blob))) {
            continue;
        }
        state.accounts.provide(s, &blob, env.slot);
    }
    Ok(RoundResult {
        state,
        transfers: transfers_out,
        outputs,
        gas_used,
    })
}

/// The result of $\Delta_+$ (GP (12.18)).
#[derive(Debug, Clone)]
pub struct SequentialResult<'a> {
    /// $n$: the number of work-reports accumulated.
    pub count: usize,
    /// The posterior partial state.
    pub state: PartialState<'a>,
    /// $\mathbf{b}$: the accumulation outputs.
    pub outputs: BTreeSet<(ServiceId, Hash)>,
    /// $\mathbf{u}$: the gas used, per service and round.
    pub gas_used: Vec<(ServiceId, Gas)>,
}

/// $\Delta_+(g, \mathbf{t}, \mathbf{r}, \mathbf{e}, \mathbf{f})$ (GP (12.18)): rounds of
/// $\Delta_*$, each taking the longest prefix of the remaining reports that fits the gas
/// left and the transfers of the previous round, until nothing is left to accumulate.
#[allow(clippy::too_many_arguments)]
pub fn accumulate_sequential<'a>(
    spec: &ChainSpec,
    env: Env,
    gas_limit: Gas,
    transfers: Vec<DeferredTransfer>,
    reports: &[WorkReport],
    state: PartialState<'a>,
    free: &BTreeMap<ServiceId, Gas>,
    cache: &CodeCache,
) -> Result<SequentialResult<'a>, Error> {
    let mut g = gas_limit;
    let mut t = transfers;
    let mut r = reports;
    let mut f = free.clone();
    let mut state = state;
    let mut count = 0;
    let mut outputs = BTreeSet::new();
    let mut gas_used = Vec::new();
    loop {
        let mut i = 0;
        let mut sum: Gas = 0;
        for rep in r {
            match sum.checked_add(report_gas(rep)) {
                Some(s) if s <= g => sum = s,
                _ => break,
            }
            i += 1;
        }
        if t.len() + i + f.len() == 0 {
            break;
        }
        let g_star = t.iter().map(|t| t.gas).fold(g, Gas::saturating_add);
        let round = accumulate_parallel(spec, env, state, &t, &r[..i], &f, cache)?;
        let used = round
            .gas_used
            .iter()
            .map(|(_, u)| *u)
            .fold(0, Gas::saturating_add);
        count += i;
        outputs.extend(round.outputs);
        gas_used.extend(round.gas_used);
        state = round.state;
        t = round.transfers;
        r = &r[i..];
        f = BTreeMap::new();
        g = g_star.saturating_sub(used);
    }
    Ok(SequentialResult {
        count,
        state,
        outputs,
        gas_used,
    })
}

/// What a block's accumulation produces (GP (12.25) and after).
#[derive(Debug, Clone)]
pub struct BlockAccumulation<'a> {
    /// $(\delta^\ddagger, \iota', \varphi', \chi')$: the posterior partial state, with the
    /// last-accumulation slots updated.
    pub state: PartialState<'a>,
    /// $\omega'$.
    pub ready_queue: ReadyQueue,
    /// $\xi'$.
    pub accumulated: AccumulatedQueue,
    /// $\theta'$: the accumulation outputs, ordered by service then hash.
    pub outputs: Vec<(ServiceId, Hash)>,
    /// The accumulation statistics: for each service, $(G(s), N(s))$, the gas used and the
    /// number of work-items accumulated (GP (12.29)).
    pub statistics: BTreeMap<ServiceId, (Gas, u32)>,
    /// $n$: the number of work-reports accumulated.
    pub count: usize,
}

/// The root of the accumulation outputs, $\mathcal{M}_B(\mathbf{s}, \mathcal{H}_K)$ with
/// $\mathbf{s} = [\mathcal{E}_4(s) \frown \mathcal{E}(h)]$ (GP (7.7)).
pub fn output_root(outputs: &[(ServiceId, Hash)]) -> Hash {
    let leaves: Vec<Vec<u8>> = outputs
        .iter()
        .map(|(s, h)| {
            let mut l = s.to_le_bytes().to_vec();
            l.extend_from_slice(h);
            l
        })
        .collect();
    marmalade_merkle::binary::merkle_root_wb(&leaves, keccak_256)
}

/// A block's accumulation (GP 12.1–12.3): the available reports `reports` at slot
/// `env.slot` after a block at `prior_slot`, against the ready queue and history and the
/// partial state. `cache` holds decoded service code; a node keeps one across blocks.
#[allow(clippy::too_many_arguments)]
pub fn accumulate_block<'a>(
    spec: &ChainSpec,
    env: Env,
    prior_slot: u32,
    ready: &ReadyQueue,
    accumulated: &AccumulatedQueue,
    state: PartialState<'a>,
    reports: &[WorkReport],
    cache: &CodeCache,
) -> Result<BlockAccumulation<'a>, Error> {
    let acc = queue::accumulatable(spec, env.slot, ready, accumulated, reports);
    let free = free_services(&state.privileges);
    let free_gas = free.values().fold(0, |a: Gas, g| a.saturating_add(*g));
    let g = spec.block_accumulate_gas.max(
        spec.report_accumulate_gas
            .saturating_mul(spec.cores as u64)
            .saturating_add(free_gas),
    );
    let res = accumulate_sequential(spec, env, g, Vec::new(), &acc.reports, state, &free, cache)?;
    let done = &acc.reports[..res.count];
    let mut statistics: BTreeMap<ServiceId, (Gas, u32)> = BTreeMap::new();
    for (s, u) in &res.gas_used {
        let e = statistics.entry(*s).or_default();
        e.0 = e.0.saturating_add(*u);
    }
    for d in done.iter().flat_map(|r| r.results.iter()) {
        let e = statistics.entry(d.service_id).or_default();
        e.1 = e.1.saturating_add(1);
    }
    statistics.retain(|_, (g, n)| *g != 0 || *n != 0);
    let mut state = res.state;
    for s in statistics.keys() {
        if let Some(mut info) = state.accounts.info(*s) {
            info.last_accumulation_slot = env.slot;
            state.accounts.set_info(*s, info);
        }
    }
    let (ready_queue, accumulated) = queue::update(
        spec,
        prior_slot,
        env.slot,
        ready,
        accumulated,
        acc.queued,
        done,
    );
    Ok(BlockAccumulation {
        state,
        ready_queue,
        accumulated,
        outputs: res.outputs.into_iter().collect(),
        statistics,
        count: res.count,
    })
}

#[cfg(test)]
mod tests;
