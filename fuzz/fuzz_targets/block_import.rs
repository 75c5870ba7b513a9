//! Block import with structure-aware mutations of real trace blocks.
//!
//! A fixed set of trace steps (`traces/<set>/NNNNNNNN.bin`, chosen for their extrinsics:
//! tickets, preimages, guarantees, assurances, epoch and tickets markers) is loaded once from
//! `$JAM_VECTORS/jam-test-vectors/traces` (default: the repository's `.jam-vectors`). Each
//! input picks a step, applies a few field mutations to its block, optionally fixes the
//! extrinsic hash and re-seals the header with the trace's (well-known) validator key, so
//! that mutated blocks get past the seal into the rest of import, and imports it on a fresh
//! `Chain` holding the step's prior state.
//!
//! Invariants: no panic; an `Err` leaves the chain as it was (head, the parent's stored root,
//! and the parent's state as the trie gives it); an untouched block imports to the trace's
//! posterior root; an imported block re-imports to the same root.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use marmalade_chain::{block_ref, extrinsic_hash, Chain};
use marmalade_codec::{decode_all, Decode};
use marmalade_crypto::bandersnatch::{self, SecretKey};
use marmalade_crypto::hash::blake2b_256;
use marmalade_state::{State, StateKey};
use marmalade_store::BlockRef;
use marmalade_types::{Block, ChainSpec, EpochMark};
use std::path::PathBuf;
use std::sync::OnceLock;

const SPEC: ChainSpec = ChainSpec::TINY;

/// (set, step): blocks with tickets, preimages, guarantees, assurances and markers.
const STEPS: &[(&str, u32)] = &[
    ("preimages", 8),
    ("preimages", 12),
    ("preimages", 14),
    ("preimages_light", 17),
    ("storage", 6),
    ("storage", 8),
    ("storage_light", 2),
    ("safrole", 12),
    ("safrole", 13),
    ("safrole", 46),
    ("fallback", 12),
    ("fallback", 13),
];

/// The trace schema (`traces/schema.asn`), declared here so the harness does not depend on
/// which crate holds the trace runner's types.
#[derive(Decode)]
struct KeyValue {
    key: StateKey,
    value: Vec<u8>,
}

#[derive(Decode)]
struct RawState {
    state_root: [u8; 32],
    keyvals: Vec<KeyValue>,
}

#[derive(Decode)]
struct TraceStep {
    pre_state: RawState,
    block: Block,
    post_state: RawState,
}

struct Step {
    name: String,
    parent: BlockRef,
    pre: Vec<(StateKey, Vec<u8>)>,
    block: Block,
    post_root: [u8; 32],
    /// The author's secret and the seal's VRF input, when the author is a well-known key.
    sealer: Option<(SecretKey, Vec<u8>)>,
}

fn traces_dir() -> PathBuf {
    let root = std::env::var_os("JAM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.jam-vectors")));
    root.join("jam-test-vectors/traces")
}

/// The JAM test validators' Bandersnatch secrets (JIP-5: seed `i` as 8 × `u32` LE, hashed
/// with a key-type prefix), and the plain trivial seeds as a fallback convention.
fn dev_secrets() -> Vec<SecretKey> {
    (0u32..SPEC.validators as u32)
        .flat_map(|i| {
            let seed: Vec<u8> = (0..8).flat_map(|_| i.to_le_bytes()).collect();
            let mut prefixed = b"jam_val_key_bandersnatch".to_vec();
            prefixed.extend_from_slice(&seed);
            [
                SecretKey::from_seed(&blake2b_256(&prefixed)),
                SecretKey::from_seed(&seed),
            ]
        })
        .collect()
}

/// The author's secret and the seal input whose VRF output the recorded seal carries.
fn find_sealer(
    state: &State,
    block: &Block,
    secrets: &[SecretKey],
) -> Option<(SecretKey, Vec<u8>)> {
    let out = bandersnatch::vrf_output(&block.header.seal)?;
    let c = &state.components;
    let mut inputs = Vec::new();
    for eta in [c.eta[2], c.eta[3]] {
        inputs.push(bandersnatch::fallback_seal_input(&eta));
        for attempt in 0..4 {
            inputs.push(bandersnatch::ticket_seal_input(&eta, attempt));
        }
    }
    let keys: Vec<_> = c
        .kappa
        .iter()
        .chain(c.gamma_p.iter())
        .map(|v| v.bandersnatch)
        .collect();
    secrets
        .iter()
        .filter(|s| keys.contains(&s.public()))
        .find_map(|s| {
            let input = inputs.iter().find(|i| s.vrf_output(i) == out)?;
            Some((s.clone(), input.clone()))
        })
}

