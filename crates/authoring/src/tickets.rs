//! Safrole tickets (GP (6.29)–(6.35)): a validator's ring-VRF tickets for the next epoch's
//! sealing contest, and the choice of which go into a block's tickets extrinsic.

use crate::{safrole_posterior, AuthoringError, ValidatorKeys};
use marmalade_crypto::bandersnatch::{self, RingProver};
use marmalade_state::StateReader;
use marmalade_types::{
    BandersnatchPublic, ChainSpec, TicketAttempt, TicketEnvelope, TicketId, TimeSlot,
};

/// A ticket with its identifier: the envelope goes into $\mathbf{E}_T$, the identifier
/// $\mathcal{Y}(p)$ is what the contest ranks (GP (6.31)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// $y$: the ticket identifier, the proof's VRF output.
    pub id: TicketId,
    /// $(e, p)$: the entry index and the ring proof.
    pub envelope: TicketEnvelope,
}

/// The tickets of `keys` that a block at `slot` on `parent_state` may carry, one per entry
/// index $e \in \mathbb{N}_\mathsf{N}$ (GP (6.29)): each a ring VRF proof over the ring
/// $\gamma'_Z$ of the posterior pending keys $\gamma'_P$, with input $\mathsf{X}_T \frown
/// \eta'_2 \frown e$ and no aux data. The keys must be in $\gamma'_P$ (the validators of the
/// next epoch are the ones contesting its slots).
pub fn make_tickets(
    spec: &ChainSpec,
    parent_state: &dyn StateReader,
    slot: TimeSlot,
    keys: &ValidatorKeys,
) -> Result<Vec<Ticket>, AuthoringError> {
    let c = parent_state.components();
    c.check_shape(spec)
        .map_err(AuthoringError::BadParentState)?;
    let saf = safrole_posterior(spec, c, &c.psi.offenders, slot, &[])?;
    let ring: Vec<BandersnatchPublic> = saf.gamma_p.iter().map(|k| k.bandersnatch).collect();
    let public = keys.bandersnatch_public();
    let index = ring
        .iter()
        .position(|k| *k == public)
        .ok_or(AuthoringError::NotInPendingSet)?;
    let prover = RingProver::new(&ring, index).map_err(AuthoringError::Ring)?;
    let eta2 = &saf.eta[2];
    Ok((0..spec.tickets_per_validator)
        .map(|attempt: TicketAttempt| {
            let input = bandersnatch::ticket_seal_input(eta2, attempt);
            Ticket {
                id: keys.bandersnatch.vrf_output(&input),
                envelope: TicketEnvelope {
                    attempt,
                    signature: prover.prove(&keys.bandersnatch, &input, &[]),
                },
            }
        })
        .collect())
}

/// Which of `tickets` a block at `slot` on `parent_state` carries: none in the epoch's tail
/// ($m' \ge \mathsf{Y}$, GP (6.30)); otherwise those not already in the accumulator
/// (GP (6.33)) that would be kept among its $\mathsf{E}$ lowest (GP (6.34)–(6.35)), lowest
/// first, at most $\mathsf{K}$ (GP (6.30)), in identifier order without duplicates
/// (GP (6.32)). On a new epoch the accumulator starts empty (GP (6.34)).
pub fn select_tickets(
    spec: &ChainSpec,
    parent_state: &dyn StateReader,
    slot: TimeSlot,
    tickets: &[Ticket],
) -> Vec<TicketEnvelope> {
    if spec.slot_phase(slot) >= spec.ticket_submission_end {
        return Vec::new();
    }
    let c = parent_state.components();
    let new_epoch = spec.epoch_of(slot) > spec.epoch_of(c.tau);
    let base: &[marmalade_types::TicketBody] = if new_epoch { &[] } else { &c.gamma_a };
    let mut fresh: Vec<&Ticket> = tickets
        .iter()
        .filter(|t| base.binary_search_by(|x| x.id.cmp(&t.id)).is_err())
        .collect();
    fresh.sort_by_key(|t| t.id);
    fresh.dedup_by_key(|t| t.id);
    // A new ticket is kept iff fewer than E tickets (accumulated or new) rank below it.
    let epoch_len = spec.epoch_len();
    fresh
        .iter()
        .enumerate()
        .filter(|(rank, t)| {
            let below = base.partition_point(|x| x.id < t.id);
            below + rank < epoch_len
        })
        .map(|(_, t)| t.envelope)
        .take(spec.max_tickets_per_extrinsic)
        .collect()
}
