//! Generated guarantees and assurances (GP section 11) import on our own chain: reports are
//! guaranteed, some become available and are accumulated by the bootstrap service on the
//! PVM; every [`WorkMutation`] of a generated extrinsic, in a block sealed properly around
//! it, is rejected with nothing changed.

mod support;

use marmalade_authoring::{dev_key_set, slot_author, Author};
use marmalade_chain::{BlockError, ChainError};
use marmalade_chainspec::dev::BOOTSTRAP_SERVICE;
use marmalade_fuzzer::extrinsics::work::{WorkMutation, WorkSource};
use marmalade_fuzzer::extrinsics::BlockContext;
use marmalade_fuzzer::{ExtrinsicConfig, Generator, GeneratorConfig, Rng};
use marmalade_state::StateReader;
use marmalade_stf::{assurances, reports};
use marmalade_types::{Extrinsic, Hash};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The error each mutation must be rejected with: the rule it breaks, checked before any
/// other the mutated extrinsic might break.
fn expected(m: WorkMutation) -> BlockError {
    use WorkMutation::*;
    match m {
        AssuranceBadSignature => BlockError::Assurances(assurances::Error::BadSignature),
        AssuranceWrongAnchor => BlockError::Assurances(assurances::Error::BadAttestationParent),
        AssuranceCoreNotEngaged => BlockError::Assurances(assurances::Error::CoreNotEngaged),
        AssurancesUnsorted | AssuranceDuplicate => {
            BlockError::Assurances(assurances::Error::NotSortedOrUniqueAssurers)
        }
        GuaranteeBadSignature => BlockError::Reports(reports::Error::BadSignature),
        GuaranteeOneSignature => BlockError::Reports(reports::Error::InsufficientGuarantees),
        GuaranteeUnassignedSigner => BlockError::Reports(reports::Error::WrongAssignment),
        GuaranteesOutOfOrder => BlockError::Reports(reports::Error::OutOfOrderGuarantee),
        GuaranteeWrongAuthorizer => BlockError::Reports(reports::Error::CoreUnauthorized),
        GuaranteeAnchorNotRecent => BlockError::Reports(reports::Error::AnchorNotRecent),
        GuaranteeBadStateRoot => BlockError::Reports(reports::Error::BadStateRoot),
        GuaranteeCoreEngaged => BlockError::Reports(reports::Error::CoreEngaged),
        GuaranteeDuplicatePackage => BlockError::Reports(reports::Error::DuplicatePackage),
        GuaranteeFutureSlot => BlockError::Reports(reports::Error::FutureReportSlot),
        GuaranteeGasTooHigh => BlockError::Reports(reports::Error::WorkReportGasTooHigh),
    }
}

