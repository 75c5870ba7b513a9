//! Preimages: a genesis soliciting the seed's blobs keeps service 0's footprint exact, blocks
//! providing them import (the requests filled at the block's slot), and every preimage
//! mutation, re-sealed on the same parent, is rejected with nothing changed.

mod support;

use marmalade_authoring::{dev_key_set, Author, ValidatorKeys};
use marmalade_chain::{BlockError, ChainError};
use marmalade_chainspec::dev_genesis;
use marmalade_crypto::blake2b_256;
use marmalade_fuzzer::extrinsics::preimages::{
    blobs, solicit, PreimageMutation, PreimageSource, SOLICITING_SERVICE,
};
use marmalade_fuzzer::extrinsics::{BlockContext, ExtrinsicConfig};
use marmalade_fuzzer::{Generator, GeneratorConfig, Rng};
use marmalade_state::ServiceItems;
use marmalade_types::ChainSpec;
use std::collections::BTreeSet;

const SEED: u64 = 21;

/// A generator over the dev genesis with the seed's solicitations, adding guarantees and
/// assurances when `work` (so that service 0 accumulates between provisions), no preimages.
fn generator(keys: &[ValidatorKeys], work: bool) -> Generator {
    let spec = ChainSpec::TINY;
    let mut genesis = dev_genesis().expect("dev genesis");
    solicit(&spec, &mut genesis.state, SEED).expect("solicit");
    let config = GeneratorConfig {
        max_skip: 1,
        fork_share: 0.0,
        extrinsics: if work {
            ExtrinsicConfig {
                guarantees: 0.6,
                assurances: 0.8,
                ..ExtrinsicConfig::NONE
            }
        } else {
            ExtrinsicConfig::NONE
        },
        // No ring proofs: tickets are the mutations and disputes tests' business.
        ticket_epochs: 0.0,
        ..GeneratorConfig::default()
    };
    Generator::new(
        spec,
        genesis.header,
        genesis.state.to_key_values(&spec),
        keys.to_vec(),
        SEED,
        config,
    )
    .expect("generator")
}

#[test]
fn solicit_adds_empty_requests_and_keeps_the_footprint() {
    let spec = ChainSpec::TINY;
    let genesis = dev_genesis().expect("dev genesis");
    let before = genesis.state.accounts[&SOLICITING_SERVICE];
    let mut state = genesis.state.clone();
    solicit(&spec, &mut state, SEED).expect("solicit");
    let after = &state.accounts[&SOLICITING_SERVICE];
    let set = blobs(SEED);
    assert!(set.len() >= 200, "only {} blobs", set.len());
    // GP (9.8): two items and 81 + z octets per request.
    assert_eq!(
        u64::from(after.items),
        u64::from(before.items) + 2 * set.len() as u64
    );
    let octets: u64 = set.iter().map(|b| 81 + b.len() as u64).sum();
    assert_eq!(after.bytes, before.bytes + octets);
    for b in &set {
        let h = blake2b_256(b);
        assert_eq!(
            state.request(SOLICITING_SERVICE, &h, b.len() as u32),
            Some(vec![])
        );
        assert_eq!(state.preimage(SOLICITING_SERVICE, &h), None);
    }
    // The state still round-trips through its key/values.
    let kvs = state.to_key_values(&spec);
    let back = marmalade_state::State::from_key_values(&spec, kvs).expect("decodes");
    assert_eq!(back.accounts, state.accounts);
}

#[test]
fn provided_preimages_import_and_every_mutation_is_rejected() {
    let keys = dev_key_set(6);
    let mut g = generator(&keys, true);
    let spec = *g.spec();
    let mut source = PreimageSource::new(SEED);
    assert!(!source.is_empty());
    let mut rng = Rng::new(5);
    let mut provided = 0usize;
    let mut with_work = 0usize;
    let mut applied = BTreeSet::new();
    for _ in 0..24 {
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
        with_work +=
            usize::from(!extrinsic.guarantees.is_empty() || !extrinsic.assurances.is_empty());
        source.fill(&ctx, &mut rng, &mut extrinsic).expect("fill");
        assert!(
            !extrinsic.preimages.is_empty(),
            "the parent still awaits blobs but none was provided"
        );
        let author = Author::new(keys[usize::from(planned.block.header.author_index)].clone());
        let block = author
            .seal_block(&spec, &*state, &root, &parent, slot, extrinsic)
            .expect("seal");

        for m in PreimageMutation::ALL {
            let Some(bad) = m.apply(&block.extrinsic, &ctx, &mut rng) else {
                continue;
            };
            assert_ne!(bad, block.extrinsic, "{m} changed nothing");
            // Preimages are not checked by the author: the block seals.
            let bad = author
                .seal_block(&spec, &*state, &root, &parent, slot, bad)
                .expect("a preimage mutation still seals");
            match support::import_rejected(&mut g, &bad, &parent, &m) {
                ChainError::Block(BlockError::Preimages(_)) => {}
                e => panic!("{m}: rejected for another reason: {e}"),
            }
            applied.insert(m);
        }

        g.import(&block).expect("the block with preimages imports");
        let hash = block.header.hash();
        g.advance(hash);
        let post = g.chain().state(&hash).unwrap().unwrap();
        for p in &block.extrinsic.preimages {
            let h = blake2b_256(&p.blob);
            // GP (12.21), (12.38): l[(h, |i|)] = [τ'], p[h] = i.
            assert_eq!(
                post.request(p.requester, &h, p.blob.len() as u32),
                Some(vec![slot])
            );
            assert_eq!(post.preimage(p.requester, &h), Some(&p.blob[..]));
            provided += 1;
        }
        // Ordered by (s, i) without duplicates, and length-first order agrees (GP (12.36)).
        let ps = &block.extrinsic.preimages;
        assert!(ps.windows(2).all(
            |w| (w[0].requester, &w[0].blob) < (w[1].requester, &w[1].blob)
                && w[0].blob.len() <= w[1].blob.len()
        ));
    }
    assert!(provided >= 24, "provided {provided}");
    assert!(with_work > 0, "no block carried guarantees or assurances");
    let missing: Vec<_> = PreimageMutation::ALL
        .iter()
        .filter(|m| !applied.contains(m))
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
}

#[test]
fn a_default_source_provides_nothing() {
    let keys = dev_key_set(6);
    let g = generator(&keys, false);
    let spec = *g.spec();
    let tip = g.tip();
    let state = g.chain().state(&tip).unwrap().unwrap();
    let ctx = BlockContext {
        spec: &spec,
        parent: &state,
        parent_hash: tip,
        parent_root: g.chain().state_root(&tip).unwrap().unwrap(),
        slot: 1,
        keys: &keys,
    };
    let mut e = Default::default();
    PreimageSource::default()
        .fill(&ctx, &mut Rng::new(1), &mut e)
        .unwrap();
    assert_eq!(e, marmalade_types::Extrinsic::default());
}
