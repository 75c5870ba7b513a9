//! Is-Authorized (Ψ_I) and Refine (Ψ_R), GP appendix B.

#![deny(unsafe_code)]

#[cfg(any(test, feature = "testing"))]
pub mod testing;
