//! Disputes: blocks with verdicts import and their judgments reach $\psi$ (a pending report
//! judged wonky or bad leaves its core), offenders stay within the budget, and every dispute
//! mutation is refused by the author's own check and, placed in the block, by import.

mod support;

use marmalade_authoring::{dev_key_set, Author, AuthoringError, ValidatorKeys};
use marmalade_chain::{BlockError, ChainError};
use marmalade_chainspec::dev_genesis;
use marmalade_codec::Encode;
use marmalade_crypto::blake2b_256;
use marmalade_fuzzer::extrinsics::disputes::{DisputeMutation, DisputeSource};
use marmalade_fuzzer::extrinsics::{BlockContext, ExtrinsicConfig};
use marmalade_fuzzer::{Generator, GeneratorConfig, Rng};
use marmalade_stf::disputes::{transition, Prior};
use marmalade_types::{AvailabilityAssignment, ChainSpec, WorkReport};
use std::collections::BTreeSet;

/// A generator over the dev genesis with a report pending on core 0 (so that verdicts may
/// judge it), adding disputes to every block when `disputes`.
fn generator(keys: &[ValidatorKeys], seed: u64, disputes: bool) -> (Generator, [u8; 32]) {
    let spec = ChainSpec::TINY;
    let mut genesis = dev_genesis().expect("dev genesis");
    let report = WorkReport {
        core_index: 0,
        results: vec![Default::default()],
        auth_output: b"pending".to_vec(),
        ..Default::default()
    };
    let pending = blake2b_256(&report.encode());
    genesis.state.components.rho[0] = Some(AvailabilityAssignment {
        report,
        // Reported "in the future", so that it does not time out (GP (11.17)) during the test.
        timeout: 10_000,
    });
    let config = GeneratorConfig {
        max_skip: 1,
        fork_share: 0.0,
        extrinsics: ExtrinsicConfig {
            disputes: if disputes { 1.0 } else { 0.0 },
            ..ExtrinsicConfig::NONE
        },
        // No ring proofs: tickets are not the subject.
        ticket_epochs: 0.0,
        ..GeneratorConfig::default()
    };
    let g = Generator::new(
        spec,
        genesis.header,
        genesis.state.to_key_values(&spec),
        keys.to_vec(),
        seed,
        config,
    )
    .expect("generator");
    (g, pending)
}

/// Checks that `m` applied to `block`'s extrinsic is refused: the author does not seal it
/// (the disputes transition fails on the parent), and the block carrying it, signed again by
/// `Author::reseal`, fails import on its disputes, nothing changed.
fn assert_rejected(
    g: &mut Generator,
    block: &marmalade_types::Block,
    ctx: &BlockContext<'_>,
    author: &Author,
    m: DisputeMutation,
    rng: &mut Rng,
) -> bool {
    let Some(bad) = m.apply(&block.extrinsic, ctx, rng) else {
        return false;
    };
    assert_ne!(bad, block.extrinsic, "{m} changed nothing");
    let parent = ctx.parent_hash;
    let root = ctx.parent_root;
    let prior = Prior::of(&ctx.parent.components);
    assert!(
        transition(ctx.spec, &prior, &bad.disputes).is_err(),
        "{m}: the disputes transition accepts it"
    );
    match author.seal_block(ctx.spec, ctx.parent, &root, &parent, ctx.slot, bad.clone()) {
        Err(AuthoringError::Disputes(_)) => {}
        Err(e) => panic!("{m}: sealing failed for another reason: {e}"),
        Ok(_) => panic!("{m}: the author sealed invalid disputes"),
    }
    let carried = author
        .reseal(ctx.spec, ctx.parent, block, bad)
        .expect("the block's own seal input is found");
    match support::import_rejected(g, &carried, &parent, &m) {
        ChainError::Block(BlockError::Disputes(_)) => {}
        e => panic!("{m}: rejected for another reason: {e}"),
    }
    true
}

