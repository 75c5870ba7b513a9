//! Size bounds of JAMNP-S messages, derived from the Gray Paper's limits where it has them.
//!
//! A receiver gives the bound of the message it expects next to
//! [`MessageReader`](crate::MessageReader), which refuses a larger size prefix before reading
//! or allocating anything. Each bound is the largest encoding of a message that the GP (or the
//! JAMNP-S text) permits, counting every length prefix at its widest; where the GP sets no limit
//! (preimage sizes, disputes counts, audit evidence), a **policy** bound is chosen and says so.
//! Bounds are for a *valid* message: a decoder accepts anything well-formed within them and
//! leaves the protocol rules (package limits, signature checks, ...) to the layers above.

use marmalade_types::constants::{
    MAX_BUNDLE_SIZE, MAX_PACKAGE_EXPORTS, MAX_PACKAGE_EXTRINSICS, MAX_PACKAGE_IMPORTS,
    MAX_REPORT_DEPENDENCIES, MAX_REPORT_VAR_SIZE, MAX_WORK_ITEMS,
};
use marmalade_types::ChainSpec;

/// A hash, header hash, erasure root or segments root: 32 octets.
pub const HASH: usize = 32;
/// An Ed25519 signature: 64 octets.
pub const ED25519_SIGNATURE: usize = 64;
/// A Bandersnatch (IETF VRF) signature: 96 octets.
pub const BANDERSNATCH_SIGNATURE: usize = 96;
/// A Bandersnatch ring-VRF proof: 784 octets.
pub const RING_VRF_PROOF: usize = 784;
/// A state-trie node as `B`/`L` of GP appendix D return it: 64 octets.
pub const TRIE_NODE: usize = 64;
/// A state key in CE 129: the first 31 octets (the last is ignored by merklization).
pub const STATE_KEY: usize = 31;

/// The JAMNP-S limit on the encoded work-package alone (CE 133's first message less its core
/// index, CE 146's second message): 200 KiB, "so that guarantors can not be forced to download
/// huge work packages before they can check that the work-package is authorized".
pub const MAX_WORK_PACKAGE: usize = 200 * 1024;

/// `⌈log₂ n⌉` for `n ≥ 1` (0 for `n ≤ 1`).
pub const fn ceil_log2(n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        (usize::BITS - (n - 1).leading_zeros()) as usize
    }
}

/// The widest natural-number prefix of a sequence of at most `n` items (GP (C.6)).
const fn prefix(n: usize) -> usize {
    // As `marmalade_codec::natural_len`, in a const fn: one octet per 7 bits beyond the first
    // 7, up to 9 octets.
    let x = n as u64;
    if x < 1 << 56 {
        let bits = (64 - x.leading_zeros()) as usize;
        1 + bits.saturating_sub(1) / 7
    } else {
        9
    }
}

/// **Policy**: the largest opaque blob accepted where the GP bounds none: a preimage (CE 143,
/// the preimages of a block) or a state value (CE 129). The GP sizes preimages only by the
/// requesting service's deposit; we allow `W_B` (13,791,360 octets, GP (14.7)), the most data the
/// in-core path carries into the chain in one work-package.
pub const MAX_BLOB: usize = MAX_BUNDLE_SIZE;

/// The largest header (GP (5.1); serialization GP (C.22)): three hashes, the slot, an epoch
/// marker with `V` key pairs (GP (6.27)), a tickets marker of `E` tickets (GP (6.28)), the author,
/// two Bandersnatch signatures, and an offenders marker of at most `2V` keys (GP (10.20): each a
/// distinct culprit or fault key of the current or previous set).
pub const fn max_header(spec: &ChainSpec) -> usize {
    let v = spec.validators;
    3 * HASH
        + 4
        + (1 + 2 * HASH + v * 2 * HASH)
        + (1 + spec.epoch_length as usize * (HASH + 1))
        + 2
        + BANDERSNATCH_SIGNATURE
        + (prefix(2 * v) + 2 * v * HASH)
        + BANDERSNATCH_SIGNATURE
}

/// The largest refinement context (GP (11.4)): four hashes, a slot and at most `J`
/// prerequisites (GP (11.3)).
const fn max_context() -> usize {
    4 * HASH + 4 + prefix(MAX_REPORT_DEPENDENCIES) + MAX_REPORT_DEPENDENCIES * HASH
}

