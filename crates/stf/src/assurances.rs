//! Availability assurances (GP section 11.2): the assurances extrinsic $\mathbf{E}_A$ is
//! validated against the parent hash, the active validator keys $\kappa$ and the pending
//! reports $\rho^\dagger$; the reports a super-majority of validators assure become available
//! ($\mathbf{R}$, GP (11.16)) and leave $\rho$, as do reports pending for $\mathsf{U}$ slots
//! or more (GP (11.17)), giving $\rho^\ddagger$.
//!
//! Checks run cheapest first, so that a malformed extrinsic never costs a signature check:
//! per assurance in extrinsic order the anchor, the validator index and the ordering; then the
//! bitfields against the engaged cores; last all signatures, in one batch.

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::{ed25519, hash::blake2b_256_concat};
use marmalade_types::constants::{context, ASSURANCE_TIMEOUT_PERIOD};
use marmalade_types::{
    AvailAssurance, AvailabilityAssignments, ChainSpec, HeaderHash, TimeSlot, ValidatorsData,
    WorkReport,
};
use rayon::prelude::*;

/// What a valid assurances extrinsic produces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Posterior {
    /// $\rho^\ddagger$: $\rho^\dagger$ without the reports that became available or timed
    /// out (GP (11.17)).
    pub rho: AvailabilityAssignments,
    /// $\mathbf{R}$: the reports that became available, in core order (GP (11.16)). Timed-out
    /// reports also leave $\rho$ but are not in here.
    pub available: Vec<WorkReport>,
}

/// Why an assurances extrinsic is invalid; the variants and their order are those of the
/// vectors' `ErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, thiserror::Error)]
pub enum Error {
    /// An assurance is not anchored on the parent: $a_a \ne \mathbf{H}_p$ (GP (11.11)).
    #[codec(index = 0)]
    #[error("assurance anchor is not the parent hash")]
    BadAttestationParent,
    /// An assurer index is not a validator index, $a_v \notin \mathbb{N}_\mathsf{V}$.
    #[codec(index = 1)]
    #[error("assurer index out of range")]
    BadValidatorIndex,
    /// A bit is set for a core without a pending report (GP (11.15)).
    #[codec(index = 2)]
    #[error("assurance for a core with no pending report")]
    CoreNotEngaged,
    /// A signature is not the assurer's over $\mathsf{X}_A \frown \mathcal{H}(\mathcal{E}(\mathbf{H}_p, a_f))$
    /// (GP (11.13)).
    #[codec(index = 3)]
    #[error("bad assurance signature")]
    BadSignature,
    /// The assurers are not in strictly ascending index order (GP (11.12)).
    #[codec(index = 4)]
    #[error("assurers not sorted or not unique")]
    NotSortedOrUniqueAssurers,
}

/// The message an assurer signs: $\mathsf{X}_A \frown \mathcal{H}(\mathcal{E}(\mathbf{H}_p, a_f))$
/// (GP (11.13)), where $a_f$ encodes as its $\lceil\mathsf{C}/8\rceil$ octets. The GP's `$`
/// in `$jam_available` is notation, not part of the bytes.
pub fn signing_message(parent: &HeaderHash, bitfield: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(context::AVAILABLE.len() + 32);
    msg.extend_from_slice(context::AVAILABLE);
    msg.extend_from_slice(&blake2b_256_concat(&[parent, bitfield]));
    msg
}

/// The cores whose bit is set in an assurance bitfield, ascending (bit $c \bmod 8$ of octet
/// $\lfloor c/8 \rfloor$, the bitstring encoding of GP appendix C).
pub fn assured_cores(bitfield: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bitfield.iter().enumerate().flat_map(|(i, byte)| {
        (0..8)
            .filter(move |bit| byte & (1 << bit) != 0)
            .map(move |bit| 8 * i + bit)
    })
}

/// Signatures per batch when the check is spread over threads: small enough to share a
/// full block's ~1000 signatures between cores, large enough for batching to pay off.
const BATCH_CHUNK: usize = 128;

