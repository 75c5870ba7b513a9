//! Disputes, verdicts and judgments (GP section 10): the transition of the judgment records
//! $\psi = (\psi_G, \psi_B, \psi_W, \psi_O)$ under the disputes extrinsic
//! $\mathbf{E}_D = (\mathbf{E}_V, \mathbf{E}_C, \mathbf{E}_F)$, the clearing of availability
//! assignments $\rho \to \rho^\dagger$ whose reports are judged bad or wonky (GP (10.15)), and
//! the offenders marker $\mathbf{H}_O$ (GP (10.20)).
//!
//! All checks run before anything is built, in this order (the order of errors when an extrinsic
//! breaks several rules; the GP does not order them, the conformance vectors break one rule
//! each):
//! 1. verdicts ordered by report hash and unique (GP (10.8)), none already judged (GP (10.9));
//! 2. per verdict: age names the prior or the previous epoch (GP (10.3)), judgments ordered by
//!    validator index and unique (GP (10.10)), indices name validators, and the positive votes
//!    count exactly $0$, $\lfloor\mathsf{V}/3\rfloor$ or $\lfloor 2\mathsf{V}/3\rfloor + 1$
//!    (GP (10.11)–(10.12));
//! 3. culprits and faults each ordered by key and unique (GP (10.8));
//! 4. per culprit (GP (10.5)): its report is in $\psi_B'$, its key is a validator key of
//!    $\kappa \cup \lambda$, not yet in $\psi_O$; per fault (GP (10.6)): its vote contradicts
//!    the verdict on its report, same key rules;
//! 5. every bad verdict has at least two culprits, every good one at least one fault
//!    (GP (10.13)–(10.14));
//! 6. every signature (GP (10.3), (10.5), (10.6)), all at once with a batch verification.

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::{ed25519, hash::blake2b_256};
use marmalade_state::Components;
use marmalade_types::constants::context;
use marmalade_types::{
    AvailabilityAssignments, ChainSpec, DisputesExtrinsic, DisputesRecords, Ed25519Public,
    Ed25519Signature, OffendersMark, TimeSlot, ValidatorsData, Verdict, WorkReportHash,
};
use std::collections::{BTreeMap, BTreeSet};

/// The prior state components the disputes transition reads, borrowed from the state.
#[derive(Debug, Clone, Copy)]
pub struct Prior<'a> {
    /// $\psi$: the judgment records (good, bad and wonky reports, offenders) (GP (10.1)).
    pub psi: &'a DisputesRecords,
    /// $\rho$: the availability assignments (GP (11.1)).
    pub rho: &'a AvailabilityAssignments,
    /// $\tau$: the prior timeslot, whose epoch the verdicts' ages are measured against.
    pub tau: TimeSlot,
    /// $\kappa$: the current epoch's validator keys.
    pub kappa: &'a ValidatorsData,
    /// $\lambda$: the previous epoch's validator keys.
    pub lambda: &'a ValidatorsData,
}

impl<'a> Prior<'a> {
    /// The components of `c` the disputes transition reads.
    pub fn of(c: &'a Components) -> Prior<'a> {
        Prior {
            psi: &c.psi,
            rho: &c.rho,
            tau: c.tau,
            kappa: &c.kappa,
            lambda: &c.lambda,
        }
    }
}

/// What a valid disputes extrinsic produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posterior {
    /// $\psi'$ (GP (10.16)–(10.19)).
    pub psi: DisputesRecords,
    /// $\rho^\dagger$: $\rho$ without the reports judged bad or wonky (GP (10.15)).
    pub rho: AvailabilityAssignments,
    /// $\mathbf{H}_O$: the keys of the culprits, then of the faults, in extrinsic order
    /// (GP (10.20)).
    pub offenders_mark: OffendersMark,
}

