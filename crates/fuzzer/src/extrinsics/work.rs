//! Guarantees ($\mathbf{E}_G$) of work reports for the genesis services and assurances
//! ($\mathbf{E}_A$) of the reports pending availability (GP section 11).
//!
//! Everything is read off the parent's posterior state and the extrinsic so far (its
//! disputes), as block import will see it:
//!
//! - $\rho^\dagger$: the parent's $\rho$ without the reports the disputes judge bad or wonky
//!   (GP (10.15)); $\psi'_O$: the offenders with the disputes' culprits and faults
//!   (GP (10.19));
//! - assurances (GP (11.10)–(11.17)) by the held validators of $\kappa$, anchored on the
//!   parent, bits only for cores pending in $\rho^\dagger$ and not timed out; per core either
//!   a super-majority (the report becomes available and is accumulated) or fewer;
//! - $\rho^\ddagger$: $\rho^\dagger$ without the reports made available or timed out
//!   (GP (11.16)–(11.17)); guarantees go to cores free there (GP (11.29));
//! - guarantees (GP (11.18)–(11.43)): a work package of the NULL Authorizer with one or two
//!   items for the bootstrap service, refined into a real report by the guarantor
//!   ([`build_report`], GP (14.12)), signed by two or three of the validators the core is
//!   assigned to in the current rotation, $\mathbf{M} = (P(\eta'_2, \tau'), \Phi(\kappa'))$
//!   (GP (11.19)–(11.21), (11.26)).
//!
//! The payloads are instructions of the bootstrap service whose effects stay in its own
//! storage (write and delete items, as `crates/marmalade/tests/in_core.rs` reads them off the
//! `storage` trace): its other instructions could change privileges, validator keys or
//! authorizer queues, after which the generator could no longer author.
//!
//! [`WorkMutation`] breaks one rule of E_A or E_G at a time in a valid extrinsic.

