//! Block import: the state-transition function $\Upsilon(\sigma, \mathbf{B})$ (GP (4.1)),
//! the subsystems of GP sections 6–13 composed in the order of the GP's dependency graph
//! (GP section 4, (4.5)), with the header's own rules (GP section 5, 6.4).
//!
//! The order, and what each step reads:
//! 1. the header against the prior state: parent hash (the last entry of $\beta_H$), prior
//!    state root, timeslot $\mathbf{H}_T > \tau$, author index, extrinsic hash $\mathbf{H}_X$
//!    (GP (5.2)–(5.9));
//! 2. disputes: $\psi'$, $\rho^\dagger$ and the offenders marker (GP (10.15)–(10.20));
//! 3. Safrole, with the posterior offenders $\psi'_O$: $\tau'$, $\eta'$, $\kappa'$,
//!    $\lambda'$, $\gamma'$ and the epoch and winning-tickets markers (GP section 6); then the
//!    three markers must be the header's (GP (6.27)–(6.28), (10.20)), and the seal and entropy
//!    source must verify under $\kappa'$, $\gamma'_S$ and $\eta'_3$ (GP (6.15)–(6.17)), which
//!    is checked in parallel with steps 4–6;
//! 4. assurances on $\rho^\dagger$: $\rho^\ddagger$ and the available reports $\mathbf{R}$
//!    (GP (11.10)–(11.17));
//! 5. guarantees on $\rho^\ddagger$ with $\beta_H^\dagger$: $\rho'$, the reported packages and
//!    the reporters $\mathcal{G}$ (GP (11.18)–(11.43)); with an ancestry, the lookup anchors
//!    (GP (11.35));
//! 6. the preimages extrinsic against the prior accounts $\delta$ (GP (12.35)–(12.37));
//! 7. accumulation of $\mathbf{R}$: $\omega'$, $\xi'$, $\delta^\ddagger$, $\chi'$,
//!    $\iota'$, $\varphi'$, $\theta'$ and the accumulation statistics (GP section 12);
//! 8. recent history $\beta'$ with the accumulation root (GP (7.5)–(7.8));
//! 9. the authorizer pools $\alpha'$ from $\varphi'$ (GP (8.2)–(8.3));
//! 10. the preimages integrated into $\delta^\ddagger$, giving $\delta'$ (GP (12.38));
//! 11. the statistics $\pi'$ (GP section 13).
//!
//! Every check comes before any effect that could not be undone, and the prior state is only
//! read: a failing block leaves it as it was.

mod error;
pub mod header;

pub use error::BlockError;

pub use header::{check_seal, extrinsic_hash, header_hash};