#[test]
fn generated_disputes_import_and_every_mutation_is_rejected() {
    let keys = dev_key_set(6);
    let (mut g, pending) = generator(&keys, 8, true);
    let spec = *g.spec();
    let mut rng = Rng::new(77);
    let mut applied = BTreeSet::new();
    let (mut verdicts, mut faults, mut previous_epoch) = (0usize, 0usize, 0usize);
    let mut cleared = false;
    // Three tiny epochs: verdicts by κ and λ, an offender nulled in later sets.
    let end_slot = 3 * spec.epoch_len() as u32;
    loop {
        let parent = g.tip();
        let state = g.chain().state(&parent).unwrap().unwrap();
        let root = g.chain().state_root(&parent).unwrap().unwrap();
        if state.components.tau >= end_slot {
            break;
        }
        let planned = g.plan().expect("plan");
        let block = planned.block;
        let d = &block.extrinsic.disputes;
        verdicts += d.verdicts.len();
        faults += d.faults.len();
        let epoch = spec.epoch_of(state.components.tau);
        previous_epoch += d.verdicts.iter().filter(|v| v.age + 1 == epoch).count();
        assert!(d.culprits.is_empty(), "a bad verdict beyond the budget");

        let ctx = BlockContext {
            spec: &spec,
            parent: &state,
            parent_hash: parent,
            parent_root: root,
            slot: block.header.slot,
            keys: &keys,
        };
        let author = Author::new(keys[usize::from(block.header.author_index)].clone());
        for m in DisputeMutation::ALL {
            if assert_rejected(&mut g, &block, &ctx, &author, m, &mut rng) {
                applied.insert(m);
            }
        }

        // Signing again over the block's own extrinsic gives the block back (the seal is
        // deterministic over the same input and header).
        let again = author.reseal(&spec, &*state, &block, block.extrinsic.clone());
        assert_eq!(again.as_ref(), Some(&block));
        g.import(&block).expect("the block with disputes imports");
        g.advance(planned.hash);
        let post = g.chain().state(&planned.hash).unwrap().unwrap();
        let psi = &post.components.psi;
        for v in &d.verdicts {
            let positive = v.votes.iter().filter(|j| j.vote).count();
            let set = if positive == 0 {
                &psi.bad
            } else if positive == spec.validators_one_third() {
                &psi.wonky
            } else {
                assert_eq!(positive, spec.validators_super_majority());
                &psi.good
            };
            assert!(set.contains(&v.target), "a verdict not recorded in ψ");
            if v.target == pending && positive < spec.validators_super_majority() {
                // GP (10.15): a wonky or bad verdict clears the core.
                assert_eq!(post.components.rho[0], None);
                cleared = true;
            }
        }
        for f in &d.faults {
            assert!(psi.offenders.contains(&f.key));
            assert_eq!(block.header.offenders_mark, vec![f.key]);
        }
        assert!(
            psi.offenders.len() <= 1,
            "offenders: {}",
            psi.offenders.len()
        );
    }
    assert!(verdicts >= 20, "verdicts: {verdicts}");
    assert_eq!(
        faults, 1,
        "one good verdict with its fault, the budget's one"
    );
    assert!(previous_epoch > 0, "no verdict by λ");
    assert!(cleared, "the pending report was never judged");
    let missing: Vec<_> = DisputeMutation::ALL
        .iter()
        .filter(|m| !applied.contains(m))
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
}

#[test]
fn a_bad_verdict_with_two_culprits_imports_within_a_budget_of_two() {
    let keys = dev_key_set(6);
    let (mut g, pending) = generator(&keys, 3, false);
    let spec = *g.spec();
    let mut rng = Rng::new(4);
    let mut source = DisputeSource::default()
        .with_offender_budget(2)
        .with_shares(0.0, 1.0);
    let mut culprits = 0;
    for _ in 0..4 {
        let parent = g.tip();
        let state = g.chain().state(&parent).unwrap().unwrap();
        let root = g.chain().state_root(&parent).unwrap().unwrap();
        let planned = g.plan().expect("plan");
        let slot = planned.block.header.slot;
        let ctx = BlockContext {
            spec: &spec,
            parent: &state,
            parent_hash: parent,
            parent_root: root,
            slot,
            keys: &keys,
        };
        let mut extrinsic = planned.block.extrinsic.clone();
        source.fill(&ctx, &mut rng, &mut extrinsic).expect("fill");
        let author = Author::new(keys[usize::from(planned.block.header.author_index)].clone());
        let block = author
            .seal_block(&spec, &*state, &root, &parent, slot, extrinsic)
            .expect("seal");
        g.import(&block).expect("imports");
        let hash = block.header.hash();
        g.advance(hash);
        let post = g.chain().state(&hash).unwrap().unwrap();
        let d = &block.extrinsic.disputes;
        culprits += d.culprits.len();
        for c in &d.culprits {
            assert!(post.components.psi.bad.contains(&c.target));
            assert!(post.components.psi.offenders.contains(&c.key));
            if c.target == pending {
                assert_eq!(post.components.rho[0], None);
            }
        }
        assert_eq!(
            block.header.offenders_mark,
            d.culprits.iter().map(|c| c.key).collect::<Vec<_>>()
        );
        assert!(post.components.psi.offenders.len() <= 2);
    }
    assert_eq!(culprits, 2, "exactly one bad verdict, its two culprits");
}