/// Why a disputes extrinsic is invalid; one variant per `ErrorCode` of the conformance schema,
/// in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Encode, Decode)]
pub enum Error {
    /// A verdict's report is already in $\psi_G \cup \psi_B \cup \psi_W$ (GP (10.9)).
    #[error("verdict on a report already judged")]
    #[codec(index = 0)]
    AlreadyJudged,
    /// A verdict's positive votes are not $0$, $\lfloor\mathsf{V}/3\rfloor$ or
    /// $\lfloor 2\mathsf{V}/3\rfloor + 1$ (GP (10.11)), or it does not have
    /// $\lfloor 2\mathsf{V}/3\rfloor + 1$ judgments (GP (10.2)).
    #[error("verdict votes are not a valid split")]
    #[codec(index = 1)]
    BadVoteSplit,
    /// The verdicts are not ordered by report hash without duplicates (GP (10.8)).
    #[error("verdicts not sorted and unique")]
    #[codec(index = 2)]
    VerdictsNotSortedUnique,
    /// A verdict's judgments are not ordered by validator index without duplicates
    /// (GP (10.10)).
    #[error("judgements not sorted and unique")]
    #[codec(index = 3)]
    JudgementsNotSortedUnique,
    /// The culprits are not ordered by key without duplicates (GP (10.8)).
    #[error("culprits not sorted and unique")]
    #[codec(index = 4)]
    CulpritsNotSortedUnique,
    /// The faults are not ordered by key without duplicates (GP (10.8)).
    #[error("faults not sorted and unique")]
    #[codec(index = 5)]
    FaultsNotSortedUnique,
    /// A bad verdict has fewer than two culprits (GP (10.14)).
    #[error("bad verdict with fewer than two culprits")]
    #[codec(index = 6)]
    NotEnoughCulprits,
    /// A good verdict has no fault (GP (10.13)).
    #[error("good verdict without a fault")]
    #[codec(index = 7)]
    NotEnoughFaults,
    /// A culprit's report is not in $\psi_B'$ (GP (10.5)).
    #[error("culprit for a report not judged bad")]
    #[codec(index = 8)]
    CulpritsVerdictNotBad,
    /// A fault's vote agrees with the verdict on its report, or its report has no good or
    /// bad verdict (GP (10.6)).
    #[error("fault vote does not contradict the verdict")]
    #[codec(index = 9)]
    FaultVerdictWrong,
    /// A culprit's or fault's key is already in $\psi_O$ (GP (10.7)).
    #[error("offender already reported")]
    #[codec(index = 10)]
    OffenderAlreadyReported,
    /// A verdict's age is neither the prior epoch index nor the one before (GP (10.3)).
    #[error("verdict age is neither the current nor the previous epoch")]
    #[codec(index = 11)]
    BadJudgementAge,
    /// A judgment's validator index is not below $\mathsf{V}$.
    #[error("judgement validator index out of range")]
    #[codec(index = 12)]
    BadValidatorIndex,
    /// A judgment, culprit or fault signature does not verify (GP (10.3), (10.5), (10.6)).
    #[error("bad signature")]
    #[codec(index = 13)]
    BadSignature,
    /// A culprit's key is not an Ed25519 key of $\kappa \cup \lambda$ (GP (10.5), (10.7)).
    #[error("culprit key is not a validator key")]
    #[codec(index = 14)]
    BadGuarantorKey,
    /// A fault's key is not an Ed25519 key of $\kappa \cup \lambda$ (GP (10.6), (10.7)).
    #[error("fault key is not a validator key")]
    #[codec(index = 15)]
    BadAuditorKey,
}

/// The outcome of a verdict, from its count of positive judgments (GP (10.11)–(10.12)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Judgment {
    /// $\lfloor 2\mathsf{V}/3\rfloor + 1$ positive votes: the report is good ($\psi_G$).
    Good,
    /// No positive votes: the report is bad ($\psi_B$).
    Bad,
    /// $\lfloor\mathsf{V}/3\rfloor$ positive votes: the report is wonky ($\psi_W$).
    Wonky,
}

impl Judgment {
    /// The judgment of `positive` positive votes, if it is one of the three allowed counts
    /// (GP (10.11)). With $\mathsf{V} \geq 2$ the three counts are distinct.
    pub fn of_votes(spec: &ChainSpec, positive: usize) -> Option<Judgment> {
        if positive == spec.validators_super_majority() {
            Some(Judgment::Good)
        } else if positive == 0 {
            Some(Judgment::Bad)
        } else if positive == spec.validators_one_third() {
            Some(Judgment::Wonky)
        } else {
            None
        }
    }
}