use marmalade_accumulation::{
    accumulate_block, output_root, Accounts, AccumulationError, BlockAccumulation, CodeCache, Env,
    PartialState,
};
use marmalade_crypto::bandersnatch;
use marmalade_state::{AccumulationOutput, Components, StateChanges, StateReader};
use marmalade_stf::statistics::{self, BlockActivity};
use marmalade_stf::{assurances, authorizations, disputes, history, preimages, reports, safrole};
use marmalade_types::{
    AvailabilityAssignments, Block, BlockInfo, ChainSpec, Ed25519Public, Hash, ReportedWorkPackage,
    ServiceId, ServiceInfo, Statistics, TimeSlot, WorkPackageHash, WorkReport,
};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// $\Upsilon(\sigma, \mathbf{B})$ (GP (4.1)) as changes: imports `block` on the state `prior`
/// whose Merkle root is `prior_root` (the block's $\mathbf{H}_R$ must equal it) and returns
/// what the block changes. The prior state is only read, through [`StateReader`]; nothing of
/// it is copied but the components the block rewrites.
///
/// `ancestry` is the chain of recent `(slot, header hash)` pairs ending at the parent, for
/// the lookup-anchor check (GP (11.35)); `None` skips that check (the fuzz protocol without
/// the ancestry feature). `cache` keeps decoded service code by code hash, across blocks and
/// forks.
pub fn import_block(
    spec: &ChainSpec,
    prior: &dyn StateReader,
    prior_root: &Hash,
    block: &Block,
    ancestry: Option<&[(TimeSlot, Hash)]>,
    cache: &CodeCache,
) -> Result<StateChanges, BlockError> {
    let header = &block.header;
    let xt = &block.extrinsic;
    let slot = header.slot;
    let c = prior.components();
    c.check_shape(spec).map_err(BlockError::BadPriorState)?;

    // 1. The header against the prior state.
    // GP (5.2), (7.8): H_P is the hash of the parent, the last block recent history recorded.
    // (A state with no history, before the first block, has nothing to compare with.)
    if let Some(last) = c.beta.history.last() {
        if last.header_hash != header.parent {
            return Err(BlockError::BadParentHash {
                expected: last.header_hash,
                found: header.parent,
            });
        }
    }
    // GP (5.8): H_R = M_σ(σ).
    if header.parent_state_root != *prior_root {
        return Err(BlockError::BadParentStateRoot {
            expected: *prior_root,
            found: header.parent_state_root,
        });
    }
    // GP (5.7): P(H)_T < H_T. (H_T · P ≤ wall clock needs a clock; the importer has none.)
    if slot <= c.tau {
        return Err(BlockError::BadSlot { prior: c.tau, slot });
    }
    // GP (5.9): H_I ∈ N_V.
    if usize::from(header.author_index) >= spec.validators {
        return Err(BlockError::BadAuthorIndex(header.author_index));
    }
    // GP (5.4).
    let xt_hash = extrinsic_hash(xt);
    if xt_hash != header.extrinsic_hash {
        return Err(BlockError::BadExtrinsicHash {
            expected: xt_hash,
            found: header.extrinsic_hash,
        });
    }

    // 2. Disputes: ψ', ρ† and H_O. An empty extrinsic changes nothing (no verdict, no
    // offender), so the projection is skipped.
    let disputed = &xt.disputes;
    let (psi, rho_dagger, offenders_mark) = if disputed.verdicts.is_empty()
        && disputed.culprits.is_empty()
        && disputed.faults.is_empty()
    {
        (Cow::Borrowed(&c.psi), Cow::Borrowed(&c.rho), Vec::new())
    } else {
        let post = disputes::transition(spec, &disputes::Prior::of(c), disputed)
            .map_err(BlockError::Disputes)?;
        (
            Cow::Owned(post.psi),
            Cow::Owned(post.rho),
            post.offenders_mark,
        )
    };
    // GP (10.20).
    if header.offenders_mark != offenders_mark {
        return Err(BlockError::BadOffendersMark);
    }

    // 3. Safrole, fed Y(H_V): the output is read here and the signature verified below, once
    // κ', γ'_S and η'_3 are known (the entropy source signs the seal's output, GP (6.17)).
    let entropy =
        bandersnatch::vrf_output(&header.entropy_source).ok_or(BlockError::BadEntropySource)?;
    let saf = safrole::transition(
        spec,
        &safrole::Prior::of(c, &psi.offenders),
        slot,
        &entropy,
        &xt.tickets,
    )
    .map_err(BlockError::Safrole)?;
    // GP (6.27)–(6.28).
    if header.epoch_mark != saf.epoch_mark {
        return Err(BlockError::BadEpochMark);
    }
    if header.tickets_mark != saf.tickets_mark {
        return Err(BlockError::BadTicketsMark);
    }
    // GP (6.15)–(6.17), checked side by side with the extrinsic and accumulation (steps 4–7),
    // which do not depend on it: on a block that accumulates much, the seal costs nothing.
    // The errors keep the order of the steps: an extrinsic error first (the seal signs H_X,
    // so a block with a broken extrinsic and a matching H_X has a broken seal too unless its
    // author signed it, and naming the extrinsic's rule is the more useful diagnosis), then
    // the seal, then accumulation.
    let (seal, checked) = rayon::join(
        || check_seal(spec, header, saf.kappa, &saf.gamma_s, &saf.eta[3]),
        || {
            let (mut checked, accounts) = check_extrinsic(
                spec,
                prior,
                block,
                ancestry,
                rho_dagger,
                &saf,
                &psi.offenders,
            )?;
            let env = Env {
                slot,
                entropy: saf.eta[0],
            };
            let acc = accumulate(spec, c, env, cache, &mut checked, accounts);
            Ok::<_, BlockError>((checked, acc))
        },
    );
    let (
        Checked {
            available,
            rho_post,
            reported,
            reporters,
            history_dagger,
            mut post,
            provisions,
        },
        acc,
    ) = checked?;
    seal?;
    let acc = acc.map_err(BlockError::Accumulate)?;
    let accumulate_root = output_root(&acc.outputs);
    let mut accounts = acc.state.accounts;
    post.iota = acc.state.staging_set;
    post.phi = acc.state.auth_queue;
    post.chi = acc.state.privileges;
    post.omega = acc.ready_queue;
    post.xi = acc.accumulated;
    post.theta = acc
        .outputs
        .iter()
        .map(|&(service, hash)| AccumulationOutput { service, hash })
        .collect();

    // 8. β' (GP (7.7)–(7.8)).
    post.beta = history::append_block(
        &history_dagger,
        &c.beta.mmr,
        header_hash(header),
        accumulate_root,
        &reported,
    );

    // 9. α' from α and φ' (GP (8.2)–(8.3)).
    post.alpha = authorizations::transition(
        &c.alpha,
        &post.phi,
        slot,
        &authorizations::core_authorizers(&xt.guarantees),
    );

    // 10. δ' = I(δ‡, E_P) (GP (12.38)).
    preimages::integrate(&mut accounts, &provisions, slot);
    let (account_changes, item_changes) = accounts.into_changes();

    // The Safrole, disputes and reports components.
    saf.write(&mut post);
    post.psi = psi.into_owned();
    post.rho = rho_post;

    // 11. π' (GP (13.3)–(13.16)): validator records with the reporters G, and this block's
    // core and service records.
    let activity = BlockActivity {
        slot,
        author_index: header.author_index,
        extrinsic: xt,
        reporters: &reporters,
    };
    let (vals_curr, vals_last) = statistics::validator_statistics(
        spec,
        c.tau,
        &c.pi.vals_curr,
        &c.pi.vals_last,
        &post.kappa,
        &activity,
    );
    let incoming = || xt.guarantees.iter().map(|g| &g.report);
    post.pi = Statistics {
        vals_curr,
        vals_last,
        cores: statistics::core_statistics(spec, incoming(), &available, &xt.assurances),
        services: statistics::service_statistics(incoming(), &xt.preimages, &acc.statistics),
    };
    let mut changes = StateChanges::with_components(c, post);
    changes.accounts = account_changes;
    changes.items = item_changes;
    Ok(changes)
}

