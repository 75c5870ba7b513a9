//! Safrole: block production, entropy and the sealing-key contest (GP section 6).
//!
//! One block's transition of the Safrole state: the timeslot $\tau$ (GP (6.1)), the entropy
//! buffer $\eta$ (GP (6.21)–(6.23)), the key sets $\lambda$, $\kappa$, $\gamma_P$ and the ring
//! root $\gamma_Z$ (GP (6.13)–(6.14)), the sealing-key series $\gamma_S$ (GP (6.24)–(6.26)) and
//! the ticket accumulator $\gamma_A$ fed by the tickets extrinsic $\mathbf{E}_T$
//! (GP (6.29)–(6.35)); its output is the pair of header markers $\mathbf{H}_E$ and
//! $\mathbf{H}_W$ (GP (6.27)–(6.28)).
//!
//! The seal and entropy-source signatures (GP (6.15)–(6.17)) are the header's business and
//! are checked by block import; this module takes the entropy-source output
//! $\mathcal{Y}(\mathbf{H}_V)$ as an input. The small pure pieces block import also needs are
//! public: [`is_epoch_change`], [`fallback_key_sequence`] ($F$), [`outside_in`] ($Z$),
//! [`blacklist_filter`] ($\Phi$) and [`verify_tickets`].

use marmalade_codec::{Decode, Encode};
use marmalade_crypto::bandersnatch::{self, RingItem, RingVerifier};
use marmalade_crypto::hash::{blake2b_256, blake2b_256_concat};
use marmalade_state::Components;
use marmalade_types::{
    BandersnatchPublic, BandersnatchRingCommitment, ChainSpec, Ed25519Public, Entropy,
    EntropyBuffer, EpochMark, EpochMarkValidatorKeys, TicketBody, TicketEnvelope, TicketId,
    TicketsAccumulator, TicketsMark, TicketsOrKeys, TimeSlot, ValidatorData, ValidatorsData,
};
use std::borrow::Cow;

/// The prior state components Safrole reads (GP section 6), borrowed from the state.
#[derive(Debug, Clone, Copy)]
pub struct Prior<'a> {
    /// $\tau$: the most recent block's timeslot (GP (6.1)).
    pub tau: TimeSlot,
    /// $\eta$: the entropy accumulator $\eta_0$ and the three most recent epochs' entropy
    /// (GP (6.21)).
    pub eta: &'a EntropyBuffer,
    /// $\lambda$: the previous epoch's validator keys (GP (6.7)).
    pub lambda: &'a ValidatorsData,
    /// $\kappa$: the current epoch's validator keys, the active set (GP (6.7)).
    pub kappa: &'a ValidatorsData,
    /// $\gamma_P$: the next epoch's validator keys, the pending set (GP (6.7)).
    pub gamma_p: &'a ValidatorsData,
    /// $\iota$: the staging set, queued by accumulation (GP (6.7)).
    pub iota: &'a ValidatorsData,
    /// $\gamma_A$: the ticket accumulator, up to $\mathsf{E}$ tickets sorted by identifier
    /// (GP (6.5)).
    pub gamma_a: &'a TicketsAccumulator,
    /// $\gamma_S$: the current epoch's sealing-key series (GP (6.5)).
    pub gamma_s: &'a TicketsOrKeys,
    /// $\gamma_Z$: the ring root of $\gamma_P$'s Bandersnatch keys (GP (6.4)).
    pub gamma_z: &'a BandersnatchRingCommitment,
    /// $\psi'_O$: the posterior offenders (GP (10.19)), read by $\Phi$ (GP (6.14)).
    pub offenders: &'a [Ed25519Public],
}

impl<'a> Prior<'a> {
    /// The Safrole components of `c`, with the posterior offenders $\psi'_O$.
    pub fn of(c: &'a Components, offenders: &'a [Ed25519Public]) -> Prior<'a> {
        Prior {
            tau: c.tau,
            eta: &c.eta,
            lambda: &c.lambda,
            kappa: &c.kappa,
            gamma_p: &c.gamma_p,
            iota: &c.iota,
            gamma_a: &c.gamma_a,
            gamma_s: &c.gamma_s,
            gamma_z: &c.gamma_z,
            offenders,
        }
    }
}

/// The key sets and entropy history after the epoch rotation of a block at some slot
/// (GP (6.13), (6.23)): everything of the transition that needs neither the seal nor the
/// ring root $\gamma'_Z$, so it is cheap (a block producer's helpers read it before the
/// block exists).
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    /// $\eta'$ but $\eta'_0$, which is still $\eta_0$ here: $\eta'_0$ needs the seal
    /// (GP (6.22)).
    pub eta: EntropyBuffer,
    /// $\gamma'_P$: $\Phi(\iota)$ on a new epoch (owned), else $\gamma_P$ (GP (6.13)–(6.14)).
    pub gamma_p: Cow<'a, ValidatorsData>,
    /// $\kappa'$: $\gamma_P$ on a new epoch, else $\kappa$ (GP (6.13)).
    pub kappa: &'a ValidatorsData,
    /// $\lambda'$: $\kappa$ on a new epoch, else $\lambda$ (GP (6.13)).
    pub lambda: &'a ValidatorsData,
}

