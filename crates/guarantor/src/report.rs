//! The work-report computation $\Xi$ (GP (14.12)) and the functions it uses: the item-to-digest
//! function $C$ (GP (14.9)), the implied authorizer (GP (14.10)), the segment-root lookup $L$
//! (GP (14.13)) and the package limits (GP (14.2), (14.4), (14.5), (14.8)).

use crate::error::GuaranteeError;
use crate::invoke::{Invocations, RefineInput, RefineOutcome};
use marmalade_crypto::hash::{blake2b_256, blake2b_256_concat};
use marmalade_state::StateReader;
use marmalade_types::constants::{
    MAX_BUNDLE_SIZE, MAX_PACKAGE_EXPORTS, MAX_PACKAGE_EXTRINSICS, MAX_PACKAGE_IMPORTS,
    MAX_REPORT_DEPENDENCIES, MAX_REPORT_VAR_SIZE, MAX_WORK_ITEMS, SEGMENT_FOOTPRINT, SEGMENT_SIZE,
};
use marmalade_types::{
    AuthorizerHash, BlockInfo, ChainSpec, CoreIndex, Gas, Hash, ImportSpec, RefineLoad, Segment,
    SegmentRootLookupItem, WorkDigest, WorkExecResult, WorkItem, WorkPackage, WorkPackageHash,
    WorkReport,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Bit 15 of an import's index marks its root as a work-package hash, $h^\boxplus$
/// (GP (14.3) and C.35).
pub const PACKAGE_HASH_TAG: u16 = 1 << 15;

/// Where a guarantor finds the segments root a work-package exported (the $\mathbf{l}$ a
/// report records must satisfy GP (14.14)).
pub trait SegmentRootLookup {
    /// The segments root $e$ of the package whose hash is `package`, if known.
    fn segments_root(&self, package: &WorkPackageHash) -> Option<Hash>;
}

/// No package is known: only imports by segments root can be resolved.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSegmentRoots;

impl SegmentRootLookup for NoSegmentRoots {
    fn segments_root(&self, _: &WorkPackageHash) -> Option<Hash> {
        None
    }
}

impl SegmentRootLookup for BTreeMap<WorkPackageHash, Hash> {
    fn segments_root(&self, package: &WorkPackageHash) -> Option<Hash> {
        self.get(package).copied()
    }
}

impl SegmentRootLookup for HashMap<WorkPackageHash, Hash> {
    fn segments_root(&self, package: &WorkPackageHash) -> Option<Hash> {
        self.get(package).copied()
    }
}

/// The packages recent history records as reported, with their segments roots
/// ($\beta_H$'s $\mathbf{p}$, GP (7.8)): what a node knows of recent exports from the state
/// alone. The on-chain check of a report's lookups (GP (11.41)) accepts these.
#[derive(Debug, Clone, Copy)]
pub struct RecentlyReported<'a>(pub &'a [BlockInfo]);

impl SegmentRootLookup for RecentlyReported<'_> {
    fn segments_root(&self, package: &WorkPackageHash) -> Option<Hash> {
        self.0
            .iter()
            .flat_map(|b| &b.reported)
            .find(|p| p.hash == *package)
            .map(|p| p.exports_root)
    }
}

/// An import's root as the GP's union $\mathbb{H} \cup \mathbb{H}^\boxplus$ and its index
/// $n$ (GP (14.3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRoot {
    /// A segments root.
    SegmentsRoot(Hash),
    /// $h^\boxplus$: the hash of the exporting work-package.
    Package(WorkPackageHash),
}

/// Splits an [`ImportSpec`] into its root kind and segment index (GP C.35: bit 15 tags a
/// work-package hash).
pub fn import_root(spec: &ImportSpec) -> (ImportRoot, u16) {
    let n = spec.index & !PACKAGE_HASH_TAG;
    if spec.index & PACKAGE_HASH_TAG != 0 {
        (ImportRoot::Package(spec.tree_root), n)
    } else {
        (ImportRoot::SegmentsRoot(spec.tree_root), n)
    }
}

/// $\mathbf{p}_\mathbf{a} = \mathcal{H}(\mathbf{p}_u \frown \mathbf{p}_\mathbf{f})$, the
/// package's implied authorizer (GP (14.10)).
pub fn authorizer_hash(package: &WorkPackage) -> AuthorizerHash {
    blake2b_256_concat(&[&package.auth_code_hash, &package.authorizer_config])
}

