//! Rules the vectors do not isolate, and the signature-check cost of a full block.

use super::*;
use marmalade_crypto::ed25519::SecretKey;
use marmalade_types::{
    AuthorizerHash, BlockInfo, GuaranteesExtrinsic, RecentBlocks, ReportedWorkPackage,
    SegmentRootLookupItem, ValidatorData, ValidatorSignature, WorkDigest,
};
use std::time::Instant;

const TAU: TimeSlot = 605;
const ANCHOR: Hash = [0xa0; 32];
const CODE: Hash = [0xc0; 32];
const SERVICE: ServiceId = 7;

/// The reports components as owned values (the vectors' shape).
#[derive(Debug)]
struct TestState {
    avail_assignments: AvailabilityAssignments,
    curr_validators: ValidatorsData,
    prev_validators: ValidatorsData,
    entropy: EntropyBuffer,
    offenders: Vec<Ed25519Public>,
    recent_blocks: RecentBlocks,
    auth_pools: AuthPools,
    accounts: BTreeMap<ServiceId, ServiceInfo>,
    cores_statistics: CoresStatistics,
    services_statistics: ServicesStatistics,
}

impl TestState {
    fn prior<'a>(&'a self, known_packages: &'a [WorkPackageHash]) -> Prior<'a> {
        Prior {
            rho: &self.avail_assignments,
            kappa: &self.curr_validators,
            lambda: &self.prev_validators,
            eta: &self.entropy,
            offenders: &self.offenders,
            beta_h: &self.recent_blocks.history,
            alpha: &self.auth_pools,
            accounts: &self.accounts,
            known_packages,
        }
    }
}

struct Input {
    guarantees: GuaranteesExtrinsic,
    slot: TimeSlot,
    known_packages: Vec<WorkPackageHash>,
}

#[derive(Debug)]
struct Output {
    reported: Vec<ReportedWorkPackage>,
    reporters: Vec<Ed25519Public>,
}

/// [`super::transition`] on owned components, with the statistics updated as the vectors
/// expect.
fn transition(
    spec: &ChainSpec,
    pre: &TestState,
    input: &Input,
) -> Result<(TestState, Output), Error> {
    let post = super::transition(
        spec,
        &pre.prior(&input.known_packages),
        input.slot,
        &input.guarantees,
    )?;
    let mut rho = pre.avail_assignments.clone();
    place(post.assigned, &mut rho);
    let mut cores_statistics = pre.cores_statistics.clone();
    let mut services_statistics = pre.services_statistics.clone();
    update_statistics(
        &mut cores_statistics,
        &mut services_statistics,
        input.guarantees.iter().map(|g| &g.report),
    );
    let state = TestState {
        avail_assignments: rho,
        cores_statistics,
        services_statistics,
        curr_validators: pre.curr_validators.clone(),
        prev_validators: pre.prev_validators.clone(),
        entropy: pre.entropy,
        offenders: pre.offenders.clone(),
        recent_blocks: pre.recent_blocks.clone(),
        auth_pools: pre.auth_pools.clone(),
        accounts: pre.accounts.clone(),
    };
    let out = Output {
        reported: post.reported,
        reporters: post.reporters.into_iter().collect(),
    };
    Ok((state, out))
}

fn authorizer(core: usize) -> AuthorizerHash {
    blake2b_256(&(core as u32).to_le_bytes())
}

/// A chain with `spec.validators` validators with known secret keys, every core free and
/// authorized, one block of history and one service.
struct Chain {
    spec: ChainSpec,
    keys: Vec<SecretKey>,
    state: TestState,
    /// The block's timeslot, and that of the guarantees.
    tau: TimeSlot,
}

