//! A deterministic source of valid blocks: the dev chain (or any genesis whose validators are
//! the JIP-5 development keys) authored by all six development validators over the oracle's
//! own [`Chain`].
//!
//! Each [`Generator::plan`] picks the next slot after the tip (skipping `0..max_skip` slots
//! at random), finds the validator that may seal it (the ticket holder or the fallback key,
//! GP (6.15)–(6.16)), adds the tickets a block may carry there (ring proofs made once per
//! epoch for every key in $\gamma'_P$, GP (6.29)–(6.35)) and seals it
//! ([`Author::seal_block`]). Now and then it also authors a sibling: another valid block on
//! the same parent (a fork of depth one). The driver imports what it sends into the oracle
//! ([`Generator::import`]) and moves the tip to the planned block ([`Generator::advance`]).

use crate::extrinsics::{preimages, BlockContext, Extras, ExtrinsicConfig, ExtrinsicError};
use crate::rng::Rng;
use marmalade_authoring::{
    dev_key_set, make_tickets, select_tickets, slot_author, Author, AuthoringError, Ticket,
    ValidatorKeys,
};
use marmalade_chain::{Chain, ChainError};
use marmalade_chainspec::Genesis;
use marmalade_crypto::blake2b_256_concat;
use marmalade_state::{State, StateKey};
use marmalade_types::{Block, ChainSpec, Extrinsic, Hash, Header, HeaderHash, StateRoot, TimeSlot};
use rayon::prelude::*;
use std::sync::Arc;

/// How blocks are generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorConfig {
    /// The largest number of slots skipped between a block and its parent (the slot is
    /// `parent + 1 + r`, `r` uniform in `0..=max_skip`).
    pub max_skip: u32,
    /// The probability that a planned block comes with a valid sibling.
    pub fork_share: f64,
    /// How often blocks carry guarantees, assurances, preimages and disputes.
    pub extrinsics: ExtrinsicConfig,
    /// The share of epochs in which tickets are submitted (the rest are fallback-sealed).
    /// Ring proofs are most of a session's cost; which epochs is a function of the seed and
    /// the epoch's $\eta'_2$.
    pub ticket_epochs: f64,
    /// The most keys that submit tickets in an epoch (each makes $\mathsf{N}$ ring proofs);
    /// which keys rotates with the epoch. With `full` (1,023 keys) a few suffice to exercise
    /// the ticket rules; an epoch is then sealed by tickets only if $\mathsf{E}$ were made.
    pub ticket_keys: usize,
    /// Whether the genesis validators carry no metadata (instead of the development
    /// addresses). GP (6.14) nulls an offender's whole key, metadata included; typeberry
    /// 0.11.0 keeps the metadata, a divergence that shows only with non-zero metadata, so
    /// sessions against it set this to get past their first offender.
    pub zero_metadata: bool,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            max_skip: 2,
            fork_share: 0.05,
            extrinsics: ExtrinsicConfig::default(),
            ticket_epochs: 1.0,
            ticket_keys: usize::MAX,
            zero_metadata: false,
        }
    }
}