/// Step 7 of [`import_block`]: accumulation of $\mathbf{R}$ (GP (12.18)–(12.29)), with
/// $\eta'_0$ in `env` for new service indices, on $\delta$ (`accounts`) and the $\iota'$,
/// $\varphi'$ and $\chi'$ taken out of `checked.post`. Its error is reported only after the
/// seal's.
fn accumulate<'p>(
    spec: &ChainSpec,
    c: &Components,
    env: Env,
    cache: &CodeCache,
    checked: &mut Checked<'_>,
    accounts: Accounts<'p>,
) -> Result<BlockAccumulation<'p>, AccumulationError> {
    let post = &mut checked.post;
    let partial = PartialState {
        accounts,
        staging_set: std::mem::take(&mut post.iota),
        auth_queue: std::mem::take(&mut post.phi),
        privileges: std::mem::take(&mut post.chi),
    };
    accumulate_block(
        spec,
        env,
        c.tau,
        &c.omega,
        &c.xi,
        partial,
        &checked.available,
        cache,
    )
}

/// What the extrinsic's checks (steps 4–6 of [`import_block`]) produce.
struct Checked<'a> {
    /// $\mathbf{R}$: the reports that became available.
    available: Vec<WorkReport>,
    /// $\rho'$.
    rho_post: AvailabilityAssignments,
    /// The packages the guarantees report, for $\beta'$.
    reported: Vec<ReportedWorkPackage>,
    /// $\mathcal{G}$.
    reporters: BTreeSet<Ed25519Public>,
    /// $\beta_H^\dagger$.
    history_dagger: Vec<BlockInfo>,
    /// The posterior components as far as they are built: the prior ones.
    post: Components,
    /// The checked items of $\mathbf{E}_P$.
    provisions: Vec<preimages::Provision<'a>>,
}

