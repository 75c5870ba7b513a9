//! Structure-aware mutations of a valid block, each making a block that a correct node must
//! reject, its state left as it was (GP (4.1): only a valid block has a posterior state).
//!
//! Header mutations are not re-sealed: the seal $\mathbf{H}_S$ signs $\mathcal{E}_U(\mathbf{H})$
//! (GP (6.15)–(6.16)), so each also breaks the seal; a node may report either fault. Ticket
//! mutations recompute the extrinsic hash $\mathbf{H}_X$ (GP (5.4)) so that a node checking
//! the extrinsic before the seal reaches the ticket rules (GP (6.29)–(6.32)); dropping an
//! extrinsic element keeps $\mathbf{H}_X$, which then no longer matches.

use crate::extrinsics::disputes::DisputeMutation;
use crate::extrinsics::preimages::PreimageMutation;
use crate::extrinsics::work::WorkMutation;
use crate::rng::Rng;
use marmalade_chain::extrinsic_hash;
use marmalade_types::{Block, ChainSpec, EpochMark, HeaderHash, TicketsMark, TimeSlot};

/// A kind of mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MutationKind {
    /// $\mathbf{H}_T$ not after the parent's slot (GP (5.7)).
    SlotNotAfterParent,
    /// $\mathbf{H}_T$ far in the future (its seal key and markers are another slot's).
    SlotFarFuture,
    /// $\mathbf{H}_P$ an unknown hash or another known block (GP (5.2)).
    ParentHash,
    /// $\mathbf{H}_R$ not the parent's posterior root (GP (5.8)).
    ParentStateRoot,
    /// $\mathbf{H}_X$ not the extrinsic's hash (GP (5.4)).
    ExtrinsicHash,
    /// $\mathbf{H}_I$ another validator (GP (5.9), (6.15)–(6.16)).
    AuthorIndex,
    /// A bit of $\mathbf{H}_S$ flipped (GP (6.15)–(6.16)).
    Seal,
    /// A bit of $\mathbf{H}_V$ flipped (GP (6.17)).
    EntropySource,
    /// $\mathbf{H}_E$ dropped when due, or added when not (GP (6.27)).
    EpochMark,
    /// $\mathbf{H}_W$ dropped when due, or added when not (GP (6.28)).
    TicketsMark,
    /// An offender in $\mathbf{H}_O$ no verdict names (GP (10.20)).
    OffendersMark,
    /// Two tickets swapped out of identifier order (GP (6.32)).
    TicketsOrder,
    /// A ticket repeated (GP (6.32)).
    TicketDuplicate,
    /// A bit of a ticket's ring proof flipped (GP (6.29)).
    TicketBadProof,
    /// A ticket's entry index out of $\mathbb{N}_\mathsf{N}$ (GP (6.29)).
    TicketAttempt,
    /// A ticket dropped from the extrinsic, $\mathbf{H}_X$ kept (GP (5.4)).
    ExtrinsicElementDropped,
    /// A guarantee or assurance broken, the block re-sealed around it (GP section 11).
    Work(WorkMutation),
    /// A preimage broken, the block re-sealed around it (GP (12.35)–(12.38)).
    Preimage(PreimageMutation),
    /// A dispute broken, the block re-sealed around it (GP (10.2)–(10.14)).
    Dispute(DisputeMutation),
}

impl MutationKind {
    /// The kinds [`mutate`] applies to a block alone (header and tickets; not re-sealed).
    pub const BLOCK: [MutationKind; 16] = [
        MutationKind::SlotNotAfterParent,
        MutationKind::SlotFarFuture,
        MutationKind::ParentHash,
        MutationKind::ParentStateRoot,
        MutationKind::ExtrinsicHash,
        MutationKind::AuthorIndex,
        MutationKind::Seal,
        MutationKind::EntropySource,
        MutationKind::EpochMark,
        MutationKind::TicketsMark,
        MutationKind::OffendersMark,
        MutationKind::TicketsOrder,
        MutationKind::TicketDuplicate,
        MutationKind::TicketBadProof,
        MutationKind::TicketAttempt,
        MutationKind::ExtrinsicElementDropped,
    ];

    /// Every kind: [`MutationKind::BLOCK`], then the extrinsic kinds, which need the block's
    /// context and a new seal ([`crate::Generator::with_extrinsic`]).
    pub fn all() -> Vec<MutationKind> {
        MutationKind::BLOCK
            .into_iter()
            .chain(WorkMutation::ALL.map(MutationKind::Work))
            .chain(PreimageMutation::ALL.map(MutationKind::Preimage))
            .chain(DisputeMutation::ALL.map(MutationKind::Dispute))
            .collect()
    }

    /// The kind named `name` ([`MutationKind::name`]).
    pub fn from_name(name: &str) -> Option<MutationKind> {
        MutationKind::all().into_iter().find(|k| k.name() == name)
    }

    /// A short `kebab-case` name, for reports and file names.
    pub const fn name(self) -> &'static str {
        match self {
            MutationKind::Work(m) => m.name(),
            MutationKind::Preimage(m) => m.name(),
            MutationKind::Dispute(m) => m.name(),
            MutationKind::SlotNotAfterParent => "slot-not-after-parent",
            MutationKind::SlotFarFuture => "slot-far-future",
            MutationKind::ParentHash => "parent-hash",
            MutationKind::ParentStateRoot => "parent-state-root",
            MutationKind::ExtrinsicHash => "extrinsic-hash",
            MutationKind::AuthorIndex => "author-index",
            MutationKind::Seal => "seal",
            MutationKind::EntropySource => "entropy-source",
            MutationKind::EpochMark => "epoch-mark",
            MutationKind::TicketsMark => "tickets-mark",
            MutationKind::OffendersMark => "offenders-mark",
            MutationKind::TicketsOrder => "tickets-order",
            MutationKind::TicketDuplicate => "ticket-duplicate",
            MutationKind::TicketBadProof => "ticket-bad-proof",
            MutationKind::TicketAttempt => "ticket-attempt",
            MutationKind::ExtrinsicElementDropped => "extrinsic-element-dropped",
        }
    }
}