use super::BlockContext;
use crate::rng::Rng;
use marmalade_authoring::{assurance, bitfield, AuthoringError, ValidatorKeys};
use marmalade_chainspec::dev::{BOOTSTRAP_SERVICE, NULL_AUTHORIZER};
use marmalade_codec::Encode;
use marmalade_crypto::hash::{blake2b_256, blake2b_256_concat};
use marmalade_guarantor::{
    build_report, guarantee, sign_report, Bundle, CodeCache, GuaranteeError, NoSegmentRoots,
};
use marmalade_state::StateReader;
use marmalade_stf::reports::GuarantorAssignments;
use marmalade_stf::safrole;
use marmalade_types::constants::ASSURANCE_TIMEOUT_PERIOD;
use marmalade_types::{
    AvailAssurance, AvailabilityAssignment, CoreIndex, DisputesExtrinsic, Ed25519Public,
    EntropyBuffer, Extrinsic, Hash, RefineContext, ReportGuarantee, TimeSlot, ValidatorData,
    ValidatorIndex, WorkItem, WorkPackage, WorkReport,
};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Why guarantees or assurances could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// The guarantor refused the generated package (a bug of this module or of the
    /// guarantor: the package is made to be valid).
    #[error("guarantor: {0}")]
    Guarantee(#[from] GuaranteeError),
    /// An assurance could not be made.
    #[error("authoring: {0}")]
    Authoring(#[from] AuthoringError),
}

/// The largest number of reports a block is given (each costs a refine on the PVM).
pub const MAX_GUARANTEES: usize = 3;

/// The probability that a pending report is assured by a super-majority (and so becomes
/// available and is accumulated).
const AVAILABLE_SHARE: f64 = 0.6;

/// How many parent slots are remembered before the memory is emptied.
const SLOTS_LEN: usize = 256;

/// The source of guarantees and assurances.
#[derive(Default)]
pub struct WorkSource {
    /// Decoded service code (the NULL Authorizer and the bootstrap service), across blocks.
    code: CodeCache,
    /// The slots of the parents seen, by header hash: the lookup anchor may be an older
    /// ancestor when its slot is known (the state records none).
    slots: HashMap<Hash, TimeSlot>,
}

impl WorkSource {
    /// Adds assurances (if `assure`) and guarantees (if `guarantee`) valid on `ctx.parent`.
    pub fn fill(
        &mut self,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
        assure: bool,
        guarantee: bool,
        extrinsic: &mut Extrinsic,
    ) -> Result<(), WorkError> {
        if self.slots.len() > SLOTS_LEN {
            self.slots.clear();
        }
        self.slots
            .insert(ctx.parent_hash, ctx.parent.components.tau);
        let env = Env::new(ctx, &extrinsic.disputes);
        if assure {
            extrinsic.assurances = env.assurances(rng)?;
        }
        if guarantee {
            extrinsic.guarantees = self.guarantees(&env, &extrinsic.assurances, rng)?;
        }
        Ok(())
    }

    /// Guarantees for up to [`MAX_GUARANTEES`] cores free in $\rho^\ddagger$, by core.
    fn guarantees(
        &mut self,
        env: &Env<'_>,
        assurances: &[AvailAssurance],
        rng: &mut Rng,
    ) -> Result<Vec<ReportGuarantee>, WorkError> {
        let ctx = &env.ctx;
        let Some(service) = ctx.parent.service_info(BOOTSTRAP_SERVICE) else {
            return Ok(Vec::new());
        };
        let engaged = env.rho_ddagger(assurances);
        let authorizer = null_authorizer();
        // GP (11.26): the guarantee slot is in the current rotation (M) or, now and then,
        // the previous one (M*, GP (11.22)); one rotation for the whole extrinsic.
        let rotation = ctx.spec.rotation_period.max(1);
        let current_start = ctx.slot / rotation * rotation;
        let (first, last) = if current_start >= rotation && rng.chance(0.25) {
            (current_start - rotation, current_start - 1)
        } else {
            (current_start, ctx.slot)
        };
        let m = env.assignments(first);
        // Cores free in ρ‡ (GP (11.29)), with the NULL Authorizer in α[c] (GP (11.29)) and
        // two held, unpunished guarantors.
        let mut viable: Vec<(CoreIndex, Vec<ValidatorIndex>)> = (0..ctx.spec.cores)
            .filter(|&c| !engaged[c])
            .filter(|&c| ctx.parent.components.alpha[c].contains(&authorizer))
            .map(|c| (c as CoreIndex, env.guarantors(&m, c as CoreIndex)))
            .filter(|(_, g)| g.len() >= 2)
            .collect();
        if viable.is_empty() {
            return Ok(Vec::new());
        }
        let count = 1 + rng.index(viable.len().min(MAX_GUARANTEES));
        choose(&mut viable, count, rng);
        viable.truncate(count);
        // GP (11.24): ordered by core.
        viable.sort_by_key(|(c, _)| *c);
        let mut out = Vec::with_capacity(viable.len());
        for (core, mut signers) in viable {
            let package = self.package(env, service.code_hash, service.min_item_gas, rng);
            let report = self.report(ctx, core, package)?;
            // GP (11.23): two or three credentials.
            let n = if signers.len() >= 3 && rng.chance(0.5) {
                3
            } else {
                2
            };
            choose(&mut signers, n, rng);
            signers.truncate(n);
            // GP (11.26): any slot of the rotation, not after the block's.
            let slot = first + rng.below(u64::from(last - first) + 1) as u32;
            out.push(env.sign_guarantee(report, slot, &signers)?);
        }
        Ok(out)
    }

    /// A package of the NULL Authorizer with one or two items for the bootstrap service,
    /// anchored on a block of $\beta_H^\dagger$ (GP (11.33)) and looking up on the parent or
    /// on the anchor (GP (11.34)–(11.35)).
    fn package(
        &self,
        env: &Env<'_>,
        code_hash: Hash,
        min_item_gas: u64,
        rng: &mut Rng,
    ) -> WorkPackage {
        let ctx = &env.ctx;
        let spec = ctx.spec;
        let history = &ctx.parent.components.beta.history;
        // Mostly the parent; else any recent block.
        let i = if history.len() < 2 || rng.chance(0.6) {
            history.len().saturating_sub(1)
        } else {
            rng.index(history.len())
        };
        let (anchor, state_root, beefy_root) = match history.get(i) {
            // β† (GP (7.5)): the parent's entry gets the parent's posterior root, H_R.
            Some(b) if i + 1 == history.len() => (b.header_hash, ctx.parent_root, b.beefy_root),
            Some(b) => (b.header_hash, b.state_root, b.beefy_root),
            None => (ctx.parent_hash, ctx.parent_root, [0; 32]),
        };
        // GP (11.34): the lookup anchor at most L slots old; (11.35): an ancestor, which
        // every block of β_H is.
        let oldest = ctx.slot.saturating_sub(spec.max_lookup_anchor_age);
        let (lookup_anchor, lookup_anchor_slot) = match self.slots.get(&anchor) {
            Some(&t) if t >= oldest && rng.chance(0.5) => (anchor, t),
            _ => (ctx.parent_hash, ctx.parent.components.tau),
        };
        let items = 1 + rng.index(2);
        let items = (0..items)
            .map(|_| {
                // Mostly the whole share of G_A (GP (11.30)); sometimes too little for the
                // accumulation to finish, which is no error of the block.
                let accumulate_gas_limit = if rng.chance(0.8) {
                    spec.report_accumulate_gas / items as u64
                } else {
                    min_item_gas + rng.below(10_000)
                };
                WorkItem {
                    service: BOOTSTRAP_SERVICE,
                    code_hash,
                    refine_gas_limit: spec.refine_gas / 2 / items as u64,
                    accumulate_gas_limit,
                    export_count: 0,
                    payload: payload(rng),
                    import_segments: Vec::new(),
                    extrinsic: Vec::new(),
                }
            })
            .collect();
        WorkPackage {
            auth_code_host: BOOTSTRAP_SERVICE,
            auth_code_hash: blake2b_256(NULL_AUTHORIZER),
            context: RefineContext {
                anchor,
                state_root,
                beefy_root,
                lookup_anchor,
                lookup_anchor_slot,
                prerequisites: Vec::new(),
            },
            // The NULL Authorizer ignores its token; a fresh one makes every package unique
            // (two equal packages on the same anchors would be one package reported twice,
            // GP (11.32), (11.38)).
            authorization: rng.bytes32().to_vec(),
            authorizer_config: Vec::new(),
            items,
        }
    }

    /// $\Xi(\mathbf{p}, c)$ (GP (14.12)) by the guarantor on the parent's state. Packages
    /// are unique by construction (see [`payload`]), so no report is kept for later: what
    /// is worth keeping is the decoded code, in `self.code`.
    fn report(
        &self,
        ctx: &BlockContext<'_>,
        core: CoreIndex,
        package: WorkPackage,
    ) -> Result<WorkReport, WorkError> {
        let bundle = Bundle {
            package,
            extrinsics: Vec::new(),
            imports: Vec::new(),
            justifications: Vec::new(),
        };
        let work = build_report(
            ctx.spec,
            ctx.parent,
            core,
            &bundle,
            &NoSegmentRoots,
            &self.code,
        )?;
        Ok(work.report)
    }
}

/// How many storage keys the payloads draw from: service 0's storage stays within this many
/// items however long a session runs (an ever-growing state would measure a target's
/// scaling, not its correctness).
const STORAGE_KEYS: u64 = 64;

/// A bootstrap-service payload touching only its storage: `0x16 0x00 n ++ h_1 … h_n` writes
/// each $h_i$ under itself; `0x05 n ++ (0x20 ++ h_i)…` deletes the items keyed $h_i$; the
/// keys come from a pool of [`STORAGE_KEYS`], so writes add, overwrite and deletes remove.
/// (Packages are unique by their authorization token, see [`WorkSource`]'s package.)
fn payload(rng: &mut Rng) -> Vec<u8> {
    fn key(rng: &mut Rng) -> Hash {
        blake2b_256_concat(&[
            b"marmalade fuzz storage",
            &rng.below(STORAGE_KEYS).to_le_bytes(),
        ])
    }
    if rng.chance(0.6) {
        let n = 1 + rng.below(3) as u8;
        let mut p = vec![0x16, 0x00, n];
        for _ in 0..n {
            p.extend_from_slice(&key(rng));
        }
        p
    } else {
        let n = 1 + rng.below(2) as u8;
        let mut p = vec![0x05, n];
        for _ in 0..n {
            p.push(32);
            p.extend_from_slice(&key(rng));
        }
        p
    }
}

/// $\mathcal{H}(\mathcal{H}(c) \frown [])$: the NULL Authorizer with the empty configuration
/// (GP (14.10)), which the genesis puts in every pool.
fn null_authorizer() -> Hash {
    blake2b_256_concat(&[&blake2b_256(NULL_AUTHORIZER), &[]])
}

/// Moves `n` elements drawn uniformly without replacement to the front of `v`.
fn choose<T>(v: &mut [T], n: usize, rng: &mut Rng) {
    for i in 0..n.min(v.len()) {
        let j = i + rng.index(v.len() - i);
        v.swap(i, j);
    }
}

/// The block as import will see it, with the keys the generator holds.
struct Env<'a> {
    ctx: BlockContext<'a>,
    /// $\rho^\dagger$ (GP (10.15)).
    rho_dagger: Vec<Option<&'a AvailabilityAssignment>>,
    /// $\psi'_O$ (GP (10.19)).
    offenders: Vec<Ed25519Public>,
    /// $\eta'$ but $\eta'_0$ (GP (6.23)): $\eta'_0$ needs the seal, and no rule here reads it.
    eta: EntropyBuffer,
    /// $\kappa'$ (GP (6.13)).
    kappa_post: &'a [ValidatorData],
    /// $\lambda'$ (GP (6.13)).
    lambda_post: &'a [ValidatorData],
    /// The held keys by Ed25519 public key.
    held: HashMap<Ed25519Public, &'a ValidatorKeys>,
}