/// The epoch rotation for a block at `slot` on `pre` (GP (6.13), (6.23)): on a new epoch
/// the entropy history shifts, $\gamma'_P = \Phi(\iota)$ with the offenders
/// $\psi'_O$ nulled (GP (6.14)), $\kappa' = \gamma_P$ and $\lambda' = \kappa$; else
/// all stay. The slot is not checked (see [`transition`]).
pub fn rotate<'a>(spec: &ChainSpec, pre: &Prior<'a>, slot: TimeSlot) -> Rotation<'a> {
    let eta = pre.eta;
    if spec.epoch_of(slot) > spec.epoch_of(pre.tau) {
        Rotation {
            eta: EntropyBuffer([eta[0], eta[0], eta[1], eta[2]]),
            gamma_p: Cow::Owned(ValidatorsData(blacklist_filter(pre.iota, pre.offenders))),
            kappa: pre.gamma_p,
            lambda: pre.kappa,
        }
    } else {
        Rotation {
            eta: *eta,
            gamma_p: Cow::Borrowed(pre.gamma_p),
            kappa: pre.kappa,
            lambda: pre.lambda,
        }
    }
}

/// What one block's Safrole transition produces: the posterior components and the header
/// markers. The key sets are borrowed from the prior state (on a new epoch they rotate,
/// GP (6.13)); $\gamma'_P$ and $\gamma'_S$ are owned only when they are new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posterior<'a> {
    /// $\tau' = \mathbf{H}_T$ (GP (6.1)).
    pub tau: TimeSlot,
    /// $\eta'$ (GP (6.22), (6.23)).
    pub eta: EntropyBuffer,
    /// $\lambda'$: $\kappa$ on a new epoch, else $\lambda$ (GP (6.13)).
    pub lambda: &'a ValidatorsData,
    /// $\kappa'$: $\gamma_P$ on a new epoch, else $\kappa$ (GP (6.13)).
    pub kappa: &'a ValidatorsData,
    /// $\gamma'_P$: $\Phi(\iota)$ on a new epoch (owned), else $\gamma_P$ (borrowed)
    /// (GP (6.13)).
    pub gamma_p: Cow<'a, ValidatorsData>,
    /// $\gamma'_Z$: the ring root of $\gamma'_P$ (GP (6.13)).
    pub gamma_z: BandersnatchRingCommitment,
    /// $\gamma'_A$ (GP (6.34)).
    pub gamma_a: TicketsAccumulator,
    /// $\gamma'_S$: owned when it changes, borrowed when the epoch goes on (GP (6.24)).
    pub gamma_s: Cow<'a, TicketsOrKeys>,
    /// $\mathbf{H}_E$: the epoch marker, on the first block of an epoch (GP (6.27)).
    pub epoch_mark: Option<EpochMark>,
    /// $\mathbf{H}_W$: the winning-tickets marker, on the first block past the submission
    /// end with a full accumulator (GP (6.28)).
    pub tickets_mark: Option<TicketsMark>,
}

impl Posterior<'_> {
    /// Whether the block opens a new epoch (the key sets rotate).
    pub fn is_new_epoch(&self) -> bool {
        matches!(self.gamma_p, Cow::Owned(_))
    }

    /// Writes the posterior Safrole components into `c`, a copy of the prior components:
    /// $\tau'$, $\eta'$ and $\gamma'_A$; $\gamma'_S$ if it changed; $\lambda'$, $\kappa'$,
    /// $\gamma'_P$ and $\gamma'_Z$ on a new epoch.
    pub fn write(self, c: &mut Components) {
        c.tau = self.tau;
        c.eta = self.eta;
        c.gamma_a = self.gamma_a;
        if let Cow::Owned(gamma_s) = self.gamma_s {
            c.gamma_s = gamma_s;
        }
        if let Cow::Owned(gamma_p) = self.gamma_p {
            c.lambda = self.lambda.clone();
            c.kappa = self.kappa.clone();
            c.gamma_p = gamma_p;
            c.gamma_z = self.gamma_z;
        }
    }
}

/// Why a block's Safrole transition is invalid: the vectors' `ErrorCode`, one variant per
/// code, in order (the GP names none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Encode, Decode)]
pub enum Error {
    /// The timeslot does not advance: $\mathbf{H}_T \le \tau$ (GP (5.7), (6.1)).
    #[error("timeslot must be strictly monotonic")]
    #[codec(index = 0)]
    BadSlot,
    /// Tickets the block may not carry (GP (6.30), (6.35)): tickets in the epoch's tail
    /// ($m' \ge \mathsf{Y}$), more than $\mathsf{K}$ tickets, or a ticket that would not enter
    /// the accumulator. The schema names only the first case; the other two violate the
    /// same "tickets the block must not include" rules and have no code of their own.
    #[error("unexpected ticket")]
    #[codec(index = 1)]
    UnexpectedTicket,
    /// The tickets' identifiers are not strictly ascending (GP (6.32)).
    #[error("tickets must be sorted by identifier")]
    #[codec(index = 2)]
    BadTicketOrder,
    /// A ticket's ring proof does not verify against $\gamma'_Z$ (GP (6.29)).
    #[error("invalid ticket ring proof")]
    #[codec(index = 3)]
    BadTicketProof,
    /// A ticket's entry index is not below $\mathsf{N}$ (GP (6.29)).
    #[error("invalid ticket attempt")]
    #[codec(index = 4)]
    BadTicketAttempt,
    /// Code 5, reserved by the schema. Returned only for a prior state no chain reaches: a
    /// pending key set whose ring root cannot be made (an empty set, or more keys than the
    /// ring setup holds).
    #[error("reserved (malformed Safrole state)")]
    #[codec(index = 5)]
    Reserved,
    /// A ticket's identifier is already in the accumulator (GP (6.33)).
    #[error("duplicate ticket")]
    #[codec(index = 6)]
    DuplicateTicket,
}

