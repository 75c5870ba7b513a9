//! Block authoring (GP sections 5, 6): a block sealed over a parent state.
//!
//! [`Author::seal_block`] runs what block import runs before the seal (disputes for the
//! offenders marker, GP (10.20); Safrole for $\eta'$, $\kappa'$, $\gamma'_S$ and the epoch and
//! winning-tickets markers, GP (6.27)–(6.28)), then signs the entropy source and the seal the
//! way GP (6.15)–(6.17) checks them. [`slot_author`] tells which of a set of keys may seal a
//! slot; [`assurance`] signs an availability assurance (GP (11.10)–(11.13)); [`tickets`]
//! makes a validator's Safrole tickets and picks those a block carries (GP (6.29)–(6.35)).
//! The keys of JIP-5 (development keys included) are in [`keys`].

pub mod keys;
pub mod tickets;

pub use keys::{dev_key_set, dev_keys, trivial_seed, ValidatorKeys};
pub use tickets::{make_tickets, select_tickets, Ticket};

use marmalade_chain::extrinsic_hash;
use marmalade_crypto::bandersnatch;
use marmalade_state::{StateError, StateReader};
use marmalade_stf::{assurances, disputes, safrole};
use marmalade_types::{
    AvailAssurance, Block, ChainSpec, Extrinsic, Header, HeaderHash, StateRoot, TicketsOrKeys,
    TimeSlot, ValidatorIndex,
};

/// Why a block could not be authored.
#[derive(Debug, thiserror::Error)]
pub enum AuthoringError {
    /// The parent state's components do not have the chain's shape.
    #[error("malformed parent state: {0}")]
    BadParentState(StateError),
    /// The parent hash is not the last block the parent state's recent history records
    /// (GP (5.2), (7.8)): the block would not import on that state.
    #[error("parent hash does not match the parent state's last block")]
    ParentMismatch {
        /// The last header hash of $\beta_H$.
        expected: HeaderHash,
        /// The hash given.
        found: HeaderHash,
    },
    /// The disputes extrinsic is invalid (GP section 10).
    #[error("invalid disputes extrinsic: {0}")]
    Disputes(disputes::Error),
    /// The slot or the tickets extrinsic is invalid for Safrole (GP section 6).
    #[error("safrole: {0}")]
    Safrole(safrole::Error),
    /// These keys may not seal this slot: not in $\kappa'$, or neither the slot's fallback
    /// key nor the holder of its ticket (GP (6.15)–(6.16)).
    #[error("these keys may not seal slot {0}")]
    NotSlotAuthor(TimeSlot),
    /// These keys are not in the posterior pending set $\gamma'_P$, whose ring tickets are
    /// proven in (GP (6.29)).
    #[error("these keys are not in the pending validator set")]
    NotInPendingSet,
    /// The ring prover could not be built for $\gamma'_P$.
    #[error("ring: {0}")]
    Ring(bandersnatch::BandersnatchError),
    /// A validator index beyond $\mathsf{V}$.
    #[error("validator index {0} out of range")]
    BadValidatorIndex(ValidatorIndex),
    /// A core index beyond $\mathsf{C}$.
    #[error("core index {0} out of range")]
    BadCoreIndex(usize),
    /// An assurance bitfield of another length than $\lceil\mathsf{C}/8\rceil$ octets.
    #[error("bitfield of {found} octets, expected {expected}")]
    BadBitfield {
        /// $\lceil\mathsf{C}/8\rceil$.
        expected: usize,
        /// The length given.
        found: usize,
    },
}

/// A block author: a validator's secret keys.
#[derive(Clone, Debug)]
pub struct Author {
    /// The author's keys; its Bandersnatch key must be in $\kappa'$ to seal.
    pub keys: ValidatorKeys,
}

/// How a slot is sealed by a given key: the author index in $\kappa'$ and the seal's VRF
/// input (GP (6.15)–(6.16)).
struct SealRole {
    author_index: ValidatorIndex,
    input: Vec<u8>,
}

/// The seal role of `keys` in the Safrole posterior `saf` at `slot`, if they may seal it.
///
/// With $i = \gamma'_S[\mathbf{H}_T]^\circlearrowleft$: under tickets (GP (6.15)) the keys
/// must hold the ticket, that is their VRF output for $\mathsf{X}_T \frown \eta'_3 \frown
/// i_e$ is $i_y$; under fallback keys (GP (6.16)) their public key must be $i$. Either way
/// $\mathbf{H}_A = \kappa'[\mathbf{H}_I]_b$ (GP (5.9)), so the index is the key's place in
/// $\kappa'$.
fn seal_role(
    spec: &ChainSpec,
    saf: &safrole::Posterior<'_>,
    slot: TimeSlot,
    keys: &ValidatorKeys,
) -> Option<SealRole> {
    let public = keys.bandersnatch_public();
    let index = saf.kappa.iter().position(|k| k.bandersnatch == public)?;
    let author_index = ValidatorIndex::try_from(index).ok()?;
    let phase = spec.slot_phase(slot) as usize;
    let eta3 = &saf.eta[3];
    let input = match &*saf.gamma_s {
        TicketsOrKeys::Tickets(tickets) => {
            let ticket = tickets.get(phase)?;
            let input = bandersnatch::ticket_seal_input(eta3, ticket.attempt);
            (keys.bandersnatch.vrf_output(&input) == ticket.id).then_some(input)?
        }
        TicketsOrKeys::Keys(k) => {
            (k.get(phase) == Some(&public)).then(|| bandersnatch::fallback_seal_input(eta3))?
        }
    };
    Some(SealRole {
        author_index,
        input,
    })
}

