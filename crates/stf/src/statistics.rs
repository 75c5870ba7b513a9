//! Activity statistics (GP section 13): the per-epoch validator records $\pi_V$ (accumulator)
//! and $\pi_L$ (previous epoch), and the per-block core and service records $\pi_C$, $\pi_S$.
//!
//! [`validator_statistics`] is the validator-statistics transition (GP (13.3)–(13.5)), which
//! the `stf/statistics` vectors test. [`core_statistics`] (GP (13.8)–(13.11)) and [`service_statistics`]
//! (GP (13.12)–(13.16)) are the pure functions block import composes from the other
//! subsystems' intermediate values: the incoming reports $\mathbf{I}$ of the guarantees, the
//! newly available reports $\mathbf{R}$ of the assurances, and the accumulation statistics
//! $\mathbf{S}$.
//!
//! The GP's counters are naturals; the serialized records have fixed widths (GP C.2 and the
//! `*ActivityRecord` types), so every counter saturates at its field's maximum rather than
//! wrap.

use marmalade_types::{
    AssurancesExtrinsic, ChainSpec, CoreActivityRecord, CoresStatistics, Ed25519Public, Extrinsic,
    Gas, GuaranteesExtrinsic, PreimagesExtrinsic, ServiceActivityRecord, ServiceId,
    ServicesStatistics, ServicesStatisticsMapEntry, TimeSlot, ValidatorActivityRecord,
    ValidatorIndex, ValidatorsData, ValidatorsStatistics, WorkReport,
};
use std::collections::{BTreeMap, BTreeSet};

/// What a block contributes to the validator statistics.
#[derive(Debug, Clone, Copy)]
pub struct BlockActivity<'a> {
    /// $\mathbf{H}_t$: the block's timeslot, $\tau'$.
    pub slot: TimeSlot,
    /// $\mathbf{H}_i$: the block author.
    pub author_index: ValidatorIndex,
    /// $\mathbf{E}$: the extrinsic (its tickets, preimages and assurances are counted).
    pub extrinsic: &'a Extrinsic,
    /// $\mathbf{G}$: the reporters set, the Ed25519 keys of the guarantors that signed the
    /// block's guarantees (GP (11.25)), as the reports subsystem outputs it.
    pub reporters: &'a BTreeSet<Ed25519Public>,
}

/// The reporters set $\mathbf{G}$ (GP (11.25)) when every guarantee's credentials index
/// $\kappa'$: the keys $\kappa'[v]_e$ for each credential $(v, s)$ of each guarantee.
///
/// The GP takes the keys from the guarantor assignment the guarantee was made under, $\mathbf{M}$
/// or $\mathbf{M}^*$ (GP (11.20), (11.21)); these are $\Phi(\kappa')$ except for a guarantee of the
/// previous rotation across an epoch boundary, which uses $\Phi(\lambda')$, and except that
/// $\Phi$ nulls offenders' keys. The statistics vectors give neither $\lambda'$ nor the
/// offenders (their guarantees are placeholders, see their README), so their runner uses this;
/// block import passes the reports subsystem's `reporters` output instead.
pub fn reporters_in(
    validators: &ValidatorsData,
    guarantees: &GuaranteesExtrinsic,
) -> BTreeSet<Ed25519Public> {
    guarantees
        .iter()
        .flat_map(|g| &g.signatures)
        .filter_map(|s| validators.get(usize::from(s.validator_index)))
        .map(|k| k.ed25519)
        .collect()
}

