//! The in-core invocations of GP 0.7.2 appendix B: Is-Authorized $\Psi_I$ (GP (B.1)) and
//! Refine $\Psi_R$ (GP (B.5)) with their host calls (GP (B.2), (B.6)), the inner PVM
//! machines of `machine`/`peek`/`poke`/`pages`/`invoke`/`expunge`. The per-item result rule
//! of the work-report computation ($I$ of GP (14.12)) is the guarantor's, over [`refine`].
//!
//! - [`is_authorized`]: $\Psi_I(p, c)$ → the authorizer trace or an error, and the gas used.
//! - [`refine`]: $\Psi_R(c, i, p, \mathbf{r}, \overline{\mathbf{i}}, \varsigma)$ → the output or
//!   an error, the exports (none on error) and the gas used.
//!
//! Both invocations run service code through the shared decoded-code [`CodeCache`] (the one
//! Ψ_A uses) and read the state only through [`StateReader`] (historical lookups, GP (9.7)).
//! `testing` (feature `testing`) has an assembler for test programs.

#![deny(unsafe_code)]

mod fetch;
mod host;
pub mod inner;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use host::id;
pub use inner::inner_code;
pub use marmalade_host::CodeCache;

use fetch::{FetchData, RefineData};
use host::{IsAuthorizedHost, RefineHost};
use marmalade_codec::{encode_natural, Encode};
use marmalade_crypto::hash::blake2b_256;
use marmalade_pvm::{invoke_standard, ExitReason, MarshallingResult};
use marmalade_state::account::split_code;
use marmalade_state::StateReader;
use marmalade_types::constants::{MAX_AUTH_CODE_SIZE, MAX_SERVICE_CODE_SIZE};
use marmalade_types::{ChainSpec, CoreIndex, Gas, Segment, WorkExecResult, WorkPackage};

/// The entry point of both in-core invocations: $\Psi_M(\dots, 0, \dots)$ (GP (B.1), (B.5)).
pub const ENTRY: u32 = 0;

/// The result of $\Psi_I$ (GP (B.1)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsAuthorizedOutcome {
    /// The authorizer trace $\mathbf{t}$ (`Ok`), or `BAD`, `BIG`, `☇` or `∞`.
    pub result: WorkExecResult,
    /// $u$: the gas used (0 for `BAD` and `BIG`).
    pub gas_used: Gas,
}

/// The input of $\Psi_R(c, i, p, \mathbf{r}, \overline{\mathbf{i}}, \varsigma)$ (GP (B.5)).
#[derive(Debug, Clone, Copy)]
pub struct RefineInput<'a> {
    /// $c$: the core refining.
    pub core: CoreIndex,
    /// $i$: the index of the work-item to refine in `package`.
    pub item: usize,
    /// $p$: the work-package.
    pub package: &'a WorkPackage,
    /// $\mathbf{r}$: the authorizer trace.
    pub auth_trace: &'a [u8],
    /// $\overline{\mathbf{i}}$: per work item, its imported segments in order.
    pub imports: &'a [Vec<Segment>],
    /// $\overline{\mathbf{x}}$: per work item, its extrinsic blobs in order.
    pub extrinsics: &'a [Vec<Vec<u8>>],
    /// $\varsigma$: the segments exported by the package's earlier items.
    pub export_offset: usize,
}

/// The result of $\Psi_R$ (GP (B.5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefineOutcome {
    /// The refinement output (`Ok`), or the error.
    pub result: WorkExecResult,
    /// $\mathbf{e}$: the exported segments; none unless `result` is `Ok`.
    pub exports: Vec<Segment>,
    /// $u$: the gas used (0 for `BAD` and `BIG`).
    pub gas_used: Gas,
}

/// $\Psi_M$'s result as a work result: a blob, `∞` or `☇`.
fn exec_result(r: &MarshallingResult) -> WorkExecResult {
    match &r.output {
        Ok(o) => WorkExecResult::Ok(o.clone()),
        Err(ExitReason::OutOfGas) => WorkExecResult::OutOfGas,
        Err(_) => WorkExecResult::Panic,
    }
}

