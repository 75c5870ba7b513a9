//! Blocks authored on a trace genesis import through block import; tampered ones do not.

use super::*;
use marmalade_accumulation::CodeCache;
use marmalade_chain::{import_block, BlockError};
use marmalade_conformance::trace::{load_genesis, load_step};
use marmalade_crypto::ed25519;
use marmalade_crypto::hash::blake2b_256;
use marmalade_state::State;
use marmalade_types::{DisputesExtrinsic, StateRoot, TicketId};

const TINY: ChainSpec = ChainSpec::TINY;

/// A trace set's genesis: its header hash, state and state root.
fn genesis(set: &str) -> (HeaderHash, State, StateRoot) {
    let g = load_genesis(set);
    let state = g.state.to_state(&TINY).expect("genesis state decodes");
    (g.header.hash(), state, g.state.computed_root())
}

fn dev_set() -> Vec<ValidatorKeys> {
    dev_key_set(TINY.validators)
}

fn import(state: &State, root: &StateRoot, block: &Block) -> Result<(), BlockError> {
    import_block(&TINY, state, root, block, None, &CodeCache::new()).map(|_| ())
}

/// The trace genesis validators are the JIP-5 development keys: $\kappa$, $\gamma_P$ and
/// $\lambda$ hold `dev_keys(i)` at index `i`.
#[test]
fn trace_genesis_validators_are_dev_keys() {
    for set in ["fallback", "storage"] {
        let (_, state, _) = genesis(set);
        let c = &state.components;
        for (i, keys) in dev_set().iter().enumerate() {
            for set in [&c.kappa, &c.gamma_p, &c.lambda] {
                assert_eq!(set[i].bandersnatch, keys.bandersnatch_public(), "{i}");
                assert_eq!(set[i].ed25519, keys.ed25519_public(), "{i}");
            }
        }
    }
}

/// The slot authors [`slot_author`] finds among the dev keys are the trace's: within the
/// first epoch the fallback series $\gamma_S$ is the genesis's, so the trace blocks' author
/// indices are known answers.
#[test]
fn slot_authors_match_the_trace() {
    let (_, state, _) = genesis("fallback");
    let keys = dev_set();
    for n in 1..=5u32 {
        let step = load_step("fallback", n);
        let h = &step.block.header;
        assert!(h.slot < TINY.epoch_length, "first-epoch block");
        assert_eq!(
            slot_author(&TINY, &state, h.slot, &keys),
            Some(usize::from(h.author_index)),
            "slot {}",
            h.slot
        );
    }
}