impl Chain {
    fn new(spec: ChainSpec) -> Chain {
        let keys: Vec<SecretKey> = (0..spec.validators)
            .map(|i| {
                let mut seed = [0u8; 32];
                seed[..4].copy_from_slice(&(i as u32).to_le_bytes());
                SecretKey::from_seed(&seed)
            })
            .collect();
        let validators: Vec<ValidatorData> = keys
            .iter()
            .map(|k| ValidatorData {
                ed25519: k.public(),
                ..ValidatorData::NULL
            })
            .collect();
        let state = TestState {
            avail_assignments: vec![None; spec.cores].into(),
            curr_validators: validators.clone().into(),
            prev_validators: validators.into(),
            entropy: EntropyBuffer([[1; 32], [2; 32], [3; 32], [4; 32]]),
            offenders: vec![],
            recent_blocks: RecentBlocks {
                history: vec![BlockInfo {
                    header_hash: ANCHOR,
                    beefy_root: [0xbe; 32],
                    state_root: [0x5e; 32],
                    reported: vec![ReportedWorkPackage {
                        hash: [0xee; 32],
                        exports_root: [0xef; 32],
                    }],
                }],
                mmr: Default::default(),
            },
            auth_pools: (0..spec.cores)
                .map(|c| vec![authorizer(c)])
                .collect::<Vec<_>>()
                .into(),
            accounts: [(
                SERVICE,
                ServiceInfo {
                    code_hash: CODE,
                    min_item_gas: 100,
                    ..Default::default()
                },
            )]
            .into(),
            cores_statistics: vec![Default::default(); spec.cores].into(),
            services_statistics: vec![],
        };
        Chain {
            spec,
            keys,
            state,
            tau: TAU,
        }
    }

    fn report(&self, core: usize) -> WorkReport {
        let mut r = WorkReport {
            core_index: core as CoreIndex,
            authorizer_hash: authorizer(core),
            results: vec![WorkDigest {
                service_id: SERVICE,
                code_hash: CODE,
                accumulate_gas: 1_000,
                result: WorkExecResult::Ok(vec![1, 2, 3]),
                ..Default::default()
            }],
            ..Default::default()
        };
        r.package_spec.hash = blake2b_256(&(core as u32 + 1000).to_le_bytes());
        r.package_spec.exports_root = [core as u8; 32];
        r.package_spec.length = 100;
        r.context.anchor = ANCHOR;
        r.context.beefy_root = [0xbe; 32];
        r.context.state_root = [0x5e; 32];
        r.context.lookup_anchor_slot = TAU;
        r
    }

    /// A guarantee of `report` at `self.tau` signed by the first `n` guarantors assigned to its
    /// core.
    fn guarantee(&self, report: WorkReport, n: usize) -> ReportGuarantee {
        let cores = guarantor_assignments(&self.spec, &self.state.entropy[2], self.tau);
        let msg = guarantee_message(&report);
        let signatures = (0..self.spec.validators)
            .filter(|v| cores[*v] == report.core_index)
            .take(n)
            .map(|v| ValidatorSignature {
                validator_index: v as u16,
                signature: self.keys[v].sign(&msg),
            })
            .collect();
        ReportGuarantee {
            report,
            slot: self.tau,
            signatures,
        }
    }

    fn input(&self, guarantees: Vec<ReportGuarantee>) -> Input {
        Input {
            guarantees,
            slot: self.tau,
            known_packages: vec![[0xee; 32]],
        }
    }

    fn run(&self, guarantees: Vec<ReportGuarantee>) -> Result<(TestState, Output), Error> {
        transition(&self.spec, &self.state, &self.input(guarantees))
    }
}

#[test]
fn full_block_of_guarantees_and_signature_cost() {
    let chain = Chain::new(ChainSpec::FULL);
    let guarantees: Vec<_> = (0..chain.spec.cores)
        .map(|c| chain.guarantee(chain.report(c), 3))
        .collect();
    let input = chain.input(guarantees.clone());

    let t = Instant::now();
    let (post, out) = transition(&chain.spec, &chain.state, &input).expect("valid block");
    let whole = t.elapsed();
    assert_eq!(out.reported.len(), 341);
    assert_eq!(out.reporters.len(), 1023);
    assert!(post
        .avail_assignments
        .iter()
        .all(|a| a.as_ref().is_some_and(|a| a.timeout == TAU)));
    assert_eq!(post.services_statistics.len(), 1);
    assert_eq!(post.services_statistics[0].record.refinement_count, 341);

    // The signature step alone: credentials as the transition collects them.
    let signed = check_credentials(&chain.spec, &chain.state.prior(&[]), &guarantees, TAU).unwrap();
    assert_eq!(signed.credentials.len(), 1023);
    let t = Instant::now();
    assert_eq!(first_bad_signature(&guarantees, &signed.credentials), None);
    let batch = t.elapsed();
    let messages: Vec<Vec<u8>> = guarantees
        .iter()
        .map(|g| guarantee_message(&g.report))
        .collect();
    let items: Vec<ed25519::BatchItem<'_>> = signed
        .credentials
        .iter()
        .map(|(k, i, s)| (k, messages[*i].as_slice(), s))
        .collect();
    let t = Instant::now();
    assert!(ed25519::verify_batch(&items));
    let one_batch = t.elapsed();
    let t = Instant::now();
    assert!(items.iter().all(|(k, m, s)| ed25519::verify(k, m, s)));
    let single = t.elapsed();
    eprintln!(
        "full block, 341 guarantees x 3 signatures ({} threads): transition {whole:?}, \
         signatures {batch:?} (one batch on one thread {one_batch:?}, one by one {single:?})",
        rayon::current_num_threads()
    );

    // One bad signature among the 1023 is found.
    let mut bad = guarantees;
    bad[200].signatures[1].signature[5] ^= 1;
    let signed = check_credentials(&chain.spec, &chain.state.prior(&[]), &bad, TAU).unwrap();
    assert_eq!(first_bad_signature(&bad, &signed.credentials), Some(601));
    assert_eq!(
        transition(&chain.spec, &chain.state, &chain.input(bad)).map(|_| ()),
        Err(Error::BadSignature)
    );
}