/// $\mathsf{X}_\top$ or $\mathsf{X}_\bot$: the context of a judgment with this vote (GP (10.4)).
fn judgment_context(vote: bool) -> &'static [u8] {
    if vote {
        context::VALID
    } else {
        context::INVALID
    }
}

/// `context ⌢ hash`: a signed message of this section.
fn message(ctx: &[u8], hash: &WorkReportHash) -> Vec<u8> {
    let mut m = Vec::with_capacity(ctx.len() + hash.len());
    m.extend_from_slice(ctx);
    m.extend_from_slice(hash);
    m
}

/// Whether `items` is strictly increasing by `key` (GP's $[\,\cdot\,]^{\updownarrow}$ ordering
/// with no duplicates, GP (10.8), (10.10)).
fn sorted_unique<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> bool {
    items.windows(2).all(|w| key(&w[0]) < key(&w[1]))
}

/// The index of the first signature of `items` that does not verify, if any: all are checked
/// with one batch verification, and only if that fails one by one to find the culprit.
pub fn first_bad_signature(items: &[ed25519::BatchItem<'_>]) -> Option<usize> {
    if ed25519::verify_batch(items) {
        return None;
    }
    // Under ZIP-215 a failed batch means at least one item fails alone; should that ever not
    // hold, the batch's verdict stands and the first item is blamed.
    Some(
        items
            .iter()
            .position(|(k, m, s)| !ed25519::verify(k, m, s))
            .unwrap_or(0),
    )
}

/// Membership in a set of $\psi$, kept as a sorted sequence (GP (10.1); its serialization
/// orders it, and [`transition`] keeps it so).
fn contains(set: &[[u8; 32]], item: &[u8; 32]) -> bool {
    set.binary_search(item).is_ok()
}

/// `set ∪ items` for a set kept as a sorted sequence (the serialization of GP (10.1)).
fn insert_sorted(set: &mut Vec<[u8; 32]>, items: impl IntoIterator<Item = [u8; 32]>) {
    let merged: BTreeSet<[u8; 32]> = set.iter().copied().chain(items).collect();
    *set = merged.into_iter().collect();
}

/// One signature to check: key, message, signature.
struct SigCheck<'a> {
    key: &'a Ed25519Public,
    msg: Vec<u8>,
    sig: &'a Ed25519Signature,
}

/// Checks the verdicts of $\mathbf{E}_V$ (GP (10.3), (10.8)–(10.12)) and returns each one's
/// judgment in order, queueing its judgment signatures on `sigs`.
fn check_verdicts<'a>(
    spec: &ChainSpec,
    pre: &Prior<'a>,
    verdicts: &'a [Verdict],
    sigs: &mut Vec<SigCheck<'a>>,
) -> Result<Vec<Judgment>, Error> {
    if !sorted_unique(verdicts, |v| v.target) {
        return Err(Error::VerdictsNotSortedUnique);
    }
    let psi = pre.psi;
    if verdicts.iter().any(|v| {
        [&psi.good, &psi.bad, &psi.wonky]
            .iter()
            .any(|set| contains(set, &v.target))
    }) {
        return Err(Error::AlreadyJudged);
    }
    // GP (10.3): the key set is κ for the prior epoch ⌊τ/E⌋, λ for the one before.
    let epoch = spec.epoch_of(pre.tau);
    let mut judgments = Vec::with_capacity(verdicts.len());
    for v in verdicts {
        let keys = if v.age == epoch {
            pre.kappa
        } else if epoch.checked_sub(1) == Some(v.age) {
            pre.lambda
        } else {
            return Err(Error::BadJudgementAge);
        };
        if !sorted_unique(&v.votes, |j| j.index) {
            return Err(Error::JudgementsNotSortedUnique);
        }
        for j in &v.votes {
            let key = keys
                .get(usize::from(j.index))
                .ok_or(Error::BadValidatorIndex)?;
            sigs.push(SigCheck {
                key: &key.ed25519,
                msg: message(judgment_context(j.vote), &v.target),
                sig: &j.signature,
            });
        }
        // GP (10.2): exactly ⌊2V/3⌋+1 judgments (the codec guarantees it for decoded
        // extrinsics; a hand-built one with another count has no valid split).
        if v.votes.len() != spec.validators_super_majority() {
            return Err(Error::BadVoteSplit);
        }
        let positive = v.votes.iter().filter(|j| j.vote).count();
        judgments.push(Judgment::of_votes(spec, positive).ok_or(Error::BadVoteSplit)?);
    }
    Ok(judgments)
}

