//! The header's own rules (GP section 5 and 6.4): the extrinsic hash $\mathbf{H}_X$
//! (GP (5.4)–(5.6)), the header hash, and the seal $\mathbf{H}_S$ and entropy source
//! $\mathbf{H}_V$ signatures (GP (6.15)–(6.17)).

use super::error::BlockError;
use marmalade_codec::Encode;
use marmalade_crypto::bandersnatch::{self, VrfOutput};
use marmalade_crypto::hash::blake2b_256;
use marmalade_types::{
    ChainSpec, Entropy, Extrinsic, Header, HeaderHash, OpaqueHash, TicketsOrKeys, ValidatorsData,
};

/// $\mathcal{H}(\mathcal{E}(\mathbf{H}))$: the header hash, which the child's $\mathbf{H}_P$
/// names and recent history records (GP (5.2), (7.8)).
pub fn header_hash(header: &Header) -> HeaderHash {
    blake2b_256(&header.encode())
}

/// $\mathbf{H}_X$ as the GP defines it from the extrinsic (GP (5.4)–(5.6)):
/// $\mathcal{H}(\mathcal{E}(\mathcal{H}^\#(\mathbf{a})))$ with
/// $\mathbf{a} = [\mathcal{E}_T(\mathbf{E}_T), \mathcal{E}_P(\mathbf{E}_P), \mathbf{g},
/// \mathcal{E}_A(\mathbf{E}_A), \mathcal{E}_D(\mathbf{E}_D)]$.
///
/// The four $\mathcal{E}_X$ are the parts' plain encodings (GP C.16). $\mathbf{g}$ is the
/// guarantees' encoding with each work-report replaced by its hash, so that a report's
/// inclusion can be proven without the others: $\mathcal{E}(\updownarrow[(\mathcal{H}(\mathbf{r}),
/// \mathcal{E}_4(t), \updownarrow\mathbf{a})])$. $\mathcal{E}(\mathcal{H}^\#(\mathbf{a}))$ is the
/// five hashes concatenated (a fixed-length sequence has no length prefix).
pub fn extrinsic_hash(extrinsic: &Extrinsic) -> OpaqueHash {
    let mut g = Vec::with_capacity(1 + extrinsic.guarantees.len() * (32 + 4 + 1 + 3 * 66));
    marmalade_codec::encode_natural(extrinsic.guarantees.len() as u64, &mut g);
    for guarantee in &extrinsic.guarantees {
        g.extend_from_slice(&blake2b_256(&guarantee.report.encode()));
        guarantee.slot.encode_to(&mut g);
        guarantee.signatures.encode_to(&mut g);
    }
    let parts = [
        blake2b_256(&extrinsic.tickets.encode()),
        blake2b_256(&extrinsic.preimages.encode()),
        blake2b_256(&g),
        blake2b_256(&extrinsic.assurances.encode()),
        blake2b_256(&extrinsic.disputes.encode()),
    ];
    blake2b_256(&parts.concat())
}