/// Whether a block at `slot` after one at `prior_slot` opens a new epoch: $e' > e$ (GP
/// (6.2)).
pub fn is_epoch_change(spec: &ChainSpec, prior_slot: TimeSlot, slot: TimeSlot) -> bool {
    spec.epoch_of(slot) > spec.epoch_of(prior_slot)
}

/// $\Phi(\mathbf{k})$ (GP (6.14)): the key sets with those of offenders (Ed25519 key in
/// `offenders`) replaced by the null key.
pub fn blacklist_filter(keys: &[ValidatorData], offenders: &[Ed25519Public]) -> Vec<ValidatorData> {
    keys.iter()
        .map(|k| {
            if offenders.contains(&k.ed25519) {
                ValidatorData::NULL
            } else {
                *k
            }
        })
        .collect()
}

/// $F(r, \mathbf{k})$ (GP (6.26)): the fallback sealing keys, $\mathsf{E}$ (`epoch_len`)
/// Bandersnatch keys of `validators` picked by the entropy $r$: the $i$-th is
/// $\mathbf{k}[\mathcal{E}_4^{-1}(\mathcal{H}(r \frown \mathcal{E}_4(i))_{\dots 4})]^\circlearrowleft_b$.
/// Empty if there are no validators.
pub fn fallback_key_sequence(
    entropy: &Entropy,
    validators: &[ValidatorData],
    epoch_len: usize,
) -> Vec<BandersnatchPublic> {
    if validators.is_empty() {
        return Vec::new();
    }
    (0..epoch_len)
        .map(|i| {
            // `i < E` fits `E_4` for any epoch length the chain spec can express (a u32).
            let h = blake2b_256_concat(&[entropy, &(i as u32).to_le_bytes()]);
            let n = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
            validators[n % validators.len()].bandersnatch
        })
        .collect()
}

/// $Z(\mathbf{s})$ (GP (6.25)): the outside-in order
/// $[\mathbf{s}_0, \mathbf{s}_{|\mathbf{s}|-1}, \mathbf{s}_1, \mathbf{s}_{|\mathbf{s}|-2}, \dots]$.
pub fn outside_in<T: Clone>(items: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    let (mut lo, mut hi) = (0, items.len());
    while lo < hi {
        out.push(items[lo].clone());
        lo += 1;
        if lo < hi {
            hi -= 1;
            out.push(items[hi].clone());
        }
    }
    out
}

/// Verifies the tickets' ring proofs $\bar{\mathcal{V}}_{\gamma'_Z}^{\mathsf{X}_T \frown
/// \eta'_2 \frown e}\langle[]\rangle$ (GP (6.29)) and returns their identifiers
/// $\mathcal{Y}(p)$ (GP (6.31)), or the index of the first ticket whose proof fails.
///
/// `entropy` is $\eta'_2$ and `verifier` the ring of $\gamma'_Z$. Several proofs are checked
/// as one batch (one pairing check, items prepared in parallel); only when the batch fails
/// are they checked one by one, in parallel, to name the first bad one.
pub fn verify_tickets(
    verifier: &RingVerifier,
    entropy: &Entropy,
    tickets: &[TicketEnvelope],
) -> Result<Vec<TicketId>, usize> {
    let inputs: Vec<Vec<u8>> = tickets
        .iter()
        .map(|t| bandersnatch::ticket_seal_input(entropy, t.attempt))
        .collect();
    let items: Vec<RingItem<'_>> = inputs
        .iter()
        .zip(tickets)
        .map(|(input, t)| (input.as_slice(), &[][..], &t.signature))
        .collect();
    match items.as_slice() {
        [] => Ok(Vec::new()),
        [(input, aux, proof)] => verifier
            .verify(input, aux, proof)
            .map(|id| vec![id])
            .map_err(|_| 0),
        _ => verifier.verify_batch(&items).or_else(|_| {
            verifier
                .verify_many(&items)
                .into_iter()
                .enumerate()
                .map(|(i, r)| r.map_err(|_| i))
                .collect()
        }),
    }
}