#[test]
fn two_credentials_suffice_and_reporters_are_deduplicated() {
    let chain = Chain::new(ChainSpec::TINY);
    let (_, out) = chain
        .run(vec![
            chain.guarantee(chain.report(0), 2),
            chain.guarantee(chain.report(1), 3),
        ])
        .unwrap();
    assert_eq!(out.reporters.len(), 5);
    assert!(out.reporters.windows(2).all(|w| w[0] < w[1]));
    assert!(out.reported.windows(2).all(|w| w[0].hash < w[1].hash));
}

#[test]
fn one_and_four_credentials_are_rejected() {
    let chain = Chain::new(ChainSpec::FULL);
    let one = chain.guarantee(chain.report(0), 1);
    assert_eq!(
        chain.run(vec![one]).err(),
        Some(Error::InsufficientGuarantees)
    );
    let mut four = chain.guarantee(chain.report(0), 3);
    let mut extra = four.signatures[2];
    extra.validator_index = 1022;
    four.signatures.push(extra);
    assert_eq!(
        chain.run(vec![four]).err(),
        Some(Error::InsufficientGuarantees)
    );
}

#[test]
fn same_core_twice_is_out_of_order() {
    let chain = Chain::new(ChainSpec::TINY);
    let mut second = chain.report(0);
    second.package_spec.hash = [0x99; 32];
    let g = vec![
        chain.guarantee(chain.report(0), 3),
        chain.guarantee(second, 3),
    ];
    assert_eq!(chain.run(g).err(), Some(Error::OutOfOrderGuarantee));
}

#[test]
fn lookup_anchor_age() {
    let mut chain = Chain::new(ChainSpec::TINY);
    let l = chain.spec.max_lookup_anchor_age;
    chain.tau = TAU + l;
    let at = |slot: TimeSlot| {
        let mut r = chain.report(0);
        r.context.lookup_anchor_slot = slot;
        chain.run(vec![chain.guarantee(r, 2)]).map(|_| ())
    };
    assert_eq!(at(TAU), Ok(()));
    assert_eq!(at(TAU - 1), Err(Error::LookupAnchorNotRecent));
}

#[test]
fn segment_root_lookups_and_prerequisites() {
    let chain = Chain::new(ChainSpec::TINY);
    let first = chain.report(0);
    let mut second = chain.report(1);
    // Satisfied by the extrinsic and by recent history.
    second.segment_root_lookup = vec![
        SegmentRootLookupItem {
            work_package_hash: first.package_spec.hash,
            segment_tree_root: first.package_spec.exports_root,
        },
        SegmentRootLookupItem {
            work_package_hash: [0xee; 32],
            segment_tree_root: [0xef; 32],
        },
    ];
    second.segment_root_lookup.sort();
    second.context.prerequisites = vec![first.package_spec.hash, [0xee; 32]];
    let ok = vec![
        chain.guarantee(first.clone(), 2),
        chain.guarantee(second.clone(), 2),
    ];
    assert!(chain.run(ok).is_ok());

    // A wrong root of a package in the extrinsic.
    let mut wrong = second.clone();
    wrong.segment_root_lookup[0].segment_tree_root[0] ^= 1;
    let g = vec![chain.guarantee(first.clone(), 2), chain.guarantee(wrong, 2)];
    assert_eq!(chain.run(g).err(), Some(Error::SegmentRootLookupInvalid));

    // A prerequisite only in `known_packages` (accumulated, not in recent history) is not
    // enough (GP (11.38)).
    let mut only_known = second;
    only_known.segment_root_lookup.clear();
    only_known.context.prerequisites = vec![[0x77; 32]];
    let mut input = chain.input(vec![chain.guarantee(only_known, 2)]);
    input.known_packages.push([0x77; 32]);
    assert_eq!(
        transition(&chain.spec, &chain.state, &input).err(),
        Some(Error::DependencyMissing)
    );
}

