//! History and queuing (GP section 12.1): the accumulated history $\xi$, the ready queue
//! $\omega$, the dependency function $D$, the queue-editing function $E$, the priority
//! function $Q$, the package-hash function $P$, the accumulatable sequence
//! $\mathbf{R}^*$ and the posterior $\xi'$, $\omega'$ (GP 12.1, and the end of 12.3).
//!
//! A ready record is the vectors' [`ReadyRecord`]: the report and its unaccumulated
//! dependencies, kept as a sorted, duplicate-free list (a set in the GP).

use marmalade_types::{
    AccumulatedQueue, ChainSpec, Hash, ReadyQueue, ReadyRecord, TimeSlot, WorkReport,
};
use std::collections::HashSet;

/// The set type used for "already accumulated" package hashes.
pub type HashSetOf = HashSet<Hash>;

/// $D(r)$ (GP 12.1, $D$): the report with its dependencies, the prerequisites and the
/// segment-root lookup keys, as a sorted set.
pub fn with_dependencies(r: &WorkReport) -> ReadyRecord {
    let mut deps: Vec<Hash> = r
        .context
        .prerequisites
        .iter()
        .copied()
        .chain(r.segment_root_lookup.iter().map(|l| l.work_package_hash))
        .collect();
    deps.sort_unstable();
    deps.dedup();
    ReadyRecord {
        report: r.clone(),
        dependencies: deps,
    }
}

/// Whether a report has no dependencies: $|\mathbf{p}| = 0 \wedge \mathbf{l} = \{\}$
/// (GP 12.1, $\mathbf{R}^!$).
pub fn is_immediate(r: &WorkReport) -> bool {
    r.context.prerequisites.is_empty() && r.segment_root_lookup.is_empty()
}

/// $E(\mathbf{r}, \mathbf{x})$ (GP 12.1): drops the records whose package is in `x` and
/// removes `x` from the remaining records' dependencies.
pub fn edit(records: Vec<ReadyRecord>, x: &HashSetOf) -> Vec<ReadyRecord> {
    if x.is_empty() {
        return records;
    }
    records
        .into_iter()
        .filter(|r| !x.contains(&r.report.package_spec.hash))
        .map(|mut r| {
            r.dependencies.retain(|d| !x.contains(d));
            r
        })
        .collect()
}

/// $P(\mathbf{r})$ (GP 12.1): the work-package hashes of the reports.
pub fn package_hashes<'a>(reports: impl IntoIterator<Item = &'a WorkReport>) -> HashSetOf {
    reports.into_iter().map(|r| r.package_spec.hash).collect()
}

/// $Q(\mathbf{r})$ (GP 12.1): the reports that become accumulatable, in order, as their
/// dependencies are met by earlier ones.
pub fn priority(mut records: Vec<ReadyRecord>) -> Vec<WorkReport> {
    let mut out = Vec::new();
    loop {
        let (ready, waiting): (Vec<_>, Vec<_>) =
            records.into_iter().partition(|r| r.dependencies.is_empty());
        if ready.is_empty() {
            return out;
        }
        let done = package_hashes(ready.iter().map(|r| &r.report));
        out.extend(ready.into_iter().map(|r| r.report));
        records = edit(waiting, &done);
    }
}

/// The ready queue's items in rotation order from slot `m`: $\omega_{m\dots} \frown
/// \omega_{\dots m}$ (GP 12.1, $\mathbf{q}$).
fn rotated(ready: &ReadyQueue, m: usize) -> impl Iterator<Item = &ReadyRecord> {
    let m = m.min(ready.len());
    ready[m..]
        .iter()
        .chain(ready[..m].iter())
        .flat_map(|slot| slot.iter())
}

/// The split of a block's newly available reports (GP 12.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accumulatable {
    /// $\mathbf{R}^*$: the reports to accumulate in order, $\mathbf{R}^! \frown Q(\mathbf{q})$.
    pub reports: Vec<WorkReport>,
    /// $\mathbf{R}^Q$: the new reports with dependencies, edited by the history.
    pub queued: Vec<ReadyRecord>,
}

/// $\mathbf{R}^*$ and $\mathbf{R}^Q$ for the available reports `available` at slot
/// $\tau'$ = `slot` (GP 12.1).
pub fn accumulatable(
    spec: &ChainSpec,
    slot: TimeSlot,
    ready: &ReadyQueue,
    accumulated: &AccumulatedQueue,
    available: &[WorkReport],
) -> Accumulatable {
    let history: HashSetOf = accumulated.iter().flatten().copied().collect();
    let (immediate, deferred): (Vec<&WorkReport>, Vec<&WorkReport>) =
        available.iter().partition(|r| is_immediate(r));
    let queued = edit(
        deferred.into_iter().map(with_dependencies).collect(),
        &history,
    );
    let m = spec.slot_phase(slot) as usize;
    let done_now = package_hashes(immediate.iter().copied());
    let q = edit(
        rotated(ready, m)
            .cloned()
            .chain(queued.iter().cloned())
            .collect(),
        &done_now,
    );
    let mut reports: Vec<WorkReport> = immediate.into_iter().cloned().collect();
    reports.extend(priority(q));
    Accumulatable { reports, queued }
}