/// Applies the disputes extrinsic `ed` ($\mathbf{E}_D$, GP section 10) to the prior
/// components: returns $\psi'$, $\rho^\dagger$ and the offenders marker, or the first rule
/// the extrinsic breaks.
pub fn transition(
    spec: &ChainSpec,
    pre: &Prior<'_>,
    ed: &DisputesExtrinsic,
) -> Result<Posterior, Error> {
    let mut sigs: Vec<SigCheck<'_>> = Vec::new();

    // Verdicts, and the new judgments v of GP (10.12).
    let judgments = check_verdicts(spec, pre, &ed.verdicts, &mut sigs)?;
    let new: BTreeMap<WorkReportHash, Judgment> = ed
        .verdicts
        .iter()
        .map(|v| v.target)
        .zip(judgments.iter().copied())
        .collect();
    let in_posterior = |set: &[WorkReportHash], hash: &WorkReportHash, j: Judgment| {
        contains(set, hash) || new.get(hash) == Some(&j)
    };

    // GP (10.8): offenders ordered by key.
    if !sorted_unique(&ed.culprits, |c| c.key) {
        return Err(Error::CulpritsNotSortedUnique);
    }
    if !sorted_unique(&ed.faults, |f| f.key) {
        return Err(Error::FaultsNotSortedUnique);
    }

    // GP (10.7): the keys of λ ∪ κ, less ψ_O (told apart for the error codes).
    let validator_keys: BTreeSet<&Ed25519Public> = pre
        .kappa
        .iter()
        .chain(pre.lambda.iter())
        .map(|k| &k.ed25519)
        .collect();
    let offender_key = |key: &Ed25519Public, not_a_validator: Error| {
        if !validator_keys.contains(key) {
            Err(not_a_validator)
        } else if contains(&pre.psi.offenders, key) {
            Err(Error::OffenderAlreadyReported)
        } else {
            Ok(())
        }
    };

    // GP (10.5): culprits guaranteed a report now in ψ_B'.
    for c in &ed.culprits {
        if !in_posterior(&pre.psi.bad, &c.target, Judgment::Bad) {
            return Err(Error::CulpritsVerdictNotBad);
        }
        offender_key(&c.key, Error::BadGuarantorKey)?;
        sigs.push(SigCheck {
            key: &c.key,
            msg: message(context::GUARANTEE, &c.target),
            sig: &c.signature,
        });
    }

    // GP (10.6): r ∈ ψ_B' ⇔ r ∉ ψ_G' ⇔ v: a fault voted valid on a bad report or invalid on a
    // good one (a report in neither set fails the first equivalence).
    for f in &ed.faults {
        let bad = in_posterior(&pre.psi.bad, &f.target, Judgment::Bad);
        let good = in_posterior(&pre.psi.good, &f.target, Judgment::Good);
        if bad == good || bad != f.vote {
            return Err(Error::FaultVerdictWrong);
        }
        offender_key(&f.key, Error::BadAuditorKey)?;
        sigs.push(SigCheck {
            key: &f.key,
            msg: message(judgment_context(f.vote), &f.target),
            sig: &f.signature,
        });
    }

    // GP (10.13)–(10.14): a good verdict brings a fault, a bad one two culprits.
    for (hash, j) in &new {
        match j {
            Judgment::Bad if ed.culprits.iter().filter(|c| c.target == *hash).count() < 2 => {
                return Err(Error::NotEnoughCulprits)
            }
            Judgment::Good if !ed.faults.iter().any(|f| f.target == *hash) => {
                return Err(Error::NotEnoughFaults)
            }
            _ => {}
        }
    }

    // Every signature, in one batch.
    let batch: Vec<ed25519::BatchItem<'_>> =
        sigs.iter().map(|s| (s.key, &s.msg[..], s.sig)).collect();
    if first_bad_signature(&batch).is_some() {
        return Err(Error::BadSignature);
    }

    // The extrinsic is valid: build the posterior.
    let mut psi = pre.psi.clone();
    let mut rho = pre.rho.clone();
    let of = |want: Judgment| {
        new.iter()
            .filter(move |(_, j)| **j == want)
            .map(|(h, _)| *h)
    };
    // GP (10.16)–(10.18).
    insert_sorted(&mut psi.good, of(Judgment::Good));
    insert_sorted(&mut psi.bad, of(Judgment::Bad));
    insert_sorted(&mut psi.wonky, of(Judgment::Wonky));
    // GP (10.19)–(10.20).
    let offenders_mark: OffendersMark = ed
        .culprits
        .iter()
        .map(|c| c.key)
        .chain(ed.faults.iter().map(|f| f.key))
        .collect();
    insert_sorted(&mut psi.offenders, offenders_mark.iter().copied());

    // GP (10.15): clear the cores whose report this block's verdicts find bad or wonky
    // (fewer than ⌊2V/3⌋ positive votes).
    if new.values().any(|j| *j != Judgment::Good) {
        for slot in rho.iter_mut() {
            let cleared = slot.as_ref().is_some_and(|a| {
                let hash = blake2b_256(&a.report.encode());
                matches!(new.get(&hash), Some(Judgment::Bad | Judgment::Wonky))
            });
            if cleared {
                *slot = None;
            }
        }
    }

    Ok(Posterior {
        psi,
        rho,
        offenders_mark,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_crypto::ed25519::SecretKey;
    use marmalade_types::{Culprit, Fault, Judgement, ValidatorData};

    const SPEC: ChainSpec = ChainSpec::TINY;

    /// The disputes components as owned values.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct TestState {
        psi: DisputesRecords,
        rho: AvailabilityAssignments,
        tau: TimeSlot,
        kappa: ValidatorsData,
        lambda: ValidatorsData,
    }

    impl TestState {
        fn prior(&self) -> Prior<'_> {
            Prior {
                psi: &self.psi,
                rho: &self.rho,
                tau: self.tau,
                kappa: &self.kappa,
                lambda: &self.lambda,
            }
        }
    }

    fn secret(i: u8) -> SecretKey {
        SecretKey::from_seed(&[i + 1; 32])
    }

    fn keys(offset: u8) -> ValidatorsData {
        (0..SPEC.validators as u8)
            .map(|i| ValidatorData {
                ed25519: secret(i + offset).public(),
                ..ValidatorData::NULL
            })
            .collect::<Vec<_>>()
            .into()
    }

    fn state(tau: TimeSlot) -> TestState {
        TestState {
            psi: DisputesRecords::default(),
            rho: vec![None; SPEC.cores].into(),
            tau,
            kappa: keys(0),
            lambda: keys(100),
        }
    }

    fn verdict(target: WorkReportHash, age: u32, positive: usize, offset: u8) -> Verdict {
        let votes = (0..SPEC.validators_super_majority())
            .map(|i| {
                let vote = i < positive;
                Judgement {
                    vote,
                    index: i as u16,
                    signature: secret(i as u8 + offset)
                        .sign(&message(judgment_context(vote), &target)),
                }
            })
            .collect();
        Verdict { target, age, votes }
    }

    fn culprit(target: WorkReportHash, who: u8) -> Culprit {
        Culprit {
            target,
            key: secret(who).public(),
            signature: secret(who).sign(&message(context::GUARANTEE, &target)),
        }
    }

    fn fault(target: WorkReportHash, vote: bool, who: u8) -> Fault {
        Fault {
            target,
            vote,
            key: secret(who).public(),
            signature: secret(who).sign(&message(judgment_context(vote), &target)),
        }
    }

    fn run(pre: &TestState, d: DisputesExtrinsic) -> Result<Posterior, Error> {
        transition(&SPEC, &pre.prior(), &d)
    }

    fn sorted_by_key<T>(mut v: Vec<T>, key: impl Fn(&T) -> [u8; 32]) -> Vec<T> {
        v.sort_by_key(|x| key(x));
        v
    }

    #[test]
    fn bad_verdict_with_culprits_records_offenders() {
        let pre = state(5);
        let r = [7; 32];
        let culprits = sorted_by_key(vec![culprit(r, 0), culprit(r, 1)], |c| c.key);
        let post = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![verdict(r, 0, 0, 0)],
                culprits: culprits.clone(),
                faults: vec![],
            },
        )
        .unwrap();
        assert_eq!(post.psi.bad, vec![r]);
        assert_eq!(
            post.offenders_mark,
            culprits.iter().map(|c| c.key).collect::<Vec<_>>()
        );
        let mut offenders = post.offenders_mark.clone();
        offenders.sort();
        assert_eq!(post.psi.offenders, offenders);
    }

    #[test]
    fn culprits_may_follow_an_earlier_bad_verdict() {
        let mut pre = state(5);
        let r = [7; 32];
        pre.psi.bad = vec![r];
        let post = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![],
                culprits: vec![culprit(r, 3)],
                faults: vec![],
            },
        )
        .unwrap();
        assert_eq!(post.offenders_mark, vec![secret(3).public()]);
        assert_eq!(post.psi.offenders, vec![secret(3).public()]);
    }

    #[test]
    fn fault_on_a_wonky_report_is_wrong() {
        let pre = state(5);
        let r = [7; 32];
        let e = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![verdict(r, 0, SPEC.validators_one_third(), 0)],
                culprits: vec![],
                faults: vec![fault(r, false, 0)],
            },
        );
        assert_eq!(e.unwrap_err(), Error::FaultVerdictWrong);
    }

    #[test]
    fn ages_and_indices_are_checked_without_panicking() {
        let r = [7; 32];
        // Epoch 0: no previous epoch, so any other age is bad.
        let pre = state(0);
        for age in [1, u32::MAX] {
            let e = run(
                &pre,
                DisputesExtrinsic {
                    verdicts: vec![verdict(r, age, 0, 0)],
                    ..Default::default()
                },
            );
            assert_eq!(e.unwrap_err(), Error::BadJudgementAge);
        }
        let mut v = verdict(r, 0, 0, 0);
        v.votes.last_mut().unwrap().index = u16::MAX;
        let e = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![v],
                ..Default::default()
            },
        );
        assert_eq!(e.unwrap_err(), Error::BadValidatorIndex);
        // A hand-built verdict with too few judgments.
        let mut v = verdict(r, 0, 0, 0);
        v.votes.pop();
        let e = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![v],
                ..Default::default()
            },
        );
        assert_eq!(e.unwrap_err(), Error::BadVoteSplit);
    }

    #[test]
    fn previous_epoch_verdicts_use_lambda() {
        let pre = state(SPEC.epoch_length + 1);
        let r = [7; 32];
        let ok = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![verdict(r, 0, SPEC.validators_one_third(), 100)],
                ..Default::default()
            },
        );
        assert_eq!(ok.unwrap().psi.wonky, vec![r]);
        // Signed by κ but claiming λ's epoch.
        let e = run(
            &pre,
            DisputesExtrinsic {
                verdicts: vec![verdict(r, 0, SPEC.validators_one_third(), 0)],
                ..Default::default()
            },
        );
        assert_eq!(e.unwrap_err(), Error::BadSignature);
    }

    #[test]
    fn bad_signature_is_found() {
        let items_owned: Vec<(Ed25519Public, Vec<u8>, Ed25519Signature)> = (0..4u8)
            .map(|i| {
                let m = vec![i; 3];
                let mut s = secret(i).sign(&m);
                if i == 2 {
                    s[0] ^= 1;
                }
                (secret(i).public(), m, s)
            })
            .collect();
        let items: Vec<ed25519::BatchItem<'_>> =
            items_owned.iter().map(|(k, m, s)| (k, &m[..], s)).collect();
        assert_eq!(first_bad_signature(&items), Some(2));
        assert_eq!(first_bad_signature(&items[..2]), None);
    }

    #[test]
    fn vote_split_thresholds() {
        assert_eq!(Judgment::of_votes(&SPEC, 5), Some(Judgment::Good));
        assert_eq!(Judgment::of_votes(&SPEC, 2), Some(Judgment::Wonky));
        assert_eq!(Judgment::of_votes(&SPEC, 0), Some(Judgment::Bad));
        assert_eq!(Judgment::of_votes(&SPEC, 1), None);
        let full = ChainSpec::FULL;
        assert_eq!(Judgment::of_votes(&full, 683), Some(Judgment::Good));
        assert_eq!(Judgment::of_votes(&full, 341), Some(Judgment::Wonky));
    }
}