/// $(\pi_V', \pi_L')$ from $\pi_V$, $\pi_L$, the prior timeslot $\tau$, the posterior
/// validators $\kappa'$ and the block (GP (13.3)–(13.5)).
///
/// On an epoch change ($\lfloor\tau/\mathsf{E}\rfloor \ne \lfloor\tau'/\mathsf{E}\rfloor$) the
/// accumulator becomes $\pi_L'$ and restarts from zero; then the author gains a block and the
/// extrinsic's tickets and preimages, every validator whose key is a reporter a guarantee,
/// and every assurer an assurance.
pub fn validator_statistics(
    spec: &ChainSpec,
    prior_slot: TimeSlot,
    curr: &ValidatorsStatistics,
    last: &ValidatorsStatistics,
    posterior_validators: &ValidatorsData,
    block: &BlockActivity<'_>,
) -> (ValidatorsStatistics, ValidatorsStatistics) {
    let (mut acc, last) = if spec.epoch_of(block.slot) == spec.epoch_of(prior_slot) {
        (curr.clone(), last.clone())
    } else {
        (
            ValidatorsStatistics(vec![ValidatorActivityRecord::default(); spec.validators]),
            curr.clone(),
        )
    };

    let e = block.extrinsic;
    let tickets = sat32(e.tickets.len() as u64);
    let preimages = sat32(e.preimages.len() as u64);
    let preimages_size = sat32(e.preimages.iter().map(|p| p.blob.len() as u64).sum());
    let assurers: BTreeSet<ValidatorIndex> =
        e.assurances.iter().map(|a| a.validator_index).collect();

    for (v, record) in acc.iter_mut().enumerate() {
        if v == usize::from(block.author_index) {
            record.blocks = record.blocks.saturating_add(1);
            record.tickets = record.tickets.saturating_add(tickets);
            record.pre_images = record.pre_images.saturating_add(preimages);
            record.pre_images_size = record.pre_images_size.saturating_add(preimages_size);
        }
        // κ'[v] ∈ G: once per block however many guarantees the validator signed.
        if posterior_validators
            .get(v)
            .is_some_and(|k| block.reporters.contains(&k.ed25519))
        {
            record.guarantees = record.guarantees.saturating_add(1);
        }
        if u16::try_from(v).is_ok_and(|v| assurers.contains(&v)) {
            record.assurances = record.assurances.saturating_add(1);
        }
    }
    (acc, last)
}

/// $\pi_C'$, the block's core statistics (GP (13.8)–(13.11)), from the incoming reports
/// $\mathbf{I}$ (those of $\mathbf{E}_G$), the newly available reports $\mathbf{R}$ and the
/// assurances $\mathbf{E}_A$:
/// - $i, x, z, e, u$: the sums of the imports, extrinsic count and size, exports and refine
///   gas over the digests of the incoming reports on the core ($R(c)$);
/// - $l$: the sum of the incoming reports' bundle lengths ($L(c)$);
/// - $d$: over the available reports on the core, bundle length plus
///   $\mathsf{W}_G\lceil n \cdot 65/64\rceil$ for their $n$ exported segments ($D(c)$);
/// - $p$: the number of assurances with the core's bit set.
///
/// Reports naming a core beyond $\mathsf{C}$ are ignored (validation rejects them earlier).
pub fn core_statistics<'a>(
    spec: &ChainSpec,
    incoming: impl IntoIterator<Item = &'a WorkReport>,
    available: impl IntoIterator<Item = &'a WorkReport>,
    assurances: &AssurancesExtrinsic,
) -> CoresStatistics {
    #[derive(Default, Clone, Copy)]
    struct Sums {
        imports: u64,
        extrinsic_count: u64,
        extrinsic_size: u64,
        exports: u64,
        gas_used: u64,
        bundle_size: u64,
        da_load: u64,
        popularity: u64,
    }
    let mut sums = vec![Sums::default(); spec.cores];

    for r in incoming {
        let Some(s) = sums.get_mut(usize::from(r.core_index)) else {
            continue;
        };
        for d in &r.results {
            let l = &d.refine_load;
            s.imports = s.imports.saturating_add(l.imports.into());
            s.extrinsic_count = s.extrinsic_count.saturating_add(l.extrinsic_count.into());
            s.extrinsic_size = s.extrinsic_size.saturating_add(l.extrinsic_size.into());
            s.exports = s.exports.saturating_add(l.exports.into());
            s.gas_used = s.gas_used.saturating_add(l.gas_used);
        }
        s.bundle_size = s.bundle_size.saturating_add(r.package_spec.length.into());
    }

    let segment_size = spec.segment_size() as u64;
    for r in available {
        let Some(s) = sums.get_mut(usize::from(r.core_index)) else {
            continue;
        };
        // ⌈n · 65/64⌉: the exported segments plus their paged-proof segments.
        let n = u64::from(r.package_spec.exports_count);
        let segments = (n * 65).div_ceil(64);
        let load = u64::from(r.package_spec.length).saturating_add(segment_size * segments);
        s.da_load = s.da_load.saturating_add(load);
    }

    for a in assurances {
        for (c, s) in sums.iter_mut().enumerate() {
            if a.is_available(c) {
                s.popularity += 1;
            }
        }
    }

    CoresStatistics(
        sums.into_iter()
            .map(|s| CoreActivityRecord {
                da_load: sat32(s.da_load),
                popularity: sat16(s.popularity),
                imports: sat16(s.imports),
                extrinsic_count: sat16(s.extrinsic_count),
                extrinsic_size: sat32(s.extrinsic_size),
                exports: sat16(s.exports),
                bundle_size: sat32(s.bundle_size),
                gas_used: s.gas_used,
            })
            .collect(),
    )
}