/// The Safrole transition of one block (GP section 6) at timeslot `slot` ($\mathbf{H}_T$),
/// with the entropy-source output `entropy` ($\mathcal{Y}(\mathbf{H}_V)$, GP (6.17)) and the
/// tickets extrinsic `tickets` ($\mathbf{E}_T$, GP (6.29)): checks the timeslot and the
/// tickets, then builds the posterior components and the header markers. The prior is only
/// borrowed, so on error it stands.
///
/// Checks, in the order that decides the error when several apply (the vectors' order):
/// timeslot; tickets allowed at all (tail, count); each entry index; ring proofs; identifier
/// order; duplicates against $\gamma_A$; every ticket kept in $\gamma'_A$.
pub fn transition<'a>(
    spec: &ChainSpec,
    pre: &Prior<'a>,
    slot: TimeSlot,
    entropy: &Entropy,
    tickets: &[TicketEnvelope],
) -> Result<Posterior<'a>, Error> {
    // GP (5.7), (6.1): τ' = H_T > τ.
    if slot <= pre.tau {
        return Err(Error::BadSlot);
    }
    let epoch_len = spec.epoch_len();
    let tail_start = spec.ticket_submission_end;
    // GP (6.2): e ⌢ m = τ / E, e' ⌢ m' = τ' / E.
    let (e, m) = (spec.epoch_of(pre.tau), spec.slot_phase(pre.tau));
    let (e2, m2) = (spec.epoch_of(slot), spec.slot_phase(slot));
    let new_epoch = e2 > e;

    // GP (6.30): at most K tickets before the tail, none in it.
    let limit = if m2 < tail_start {
        spec.max_tickets_per_extrinsic
    } else {
        0
    };
    if tickets.len() > limit {
        return Err(Error::UnexpectedTicket);
    }
    // GP (6.29): the entry index is in N_N.
    if tickets
        .iter()
        .any(|t| t.attempt >= spec.tickets_per_validator)
    {
        return Err(Error::BadTicketAttempt);
    }

    let eta = pre.eta;
    let Rotation {
        eta: mut post_eta,
        gamma_p: gamma_k,
        kappa,
        lambda,
    } = rotate(spec, pre, slot);
    // GP (6.22): η'_0 = H(η_0 ⌢ Y(H_V)).
    post_eta[0] = blake2b_256(&[&eta[0][..], &entropy[..]].concat());
    // GP (6.13): γ'_Z is the ring root of γ'_P's Bandersnatch keys on a new epoch
    // (offenders' null keys become the padding point there, GP appendix G).
    let gamma_z = if new_epoch {
        let keys: Vec<BandersnatchPublic> = gamma_k.iter().map(|k| k.bandersnatch).collect();
        bandersnatch::ring_commitment(&keys).map_err(|_| Error::Reserved)?
    } else {
        *pre.gamma_z
    };

    // GP (6.29), (6.31): each proof is a ring VRF proof under γ'_Z with context
    // X_T ⌢ η'_2 ⌢ e; its output is the ticket identifier. The verifier comes from the
    // ring root (cheap) rather than from the keys.
    let new_tickets: Vec<TicketBody> = if tickets.is_empty() {
        Vec::new()
    } else {
        let verifier = RingVerifier::from_commitment(&gamma_z, gamma_k.len())
            .map_err(|_| Error::BadTicketProof)?;
        let ids =
            verify_tickets(&verifier, &post_eta[2], tickets).map_err(|_| Error::BadTicketProof)?;
        ids.into_iter()
            .zip(tickets)
            .map(|(id, t)| TicketBody {
                id,
                attempt: t.attempt,
            })
            .collect()
    };
    // GP (6.32): n is sorted by identifier, without duplicates.
    if new_tickets.windows(2).any(|w| w[0].id >= w[1].id) {
        return Err(Error::BadTicketOrder);
    }
    // GP (6.33): no identifier already in γ_A (sorted, so a binary search each). As the
    // GP writes it this is the prior accumulator even on a new epoch, whose tickets were made
    // with other entropy, so a clash there is practically impossible anyway.
    if new_tickets
        .iter()
        .any(|t| pre.gamma_a.binary_search_by(|x| x.id.cmp(&t.id)).is_ok())
    {
        return Err(Error::DuplicateTicket);
    }
    // GP (6.34): γ'_A = the E lowest of n ∪ (γ_A, or nothing on a new epoch), by id.
    let base: &[TicketBody] = if new_epoch { &[] } else { pre.gamma_a };
    let gamma_a = merge_lowest(base, &new_tickets, epoch_len);
    // GP (6.35): n ⊆ γ'_A. Both are sorted, so it suffices that the highest new ticket
    // made it in.
    if let Some(last) = new_tickets.last() {
        if gamma_a.binary_search_by(|x| x.id.cmp(&last.id)).is_err() {
            return Err(Error::UnexpectedTicket);
        }
    }

    // GP (6.24): the sealing-key series. A contiguous epoch change from past the
    // submission end with a full accumulator enacts the tickets; a block within the epoch
    // keeps the series; anything else (skipped epochs, the tail skipped, too few tickets)
    // falls back to F(η'_2, κ').
    let gamma_s = if e2 == e + 1 && m >= tail_start && pre.gamma_a.len() == epoch_len {
        Cow::Owned(TicketsOrKeys::Tickets(outside_in(pre.gamma_a)))
    } else if e2 == e {
        Cow::Borrowed(pre.gamma_s)
    } else {
        Cow::Owned(TicketsOrKeys::Keys(fallback_key_sequence(
            &post_eta[2],
            kappa,
            epoch_len,
        )))
    };

    // GP (6.27): H_E = (η_0, η_1, [(k_b, k_e) | k ∈ γ'_P]) on a new epoch.
    let epoch_mark = new_epoch.then(|| EpochMark {
        entropy: eta[0],
        tickets_entropy: eta[1],
        validators: gamma_k
            .iter()
            .map(|k| EpochMarkValidatorKeys {
                bandersnatch: k.bandersnatch,
                ed25519: k.ed25519,
            })
            .collect(),
    });
    // GP (6.28): H_W = Z(γ_A) on the first block of the epoch at or past the submission
    // end, if the accumulator is full. (Then E_T is empty and γ'_A = γ_A.)
    let tickets_mark =
        (e2 == e && m < tail_start && tail_start <= m2 && pre.gamma_a.len() == epoch_len)
            .then(|| TicketsMark(outside_in(pre.gamma_a)));

    Ok(Posterior {
        tau: slot,
        eta: post_eta,
        lambda,
        kappa,
        gamma_p: gamma_k,
        gamma_z,
        gamma_a,
        gamma_s,
        epoch_mark,
        tickets_mark,
    })
}