/// Checks every assurance signature (GP (11.13)) with batch verification, spread over the
/// thread pool in chunks; only when a batch fails are its signatures checked one by one, to
/// tell which is bad. Assumes the assurer indices were checked against `validators`.
fn verify_signatures(
    validators: &ValidatorsData,
    parent: &HeaderHash,
    assurances: &[AvailAssurance],
) -> Result<(), Error> {
    let messages: Vec<Vec<u8>> = assurances
        .iter()
        .map(|a| signing_message(parent, &a.bitfield))
        .collect();
    let mut items = Vec::with_capacity(assurances.len());
    for (a, msg) in assurances.iter().zip(&messages) {
        let key = &validators
            .get(usize::from(a.validator_index))
            .ok_or(Error::BadValidatorIndex)?
            .ed25519;
        items.push((key, msg.as_slice(), &a.signature));
    }
    let failed_chunks: Vec<&[ed25519::BatchItem<'_>]> = items
        .par_chunks(BATCH_CHUNK)
        .filter(|chunk| !ed25519::verify_batch(chunk))
        .collect();
    // The single-signature check is the GP's definition; only the signatures of a failed
    // batch are re-checked one by one, to find the invalid one (under ZIP-215 batch and
    // single checks agree, so one is found).
    let bad = failed_chunks
        .iter()
        .flat_map(|chunk| chunk.iter())
        .find(|(k, m, s)| !ed25519::verify(k, m, s));
    match bad {
        Some(_) => Err(Error::BadSignature),
        None => Ok(()),
    }
}

/// The index of the first assurance whose signature is invalid, if any: the per-signature
/// fallback of the batch check, for diagnostics.
pub fn first_bad_signature(
    validators: &ValidatorsData,
    parent: &HeaderHash,
    assurances: &[AvailAssurance],
) -> Option<usize> {
    assurances.iter().position(|a| {
        validators
            .get(usize::from(a.validator_index))
            .is_none_or(|v| {
                !ed25519::verify(
                    &v.ed25519,
                    &signing_message(parent, &a.bitfield),
                    &a.signature,
                )
            })
    })
}

/// The assurances transition (GP (11.10)–(11.17)): validates the assurances extrinsic
/// `assurances` ($\mathbf{E}_A$) of a block at timeslot `slot` ($\mathbf{H}_T$) with parent
/// `parent` ($\mathbf{H}_P$), signed by `kappa` ($\kappa$), against the pending reports
/// `rho_dagger` ($\rho^\dagger$); returns $\rho^\ddagger$ with the newly available reports
/// $\mathbf{R}$.
///
/// Check order (matching the vectors): for each assurance in extrinsic order, its anchor
/// (`bad_attestation_parent`), its validator index (`bad_validator_index`) and its index being
/// above the previous one (`not_sorted_or_unique_assurers`); then every set bit against the
/// pending reports (`core_not_engaged`); then the signatures (`bad_signature`).
pub fn transition(
    spec: &ChainSpec,
    rho_dagger: &AvailabilityAssignments,
    kappa: &ValidatorsData,
    slot: TimeSlot,
    parent: &HeaderHash,
    assurances: &[AvailAssurance],
) -> Result<Posterior, Error> {
    // GP (11.11), (11.12) and a_v ∈ N_V, per assurance in order.
    let mut previous: Option<u16> = None;
    for a in assurances {
        if a.anchor != *parent {
            return Err(Error::BadAttestationParent);
        }
        let v = usize::from(a.validator_index);
        if v >= spec.validators || v >= kappa.len() {
            return Err(Error::BadValidatorIndex);
        }
        if previous.is_some_and(|p| a.validator_index <= p) {
            return Err(Error::NotSortedOrUniqueAssurers);
        }
        previous = Some(a.validator_index);
    }

    // GP (11.15): a_f[c] ⇒ ρ†[c] ≠ ∅. A bit beyond the last core (the padding of the final
    // octet) names no core, so it has no pending report either. Meanwhile tally each core's
    // assurances.
    let cores = rho_dagger.len();
    let mut tally = vec![0usize; cores];
    for a in assurances {
        for c in assured_cores(&a.bitfield) {
            match rho_dagger.get(c) {
                Some(Some(_)) => tally[c] += 1,
                _ => return Err(Error::CoreNotEngaged),
            }
        }
    }

    // GP (11.13).
    verify_signatures(kappa, parent, assurances)?;

    // GP (11.16): available when Σ a_f[c] > 2/3 V, i.e. 3 Σ > 2 V.
    let available = |c: usize| 3 * tally[c] > 2 * spec.validators;
    let mut reported = Vec::new();
    let mut post = rho_dagger.clone();
    for (c, entry) in post.iter_mut().enumerate() {
        let Some(assignment) = entry else { continue };
        // GP (11.17): a report leaves ρ when available or timed out, H_t ≥ t + U (computed
        // in u64: past u32 the sum exceeds any timeslot). A stale report a super-majority
        // assures in this block is still available ("lenient" vector): R does not look at t.
        let timed_out =
            u64::from(slot) >= u64::from(assignment.timeout) + u64::from(ASSURANCE_TIMEOUT_PERIOD);
        if available(c) {
            if let Some(a) = entry.take() {
                reported.push(a.report);
            }
        } else if timed_out {
            *entry = None;
        }
    }

    Ok(Posterior {
        rho: post,
        available: reported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_types::{AvailabilityAssignment, ValidatorData};

    const PARENT: HeaderHash = [7; 32];

    #[derive(Debug, PartialEq)]
    struct TestState {
        avail_assignments: AvailabilityAssignments,
        curr_validators: ValidatorsData,
    }

    #[derive(Debug)]
    struct Output {
        reported: Vec<WorkReport>,
    }

    fn seed(v: usize) -> [u8; 32] {
        [v as u8 + 1; 32]
    }

    fn state(pending: &[Option<u32>]) -> TestState {
        let spec = ChainSpec::TINY;
        let validators: Vec<ValidatorData> = (0..spec.validators)
            .map(|v| ValidatorData {
                ed25519: ed25519::public_from_seed(&seed(v)),
                ..ValidatorData::NULL
            })
            .collect();
        TestState {
            avail_assignments: pending
                .iter()
                .enumerate()
                .map(|(c, t)| {
                    t.map(|timeout| AvailabilityAssignment {
                        report: WorkReport {
                            core_index: c as u16,
                            ..WorkReport::default()
                        },
                        timeout,
                    })
                })
                .collect::<Vec<_>>()
                .into(),
            curr_validators: validators.into(),
        }
    }

    fn assurance(v: u16, bits: u8) -> AvailAssurance {
        AvailAssurance {
            anchor: PARENT,
            bitfield: vec![bits],
            validator_index: v,
            signature: ed25519::sign(&seed(v.into()), &signing_message(&PARENT, &[bits])),
        }
    }

    fn run(
        pre: &TestState,
        assurances: Vec<AvailAssurance>,
        slot: u32,
    ) -> Result<(TestState, Output), Error> {
        let post = transition(
            &ChainSpec::TINY,
            &pre.avail_assignments,
            &pre.curr_validators,
            slot,
            &PARENT,
            &assurances,
        )?;
        let state = TestState {
            avail_assignments: post.rho,
            curr_validators: pre.curr_validators.clone(),
        };
        Ok((
            state,
            Output {
                reported: post.available,
            },
        ))
    }

    #[test]
    fn super_majority_is_strictly_more_than_two_thirds() {
        // V = 6: four assurances (exactly 2/3) are not enough, five are.
        let pre = state(&[Some(10), Some(10)]);
        let four: Vec<_> = (0..4).map(|v| assurance(v, 0b11)).collect();
        let (post, out) = run(&pre, four, 11).unwrap();
        assert!(out.reported.is_empty());
        assert_eq!(post, pre);
        let five: Vec<_> = (0..5).map(|v| assurance(v, 0b10)).collect();
        let (post, out) = run(&pre, five, 11).unwrap();
        assert_eq!(out.reported.len(), 1);
        assert_eq!(out.reported[0].core_index, 1);
        assert!(post.avail_assignments[1].is_none());
        assert!(post.avail_assignments[0].is_some());
    }

    #[test]
    fn timeout_is_u_slots_after_report() {
        let pre = state(&[Some(10), Some(11)]);
        let (post, out) = run(&pre, vec![], 10 + ASSURANCE_TIMEOUT_PERIOD).unwrap();
        assert!(out.reported.is_empty());
        assert!(post.avail_assignments[0].is_none());
        assert!(post.avail_assignments[1].is_some());
        // No overflow near the end of time.
        let pre = state(&[Some(u32::MAX), None]);
        let (post, _) = run(&pre, vec![], u32::MAX).unwrap();
        assert_eq!(post, pre);
    }

    #[test]
    fn padding_bits_name_no_core() {
        let pre = state(&[Some(10), Some(10)]);
        assert_eq!(
            run(&pre, vec![assurance(0, 0b100)], 11).unwrap_err(),
            Error::CoreNotEngaged
        );
    }

    #[test]
    fn errors_in_check_order() {
        let pre = state(&[Some(10), Some(10)]);
        // An out-of-range index first in the extrinsic is also out of order: the index check
        // comes first.
        let mut bad_index = assurance(0, 1);
        bad_index.validator_index = 6;
        assert_eq!(
            run(&pre, vec![bad_index, assurance(1, 1)], 11).unwrap_err(),
            Error::BadValidatorIndex
        );
        // A duplicate with a bad signature: the ordering check comes first.
        let mut dup = assurance(1, 1);
        dup.bitfield = vec![3];
        assert_eq!(
            run(&pre, vec![assurance(1, 1), dup], 11).unwrap_err(),
            Error::NotSortedOrUniqueAssurers
        );
        let mut forged = assurance(2, 1);
        forged.bitfield = vec![3];
        assert_eq!(
            run(&pre, vec![assurance(1, 1), forged], 11).unwrap_err(),
            Error::BadSignature
        );
        let mut wrong_anchor = assurance(1, 1);
        wrong_anchor.anchor = [0; 32];
        assert_eq!(
            run(&pre, vec![wrong_anchor], 11).unwrap_err(),
            Error::BadAttestationParent
        );
    }

    #[test]
    fn locates_the_bad_signature() {
        let pre = state(&[Some(10), Some(10)]);
        let mut list: Vec<_> = (0..6).map(|v| assurance(v, 3)).collect();
        assert_eq!(
            first_bad_signature(&pre.curr_validators, &PARENT, &list),
            None
        );
        list[4].signature[0] ^= 1;
        assert_eq!(
            first_bad_signature(&pre.curr_validators, &PARENT, &list),
            Some(4)
        );
    }

    #[test]
    fn assured_cores_reads_bits_little_endian() {
        assert_eq!(
            assured_cores(&[0b1000_0001, 0b10]).collect::<Vec<_>>(),
            vec![0, 7, 9]
        );
    }
}