impl<'a> Env<'a> {
    fn new(ctx: &BlockContext<'a>, disputes: &DisputesExtrinsic) -> Env<'a> {
        let spec = ctx.spec;
        let c = &ctx.parent.components;
        // GP (10.15): reports judged bad or wonky (any verdict short of the super-majority
        // of positive votes) leave ρ.
        let cleared: HashSet<Hash> = disputes
            .verdicts
            .iter()
            .filter(|v| {
                v.votes.iter().filter(|j| j.vote).count() != spec.validators_super_majority()
            })
            .map(|v| v.target)
            .collect();
        let rho_dagger = c
            .rho
            .iter()
            .map(|a| {
                a.as_ref().filter(|a| {
                    cleared.is_empty() || !cleared.contains(&blake2b_256(&a.report.encode()))
                })
            })
            .collect();
        // GP (10.19): ψ'_O = ψ_O ∪ the culprits' and faults' keys.
        let mut offenders = c.psi.offenders.clone();
        offenders.extend(disputes.culprits.iter().map(|x| x.key));
        offenders.extend(disputes.faults.iter().map(|x| x.key));
        // GP (6.13), (6.23): on a new epoch η' shifts, κ' = γ_P and λ' = κ.
        // ψ'_O only shapes γ'_P, which no rule here reads.
        let rotation = safrole::rotate(spec, &safrole::Prior::of(c, &[]), ctx.slot);
        let (eta, kappa_post, lambda_post) =
            (rotation.eta, &rotation.kappa[..], &rotation.lambda[..]);
        let held = ctx.keys.iter().map(|k| (k.ed25519.public(), k)).collect();
        Env {
            ctx: *ctx,
            rho_dagger,
            offenders,
            eta,
            kappa_post,
            lambda_post,
            held,
        }
    }

    /// Whether the report on core `c` in $\rho^\dagger$ timed out at this block (GP (11.17)).
    fn timed_out(&self, a: &AvailabilityAssignment) -> bool {
        u64::from(self.ctx.slot) >= u64::from(a.timeout) + u64::from(ASSURANCE_TIMEOUT_PERIOD)
    }

    /// The validator indices of $\kappa$ (the assurers' set, GP (11.13)) whose keys are
    /// held.
    fn assurers(&self) -> Vec<usize> {
        let kappa = &self.ctx.parent.components.kappa;
        (0..kappa.len())
            .filter(|&v| self.held.contains_key(&kappa[v].ed25519))
            .collect()
    }

    /// The assurance of validator `v` of $\kappa$ for `cores`, anchored on `anchor`.
    fn assure(
        &self,
        v: usize,
        anchor: &Hash,
        cores: &[usize],
    ) -> Result<Option<AvailAssurance>, WorkError> {
        let kappa = &self.ctx.parent.components.kappa;
        let Some(keys) = kappa.get(v).and_then(|k| self.held.get(&k.ed25519)) else {
            return Ok(None);
        };
        let f = bitfield(self.ctx.spec, cores)?;
        Ok(Some(assurance(
            self.ctx.spec,
            anchor,
            &f,
            v as ValidatorIndex,
            &keys.ed25519,
        )?))
    }

    /// Assurances of the reports pending in $\rho^\dagger$ (GP (11.10)–(11.15)): per core,
    /// a super-majority of the held validators of $\kappa$ (with probability
    /// [`AVAILABLE_SHARE`]) or fewer; a few held validators assure nothing.
    fn assurances(&self, rng: &mut Rng) -> Result<Vec<AvailAssurance>, WorkError> {
        let spec = self.ctx.spec;
        let pending: Vec<usize> = self
            .rho_dagger
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_some_and(|a| !self.timed_out(a)))
            .map(|(c, _)| c)
            .collect();
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let mut holders = self.assurers();
        // GP (11.16): available when more than 2V/3 assure.
        let need = 2 * spec.validators / 3 + 1;
        let mut bits: Vec<Vec<usize>> = vec![Vec::new(); spec.validators];
        let mut assuring = BTreeSet::new();
        for c in pending {
            let n = if rng.chance(AVAILABLE_SHARE) && holders.len() >= need {
                need + rng.index(holders.len() - need + 1)
            } else {
                rng.index(need.min(holders.len() + 1))
            };
            choose(&mut holders, n, rng);
            for &v in &holders[..n] {
                bits[v].push(c);
                assuring.insert(v);
            }
        }
        // A few assurances with no bit set (valid: GP (11.15) constrains set bits only).
        for &v in &holders {
            if rng.chance(0.05) {
                assuring.insert(v);
            }
        }
        // GP (11.12): ordered by validator index (a BTreeSet), unique. Signed in parallel:
        // under `full` a super-majority is 683 signatures.
        let assuring: Vec<usize> = assuring.into_iter().collect();
        let signed: Result<Vec<Option<AvailAssurance>>, WorkError> = assuring
            .par_iter()
            .map(|&v| self.assure(v, &self.ctx.parent_hash, &bits[v]))
            .collect();
        Ok(signed?.into_iter().flatten().collect())
    }