/// The item-to-digest function $C$ (GP (14.9)): the digest of `item` refined to `result`
/// with `gas_used`, and `exports` its export count $e$.
pub fn item_to_digest(item: &WorkItem, result: WorkExecResult, gas_used: Gas) -> WorkDigest {
    WorkDigest {
        service_id: item.service,
        code_hash: item.code_hash,
        payload_hash: blake2b_256(&item.payload),
        accumulate_gas: item.accumulate_gas_limit,
        result,
        refine_load: RefineLoad {
            gas_used,
            // The counts fit: GP (14.4) bounds them by 3,072 and 128 (checked before).
            imports: u16::try_from(item.import_segments.len()).unwrap_or(u16::MAX),
            extrinsic_count: u16::try_from(item.extrinsic.len()).unwrap_or(u16::MAX),
            extrinsic_size: item
                .extrinsic
                .iter()
                .fold(0u32, |z, x| z.saturating_add(x.len)),
            exports: item.export_count,
        },
    }
}

/// The package limits a guarantor checks before spending gas: 1 to $\mathsf{I}$ items
/// (GP (14.2)), the manifest totals (GP (14.4)), the bundle size (GP (14.5)) and the gas
/// limits (GP (14.8)).
///
/// GP (14.8) bounds the accumulation gas strictly below $\mathsf{G}_A$; the on-chain rule a
/// report must then pass, GP (11.30), allows equality, and the conformance traces guarantee
/// packages whose limits sum to exactly $\mathsf{G}_A$, so equality is allowed here too.
pub fn check_package(spec: &ChainSpec, package: &WorkPackage) -> Result<(), GuaranteeError> {
    let items = &package.items;
    if items.is_empty() || items.len() > MAX_WORK_ITEMS {
        return Err(GuaranteeError::ItemCount(items.len()));
    }
    let exports: usize = items.iter().map(|w| usize::from(w.export_count)).sum();
    let imports: usize = items.iter().map(|w| w.import_segments.len()).sum();
    let extrinsics: usize = items.iter().map(|w| w.extrinsic.len()).sum();
    for (what, count, max) in [
        ("exports", exports, MAX_PACKAGE_EXPORTS),
        ("imports", imports, MAX_PACKAGE_IMPORTS),
        ("extrinsics", extrinsics, MAX_PACKAGE_EXTRINSICS),
    ] {
        if count > max {
            return Err(GuaranteeError::TooMany { what, count, max });
        }
    }
    // GP (14.5): |j| + |f| + Σ S(w), S(w) = |y| + |i|·W_F + Σ l.
    let size = items.iter().fold(
        package.authorization.len() as u64 + package.authorizer_config.len() as u64,
        |acc, w| {
            acc + w.payload.len() as u64
                + w.import_segments.len() as u64 * SEGMENT_FOOTPRINT as u64
                + w.extrinsic.iter().map(|x| u64::from(x.len)).sum::<u64>()
        },
    );
    if size > MAX_BUNDLE_SIZE as u64 {
        return Err(GuaranteeError::BundleTooLarge {
            size,
            max: MAX_BUNDLE_SIZE as u64,
        });
    }
    let accumulate: u128 = items
        .iter()
        .map(|w| u128::from(w.accumulate_gas_limit))
        .sum();
    if accumulate > u128::from(spec.report_accumulate_gas) {
        return Err(GuaranteeError::GasLimits {
            what: "accumulate",
            sum: accumulate,
            max: spec.report_accumulate_gas,
        });
    }
    let refine: u128 = items.iter().map(|w| u128::from(w.refine_gas_limit)).sum();
    if refine >= u128::from(spec.refine_gas) {
        return Err(GuaranteeError::GasLimits {
            what: "refine",
            sum: refine,
            max: spec.refine_gas,
        });
    }
    Ok(())
}

/// The segment-root lookup dictionary $\mathbf{l}$ (GP (14.12)): one entry per distinct
/// work-package hash an import names, each resolved through `lookup`, sorted by hash (its
/// encoding as a dictionary, GP C.10).
pub fn segment_root_lookups(
    package: &WorkPackage,
    lookup: &dyn SegmentRootLookup,
) -> Result<Vec<SegmentRootLookupItem>, GuaranteeError> {
    let hashes: BTreeSet<WorkPackageHash> = package
        .items
        .iter()
        .flat_map(|w| w.import_segments.iter())
        .filter_map(|i| match import_root(i).0 {
            ImportRoot::Package(h) => Some(h),
            ImportRoot::SegmentsRoot(_) => None,
        })
        .collect();
    // GP (11.3): the report's dependencies are bounded by J.
    let deps = hashes.len() + package.context.prerequisites.len();
    if deps > MAX_REPORT_DEPENDENCIES {
        return Err(GuaranteeError::TooManyDependencies(deps));
    }
    hashes
        .into_iter()
        .map(|h| {
            lookup
                .segments_root(&h)
                .map(|e| SegmentRootLookupItem {
                    work_package_hash: h,
                    segment_tree_root: e,
                })
                .ok_or(GuaranteeError::UnknownSegmentRoot(h))
        })
        .collect()
}