/// The `limit` lowest tickets by identifier of two sorted, disjoint sequences.
fn merge_lowest(a: &[TicketBody], b: &[TicketBody], limit: usize) -> Vec<TicketBody> {
    let mut out = Vec::with_capacity(limit.min(a.len() + b.len()));
    let (mut i, mut j) = (0, 0);
    while out.len() < limit {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.id <= y.id => {
                i += 1;
                x
            }
            (_, Some(y)) => {
                j += 1;
                y
            }
            (Some(x), None) => {
                i += 1;
                x
            }
            (None, None) => break,
        };
        out.push(*next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_crypto::bandersnatch::{RingProver, SecretKey};
    use marmalade_types::TicketsExtrinsic;
    use std::sync::OnceLock;

    const TINY: ChainSpec = ChainSpec::TINY;

    /// Φ nulls an offender's whole key, metadata included (GP (6.14): `[0, 0, …]` ∈ K);
    /// typeberry 0.11.0 keeps the metadata (found by `marmalade fuzz`, see
    /// `crates/conformance/testdata/fuzz`).
    #[test]
    fn blacklist_filter_nulls_the_whole_key() {
        let key = |i: u8| ValidatorData {
            bandersnatch: [i; 32],
            ed25519: [i + 1; 32],
            bls: [i + 2; 144],
            metadata: [i + 3; 128],
        };
        let keys = [key(1), key(10)];
        let filtered = blacklist_filter(&keys, &[[11; 32]]);
        assert_eq!(filtered[0], keys[0]);
        assert_eq!(filtered[1], ValidatorData::NULL);
        assert_eq!(filtered[1].metadata, [0; 128]);
    }

    /// The Safrole components as owned values, so that a test can chain blocks.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct TestState {
        tau: TimeSlot,
        eta: EntropyBuffer,
        lambda: ValidatorsData,
        kappa: ValidatorsData,
        gamma_k: ValidatorsData,
        iota: ValidatorsData,
        gamma_a: TicketsAccumulator,
        gamma_s: TicketsOrKeys,
        gamma_z: BandersnatchRingCommitment,
        post_offenders: Vec<Ed25519Public>,
    }

    struct Input {
        slot: TimeSlot,
        entropy: Entropy,
        extrinsic: TicketsExtrinsic,
    }

    #[derive(Debug, Default, PartialEq, Eq)]
    struct Output {
        epoch_mark: Option<EpochMark>,
        tickets_mark: Option<TicketsMark>,
    }

    /// [`super::transition`] on owned components.
    fn transition(
        spec: &ChainSpec,
        pre: &TestState,
        input: &Input,
    ) -> Result<(TestState, Output), Error> {
        let prior = Prior {
            tau: pre.tau,
            eta: &pre.eta,
            lambda: &pre.lambda,
            kappa: &pre.kappa,
            gamma_p: &pre.gamma_k,
            iota: &pre.iota,
            gamma_a: &pre.gamma_a,
            gamma_s: &pre.gamma_s,
            gamma_z: &pre.gamma_z,
            offenders: &pre.post_offenders,
        };
        let post = super::transition(spec, &prior, input.slot, &input.entropy, &input.extrinsic)?;
        let out = Output {
            epoch_mark: post.epoch_mark,
            tickets_mark: post.tickets_mark,
        };
        let post = TestState {
            tau: post.tau,
            eta: post.eta,
            lambda: post.lambda.clone(),
            kappa: post.kappa.clone(),
            gamma_k: post.gamma_p.into_owned(),
            iota: pre.iota.clone(),
            gamma_a: post.gamma_a,
            gamma_s: post.gamma_s.into_owned(),
            gamma_z: post.gamma_z,
            post_offenders: pre.post_offenders.clone(),
        };
        Ok((post, out))
    }

    fn secrets(seed: u8) -> Vec<SecretKey> {
        (0..TINY.validators as u8)
            .map(|i| SecretKey::from_seed(&[seed, i]))
            .collect()
    }

    fn validators(secrets: &[SecretKey]) -> ValidatorsData {
        ValidatorsData(
            secrets
                .iter()
                .enumerate()
                .map(|(i, s)| ValidatorData {
                    bandersnatch: s.public(),
                    ed25519: [i as u8 + 1; 32],
                    ..ValidatorData::NULL
                })
                .collect(),
        )
    }

    fn bandersnatch_keys(v: &ValidatorsData) -> Vec<BandersnatchPublic> {
        v.iter().map(|k| k.bandersnatch).collect()
    }

    /// A tiny state at slot `tau` whose pending set is the ring of `secrets(1)`, with the
    /// staging set `secrets(2)`.
    fn state(tau: TimeSlot) -> TestState {
        let current = validators(&secrets(1));
        let staging = validators(&secrets(2));
        let eta = EntropyBuffer([[10; 32], [11; 32], [12; 32], [13; 32]]);
        TestState {
            tau,
            eta,
            lambda: current.clone(),
            kappa: current.clone(),
            gamma_k: current.clone(),
            iota: staging,
            gamma_a: Vec::new(),
            gamma_s: TicketsOrKeys::Keys(fallback_key_sequence(
                &eta[2],
                &current,
                TINY.epoch_len(),
            )),
            gamma_z: bandersnatch::ring_commitment(&bandersnatch_keys(&current)).unwrap(),
            post_offenders: Vec::new(),
        }
    }

    /// A ticket of validator `index` of the ring `ring` (a seed of [`secrets`]) with `attempt`,
    /// for the ticket entropy `eta2`, and its identifier.
    fn ticket(ring: u8, index: usize, eta2: &Entropy, attempt: u8) -> (TicketEnvelope, TicketId) {
        let s = secrets(ring);
        ticket_in(
            &bandersnatch_keys(&validators(&s)),
            &s[index],
            index,
            eta2,
            attempt,
        )
    }

    /// A ticket by `secret`, member `index` of the ring of `keys`.
    fn ticket_in(
        keys: &[BandersnatchPublic],
        secret: &SecretKey,
        index: usize,
        eta2: &Entropy,
        attempt: u8,
    ) -> (TicketEnvelope, TicketId) {
        let input = bandersnatch::ticket_seal_input(eta2, attempt);
        let prover = RingProver::new(keys, index).unwrap();
        let signature = prover.prove(secret, &input, &[]);
        (
            TicketEnvelope { attempt, signature },
            secret.vrf_output(&input),
        )
    }

    /// Three valid tickets of ring 1 for η_2 = [12; 32], sorted by identifier (proved once).
    fn sorted_tickets() -> &'static [(TicketEnvelope, TicketId)] {
        static T: OnceLock<Vec<(TicketEnvelope, TicketId)>> = OnceLock::new();
        T.get_or_init(|| {
            let mut t: Vec<_> = [(0, 0), (3, 1), (5, 2)]
                .into_iter()
                .map(|(i, a)| ticket(1, i, &[12; 32], a))
                .collect();
            t.sort_by_key(|(_, id)| *id);
            t
        })
    }

    fn input(slot: TimeSlot, extrinsic: Vec<TicketEnvelope>) -> Input {
        Input {
            slot,
            entropy: [99; 32],
            extrinsic,
        }
    }

    #[test]
    fn outside_in_alternates_ends() {
        assert_eq!(outside_in(&[0, 1, 2, 3, 4, 5]), vec![0, 5, 1, 4, 2, 3]);
        assert_eq!(outside_in(&[0, 1, 2, 3, 4]), vec![0, 4, 1, 3, 2]);
        assert_eq!(outside_in::<u8>(&[]), Vec::<u8>::new());
        assert_eq!(outside_in(&[7]), vec![7]);
    }

    #[test]
    fn epoch_change_is_by_epoch_index() {
        assert!(!is_epoch_change(&TINY, 0, 11));
        assert!(is_epoch_change(&TINY, 11, 12));
        assert!(is_epoch_change(&TINY, 3, 40));
        assert!(!is_epoch_change(&ChainSpec::FULL, 600, 1199));
    }

    #[test]
    fn fallback_keys_follow_eq_6_26() {
        let v = validators(&secrets(1));
        let r = [5u8; 32];
        let f = fallback_key_sequence(&r, &v, 12);
        assert_eq!(f.len(), 12);
        for (i, k) in f.iter().enumerate() {
            let h = blake2b_256(&[&r[..], &(i as u32).to_le_bytes()].concat());
            let n = u32::from_le_bytes(h[..4].try_into().unwrap()) as usize;
            assert_eq!(*k, v[n % 6].bandersnatch);
        }
        assert!(fallback_key_sequence(&r, &[], 12).is_empty());
    }

    #[test]
    fn blacklist_filter_nulls_offenders_only() {
        let v = validators(&secrets(1));
        let out = blacklist_filter(&v, &[v[2].ed25519, [0xee; 32]]);
        assert_eq!(out[2], ValidatorData::NULL);
        assert_eq!(out.iter().filter(|k| **k == ValidatorData::NULL).count(), 1);
        assert_eq!(out[3], v[3]);
    }

    #[test]
    fn error_codes_match_the_schema() {
        let codes = [
            (Error::BadSlot, 0u8, "bad_slot"),
            (Error::UnexpectedTicket, 1, "unexpected_ticket"),
            (Error::BadTicketOrder, 2, "bad_ticket_order"),
            (Error::BadTicketProof, 3, "bad_ticket_proof"),
            (Error::BadTicketAttempt, 4, "bad_ticket_attempt"),
            (Error::Reserved, 5, "reserved"),
            (Error::DuplicateTicket, 6, "duplicate_ticket"),
        ];
        for (e, code, name) in codes {
            assert_eq!(e.encode(), vec![code]);
            assert_eq!(crate::snake_case(&format!("{e:?}")), name);
        }
    }

    #[test]
    fn slot_must_advance_and_errors_change_nothing() {
        let pre = state(5);
        assert_eq!(
            transition(&TINY, &pre, &input(5, vec![])),
            Err(Error::BadSlot)
        );
        assert_eq!(
            transition(&TINY, &pre, &input(4, vec![])),
            Err(Error::BadSlot)
        );
        let (post, out) = transition(&TINY, &pre, &input(6, vec![])).unwrap();
        assert_eq!(out, Output::default());
        assert_eq!(post.tau, 6);
        assert_eq!(post.eta[0], blake2b_256(&[[10; 32], [99; 32]].concat()));
        assert_eq!(post.eta[1..], pre.eta[1..]);
    }

    #[test]
    fn at_most_k_tickets_and_none_in_the_tail() {
        // Checked before any proof: these envelopes are garbage.
        let junk = TicketEnvelope {
            attempt: 0,
            signature: [0; 784],
        };
        let pre = state(1);
        let k = TINY.max_tickets_per_extrinsic;
        assert_eq!(
            transition(&TINY, &pre, &input(2, vec![junk; k + 1])),
            Err(Error::UnexpectedTicket)
        );
        assert_eq!(
            transition(&TINY, &pre, &input(TINY.ticket_submission_end, vec![junk])),
            Err(Error::UnexpectedTicket)
        );
        // Within the limit the garbage reaches the proof check.
        assert_eq!(
            transition(&TINY, &pre, &input(2, vec![junk; k])),
            Err(Error::BadTicketProof)
        );
        let bad_attempt = TicketEnvelope {
            attempt: TINY.tickets_per_validator,
            ..junk
        };
        assert_eq!(
            transition(&TINY, &pre, &input(2, vec![junk, bad_attempt])),
            Err(Error::BadTicketAttempt)
        );
    }

    #[test]
    fn verify_tickets_names_the_first_bad_proof() {
        let t = sorted_tickets();
        let verifier =
            RingVerifier::from_keys(&bandersnatch_keys(&validators(&secrets(1)))).unwrap();
        let envelopes: Vec<_> = t.iter().map(|(e, _)| *e).collect();
        let ids: Vec<_> = t.iter().map(|(_, id)| *id).collect();
        assert_eq!(
            verify_tickets(&verifier, &[12; 32], &envelopes),
            Ok(ids.clone())
        );
        assert_eq!(
            verify_tickets(&verifier, &[12; 32], &envelopes[..1]),
            Ok(ids[..1].to_vec())
        );
        assert_eq!(verify_tickets(&verifier, &[12; 32], &[]), Ok(vec![]));
        // The wrong entropy fails them all; a wrong attempt fails that ticket only.
        assert_eq!(verify_tickets(&verifier, &[13; 32], &envelopes), Err(0));
        let mut bad = envelopes.clone();
        bad[1].attempt ^= 1;
        assert_eq!(verify_tickets(&verifier, &[12; 32], &bad), Err(1));
        bad[2].signature[700] ^= 1;
        assert_eq!(verify_tickets(&verifier, &[12; 32], &bad), Err(1));
    }

    #[test]
    fn tickets_enter_the_accumulator_sorted() {
        let t = sorted_tickets();
        let pre = state(1);
        let envelopes: Vec<_> = t.iter().map(|(e, _)| *e).collect();
        let (post, out) = transition(&TINY, &pre, &input(2, envelopes.clone())).unwrap();
        assert_eq!(out, Output::default());
        let ids: Vec<_> = post.gamma_a.iter().map(|x| x.id).collect();
        assert_eq!(ids, t.iter().map(|(_, id)| *id).collect::<Vec<_>>());

        // Out of order.
        let mut swapped = envelopes.clone();
        swapped.swap(0, 2);
        assert_eq!(
            transition(&TINY, &pre, &input(2, swapped)),
            Err(Error::BadTicketOrder)
        );
        // The same ticket twice in one extrinsic is out of (strict) order.
        assert_eq!(
            transition(&TINY, &pre, &input(2, vec![envelopes[0], envelopes[0]])),
            Err(Error::BadTicketOrder)
        );
        // Already accumulated.
        assert_eq!(
            transition(&TINY, &post, &input(3, envelopes[1..2].to_vec())),
            Err(Error::DuplicateTicket)
        );
    }

    #[test]
    fn useless_tickets_are_rejected() {
        let (envelope, id) = &sorted_tickets()[2];
        // Accumulator entries far below any real identifier.
        let low = |n: usize| -> Vec<TicketBody> {
            (0..n)
                .map(|i| {
                    let mut id = [0u8; 32];
                    id[31] = i as u8;
                    TicketBody { id, attempt: 0 }
                })
                .collect()
        };
        let e = TINY.epoch_len();
        let mut pre = state(1);
        pre.gamma_a = low(e - 1);
        let (post, _) = transition(&TINY, &pre, &input(2, vec![*envelope])).unwrap();
        assert_eq!(post.gamma_a.len(), e);
        assert_eq!(post.gamma_a[e - 1].id, *id);
        // With a full accumulator of better tickets the new one would be dropped at once.
        pre.gamma_a = low(e);
        assert_eq!(
            transition(&TINY, &pre, &input(2, vec![*envelope])),
            Err(Error::UnexpectedTicket)
        );
    }

    #[test]
    fn epoch_change_rotates_and_verifies_tickets_against_the_new_ring() {
        let e = TINY.epoch_len() as u32;
        let mut pre = state(e - 1);
        pre.post_offenders = vec![pre.iota[4].ed25519];
        // η'_2 = η_1 on the epoch change: tickets of the incoming ring Φ(ι) (the offender's
        // key nulled) for η_1 are good.
        let incoming = secrets(2);
        let mut ring = bandersnatch_keys(&pre.iota);
        ring[4] = [0; 32];
        let (good, good_id) = ticket_in(&ring, &incoming[1], 1, &pre.eta[1], 0);
        let (post, out) = transition(&TINY, &pre, &input(e, vec![good])).unwrap();
        assert_eq!(
            post.gamma_a,
            vec![TicketBody {
                id: good_id,
                attempt: 0
            }]
        );
        assert_eq!(post.lambda, pre.kappa);
        assert_eq!(post.kappa, pre.gamma_k);
        assert_eq!(post.gamma_k[4], ValidatorData::NULL);
        assert_eq!(post.gamma_k[3], pre.iota[3]);
        assert_eq!(
            post.gamma_z,
            bandersnatch::ring_commitment(&bandersnatch_keys(&post.gamma_k)).unwrap()
        );
        assert_eq!(post.eta.0[1..], pre.eta.0[..3]);
        let mark = out.epoch_mark.unwrap();
        assert_eq!(
            (mark.entropy, mark.tickets_entropy),
            (pre.eta[0], pre.eta[1])
        );
        assert_eq!(mark.validators[4], EpochMarkValidatorKeys::default());
        assert_eq!(mark.validators[0].bandersnatch, pre.iota[0].bandersnatch);
        // The accumulator was not full: fallback keys from η'_2 and κ'.
        assert_eq!(
            post.gamma_s,
            TicketsOrKeys::Keys(fallback_key_sequence(&pre.eta[1], &post.kappa, 12))
        );
        // A ticket of the outgoing ring, or for the old η_2, no longer verifies.
        let (old_ring, _) = &sorted_tickets()[0];
        assert_eq!(
            transition(&TINY, &pre, &input(e, vec![*old_ring])),
            Err(Error::BadTicketProof)
        );
        // The offender's key is padding in the new ring: proofs by it, made for the ring
        // that still holds its key, do not verify.
        let (offender, _) = ticket(2, 4, &pre.eta[1], 0);
        assert_eq!(
            transition(&TINY, &pre, &input(e, vec![offender])),
            Err(Error::BadTicketProof)
        );
    }

    #[test]
    fn full_accumulator_is_enacted_only_on_a_contiguous_change_from_the_tail() {
        let e = TINY.epoch_len() as u32;
        let y = TINY.ticket_submission_end;
        let acc: Vec<TicketBody> = (0..e as u8)
            .map(|i| TicketBody {
                id: [i; 32],
                attempt: i % 3,
            })
            .collect();
        let mut pre = state(y - 1);
        pre.gamma_a = acc.clone();
        // Crossing the submission end: the winning-tickets marker.
        let (post, out) = transition(&TINY, &pre, &input(y, vec![])).unwrap();
        assert_eq!(out.tickets_mark, Some(TicketsMark(outside_in(&acc))));
        assert_eq!(out.epoch_mark, None);
        assert_eq!(post.gamma_a, acc);
        // Next epoch from the tail: the tickets become the sealing keys, the accumulator empties.
        let (post2, out2) = transition(&TINY, &post, &input(e, vec![])).unwrap();
        assert_eq!(post2.gamma_s, TicketsOrKeys::Tickets(outside_in(&acc)));
        assert!(post2.gamma_a.is_empty());
        assert!(out2.epoch_mark.is_some() && out2.tickets_mark.is_none());
        // Skipping the tail's first slot still yields the marker (m < Y ≤ m'), once.
        let (post3, out3) = transition(&TINY, &pre, &input(y + 1, vec![])).unwrap();
        assert_eq!(out3.tickets_mark, Some(TicketsMark(outside_in(&acc))));
        let (_, again) = transition(&TINY, &post3, &input(y + 2, vec![])).unwrap();
        assert_eq!(again.tickets_mark, None);
        // From before the tail, or skipping an epoch: fallback.
        let (post4, _) = transition(&TINY, &pre, &input(e, vec![])).unwrap();
        assert!(matches!(post4.gamma_s, TicketsOrKeys::Keys(_)));
        let (post5, _) = transition(&TINY, &post, &input(2 * e, vec![])).unwrap();
        assert!(matches!(post5.gamma_s, TicketsOrKeys::Keys(_)));
    }

    #[test]
    fn malformed_states_do_not_panic() {
        let mut pre = state(11);
        pre.iota = ValidatorsData(vec![]);
        assert_eq!(
            transition(&TINY, &pre, &input(12, vec![])),
            Err(Error::Reserved)
        );
        let mut pre = state(1);
        pre.gamma_z = [0xff; 144];
        let junk = TicketEnvelope {
            attempt: 0,
            signature: [0; 784],
        };
        assert_eq!(
            transition(&TINY, &pre, &input(2, vec![junk])),
            Err(Error::BadTicketProof)
        );
        let (post, _) = transition(&TINY, &state(1), &input(u32::MAX, vec![])).unwrap();
        assert_eq!(post.tau, u32::MAX);
    }
}