/// Checks the seal and the entropy source of `header` against the posterior Safrole state
/// (GP (6.15)–(6.17)) and returns $\mathcal{Y}(\mathbf{H}_V)$.
///
/// `kappa` is $\kappa'$ (the author's key is $\mathbf{H}_A = \kappa'[\mathbf{H}_I]_b$, GP
/// (5.9)), `sealing` is $\gamma'_S$ and `eta3` is $\eta'_3$. With the slot's sealing entry
/// $i = \gamma'_S[\mathbf{H}_T]^\circlearrowleft$:
/// - tickets (GP (6.15)): $\mathbf{H}_S$ is an IETF VRF signature by $\mathbf{H}_A$ with input
///   $\mathsf{X}_T \frown \eta'_3 \frown i_e$ and aux $\mathcal{E}_U(\mathbf{H})$, and its output
///   is the ticket identifier $i_y$;
/// - fallback keys (GP (6.16)): $i = \mathbf{H}_A$ and $\mathbf{H}_S$ is a signature with input
///   $\mathsf{X}_F \frown \eta'_3$ and the same aux;
/// - either way (GP (6.17)), $\mathbf{H}_V$ is a signature by $\mathbf{H}_A$ with input
///   $\mathsf{X}_E \frown \mathcal{Y}(\mathbf{H}_S)$ and no aux.
pub fn check_seal(
    spec: &ChainSpec,
    header: &Header,
    kappa: &ValidatorsData,
    sealing: &TicketsOrKeys,
    eta3: &Entropy,
) -> Result<VrfOutput, BlockError> {
    let author = kappa
        .get(usize::from(header.author_index))
        .ok_or(BlockError::BadAuthorIndex(header.author_index))?
        .bandersnatch;
    let phase = spec.slot_phase(header.slot) as usize;
    // The seal's VRF output is read without verifying it, so that the two signatures are
    // checked side by side: the entropy source signs Y(H_S), and the seal's check then
    // confirms that output (a verified signature has exactly the output it carries).
    let seal_output = bandersnatch::vrf_output(&header.seal).ok_or(BlockError::BadSeal)?;
    let seal_input = match sealing {
        TicketsOrKeys::Tickets(tickets) => {
            let ticket = tickets.get(phase).ok_or(BlockError::BadSeal)?;
            // GP (6.15): i_y = Y(H_S).
            if seal_output != ticket.id {
                return Err(BlockError::SealNotTicket);
            }
            bandersnatch::ticket_seal_input(eta3, ticket.attempt)
        }
        TicketsOrKeys::Keys(keys) => {
            // GP (6.16): i = H_A.
            if keys.get(phase) != Some(&author) {
                return Err(BlockError::UnexpectedAuthor);
            }
            bandersnatch::fallback_seal_input(eta3)
        }
    };
    let (seal, entropy) = rayon::join(
        || {
            let unsigned = header.encode_unsigned();
            bandersnatch::ietf_verify(&author, &seal_input, &unsigned, &header.seal)
        },
        || {
            let input = bandersnatch::entropy_input(&seal_output);
            bandersnatch::ietf_verify(&author, &input, &[], &header.entropy_source)
        },
    );
    seal.map_err(|_| BlockError::BadSeal)?;
    entropy.map_err(|_| BlockError::BadEntropySource)
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_crypto::bandersnatch::SecretKey;
    use marmalade_types::{TicketBody, ValidatorData};

    const TINY: ChainSpec = ChainSpec::TINY;

    fn header(slot: u32, author: u16) -> Header {
        Header {
            parent: [1; 32],
            parent_state_root: [2; 32],
            extrinsic_hash: [3; 32],
            slot,
            epoch_mark: None,
            tickets_mark: None,
            author_index: author,
            entropy_source: [0; 96],
            offenders_mark: Vec::new(),
            seal: [0; 96],
        }
    }

    fn keys() -> (Vec<SecretKey>, ValidatorsData) {
        let secrets: Vec<_> = (0..TINY.validators as u8)
            .map(|i| SecretKey::from_seed(&[i]))
            .collect();
        let v = ValidatorsData(
            secrets
                .iter()
                .map(|s| ValidatorData {
                    bandersnatch: s.public(),
                    ..ValidatorData::NULL
                })
                .collect(),
        );
        (secrets, v)
    }

    /// Signs `h`'s entropy source and seals it with `secret` for the seal input `input`, as an
    /// author does: the seal's output depends on its input only, so the entropy source (part
    /// of the sealed header) is made first.
    fn seal(h: &mut Header, secret: &SecretKey, input: &[u8]) -> VrfOutput {
        let out = secret.vrf_output(input);
        h.entropy_source = bandersnatch::ietf_sign(secret, &bandersnatch::entropy_input(&out), &[]);
        h.seal = bandersnatch::ietf_sign(secret, input, &h.encode_unsigned());
        bandersnatch::vrf_output(&h.entropy_source).unwrap()
    }

    #[test]
    fn fallback_seal() {
        let (secrets, kappa) = keys();
        let eta3 = [7; 32];
        let sealing = TicketsOrKeys::Keys(vec![kappa[2].bandersnatch; TINY.epoch_len()]);
        let mut h = header(5, 2);
        let y = seal(
            &mut h,
            &secrets[2],
            &bandersnatch::fallback_seal_input(&eta3),
        );
        assert_eq!(check_seal(&TINY, &h, &kappa, &sealing, &eta3), Ok(y));
        // Another entropy, another author, a tampered header.
        assert_eq!(
            check_seal(&TINY, &h, &kappa, &sealing, &[8; 32]),
            Err(BlockError::BadSeal)
        );
        let mut other = h.clone();
        other.author_index = 3;
        assert_eq!(
            check_seal(&TINY, &other, &kappa, &sealing, &eta3),
            Err(BlockError::UnexpectedAuthor)
        );
        let mut tampered = h.clone();
        tampered.parent = [9; 32];
        assert_eq!(
            check_seal(&TINY, &tampered, &kappa, &sealing, &eta3),
            Err(BlockError::BadSeal)
        );
        // A valid seal over an entropy source that signs something else.
        let mut bad_entropy = h.clone();
        bad_entropy.entropy_source = bandersnatch::ietf_sign(&secrets[2], b"other", &[]);
        bad_entropy.seal = bandersnatch::ietf_sign(
            &secrets[2],
            &bandersnatch::fallback_seal_input(&eta3),
            &bad_entropy.encode_unsigned(),
        );
        assert_eq!(
            check_seal(&TINY, &bad_entropy, &kappa, &sealing, &eta3),
            Err(BlockError::BadEntropySource)
        );
        other.author_index = 6;
        assert_eq!(
            check_seal(&TINY, &other, &kappa, &sealing, &eta3),
            Err(BlockError::BadAuthorIndex(6))
        );
    }

    #[test]
    fn ticket_seal() {
        let (secrets, kappa) = keys();
        let eta3 = [7; 32];
        let input = bandersnatch::ticket_seal_input(&eta3, 1);
        let id = secrets[4].vrf_output(&input);
        let mut tickets = vec![TicketBody::default(); TINY.epoch_len()];
        tickets[3] = TicketBody { id, attempt: 1 };
        let sealing = TicketsOrKeys::Tickets(tickets);
        let mut h = header(TINY.epoch_length + 3, 4);
        let y = seal(&mut h, &secrets[4], &input);
        assert_eq!(check_seal(&TINY, &h, &kappa, &sealing, &eta3), Ok(y));
        // The right author signing for the wrong ticket slot.
        let mut other = h.clone();
        other.slot += 1;
        seal(&mut other, &secrets[4], &input);
        assert_eq!(
            check_seal(&TINY, &other, &kappa, &sealing, &eta3),
            Err(BlockError::SealNotTicket)
        );
        // The ticket's output, but the header changed after sealing.
        let mut tampered = h.clone();
        tampered.offenders_mark.push([1; 32]);
        assert_eq!(
            check_seal(&TINY, &tampered, &kappa, &sealing, &eta3),
            Err(BlockError::BadSeal)
        );
        // Another validator's key with the ticket (its seal has another output).
        let mut thief = h.clone();
        thief.author_index = 1;
        seal(&mut thief, &secrets[1], &input);
        assert_eq!(
            check_seal(&TINY, &thief, &kappa, &sealing, &eta3),
            Err(BlockError::SealNotTicket)
        );
    }

    #[test]
    fn extrinsic_hash_of_empty_extrinsic() {
        let e = Extrinsic {
            tickets: Vec::new(),
            preimages: Vec::new(),
            guarantees: Vec::new(),
            assurances: Vec::new(),
            disputes: Default::default(),
        };
        // Four empty sequences and the empty disputes (three empty sequences).
        let empty = blake2b_256(&[0]);
        let disputes = blake2b_256(&[0, 0, 0]);
        let expected = blake2b_256(&[empty, empty, empty, empty, disputes].concat());
        assert_eq!(extrinsic_hash(&e), expected);
    }
}
