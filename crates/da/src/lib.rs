//! Data availability: bundles and segments erasure-coded per GP appendix H, the DA store.