fn steps() -> &'static [Step] {
    static STEPS_CELL: OnceLock<Vec<Step>> = OnceLock::new();
    STEPS_CELL.get_or_init(|| {
        let dir = traces_dir();
        let secrets = dev_secrets();
        let steps: Vec<Step> = STEPS
            .iter()
            .map(|&(set, n)| {
                let path = dir.join(set).join(format!("{n:08}.bin"));
                let bytes = std::fs::read(&path).unwrap_or_else(|e| {
                    panic!(
                        "block_import needs the trace vectors: {}: {e} \
                         (unpack them into .jam-vectors or set JAM_VECTORS)",
                        path.display()
                    )
                });
                let step: TraceStep = decode_all(&bytes, SPEC.seq_lens())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let pre: Vec<(StateKey, Vec<u8>)> = step
                    .pre_state
                    .keyvals
                    .into_iter()
                    .map(|kv| (kv.key, kv.value))
                    .collect();
                let state = State::from_key_values(&SPEC, pre.iter().map(|(k, v)| (*k, &v[..])))
                    .expect("trace pre-state decodes");
                let sealer = find_sealer(&state, &step.block, &secrets);
                Step {
                    name: format!("{set}/{n:08}"),
                    parent: BlockRef {
                        hash: step.block.header.parent,
                        slot: state.components.tau,
                        parent: step.block.header.parent,
                    },
                    pre,
                    post_root: step.post_state.state_root,
                    block: step.block,
                    sealer,
                }
            })
            .collect();
        let sealable = steps.iter().filter(|s| s.sealer.is_some()).count();
        eprintln!(
            "block_import: {} trace steps loaded, {sealable} re-sealable",
            steps.len()
        );
        steps
    })
}

fn flip(u: &mut Unstructured, bytes: &mut [u8]) -> Result<()> {
    if !bytes.is_empty() {
        let i = u.choose_index(bytes.len())?;
        bytes[i] ^= u.int_in_range(1..=255u8)?;
    }
    Ok(())
}

/// Removes, duplicates or swaps items of a list.
fn reorder<T: Clone>(u: &mut Unstructured, v: &mut Vec<T>) -> Result<()> {
    if v.is_empty() {
        return Ok(());
    }
    let i = u.choose_index(v.len())?;
    match u.int_in_range(0..=2u8)? {
        0 => {
            v.remove(i);
        }
        1 => v.insert(i, v[i].clone()),
        _ => {
            let j = u.choose_index(v.len())?;
            v.swap(i, j);
        }
    }
    Ok(())
}

fn pick<'a, T>(u: &mut Unstructured, v: &'a mut [T]) -> Result<Option<&'a mut T>> {
    if v.is_empty() {
        return Ok(None);
    }
    let i = u.choose_index(v.len())?;
    Ok(v.get_mut(i))
}