    /// $\rho^\ddagger$ (GP (11.16)–(11.17)) as engagement flags: $\rho^\dagger$ without the
    /// reports `assurances` make available or that timed out.
    fn rho_ddagger(&self, assurances: &[AvailAssurance]) -> Vec<bool> {
        let spec = self.ctx.spec;
        let mut tally = vec![0usize; self.rho_dagger.len()];
        for a in assurances {
            for c in marmalade_stf::assurances::assured_cores(&a.bitfield) {
                if let Some(t) = tally.get_mut(c) {
                    *t += 1;
                }
            }
        }
        self.rho_dagger
            .iter()
            .zip(tally)
            .map(|(a, t)| a.is_some_and(|a| 3 * t <= 2 * spec.validators && !self.timed_out(a)))
            .collect()
    }

    /// The assignment a guarantee dated `t` is checked against (GP (11.26)): $\mathbf{M}$
    /// (GP (11.21)) when `t` is in the block's rotation, else $\mathbf{M}^*$ (GP (11.22)),
    /// with $\eta'$, $\kappa'$, $\lambda'$ and $\psi'_O$.
    fn assignments(&self, t: TimeSlot) -> GuarantorAssignments {
        let (spec, tau) = (self.ctx.spec, self.ctx.slot);
        let rotation = spec.rotation_period.max(1);
        if t / rotation == tau / rotation {
            GuarantorAssignments::current(spec, &self.eta, tau, self.kappa_post, &self.offenders)
        } else {
            GuarantorAssignments::previous(
                spec,
                &self.eta,
                tau,
                self.kappa_post,
                self.lambda_post,
                &self.offenders,
            )
        }
    }