/// A block sealed on the genesis imports; the same block tampered with does not.
#[test]
fn sealed_block_imports_and_tampered_does_not() {
    let (parent, state, root) = genesis("fallback");
    let keys = dev_set();
    let slot = 1;
    let who = slot_author(&TINY, &state, slot, &keys).expect("slot 1 has an author");
    let author = Author::new(keys[who].clone());
    let block = author
        .seal_block(&TINY, &state, &root, &parent, slot, Extrinsic::default())
        .expect("sealed");
    assert_eq!(usize::from(block.header.author_index), who);
    assert_eq!(import(&state, &root, &block), Ok(()));

    // The trace's own first block, at the same slot with the same (empty) extrinsic: the
    // header up to the seal is the same bytes, the entropy source included (the IETF VRF
    // signature without aux data is deterministic). The seals differ only in the proof's
    // nonce (the trace's signer derives it otherwise); both verify.
    let step = load_step("fallback", 1);
    assert_eq!(
        step.block.header.encode_unsigned(),
        block.header.encode_unsigned()
    );
    assert_eq!(import(&state, &root, &step.block), Ok(()));

    // Another validator may not seal this slot.
    let other = Author::new(keys[(who + 1) % keys.len()].clone());
    assert!(matches!(
        other.seal_block(&TINY, &state, &root, &parent, slot, Extrinsic::default()),
        Err(AuthoringError::NotSlotAuthor(1))
    ));

    // A flipped seal byte; an entropy source that is another valid signature; a header
    // field changed after sealing; the author index of another validator.
    let mut bad = block.clone();
    bad.header.seal[5] ^= 1;
    assert!(import(&state, &root, &bad).is_err());
    let mut bad = block.clone();
    bad.header.entropy_source =
        bandersnatch::ietf_sign(&author.keys.bandersnatch, b"other input", &[]);
    assert!(import(&state, &root, &bad).is_err());
    let mut bad = block.clone();
    bad.header.offenders_mark.push([1; 32]);
    assert_eq!(
        import(&state, &root, &bad),
        Err(BlockError::BadOffendersMark)
    );
    let mut bad = block.clone();
    bad.header.author_index = ((who + 1) % keys.len()) as ValidatorIndex;
    assert_eq!(
        import(&state, &root, &bad),
        Err(BlockError::UnexpectedAuthor)
    );
    // The extrinsic changed under a sealed header (its hash re-made, so the seal breaks).
    let mut bad = block.clone();
    bad.extrinsic.preimages.push(marmalade_types::Preimage {
        requester: 0,
        blob: vec![1, 2, 3],
    });
    bad.header.extrinsic_hash = extrinsic_hash(&bad.extrinsic);
    assert!(import(&state, &root, &bad).is_err());

    // A wrong parent is refused before sealing.
    assert!(matches!(
        author.seal_block(&TINY, &state, &root, &[9; 32], slot, Extrinsic::default()),
        Err(AuthoringError::ParentMismatch { .. })
    ));
}

/// A block that skips to the next epoch carries the epoch marker and is sealed under the new
/// fallback series $F(\eta'_2, \kappa')$ (GP (6.24), (6.26), (6.27)); it imports.
#[test]
fn epoch_change_block_imports() {
    let (parent, state, root) = genesis("fallback");
    let keys = dev_set();
    let slot = TINY.epoch_length + 2;
    let who = slot_author(&TINY, &state, slot, &keys).expect("an author");
    let block = Author::new(keys[who].clone())
        .seal_block(&TINY, &state, &root, &parent, slot, Extrinsic::default())
        .expect("sealed");
    let mark = block.header.epoch_mark.as_ref().expect("epoch marker");
    assert_eq!(mark.entropy, state.components.eta[0]);
    assert_eq!(import(&state, &root, &block), Ok(()));
    let mut bad = block.clone();
    bad.header.epoch_mark = None;
    assert_eq!(import(&state, &root, &bad), Err(BlockError::BadEpochMark));
}

/// The assurance signature is Ed25519 over `$jam_available` ⌢ H(E(H_P, a_f)) (GP (11.13)),
/// here built from the GP's definition rather than the STF's helper.
#[test]
fn assurance_signature() {
    let keys = dev_keys(2);
    let parent = [7; 32];
    let f = bitfield(&TINY, &[1]).unwrap();
    assert_eq!(f, vec![0b10]);
    let a = assurance(&TINY, &parent, &f, 2, &keys.ed25519).unwrap();
    let mut msg = b"jam_available".to_vec();
    msg.extend_from_slice(&blake2b_256(&[&parent[..], &f[..]].concat()));
    assert!(ed25519::verify(&keys.ed25519_public(), &msg, &a.signature));
    assert_eq!((a.anchor, a.validator_index), (parent, 2));
    assert!(matches!(
        assurance(&TINY, &parent, &[0, 0], 2, &keys.ed25519),
        Err(AuthoringError::BadBitfield { .. })
    ));
    assert!(matches!(
        assurance(&TINY, &parent, &f, 6, &keys.ed25519),
        Err(AuthoringError::BadValidatorIndex(6))
    ));
    assert!(matches!(
        bitfield(&TINY, &[2]),
        Err(AuthoringError::BadCoreIndex(2))
    ));
}

