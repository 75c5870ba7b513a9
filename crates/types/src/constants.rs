//! Protocol constants that are the same in every chain configuration (GP Appendix I.4.4,
//! "Constants", and the signing contexts of I.4.5).
//!
//! Parameters that the tiny test configuration changes (`V`, `C`, `E`, `Y`, `R`, `K`, `N`, `D`,
//! `G_T`, `G_R`, `W_P`, `W_E`, ...) are fields of [`crate::ChainSpec`] instead.

/// $\mathsf{A}$: the period, in seconds, between audit tranches.
pub const AUDIT_TRANCHE_SECONDS: u64 = 8;

/// $\mathsf{B}_I$: the additional minimum balance required per item of elective service state.
pub const ITEM_DEPOSIT: u64 = 10;

/// $\mathsf{B}_L$: the additional minimum balance required per octet of elective service state.
pub const BYTE_DEPOSIT: u64 = 1;

/// $\mathsf{B}_S$: the basic minimum balance which all services require.
pub const BASE_DEPOSIT: u64 = 100;

/// $\mathsf{F}$: the audit bias factor, the expected number of additional validators who will
/// audit a work-report in the following tranche for each no-show in the previous.
pub const AUDIT_BIAS_FACTOR: u32 = 2;

/// $\mathsf{G}_A$: the gas allocated to invoke a work-report's Accumulation logic.
pub const REPORT_ACCUMULATE_GAS: u64 = 10_000_000;

/// $\mathsf{G}_I$: the gas allocated to invoke a work-package's Is-Authorized logic.
pub const IS_AUTHORIZED_GAS: u64 = 50_000_000;

/// $\mathsf{H}$: the size of recent history, in blocks (`max-blocks-history` in the ASN).
pub const RECENT_HISTORY_LEN: usize = 8;

/// $\mathsf{I}$: the maximum number of work items in a package.
pub const MAX_WORK_ITEMS: usize = 16;

/// $\mathsf{J}$: the maximum sum of dependency items (prerequisites and segment-root lookups)
/// in a work-report.
pub const MAX_REPORT_DEPENDENCIES: usize = 8;

/// $\mathsf{O}$: the maximum number of items in a core's authorizations pool
/// (`auth-pool-max-size`).
pub const AUTH_POOL_SIZE: usize = 8;

/// $\mathsf{P}$: the slot period, in seconds.
pub const SLOT_SECONDS: u64 = 6;

/// $\mathsf{Q}$: the number of items in a core's authorizations queue (`auth-queue-size`).
pub const AUTH_QUEUE_SIZE: usize = 80;

/// $\mathsf{S}$: the minimum public service index; services of lower indices may only be
/// created by the Registrar.
pub const MIN_PUBLIC_SERVICE_INDEX: u32 = 1 << 16;

/// $\mathsf{T}$: the maximum number of extrinsics in a work-package.
pub const MAX_PACKAGE_EXTRINSICS: usize = 128;

/// $\mathsf{U}$: the period in timeslots after which reported but unavailable work may be
/// replaced.
pub const ASSURANCE_TIMEOUT_PERIOD: u32 = 5;

/// $\mathsf{W}_A$: the maximum size of is-authorized code in octets.
pub const MAX_AUTH_CODE_SIZE: usize = 64_000;

/// $\mathsf{W}_B$: the maximum size of the concatenated variable-size blobs, extrinsics and
/// imported segments of a work-package, in octets.
pub const MAX_BUNDLE_SIZE: usize = 13_791_360;

/// $\mathsf{W}_C$: the maximum size of service code in octets.
pub const MAX_SERVICE_CODE_SIZE: usize = 4_000_000;

/// $\mathsf{W}_G = \mathsf{W}_P \mathsf{W}_E$: the size of a segment in octets (the same in
/// every configuration; only its split into erasure-coded pieces differs).
pub const SEGMENT_SIZE: usize = 4104;

/// $\mathsf{W}_M$: the maximum number of imports in a work-package.
pub const MAX_PACKAGE_IMPORTS: usize = 3072;

