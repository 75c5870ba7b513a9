//! Assurances, preimages, audits and judgments: CE 141 (assurance distribution), CE 142
//! (preimage announcement), CE 143 (preimage request), CE 144 (audit announcement) and CE 145
//! (judgment publication).

use marmalade_codec::{encode_seq, Decode, Encode, Reader};
use marmalade_types::{
    AvailAssurance, BandersnatchVrfSignature, ChainSpec, CoreIndex, Ed25519Signature, EpochIndex,
    Hash, HeaderHash, Judgement, ServiceId, TimeSlot, ValidatorIndex, ValidatorSignature,
    WorkReportHash,
};

use crate::limits::{
    max_audit_reports, max_tranche_announcement, BANDERSNATCH_SIGNATURE, CREDENTIAL,
    ED25519_SIGNATURE, HASH, MAX_AUDIT_EVIDENCE, MAX_BLOB,
};
use crate::message::{codec_message, decode_bounded_seq, decode_to_end};
use crate::work::hash_request;
use crate::{Error, Message, Result};

/// CE 141 message, `Assurance = Header Hash (Anchor) ++ Bitfield ++ Ed25519 Signature`, the
/// bitfield `⌈C/8⌉` octets: an assurance (GP (11.10)) without its validator index, which the
/// connection tells.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct AssuranceDistribution {
    /// `a`: the parent header hash the assurance is anchored on.
    pub anchor: HeaderHash,
    /// `f`: one bit per core (little-endian within each octet).
    #[codec(len = avail_bitfield_bytes)]
    pub bitfield: Vec<u8>,
    /// `s`: the signature over `X_A` and the anchor and bitfield (GP (11.13)).
    pub signature: Ed25519Signature,
}

codec_message!(AssuranceDistribution, |spec| HASH
    + spec.avail_bitfield_bytes()
    + ED25519_SIGNATURE);

impl AssuranceDistribution {
    /// The assurance as the assurances extrinsic holds it, from validator `validator_index`.
    pub fn into_assurance(self, validator_index: ValidatorIndex) -> AvailAssurance {
        AvailAssurance {
            anchor: self.anchor,
            bitfield: self.bitfield,
            validator_index,
            signature: self.signature,
        }
    }
}

impl From<AvailAssurance> for AssuranceDistribution {
    fn from(a: AvailAssurance) -> Self {
        AssuranceDistribution {
            anchor: a.anchor,
            bitfield: a.bitfield,
            signature: a.signature,
        }
    }
}

/// CE 142 message, `Service ID ++ Hash ++ Preimage Length`: the sender holds the preimage of
/// `hash`, of `length` octets, requested by service `service_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct PreimageAnnouncement {
    /// The requesting service.
    pub service_id: ServiceId,
    /// The preimage's hash.
    pub hash: Hash,
    /// The preimage's length in octets.
    pub length: u32,
}

codec_message!(PreimageAnnouncement, |spec| 4 + HASH + 4);

hash_request! {
    /// CE 143 request, `Hash`: the preimage of this hash.
    PreimageRequest(Hash)
}

/// CE 143 response, `Preimage = [u8]`, the whole message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PreimageResponse(pub Vec<u8>);

impl PreimageResponse {
    /// The bound for a preimage announced (CE 142) or requested on chain with this length.
    pub fn max_size_for(length: u32) -> usize {
        length as usize
    }
}

impl Message for PreimageResponse {
    /// [`MAX_BLOB`] (policy); [`PreimageResponse::max_size_for`] when the length is known.
    fn max_size(_spec: &ChainSpec) -> usize {
        MAX_BLOB
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        Ok(PreimageResponse(r.take(r.remaining())?.to_vec()))
    }
}

/// `Core Index ++ Work-Report Hash`: one work-report an auditor announces it will audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct AuditedReport {
    /// The core the report was made on.
    pub core_index: CoreIndex,
    /// The report's hash.
    pub report_hash: WorkReportHash,
}

/// CE 144 `Announcement = len++[Core Index ++ Work-Report Hash] ++ Ed25519 Signature`: the
/// reports an auditor intends to audit in a tranche (at most `C`, those of one block) and its
/// signature over `X_I`, the tranche, the reports and the block's header hash (GP (17.8)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrancheAnnouncement {
    /// The reports to audit.
    pub reports: Vec<AuditedReport>,
    /// The announcing auditor's signature.
    pub signature: Ed25519Signature,
}

impl TrancheAnnouncement {
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_seq(&self.reports, out);
        out.extend_from_slice(&self.signature);
    }

    fn decode(r: &mut Reader<'_>, spec: &ChainSpec) -> Result<Self> {
        Ok(TrancheAnnouncement {
            reports: decode_bounded_seq(r, "announced reports", max_audit_reports(spec))?,
            signature: r.take_array()?,
        })
    }
}

/// CE 144 first message, `Header Hash ++ Tranche ++ Announcement`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditAnnouncement {
    /// The block being audited.
    pub header_hash: HeaderHash,
    /// The tranche.
    pub tranche: u8,
    /// The reports and signature.
    pub announcement: TrancheAnnouncement,
}

impl Message for AuditAnnouncement {
    fn max_size(spec: &ChainSpec) -> usize {
        HASH + 1 + max_tranche_announcement(spec)
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.header_hash);
        out.push(self.tranche);
        self.announcement.encode_to(out);
    }

    fn read_from(r: &mut Reader<'_>, spec: &ChainSpec) -> Result<Self> {
        Ok(AuditAnnouncement {
            header_hash: r.take_array()?,
            tranche: r.byte()?,
            announcement: TrancheAnnouncement::decode(r, spec)?,
        })
    }
}