/// With guarantees and assurances, verdicts judge real reports pending in $\rho$: every
/// block imports, and a report judged wonky or bad leaves its core (GP (10.15)) unless the
/// same block guarantees a new one there.
#[test]
fn verdicts_on_guaranteed_reports_clear_their_cores() {
    let config = GeneratorConfig {
        max_skip: 0,
        fork_share: 0.1,
        extrinsics: ExtrinsicConfig {
            guarantees: 0.9,
            assurances: 0.2,
            preimages: 0.0,
            disputes: 0.7,
        },
        // No ring proofs: tickets are the mutations and disputes tests' business.
        ticket_epochs: 0.0,
        ..GeneratorConfig::default()
    };
    let mut g = Generator::dev(12, config).expect("dev generator");
    let spec = *g.spec();
    let mut judged_pending = 0;
    for _ in 0..2 * spec.epoch_len() {
        let parent = g.tip();
        let state = g.chain().state(&parent).unwrap().unwrap();
        let planned = g.plan().expect("plan");
        if let Some(s) = &planned.sibling {
            g.import(s).expect("the sibling imports");
        }
        g.import(&planned.block).expect("the block imports");
        g.advance(planned.hash);
        let post = g.chain().state(&planned.hash).unwrap().unwrap();
        for v in &planned.block.extrinsic.disputes.verdicts {
            let positive = v.votes.iter().filter(|j| j.vote).count();
            for (core, slot) in state.components.rho.iter().enumerate() {
                let Some(a) = slot else { continue };
                if blake2b_256(&a.report.encode()) != v.target {
                    continue;
                }
                judged_pending += 1;
                if positive < spec.validators_super_majority() {
                    assert_ne!(
                        post.components.rho[core].as_ref().map(|a| &a.report),
                        Some(&a.report),
                        "a report judged {positive}/{} stayed on core {core}",
                        v.votes.len()
                    );
                }
            }
        }
        assert!(post.components.psi.offenders.len() <= 1);
    }
    assert!(judged_pending > 0, "no verdict judged a pending report");
}

/// On `full` (1,023 validators) the source makes good and bad verdicts of 683 judgments with
/// their offenders on the synthetic genesis, valid by the disputes transition, and every
/// mutation breaks it.
#[test]
fn full_spec_verdicts_and_mutations() {
    let spec = ChainSpec::FULL;
    let keys = dev_key_set(spec.validators);
    let genesis =
        marmalade_chainspec::synthetic::synthetic_genesis(&spec, &keys).expect("full genesis");
    let ctx = BlockContext {
        spec: &spec,
        parent: &genesis.state,
        parent_hash: genesis.header_hash,
        parent_root: genesis.state_root,
        slot: 1,
        keys: &keys,
    };
    let prior = Prior::of(&genesis.state.components);
    let mut rng = Rng::new(9);
    let mut source = DisputeSource::default().with_shares(0.5, 0.5);
    let (mut culprits, mut faults) = (0, 0);
    for _ in 0..6 {
        let mut e = marmalade_types::Extrinsic::default();
        source.fill(&ctx, &mut rng, &mut e).expect("fill");
        let d = &e.disputes;
        assert!(!d.verdicts.is_empty());
        assert!(d
            .verdicts
            .iter()
            .all(|v| v.votes.len() == spec.validators_super_majority()));
        let post = transition(&spec, &prior, d).expect("valid on full");
        assert!(post.psi.offenders.len() <= spec.validators / 6);
        culprits += d.culprits.len();
        faults += d.faults.len();
        for m in DisputeMutation::ALL {
            if let Some(bad) = m.apply(&e, &ctx, &mut rng) {
                assert!(
                    transition(&spec, &prior, &bad.disputes).is_err(),
                    "{m} is valid on full"
                );
            }
        }
    }
    assert!(
        culprits >= 2 && faults >= 1,
        "culprits {culprits}, faults {faults}"
    );
}