/// The Safrole posterior of a block at `slot` with tickets `tickets` on `c`, the posterior
/// offenders being `offenders`. The entropy-source output only feeds $\eta'_0$, which
/// nothing the author signs depends on ($\gamma'_S$, $\kappa'$ and $\eta'_3$ do not, GP
/// (6.22)–(6.24)), so a placeholder stands for it.
pub(crate) fn safrole_posterior<'a>(
    spec: &ChainSpec,
    c: &'a marmalade_state::Components,
    offenders: &'a [marmalade_types::Ed25519Public],
    slot: TimeSlot,
    tickets: &[marmalade_types::TicketEnvelope],
) -> Result<safrole::Posterior<'a>, AuthoringError> {
    safrole::transition(
        spec,
        &safrole::Prior::of(c, offenders),
        slot,
        &[0; 32],
        tickets,
    )
    .map_err(AuthoringError::Safrole)
}

impl Author {
    /// An author with `keys`.
    pub fn new(keys: ValidatorKeys) -> Self {
        Author { keys }
    }

    /// The sealed block at `slot` with `extrinsic` on `parent_state` (root `parent_root`,
    /// the posterior state of the block `parent_hash`).
    ///
    /// The header is $\mathbf{H}_P$ = `parent_hash`, $\mathbf{H}_R$ = `parent_root` (GP
    /// (5.8)), $\mathbf{H}_X$ of the extrinsic (GP (5.4)–(5.6)), $\mathbf{H}_T$ = `slot`,
    /// the markers block import expects ($\mathbf{H}_E$, $\mathbf{H}_W$ from Safrole, GP
    /// (6.27)–(6.28); $\mathbf{H}_O$ from disputes, GP (10.20)), and $\mathbf{H}_I$ the
    /// author's index in $\kappa'$. $\mathbf{H}_V$ signs $\mathsf{X}_E \frown
    /// \mathcal{Y}(\mathbf{H}_S)$ (GP (6.17)); the seal's output depends on its input only,
    /// so it is known before the seal is made, and $\mathbf{H}_S$ then signs
    /// $\mathcal{E}_U(\mathbf{H})$, which includes $\mathbf{H}_V$ (GP (6.15)–(6.16)).
    ///
    /// Whether the extrinsic's guarantees, assurances and preimages are valid is not
    /// checked here: block import says so.
    pub fn seal_block(
        &self,
        spec: &ChainSpec,
        parent_state: &dyn StateReader,
        parent_root: &StateRoot,
        parent_hash: &HeaderHash,
        slot: TimeSlot,
        extrinsic: Extrinsic,
    ) -> Result<Block, AuthoringError> {
        let c = parent_state.components();
        c.check_shape(spec)
            .map_err(AuthoringError::BadParentState)?;
        if let Some(last) = c.beta.history.last() {
            if last.header_hash != *parent_hash {
                return Err(AuthoringError::ParentMismatch {
                    expected: last.header_hash,
                    found: *parent_hash,
                });
            }
        }
        let d = &extrinsic.disputes;
        let judged = if d.verdicts.is_empty() && d.culprits.is_empty() && d.faults.is_empty() {
            None
        } else {
            Some(
                disputes::transition(spec, &disputes::Prior::of(c), d)
                    .map_err(AuthoringError::Disputes)?,
            )
        };
        let (offenders, offenders_mark) = match &judged {
            Some(post) => (&post.psi.offenders[..], post.offenders_mark.clone()),
            None => (&c.psi.offenders[..], Vec::new()),
        };
        let saf = safrole_posterior(spec, c, offenders, slot, &extrinsic.tickets)?;
        let role =
            seal_role(spec, &saf, slot, &self.keys).ok_or(AuthoringError::NotSlotAuthor(slot))?;

        let secret = &self.keys.bandersnatch;
        let seal_output = secret.vrf_output(&role.input);
        let entropy_source =
            bandersnatch::ietf_sign(secret, &bandersnatch::entropy_input(&seal_output), &[]);
        let mut header = Header {
            parent: *parent_hash,
            parent_state_root: *parent_root,
            extrinsic_hash: extrinsic_hash(&extrinsic),
            slot,
            epoch_mark: saf.epoch_mark,
            tickets_mark: saf.tickets_mark,
            author_index: role.author_index,
            entropy_source,
            offenders_mark,
            seal: [0; 96],
        };
        header.seal = bandersnatch::ietf_sign(secret, &role.input, &header.encode_unsigned());
        Ok(Block { header, extrinsic })
    }

