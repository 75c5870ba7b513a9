//! The JSON encodings of JIP-2: `Hash` and `Blob` are padded base64 strings (RFC 4648, the
//! standard alphabet), `Slot`, `ServiceId` and `CoreIndex` are numbers, a block is
//! `[Hash, Slot]`, and `parameters` answers `{"V1": Parameters}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use marmalade_types::constants::{
    ASSURANCE_TIMEOUT_PERIOD, AUTH_POOL_SIZE, AUTH_QUEUE_SIZE, BASE_DEPOSIT, BYTE_DEPOSIT,
    ITEM_DEPOSIT, MAX_AUTH_CODE_SIZE, MAX_BUNDLE_SIZE, MAX_PACKAGE_EXPORTS, MAX_PACKAGE_EXTRINSICS,
    MAX_PACKAGE_IMPORTS, MAX_REPORT_DEPENDENCIES, MAX_SERVICE_CODE_SIZE, MAX_WORK_ITEMS,
    RECENT_HISTORY_LEN,
};
use marmalade_types::ChainSpec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JIP-2 `Hash`: 32 bytes as a padded base64 string. Any other decoded length is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash32(pub [u8; 32]);

/// A JIP-2 `Blob`: bytes of any length as a padded base64 string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Hash32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Hash32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // A 32-byte hash is 44 base64 characters: refuse longer input before decoding it.
        if text.len() != 44 {
            return Err(serde::de::Error::custom(format!(
                "a Hash is 44 base64 characters, got {}",
                text.len()
            )));
        }
        let bytes = STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)?;
        let hash: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            serde::de::Error::custom(format!("a Hash decodes to 32 bytes, got {}", b.len()))
        })?;
        Ok(Hash32(hash))
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The string is bounded by the server's request-size limit; the bytes are 3/4 of it.
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Blob)
            .map_err(serde::de::Error::custom)
    }
}

/// The JIP-2 `Parameters` object (version 1): the chain's parameterization. Every field is
/// numeric; the GP symbol of each is in its doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameters {
    /// $\mathsf{B}_S$: the base deposit of an account.
    pub deposit_per_account: u64,
    /// $\mathsf{B}_I$: the additional deposit per item.
    pub deposit_per_item: u64,
    /// $\mathsf{B}_L$: the additional deposit per octet.
    pub deposit_per_byte: u64,
    /// $\mathsf{D}$: the preimage expunge period.
    pub min_turnaround_period: u32,
    /// $\mathsf{E}$: the epoch length in slots.
    pub epoch_period: u32,
    /// $\mathsf{G}_A$: the gas of one work-report's accumulation.
    pub max_accumulate_gas: u64,
    /// $\mathsf{G}_I$: the gas of Is-Authorized.
    pub max_is_authorized_gas: u64,
    /// $\mathsf{G}_R$: the gas of Refine.
    pub max_refine_gas: u64,
    /// $\mathsf{G}_T$: the gas of all accumulation in a block.
    pub block_gas_limit: u64,
    /// $\mathsf{H}$: the length of recent history.
    pub recent_block_count: u32,
    /// $\mathsf{I}$: the maximum work items in a package.
    pub max_work_items: u32,
    /// $\mathsf{J}$: the maximum dependencies of a work-report.
    pub max_dependencies: u32,
    /// $\mathsf{K}$: the maximum tickets in a block.
    pub max_tickets_per_block: u32,
    /// $\mathsf{L}$: the maximum age of a lookup anchor.
    pub max_lookup_anchor_age: u32,
    /// $\mathsf{N}$: ticket entries per validator.
    pub tickets_attempts_number: u32,
    /// $\mathsf{O}$: the authorizer pool size.
    pub auth_window: u32,
    /// $\mathsf{Q}$: the authorizer queue size.
    pub auth_queue_len: u32,
    /// $\mathsf{R}$: the rotation period in slots.
    pub rotation_period: u32,
    /// $\mathsf{T}$: the maximum extrinsics in a package.
    pub max_extrinsics: u32,
    /// $\mathsf{U}$: the availability timeout in slots.
    pub availability_timeout: u32,
    /// $\mathsf{V}$: the number of validators.
    pub val_count: u32,
    /// $\mathsf{W}_B$: the maximum encoded size of a package bundle.
    pub max_input: u32,
    /// $\mathsf{W}_C$: the maximum size of service code.
    pub max_refine_code_size: u32,
    /// $\mathsf{W}_E$: the basic erasure-coded piece size in octets.
    pub basic_piece_len: u32,
    /// $\mathsf{W}_M$: the maximum imports of a package.
    pub max_imports: u32,
    /// $\mathsf{W}_A$ of the GP (the JIP's $\mathsf{W}_I$): the maximum Is-Authorized code size.
    pub max_is_authorized_code_size: u32,
    /// $\mathsf{W}_X$: the maximum exports of a package.
    pub max_exports: u32,
    /// The RAM Refine/Accumulate code may use: the GP sets no bound below the PVM's
    /// $2^{32}$-octet address space, so that is the value.
    pub max_refine_memory: u64,
    /// The RAM Is-Authorized code may use: as `max_refine_memory`.
    pub max_is_authorized_memory: u64,
}

