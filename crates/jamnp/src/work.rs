//! Tickets and the in-core path: CE 131/132 (Safrole tickets), CE 133 (work-package submission),
//! CE 134 (work-package sharing), CE 135 (work-report distribution), CE 136 (work-report
//! request), CE 146 (work-package bundle submission) and CE 147 (bundle request).

use marmalade_codec::{encode_seq, Decode, Encode, Reader};
use marmalade_da::{decode_bundle, Bundle, DaError};
use marmalade_types::constants::{
    MAX_BUNDLE_SIZE, MAX_PACKAGE_IMPORTS, MAX_REPORT_DEPENDENCIES, SEGMENT_SIZE,
};
use marmalade_types::work::Segment;
use marmalade_types::{
    ChainSpec, CoreIndex, Ed25519Signature, EpochIndex, ErasureRoot, Hash, ReportGuarantee,
    SegmentRootLookupItem, TicketEnvelope, WorkPackage, WorkReport, WorkReportHash,
};

use crate::limits::{
    ceil_log2, max_guarantee, max_work_report, ED25519_SIGNATURE, HASH, MAX_BUNDLE,
    MAX_IMPORT_PROOF, MAX_WORK_PACKAGE, RING_VRF_PROOF,
};
use crate::message::{codec_message, decode_bounded_seq, decode_to_end, take_fixed_items};
use crate::{Error, Message, Result};

/// CE 131 / CE 132 message, `Epoch Index ++ Ticket`, `Ticket = Attempt ++ Bandersnatch RingVRF
/// Proof` (the ticket as in the tickets extrinsic, GP (6.29)); the epoch is the one the ticket
/// will be used in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct TicketDistribution {
    /// The epoch the ticket is for.
    pub epoch_index: EpochIndex,
    /// The entry index and ring-VRF proof.
    pub ticket: TicketEnvelope,
}

impl Message for TicketDistribution {
    fn max_size(_spec: &ChainSpec) -> usize {
        4 + 1 + RING_VRF_PROOF
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        Encode::encode_to(self, out);
    }

    /// Refuses an entry index not below `N` (GP (6.29); JAMNP-S "0 OR 1" for the full chain).
    fn read_from(r: &mut Reader<'_>, spec: &ChainSpec) -> Result<Self> {
        let m = <Self as Decode>::decode(r)?;
        if m.ticket.attempt >= spec.tickets_per_validator {
            return Err(Error::Invalid("ticket attempt not below N"));
        }
        Ok(m)
    }
}

/// CE 133 first message, `Core Index ++ Work-Package`, limited by JAMNP-S to `2 + 200·1024`
/// octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct WorkPackageSubmission {
    /// The core the package is for.
    pub core_index: CoreIndex,
    /// The work-package (GP (14.2)).
    pub package: WorkPackage,
}

codec_message!(WorkPackageSubmission, |spec| 2 + MAX_WORK_PACKAGE);

// CE 146's second message: the work-package alone, at most 200 KiB (JAMNP-S).
codec_message!(WorkPackage, |spec| MAX_WORK_PACKAGE);

/// CE 133 second message and CE 146 third, `[Extrinsic]`: every extrinsic blob the package's
/// items reference, in order and back to back (as in the bundle, GP (14.16)); the message size
/// equals the sum of the referenced lengths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExtrinsicData(pub Vec<Vec<u8>>);

impl ExtrinsicData {
    /// The largest message: the blobs count toward `W_B` (GP (14.5)).
    pub const MAX_SIZE: usize = MAX_BUNDLE_SIZE;

    /// The content: the blobs back to back.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.concat()
    }

    /// Splits the message by the lengths of `package`'s extrinsic references. The message must
    /// be exactly their sum. The blobs are not hashed here.
    pub fn from_bytes(bytes: &[u8], package: &WorkPackage) -> Result<Self> {
        let lens = package
            .items
            .iter()
            .flat_map(|w| &w.extrinsic)
            .map(|x| u64::from(x.len));
        let total = lens.clone().try_fold(0u64, u64::checked_add);
        if total != Some(bytes.len() as u64) {
            return Err(Error::Invalid(
                "extrinsic data size differs from the package's references",
            ));
        }
        let mut rest = bytes;
        let mut out = Vec::new();
        for len in lens {
            // The lengths sum to the input's size, so each fits.
            let (head, tail) = rest.split_at(len as usize);
            out.push(head.to_vec());
            rest = tail;
        }
        Ok(ExtrinsicData(out))
    }
}

/// `Core Index ++ Segments-Root Mappings`, `Segments-Root Mappings = len++[Work-Package Hash ++
/// Segments-Root]`: the first message of CE 134 and of CE 146.
///
/// At most `J` mappings: each becomes an entry of the report's lookup dictionary, whose size
/// with the prerequisites is at most `J` (GP (11.3)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoreMappings {
    /// The core the package is for.
    pub core_index: CoreIndex,
    /// Work-package hash to segments-root mappings for the imports named by package.
    pub mappings: Vec<SegmentRootLookupItem>,
}