    /// `block`, sealed by this author on `parent_state`, with `extrinsic` in place of its
    /// own and the header signed again around it, the extrinsic not checked:
    /// $\mathbf{H}_X$ of the new extrinsic (GP (5.4)), $\mathbf{H}_O$ its culprits' then
    /// faults' keys as GP (10.20) would have them, and the seal made again over the same VRF
    /// input (GP (6.15)–(6.16)), so that the seal output and with it $\mathbf{H}_V$
    /// (GP (6.17)) stay valid. A fuzzer's invalid extrinsic, which [`Author::seal_block`]
    /// refuses, so reaches a node with a valid seal, its extrinsic the fault to find. (The
    /// epoch marker of an epoch's first block is kept; it names $\gamma'_P$ with the
    /// original block's offenders nulled.)
    ///
    /// `None` if this author did not seal `block` with one of the inputs the parent allows:
    /// $\mathsf{X}_F \frown \eta'_3$ or $\mathsf{X}_T \frown \eta'_3 \frown a$, with
    /// $\eta'_3$ the parent's $\eta_3$, or $\eta_2$ in a new epoch (GP (6.23)).
    pub fn reseal(
        &self,
        spec: &ChainSpec,
        parent_state: &dyn StateReader,
        block: &Block,
        extrinsic: Extrinsic,
    ) -> Option<Block> {
        let c = parent_state.components();
        let output = bandersnatch::vrf_output(&block.header.seal)?;
        let eta3 = if spec.epoch_of(block.header.slot) > spec.epoch_of(c.tau) {
            &c.eta[2]
        } else {
            &c.eta[3]
        };
        let secret = &self.keys.bandersnatch;
        let input = std::iter::once(bandersnatch::fallback_seal_input(eta3))
            .chain(
                (0..spec.tickets_per_validator).map(|a| bandersnatch::ticket_seal_input(eta3, a)),
            )
            .find(|input| secret.vrf_output(input) == output)?;
        let mut header = block.header.clone();
        header.extrinsic_hash = extrinsic_hash(&extrinsic);
        let d = &extrinsic.disputes;
        header.offenders_mark = d
            .culprits
            .iter()
            .map(|c| c.key)
            .chain(d.faults.iter().map(|f| f.key))
            .collect();
        header.seal = bandersnatch::ietf_sign(secret, &input, &header.encode_unsigned());
        Some(Block { header, extrinsic })
    }
}

/// The index in `candidates` of the first keys that may seal a block at `slot` on
/// `parent_state` with no disputes and no tickets (the offenders are the prior $\psi_O$),
/// per GP (6.15)–(6.16); `None` if none may, or if the slot does not follow the parent's.
pub fn slot_author(
    spec: &ChainSpec,
    parent_state: &dyn StateReader,
    slot: TimeSlot,
    candidates: &[ValidatorKeys],
) -> Option<usize> {
    let c = parent_state.components();
    c.check_shape(spec).ok()?;
    let saf = safrole_posterior(spec, c, &c.psi.offenders, slot, &[]).ok()?;
    candidates
        .iter()
        .position(|k| seal_role(spec, &saf, slot, k).is_some())
}

/// The bitfield $a_f$ (GP (11.10)) with the bits of `cores` set: bit $c \bmod 8$ of octet
/// $\lfloor c/8 \rfloor$, $\lceil\mathsf{C}/8\rceil$ octets.
pub fn bitfield(spec: &ChainSpec, cores: &[usize]) -> Result<Vec<u8>, AuthoringError> {
    let mut f = vec![0u8; spec.cores.div_ceil(8)];
    for &core in cores {
        if core >= spec.cores {
            return Err(AuthoringError::BadCoreIndex(core));
        }
        f[core / 8] |= 1 << (core % 8);
    }
    Ok(f)
}

/// The assurance of validator `validator_index` that it holds its part of the reports of the
/// cores set in `bitfield`, anchored on `parent_hash` (GP (11.11)): signed with `secret`
/// (its key in $\kappa$) over $\mathsf{X}_A \frown \mathcal{H}(\mathcal{E}(\mathbf{H}_P,
/// a_f))$ (GP (11.13)).
pub fn assurance(
    spec: &ChainSpec,
    parent_hash: &HeaderHash,
    bitfield: &[u8],
    validator_index: ValidatorIndex,
    secret: &marmalade_crypto::ed25519::SecretKey,
) -> Result<AvailAssurance, AuthoringError> {
    let expected = spec.cores.div_ceil(8);
    if bitfield.len() != expected {
        return Err(AuthoringError::BadBitfield {
            expected,
            found: bitfield.len(),
        });
    }
    if usize::from(validator_index) >= spec.validators {
        return Err(AuthoringError::BadValidatorIndex(validator_index));
    }
    Ok(AvailAssurance {
        anchor: *parent_hash,
        bitfield: bitfield.to_vec(),
        validator_index,
        signature: secret.sign(&assurances::signing_message(parent_hash, bitfield)),
    })
}

#[cfg(test)]
mod tests;