/// The answer of `parameters`: the versioned object, `{"V1": {...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VersionedParameters {
    /// Version 1.
    V1(Parameters),
}

/// Values that fit `u32` by the GP's definitions; saturating keeps the conversion total.
fn n32(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

impl Parameters {
    /// The parameters of `spec`: the runtime ones from the spec, the rest the GP's constants
    /// (GP I.4.4).
    pub fn of(spec: &ChainSpec) -> Parameters {
        Parameters {
            deposit_per_account: BASE_DEPOSIT,
            deposit_per_item: ITEM_DEPOSIT,
            deposit_per_byte: BYTE_DEPOSIT,
            min_turnaround_period: spec.preimage_expunge_period,
            epoch_period: spec.epoch_length,
            max_accumulate_gas: spec.report_accumulate_gas,
            max_is_authorized_gas: spec.is_authorized_gas,
            max_refine_gas: spec.refine_gas,
            block_gas_limit: spec.block_accumulate_gas,
            recent_block_count: n32(RECENT_HISTORY_LEN),
            max_work_items: n32(MAX_WORK_ITEMS),
            max_dependencies: n32(MAX_REPORT_DEPENDENCIES),
            max_tickets_per_block: n32(spec.max_tickets_per_extrinsic),
            max_lookup_anchor_age: spec.max_lookup_anchor_age,
            tickets_attempts_number: u32::from(spec.tickets_per_validator),
            auth_window: n32(AUTH_POOL_SIZE),
            auth_queue_len: n32(AUTH_QUEUE_SIZE),
            rotation_period: spec.rotation_period,
            max_extrinsics: n32(MAX_PACKAGE_EXTRINSICS),
            availability_timeout: ASSURANCE_TIMEOUT_PERIOD,
            val_count: n32(spec.validators),
            max_input: n32(MAX_BUNDLE_SIZE),
            max_refine_code_size: n32(MAX_SERVICE_CODE_SIZE),
            basic_piece_len: n32(spec.ec_piece_size),
            max_imports: n32(MAX_PACKAGE_IMPORTS),
            max_is_authorized_code_size: n32(MAX_AUTH_CODE_SIZE),
            max_exports: n32(MAX_PACKAGE_EXPORTS),
            max_refine_memory: 1 << 32,
            max_is_authorized_memory: 1 << 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trips_and_rejects_other_lengths() {
        let h = Hash32([7; 32]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", STANDARD.encode([7u8; 32])));
        assert_eq!(serde_json::from_str::<Hash32>(&json).unwrap(), h);
        // 31 bytes, 33 bytes, unpadded, not base64.
        for bad in [
            STANDARD.encode([0u8; 31]),
            STANDARD.encode([0u8; 33]),
            STANDARD.encode([0u8; 32]).trim_end_matches('=').to_owned(),
            "!".repeat(44),
        ] {
            assert!(
                serde_json::from_str::<Hash32>(&format!("\"{bad}\"")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn blob_is_padded_base64() {
        // RFC 4648 section 10 test vectors.
        assert_eq!(
            serde_json::to_string(&Blob(b"f".to_vec())).unwrap(),
            "\"Zg==\""
        );
        assert_eq!(
            serde_json::to_string(&Blob(b"foob".to_vec())).unwrap(),
            "\"Zm9vYg==\""
        );
        assert_eq!(
            serde_json::from_str::<Blob>("\"Zm9vYmE=\"").unwrap(),
            Blob(b"fooba".to_vec())
        );
        assert!(serde_json::from_str::<Blob>("\"Zm9vYmE\"").is_err());
        assert!(serde_json::from_str::<Blob>("12").is_err());
    }

    #[test]
    fn parameters_of_full_are_the_gp_values() {
        // GP I.4.4.
        let p = Parameters::of(&ChainSpec::FULL);
        assert_eq!(p.val_count, 1023);
        assert_eq!(p.epoch_period, 600);
        assert_eq!(p.min_turnaround_period, 19_200);
        assert_eq!(p.max_input, 13_791_360);
        assert_eq!(p.basic_piece_len, 684);
        assert_eq!(p.auth_queue_len, 80);
        assert_eq!(p.block_gas_limit, 3_500_000_000);
        let json = serde_json::to_value(VersionedParameters::V1(p)).unwrap();
        assert_eq!(json["V1"]["deposit_per_account"], 100);
        assert_eq!(json["V1"]["max_tickets_per_block"], 16);
    }
}
