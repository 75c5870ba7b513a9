//! The whole of $\Xi$ (GP (14.12)) from a work-package bundle: the report with its
//! availability specification (GP (14.16)–(14.17)), the exported segments and every
//! validator's shards.

use crate::error::GuaranteeError;
use crate::invoke::{CodeCache, Invocations, Pvm};
use crate::report::{
    check_package, compute_report, resolve_import, segment_root_lookups, PackageData,
    SegmentRootLookup,
};
use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_da::{Availability, Bundle};
use marmalade_state::StateReader;
use marmalade_types::{ChainSpec, CoreIndex, Hash, Segment, WorkPackage, WorkReport};

/// What guaranteeing a work-package yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuaranteedWork {
    /// The work-report $\Xi(\mathbf{p}, c)$.
    pub report: WorkReport,
    /// $\frown\overline{\mathbf{e}}$: the exported segments, in item order.
    pub exports: Vec<Segment>,
    /// The availability specifier $\mathbf{s}$ (also in the report) and the shards of the
    /// bundle and of the exports with their paged proofs, one set per validator.
    pub availability: Availability,
}

/// $X^\#$ and $S^\#$: per item, its extrinsic blobs and its imported segments.
type PerItem = (Vec<Vec<Vec<u8>>>, Vec<Vec<Segment>>);

/// The per-item parts of a bundle's flat data: $X(w)$ and $S(w)$ for each item (GP (14.15)),
/// split by the package's manifest.
fn split(bundle: &Bundle) -> Result<PerItem, GuaranteeError> {
    let items = &bundle.package.items;
    let want_x: usize = items.iter().map(|w| w.extrinsic.len()).sum();
    let want_i: usize = items.iter().map(|w| w.import_segments.len()).sum();
    if bundle.extrinsics.len() != want_x {
        return Err(GuaranteeError::BundleData {
            what: "extrinsic blobs",
            got: bundle.extrinsics.len(),
            expected: want_x,
        });
    }
    for (what, got) in [
        ("imported segments", bundle.imports.len()),
        ("justifications", bundle.justifications.len()),
    ] {
        if got != want_i {
            return Err(GuaranteeError::BundleData {
                what,
                got,
                expected: want_i,
            });
        }
    }
    let mut xs = bundle.extrinsics.iter();
    let mut is = bundle.imports.iter();
    Ok(items
        .iter()
        .map(|w| {
            let x = xs.by_ref().take(w.extrinsic.len()).cloned().collect();
            let i = is.by_ref().take(w.import_segments.len()).cloned().collect();
            (x, i)
        })
        .unzip())
}

/// $\mathcal{H}(\mathcal{E}(\mathbf{p}))$: the work-package hash.
pub fn package_hash(package: &WorkPackage) -> Hash {
    blake2b_256(&package.encode())
}

/// $\Xi(\mathbf{p}, c)$ (GP (14.12)) of the bundle's package on core `core`, over `state`
/// (the authorizer pools $\alpha$, the services and their historical lookups), with the
/// invocations on the PVM: see [`build_report_with`].
pub fn build_report(
    spec: &ChainSpec,
    state: &dyn StateReader,
    core: CoreIndex,
    bundle: &Bundle,
    lookup: &dyn SegmentRootLookup,
    cache: &CodeCache,
) -> Result<GuaranteedWork, GuaranteeError> {
    build_report_with(spec, state, core, bundle, lookup, &Pvm { cache })
}

/// $\Xi(\mathbf{p}, c)$ (GP (14.12)) with the given invocations: the package checks and the
/// report of [`compute_report`], after checking each imported segment against its
/// justification and the segments root $L(r)$ its import names (GP (14.13), (14.15));
/// then the availability specifier $A(\mathcal{H}(\mathbf{p}), \mathcal{E}(\mathbf{p},
/// X^\#, S^\#, J^\#), \frown\overline{\mathbf{e}})$ (GP (14.16)) with its shards.
pub fn build_report_with(
    spec: &ChainSpec,
    state: &dyn StateReader,
    core: CoreIndex,
    bundle: &Bundle,
    lookup: &dyn SegmentRootLookup,
    invocations: &dyn Invocations,
) -> Result<GuaranteedWork, GuaranteeError> {
    let package = &bundle.package;
    check_package(spec, package)?;
    let (extrinsics, imports) = split(bundle)?;
    let l = segment_root_lookups(package, lookup)?;
    let specs = package.items.iter().flat_map(|w| &w.import_segments);
    for (k, ((i, s), j)) in specs
        .zip(&bundle.imports)
        .zip(&bundle.justifications)
        .enumerate()
    {
        // Every tagged root is in l (segment_root_lookups resolved each or failed).
        let ok = resolve_import(i, &l)
            .is_some_and(|(root, n)| marmalade_da::verify_import(&root, &s[..], n.into(), j));
        if !ok {
            return Err(GuaranteeError::BadImport(k));
        }
    }
    let data = PackageData {
        package,
        extrinsics: &extrinsics,
        imports: &imports,
    };
    let mut computed = compute_report(spec, state, core, &data, lookup, invocations)?;
    let availability = marmalade_da::availability(
        spec,
        package_hash(package),
        &bundle.encode(),
        &computed.exports,
    )
    .map_err(|e| GuaranteeError::Availability(e.to_string()))?;
    computed.report.package_spec = availability.spec;
    Ok(GuaranteedWork {
        report: computed.report,
        exports: computed.exports,
        availability,
    })
}
