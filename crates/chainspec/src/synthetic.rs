//! Synthetic geneses: a valid genesis for any [`ChainSpec`] (`tiny` or `full`) over a given
//! validator set, for benchmarks and tests at full size (1,023 validators) where no chain
//! spec file exists.
//!
//! [`genesis_from`] builds the genesis the `dev` chain has ([`crate::dev`]) for any
//! parameters, validator set and entropy: the validators in every set, their ring root, the
//! fallback sealing keys, the NULL Authorizer in every pool and queue and service 0 holding
//! the bootstrap code. With `tiny`, the six development validators and the `dev` chain's
//! entropy constants it is the `dev` genesis itself (tested). [`synthetic_genesis`] is it
//! with entropy drawn from a fixed seed ([`synthetic_entropy`]) and made consistent with the
//! genesis header's epoch mark, as if the genesis were the first block of epoch 0.

use crate::dev::{dev_validators, BOOTSTRAP_CODE, BOOTSTRAP_SERVICE, NULL_AUTHORIZER};
use crate::spec::Genesis;
use marmalade_authoring::ValidatorKeys;
use marmalade_crypto::bandersnatch::{ring_commitment, BandersnatchError};
use marmalade_crypto::{blake2b_256, blake2b_256_concat};
use marmalade_state::account::request_octets;
use marmalade_state::{State, StateError, StateTrie};
use marmalade_stf::safrole::fallback_key_sequence;
use marmalade_types::constants::{AUTH_POOL_SIZE, AUTH_QUEUE_SIZE};
use marmalade_types::{
    AuthPools, AuthQueue, AuthQueues, BlockInfo, ChainSpec, Entropy, EntropyBuffer, EpochMark,
    EpochMarkValidatorKeys, Header, RecentBlocks, ServiceInfo, TicketsOrKeys, ValidatorData,
    ValidatorsData,
};
use std::collections::BTreeMap;

/// The seed [`synthetic_entropy`] hashes: $\eta_i = \mathcal{H}(\text{seed} \frown i)$.
pub const SYNTHETIC_ENTROPY_SEED: &[u8] = b"marmalade synthetic genesis";