/// Under tickets (GP (6.15)) the slot's author is whoever holds its ticket: the seal's VRF
/// output must be the ticket identifier. A genesis whose $\gamma_S$ is a ticket series made
/// by dev keys is sealed by the ticket holders, and the blocks import.
#[test]
fn ticket_sealed_block_imports() {
    let (parent, mut state, root) = genesis("fallback");
    let keys = dev_set();
    let eta3 = state.components.eta[3];
    // Slot phase p's ticket is validator (p · 5 + 1) mod V's, entry index p mod N.
    let holder = |p: usize| (p * 5 + 1) % keys.len();
    let tickets = (0..TINY.epoch_len())
        .map(|p| {
            let attempt = (p % usize::from(TINY.tickets_per_validator)) as u8;
            marmalade_types::TicketBody {
                id: keys[holder(p)]
                    .bandersnatch
                    .vrf_output(&bandersnatch::ticket_seal_input(&eta3, attempt)),
                attempt,
            }
        })
        .collect();
    state.components.gamma_s = TicketsOrKeys::Tickets(tickets);
    for slot in [1, 2, 7] {
        let who = slot_author(&TINY, &state, slot, &keys).expect("a ticket holder");
        assert_eq!(who, holder(slot as usize));
        let block = Author::new(keys[who].clone())
            .seal_block(&TINY, &state, &root, &parent, slot, Extrinsic::default())
            .expect("sealed");
        assert_eq!(import(&state, &root, &block), Ok(()), "slot {slot}");
        // Not the holder: refused by the author, and by import if forced.
        let other = Author::new(keys[(who + 1) % keys.len()].clone());
        assert!(matches!(
            other.seal_block(&TINY, &state, &root, &parent, slot, Extrinsic::default()),
            Err(AuthoringError::NotSlotAuthor(_))
        ));
        // Forced: the other key signs the ticket's seal input under the holder's index.
        let attempt = (slot as usize % usize::from(TINY.tickets_per_validator)) as u8;
        let input = bandersnatch::ticket_seal_input(&eta3, attempt);
        let secret = &other.keys.bandersnatch;
        let mut forged = block.clone();
        forged.header.entropy_source = bandersnatch::ietf_sign(
            secret,
            &bandersnatch::entropy_input(&secret.vrf_output(&input)),
            &[],
        );
        forged.header.seal =
            bandersnatch::ietf_sign(secret, &input, &forged.header.encode_unsigned());
        assert_eq!(
            import(&state, &root, &forged),
            Err(BlockError::SealNotTicket)
        );
    }
}