/// Why a block could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    /// The oracle's chain refused a genesis or one of the generator's own blocks.
    #[error("oracle chain: {0}")]
    Chain(#[from] ChainError),
    /// Sealing or making tickets failed.
    #[error("authoring: {0}")]
    Authoring(#[from] AuthoringError),
    /// Guarantees, assurances, preimages or disputes could not be made.
    #[error("extrinsic: {0}")]
    Extrinsic(#[from] ExtrinsicError),
    /// The dev chain spec could not be built.
    #[error("dev chain spec: {0}")]
    ChainSpec(String),
    /// The tip's state is not in the oracle's store.
    #[error("no state for block 0x{}", hex::encode(.0))]
    NoState(HeaderHash),
    /// No key may seal any slot in the searched window (the genesis' validators are not the
    /// development keys).
    #[error("no development key may seal a slot after {0}")]
    NoAuthor(TimeSlot),
}

/// A planned step: the block to extend the chain with and, sometimes, a valid sibling on the
/// same parent to send before it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The block the next one will build on.
    pub block: Block,
    /// Its header hash.
    pub hash: HeaderHash,
    /// A valid sibling (same parent, another slot), if this step forks.
    pub sibling: Option<Block>,
}

/// The seeded block source over the oracle's chain.
pub struct Generator {
    spec: ChainSpec,
    chain: Chain,
    authors: Vec<Author>,
    /// The authors' keys, once more as one slice: what the extrinsic sources and
    /// [`slot_author`] take.
    keys: Vec<ValidatorKeys>,
    genesis_header: Header,
    genesis_key_values: Vec<(StateKey, Vec<u8>)>,
    tip: HeaderHash,
    /// $\eta'_2$ and the number of offenders $|\psi_O|$ the cached tickets were made with
    /// (a new offender may change the ring they prove membership of), and the tickets.
    tickets: Option<(Hash, usize, Arc<Vec<Ticket>>)>,
    extras: Extras,
    seed: u64,
    rng: Rng,
    config: GeneratorConfig,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("tip", &hex::encode(self.tip))
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The number of validators of the dev chain.
pub const DEV_VALIDATORS: usize = 6;

impl Generator {
    /// A generator on the built-in dev chain (tiny, the six JIP-5 development validators),
    /// its genesis soliciting the blobs that blocks will provide ([`preimages::solicit`]).
    pub fn dev(seed: u64, config: GeneratorConfig) -> Result<Generator, GeneratorError> {
        let genesis = marmalade_chainspec::dev_genesis()
            .map_err(|e| GeneratorError::ChainSpec(e.to_string()))?;
        Generator::from_genesis(
            ChainSpec::TINY,
            genesis,
            dev_key_set(DEV_VALIDATORS),
            seed,
            config,
        )
    }

    /// A generator on `spec`'s development chain: the dev chain under `tiny`
    /// ([`Generator::dev`]); under any other spec the synthetic genesis whose validators are
    /// the first $\mathsf{V}$ development keys (`full`: 1,023), all of them held here.
    pub fn for_spec(
        spec: &ChainSpec,
        seed: u64,
        config: GeneratorConfig,
    ) -> Result<Generator, GeneratorError> {
        if *spec == ChainSpec::TINY {
            return Generator::dev(seed, config);
        }
        let keys = dev_key_set(spec.validators);
        let genesis = marmalade_chainspec::synthetic::synthetic_genesis(spec, &keys)
            .map_err(|e| GeneratorError::ChainSpec(e.to_string()))?;
        Generator::from_genesis(*spec, genesis, keys, seed, config)
    }

    /// A generator from a synthetic `genesis` held by `keys`, with the solicitations of
    /// [`preimages::solicit`] added to its state.
    fn from_genesis(
        spec: ChainSpec,
        mut genesis: Genesis,
        keys: Vec<ValidatorKeys>,
        seed: u64,
        config: GeneratorConfig,
    ) -> Result<Generator, GeneratorError> {
        preimages::solicit(&spec, &mut genesis.state, seed).map_err(ExtrinsicError::from)?;
        if config.zero_metadata {
            let c = &mut genesis.state.components;
            for set in [&mut c.gamma_p, &mut c.iota, &mut c.kappa, &mut c.lambda] {
                for v in set.0.iter_mut() {
                    v.metadata = [0; 128];
                }
            }
        }
        let key_values = genesis.state.to_key_values(&spec).into_iter().collect();
        Generator::new(spec, genesis.header, key_values, keys, seed, config)
    }

    /// A generator from `header` with state `key_values` (a trace genesis, say), authoring
    /// with `keys`, drawing from `seed`.
    pub fn new(
        spec: ChainSpec,
        header: Header,
        key_values: Vec<(StateKey, Vec<u8>)>,
        keys: Vec<ValidatorKeys>,
        seed: u64,
        config: GeneratorConfig,
    ) -> Result<Generator, GeneratorError> {
        let ancestry_len = spec.max_lookup_anchor_age as usize;
        let mut chain = Chain::new(spec, ancestry_len);
        chain.initialize(&header, key_values.clone(), Some(&[]))?;
        Ok(Generator {
            spec,
            chain,
            authors: keys.iter().cloned().map(Author::new).collect(),
            keys,
            tip: header.hash(),
            genesis_header: header,
            genesis_key_values: key_values,
            tickets: None,
            extras: Extras::new(config.extrinsics, seed),
            seed,
            rng: Rng::new(seed),
            config,
        })
    }

    /// The chain parameters.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The genesis header (what `Initialize` sends).
    pub fn genesis_header(&self) -> &Header {
        &self.genesis_header
    }

    /// The genesis state's key/values (what `Initialize` sends).
    pub fn genesis_key_values(&self) -> &[(StateKey, Vec<u8>)] {
        &self.genesis_key_values
    }

    /// The block the next planned block builds on.
    pub fn tip(&self) -> HeaderHash {
        self.tip
    }

    /// The oracle's chain (read-only).
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The oracle's chain, e.g. to fetch a state ([`Chain::get_state`]).
    pub fn chain_mut(&mut self) -> &mut Chain {
        &mut self.chain
    }

    /// The generator's random stream (mutations draw from it too, so a session is a function
    /// of the seed alone).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Imports `block` into the oracle's chain: its posterior root, or why it is invalid.
    pub fn import(&mut self, block: &Block) -> Result<StateRoot, ChainError> {
        self.chain.import(block)
    }

    /// Makes `hash` (an imported block) the parent of the next planned block.
    pub fn advance(&mut self, hash: HeaderHash) {
        self.tip = hash;
    }

    /// `block` with its extrinsic replaced by what `change` makes of it (given the block's
    /// context: its parent's state, its slot, every key), re-sealed by the same author on the
    /// same parent, so that the change is a node's only reason to reject it. `None` if
    /// `change` declines or the block can no longer be sealed (e.g. disputes that no longer
    /// judge: the author's own check fails, GP (10.1)–(10.20)).
    pub fn with_extrinsic(
        &mut self,
        block: &Block,
        change: impl FnOnce(&Extrinsic, &BlockContext<'_>, &mut Rng) -> Option<Extrinsic>,
    ) -> Result<Option<Block>, GeneratorError> {
        let parent = block.header.parent;
        let state = self
            .chain
            .state(&parent)?
            .ok_or(GeneratorError::NoState(parent))?;
        let root = self
            .chain
            .state_root(&parent)?
            .ok_or(GeneratorError::NoState(parent))?;
        let ctx = BlockContext {
            spec: &self.spec,
            parent: &state,
            parent_hash: parent,
            parent_root: root,
            slot: block.header.slot,
            keys: &self.keys,
        };
        let Some(extrinsic) = change(&block.extrinsic, &ctx, &mut self.rng) else {
            return Ok(None);
        };
        let Some(author) = self.authors.get(usize::from(block.header.author_index)) else {
            return Ok(None);
        };
        // Disputes the author's own transition refuses keep the seal's VRF input instead.
        let sealed = author.seal_block(
            &self.spec,
            &*state,
            &root,
            &parent,
            block.header.slot,
            extrinsic.clone(),
        );
        Ok(match sealed {
            Ok(b) => Some(b),
            Err(AuthoringError::Disputes(_)) => {
                author.reseal(&self.spec, &*state, block, extrinsic)
            }
            Err(_) => None,
        })
    }

    /// The tip's state and root.
    fn tip_state(&self) -> Result<(Arc<State>, StateRoot), GeneratorError> {
        let state = self
            .chain
            .state(&self.tip)?
            .ok_or(GeneratorError::NoState(self.tip))?;
        let root = self
            .chain
            .state_root(&self.tip)?
            .ok_or(GeneratorError::NoState(self.tip))?;
        Ok((state, root))
    }

    /// Plans the next step on the tip (nothing is imported).
    pub fn plan(&mut self) -> Result<Generated, GeneratorError> {
        let (state, root) = self.tip_state()?;
        let parent_slot = state.components.tau;
        let skip = self.rng.below(u64::from(self.config.max_skip) + 1) as u32;
        let (block, slot) = self.block_from(&state, &root, parent_slot.saturating_add(1 + skip))?;
        let sibling = if self.rng.chance(self.config.fork_share) {
            let skip = self.rng.below(u64::from(self.config.max_skip) + 2) as u32;
            let other = parent_slot.saturating_add(1 + skip);
            let other = if other == slot {
                other.saturating_add(1)
            } else {
                other
            };
            // A slot no key may seal (an offender's fallback slot) moves a block on to the
            // next, so the two may meet: a sibling must be another block.
            let (sibling, sibling_slot) = self.block_from(&state, &root, other)?;
            (sibling_slot != slot).then_some(sibling)
        } else {
            None
        };
        let hash = block.header.hash();
        Ok(Generated {
            block,
            hash,
            sibling,
        })
    }

    /// A sealed block on the tip at the first slot from `from` some development key may
    /// seal (all slots can be sealed when every validator is local; the bound only guards
    /// against a foreign genesis).
    fn block_from(
        &mut self,
        state: &State,
        root: &StateRoot,
        from: TimeSlot,
    ) -> Result<(Block, TimeSlot), GeneratorError> {
        let window = self.spec.epoch_len() as u32 * 2;
        for slot in (from..from.saturating_add(window)).take(window as usize) {
            let Some(who) = slot_author(&self.spec, state, slot, &self.keys) else {
                continue;
            };
            let tickets = self.tickets_for(state, slot)?;
            let mut extrinsic = Extrinsic {
                tickets: select_tickets(&self.spec, state, slot, &tickets),
                ..Default::default()
            };
            let ctx = BlockContext {
                spec: &self.spec,
                parent: state,
                parent_hash: self.tip,
                parent_root: *root,
                slot,
                keys: &self.keys,
            };
            self.extras.fill(&ctx, &mut self.rng, &mut extrinsic)?;
            let d = &extrinsic.disputes;
            if !d.culprits.is_empty() || !d.faults.is_empty() {
                // New offenders leave the pending ring at an epoch change (γ'_P = Φ(ι), GP
                // (6.13)–(6.14)), so tickets made for the parent's ring may no longer verify.
                extrinsic.tickets.clear();
            }
            let block = self.authors[who]
                .seal_block(&self.spec, state, root, &self.tip, slot, extrinsic)?;
            return Ok((block, slot));
        }
        Err(GeneratorError::NoAuthor(from))
    }

    /// Every key's tickets for a block at `slot` on `state` (empty in the epoch's tail, GP
    /// (6.30)); made once per $\eta'_2$ (GP (6.23)), the keys in parallel.
    fn tickets_for(
        &mut self,
        state: &State,
        slot: TimeSlot,
    ) -> Result<Arc<Vec<Ticket>>, GeneratorError> {
        if self.spec.slot_phase(slot) >= self.spec.ticket_submission_end {
            return Ok(Arc::new(Vec::new()));
        }
        let c = &state.components;
        let new_epoch = self.spec.epoch_of(slot) > self.spec.epoch_of(c.tau);
        let entropy = if new_epoch { c.eta[1] } else { c.eta[2] };
        let offenders = c.psi.offenders.len();
        if let Some((e, o, t)) = &self.tickets {
            if (*e, *o) == (entropy, offenders) {
                return Ok(Arc::clone(t));
            }
        }
        let spec = self.spec;
        // Whether this epoch has tickets and whose: a function of the seed and η'_2 alone,
        // so that a resumed session makes the same choice.
        let draw = u64::from_le_bytes(
            blake2b_256_concat(&[&self.seed.to_le_bytes(), &entropy])[..8]
                .try_into()
                .unwrap_or_default(),
        );
        let makers: Vec<&Author> =
            if (draw >> 11) as f64 / (1u64 << 53) as f64 >= self.config.ticket_epochs {
                Vec::new()
            } else {
                let n = self.authors.len();
                let first = (draw % n.max(1) as u64) as usize;
                (0..n.min(self.config.ticket_keys))
                    .map(|i| &self.authors[(first + i) % n])
                    .collect()
            };
        let made: Vec<Result<Vec<Ticket>, AuthoringError>> = makers
            .par_iter()
            .map(|a| match make_tickets(&spec, state, slot, &a.keys) {
                Err(AuthoringError::NotInPendingSet) => Ok(Vec::new()),
                other => other,
            })
            .collect();
        let mut all = Vec::new();
        for t in made {
            all.extend(t?);
        }
        let all = Arc::new(all);
        self.tickets = Some((entropy, offenders, Arc::clone(&all)));
        Ok(all)
    }
}
