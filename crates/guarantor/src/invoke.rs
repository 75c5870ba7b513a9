//! The in-core invocations a guarantor makes, $\Psi_I$ and $\Psi_R$ (GP appendix B), as a seam:
//! [`Pvm`] runs them on the PVM through `marmalade-refine`; tests may substitute stand-ins to
//! exercise the report computation's edge cases (GP (14.12)) without programs. The arguments
//! and results are `marmalade-refine`'s own.

pub use marmalade_refine::{CodeCache, IsAuthorizedOutcome, RefineInput, RefineOutcome};
use marmalade_state::StateReader;
use marmalade_types::{ChainSpec, CoreIndex, WorkPackage};

/// $\Psi_I$ and $\Psi_R$ over a state (the one whose historical lookups serve the code).
pub trait Invocations {
    /// $\Psi_I(\mathbf{p}, c)$ (GP (B.1)): the authorizer trace (or error) and the gas used.
    fn is_authorized(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        package: &WorkPackage,
        core: CoreIndex,
    ) -> IsAuthorizedOutcome;

    /// $\Psi_R$ (GP (B.5)) for one work-item: its output (or error), exports and gas used.
    fn refine(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        input: &RefineInput<'_>,
    ) -> RefineOutcome;
}

/// The invocations on the PVM: `marmalade-refine`'s $\Psi_I$ and $\Psi_R$, running service
/// code decoded through a shared [`CodeCache`].
#[derive(Debug, Clone, Copy)]
pub struct Pvm<'a> {
    /// Decoded code by code hash.
    pub cache: &'a CodeCache,
}

impl Invocations for Pvm<'_> {
    fn is_authorized(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        package: &WorkPackage,
        core: CoreIndex,
    ) -> IsAuthorizedOutcome {
        marmalade_refine::is_authorized(spec, state, package, core, self.cache)
    }

    fn refine(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        input: &RefineInput<'_>,
    ) -> RefineOutcome {
        marmalade_refine::refine(spec, state, input, self.cache)
    }
}
