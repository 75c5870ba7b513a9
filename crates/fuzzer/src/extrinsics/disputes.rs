//! Disputes ($\mathbf{E}_D$): verdicts, culprits and faults signed with the development keys.
//!
//! [`DisputeSource::fill`] adds one or two verdicts (GP (10.2)), each of
//! $\lfloor 2\mathsf{V}/3\rfloor + 1$ judgments by validators of $\kappa$ (age: the parent's
//! epoch) or $\lambda$ (the epoch before), signed over $\mathsf{X}_\top$ or $\mathsf{X}_\bot$
//! and the report hash (GP (10.3)–(10.4)). Most are wonky ($\lfloor\mathsf{V}/3\rfloor$
//! positive votes, GP (10.11)) and need no offender; now and then a good verdict comes with a
//! fault (GP (10.13)) or a bad one with two culprits (GP (10.14)), as long as the offenders of
//! $\psi_O$ stay within a budget ($\lfloor\mathsf{V}/6\rfloor$: one on `tiny`), since every
//! offender's keys are nulled in later validator sets (GP (6.14)) and a chain with too few
//! keys left can neither seal every slot nor assure. Half the time a verdict judges a report
//! pending in $\rho$ of the parent, which a bad or wonky verdict clears (GP (10.15)).
//!
//! Everything is drawn from the parent's posterior state: verdicts on hashes not yet judged
//! (GP (10.9)), offenders not yet in $\psi_O$ (GP (10.7)), every sequence ordered
//! (GP (10.8), (10.10)). [`DisputeMutation`] breaks one rule at a time.

use super::BlockContext;
use crate::rng::Rng;
use marmalade_authoring::ValidatorKeys;
use marmalade_codec::Encode;
use marmalade_crypto::blake2b_256;
use marmalade_stf::disputes::{self, Judgment};
use marmalade_types::constants::context;
use marmalade_types::{
    Culprit, DisputesExtrinsic, Ed25519Public, Extrinsic, Fault, Judgement, ValidatorsData,
    Verdict, WorkReportHash,
};
use std::collections::{BTreeSet, HashMap};

/// The default share of verdicts that are good (with one fault), when the offender budget
/// allows.
pub const GOOD_SHARE: f64 = 0.1;

/// The default share of verdicts that are bad (with two culprits), when the offender budget
/// allows.
pub const BAD_SHARE: f64 = 0.1;

/// The share of verdicts that judge a report pending in $\rho$, when there is one.
pub const PENDING_SHARE: f64 = 0.5;

/// Why disputes could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    /// The disputes made break a rule of GP section 10 on the parent (a bug of this module).
    #[error("generated disputes are invalid: {0}")]
    Invalid(disputes::Error),
}

/// The default offender budget: $\lfloor\mathsf{V}/6\rfloor$ keys in $\psi_O$ at most.
pub fn default_offender_budget(validators: usize) -> usize {
    validators / 6
}

/// The source of disputes.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeSource {
    /// The most keys $\psi_O$ may hold after a block of this source ([`None`]:
    /// [`default_offender_budget`]).
    offender_budget: Option<usize>,
    /// The share of good verdicts ([`GOOD_SHARE`]).
    good_share: f64,
    /// The share of bad verdicts ([`BAD_SHARE`]).
    bad_share: f64,
}

impl Default for DisputeSource {
    fn default() -> Self {
        DisputeSource {
            offender_budget: None,
            good_share: GOOD_SHARE,
            bad_share: BAD_SHARE,
        }
    }
}

impl DisputeSource {
    /// This source letting $\psi_O$ grow to `budget` keys (the default is
    /// [`default_offender_budget`]; two on `tiny` allows one bad verdict).
    pub fn with_offender_budget(self, budget: usize) -> DisputeSource {
        DisputeSource {
            offender_budget: Some(budget),
            ..self
        }
    }

    /// This source making good verdicts with probability `good` and bad ones with
    /// probability `bad` (each when the offender budget allows; bad is drawn first).
    pub fn with_shares(self, good: f64, bad: f64) -> DisputeSource {
        DisputeSource {
            good_share: good,
            bad_share: bad,
            ..self
        }
    }