/// $L(r)$ (GP (14.13)): the segments root an import names, given the dictionary `l`
/// (sorted, as [`segment_root_lookups`] returns it).
pub fn resolve_import(spec: &ImportSpec, l: &[SegmentRootLookupItem]) -> Option<(Hash, u16)> {
    match import_root(spec) {
        (ImportRoot::SegmentsRoot(r), n) => Some((r, n)),
        (ImportRoot::Package(h), n) => l
            .binary_search_by(|e| e.work_package_hash.cmp(&h))
            .ok()
            .map(|i| (l[i].segment_tree_root, n)),
    }
}

/// The data a package is refined with, besides the package: per work-item, the extrinsic
/// blobs $X(w)$ and the imported segments $S(w)$ (GP (14.15)).
#[derive(Debug, Clone, Copy)]
pub struct PackageData<'a> {
    /// The work-package $\mathbf{p}$.
    pub package: &'a WorkPackage,
    /// $X^\#(\mathbf{p}_\mathbf{w})$.
    pub extrinsics: &'a [Vec<Vec<u8>>],
    /// $S^\#(\mathbf{p}_\mathbf{w})$.
    pub imports: &'a [Vec<Segment>],
}

/// Checks the bundle's data against the package's manifest: the extrinsic blobs are those
/// the items reference by hash and length ($X$, GP (14.15)) and each item has as many imported
/// segments as import specifications ($S$, GP (14.15)).
pub fn check_data(data: &PackageData<'_>) -> Result<(), GuaranteeError> {
    let items = &data.package.items;
    for (got, expected) in [
        (data.extrinsics.len(), items.len()),
        (data.imports.len(), items.len()),
    ] {
        if got != expected {
            return Err(GuaranteeError::BundleItems { got, expected });
        }
    }
    for (j, ((w, xs), is)) in items
        .iter()
        .zip(data.extrinsics)
        .zip(data.imports)
        .enumerate()
    {
        if xs.len() != w.extrinsic.len() {
            return Err(GuaranteeError::ExtrinsicCount {
                item: j,
                got: xs.len(),
                expected: w.extrinsic.len(),
            });
        }
        for (k, (x, spec)) in xs.iter().zip(&w.extrinsic).enumerate() {
            if x.len() as u64 != u64::from(spec.len) || blake2b_256(x) != spec.hash {
                return Err(GuaranteeError::BadExtrinsic { item: j, index: k });
            }
        }
        if is.len() != w.import_segments.len() {
            return Err(GuaranteeError::ImportCount {
                item: j,
                got: is.len(),
                expected: w.import_segments.len(),
            });
        }
    }
    Ok(())
}

/// Checks each work-item's service against the state, as the report will be checked on chain:
/// the service exists with the item's code hash (GP (11.42)) and the item's accumulation gas
/// covers the service's minimum (GP (11.30)).
pub fn check_services(
    state: &dyn StateReader,
    package: &WorkPackage,
) -> Result<(), GuaranteeError> {
    for (j, w) in package.items.iter().enumerate() {
        let info = state
            .service_info(w.service)
            .ok_or(GuaranteeError::UnknownService {
                item: j,
                service: w.service,
            })?;
        if info.code_hash != w.code_hash {
            return Err(GuaranteeError::CodeHashMismatch {
                item: j,
                service: w.service,
                code_hash: w.code_hash,
            });
        }
        if w.accumulate_gas_limit < info.min_item_gas {
            return Err(GuaranteeError::AccumulateGasTooLow {
                item: j,
                gas: w.accumulate_gas_limit,
                min: info.min_item_gas,
            });
        }
    }
    Ok(())
}

/// A work-report before its availability specification: $\Xi$ (GP (14.12)) without
/// $\mathbf{s}$, and the exported segments $\overline{\mathbf{e}}$ concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// The report; its `package_spec` is left default, for the caller to fill in from the
    /// bundle and `exports` (GP (14.16)).
    pub report: WorkReport,
    /// $\frown\overline{\mathbf{e}}$: every item's exports, in item order.
    pub exports: Vec<Segment>,
}

