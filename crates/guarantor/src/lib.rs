//! Guaranteeing (GP sections 11 and 14): a work-package becomes a work-report through the
//! report computation $\Xi$ (GP (14.12)), with its exported segments and the availability
//! specification (GP (14.16)–(14.17)) whose shards the guarantor distributes; guarantors sign
//! the report (GP (11.26)) and form the guarantee the chain checks (GP (11.23)).
//!
//! - [`report`]: $\Xi$ without the availability specification, over the [`Invocations`] seam,
//!   and its parts: $C$ (GP (14.9)), the implied authorizer (GP (14.10)), $L$ (GP (14.13)),
//!   the package limits.
//! - [`work`]: $\Xi$ whole, from a bundle: [`build_report`], with the availability
//!   specification and shards.
//! - [`sign`]: the guarantor signature and the guarantee.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod invoke;
pub mod report;
pub mod sign;
pub mod work;

pub use error::GuaranteeError;
pub use invoke::{CodeCache, Invocations, IsAuthorizedOutcome, Pvm, RefineInput, RefineOutcome};
pub use marmalade_da::{Availability, Bundle};
pub use report::{
    authorizer_hash, check_data, check_package, check_services, compute_report, import_root,
    item_to_digest, resolve_import, segment_root_lookups, Computed, ImportRoot, NoSegmentRoots,
    PackageData, RecentlyReported, SegmentRootLookup, PACKAGE_HASH_TAG,
};
pub use sign::{guarantee, report_hash, sign_report};
pub use work::{build_report, build_report_with, package_hash, GuaranteedWork};

#[cfg(test)]
mod tests;