/// `No-Show = Validator Index ++ Announcement`: an announcement of the previous tranche for
/// which no judgment arrived.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoShow {
    /// The auditor that announced and did not judge.
    pub validator_index: ValidatorIndex,
    /// Its announcement.
    pub announcement: TrancheAnnouncement,
}

/// The evidence for one report in a later tranche: `Bandersnatch Signature ++ len++[No-Show]`,
/// the signature `s_n(w)` and the no-shows of the previous tranche (at most `V`, one per auditor).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportEvidence {
    /// `s_n(w)`.
    pub signature: BandersnatchVrfSignature,
    /// The no-shows claimed.
    pub no_shows: Vec<NoShow>,
}

/// CE 144 second message, `Evidence`: for tranche 0 the Bandersnatch signature `s_0` the
/// announced reports were derived from; for a later tranche one [`ReportEvidence`] per
/// announced report, in order (count implied by the message size).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditEvidence {
    /// Tranche 0: `s_0`.
    First(BandersnatchVrfSignature),
    /// A later tranche: one entry per announced report.
    Subsequent(Vec<ReportEvidence>),
}

impl AuditEvidence {
    /// The largest evidence message: 96 octets for tranche 0, [`MAX_AUDIT_EVIDENCE`] (policy)
    /// for later ones.
    pub fn max_size(tranche: u8) -> usize {
        if tranche == 0 {
            BANDERSNATCH_SIGNATURE
        } else {
            MAX_AUDIT_EVIDENCE
        }
    }

    /// The content.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            AuditEvidence::First(s) => out.extend_from_slice(s),
            AuditEvidence::Subsequent(reports) => {
                for e in reports {
                    out.extend_from_slice(&e.signature);
                    marmalade_codec::encode_natural(e.no_shows.len() as u64, &mut out);
                    for n in &e.no_shows {
                        n.validator_index.encode_to(&mut out);
                        n.announcement.encode_to(&mut out);
                    }
                }
            }
        }
        out
    }

    /// Decodes the evidence that follows `announcement`: its tranche says which form, and a later
    /// tranche needs one entry per announced report.
    pub fn from_bytes(
        bytes: &[u8],
        spec: &ChainSpec,
        announcement: &AuditAnnouncement,
    ) -> Result<Self> {
        let mut r = Reader::new(bytes, spec.seq_lens());
        if announcement.tranche == 0 {
            let s = r.take_array()?;
            r.finish()?;
            return Ok(AuditEvidence::First(s));
        }
        let expected = announcement.announcement.reports.len();
        let reports = decode_to_end(&mut r, "report evidence", expected, |r| {
            let signature = r.take_array()?;
            let n = r.seq_len()?;
            if n > spec.validators {
                return Err(Error::TooMany {
                    what: "no-shows",
                    count: n,
                    max: spec.validators,
                });
            }
            let mut no_shows =
                Vec::with_capacity(marmalade_codec::prealloc::<NoShow>(n, r.remaining()));
            for _ in 0..n {
                no_shows.push(NoShow {
                    validator_index: ValidatorIndex::decode(r)?,
                    announcement: TrancheAnnouncement::decode(r, spec)?,
                });
            }
            Ok(ReportEvidence {
                signature,
                no_shows,
            })
        })?;
        if reports.len() != expected {
            return Err(Error::Invalid(
                "evidence entries differ from the announced reports",
            ));
        }
        Ok(AuditEvidence::Subsequent(reports))
    }
}

/// CE 145 first message, `Epoch Index ++ Validator Index ++ Validity ++ Work-Report Hash ++
/// Ed25519 Signature`: a judgment (GP (10.2)) with the epoch whose key set it is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct JudgmentPublication {
    /// The epoch index of the auditor's key set.
    pub epoch_index: EpochIndex,
    /// The judging auditor.
    pub validator_index: ValidatorIndex,
    /// `Validity`: 1 valid, 0 invalid (a single byte).
    pub valid: bool,
    /// The judged report.
    pub report_hash: WorkReportHash,
    /// The signature over `X_⊤` or `X_⊥` and the report hash.
    pub signature: Ed25519Signature,
}

codec_message!(JudgmentPublication, |spec| 4
    + 2
    + 1
    + HASH
    + ED25519_SIGNATURE);

impl JudgmentPublication {
    /// The judgment as a verdict holds it (GP (10.2)).
    pub fn judgement(&self) -> Judgement {
        Judgement {
            vote: self.valid,
            index: self.validator_index,
            signature: self.signature,
        }
    }
}

/// CE 145 second message, sent if and only if the judgment is negative: `Guarantee = Slot ++
/// len++[Validator Index ++ Ed25519 Signature]`, the report's guarantee slot and its two or
/// three credentials (GP (11.23)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JudgmentGuarantee {
    /// The guarantee's timeslot.
    pub slot: TimeSlot,
    /// The credentials.
    pub signatures: Vec<ValidatorSignature>,
}

impl Message for JudgmentGuarantee {
    fn max_size(_spec: &ChainSpec) -> usize {
        4 + 1 + 3 * CREDENTIAL
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        self.slot.encode_to(out);
        encode_seq(&self.signatures, out);
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let slot = TimeSlot::decode(r)?;
        let signatures = decode_bounded_seq(r, "guarantee credentials", 3)?;
        if signatures.len() < 2 {
            return Err(Error::Invalid("a guarantee has two or three credentials"));
        }
        Ok(JudgmentGuarantee { slot, signatures })
    }
}
