//! Is-Authorized (Ψ_I) and Refine (Ψ_R), GP appendix B.