impl std::fmt::Display for MutationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a mutation may draw on besides the block.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The parent's slot $\tau$.
    pub parent_slot: TimeSlot,
    /// Another known block than the parent (e.g. the grandparent), for a wrong $\mathbf{H}_P$.
    pub other_block: Option<HeaderHash>,
    /// A winning-tickets marker seen earlier, to add where none is due.
    pub tickets_mark: Option<TicketsMark>,
}

fn flip_bit(bytes: &mut [u8], rng: &mut Rng) {
    if bytes.is_empty() {
        return;
    }
    let i = rng.index(bytes.len());
    bytes[i] ^= 1 << rng.below(8);
}

/// `block` mutated by `kind`, or `None` when the kind does not apply to it (ticket kinds on a
/// block without tickets, a tickets marker to add with none seen yet, and the extrinsic
/// kinds, which [`crate::Generator::with_extrinsic`] applies).
pub fn mutate(
    kind: MutationKind,
    block: &Block,
    spec: &ChainSpec,
    ctx: &Context,
    rng: &mut Rng,
) -> Option<Block> {
    let mut b = block.clone();
    let h = &mut b.header;
    let tickets = &mut b.extrinsic.tickets;
    match kind {
        MutationKind::SlotNotAfterParent => {
            h.slot = ctx.parent_slot.saturating_sub(rng.below(2) as u32);
        }
        MutationKind::SlotFarFuture => {
            let far = spec.epoch_len() as u32 * (2 + rng.below(1000) as u32);
            h.slot = h.slot.checked_add(far)?;
        }
        MutationKind::ParentHash => match ctx.other_block {
            Some(other) if rng.chance(0.5) && other != h.parent => h.parent = other,
            _ => h.parent = rng.bytes32(),
        },
        MutationKind::ParentStateRoot => flip_bit(&mut h.parent_state_root, rng),
        MutationKind::ExtrinsicHash => flip_bit(&mut h.extrinsic_hash, rng),
        MutationKind::AuthorIndex => {
            let v = u16::try_from(spec.validators).ok()?;
            if v < 2 {
                return None;
            }
            let delta = 1 + rng.below(u64::from(v) - 1) as u16;
            h.author_index = ((u32::from(h.author_index) + u32::from(delta)) % u32::from(v)) as u16;
        }
        MutationKind::Seal => flip_bit(&mut h.seal, rng),
        MutationKind::EntropySource => flip_bit(&mut h.entropy_source, rng),
        MutationKind::EpochMark => {
            h.epoch_mark = match h.epoch_mark.take() {
                Some(_) => None,
                None => Some(EpochMark {
                    entropy: rng.bytes32(),
                    tickets_entropy: rng.bytes32(),
                    validators: vec![Default::default(); spec.validators],
                }),
            }
        }
        MutationKind::TicketsMark => {
            h.tickets_mark = match h.tickets_mark.take() {
                Some(_) => None,
                None => Some(ctx.tickets_mark.clone()?),
            }
        }
        MutationKind::OffendersMark => h.offenders_mark.push(rng.bytes32()),
        MutationKind::TicketsOrder => {
            if tickets.len() < 2 {
                return None;
            }
            let last = tickets.len() - 1;
            tickets.swap(0, last);
            h.extrinsic_hash = extrinsic_hash(&b.extrinsic);
        }
        MutationKind::TicketDuplicate => {
            let i = rng.index(tickets.len());
            let t = *tickets.get(i)?;
            if tickets.len() < spec.max_tickets_per_extrinsic {
                tickets.insert(i, t);
            } else {
                // A full extrinsic: overwrite a neighbour, so that the count stays within
                // $\mathsf{K}$ (GP (6.30)) and the duplicate is the only fault (decoders may
                // bound the sequence by $\mathsf{K}$).
                let j = if i + 1 < tickets.len() {
                    i + 1
                } else {
                    i.checked_sub(1)?
                };
                *tickets.get_mut(j)? = t;
            }
            h.extrinsic_hash = extrinsic_hash(&b.extrinsic);
        }
        MutationKind::TicketBadProof => {
            let i = rng.index(tickets.len());
            flip_bit(&mut tickets.get_mut(i)?.signature, rng);
            h.extrinsic_hash = extrinsic_hash(&b.extrinsic);
        }
        MutationKind::TicketAttempt => {
            let i = rng.index(tickets.len());
            let n = spec.tickets_per_validator;
            tickets.get_mut(i)?.attempt = n.saturating_add(rng.below(4) as u8);
            h.extrinsic_hash = extrinsic_hash(&b.extrinsic);
        }
        MutationKind::ExtrinsicElementDropped => {
            if tickets.is_empty() {
                return None;
            }
            let i = rng.index(tickets.len());
            tickets.remove(i);
        }
        MutationKind::Work(_) | MutationKind::Preimage(_) | MutationKind::Dispute(_) => {
            return None
        }
    }
    (b != *block).then_some(b)
}