/// $I(\mathbf{p}, j)$ of GP (14.12) given $\Psi_R$'s `refined` $(r, \mathbf{e}, u)$ for item `w`
/// and $z$, the octets of the authorizer trace and of the earlier items' blob outputs:
/// - `⊖` when $|r| + z > \mathsf{W}_R$ ($|r|$ = 0 for an error, which never exceeds);
/// - else `⊚` when $|\mathbf{e}| \ne w_e$: as printed, before the error case, so an item that
///   fails (Ψ_R then exports nothing, GP (B.5)) with $w_e > 0$ reports `⊚`;
/// - and in every case but a blob, $w_e$ zero segments in place of the exports.
///
/// Private: the zero segments cost $w_e \cdot \mathsf{W}_G$ octets, which only the package
/// limits [`check_package`] enforces justify ($\sum w_e \le \mathsf{W}_X$, GP (14.4)).
fn item_result(w: &WorkItem, refined: RefineOutcome, z: usize) -> (WorkExecResult, Vec<Segment>) {
    let count = usize::from(w.export_count);
    let result = match refined.result {
        WorkExecResult::Ok(r) if r.len().saturating_add(z) > MAX_REPORT_VAR_SIZE => {
            WorkExecResult::OutputOversize
        }
        _ if refined.exports.len() != count => WorkExecResult::BadExports,
        result => result,
    };
    if result.is_ok() {
        (result, refined.exports)
    } else {
        let zeros = (0..count).map(|_| Box::new([0u8; SEGMENT_SIZE])).collect();
        (result, zeros)
    }
}

/// $\Xi(\mathbf{p}, c)$ (GP (14.12)) but the availability specification: checks the package
/// (limits, bundle data, services, the authorizer's place in $\alpha\[c\]$), resolves the
/// segment-root lookups, runs $\Psi_I$ and then $\Psi_R$ for each item in order through
/// $I(\mathbf{p}, j)$, which replaces the output of an item by $\circleddash$ when it would
/// take the report's variable-size data beyond $\mathsf{W}_R$, by $\circledcirc$ when it
/// exports other than its export count, and its exports by zero segments whenever its result
/// is not a blob.
pub fn compute_report(
    spec: &ChainSpec,
    state: &dyn StateReader,
    core: CoreIndex,
    data: &PackageData<'_>,
    lookup: &dyn SegmentRootLookup,
    invocations: &dyn Invocations,
) -> Result<Computed, GuaranteeError> {
    let package = data.package;
    if usize::from(core) >= spec.cores {
        return Err(GuaranteeError::BadCore {
            core,
            cores: spec.cores,
        });
    }
    check_package(spec, package)?;
    check_data(data)?;
    let segment_root_lookup = segment_root_lookups(package, lookup)?;
    // GP (11.29): the report is valid only if its authorizer is in the core's pool.
    let authorizer = authorizer_hash(package);
    let in_pool = state
        .components()
        .alpha
        .get(usize::from(core))
        .is_some_and(|pool| pool.contains(&authorizer));
    if !in_pool {
        return Err(GuaranteeError::NotInPool { authorizer, core });
    }
    check_services(state, package)?;

    // (o, g) = Ψ_I(p, c); Ξ is ⊥ unless o ∈ B[:W_R].
    let auth = invocations.is_authorized(spec, state, package, core);
    let auth_gas_used = auth.gas_used;
    let auth_trace = match auth.result {
        WorkExecResult::Ok(o) if o.len() <= MAX_REPORT_VAR_SIZE => o,
        WorkExecResult::Ok(o) => return Err(GuaranteeError::TraceTooLarge(o.len())),
        e => return Err(GuaranteeError::Unauthorized(e)),
    };

    let mut results = Vec::with_capacity(package.items.len());
    let mut exports = Vec::new();
    // z = |o| + the sizes of the blob outputs I has kept so far.
    let mut z = auth_trace.len();
    let mut export_offset = 0usize;
    for (j, w) in package.items.iter().enumerate() {
        let refined = invocations.refine(
            spec,
            state,
            &RefineInput {
                core,
                item: j,
                package,
                auth_trace: &auth_trace,
                imports: data.imports,
                extrinsics: data.extrinsics,
                export_offset,
            },
        );
        let gas_used = refined.gas_used;
        let (result, item_exports) = item_result(w, refined, z);
        if let WorkExecResult::Ok(r) = &result {
            z += r.len();
        }
        results.push(item_to_digest(w, result, gas_used));
        exports.extend(item_exports);
        export_offset += usize::from(w.export_count);
    }

    Ok(Computed {
        report: WorkReport {
            package_spec: Default::default(),
            context: package.context.clone(),
            core_index: core,
            authorizer_hash: authorizer,
            auth_gas_used,
            auth_output: auth_trace,
            segment_root_lookup,
            results,
        },
        exports,
    })
}