/// The `fallback` and `safrole` traces re-authored: at each of their slots, with their
/// tickets extrinsic, the dev key [`slot_author`] picks is the trace's author and the block
/// it seals has the trace header's every field but the parent, the parent state root and the
/// seal (those follow from the seal's proof nonce, which the trace's signer derives
/// otherwise): the same entropy source (so the same $\eta$ throughout), epoch and
/// winning-tickets markers; sealed under fallback keys and, from the first epoch with
/// enacted tickets, by ticket holders (GP (6.15)–(6.17), (6.24), (6.27)–(6.28)). Every block
/// imports through [`marmalade_chain::Chain`], and its posterior $\eta'$, $\kappa'$,
/// $\gamma'_S$ and $\gamma'_A$ are the trace's.
#[test]
fn authored_chains_follow_the_traces() {
    for set in ["fallback", "safrole"] {
        let g = load_genesis(set);
        let mut chain = marmalade_chain::Chain::new(TINY, TINY.max_lookup_anchor_age as usize);
        let mut root = chain
            .initialize(&g.header, g.state.key_values(), None)
            .expect("genesis");
        let mut head = g.header.hash();
        let keys = dev_set();
        let mut ticket_sealed = 0;
        for n in 1..=100u32 {
            let step = load_step(set, n);
            let want = &step.block.header;
            let state = chain.state(&head).unwrap().expect("head state");
            let who = slot_author(&TINY, &*state, want.slot, &keys)
                .unwrap_or_else(|| panic!("{set} {n}: no author"));
            assert_eq!(who, usize::from(want.author_index), "{set} {n}: author");
            let xt = Extrinsic {
                tickets: step.block.extrinsic.tickets.clone(),
                ..Default::default()
            };
            assert_eq!(extrinsic_hash(&xt), want.extrinsic_hash, "{set} {n}");
            let block = Author::new(keys[who].clone())
                .seal_block(&TINY, &*state, &root, &head, want.slot, xt)
                .unwrap_or_else(|e| panic!("{set} {n}: {e}"));
            let got = &block.header;
            assert_eq!(got.entropy_source, want.entropy_source, "{set} {n}");
            assert_eq!(got.epoch_mark, want.epoch_mark, "{set} {n}");
            assert_eq!(got.tickets_mark, want.tickets_mark, "{set} {n}");
            assert_eq!(got.offenders_mark, want.offenders_mark, "{set} {n}");
            assert_eq!(got.author_index, want.author_index, "{set} {n}");
            root = chain
                .import(&block)
                .unwrap_or_else(|e| panic!("{set} {n}: import: {e}"));
            head = got.hash();
            // The same η', κ' and γ'_S as the trace's posterior state; γ'_S sealed it.
            let post = chain.state(&head).unwrap().expect("posterior");
            let trace_post = step.post_state.to_state(&TINY).expect("post state");
            let (ours, theirs) = (&post.components, &trace_post.components);
            assert_eq!(ours.eta, theirs.eta, "{set} {n}: η'");
            assert_eq!(ours.kappa, theirs.kappa, "{set} {n}: κ'");
            assert_eq!(ours.gamma_s, theirs.gamma_s, "{set} {n}: γ'_S");
            assert_eq!(ours.gamma_a, theirs.gamma_a, "{set} {n}: γ'_A");
            if matches!(ours.gamma_s, TicketsOrKeys::Tickets(_)) {
                ticket_sealed += 1;
            }
        }
        if set == "safrole" {
            assert!(
                ticket_sealed > 0,
                "the safrole trace has ticket-sealed slots"
            );
        } else {
            assert_eq!(ticket_sealed, 0);
        }
    }
}

/// A block with a disputes extrinsic carries the offenders marker disputes produce: the
/// culprits' keys in extrinsic order (GP (10.20)). Here a verdict of five invalid judgments
/// on a report (a bad verdict, GP (10.12)) with its two culprits (GP (10.14)).
#[test]
fn disputes_block_carries_offenders_mark() {
    use marmalade_types::{Culprit, Judgement, Verdict};
    let (parent, state, root) = genesis("fallback");
    let keys = dev_set();
    let target = [7; 32];
    let signed = |ctx: &[u8], v: usize| keys[v].ed25519.sign(&[ctx, &target[..]].concat());
    let votes = (0..TINY.validators_super_majority())
        .map(|v| Judgement {
            vote: false,
            index: v as ValidatorIndex,
            signature: signed(b"jam_invalid", v),
        })
        .collect();
    let mut culprits: Vec<Culprit> = [2, 4]
        .into_iter()
        .map(|v| Culprit {
            target,
            key: keys[v].ed25519_public(),
            signature: signed(b"jam_guarantee", v),
        })
        .collect();
    culprits.sort_by_key(|c| c.key);
    let mut xt = Extrinsic {
        disputes: DisputesExtrinsic {
            verdicts: vec![Verdict {
                target,
                age: TINY.epoch_of(state.components.tau),
                votes,
            }],
            culprits: culprits.clone(),
            faults: Vec::new(),
        },
        ..Default::default()
    };
    let slot = 1;
    let who = slot_author(&TINY, &state, slot, &keys).expect("an author");
    let block = Author::new(keys[who].clone())
        .seal_block(&TINY, &state, &root, &parent, slot, xt.clone())
        .expect("sealed");
    let mark: Vec<_> = culprits.iter().map(|c| c.key).collect();
    assert_eq!(block.header.offenders_mark, mark);
    assert_eq!(import(&state, &root, &block), Ok(()));

    // An invalid disputes extrinsic is refused by the author: a bad verdict with one culprit.
    xt.disputes.culprits.truncate(1);
    assert!(matches!(
        Author::new(keys[who].clone()).seal_block(&TINY, &state, &root, &parent, slot, xt),
        Err(AuthoringError::Disputes(disputes::Error::NotEnoughCulprits))
    ));
}

