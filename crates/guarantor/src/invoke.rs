//! The in-core invocations a guarantor makes, $\Psi_I$ and $\Psi_R$ (GP appendix B), as a seam:
//! [`Pvm`] runs them on the PVM through `marmalade-refine`; tests may substitute stand-ins to
//! exercise the report computation's edge cases (GP (14.12)) without programs.

pub use marmalade_refine::CodeCache;
use marmalade_state::StateReader;
use marmalade_types::{ChainSpec, CoreIndex, Gas, Segment, WorkExecResult, WorkPackage};

/// The arguments of one $\Psi_R$ call in GP (14.12): core $c$, item index $j$, package
/// $\mathbf{p}$, authorizer trace $\mathbf{o}$, every item's imports $S^\#$, every item's
/// extrinsics $X^\#$ and the export offset $\ell$.
#[derive(Debug, Clone, Copy)]
pub struct RefineCall<'a> {
    /// $c$.
    pub core: CoreIndex,
    /// $j$.
    pub item: usize,
    /// $\mathbf{p}$.
    pub package: &'a WorkPackage,
    /// $\mathbf{o}$.
    pub auth_trace: &'a [u8],
    /// $S^\#(\mathbf{p}_\mathbf{w})$, per item.
    pub imports: &'a [Vec<Segment>],
    /// $X^\#(\mathbf{p}_\mathbf{w})$, per item.
    pub extrinsics: &'a [Vec<Vec<u8>>],
    /// $\ell$: the exports of the items before $j$.
    pub export_offset: usize,
}

/// What $\Psi_R$ yields: $(r, \mathbf{e}, u)$.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refined {
    /// $r$: the output or error.
    pub result: WorkExecResult,
    /// $\mathbf{e}$: the exported segments.
    pub exports: Vec<Segment>,
    /// $u$: gas used.
    pub gas_used: Gas,
}

/// $\Psi_I$ and $\Psi_R$ over a state (the one whose historical lookups serve the code).
pub trait Invocations {
    /// $\Psi_I(\mathbf{p}, c)$: the authorizer trace (or error) and the gas used.
    fn is_authorized(
        &self,
        spec: &ChainSpec,
        state: &dyn StateReader,
        package: &WorkPackage,
        core: CoreIndex,
    ) -> (WorkExecResult, Gas);

    /// $\Psi_R$ for one work-item.
    fn refine(&self, spec: &ChainSpec, state: &dyn StateReader, call: &RefineCall<'_>) -> Refined;
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
    ) -> (WorkExecResult, Gas) {
        let o = marmalade_refine::is_authorized(spec, state, package, core, self.cache);
        (o.result, o.gas_used)
    }

    fn refine(&self, spec: &ChainSpec, state: &dyn StateReader, call: &RefineCall<'_>) -> Refined {
        let input = marmalade_refine::RefineInput {
            core: call.core,
            item: call.item,
            package: call.package,
            auth_trace: call.auth_trace,
            imports: call.imports,
            extrinsics: call.extrinsics,
            export_offset: call.export_offset,
        };
        let o = marmalade_refine::refine(spec, state, &input, self.cache);
        Refined {
            result: o.result,
            exports: o.exports,
            gas_used: o.gas_used,
        }
    }
}