fn mutate(u: &mut Unstructured, b: &mut Block) -> Result<()> {
    let h = &mut b.header;
    let x = &mut b.extrinsic;
    match u.int_in_range(0..=23u8)? {
        0 => h.slot = h.slot.wrapping_add(u.int_in_range(-3i32..=14)? as u32),
        1 => h.slot = u.arbitrary()?,
        2 => flip(u, &mut h.parent)?,
        3 => flip(u, &mut h.parent_state_root)?,
        4 => h.author_index = u.int_in_range(0..=7)?,
        5 => flip(u, &mut h.seal)?,
        6 => flip(u, &mut h.entropy_source)?,
        7 => {
            h.epoch_mark = match h.epoch_mark.take() {
                Some(_) => None,
                None => Some(EpochMark {
                    validators: vec![Default::default(); SPEC.validators],
                    ..Default::default()
                }),
            }
        }
        8 => h.offenders_mark.push(u.arbitrary()?),
        9 => reorder(u, &mut x.tickets)?,
        10 => {
            if let Some(t) = pick(u, &mut x.tickets)? {
                t.attempt = u.arbitrary()?;
            }
        }
        11 => {
            if let Some(t) = pick(u, &mut x.tickets)? {
                flip(u, &mut t.signature)?;
            }
        }
        12 => reorder(u, &mut x.preimages)?,
        13 => {
            if let Some(p) = pick(u, &mut x.preimages)? {
                match u.int_in_range(0..=3u8)? {
                    0 => p.requester = u.arbitrary()?,
                    1 => flip(u, &mut p.blob)?,
                    2 => p.blob.truncate(u.choose_index(p.blob.len() + 1)?),
                    _ => p.blob.push(u.arbitrary()?),
                }
            }
        }
        14 => reorder(u, &mut x.guarantees)?,
        15 => {
            if let Some(g) = pick(u, &mut x.guarantees)? {
                g.slot = g.slot.wrapping_add(u.int_in_range(-13i32..=2)? as u32);
            }
        }
        16 => {
            if let Some(g) = pick(u, &mut x.guarantees)? {
                match u.int_in_range(0..=2u8)? {
                    0 => reorder(u, &mut g.signatures)?,
                    1 => {
                        if let Some(s) = pick(u, &mut g.signatures)? {
                            s.validator_index = u.int_in_range(0..=7)?;
                        }
                    }
                    _ => {
                        if let Some(s) = pick(u, &mut g.signatures)? {
                            flip(u, &mut s.signature)?;
                        }
                    }
                }
            }
        }
        17 => {
            if let Some(g) = pick(u, &mut x.guarantees)? {
                let r = &mut g.report;
                match u.int_in_range(0..=4u8)? {
                    0 => r.core_index = u.int_in_range(0..=3)?,
                    1 => r.context.lookup_anchor_slot = u.arbitrary()?,
                    2 => flip(u, &mut r.context.anchor)?,
                    3 => reorder(u, &mut r.results)?,
                    _ => r.auth_gas_used = u.arbitrary()?,
                }
            }
        }
        18 => reorder(u, &mut x.assurances)?,
        19 => {
            if let Some(a) = pick(u, &mut x.assurances)? {
                match u.int_in_range(0..=3u8)? {
                    0 => flip(u, &mut a.bitfield)?,
                    1 => a.validator_index = u.int_in_range(0..=7)?,
                    2 => flip(u, &mut a.anchor)?,
                    _ => flip(u, &mut a.signature)?,
                }
            }
        }
        20 => {
            // Move a whole extrinsic part to another step's block is not possible here; drop
            // one instead.
            match u.int_in_range(0..=3u8)? {
                0 => x.tickets.clear(),
                1 => x.preimages.clear(),
                2 => x.guarantees.clear(),
                _ => x.assurances.clear(),
            }
        }
        21 => x.disputes.culprits.push(marmalade_types::Culprit {
            target: u.arbitrary()?,
            key: u.arbitrary()?,
            signature: [u.arbitrary()?; 64],
        }),
        22 => x.disputes.faults.push(marmalade_types::Fault {
            target: u.arbitrary()?,
            vote: u.arbitrary()?,
            key: u.arbitrary()?,
            signature: [u.arbitrary()?; 64],
        }),
        _ => {
            h.tickets_mark = None;
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let steps = steps();
    let mut u = Unstructured::new(data);
    let Ok(i) = u.choose_index(steps.len()) else {
        return;
    };
    let step = &steps[i];
    let mut block = step.block.clone();
    let n = u.int_in_range(0..=6u8).unwrap_or(0);
    for _ in 0..n {
        if mutate(&mut u, &mut block).is_err() {
            break;
        }
    }
    let flags: u8 = u.arbitrary().unwrap_or(0);
    if flags & 1 == 0 {
        block.header.extrinsic_hash = extrinsic_hash(&block.extrinsic);
    }
    if flags & 2 == 0 {
        if let Some((secret, input)) = &step.sealer {
            block.header.seal =
                bandersnatch::ietf_sign(secret, input, &block.header.encode_unsigned());
        }
    }
    let untouched = block == step.block;

    let mut chain = Chain::new(SPEC, 24);
    let root = chain
        .initialize_at(step.parent, step.pre.clone(), None)
        .expect("trace pre-state initialises");
    let head = chain.head();
    match chain.import(&block) {
        Ok(post) => {
            if untouched {
                assert_eq!(
                    post, step.post_root,
                    "{}: trace block imports to another root",
                    step.name
                );
            }
            assert_eq!(
                chain.import(&block).ok(),
                Some(post),
                "{}: re-import",
                step.name
            );
            let hash = block_ref(&block.header).hash;
            assert_eq!(chain.state_root(&hash).unwrap(), Some(post));
        }
        Err(e) => {
            assert!(
                !untouched || step.post_root == root,
                "{}: trace block rejected: {e}",
                step.name
            );
            assert_eq!(chain.head(), head, "{}: head moved on {e}", step.name);
            assert_eq!(chain.state_root(&step.parent.hash).unwrap(), Some(root));
            let kvs = chain.get_state(&step.parent.hash).expect("parent state");
            let again = marmalade_merkle::state_root(kvs.iter().map(|(k, v)| (k, &v[..])));
            assert_eq!(
                again, root,
                "{}: parent state changed by a rejected block ({e})",
                step.name
            );
        }
    }
});