/// The largest work-report (GP (11.2); serialization GP (C.28)): the availability spec, the
/// context, the natural-encoded core index and gas, the authorizer hash, at most `J` lookup
/// entries (GP (11.3)) and `I` digests (each with a natural-encoded load, GP (C.27)), and at most
/// `W_R` octets of blobs (the trace and the outputs, GP (11.8)).
pub const fn max_work_report(spec: &ChainSpec) -> usize {
    let package_spec = HASH + 4 + HASH + HASH + 2;
    let digest = 4 + HASH + HASH + 8 + 1 + prefix(MAX_REPORT_VAR_SIZE) + (9 + 3 + 3 + 5 + 3);
    package_spec
        + max_context()
        + prefix(spec.cores)
        + HASH
        + 9
        + prefix(MAX_REPORT_VAR_SIZE)
        + prefix(MAX_REPORT_DEPENDENCIES)
        + MAX_REPORT_DEPENDENCIES * 2 * HASH
        + prefix(MAX_WORK_ITEMS)
        + MAX_WORK_ITEMS * digest
        + MAX_REPORT_VAR_SIZE
}

/// One guarantor credential: validator index and Ed25519 signature (GP (11.23)).
pub const CREDENTIAL: usize = 2 + ED25519_SIGNATURE;

/// The largest guaranteed work-report (GP (11.23)): a report, a slot and three credentials.
pub const fn max_guarantee(spec: &ChainSpec) -> usize {
    max_work_report(spec) + 4 + prefix(3) + 3 * CREDENTIAL
}

/// **Policy**: the most verdicts a block's disputes extrinsic is taken to carry, `C`. The GP
/// (10.2) bounds verdicts only by the reports not yet judged; one per core is the most a block
/// can act on in its own rotation.
pub const fn max_verdicts(spec: &ChainSpec) -> usize {
    spec.cores
}

/// The largest block (GP (4.2), (4.3); serialization GP (C.16)): the largest header and an
/// extrinsic with `K` tickets (GP (6.30)), `C` guarantees (GP (11.23)), `V` assurances
/// (GP (11.10)), disputes of [`max_verdicts`] verdicts and `2V` culprits and faults (each a
/// distinct key of the current or previous set, GP (10.2)), and [`MAX_BLOB`] octets of preimages
/// (policy: the GP bounds the preimages extrinsic only through the services' requests).
pub const fn max_block(spec: &ChainSpec) -> usize {
    let v = spec.validators;
    let c = spec.cores;
    let k = spec.max_tickets_per_extrinsic;
    let tickets = prefix(k) + k * (1 + RING_VRF_PROOF);
    let guarantees = prefix(c) + c * max_guarantee(spec);
    let assurance = HASH + spec.avail_bitfield_bytes() + 2 + ED25519_SIGNATURE;
    let assurances = prefix(v) + v * assurance;
    let verdict = HASH + 4 + spec.validators_super_majority() * (1 + 2 + ED25519_SIGNATURE);
    let disputes = prefix(max_verdicts(spec))
        + max_verdicts(spec) * verdict
        + prefix(2 * v)
        + 2 * v * (HASH + HASH + ED25519_SIGNATURE)
        + prefix(2 * v)
        + 2 * v * (HASH + 1 + HASH + ED25519_SIGNATURE);
    max_header(spec) + tickets + MAX_BLOB + guarantees + assurances + disputes
}

/// The largest work-package bundle `E(p, x#, i#, j#)` (GP (14.16)): `W_B` (GP (14.5)–(14.7))
/// bounds the authorization token and configuration, the payloads, the extrinsic data and
/// `W_F = W_G + 32⌈log₂ W_M⌉` per import (the segment and its justification's hashes); added here
/// is what `W_B` leaves out: the package's fixed fields and length prefixes, `I` items' fixed
/// fields (GP (C.29)), `W_M` import references of 34 octets and one justification length prefix
/// each, and `T` extrinsic references of 36 octets (GP (14.4)).
pub const MAX_BUNDLE: usize = {
    let context = 4 * HASH + 4 + 1 + MAX_REPORT_DEPENDENCIES * HASH;
    let package = 4 + HASH + context + 4 + 4 + 1;
    // service, code hash, two gas limits, export count, then the payload, import and extrinsic
    // length prefixes.
    let item = 4 + HASH + 8 + 8 + 2 + 4 + 2 + 2;
    MAX_BUNDLE_SIZE
        + package
        + MAX_WORK_ITEMS * item
        + MAX_PACKAGE_IMPORTS * (HASH + 2 + 1)
        + MAX_PACKAGE_EXTRINSICS * (HASH + 4)
};

/// The size of a segment shard: `W_G / K = 2·W_P` octets (12 for the full chain, 2052 for tiny;
/// JAMNP-S "Segment Shard = [u8; 4104 / R]").
pub const fn segment_shard(spec: &ChainSpec) -> usize {
    2 * spec.segment_ec_pieces
}

/// The largest bundle shard: `2⌈|b| / W_E⌉` octets for the largest bundle (GP (14.17), the
/// bundle padded to `W_E` and split into `K` data chunks of 2-octet words).
pub const fn max_bundle_shard(spec: &ChainSpec) -> usize {
    2 * MAX_BUNDLE.div_ceil(if spec.ec_piece_size == 0 {
        1
    } else {
        spec.ec_piece_size
    })
}