#[test]
fn generated_work_imports_accumulates_and_every_mutation_is_rejected() {
    let config = GeneratorConfig {
        max_skip: 1,
        fork_share: 0.1,
        extrinsics: ExtrinsicConfig {
            guarantees: 1.0,
            assurances: 1.0,
            preimages: 0.0,
            disputes: 0.0,
        },
        // No ring proofs: tickets are the mutations and disputes tests' business.
        ticket_epochs: 0.0,
        ..GeneratorConfig::default()
    };
    let mut g = Generator::dev(11, config).expect("dev generator");
    let spec = *g.spec();
    let keys = dev_key_set(spec.validators);
    let mut rng = Rng::new(5);
    // A second source, only to time `fill` on the same inputs.
    let mut timed = WorkSource::default();
    let (mut fill_time, mut fills) = (Duration::ZERO, 0u32);

    let mut applied: BTreeMap<WorkMutation, usize> = BTreeMap::new();
    let mut guaranteed = BTreeSet::<Hash>::new();
    let mut accumulated = BTreeSet::<Hash>::new();
    let (mut assurance_blocks, mut guarantee_blocks, mut two_guarantees) = (0, 0, 0);
    // Guarantees dated in the previous rotation (checked against M*, GP (11.22)).
    let mut previous_rotation = 0;
    let end_slot = 2 * spec.epoch_len() as u32 + 2;
    loop {
        let parent = g.tip();
        let parent_root = g.chain().state_root(&parent).unwrap().unwrap();
        let state = g.chain().state(&parent).unwrap().unwrap();
        if state.components.tau >= end_slot {
            break;
        }
        let planned = g.plan().expect("plan");
        let block = planned.block;
        let x = &block.extrinsic;
        assurance_blocks += usize::from(!x.assurances.is_empty());
        guarantee_blocks += usize::from(!x.guarantees.is_empty());
        two_guarantees += usize::from(x.guarantees.len() >= 2);
        for gu in &x.guarantees {
            assert!((2..=3).contains(&gu.signatures.len()));
            assert!(gu.slot <= block.header.slot);
            previous_rotation += usize::from(
                gu.slot / spec.rotation_period < block.header.slot / spec.rotation_period,
            );
            guaranteed.insert(gu.report.package_spec.hash);
        }
        let ctx = BlockContext {
            spec: &spec,
            parent: &state,
            parent_hash: parent,
            parent_root,
            slot: block.header.slot,
            keys: &keys,
        };

        let mut scratch = Extrinsic {
            tickets: x.tickets.clone(),
            ..Default::default()
        };
        let start = Instant::now();
        timed
            .fill(&ctx, &mut rng, true, true, &mut scratch)
            .expect("fill");
        fill_time += start.elapsed();
        fills += 1;

        let who = slot_author(&spec, &*state, block.header.slot, &keys).expect("an author");
        let author = Author::new(keys[who].clone());
        for m in WorkMutation::ALL {
            let Some(bad) = m.apply(x, &ctx, &mut rng) else {
                continue;
            };
            assert_ne!(&bad, x, "{m} changed nothing");
            let bad = author
                .seal_block(
                    &spec,
                    &*state,
                    &parent_root,
                    &parent,
                    block.header.slot,
                    bad,
                )
                .expect("re-sealed");
            match support::import_rejected(&mut g, &bad, &parent, &m) {
                ChainError::Block(e) => assert_eq!(
                    format!("{e:?}"),
                    format!("{:?}", expected(m)),
                    "{m}: rejected for another reason"
                ),
                other => panic!("{m}: {other:?}"),
            }
            *applied.entry(m).or_default() += 1;
        }

        if let Some(s) = planned.sibling {
            g.import(&s).expect("the sibling imports");
        }
        g.import(&block).expect("the generated block imports");
        let post = g.chain().state(&planned.hash).unwrap().unwrap();
        // ξ'[E-1]: the packages accumulated by this block (GP (12.32)).
        if let Some(last) = post.components.xi.last() {
            accumulated.extend(last.iter().filter(|p| guaranteed.contains(*p)));
        }
        g.advance(planned.hash);
    }

    eprintln!(
        "{fills} blocks: fill (assurances and guarantees) {:?} per block; {} packages \
         guaranteed, {} accumulated; {assurance_blocks} blocks with assurances, \
         {guarantee_blocks} with guarantees ({two_guarantees} with two, \
         {previous_rotation} of the previous rotation); mutations {applied:?}",
        fill_time / fills.max(1),
        guaranteed.len(),
        accumulated.len()
    );
    assert!(guarantee_blocks > 0, "no block carried guarantees");
    assert!(two_guarantees > 0, "no block guaranteed both cores");
    assert!(
        previous_rotation > 0,
        "no guarantee of the previous rotation"
    );
    assert!(assurance_blocks > 0, "no block carried assurances");
    assert!(
        accumulated.len() >= 2,
        "accumulated packages: {}",
        accumulated.len()
    );
    // Accumulation ran the bootstrap service: its last accumulation slot moved on from the
    // genesis' 0 (GP (12.30)).
    let head = g.chain().state(&g.tip()).unwrap().unwrap();
    let info = head
        .service_info(BOOTSTRAP_SERVICE)
        .expect("the bootstrap service");
    assert!(
        info.last_accumulation_slot > 0,
        "service 0 never accumulated"
    );
    let missing: Vec<_> = WorkMutation::ALL
        .iter()
        .filter(|m| !applied.contains_key(m))
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
}

