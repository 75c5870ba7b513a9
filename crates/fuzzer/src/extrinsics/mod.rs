//! What a generated block carries besides tickets: guarantees and assurances ([`work`]),
//! preimages ([`preimages`]) and disputes ([`disputes`]), each drawn from the parent's
//! posterior state alone (a sibling planned on the same parent gets its own valid
//! extrinsic; nothing here remembers which blocks became canonical).
//!
//! Each source adds to an [`Extrinsic`] that already holds the block's tickets; block import
//! says whether the whole is valid, and the generator's tests import every generated block.

pub mod disputes;
pub mod preimages;
pub mod work;

use crate::rng::Rng;
use marmalade_authoring::ValidatorKeys;
use marmalade_state::State;
use marmalade_types::{ChainSpec, Extrinsic, HeaderHash, StateRoot, TimeSlot};

/// The block an extrinsic is made for.
#[derive(Clone, Copy)]
pub struct BlockContext<'a> {
    /// The chain parameters.
    pub spec: &'a ChainSpec,
    /// The parent's posterior state.
    pub parent: &'a State,
    /// The parent's header hash $\mathbf{H}_P$.
    pub parent_hash: HeaderHash,
    /// The parent's posterior state root $\mathbf{H}_R$.
    pub parent_root: StateRoot,
    /// The new block's slot $\mathbf{H}_T$.
    pub slot: TimeSlot,
    /// Every key the generator holds (the development keys; validator `i` of the genesis holds
    /// `keys[i]`, but sets may null offenders' keys, so match by public key).
    pub keys: &'a [ValidatorKeys],
}

/// How often each kind of extrinsic is added (the probability per block that a source adds
/// anything; each source decides how much).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtrinsicConfig {
    /// Guarantees of new work reports ($\mathbf{E}_G$).
    pub guarantees: f64,
    /// Assurances ($\mathbf{E}_A$).
    pub assurances: f64,
    /// Preimages of solicited blobs ($\mathbf{E}_P$).
    pub preimages: f64,
    /// Disputes ($\mathbf{E}_D$).
    pub disputes: f64,
}

impl Default for ExtrinsicConfig {
    fn default() -> Self {
        ExtrinsicConfig {
            guarantees: 0.3,
            assurances: 0.8,
            preimages: 0.2,
            disputes: 0.05,
        }
    }
}

impl ExtrinsicConfig {
    /// Tickets only: no source adds anything.
    pub const NONE: ExtrinsicConfig = ExtrinsicConfig {
        guarantees: 0.0,
        assurances: 0.0,
        preimages: 0.0,
        disputes: 0.0,
    };
}

/// Why an extrinsic could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExtrinsicError {
    /// Guarantees or assurances.
    #[error("work: {0}")]
    Work(#[from] work::WorkError),
    /// Preimages.
    #[error("preimages: {0}")]
    Preimages(#[from] preimages::PreimageError),
    /// Disputes.
    #[error("disputes: {0}")]
    Disputes(#[from] disputes::DisputeError),
}

/// Every source, with its caches.
#[derive(Default)]
pub struct Extras {
    config: ExtrinsicConfig,
    work: work::WorkSource,
    preimages: preimages::PreimageSource,
    disputes: disputes::DisputeSource,
}

impl Extras {
    /// Sources adding extrinsics as `config` says; the preimages are those that
    /// [`preimages::solicit`] with the same `seed` requested.
    pub fn new(config: ExtrinsicConfig, seed: u64) -> Extras {
        Extras {
            config,
            preimages: preimages::PreimageSource::new(seed),
            ..Default::default()
        }
    }

    /// Adds each kind to `extrinsic` (which holds the block's tickets) with its probability.
    /// The order matters where kinds interact: disputes first (a verdict may clear a core),
    /// then assurances and guarantees, which read what is pending.
    pub fn fill(
        &mut self,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
        extrinsic: &mut Extrinsic,
    ) -> Result<(), ExtrinsicError> {
        if rng.chance(self.config.disputes) {
            self.disputes.fill(ctx, rng, extrinsic)?;
        }
        let (assure, guarantee) = (
            rng.chance(self.config.assurances),
            rng.chance(self.config.guarantees),
        );
        self.work.fill(ctx, rng, assure, guarantee, extrinsic)?;
        if rng.chance(self.config.preimages) {
            self.preimages.fill(ctx, rng, extrinsic)?;
        }
        Ok(())
    }
}
