//! Why a work-package cannot be guaranteed.

use marmalade_types::{CoreIndex, Hash, ServiceId, WorkExecResult};

/// Why a work-package cannot be turned into a work-report (GP (14.12) yields $\error$), or a
/// guarantee cannot be formed (GP (11.23)–(11.25)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuaranteeError {
    /// The core index is not below $\mathsf{C}$.
    #[error("core {core} does not exist ({cores} cores)")]
    BadCore {
        /// The nominated core.
        core: CoreIndex,
        /// $\mathsf{C}$.
        cores: usize,
    },
    /// The package has no work-items or more than $\mathsf{I}$ (GP (14.2)).
    #[error("{0} work-items (1 to 16 allowed)")]
    ItemCount(usize),
    /// More than $\mathsf{W}_X$ exports, $\mathsf{W}_M$ imports or $\mathsf{T}$ extrinsics in
    /// the package (GP (14.4)).
    #[error("too many {what}: {count} (at most {max})")]
    TooMany {
        /// Which manifest element.
        what: &'static str,
        /// The package's total.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The bundle's size measure exceeds $\mathsf{W}_B$ (GP (14.5)).
    #[error("bundle of {size} octets exceeds W_B = {max}")]
    BundleTooLarge {
        /// The sum of GP (14.5).
        size: u64,
        /// $\mathsf{W}_B$.
        max: u64,
    },
    /// The items' gas limits exceed what a core may spend (GP (14.8)).
    #[error("{what} gas limits sum to {sum}, beyond {max}")]
    GasLimits {
        /// `"refine"` or `"accumulate"`.
        what: &'static str,
        /// The sum of the items' limits.
        sum: u128,
        /// The bound.
        max: u64,
    },
    /// The bundle's extrinsic blobs for an item do not match its references (GP (14.15), $X$).
    #[error("item {item}: extrinsic {index} does not match its hash or length")]
    BadExtrinsic {
        /// The work-item index.
        item: usize,
        /// The extrinsic index within the item.
        index: usize,
    },
    /// The bundle carries a different number of extrinsic blobs for an item than it names.
    #[error("item {item}: {got} extrinsic blobs for {expected} references")]
    ExtrinsicCount {
        /// The work-item index.
        item: usize,
        /// Blobs in the bundle.
        got: usize,
        /// References in the item.
        expected: usize,
    },
    /// The bundle carries a different number of imported segments for an item than it names.
    #[error("item {item}: {got} imported segments for {expected} import specifications")]
    ImportCount {
        /// The work-item index.
        item: usize,
        /// Segments in the bundle.
        got: usize,
        /// Import specifications in the item.
        expected: usize,
    },
    /// The bundle's items do not match the package's.
    #[error("bundle has data for {got} work-items, the package has {expected}")]
    BundleItems {
        /// Items with data in the bundle.
        got: usize,
        /// Items in the package.
        expected: usize,
    },
    /// The bundle's flat data does not fit the package's manifest.
    #[error("bundle has {got} {what}, the package names {expected}")]
    BundleData {
        /// Which part.
        what: &'static str,
        /// In the bundle.
        got: usize,
        /// Named by the package.
        expected: usize,
    },
    /// Imported segment `k` (counting over all items) does not match its justification and
    /// segments root (GP (14.15)).
    #[error("imported segment {0} does not match its justification and segments root")]
    BadImport(usize),
    /// The availability specifier could not be computed (GP (14.17)).
    #[error("availability: {0}")]
    Availability(String),
    /// An import names a work-package whose segments root is not known (GP (14.13), $L$).
    #[error("unknown segments root for work-package 0x{}", hex(.0))]
    UnknownSegmentRoot(Hash),
    /// Prerequisites and segment-root lookups exceed $\mathsf{J}$ (GP (11.3)).
    #[error("{0} dependencies (prerequisites and segment-root lookups; at most 8)")]
    TooManyDependencies(usize),
    /// A work-item names a service the state does not have (the report would fail GP (11.42)).
    #[error("item {item}: unknown service {service}")]
    UnknownService {
        /// The work-item index.
        item: usize,
        /// The service index.
        service: ServiceId,
    },
    /// A work-item's code hash is not its service's (the report would fail GP (11.42)).
    #[error("item {item}: code hash 0x{} is not service {service}'s", hex(.code_hash))]
    CodeHashMismatch {
        /// The work-item index.
        item: usize,
        /// The service index.
        service: ServiceId,
        /// The item's code hash.
        code_hash: Hash,
    },
    /// A work-item's accumulation gas is below its service's minimum (GP (11.30)).
    #[error("item {item}: accumulate gas {gas} below service minimum {min}")]
    AccumulateGasTooLow {
        /// The work-item index.
        item: usize,
        /// The item's limit.
        gas: u64,
        /// The service's $g$.
        min: u64,
    },
    /// The package's authorizer $\mathcal{H}(u \frown \mathbf{f})$ is not in $\alpha\[c\]$
    /// (GP (11.29)).
    #[error("authorizer 0x{} not in the pool of core {core}", hex(.authorizer))]
    NotInPool {
        /// The package's authorizer hash.
        authorizer: Hash,
        /// The core.
        core: CoreIndex,
    },
    /// $\Psi_I$ did not authorize the package: it returned an error (GP (14.12)).
    #[error("is-authorized failed: {}", .0.name())]
    Unauthorized(WorkExecResult),
    /// The authorizer trace exceeds $\mathsf{W}_R$ (GP (14.12)).
    #[error("authorizer trace of {0} octets exceeds W_R")]
    TraceTooLarge(usize),
    /// A guarantee needs two or three credentials of distinct validators (GP (11.23),
    /// (11.25)).
    #[error("a guarantee needs 2 or 3 credentials of distinct validators, got {0}")]
    Credentials(usize),
}

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}