#[test]
fn names_are_unique_kebab_case() {
    let names: BTreeSet<&str> = WorkMutation::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(names.len(), WorkMutation::ALL.len());
    for n in names {
        assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
    }
}

/// Under `full` (1,023 validators, 341 cores, the synthetic genesis): a few blocks of
/// guarantees and assurances import, and some report is accumulated.
#[test]
fn full_spec_work_imports_and_accumulates() {
    let spec = marmalade_types::ChainSpec::FULL;
    let config = GeneratorConfig {
        max_skip: 0,
        fork_share: 0.0,
        extrinsics: ExtrinsicConfig {
            guarantees: 1.0,
            assurances: 1.0,
            preimages: 0.0,
            disputes: 0.0,
        },
        // No ring proofs: tickets are not what this test is about.
        ticket_epochs: 0.0,
        ..GeneratorConfig::default()
    };
    let mut g = Generator::for_spec(&spec, 2, config).expect("full generator");
    let keys = dev_key_set(spec.validators);
    let mut timed = WorkSource::default();
    let mut rng = Rng::new(3);
    let mut fill_time = Duration::ZERO;
    let mut guaranteed = BTreeSet::<Hash>::new();
    let mut accumulated = 0;
    let blocks = 6;
    for _ in 0..blocks {
        let parent = g.tip();
        let state = g.chain().state(&parent).unwrap().unwrap();
        let parent_root = g.chain().state_root(&parent).unwrap().unwrap();
        let planned = g.plan().expect("plan");
        let ctx = BlockContext {
            spec: &spec,
            parent: &state,
            parent_hash: parent,
            parent_root,
            slot: planned.block.header.slot,
            keys: &keys,
        };
        let start = Instant::now();
        timed
            .fill(&ctx, &mut rng, true, true, &mut Extrinsic::default())
            .expect("fill");
        fill_time += start.elapsed();
        for gu in &planned.block.extrinsic.guarantees {
            guaranteed.insert(gu.report.package_spec.hash);
        }
        g.import(&planned.block)
            .expect("the generated block imports");
        let post = g.chain().state(&planned.hash).unwrap().unwrap();
        accumulated += post
            .components
            .xi
            .last()
            .map_or(0, |x| x.iter().filter(|p| guaranteed.contains(*p)).count());
        g.advance(planned.hash);
    }
    eprintln!(
        "full: fill {:?} per block; {} packages guaranteed, {accumulated} accumulated",
        fill_time / blocks,
        guaranteed.len()
    );
    assert!(!guaranteed.is_empty(), "nothing guaranteed");
    assert!(accumulated > 0, "nothing accumulated");
}

/// Longer sessions (no tickets, to keep them quick): every block imports, over epochs and
/// rotations, with reports guaranteed on anchors of all ages of recent history (two equal
/// packages on the same anchors would be rejected as one package reported twice).
#[test]
fn long_sessions_import() {
    for seed in 0..4 {
        let config = GeneratorConfig {
            max_skip: 2,
            fork_share: 0.1,
            extrinsics: ExtrinsicConfig {
                guarantees: 0.9,
                assurances: 0.9,
                preimages: 0.0,
                disputes: 0.0,
            },
            ticket_epochs: 0.0,
            ..GeneratorConfig::default()
        };
        let mut g = Generator::dev(seed, config).expect("dev generator");
        let mut guarantees = 0;
        for i in 0..100 {
            let p = g.plan().expect("plan");
            guarantees += p.block.extrinsic.guarantees.len();
            if let Some(s) = p.sibling {
                g.import(&s)
                    .unwrap_or_else(|e| panic!("seed {seed}, sibling of block {i}: {e}"));
            }
            g.import(&p.block)
                .unwrap_or_else(|e| panic!("seed {seed}, block {i}: {e}"));
            g.advance(p.hash);
        }
        assert!(guarantees > 50, "seed {seed}: {guarantees} guarantees");
    }
}