    /// The held validators $\mathbf{M}$ assigns to `core`, with a key $\Phi$ left.
    fn guarantors(&self, m: &GuarantorAssignments, core: CoreIndex) -> Vec<ValidatorIndex> {
        (0..self.ctx.spec.validators)
            .filter(|&v| {
                m.get(v).is_some_and(|(c, k)| {
                    c == core && k.is_some_and(|k| self.held.contains_key(&k))
                })
            })
            .map(|v| v as ValidatorIndex)
            .collect()
    }

    /// The guarantee of `report` at `slot` signed by `signers` with their keys in the
    /// assignment of `slot` (GP (11.23)–(11.26)); the credentials sorted by validator index.
    fn sign_guarantee(
        &self,
        report: WorkReport,
        slot: TimeSlot,
        signers: &[ValidatorIndex],
    ) -> Result<ReportGuarantee, WorkError> {
        let m = self.assignments(slot);
        let signatures = signers
            .iter()
            .filter_map(|&v| {
                let k = m.get(usize::from(v))?.1?;
                let keys = self.held.get(&k)?;
                Some((v, sign_report(&report, &keys.ed25519)))
            })
            .collect();
        Ok(guarantee(report, slot, signatures)?)
    }

    /// A guarantee re-signed by its own signers after its report changed.
    fn resign(&self, g: &ReportGuarantee, report: WorkReport) -> Option<ReportGuarantee> {
        let signers: Vec<ValidatorIndex> = g.signatures.iter().map(|s| s.validator_index).collect();
        self.sign_guarantee(report, g.slot, &signers).ok()
    }
}