/// The accumulation statistics $\mathbf{S}$ (GP section 12.3, "Final State Integration"): for each service
/// accumulated in the block, $(G(s), N(s))$, the gas used and the number of work-items
/// accumulated.
pub type AccumulationStatistics = BTreeMap<ServiceId, (Gas, u32)>;

/// $\pi_S'$, the block's service statistics (GP (13.12)–(13.16)), for the services
/// $\mathbf{s}^R \cup \mathbf{s}^P \cup \mathcal{K}(\mathbf{S})$ that had work-digests reported,
/// preimages provided or items accumulated:
/// - $r$: (digests reported, refine gas), and $i, x, z, e$: the sums of the imports,
///   extrinsic count and size and exports, over the service's digests in the incoming reports;
/// - $p$: (preimages provided, their total octets) in $\mathbf{E}_P$;
/// - $a$: $\mathbf{S}[s]$ as (count, gas), or $(0, 0)$.
///
/// Sorted by service index, as the dictionary serializes.
pub fn service_statistics<'a>(
    incoming: impl IntoIterator<Item = &'a WorkReport>,
    preimages: &PreimagesExtrinsic,
    accumulation: &AccumulationStatistics,
) -> ServicesStatistics {
    #[derive(Default)]
    struct Sums {
        provided_count: u64,
        provided_size: u64,
        refinement_count: u64,
        refinement_gas_used: u64,
        imports: u64,
        extrinsic_count: u64,
        extrinsic_size: u64,
        exports: u64,
    }
    let mut sums: BTreeMap<ServiceId, Sums> = BTreeMap::new();

    for d in incoming.into_iter().flat_map(|r| &r.results) {
        let s = sums.entry(d.service_id).or_default();
        let l = &d.refine_load;
        s.refinement_count += 1;
        s.refinement_gas_used = s.refinement_gas_used.saturating_add(l.gas_used);
        s.imports = s.imports.saturating_add(l.imports.into());
        s.extrinsic_count = s.extrinsic_count.saturating_add(l.extrinsic_count.into());
        s.extrinsic_size = s.extrinsic_size.saturating_add(l.extrinsic_size.into());
        s.exports = s.exports.saturating_add(l.exports.into());
    }
    for p in preimages {
        let s = sums.entry(p.requester).or_default();
        s.provided_count += 1;
        s.provided_size = s.provided_size.saturating_add(p.blob.len() as u64);
    }
    for id in accumulation.keys() {
        sums.entry(*id).or_default();
    }

    sums.into_iter()
        .map(|(id, s)| {
            let (accumulate_gas_used, accumulate_count) =
                accumulation.get(&id).copied().unwrap_or((0, 0));
            ServicesStatisticsMapEntry {
                id,
                record: ServiceActivityRecord {
                    provided_count: sat16(s.provided_count),
                    provided_size: sat32(s.provided_size),
                    refinement_count: sat32(s.refinement_count),
                    refinement_gas_used: s.refinement_gas_used,
                    imports: sat32(s.imports),
                    extrinsic_count: sat32(s.extrinsic_count),
                    extrinsic_size: sat32(s.extrinsic_size),
                    exports: sat32(s.exports),
                    accumulate_count,
                    accumulate_gas_used,
                },
            }
        })
        .collect()
}

fn sat32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