    /// Adds one or two verdicts valid on `ctx.parent`, with the faults or culprits good and
    /// bad verdicts need; nothing when no validator set has enough keys the generator holds.
    pub fn fill(
        &mut self,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
        extrinsic: &mut Extrinsic,
    ) -> Result<(), DisputeError> {
        let signers = Signers::new(ctx);
        let spec = ctx.spec;
        let c = &ctx.parent.components;
        let d = &mut extrinsic.disputes;
        let mut taken: BTreeSet<WorkReportHash> = d.verdicts.iter().map(|v| v.target).collect();
        let mut offenders = offenders_of(d);
        let budget = self
            .offender_budget
            .unwrap_or_else(|| default_offender_budget(spec.validators));
        let mut left = budget.saturating_sub(c.psi.offenders.len() + offenders.len());
        let mut pending: Vec<WorkReportHash> = c
            .rho
            .iter()
            .flatten()
            .map(|a| blake2b_256(&a.report.encode()))
            .filter(|h| !signers.judged(h) && !taken.contains(h))
            .collect();
        for _ in 0..1 + rng.index(2) {
            let target = if !pending.is_empty() && rng.chance(PENDING_SHARE) {
                pending.swap_remove(rng.index(pending.len()))
            } else {
                rng.bytes32()
            };
            if signers.judged(&target) || !taken.insert(target) {
                continue;
            }
            let judgment = if left >= 2 && rng.chance(self.bad_share) {
                Judgment::Bad
            } else if left >= 1 && rng.chance(self.good_share) {
                Judgment::Good
            } else {
                Judgment::Wonky
            };
            let Some(verdict) = signers.verdict(rng, target, positive(spec, judgment)) else {
                break;
            };
            let judges = signers.judges(&verdict);
            let need = match judgment {
                Judgment::Good => 1,
                Judgment::Bad => 2,
                Judgment::Wonky => 0,
            };
            let keys = signers.pick_offenders(rng, need, &offenders, &judges);
            if keys.len() < need {
                continue;
            }
            for key in keys {
                let made = match judgment {
                    Judgment::Good => signers.fault(target, false, &key).map(|f| d.faults.push(f)),
                    _ => signers.culprit(target, &key).map(|c| d.culprits.push(c)),
                };
                if made.is_some() {
                    offenders.insert(key);
                    left = left.saturating_sub(1);
                }
            }
            d.verdicts.push(verdict);
        }
        sort_all(d);
        disputes::transition(spec, &disputes::Prior::of(c), d).map_err(DisputeError::Invalid)?;
        Ok(())
    }
}

/// The number of positive votes of a verdict with this outcome (GP (10.11)–(10.12)).
fn positive(spec: &marmalade_types::ChainSpec, j: Judgment) -> usize {
    match j {
        Judgment::Good => spec.validators_super_majority(),
        Judgment::Bad => 0,
        Judgment::Wonky => spec.validators_one_third(),
    }
}

/// The keys of the culprits and faults of `d`.
fn offenders_of(d: &DisputesExtrinsic) -> BTreeSet<Ed25519Public> {
    d.culprits
        .iter()
        .map(|c| c.key)
        .chain(d.faults.iter().map(|f| f.key))
        .collect()
}

/// Orders verdicts by report hash and culprits and faults by key (GP (10.8)); stable, so that
/// equal keys stay as they were.
fn sort_all(d: &mut DisputesExtrinsic) {
    d.verdicts.sort_by_key(|v| v.target);
    d.culprits.sort_by_key(|c| c.key);
    d.faults.sort_by_key(|f| f.key);
}

/// `context ⌢ hash`, the message of a judgment, culprit or fault (GP (10.3)–(10.6)).
fn message(ctx: &[u8], hash: &WorkReportHash) -> Vec<u8> {
    [ctx, &hash[..]].concat()
}

/// $\mathsf{X}_\top$ or $\mathsf{X}_\bot$ (GP (10.4)).
fn vote_context(vote: bool) -> &'static [u8] {
    if vote {
        context::VALID
    } else {
        context::INVALID
    }
}

/// Flips one bit of `bytes`.
fn flip_bit(bytes: &mut [u8], rng: &mut Rng) {
    if !bytes.is_empty() {
        let i = rng.index(bytes.len());
        bytes[i] ^= 1 << rng.below(8);
    }
}

