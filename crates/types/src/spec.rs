//! Chain parameters: the GP constants that the test configurations change.
//!
//! The `full` configuration is the Gray Paper's (GP I.4.4). The `tiny` configuration is the one
//! of the conformance vectors (`lib/tiny-const.asn` and the chain-spec table of the vectors'
//! README); every parameter it does not name keeps its Gray Paper value.

use marmalade_codec::SeqLens;

/// A chain name that is neither `tiny` nor `full`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chain spec {0:?} (expected \"tiny\" or \"full\")")]
pub struct UnknownChainSpec(pub String);

/// The runtime chain parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSpec {
    /// The configuration's name (`"tiny"` or `"full"`).
    pub name: &'static str,
    /// $\mathsf{V}$: the total number of validators (`validators-count`).
    pub validators: usize,
    /// $\mathsf{C}$: the total number of cores (`core-count`).
    pub cores: usize,
    /// $\mathsf{E}$: the length of an epoch in timeslots (`epoch-length`).
    pub epoch_length: u32,
    /// $\mathsf{Y}$: the number of slots into an epoch at which ticket submission ends
    /// (`contest_duration`).
    pub ticket_submission_end: u32,
    /// $\mathsf{R}$: the rotation period of validator-core assignments, in timeslots.
    pub rotation_period: u32,
    /// $\mathsf{K}$: the maximum number of tickets in a single extrinsic
    /// (`max-tickets-per-block`).
    pub max_tickets_per_extrinsic: usize,
    /// $\mathsf{N}$: the number of ticket entries per validator (`tickets-per-validator`).
    pub tickets_per_validator: u8,
    /// $\mathsf{D}$: the period in timeslots after which an unreferenced preimage may be
    /// expunged.
    pub preimage_expunge_period: u32,
    /// $\mathsf{L}$: the maximum age in timeslots of the lookup anchor.
    pub max_lookup_anchor_age: u32,
    /// $\mathsf{P}$: the slot period in seconds.
    pub slot_seconds: u64,
    /// $\mathsf{G}_T$: the total gas allocated across all Accumulation in a block.
    pub block_accumulate_gas: u64,
    /// $\mathsf{G}_R$: the gas allocated to invoke a work-package's Refine logic.
    pub refine_gas: u64,
    /// $\mathsf{G}_A$: the gas allocated to invoke a work-report's Accumulation logic.
    pub report_accumulate_gas: u64,
    /// $\mathsf{G}_I$: the gas allocated to invoke a work-package's Is-Authorized logic.
    pub is_authorized_gas: u64,
    /// $\mathsf{W}_P$: the number of erasure-coded pieces in a segment
    /// (`num_ec_pieces_per_segment`).
    pub segment_ec_pieces: usize,
    /// $\mathsf{W}_E$: the basic size of erasure-coded pieces in octets
    /// ($\mathsf{W}_G / \mathsf{W}_P$).
    pub ec_piece_size: usize,
}

impl ChainSpec {
    /// The Gray Paper configuration.
    pub const FULL: ChainSpec = ChainSpec {
        name: "full",
        validators: 1023,
        cores: 341,
        epoch_length: 600,
        ticket_submission_end: 500,
        rotation_period: 10,
        max_tickets_per_extrinsic: 16,
        tickets_per_validator: 2,
        preimage_expunge_period: 19_200,
        max_lookup_anchor_age: 14_400,
        slot_seconds: 6,
        block_accumulate_gas: 3_500_000_000,
        refine_gas: 5_000_000_000,
        report_accumulate_gas: 10_000_000,
        is_authorized_gas: 50_000_000,
        segment_ec_pieces: 6,
        ec_piece_size: 684,
    };

    /// The tiny test configuration of the conformance vectors.
    pub const TINY: ChainSpec = ChainSpec {
        name: "tiny",
        validators: 6,
        cores: 2,
        epoch_length: 12,
        ticket_submission_end: 10,
        rotation_period: 4,
        max_tickets_per_extrinsic: 3,
        tickets_per_validator: 3,
        preimage_expunge_period: 32,
        // L scaled down with the epoch (14 400 / 600 = 24): the tiny test network's value (the
        // fuzz protocol's "Ancestry" section), used by the reports' anchor-age rule and fetch.
        max_lookup_anchor_age: 24,
        slot_seconds: 6,
        block_accumulate_gas: 20_000_000,
        refine_gas: 1_000_000_000,
        report_accumulate_gas: 10_000_000,
        is_authorized_gas: 50_000_000,
        segment_ec_pieces: 1026,
        ec_piece_size: 4,
    };