/// Why a genesis could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticGenesisError {
    /// The validator set is not $\mathsf{V}$ validators long.
    #[error("{found} validators given, the chain spec has {expected}")]
    ValidatorCount {
        /// $\mathsf{V}$.
        expected: usize,
        /// The validators given.
        found: usize,
    },
    /// The ring root $\gamma_Z$ could not be made (no ring parameters for that size).
    #[error("ring root: {0}")]
    Ring(#[from] BandersnatchError),
    /// The state does not fit the chain spec (a bug of this module: every sequence is sized
    /// from the spec).
    #[error("genesis state: {0}")]
    Shape(#[from] StateError),
}

/// $\eta$ of a synthetic genesis: $\eta_i = \mathcal{H}(\text{seed} \frown i)$ for
/// $i \in \mathbb{N}_4$ with [`SYNTHETIC_ENTROPY_SEED`]. Arbitrary but fixed, so that the
/// genesis is deterministic.
pub fn synthetic_entropy() -> [Entropy; 4] {
    [0u8, 1, 2, 3].map(|i| blake2b_256_concat(&[SYNTHETIC_ENTROPY_SEED, &[i]]))
}

/// A genesis under `spec` whose validators are `keys` (in order), with
/// [`synthetic_entropy`] as $\eta$: [`genesis_from`] with the validators' data of
/// [`dev_validators`] (their Bandersnatch and Ed25519 keys, no BLS key, metadata naming
/// `[::ffff:127.0.0.1]:40000+i`) and the epoch mark $(\eta_1, \eta_2)$, the values a first
/// block of epoch 0 would rotate into $\eta'_1, \eta'_2$ (GP (6.23), (6.27)).
///
/// `keys` must be $\mathsf{V}$ long (`spec.validators`); with `full`, the 1,023 development
/// keys `marmalade_authoring::dev_key_set(1023)` give a validator set of which any node
/// holding them all authors every slot. Building it costs one ring commitment over the keys
/// (about 0.2 s at 1,023).
pub fn synthetic_genesis(
    spec: &ChainSpec,
    keys: &[ValidatorKeys],
) -> Result<Genesis, SyntheticGenesisError> {
    let eta = synthetic_entropy();
    genesis_from(spec, &dev_validators(keys), eta, [eta[1], eta[2]])
}

/// The genesis under `spec` with `validators` and the entropy `eta` (the state's $\eta$) and
/// `epoch_mark` (the header's epoch-mark entropies):
///
/// - $\gamma_P = \iota = \kappa = \lambda$ = `validators`;
/// - $\gamma_Z = \mathcal{O}([k_b \mid k \in \gamma_P])$ (GP (6.13));
/// - no tickets: $\gamma_S = F(\text{epoch\_mark}_1, \kappa)$ (GP (6.24), (6.26)), the
///   second epoch-mark entropy standing for $\eta'_2$; $\gamma_A$ empty;
/// - every authorizer pool and queue full of the NULL Authorizer's authorizer
///   $\mathcal{H}(\mathcal{H}(c) \frown [])$ (GP (8.1), (14.10));
/// - service 0 holding the bootstrap code and the NULL Authorizer as preimages available
///   since slot 0, every privilege its (as [`State::empty`] has $\chi$);
/// - $\beta_H$ holding the genesis block with a zero state root (GP (7.5));
/// - the header $\mathbf{H}^0$: no parent, slot 0, no author ($2^{16}-1$), the epoch mark
///   introducing `validators` (GP (6.27)).
///
/// The state passes [`State::check_shape`]. `validators` must be $\mathsf{V}$ long.
pub fn genesis_from(
    spec: &ChainSpec,
    validators: &[ValidatorData],
    eta: [Entropy; 4],
    epoch_mark: [Entropy; 2],
) -> Result<Genesis, SyntheticGenesisError> {
    if validators.len() != spec.validators {
        return Err(SyntheticGenesisError::ValidatorCount {
            expected: spec.validators,
            found: validators.len(),
        });
    }
    let mut state = State::empty(spec);
    let c = &mut state.components;

    let set = ValidatorsData(validators.to_vec());
    (c.gamma_p, c.iota, c.kappa, c.lambda) = (set.clone(), set.clone(), set.clone(), set);
    let bandersnatch: Vec<_> = validators.iter().map(|v| v.bandersnatch).collect();
    // γ_Z = O([k_b | k ∈ γ_P]) (GP (6.13)).
    c.gamma_z = ring_commitment(&bandersnatch)?;
    // No tickets at genesis: the fallback keys F(η'_2, κ') (GP (6.24), (6.26)).
    c.gamma_s = TicketsOrKeys::Keys(fallback_key_sequence(
        &epoch_mark[1],
        validators,
        spec.epoch_len(),
    ));
    c.eta = EntropyBuffer(eta);

    // The NULL Authorizer with empty configuration, H(H(c) ⌢ []) (GP (14.10)), fills every
    // pool and queue (GP (8.1)): guarantees need an authorizer in the core's pool.
    let authorizer = blake2b_256_concat(&[&blake2b_256(NULL_AUTHORIZER), &[]]);
    c.alpha = AuthPools(vec![vec![authorizer; AUTH_POOL_SIZE]; spec.cores]);
    c.phi = AuthQueues(vec![
        AuthQueue(vec![authorizer; AUTH_QUEUE_SIZE]);
        spec.cores
    ]);

    // Service 0 holds both blobs as preimages, each requested and available since slot 0
    // (l[(h, |p|)] = [0]).
    let mut octets = 0u64;
    for blob in [BOOTSTRAP_CODE, NULL_AUTHORIZER] {
        let hash = blake2b_256(blob);
        state.set_preimage(BOOTSTRAP_SERVICE, &hash, Some(blob.to_vec()));
        // Both blobs are constants of this crate, far below 2^32 octets.
        state.set_lookup(BOOTSTRAP_SERVICE, &hash, blob.len() as u32, Some(&[0]));
        octets += request_octets(blob.len() as u64);
    }
    state.accounts = BTreeMap::from([(
        BOOTSTRAP_SERVICE,
        ServiceInfo {
            version: 0,
            code_hash: blake2b_256(BOOTSTRAP_CODE),
            balance: u64::MAX,
            min_item_gas: 10,
            min_memo_gas: 10,
            // a_o and a_i (GP (9.8)): 81 + z per request, two items per request.
            bytes: octets,
            // Gratis storage covers all: the service needs no balance for its footprint.
            deposit_offset: u64::MAX,
            items: 4,
            creation_slot: 0,
            last_accumulation_slot: 0,
            parent_service: 0,
        },
    )]);

    let header = Header {
        parent: [0; 32],
        parent_state_root: [0; 32],
        extrinsic_hash: [0; 32],
        slot: 0,
        epoch_mark: Some(EpochMark {
            entropy: epoch_mark[0],
            tickets_entropy: epoch_mark[1],
            validators: validators
                .iter()
                .map(|v| EpochMarkValidatorKeys {
                    bandersnatch: v.bandersnatch,
                    ed25519: v.ed25519,
                })
                .collect(),
        }),
        tickets_mark: None,
        author_index: u16::MAX,
        entropy_source: [0; 96],
        offenders_mark: Vec::new(),
        seal: [0; 96],
    };
    let header_hash = header.hash();
    // The next block corrects the zero state root (GP (7.5)); the accumulation-output belt
    // starts empty (GP (7.7)).
    state.components.beta = RecentBlocks {
        history: vec![BlockInfo {
            header_hash,
            beefy_root: [0; 32],
            state_root: [0; 32],
            reported: Vec::new(),
        }],
        mmr: Default::default(),
    };
    state.check_shape(spec)?;
    let state_root = StateTrie::from_state(&state, spec).root();
    Ok(Genesis {
        header,
        header_hash,
        state,
        state_root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::dev_genesis;
    use crate::ChainSpecFile;
    use marmalade_accumulation::CodeCache;
    use marmalade_authoring::{dev_key_set, make_tickets, select_tickets, slot_author, Author};
    use marmalade_chain::import_block;
    use marmalade_types::{Extrinsic, TimeSlot};

    /// The genesis decoded back from its JIP-4 spec (which checks the shape, and that the
    /// key/values are a state) is the genesis, with the same root.
    fn assert_round_trips(g: &Genesis, spec: &ChainSpec) {
        let file = ChainSpecFile::from_genesis("synthetic", Vec::new(), g, spec);
        let back = file.genesis(spec).expect("the genesis decodes");
        assert_eq!(&back, g);
    }

    /// Seals the block at `slot` on the genesis with the tickets of `ticket_keys`, by
    /// whichever of `keys` may, and imports it.
    fn author_and_import(
        spec: &ChainSpec,
        g: &Genesis,
        keys: &[ValidatorKeys],
        slot: TimeSlot,
        ticket_keys: &[ValidatorKeys],
    ) -> usize {
        let who = slot_author(spec, &g.state, slot, keys).expect("a dev key seals the slot");
        let mut tickets = Vec::new();
        for k in ticket_keys {
            tickets.extend(make_tickets(spec, &g.state, slot, k).expect("tickets"));
        }
        let extrinsic = Extrinsic {
            tickets: select_tickets(spec, &g.state, slot, &tickets),
            ..Default::default()
        };
        let carried = extrinsic.tickets.len();
        let block = Author::new(keys[who].clone())
            .seal_block(
                spec,
                &g.state,
                &g.state_root,
                &g.header_hash,
                slot,
                extrinsic,
            )
            .expect("sealed");
        import_block(
            spec,
            &g.state,
            &g.state_root,
            &block,
            None,
            &CodeCache::new(),
        )
        .expect("the block imports");
        carried
    }

    /// The synthetic `tiny` genesis over the dev keys has the dev chain's validator sets and
    /// ring root, its own entropy (matching its epoch mark), and blocks on it import, with
    /// tickets (ring proofs against its $\gamma_Z$) and without.
    #[test]
    fn synthetic_tiny_genesis_has_dev_validators_and_imports_blocks() {
        let spec = ChainSpec::TINY;
        let keys = dev_key_set(spec.validators);
        let g = synthetic_genesis(&spec, &keys).unwrap();
        let dev = dev_genesis().unwrap();
        let (c, d) = (&g.state.components, &dev.state.components);
        assert_eq!(c.kappa, d.kappa);
        assert_eq!(c.lambda, d.lambda);
        assert_eq!(c.iota, d.iota);
        assert_eq!(c.gamma_p, d.gamma_p);
        assert_eq!(c.gamma_z, d.gamma_z);
        assert_ne!(c.eta, d.eta);
        let mark = g.header.epoch_mark.as_ref().unwrap();
        assert_eq!((mark.entropy, mark.tickets_entropy), (c.eta[1], c.eta[2]));
        assert_eq!(g, synthetic_genesis(&spec, &keys).unwrap(), "deterministic");
        assert_round_trips(&g, &spec);

        assert_eq!(author_and_import(&spec, &g, &keys, 1, &[]), 0);
        // One key's N tickets, K of them carried (GP (6.30)).
        let carried = author_and_import(&spec, &g, &keys, 1, &keys[..1]);
        assert_eq!(carried, spec.max_tickets_per_extrinsic);
        // A tail slot (m ≥ Y) carries none.
        let tail = spec.epoch_length - 1;
        assert_eq!(author_and_import(&spec, &g, &keys, tail, &[]), 0);
    }

    /// The `full` genesis over 1,023 development keys fits `full`, and a block on it imports.
    #[test]
    fn synthetic_full_genesis_fits_and_imports_a_block() {
        let spec = ChainSpec::FULL;
        let keys = dev_key_set(spec.validators);
        let g = synthetic_genesis(&spec, &keys).unwrap();
        assert_eq!(g.state.check_shape(&spec), Ok(()));
        assert_eq!(g.state.components.kappa.len(), 1023);
        assert_eq!(g.state.components.gamma_s.len(), 600);
        assert_eq!(g.state.components.alpha.len(), 341);
        assert_round_trips(&g, &spec);
        assert_eq!(
            author_and_import(&spec, &g, &keys, spec.epoch_length - 1, &[]),
            0
        );
    }

    #[test]
    fn wrong_validator_count_is_refused() {
        let keys = dev_key_set(5);
        assert!(matches!(
            synthetic_genesis(&ChainSpec::TINY, &keys),
            Err(SyntheticGenesisError::ValidatorCount {
                expected: 6,
                found: 5
            })
        ));
    }
}
