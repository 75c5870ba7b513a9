//! Guaranteeing: work package to work report (GP section 14), guarantor signatures.