/// The most segment shards one validator holds for a package: one per exported segment and per
/// proof page, `W_X + ⌈W_X / 64⌉` (GP (14.10)–(14.11)).
pub const MAX_SEGMENT_SHARDS: usize = MAX_PACKAGE_EXPORTS + MAX_PACKAGE_EXPORTS.div_ceil(64);

/// The largest CE 137 / CE 138 justification: a co-path in the erasure-root tree over `V`
/// leaves (`⌈log₂ V⌉` steps of at most `1 + 64` octets), plus CE 138's appended segment-shards
/// root.
pub const fn max_shard_justification(spec: &ChainSpec) -> usize {
    (ceil_log2(spec.validators) + 1) * (1 + 2 * HASH)
}

/// The largest CE 140 justification: the CE 137 co-path, the bundle-shard hash, and a co-path
/// in the tree over at most [`MAX_SEGMENT_SHARDS`] segment shards, whose steps may be a shard.
pub const fn max_segment_justification(spec: &ChainSpec) -> usize {
    let step = 1 + if segment_shard(spec) > 2 * HASH {
        segment_shard(spec)
    } else {
        2 * HASH
    };
    (ceil_log2(spec.validators) + 1 + ceil_log2(MAX_SEGMENT_SHARDS)) * step
}

/// The most segment shards one CE 139/140 stream may ask for: `2W_M` (JAMNP-S).
pub const MAX_SEGMENT_SHARD_REQUESTS: usize = 2 * MAX_PACKAGE_IMPORTS;

/// The most segments one CE 148 stream may ask for: `W_M` (JAMNP-S).
pub const MAX_SEGMENT_REQUESTS: usize = MAX_PACKAGE_IMPORTS;

/// The largest import proof (`J_0`, GP (14.15)): a co-path in a tree of at most `W_X` exports,
/// `⌈log₂ W_X⌉` hashes with their length prefix.
pub const MAX_IMPORT_PROOF: usize = 1 + ceil_log2(MAX_PACKAGE_EXPORTS) * HASH;

/// The largest trie path of a CE 129 response: a 248-bit key descends at most 248 branches to a
/// leaf, so the two boundary paths hold at most `2 × 249` distinct nodes.
pub const MAX_BOUNDARY_NODES: usize = 2 * (STATE_KEY * 8 + 1);

/// The most work-reports one CE 144 announcement names: those of one block, at most `C`.
pub const fn max_audit_reports(spec: &ChainSpec) -> usize {
    spec.cores
}

/// **Policy**: the largest CE 144 evidence message. The exact bound (`C` reports, each with up
/// to `V` no-shows whose announcements name up to `C` reports) is about 4 GB for the full chain;
/// 16 MiB holds, for every one of `C` reports, `V` no-shows naming 30 reports each on tiny and
/// tens of thousands of no-show entries on the full chain.
pub const MAX_AUDIT_EVIDENCE: usize = 1 << 24;

/// The largest CE 144 announcement body `len++[Core Index ++ Hash] ++ Ed25519 Signature`.
pub const fn max_tranche_announcement(spec: &ChainSpec) -> usize {
    prefix(max_audit_reports(spec)) + max_audit_reports(spec) * (2 + HASH) + ED25519_SIGNATURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matches_the_codec() {
        for n in [
            0usize,
            1,
            127,
            128,
            16383,
            16384,
            1 << 21,
            (1 << 56) - 1,
            1 << 56,
        ] {
            assert_eq!(prefix(n), marmalade_codec::natural_len(n as u64), "{n}");
        }
    }

    #[test]
    fn ceil_log2_values() {
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(6), 3);
        assert_eq!(ceil_log2(1023), 10);
        assert_eq!(ceil_log2(1024), 10);
        assert_eq!(ceil_log2(3072), 12);
        assert_eq!(ceil_log2(3120), 12);
    }

    #[test]
    fn bounds_fit_the_32_bit_prefix() {
        for spec in [ChainSpec::TINY, ChainSpec::FULL] {
            assert!(max_block(&spec) < u32::MAX as usize);
            assert!(max_bundle_shard(&spec) < u32::MAX as usize);
            assert!(MAX_SEGMENT_SHARD_REQUESTS * max_segment_justification(&spec) < 1 << 32);
        }
        assert_eq!(segment_shard(&ChainSpec::FULL), 12);
        assert_eq!(segment_shard(&ChainSpec::TINY), 2052);
        assert_eq!(MAX_IMPORT_PROOF, 1 + 12 * 32);
        assert_eq!(marmalade_types::constants::SEGMENT_SIZE, 4104);
    }
}