/// $\mathsf{W}_F = \mathsf{W}_G + 32\lceil\log_2(\mathsf{W}_M)\rceil$: the additional footprint
/// in the Audits DA of a single imported segment.
pub const SEGMENT_FOOTPRINT: usize = SEGMENT_SIZE + 32 * 12;

/// $\mathsf{W}_R$: the maximum total size of all unbounded blobs in a work-report, in octets.
pub const MAX_REPORT_VAR_SIZE: usize = 48 * 1024;

/// $\mathsf{W}_T$: the size of a transfer memo in octets.
pub const MEMO_SIZE: usize = 128;

/// $\mathsf{W}_X$: the maximum number of exports in a work-package.
pub const MAX_PACKAGE_EXPORTS: usize = 3072;

/// $\mathsf{Z}_A$: the PVM dynamic address alignment factor.
pub const PVM_DYN_ADDR_ALIGN: u32 = 2;

/// $\mathsf{Z}_I$: the standard PVM program initialization input data size.
pub const PVM_INIT_INPUT_SIZE: u32 = 1 << 24;

/// $\mathsf{Z}_P$: the PVM memory page size.
pub const PVM_PAGE_SIZE: u32 = 1 << 12;

/// $\mathsf{Z}_Z$: the standard PVM program initialization zone size.
pub const PVM_INIT_ZONE_SIZE: u32 = 1 << 16;

/// The JAM Common Era, 1200 UTC on January 1, 2025, in seconds after the Unix epoch
/// (GP section 4.4).
pub const JAM_COMMON_ERA: u64 = 1_735_732_800;

/// Size of the entropy buffer $\eta$ (GP (6.21)): the current accumulator and three
/// historical values.
pub const ENTROPY_BUFFER_LEN: usize = 4;

/// Signing contexts (GP I.4.5), the byte strings prefixed to signed messages.
pub mod context {
    /// $\mathsf{X}_A$: Ed25519 availability assurances (`$jam_available`).
    pub const AVAILABLE: &[u8] = b"jam_available";
    /// $\mathsf{X}_B$: BLS accumulate-result-root-MMR commitment (`$jam_beefy`).
    pub const BEEFY: &[u8] = b"jam_beefy";
    /// $\mathsf{X}_E$: on-chain entropy generation (`$jam_entropy`).
    pub const ENTROPY: &[u8] = b"jam_entropy";
    /// $\mathsf{X}_F$: Bandersnatch fallback block seal (`$jam_fallback_seal`).
    pub const FALLBACK_SEAL: &[u8] = b"jam_fallback_seal";
    /// $\mathsf{X}_G$: Ed25519 guarantee statements (`$jam_guarantee`).
    pub const GUARANTEE: &[u8] = b"jam_guarantee";
    /// $\mathsf{X}_I$: Ed25519 audit announcement statements (`$jam_announce`).
    pub const ANNOUNCE: &[u8] = b"jam_announce";
    /// $\mathsf{X}_T$: Bandersnatch Ring VRF ticket generation and regular block seal
    /// (`$jam_ticket_seal`).
    pub const TICKET_SEAL: &[u8] = b"jam_ticket_seal";
    /// $\mathsf{X}_U$: Bandersnatch audit selection entropy (`$jam_audit`).
    pub const AUDIT: &[u8] = b"jam_audit";
    /// $\mathsf{X}_\top$: Ed25519 judgments for valid work-reports (`$jam_valid`).
    pub const VALID: &[u8] = b"jam_valid";
    /// $\mathsf{X}_\bot$: Ed25519 judgments for invalid work-reports (`$jam_invalid`).
    pub const INVALID: &[u8] = b"jam_invalid";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_constants_match_the_gp() {
        assert_eq!(SEGMENT_FOOTPRINT, 4488);
        // 32 * ceil(log2(W_M)): 2^11 < 3072 <= 2^12.
        const { assert!(MAX_PACKAGE_IMPORTS > 1 << 11 && MAX_PACKAGE_IMPORTS <= 1 << 12) };
        assert_eq!(MAX_REPORT_VAR_SIZE, 49_152);
    }
}