/// $\xi'$ and $\omega'$ (GP 12.3, end): shifts the history by one, appending the
/// packages accumulated now (sorted, as the set is serialized), and rotates the ready queue
/// by the slots elapsed, placing $E(\mathbf{R}^Q, \xi'_{\mathsf{E}-1})$ at slot $m$.
pub fn update(
    spec: &ChainSpec,
    prior_slot: TimeSlot,
    slot: TimeSlot,
    ready: &ReadyQueue,
    accumulated: &AccumulatedQueue,
    queued: Vec<ReadyRecord>,
    accumulated_now: &[WorkReport],
) -> (ReadyQueue, AccumulatedQueue) {
    let e = spec.epoch_len();
    let mut newest: Vec<Hash> = accumulated_now
        .iter()
        .map(|r| r.package_spec.hash)
        .collect();
    newest.sort_unstable();
    newest.dedup();
    let mut history: Vec<Vec<Hash>> = accumulated.iter().skip(1).cloned().collect();
    history.resize(e.saturating_sub(1), Vec::new());
    history.push(newest.clone());
    let newest: HashSetOf = newest.into_iter().collect();

    let m = spec.slot_phase(slot) as usize;
    // τ' − τ, as a number of slots (a block that does not advance keeps every item).
    let elapsed = slot.saturating_sub(prior_slot) as usize;
    let mut out: Vec<Vec<ReadyRecord>> = vec![Vec::new(); e];
    for i in 0..e {
        let idx = (m + e - i) % e;
        out[idx] = if i == 0 {
            edit(queued.clone(), &newest)
        } else if i < elapsed {
            Vec::new()
        } else {
            edit(ready.get(idx).cloned().unwrap_or_default(), &newest)
        };
    }
    (ReadyQueue(out), AccumulatedQueue(history))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(pkg: u8, prereqs: &[u8]) -> WorkReport {
        let mut r = WorkReport::default();
        r.package_spec.hash = [pkg; 32];
        r.context.prerequisites = prereqs.iter().map(|p| [*p; 32]).collect();
        r
    }

    #[test]
    fn priority_follows_dependency_chains() {
        // 3 depends on 2, 2 on 1, 1 on nothing; 4 on an unknown package.
        let recs = [
            report(3, &[2]),
            report(4, &[9]),
            report(2, &[1]),
            report(1, &[]),
        ]
        .iter()
        .map(with_dependencies)
        .collect();
        let order: Vec<u8> = priority(recs)
            .iter()
            .map(|r| r.package_spec.hash[0])
            .collect();
        assert_eq!(order, vec![1, 2, 3]);
    }

    #[test]
    fn self_dependency_is_never_ready() {
        let recs = vec![with_dependencies(&report(5, &[5]))];
        assert!(priority(recs).is_empty());
    }

    #[test]
    fn edit_drops_done_and_their_edges() {
        let recs: Vec<_> = [report(1, &[]), report(2, &[1, 7])]
            .iter()
            .map(with_dependencies)
            .collect();
        let done: HashSetOf = [[1u8; 32]].into_iter().collect();
        let out = edit(recs, &done);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dependencies, vec![[7u8; 32]]);
    }

    #[test]
    fn update_rotates_and_clears_skipped_slots() {
        let spec = ChainSpec::TINY;
        let e = spec.epoch_len();
        let mut ready = ReadyQueue(vec![Vec::new(); e]);
        for (i, slot) in ready.iter_mut().enumerate() {
            slot.push(with_dependencies(&report(100 + i as u8, &[200])));
        }
        let acc = AccumulatedQueue(vec![Vec::new(); e]);
        // τ = 13 (m = 1) to τ' = 16 (m = 4): slots 2 and 3 are cleared, 4 gets the new ones.
        let (r, a) = update(&spec, 13, 16, &ready, &acc, vec![], &[report(1, &[])]);
        assert_eq!(a[e - 1], vec![[1u8; 32]]);
        assert!(r[4].is_empty() && r[3].is_empty() && r[2].is_empty());
        assert_eq!(r[1].len(), 1);
        assert_eq!(r[5].len(), 1);
    }
}