#[test]
fn known_package_is_a_duplicate() {
    let chain = Chain::new(ChainSpec::TINY);
    let r = chain.report(0);
    let mut input = chain.input(vec![chain.guarantee(r.clone(), 2)]);
    input.known_packages.push(r.package_spec.hash);
    assert_eq!(
        transition(&chain.spec, &chain.state, &input).err(),
        Some(Error::DuplicatePackage)
    );
}

#[test]
fn gas_overflow_and_size_limits() {
    let chain = Chain::new(ChainSpec::TINY);
    let mut r = chain.report(0);
    r.results.push(r.results[0].clone());
    r.results[0].accumulate_gas = u64::MAX;
    assert_eq!(
        chain.run(vec![chain.guarantee(r, 2)]).err(),
        Some(Error::WorkReportGasTooHigh)
    );

    // Only successful outputs count towards W_R, with the authorizer trace.
    let mut r = chain.report(0);
    r.auth_output = vec![0; MAX_REPORT_VAR_SIZE - 3];
    assert!(chain.run(vec![chain.guarantee(r.clone(), 2)]).is_ok());
    r.auth_output.push(0);
    assert_eq!(
        chain.run(vec![chain.guarantee(r.clone(), 2)]).err(),
        Some(Error::WorkReportTooBig)
    );
    r.results[0].result = WorkExecResult::Panic;
    assert!(chain.run(vec![chain.guarantee(r, 2)]).is_ok());
}

#[test]
fn offender_is_banned_and_failure_changes_nothing() {
    let mut chain = Chain::new(ChainSpec::TINY);
    let g = chain.guarantee(chain.report(0), 2);
    let v = usize::from(g.signatures[1].validator_index);
    chain.state.offenders = vec![chain.keys[v].public()];
    assert_eq!(chain.run(vec![g]).err(), Some(Error::BannedValidator));
}

#[test]
fn statistics_accumulate() {
    let mut cores: CoresStatistics = vec![Default::default(); 2].into();
    let mut services = vec![ServicesStatisticsMapEntry {
        id: 9,
        record: Default::default(),
    }];
    let mut r = WorkReport {
        core_index: 1,
        ..Default::default()
    };
    r.package_spec.length = 10;
    let mut d = WorkDigest {
        service_id: 3,
        ..Default::default()
    };
    d.refine_load.gas_used = 5;
    d.refine_load.imports = 2;
    d.refine_load.exports = u16::MAX;
    r.results = vec![d.clone(), d];
    update_statistics(&mut cores, &mut services, [&r, &r]);
    assert_eq!(cores[1].bundle_size, 20);
    assert_eq!(cores[1].imports, 8);
    assert_eq!(cores[1].gas_used, 20);
    assert_eq!(cores[1].exports, u16::MAX, "saturates");
    assert_eq!(cores[0], Default::default());
    assert_eq!(
        services.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![3, 9]
    );
    assert_eq!(services[0].record.refinement_count, 4);
    assert_eq!(services[0].record.exports, 4 * u32::from(u16::MAX));
}

#[test]
fn error_codes_match_the_schema() {
    assert_eq!(Error::BadCoreIndex.encode(), vec![0]);
    assert_eq!(Error::MissingWorkResults.encode(), vec![25]);
    assert_eq!(
        crate::snake_case(&format!("{:?}", Error::BadBeefyMmrRoot)),
        "bad_beefy_mmr_root"
    );
    assert_eq!(context::GUARANTEE, b"jam_guarantee");
}