/// The keys the generator holds, by Ed25519 public key, over one block's parent.
struct Signers<'c, 'a> {
    ctx: &'c BlockContext<'a>,
    by_key: HashMap<Ed25519Public, &'a ValidatorKeys>,
    /// The parent's epoch index $\lfloor\tau/\mathsf{E}\rfloor$ (GP (10.3)).
    epoch: u32,
}

impl<'c, 'a> Signers<'c, 'a> {
    fn new(ctx: &'c BlockContext<'a>) -> Self {
        Signers {
            ctx,
            by_key: ctx.keys.iter().map(|k| (k.ed25519_public(), k)).collect(),
            epoch: ctx.spec.epoch_of(ctx.parent.components.tau),
        }
    }

    /// Whether `hash` is in $\psi_G \cup \psi_B \cup \psi_W$ of the parent (GP (10.9)).
    fn judged(&self, hash: &WorkReportHash) -> bool {
        let psi = &self.ctx.parent.components.psi;
        [&psi.good, &psi.bad, &psi.wonky]
            .iter()
            .any(|set| set.contains(hash))
    }

    /// The validator set of a verdict of age `age`, if it is one of the two allowed
    /// (GP (10.3)).
    fn set_of(&self, age: u32) -> Option<&'a ValidatorsData> {
        let c = &self.ctx.parent.components;
        if age == self.epoch {
            Some(&c.kappa)
        } else if self.epoch.checked_sub(1) == Some(age) {
            Some(&c.lambda)
        } else {
            None
        }
    }

    /// Signs `msg` with the key whose public part is `key`, if held.
    fn sign(&self, key: &Ed25519Public, msg: &[u8]) -> Option<[u8; 64]> {
        self.by_key.get(key).map(|k| k.ed25519.sign(msg))
    }

    /// A verdict on `target` with `positive` positive votes among
    /// $\lfloor 2\mathsf{V}/3\rfloor + 1$ judgments by distinct held keys of $\kappa$ or
    /// (sometimes, when the parent's epoch is not the first) $\lambda$, ordered by validator
    /// index (GP (10.2)–(10.4), (10.10)); `None` if neither set has enough held keys.
    fn verdict(&self, rng: &mut Rng, target: WorkReportHash, positive: usize) -> Option<Verdict> {
        let sm = self.ctx.spec.validators_super_majority();
        let mut ages = vec![self.epoch];
        if let Some(previous) = self.epoch.checked_sub(1) {
            if rng.chance(0.3) {
                ages.insert(0, previous);
            } else {
                ages.push(previous);
            }
        }
        for age in ages {
            let Some(set) = self.set_of(age) else {
                continue;
            };
            let mut held: Vec<u16> = set
                .iter()
                .zip(0u16..)
                .filter(|(v, _)| self.by_key.contains_key(&v.ed25519))
                .map(|(_, i)| i)
                .collect();
            if held.len() < sm {
                continue;
            }
            for i in 0..sm {
                let j = i + rng.index(held.len() - i);
                held.swap(i, j);
            }
            held.truncate(sm);
            held.sort_unstable();
            let mut votes = vec![false; sm];
            votes[..positive.min(sm)].fill(true);
            for i in (1..sm).rev() {
                votes.swap(i, rng.index(i + 1));
            }
            let votes = held
                .into_iter()
                .zip(votes)
                .map(|(index, vote)| {
                    let key = &set.get(usize::from(index))?.ed25519;
                    Some(Judgement {
                        vote,
                        index,
                        signature: self.sign(key, &message(vote_context(vote), &target))?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            return Some(Verdict { target, age, votes });
        }
        None
    }

    /// The keys of the judges of `verdict`.
    fn judges(&self, verdict: &Verdict) -> BTreeSet<Ed25519Public> {
        let Some(set) = self.set_of(verdict.age) else {
            return BTreeSet::new();
        };
        verdict
            .votes
            .iter()
            .filter_map(|j| set.get(usize::from(j.index)).map(|v| v.ed25519))
            .collect()
    }

    /// Up to `n` distinct held keys of $\kappa \cup \lambda$ that may offend (not in
    /// $\psi_O$, GP (10.7)), none in `used`, preferring keys not in `avoid`.
    fn pick_offenders(
        &self,
        rng: &mut Rng,
        n: usize,
        used: &BTreeSet<Ed25519Public>,
        avoid: &BTreeSet<Ed25519Public>,
    ) -> Vec<Ed25519Public> {
        if n == 0 {
            return Vec::new();
        }
        let c = &self.ctx.parent.components;
        let candidates: BTreeSet<Ed25519Public> = c
            .kappa
            .iter()
            .chain(c.lambda.iter())
            .map(|v| v.ed25519)
            .filter(|k| {
                self.by_key.contains_key(k) && !c.psi.offenders.contains(k) && !used.contains(k)
            })
            .collect();
        let (mut preferred, mut rest): (Vec<_>, Vec<_>) =
            candidates.into_iter().partition(|k| !avoid.contains(k));
        let mut out = Vec::with_capacity(n);
        for pool in [&mut preferred, &mut rest] {
            while out.len() < n && !pool.is_empty() {
                out.push(pool.swap_remove(rng.index(pool.len())));
            }
        }
        out
    }

    /// A culprit: `key` guaranteed `target` (GP (10.5)).
    fn culprit(&self, target: WorkReportHash, key: &Ed25519Public) -> Option<Culprit> {
        Some(Culprit {
            target,
            key: *key,
            signature: self.sign(key, &message(context::GUARANTEE, &target))?,
        })
    }

    /// A fault: `key` judged `target` with `vote` (GP (10.6)).
    fn fault(&self, target: WorkReportHash, vote: bool, key: &Ed25519Public) -> Option<Fault> {
        Some(Fault {
            target,
            vote,
            key: *key,
            signature: self.sign(key, &message(vote_context(vote), &target))?,
        })
    }

    /// A hash judged neither in the parent nor in `d`.
    fn fresh_target(&self, rng: &mut Rng, d: &DisputesExtrinsic) -> WorkReportHash {
        loop {
            let h = rng.bytes32();
            if !self.judged(&h) && d.verdicts.iter().all(|v| v.target != h) {
                return h;
            }
        }
    }

    /// Adds a verdict with `positive` positive votes on a fresh hash to `d` (kept ordered);
    /// its index.
    fn add_verdict(
        &self,
        rng: &mut Rng,
        d: &mut DisputesExtrinsic,
        positive: usize,
    ) -> Option<(usize, WorkReportHash)> {
        let target = self.fresh_target(rng, d);
        d.verdicts.push(self.verdict(rng, target, positive)?);
        sort_all(d);
        let i = d.verdicts.iter().position(|v| v.target == target)?;
        Some((i, target))
    }

    /// Adds a good verdict on a fresh hash with `faults` faults (votes `vote`) by keys that
    /// may offend; the hash. `None` if there are not enough such keys.
    fn add_good_with_faults(
        &self,
        rng: &mut Rng,
        d: &mut DisputesExtrinsic,
        faults: usize,
        vote: bool,
    ) -> Option<WorkReportHash> {
        let sm = self.ctx.spec.validators_super_majority();
        let keys = self.pick_offenders(rng, faults, &offenders_of(d), &BTreeSet::new());
        if keys.len() < faults {
            return None;
        }
        let (_, target) = self.add_verdict(rng, d, sm)?;
        for k in keys {
            d.faults.push(self.fault(target, vote, &k)?);
        }
        sort_all(d);
        Some(target)
    }

    /// Adds a bad verdict on a fresh hash with `culprits` culprits by keys that may offend;
    /// the hash. `None` if there are not enough such keys.
    fn add_bad_with_culprits(
        &self,
        rng: &mut Rng,
        d: &mut DisputesExtrinsic,
        culprits: usize,
    ) -> Option<WorkReportHash> {
        let keys = self.pick_offenders(rng, culprits, &offenders_of(d), &BTreeSet::new());
        if keys.len() < culprits {
            return None;
        }
        let (_, target) = self.add_verdict(rng, d, 0)?;
        for k in keys {
            d.culprits.push(self.culprit(target, &k)?);
        }
        sort_all(d);
        Some(target)
    }

    /// The index of a verdict of `d`: one it has, or a wonky one added on a fresh hash.
    fn some_verdict(&self, rng: &mut Rng, d: &mut DisputesExtrinsic) -> Option<usize> {
        if d.verdicts.is_empty() {
            let third = self.ctx.spec.validators_one_third();
            return self.add_verdict(rng, d, third).map(|(i, _)| i);
        }
        Some(rng.index(d.verdicts.len()))
    }
}

/// A way of making a disputes extrinsic invalid. Each adds what it needs (a verdict on a fresh
/// hash, say) to the extrinsic's own disputes, keeping every other rule, then breaks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DisputeMutation {
    /// A bit of a judgment's signature flipped (GP (10.3)).
    JudgementSignature,
    /// Two judgments of a wonky verdict with their votes swapped, signatures kept: each
    /// signature is now over the other context (GP (10.3)–(10.4)), the sum unchanged.
    JudgementVoteContext,
    /// A verdict whose positive votes are not $0$, $\lfloor\mathsf{V}/3\rfloor$ or
    /// $\lfloor 2\mathsf{V}/3\rfloor + 1$, every signature valid (GP (10.11)–(10.12)).
    VoteSplit,
    /// Two judgments out of validator-index order (GP (10.10)).
    JudgementsOrder,
    /// A judgment repeated in place of the next one (GP (10.10)).
    JudgementDuplicate,
    /// A judgment's validator index not in $\mathbb{N}_\mathsf{V}$ (GP (10.2)–(10.3)).
    JudgementIndex,
    /// A verdict's age neither the parent's epoch nor the one before (GP (10.2)–(10.3)).
    VerdictAge,
    /// Two verdicts out of report-hash order (GP (10.8)).
    VerdictsOrder,
    /// A verdict repeated (GP (10.8)).
    VerdictDuplicate,
    /// A verdict on a report already in $\psi_G \cup \psi_B \cup \psi_W$ (GP (10.9)).
    AlreadyJudged,
    /// A good verdict without a fault (GP (10.13)).
    GoodWithoutFault,
    /// A bad verdict with fewer than two culprits (GP (10.14)).
    BadWithoutCulprits,
    /// A bit of a culprit's signature flipped (GP (10.5)).
    CulpritSignature,
    /// A culprit for a report not in $\psi_B'$ (GP (10.5)).
    CulpritNotBad,
    /// Two culprits out of key order (GP (10.8)).
    CulpritsOrder,
    /// A bit of a fault's signature flipped (GP (10.6)).
    FaultSignature,
    /// A fault whose vote agrees with the good verdict on its report (GP (10.6)).
    FaultNotContradicting,
    /// Two faults out of key order (GP (10.8)).
    FaultsOrder,
    /// A fault by a key already in $\psi_O$ (GP (10.7)).
    OffenderAlreadyReported,
    /// A fault by a key of no validator of $\kappa \cup \lambda$ (GP (10.6)–(10.7)).
    OffenderNotValidator,
}

impl DisputeMutation {
    /// Every mutation.
    pub const ALL: [DisputeMutation; 20] = [
        DisputeMutation::JudgementSignature,
        DisputeMutation::JudgementVoteContext,
        DisputeMutation::VoteSplit,
        DisputeMutation::JudgementsOrder,
        DisputeMutation::JudgementDuplicate,
        DisputeMutation::JudgementIndex,
        DisputeMutation::VerdictAge,
        DisputeMutation::VerdictsOrder,
        DisputeMutation::VerdictDuplicate,
        DisputeMutation::AlreadyJudged,
        DisputeMutation::GoodWithoutFault,
        DisputeMutation::BadWithoutCulprits,
        DisputeMutation::CulpritSignature,
        DisputeMutation::CulpritNotBad,
        DisputeMutation::CulpritsOrder,
        DisputeMutation::FaultSignature,
        DisputeMutation::FaultNotContradicting,
        DisputeMutation::FaultsOrder,
        DisputeMutation::OffenderAlreadyReported,
        DisputeMutation::OffenderNotValidator,
    ];

    /// A short `kebab-case` name, for reports and file names.
    pub const fn name(self) -> &'static str {
        match self {
            DisputeMutation::JudgementSignature => "judgement-signature",
            DisputeMutation::JudgementVoteContext => "judgement-vote-context",
            DisputeMutation::VoteSplit => "vote-split",
            DisputeMutation::JudgementsOrder => "judgements-order",
            DisputeMutation::JudgementDuplicate => "judgement-duplicate",
            DisputeMutation::JudgementIndex => "judgement-index",
            DisputeMutation::VerdictAge => "verdict-age",
            DisputeMutation::VerdictsOrder => "verdicts-order",
            DisputeMutation::VerdictDuplicate => "verdict-duplicate",
            DisputeMutation::AlreadyJudged => "already-judged",
            DisputeMutation::GoodWithoutFault => "good-without-fault",
            DisputeMutation::BadWithoutCulprits => "bad-without-culprits",
            DisputeMutation::CulpritSignature => "culprit-signature",
            DisputeMutation::CulpritNotBad => "culprit-not-bad",
            DisputeMutation::CulpritsOrder => "culprits-order",
            DisputeMutation::FaultSignature => "fault-signature",
            DisputeMutation::FaultNotContradicting => "fault-not-contradicting",
            DisputeMutation::FaultsOrder => "faults-order",
            DisputeMutation::OffenderAlreadyReported => "offender-already-reported",
            DisputeMutation::OffenderNotValidator => "offender-not-validator",
        }
    }

    /// `extrinsic` with its disputes made invalid on `ctx.parent`, or `None` when the
    /// mutation cannot apply there: `AlreadyJudged` needs a judged report in the parent,
    /// `OffenderAlreadyReported` a held key in $\psi_O$; the others need
    /// $\lfloor 2\mathsf{V}/3\rfloor + 1$ held keys in $\kappa$ or $\lambda$, and those with
    /// offenders enough held keys outside $\psi_O$.
    ///
    /// Every result fails the disputes transition (so [`marmalade_authoring::Author::seal_block`]
    /// refuses to seal it; a block around it keeps another extrinsic's seal and hash).
    pub fn apply(
        self,
        extrinsic: &Extrinsic,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
    ) -> Option<Extrinsic> {
        let s = Signers::new(ctx);
        let spec = ctx.spec;
        let sm = spec.validators_super_majority();
        let third = spec.validators_one_third();
        let mut e = extrinsic.clone();
        let d = &mut e.disputes;
        match self {
            DisputeMutation::JudgementSignature => {
                let i = s.some_verdict(rng, d)?;
                let votes = &mut d.verdicts.get_mut(i)?.votes;
                let j = rng.index(votes.len());
                flip_bit(&mut votes.get_mut(j)?.signature, rng);
            }
            DisputeMutation::JudgementVoteContext => {
                let i = match d.verdicts.iter().position(|v| {
                    let n = v.votes.iter().filter(|j| j.vote).count();
                    n > 0 && n < v.votes.len()
                }) {
                    Some(i) => i,
                    None => s.add_verdict(rng, d, third.max(1))?.0,
                };
                let votes = &mut d.verdicts.get_mut(i)?.votes;
                let yes = votes.iter().position(|j| j.vote)?;
                let no = votes.iter().position(|j| !j.vote)?;
                votes[yes].vote = false;
                votes[no].vote = true;
            }
            DisputeMutation::VoteSplit => {
                let not_allowed: Vec<usize> = (0..=sm)
                    .filter(|n| *n != 0 && *n != third && *n != sm)
                    .collect();
                if not_allowed.is_empty() {
                    return None;
                }
                let n = not_allowed[rng.index(not_allowed.len())];
                s.add_verdict(rng, d, n)?;
            }
            DisputeMutation::JudgementsOrder => {
                let i = s.some_verdict(rng, d)?;
                let votes = &mut d.verdicts.get_mut(i)?.votes;
                if votes.len() < 2 {
                    return None;
                }
                let last = votes.len() - 1;
                votes.swap(0, last);
            }
            DisputeMutation::JudgementDuplicate => {
                let i = s.some_verdict(rng, d)?;
                let votes = &mut d.verdicts.get_mut(i)?.votes;
                if votes.len() < 2 {
                    return None;
                }
                let j = rng.index(votes.len() - 1);
                votes[j + 1] = votes[j];
            }
            DisputeMutation::JudgementIndex => {
                let i = s.some_verdict(rng, d)?;
                let v = u16::try_from(spec.validators).ok()?;
                let last = d.verdicts.get_mut(i)?.votes.last_mut()?;
                // At or above V, after every other index: only the range is broken.
                last.index = v.checked_add(rng.below(16) as u16)?;
            }
            DisputeMutation::VerdictAge => {
                let i = s.some_verdict(rng, d)?;
                let epoch = s.epoch;
                let age = if epoch >= 2 && rng.chance(0.5) {
                    rng.below(u64::from(epoch - 1)) as u32
                } else {
                    epoch.checked_add(1 + rng.below(100) as u32)?
                };
                d.verdicts.get_mut(i)?.age = age;
            }
            DisputeMutation::VerdictsOrder => {
                while d.verdicts.len() < 2 {
                    s.add_verdict(rng, d, third)?;
                }
                let last = d.verdicts.len() - 1;
                d.verdicts.swap(0, last);
            }
            DisputeMutation::VerdictDuplicate => {
                let i = s.some_verdict(rng, d)?;
                let v = d.verdicts.get(i)?.clone();
                d.verdicts.insert(i, v);
            }
            DisputeMutation::AlreadyJudged => {
                let psi = &ctx.parent.components.psi;
                let judged: Vec<WorkReportHash> = psi
                    .good
                    .iter()
                    .chain(&psi.bad)
                    .chain(&psi.wonky)
                    .copied()
                    .collect();
                if judged.is_empty() {
                    return None;
                }
                let target = judged[rng.index(judged.len())];
                d.verdicts.push(s.verdict(rng, target, third)?);
                sort_all(d);
            }
            DisputeMutation::GoodWithoutFault => {
                s.add_verdict(rng, d, sm)?;
            }
            DisputeMutation::BadWithoutCulprits => {
                let culprits = rng.index(2);
                if s.add_bad_with_culprits(rng, d, culprits).is_none() {
                    s.add_bad_with_culprits(rng, d, 0)?;
                }
            }
            DisputeMutation::CulpritSignature => {
                let target = s.add_bad_with_culprits(rng, d, 2)?;
                let mine: Vec<usize> = (0..d.culprits.len())
                    .filter(|i| d.culprits[*i].target == target)
                    .collect();
                let i = mine[rng.index(mine.len())];
                flip_bit(&mut d.culprits.get_mut(i)?.signature, rng);
            }
            DisputeMutation::CulpritNotBad => {
                let target = s.fresh_target(rng, d);
                let key = *s
                    .pick_offenders(rng, 1, &offenders_of(d), &BTreeSet::new())
                    .first()?;
                d.culprits.push(s.culprit(target, &key)?);
                sort_all(d);
            }
            DisputeMutation::CulpritsOrder => {
                s.add_bad_with_culprits(rng, d, 2)?;
                let last = d.culprits.len() - 1;
                d.culprits.swap(0, last);
            }
            DisputeMutation::FaultSignature => {
                let target = s.add_good_with_faults(rng, d, 1, false)?;
                let i = d.faults.iter().position(|f| f.target == target)?;
                flip_bit(&mut d.faults.get_mut(i)?.signature, rng);
            }
            DisputeMutation::FaultNotContradicting => {
                s.add_good_with_faults(rng, d, 1, true)?;
            }
            DisputeMutation::FaultsOrder => {
                s.add_good_with_faults(rng, d, 2, false)?;
                let last = d.faults.len() - 1;
                d.faults.swap(0, last);
            }
            DisputeMutation::OffenderAlreadyReported => {
                let psi = &ctx.parent.components.psi;
                let held: Vec<Ed25519Public> = psi
                    .offenders
                    .iter()
                    .filter(|k| s.by_key.contains_key(*k) && !offenders_of(d).contains(*k))
                    .copied()
                    .collect();
                if held.is_empty() {
                    return None;
                }
                let key = held[rng.index(held.len())];
                let (_, target) = s.add_verdict(rng, d, sm)?;
                d.faults.push(s.fault(target, false, &key)?);
                sort_all(d);
            }
            DisputeMutation::OffenderNotValidator => {
                let (_, target) = s.add_verdict(rng, d, sm)?;
                // A key of no validator: made from a random seed.
                let outsider = ValidatorKeys::from_seed(&rng.bytes32());
                let key = outsider.ed25519_public();
                d.faults.push(Fault {
                    target,
                    vote: false,
                    key,
                    signature: outsider
                        .ed25519
                        .sign(&message(vote_context(false), &target)),
                });
                sort_all(d);
            }
        }
        (e != *extrinsic).then_some(e)
    }
}

impl std::fmt::Display for DisputeMutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