fn sat16(x: u64) -> u16 {
    u16::try_from(x).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestState {
        vals_curr_stats: ValidatorsStatistics,
        vals_last_stats: ValidatorsStatistics,
        slot: TimeSlot,
        curr_validators: ValidatorsData,
    }

    struct Input {
        slot: TimeSlot,
        author_index: ValidatorIndex,
        extrinsic: Extrinsic,
    }

    /// $(\pi_V', \pi_L')$ with the reporters taken from $\kappa'$, as the vectors do.
    fn run(spec: &ChainSpec, pre: &TestState, input: &Input) -> TestState {
        let reporters = reporters_in(&pre.curr_validators, &input.extrinsic.guarantees);
        let activity = BlockActivity {
            slot: input.slot,
            author_index: input.author_index,
            extrinsic: &input.extrinsic,
            reporters: &reporters,
        };
        let (curr, last) = validator_statistics(
            spec,
            pre.slot,
            &pre.vals_curr_stats,
            &pre.vals_last_stats,
            &pre.curr_validators,
            &activity,
        );
        TestState {
            vals_curr_stats: curr,
            vals_last_stats: last,
            slot: pre.slot,
            curr_validators: pre.curr_validators.clone(),
        }
    }
    use marmalade_types::{
        AvailAssurance, AvailabilitySpec, Preimage, RefineLoad, ReportGuarantee, ValidatorData,
        ValidatorSignature, WorkDigest,
    };

    fn digest(service: ServiceId, gas: Gas, i: u16, x: u16, z: u32, e: u16) -> WorkDigest {
        WorkDigest {
            service_id: service,
            refine_load: RefineLoad {
                gas_used: gas,
                imports: i,
                extrinsic_count: x,
                extrinsic_size: z,
                exports: e,
            },
            ..WorkDigest::default()
        }
    }

    fn report(core: u16, length: u32, exports: u16, results: Vec<WorkDigest>) -> WorkReport {
        WorkReport {
            core_index: core,
            package_spec: AvailabilitySpec {
                length,
                exports_count: exports,
                ..AvailabilitySpec::default()
            },
            results,
            ..WorkReport::default()
        }
    }

    fn assurance(v: u16, bits: u8) -> AvailAssurance {
        AvailAssurance {
            anchor: [0; 32],
            bitfield: vec![bits],
            validator_index: v,
            signature: [0; 64],
        }
    }

    #[test]
    fn core_statistics_follow_gp_13_8() {
        let spec = ChainSpec::TINY;
        let incoming = [
            report(
                0,
                1000,
                0,
                vec![digest(5, 100, 1, 2, 30, 4), digest(6, 50, 10, 20, 300, 40)],
            ),
            report(1, 77, 0, vec![digest(5, 1, 0, 0, 0, 0)]),
        ];
        // 64 exports: ⌈64·65/64⌉ = 65 segments; 1 export: ⌈65/64⌉ = 2.
        let available = [report(0, 500, 64, vec![]), report(1, 9, 1, vec![])];
        let assurances = [assurance(0, 0b01), assurance(1, 0b11), assurance(2, 0b11)];
        let stats = core_statistics(&spec, &incoming, &available, &assurances.to_vec());
        let w_g = spec.segment_size() as u32;
        assert_eq!(
            stats[0],
            CoreActivityRecord {
                da_load: 500 + w_g * 65,
                popularity: 3,
                imports: 11,
                extrinsic_count: 22,
                extrinsic_size: 330,
                exports: 44,
                bundle_size: 1000,
                gas_used: 150,
            }
        );
        assert_eq!(
            stats[1],
            CoreActivityRecord {
                da_load: 9 + w_g * 2,
                popularity: 2,
                bundle_size: 77,
                gas_used: 1,
                ..CoreActivityRecord::default()
            }
        );
        // An empty block has all-zero records, one per core.
        let empty = core_statistics(&spec, &[], &[], &vec![]);
        assert_eq!(empty.len(), spec.cores);
        assert!(empty.iter().all(|r| *r == CoreActivityRecord::default()));
    }

    #[test]
    fn service_statistics_follow_gp_13_12() {
        let incoming = [
            report(
                0,
                0,
                0,
                vec![digest(5, 100, 1, 2, 30, 4), digest(6, 50, 10, 20, 300, 40)],
            ),
            report(1, 0, 0, vec![digest(5, 1, 1, 1, 1, 1)]),
        ];
        let preimages = vec![
            Preimage {
                requester: 6,
                blob: vec![0; 10],
            },
            Preimage {
                requester: 6,
                blob: vec![0; 5],
            },
            Preimage {
                requester: 9,
                blob: vec![1],
            },
        ];
        let accumulation: AccumulationStatistics = [(5, (1234, 3)), (2, (10, 1))].into();
        let stats = service_statistics(&incoming, &preimages, &accumulation);
        let ids: Vec<_> = stats.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![2, 5, 6, 9]);
        assert_eq!(
            stats[0].record,
            ServiceActivityRecord {
                accumulate_count: 1,
                accumulate_gas_used: 10,
                ..ServiceActivityRecord::default()
            }
        );
        assert_eq!(
            stats[1].record,
            ServiceActivityRecord {
                refinement_count: 2,
                refinement_gas_used: 101,
                imports: 2,
                extrinsic_count: 3,
                extrinsic_size: 31,
                exports: 5,
                accumulate_count: 3,
                accumulate_gas_used: 1234,
                ..ServiceActivityRecord::default()
            }
        );
        assert_eq!(
            stats[2].record,
            ServiceActivityRecord {
                provided_count: 2,
                provided_size: 15,
                refinement_count: 1,
                refinement_gas_used: 50,
                imports: 10,
                extrinsic_count: 20,
                extrinsic_size: 300,
                exports: 40,
                ..ServiceActivityRecord::default()
            }
        );
        assert_eq!(
            stats[3].record,
            ServiceActivityRecord {
                provided_count: 1,
                provided_size: 1,
                ..ServiceActivityRecord::default()
            }
        );
        assert!(service_statistics(&[], &vec![], &BTreeMap::new()).is_empty());
    }

    fn validators(spec: &ChainSpec) -> ValidatorsData {
        (0..spec.validators)
            .map(|v| ValidatorData {
                ed25519: [v as u8 + 1; 32],
                ..ValidatorData::NULL
            })
            .collect::<Vec<_>>()
            .into()
    }

    fn record(n: u32) -> ValidatorActivityRecord {
        ValidatorActivityRecord {
            blocks: n,
            tickets: n,
            pre_images: n,
            pre_images_size: n,
            guarantees: n,
            assurances: n,
        }
    }

    #[test]
    fn validator_statistics_follow_gp_13_5() {
        let spec = ChainSpec::TINY;
        let guarantee = |vs: &[u16]| ReportGuarantee {
            signatures: vs
                .iter()
                .map(|&v| ValidatorSignature {
                    validator_index: v,
                    signature: [0; 64],
                })
                .collect(),
            ..ReportGuarantee::default()
        };
        let extrinsic = Extrinsic {
            preimages: vec![
                Preimage {
                    requester: 1,
                    blob: vec![0; 3],
                },
                Preimage {
                    requester: 2,
                    blob: vec![0; 4],
                },
            ],
            // Validator 1 signs two guarantees; out-of-range index 60 is ignored.
            guarantees: vec![guarantee(&[0, 1]), guarantee(&[1, 2, 60])],
            assurances: vec![assurance(2, 0), assurance(4, 0)],
            ..Extrinsic::default()
        };
        let pre = TestState {
            vals_curr_stats: vec![record(10); spec.validators].into(),
            vals_last_stats: vec![record(99); spec.validators].into(),
            slot: 13,
            curr_validators: validators(&spec),
        };
        let input = Input {
            slot: 14,
            author_index: 3,
            extrinsic,
        };
        let post = run(&spec, &pre, &input);
        assert_eq!(post.vals_last_stats, pre.vals_last_stats);
        assert_eq!(post.slot, pre.slot);
        let got: Vec<_> = post.vals_curr_stats.iter().copied().collect();
        let mut want = vec![record(10); spec.validators];
        want[3].blocks = 11;
        want[3].pre_images = 12;
        want[3].pre_images_size = 17;
        for v in [0, 1, 2] {
            want[v].guarantees = 11;
        }
        for v in [2, 4] {
            want[v].assurances = 11;
        }
        assert_eq!(got, want);

        // Epoch change (slot 23 → 24 with E = 12): π_L' = π_V, π_V' restarts from zero.
        let pre = TestState { slot: 23, ..pre };
        let input = Input {
            slot: 24,
            author_index: 0,
            extrinsic: Extrinsic::default(),
        };
        let post = run(&spec, &pre, &input);
        assert_eq!(post.vals_last_stats, pre.vals_curr_stats);
        let mut want = vec![ValidatorActivityRecord::default(); spec.validators];
        want[0].blocks = 1;
        assert_eq!(post.vals_curr_stats.0, want);
    }

    #[test]
    fn counters_saturate_and_bad_author_counts_nothing() {
        let spec = ChainSpec::TINY;
        let pre = TestState {
            vals_curr_stats: vec![record(u32::MAX); spec.validators].into(),
            vals_last_stats: vec![record(0); spec.validators].into(),
            slot: 1,
            curr_validators: validators(&spec),
        };
        let extrinsic = Extrinsic {
            assurances: vec![assurance(0, 0)],
            ..Extrinsic::default()
        };
        let input = Input {
            slot: 2,
            author_index: 0,
            extrinsic,
        };
        let post = run(&spec, &pre, &input);
        assert_eq!(post.vals_curr_stats, pre.vals_curr_stats);
        assert_eq!(post.vals_last_stats, pre.vals_last_stats);
        let input = Input {
            slot: 2,
            author_index: 600,
            extrinsic: Extrinsic::default(),
        };
        let pre = TestState {
            vals_curr_stats: vec![record(0); spec.validators].into(),
            ..pre
        };
        let post = run(&spec, &pre, &input);
        assert_eq!(post.vals_curr_stats, pre.vals_curr_stats);
        assert_eq!(post.vals_last_stats, pre.vals_last_stats);
    }
}