    /// The configuration called `name` (`"tiny"` or `"full"`, case-insensitive).
    pub fn from_name(name: &str) -> Result<ChainSpec, UnknownChainSpec> {
        match name.to_ascii_lowercase().as_str() {
            "tiny" => Ok(Self::TINY),
            "full" => Ok(Self::FULL),
            _ => Err(UnknownChainSpec(name.to_owned())),
        }
    }

    /// The number of validator votes in a verdict: $\lfloor 2\mathsf{V}/3 \rfloor + 1$
    /// (`validators-super-majority`).
    pub const fn validators_super_majority(&self) -> usize {
        self.validators * 2 / 3 + 1
    }

    /// One third of the validators, rounded down: $\lfloor \mathsf{V}/3 \rfloor$, the number
    /// of negative votes making a verdict "wonky" (GP (10.12)).
    pub const fn validators_one_third(&self) -> usize {
        self.validators / 3
    }

    /// Bytes in an availability bitfield: $\lceil \mathsf{C}/8 \rceil$ (`avail-bitfield-bytes`).
    pub const fn avail_bitfield_bytes(&self) -> usize {
        self.cores.div_ceil(8)
    }

    /// The sealing-key sequence length, $\mathsf{E}$, as a `usize`.
    pub const fn epoch_len(&self) -> usize {
        self.epoch_length as usize
    }

    /// $\mathsf{W}_G = \mathsf{W}_P \mathsf{W}_E$: the segment size in octets.
    pub const fn segment_size(&self) -> usize {
        self.segment_ec_pieces * self.ec_piece_size
    }

    /// The epoch index of timeslot `slot`: $\lfloor \tau / \mathsf{E} \rfloor$.
    pub const fn epoch_of(&self, slot: u32) -> u32 {
        slot / self.epoch_length
    }

    /// The slot's phase within its epoch: $\tau \bmod \mathsf{E}$.
    pub const fn slot_phase(&self, slot: u32) -> u32 {
        slot % self.epoch_length
    }

    /// The lengths of the prefix-less sequences, for decoding with this configuration.
    pub const fn seq_lens(&self) -> SeqLens {
        SeqLens {
            validators: self.validators,
            cores: self.cores,
            epoch_length: self.epoch_length as usize,
            validators_super_majority: self.validators_super_majority(),
            avail_bitfield_bytes: self.avail_bitfield_bytes(),
        }
    }
}

impl std::str::FromStr for ChainSpec {
    type Err = UnknownChainSpec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::SEGMENT_SIZE;

    #[test]
    fn specs_match_the_asn_constants() {
        // lib/tiny-const.asn
        let t = ChainSpec::TINY;
        assert_eq!((t.validators, t.cores, t.epoch_length), (6, 2, 12));
        assert_eq!(
            (t.max_tickets_per_extrinsic, t.tickets_per_validator),
            (3, 3)
        );
        assert_eq!(
            (t.validators_super_majority(), t.avail_bitfield_bytes()),
            (5, 1)
        );
        // lib/full-const.asn
        let f = ChainSpec::FULL;
        assert_eq!((f.validators, f.cores, f.epoch_length), (1023, 341, 600));
        assert_eq!(
            (f.max_tickets_per_extrinsic, f.tickets_per_validator),
            (16, 2)
        );
        assert_eq!(
            (f.validators_super_majority(), f.avail_bitfield_bytes()),
            (683, 43)
        );
        assert_eq!(t.seq_lens(), SeqLens::TINY);
        assert_eq!(f.seq_lens(), SeqLens::FULL);
    }

    #[test]
    fn segment_size_is_the_same_everywhere() {
        assert_eq!(ChainSpec::TINY.segment_size(), SEGMENT_SIZE);
        assert_eq!(ChainSpec::FULL.segment_size(), SEGMENT_SIZE);
    }

    #[test]
    fn names() {
        assert_eq!(ChainSpec::from_name("tiny"), Ok(ChainSpec::TINY));
        assert_eq!("Full".parse::<ChainSpec>(), Ok(ChainSpec::FULL));
        assert!(ChainSpec::from_name("small").is_err());
    }

    #[test]
    fn ticket_contest_can_finish() {
        // docs.jamcha.in constraints: 0 < Y < E and (2V/3 + 1) N >= E.
        for s in [ChainSpec::TINY, ChainSpec::FULL] {
            assert!(s.ticket_submission_end > 0 && s.ticket_submission_end < s.epoch_length);
            assert!(
                s.validators_super_majority() * s.tickets_per_validator as usize >= s.epoch_len()
            );
        }
    }
}