/// One rule of the assurances or guarantees extrinsic broken in a valid extrinsic: a block
/// carrying the result must be rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkMutation {
    /// An assurance's signature altered: not $\mathsf{X}_A \frown
    /// \mathcal{H}(\mathcal{E}(\mathbf{H}_P, a_f))$ signed by its validator (GP (11.13)).
    AssuranceBadSignature,
    /// An assurance anchored (and signed) on a block other than the parent: $a_a \ne
    /// \mathbf{H}_P$ (GP (11.11)).
    AssuranceWrongAnchor,
    /// An assurance (re-signed) with the bit of a core with nothing pending in
    /// $\rho^\dagger$ (GP (11.15)).
    AssuranceCoreNotEngaged,
    /// Two assurances swapped: not ordered by validator index (GP (11.12)).
    AssurancesUnsorted,
    /// An assurance given twice: validator indices not unique (GP (11.12)).
    AssuranceDuplicate,
    /// A guarantor's signature altered (GP (11.26)).
    GuaranteeBadSignature,
    /// A guarantee with a single credential, where two or three are needed (GP (11.23)).
    GuaranteeOneSignature,
    /// A credential (validly signed) by a validator not assigned to the report's core
    /// (GP (11.26)).
    GuaranteeUnassignedSigner,
    /// Two guarantees swapped: not ordered by core (GP (11.24)).
    GuaranteesOutOfOrder,
    /// A report (re-signed) whose authorizer is not in its core's pool $\alpha$ (GP (11.29)).
    GuaranteeWrongAuthorizer,
    /// A report (re-signed) anchored on a block not in recent history (GP (11.33)).
    GuaranteeAnchorNotRecent,
    /// A report (re-signed) whose anchor state root is not recent history's (GP (11.33)).
    GuaranteeBadStateRoot,
    /// A report (re-signed by that core's guarantors) for a core whose report is still
    /// pending in $\rho^\ddagger$ (GP (11.29)).
    GuaranteeCoreEngaged,
    /// A report guaranteed again (re-signed) on another free core: two reports of one
    /// package (GP (11.32)).
    GuaranteeDuplicatePackage,
    /// A guarantee dated after the block: $t > \tau'$ (GP (11.26)).
    GuaranteeFutureSlot,
    /// A report (re-signed) whose accumulation gas exceeds $\mathsf{G}_A$ (GP (11.30)).
    GuaranteeGasTooHigh,
}

impl WorkMutation {
    /// Every mutation.
    pub const ALL: [WorkMutation; 16] = [
        WorkMutation::AssuranceBadSignature,
        WorkMutation::AssuranceWrongAnchor,
        WorkMutation::AssuranceCoreNotEngaged,
        WorkMutation::AssurancesUnsorted,
        WorkMutation::AssuranceDuplicate,
        WorkMutation::GuaranteeBadSignature,
        WorkMutation::GuaranteeOneSignature,
        WorkMutation::GuaranteeUnassignedSigner,
        WorkMutation::GuaranteesOutOfOrder,
        WorkMutation::GuaranteeWrongAuthorizer,
        WorkMutation::GuaranteeAnchorNotRecent,
        WorkMutation::GuaranteeBadStateRoot,
        WorkMutation::GuaranteeCoreEngaged,
        WorkMutation::GuaranteeDuplicatePackage,
        WorkMutation::GuaranteeFutureSlot,
        WorkMutation::GuaranteeGasTooHigh,
    ];