impl Message for CoreMappings {
    fn max_size(_spec: &ChainSpec) -> usize {
        2 + 1 + MAX_REPORT_DEPENDENCIES * 2 * HASH
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        self.core_index.encode_to(out);
        encode_seq(&self.mappings, out);
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        Ok(CoreMappings {
            core_index: CoreIndex::decode(r)?,
            mappings: decode_bounded_seq(r, "segments-root mappings", MAX_REPORT_DEPENDENCIES)?,
        })
    }
}

/// `Work-Package Bundle = [u8]`: CE 134's second message and CE 147's response, the bundle as
/// encoded in the GP (GP (14.16)) taking the whole message. Kept as bytes: the bundle a
/// guarantor shares must be the exact one that is erasure-coded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct WorkPackageBundle(pub Vec<u8>);

impl WorkPackageBundle {
    /// Decodes the bundle (`marmalade_da::decode_bundle`).
    pub fn decode_bundle(&self, spec: &ChainSpec) -> std::result::Result<Bundle, DaError> {
        decode_bundle(&self.0, spec)
    }
}

impl Message for WorkPackageBundle {
    fn max_size(_spec: &ChainSpec) -> usize {
        MAX_BUNDLE
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        Ok(WorkPackageBundle(r.take(r.remaining())?.to_vec()))
    }
}

/// CE 134 response, `Work-Report Hash ++ Ed25519 Signature`: the sharing guarantor's report hash
/// and its guarantee signature (GP (11.26)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub struct SharingResponse {
    /// The hash of the work-report the guarantor computed.
    pub report_hash: WorkReportHash,
    /// Its signature over `X_G` and the report hash.
    pub signature: Ed25519Signature,
}

codec_message!(SharingResponse, |spec| HASH + ED25519_SIGNATURE);

/// CE 135 message, `Guaranteed Work-Report = Work-Report ++ Slot ++ len++[Validator Index ++
/// Ed25519 Signature]`: a guarantee as in the guarantees extrinsic (GP (11.23)), with two or
/// three credentials.
impl Message for ReportGuarantee {
    fn max_size(spec: &ChainSpec) -> usize {
        max_guarantee(spec)
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        Encode::encode_to(self, out);
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let report = WorkReport::decode(r)?;
        let slot = u32::decode(r)?;
        let signatures = decode_bounded_seq(r, "guarantee credentials", 3)?;
        if signatures.len() < 2 {
            return Err(Error::Invalid("a guarantee has two or three credentials"));
        }
        Ok(ReportGuarantee {
            report,
            slot,
            signatures,
        })
    }
}

// CE 136 response: the work-report as in the GP (GP (11.2)).
codec_message!(WorkReport, |spec| max_work_report(spec));

/// Declares a request whose content is one hash.
macro_rules! hash_request {
    ($(#[$meta:meta])* $name:ident($ty:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
        pub struct $name(pub $ty);

        codec_message!($name, |spec| HASH);
    };
}
pub(crate) use hash_request;

hash_request! {
    /// CE 136 request, `Work-Report Hash`.
    WorkReportRequest(WorkReportHash)
}

hash_request! {
    /// CE 147 request, `Erasure-Root`: the bundle of the report with this erasure root.
    BundleRequest(ErasureRoot)
}

/// `[Segment]`: CE 146's fourth message (every imported segment) and CE 148's first response
/// message; 4104 octets each, count implied by the message size, at most `W_M`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Segments(pub Vec<Segment>);

impl Message for Segments {
    fn max_size(_spec: &ChainSpec) -> usize {
        MAX_PACKAGE_IMPORTS * SEGMENT_SIZE
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for s in &self.0 {
            out.extend_from_slice(&s[..]);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let bytes = take_fixed_items(r, "segments", SEGMENT_SIZE, MAX_PACKAGE_IMPORTS)?;
        Ok(Segments(
            bytes
                .chunks_exact(SEGMENT_SIZE)
                .map(|c| {
                    let mut s = Box::new([0u8; SEGMENT_SIZE]);
                    s.copy_from_slice(c);
                    s
                })
                .collect(),
        ))
    }
}

/// `[Import-Proof]`, `Import-Proof = len++[Hash]`: CE 146's fifth message and CE 148's second
/// response message, one `J_0` (GP (14.15)) per segment, count implied by the message size.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ImportProofs(pub Vec<Vec<Hash>>);

impl Message for ImportProofs {
    fn max_size(_spec: &ChainSpec) -> usize {
        MAX_PACKAGE_IMPORTS * MAX_IMPORT_PROOF
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for p in &self.0 {
            encode_seq(p, out);
        }
    }

    fn read_from(r: &mut Reader<'_>, _spec: &ChainSpec) -> Result<Self> {
        let depth = ceil_log2(marmalade_types::constants::MAX_PACKAGE_EXPORTS);
        let proofs = decode_to_end(r, "import proofs", MAX_PACKAGE_IMPORTS, |r| {
            decode_bounded_seq(r, "import proof hashes", depth)
        })?;
        Ok(ImportProofs(proofs))
    }
}