/// Every dev key makes its $\mathsf{N}$ tickets on the genesis; the block at slot 1 carries
/// the $\mathsf{K}$ lowest, which import and enter $\gamma'_A$ (GP (6.29)–(6.35)).
#[test]
fn tickets_are_made_selected_and_imported() {
    let (parent, state, root) = genesis("fallback");
    let keys = dev_set();
    let slot = 1;
    let all: Vec<Ticket> = keys
        .iter()
        .flat_map(|k| make_tickets(&TINY, &state, slot, k).expect("in γ_P"))
        .collect();
    assert_eq!(
        all.len(),
        keys.len() * usize::from(TINY.tickets_per_validator)
    );
    let chosen = select_tickets(&TINY, &state, slot, &all);
    assert_eq!(chosen.len(), TINY.max_tickets_per_extrinsic);
    let mut ids: Vec<_> = all.iter().map(|t| t.id).collect();
    ids.sort();
    let who = slot_author(&TINY, &state, slot, &keys).expect("an author");
    let xt = Extrinsic {
        tickets: chosen,
        ..Default::default()
    };
    let block = Author::new(keys[who].clone())
        .seal_block(&TINY, &state, &root, &parent, slot, xt)
        .expect("sealed");
    let changes = import_block(&TINY, &state, &root, &block, None, &CodeCache::new())
        .expect("the block with tickets imports");
    let post = changes.components.expect("components change");
    let kept: Vec<_> = post.gamma_a.iter().map(|t| t.id).collect();
    assert_eq!(kept, ids[..TINY.max_tickets_per_extrinsic]);

    // In the epoch's tail no ticket may be carried (GP (6.30)).
    assert!(select_tickets(&TINY, &state, TINY.ticket_submission_end, &all).is_empty());
    // Keys outside γ'_P make none.
    assert!(matches!(
        make_tickets(&TINY, &state, slot, &dev_keys(99)),
        Err(AuthoringError::NotInPendingSet)
    ));
}

/// The tickets of the `safrole` trace's blocks are dev-key tickets: each identifier (the
/// proof's output, which does not depend on the proof's randomness) is the VRF output some
/// dev key has for $\mathsf{X}_T \frown \eta'_2 \frown e$ on the block's pre-state, which
/// is what [`make_tickets`] makes.
#[test]
fn trace_tickets_are_dev_key_tickets() {
    let keys = dev_set();
    let mut seen = 0;
    for n in [12u32, 13, 15] {
        let step = load_step("safrole", n);
        let pre = step.pre_state.to_state(&TINY).expect("pre state");
        let slot = step.block.header.slot;
        let eta2 = safrole_posterior(&TINY, &pre.components, &[], slot, &[])
            .expect("posterior")
            .eta[2];
        for t in &step.block.extrinsic.tickets {
            let id: TicketId = bandersnatch::ring_vrf_output(&t.signature).expect("a ring proof");
            let input = bandersnatch::ticket_seal_input(&eta2, t.attempt);
            assert!(
                keys.iter().any(|k| k.bandersnatch.vrf_output(&input) == id),
                "block {n}: a ticket no dev key makes"
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "tickets in blocks 12, 13 and 15");
}