    /// The mutation's name (kebab-case).
    pub const fn name(self) -> &'static str {
        match self {
            WorkMutation::AssuranceBadSignature => "assurance-bad-signature",
            WorkMutation::AssuranceWrongAnchor => "assurance-wrong-anchor",
            WorkMutation::AssuranceCoreNotEngaged => "assurance-core-not-engaged",
            WorkMutation::AssurancesUnsorted => "assurances-unsorted",
            WorkMutation::AssuranceDuplicate => "assurance-duplicate",
            WorkMutation::GuaranteeBadSignature => "guarantee-bad-signature",
            WorkMutation::GuaranteeOneSignature => "guarantee-one-signature",
            WorkMutation::GuaranteeUnassignedSigner => "guarantee-unassigned-signer",
            WorkMutation::GuaranteesOutOfOrder => "guarantees-out-of-order",
            WorkMutation::GuaranteeWrongAuthorizer => "guarantee-wrong-authorizer",
            WorkMutation::GuaranteeAnchorNotRecent => "guarantee-anchor-not-recent",
            WorkMutation::GuaranteeBadStateRoot => "guarantee-bad-state-root",
            WorkMutation::GuaranteeCoreEngaged => "guarantee-core-engaged",
            WorkMutation::GuaranteeDuplicatePackage => "guarantee-duplicate-package",
            WorkMutation::GuaranteeFutureSlot => "guarantee-future-slot",
            WorkMutation::GuaranteeGasTooHigh => "guarantee-gas-too-high",
        }
    }

    /// `extrinsic` (valid for a block at `ctx`) with this rule broken, or `None` when it does
    /// not apply (no assurance or guarantee to break, no free or engaged core, no key).
    pub fn apply(
        self,
        extrinsic: &Extrinsic,
        ctx: &BlockContext<'_>,
        rng: &mut Rng,
    ) -> Option<Extrinsic> {
        let env = Env::new(ctx, &extrinsic.disputes);
        let mut x = extrinsic.clone();
        let na = x.assurances.len();
        let ng = x.guarantees.len();
        match self {
            WorkMutation::AssuranceBadSignature => {
                let a = x.assurances.get_mut(rng.index(na))?;
                a.signature[rng.index(64)] ^= 1 << rng.below(8);
            }
            WorkMutation::AssuranceWrongAnchor => {
                let i = rng.index(na);
                let a = x.assurances.get(i)?;
                // An older block of the chain, or any hash.
                let history = &ctx.parent.components.beta.history;
                let anchor = match history.len().checked_sub(2).and_then(|j| history.get(j)) {
                    Some(b) if rng.chance(0.5) => b.header_hash,
                    _ => rng.bytes32(),
                };
                let cores: Vec<usize> =
                    marmalade_stf::assurances::assured_cores(&a.bitfield).collect();
                x.assurances[i] = env
                    .assure(usize::from(a.validator_index), &anchor, &cores)
                    .ok()??;
            }
            WorkMutation::AssuranceCoreNotEngaged => {
                let free: Vec<usize> = (0..ctx.spec.cores)
                    .filter(|&c| env.rho_dagger.get(c).is_some_and(Option::is_none))
                    .collect();
                let core = *free.get(rng.index(free.len()))?;
                let assurers = env.assurers();
                let v = *assurers.get(rng.index(assurers.len()))?;
                let mut cores: Vec<usize> = x
                    .assurances
                    .iter()
                    .find(|a| usize::from(a.validator_index) == v)
                    .map(|a| marmalade_stf::assurances::assured_cores(&a.bitfield).collect())
                    .unwrap_or_default();
                cores.push(core);
                let a = env.assure(v, &ctx.parent_hash, &cores).ok()??;
                x.assurances
                    .retain(|b| b.validator_index != a.validator_index);
                let at = x
                    .assurances
                    .partition_point(|b| b.validator_index < a.validator_index);
                x.assurances.insert(at, a);
            }
            WorkMutation::AssurancesUnsorted => {
                if na < 2 {
                    return None;
                }
                let i = rng.index(na - 1);
                let j = i + 1 + rng.index(na - i - 1);
                x.assurances.swap(i, j);
            }
            WorkMutation::AssuranceDuplicate => {
                let i = rng.index(na);
                let a = x.assurances.get(i)?.clone();
                // E_A holds at most V assurances (GP (11.10)): a full extrinsic gets the copy
                // in place of a neighbour, so that only the uniqueness rule is broken.
                if na < ctx.spec.validators {
                    x.assurances.insert(i + 1, a);
                } else if i + 1 < na {
                    x.assurances[i + 1] = a;
                } else {
                    x.assurances[i.checked_sub(1)?] = a;
                }
            }
            WorkMutation::GuaranteeBadSignature => {
                let g = x.guarantees.get_mut(rng.index(ng))?;
                let n = g.signatures.len();
                let s = g.signatures.get_mut(rng.index(n))?;
                s.signature[rng.index(64)] ^= 1 << rng.below(8);
            }
            WorkMutation::GuaranteeOneSignature => {
                let g = x.guarantees.get_mut(rng.index(ng))?;
                let keep = *g.signatures.get(rng.index(g.signatures.len()))?;
                g.signatures = vec![keep];
            }
            WorkMutation::GuaranteeUnassignedSigner => {
                let i = rng.index(ng);
                let g = x.guarantees.get(i)?;
                let m = env.assignments(g.slot);
                let core = g.report.core_index;
                let others: Vec<usize> = (0..ctx.spec.validators)
                    .filter(|&v| {
                        m.get(v).is_some_and(|(c, k)| {
                            c != core && k.is_some_and(|k| env.held.contains_key(&k))
                        })
                    })
                    .collect();
                let other = *others.get(rng.index(others.len()))? as ValidatorIndex;
                let mut signers: Vec<ValidatorIndex> =
                    g.signatures.iter().map(|s| s.validator_index).collect();
                let replaced = rng.index(signers.len());
                signers[replaced] = other;
                x.guarantees[i] = env
                    .sign_guarantee(g.report.clone(), g.slot, &signers)
                    .ok()?;
            }
            WorkMutation::GuaranteesOutOfOrder => {
                if ng < 2 {
                    return None;
                }
                x.guarantees.reverse();
            }
            WorkMutation::GuaranteeWrongAuthorizer => {
                let i = rng.index(ng);
                let g = x.guarantees.get(i)?;
                let mut report = g.report.clone();
                report.authorizer_hash = rng.bytes32();
                x.guarantees[i] = env.resign(g, report)?;
            }
            WorkMutation::GuaranteeAnchorNotRecent => {
                let i = rng.index(ng);
                let g = x.guarantees.get(i)?;
                let mut report = g.report.clone();
                report.context.anchor = rng.bytes32();
                x.guarantees[i] = env.resign(g, report)?;
            }
            WorkMutation::GuaranteeBadStateRoot => {
                let i = rng.index(ng);
                let g = x.guarantees.get(i)?;
                let mut report = g.report.clone();
                report.context.state_root[rng.index(32)] ^= 1 << rng.below(8);
                x.guarantees[i] = env.resign(g, report)?;
            }
            WorkMutation::GuaranteeCoreEngaged => {
                let g = x.guarantees.get(rng.index(ng))?;
                let engaged = env.rho_ddagger(&x.assurances);
                let cores: Vec<usize> = (0..ctx.spec.cores).filter(|&c| engaged[c]).collect();
                let core = *cores.get(rng.index(cores.len()))? as CoreIndex;
                let signers = env.guarantors(&env.assignments(g.slot), core);
                if signers.len() < 2 {
                    return None;
                }
                let mut report = g.report.clone();
                report.core_index = core;
                let g = env.sign_guarantee(report, g.slot, &signers[..2]).ok()?;
                x.guarantees = vec![g];
            }
            WorkMutation::GuaranteeDuplicatePackage => {
                let g = x.guarantees.get(rng.index(ng))?.clone();
                let engaged = env.rho_ddagger(&x.assurances);
                let used: HashSet<CoreIndex> =
                    x.guarantees.iter().map(|g| g.report.core_index).collect();
                let m = env.assignments(g.slot);
                let cores: Vec<CoreIndex> = (0..ctx.spec.cores)
                    .filter(|&c| !engaged[c] && !used.contains(&(c as CoreIndex)))
                    .map(|c| c as CoreIndex)
                    .filter(|&c| env.guarantors(&m, c).len() >= 2)
                    .collect();
                let core = *cores.get(rng.index(cores.len()))?;
                let signers = env.guarantors(&m, core);
                let mut report = g.report.clone();
                report.core_index = core;
                let copy = env.sign_guarantee(report, g.slot, &signers[..2]).ok()?;
                let at = x.guarantees.partition_point(|h| h.report.core_index < core);
                x.guarantees.insert(at, copy);
            }
            WorkMutation::GuaranteeFutureSlot => {
                let g = x.guarantees.get_mut(rng.index(ng))?;
                g.slot = ctx.slot.checked_add(1 + rng.below(3) as u32)?;
            }
            WorkMutation::GuaranteeGasTooHigh => {
                let i = rng.index(ng);
                let g = x.guarantees.get(i)?;
                let mut report = g.report.clone();
                let d = report.results.first_mut()?;
                d.accumulate_gas = d
                    .accumulate_gas
                    .checked_add(ctx.spec.report_accumulate_gas)?;
                x.guarantees[i] = env.resign(g, report)?;
            }
        }
        (x != *extrinsic).then_some(x)
    }
}

impl std::fmt::Display for WorkMutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