/// $\Psi_I(p, c)$ (GP (B.1)): runs the package's authorization code $p_\mathbf{c}$ — the code
/// part of $\Lambda(\delta\[p_h\], (p_\mathbf{c})_t, p_u)$ (GP (14.10)) — with gas
/// $\mathsf{G}_I$ and argument $\mathcal{E}_2(c)$.
///
/// `BAD` when the code is not available at the lookup-anchor slot (the host service absent,
/// the preimage not available then, or not of the form $\mathcal{E}(\updownarrow\mathbf{m},
/// \mathbf{c})$); `BIG` when $|p_\mathbf{c}| > \mathsf{W}_A$. A code that is no standard
/// program panics at once using no gas ($\Psi_M$, GP (A.44)).
pub fn is_authorized(
    spec: &ChainSpec,
    state: &dyn StateReader,
    package: &WorkPackage,
    core: CoreIndex,
    cache: &CodeCache,
) -> IsAuthorizedOutcome {
    let fail = |result| IsAuthorizedOutcome {
        result,
        gas_used: 0,
    };
    let host = package.auth_code_host;
    let preimage = state.service_info(host).and_then(|_| {
        state.historical_lookup(
            host,
            package.context.lookup_anchor_slot,
            &package.auth_code_hash,
        )
    });
    let Some((_, code)) = preimage.and_then(split_code) else {
        return fail(WorkExecResult::BadCode);
    };
    if code.len() > MAX_AUTH_CODE_SIZE {
        return fail(WorkExecResult::CodeOversize);
    }
    let Some(init) = cache.get(&package.auth_code_hash, code) else {
        return fail(WorkExecResult::Panic);
    };
    let mut host = IsAuthorizedHost {
        fetch: FetchData::new(spec, package, None),
    };
    let r = invoke_standard(
        &init,
        ENTRY,
        spec.is_authorized_gas,
        &core.to_le_bytes(),
        &mut host,
    );
    IsAuthorizedOutcome {
        result: exec_result(&r),
        gas_used: r.gas_used,
    }
}

/// $\Psi_R(c, i, p, \mathbf{r}, \overline{\mathbf{i}}, \varsigma)$ (GP (B.5)): runs the code
/// of work-item $w = p_\mathbf{w}\[i\]$, $\Lambda(\delta\[w_s\], (p_\mathbf{c})_t, w_c)$ (GP
/// (9.7)), with gas $w_g$ and argument $\mathcal{E}(c, i, w_s, \updownarrow w_\mathbf{y},
/// \mathcal{H}(p))$.
///
/// `BAD` when the service is absent or the code not available at the lookup-anchor slot (or
/// the item does not exist); `BIG` when the code preimage exceeds $\mathsf{W}_C$; `∞` and `☇`
/// from the run, with no exports. A code that is no standard program panics using no gas.
pub fn refine(
    spec: &ChainSpec,
    state: &dyn StateReader,
    input: &RefineInput<'_>,
    cache: &CodeCache,
) -> RefineOutcome {
    let fail = |result| RefineOutcome {
        result,
        exports: Vec::new(),
        gas_used: 0,
    };
    let p = input.package;
    let Some(w) = p.items.get(input.item) else {
        return fail(WorkExecResult::BadCode);
    };
    let t = p.context.lookup_anchor_slot;
    let preimage = state
        .service_info(w.service)
        .and_then(|_| state.historical_lookup(w.service, t, &w.code_hash));
    let Some(preimage) = preimage else {
        return fail(WorkExecResult::BadCode);
    };
    if preimage.len() > MAX_SERVICE_CODE_SIZE {
        return fail(WorkExecResult::CodeOversize);
    }
    // E(↕z, c) = Λ(...): a preimage of another form has no code c.
    let Some((_, code)) = split_code(preimage) else {
        return fail(WorkExecResult::BadCode);
    };
    let Some(init) = cache.get(&w.code_hash, code) else {
        return fail(WorkExecResult::Panic);
    };
    let encoded = p.encode();
    let mut args = Vec::with_capacity(w.payload.len() + 64);
    encode_natural(input.core as u64, &mut args);
    encode_natural(input.item as u64, &mut args);
    encode_natural(w.service as u64, &mut args);
    w.payload.encode_to(&mut args);
    args.extend_from_slice(&blake2b_256(&encoded));
    let mut host = RefineHost {
        fetch: FetchData::new(
            spec,
            p,
            Some(RefineData {
                auth_trace: input.auth_trace,
                item: input.item,
                imports: input.imports,
                extrinsics: input.extrinsics,
            }),
        ),
        state,
        service: w.service,
        anchor_slot: t,
        export_offset: input.export_offset,
        guests: Default::default(),
        exports: Vec::new(),
    };
    let r = invoke_standard(&init, ENTRY, w.refine_gas_limit, &args, &mut host);
    let result = exec_result(&r);
    let exports = if result.is_ok() {
        host.exports
    } else {
        Vec::new()
    };
    RefineOutcome {
        result,
        exports,
        gas_used: r.gas_used,
    }
}