/// Steps 4–6 of [`import_block`]: assurances on $\rho^\dagger$, guarantees on
/// $\rho^\ddagger$ (and their lookup anchors against `ancestry`), and the preimages against
/// the prior accounts; with the copy of the prior components that becomes the posterior, and
/// δ as an overlay of the prior accounts for accumulation.
fn check_extrinsic<'a, 'p>(
    spec: &ChainSpec,
    prior: &'p dyn StateReader,
    block: &'a Block,
    ancestry: Option<&[(TimeSlot, Hash)]>,
    rho_dagger: Cow<'_, AvailabilityAssignments>,
    saf: &safrole::Posterior<'_>,
    offenders: &[Ed25519Public],
) -> Result<(Checked<'a>, Accounts<'p>), BlockError> {
    let header = &block.header;
    let xt = &block.extrinsic;
    let c = prior.components();

    // 4. Assurances: ρ‡ and R. The signatures are by κ (GP (11.13) names the prior set).
    let asr = assurances::transition(
        spec,
        &rho_dagger,
        &c.kappa,
        header.slot,
        &header.parent,
        &xt.assurances,
    )
    .map_err(BlockError::Assurances)?;

    // 5. Guarantees, against β_H† (GP (7.5)) and the posterior keys and entropy.
    let history_dagger = history::fix_parent_state_root(&c.beta.history, header.parent_state_root);
    let (rho_post, reported, reporters) = if xt.guarantees.is_empty() {
        // No guarantee: nothing to check, ρ' = ρ‡.
        (asr.rho, Vec::new(), BTreeSet::new())
    } else {
        let out = guarantees(
            spec,
            prior,
            block,
            &asr.rho,
            saf,
            offenders,
            &history_dagger,
        )?;
        if let Some(ancestry) = ancestry {
            check_lookup_anchors(block, ancestry)?;
        }
        let mut rho = asr.rho;
        reports::place(out.assigned, &mut rho);
        (rho, out.reported, out.reporters)
    };

    // The posterior components start as a copy of the prior ones; δ is read through the
    // prior state and changed over it (nothing of it is copied).
    let post = c.clone();
    let accounts = Accounts::new(prior);

    // 6. GP (12.35)–(12.37): the preimages are checked against the prior accounts δ.
    let provisions = preimages::check(&accounts, &xt.preimages).map_err(BlockError::Preimages)?;

    Ok((
        Checked {
            available: asr.available,
            rho_post,
            reported,
            reporters,
            history_dagger,
            post,
            provisions,
        },
        accounts,
    ))
}

/// The guarantees transition (GP (11.18)–(11.43)) on what it reads: $\rho^\ddagger$,
/// $\kappa'$, $\lambda'$, $\eta'$, $\psi'_O$, $\beta^\dagger$, $\alpha$, the accounts the
/// reports name, and the packages already in the pipeline.
fn guarantees(
    spec: &ChainSpec,
    prior: &dyn StateReader,
    block: &Block,
    rho_ddagger: &AvailabilityAssignments,
    saf: &safrole::Posterior<'_>,
    offenders: &[Ed25519Public],
    history_dagger: &[BlockInfo],
) -> Result<reports::Posterior, BlockError> {
    let xt = &block.extrinsic;
    // Only the named services' infos: the check needs their code hash and minimum gas, and
    // a missing one is `bad_service_id` either way.
    let named: BTreeSet<_> = xt
        .guarantees
        .iter()
        .flat_map(|g| g.report.results.iter().map(|d| d.service_id))
        .collect();
    let accounts: BTreeMap<ServiceId, ServiceInfo> = named
        .into_iter()
        .filter_map(|id| prior.service_info(id).map(|info| (id, info)))
        .collect();
    let known = known_packages(prior.components());
    let pre = reports::Prior {
        rho: rho_ddagger,
        kappa: saf.kappa,
        lambda: saf.lambda,
        eta: &saf.eta,
        offenders,
        beta_h: history_dagger,
        alpha: &prior.components().alpha,
        accounts: &accounts,
        known_packages: &known,
    };
    reports::transition(spec, &pre, block.header.slot, &xt.guarantees).map_err(BlockError::Reports)
}

/// The packages in the pipeline other than recent history's (GP (11.38)): accumulated
/// ($\xi$), waiting in the ready queue ($\omega$), or pending availability ($\rho$).
fn known_packages(c: &Components) -> Vec<WorkPackageHash> {
    let accumulated = c.xi.iter().flatten().copied();
    let ready = c.omega.iter().flatten().map(|r| r.report.package_spec.hash);
    let pending = c.rho.iter().flatten().map(|a| a.report.package_spec.hash);
    accumulated.chain(ready).chain(pending).collect()
}

/// GP (11.35): every report's lookup anchor is a known ancestor, by slot and header hash.
fn check_lookup_anchors(block: &Block, ancestry: &[(TimeSlot, Hash)]) -> Result<(), BlockError> {
    for g in &block.extrinsic.guarantees {
        let x = &g.report.context;
        if !ancestry
            .iter()
            .any(|(t, h)| *t == x.lookup_anchor_slot && *h == x.lookup_anchor)
        {
            return Err(BlockError::LookupAnchorNotAncestor {
                hash: x.lookup_anchor,
                slot: x.lookup_anchor_slot,
            });
        }
    }
    Ok(())
}
