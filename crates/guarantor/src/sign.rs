//! Guarantor credentials (GP section 11.4): the signature over a work-report and the
//! guarantee that carries two or three of them.

use crate::error::GuaranteeError;
use marmalade_codec::Encode;
use marmalade_crypto::ed25519::SecretKey;
use marmalade_crypto::hash::blake2b_256;
use marmalade_types::constants::context;
use marmalade_types::{
    Ed25519Signature, Hash, ReportGuarantee, TimeSlot, ValidatorIndex, ValidatorSignature,
    WorkReport,
};

/// $\mathcal{H}(\mathcal{E}(\mathbf{r}))$: the work-report's hash, which guarantors sign and
/// the chain records.
pub fn report_hash(report: &WorkReport) -> Hash {
    blake2b_256(&report.encode())
}

/// A guarantor's signature of `report`: an Ed25519 signature of
/// $\mathsf{X}_G \frown \mathcal{H}(\mathcal{E}(\mathbf{r}))$ (GP (11.26)).
pub fn sign_report(report: &WorkReport, secret: &SecretKey) -> Ed25519Signature {
    let message = [context::GUARANTEE, &report_hash(report)[..]].concat();
    secret.sign(&message)
}

/// The guarantee $(\mathbf{r}, t, \mathbf{a})$ (GP (11.23)): `report` guaranteed at `slot`
/// with the credentials ordered by validator index (GP (11.25)); two or three of distinct
/// validators are required.
pub fn guarantee(
    report: WorkReport,
    slot: TimeSlot,
    signatures: Vec<(ValidatorIndex, Ed25519Signature)>,
) -> Result<ReportGuarantee, GuaranteeError> {
    let n = signatures.len();
    let mut signatures: Vec<ValidatorSignature> = signatures
        .into_iter()
        .map(|(validator_index, signature)| ValidatorSignature {
            validator_index,
            signature,
        })
        .collect();
    signatures.sort_unstable_by_key(|s| s.validator_index);
    let distinct = signatures
        .windows(2)
        .all(|w| w[0].validator_index != w[1].validator_index);
    if !(2..=3).contains(&n) || !distinct {
        return Err(GuaranteeError::Credentials(n));
    }
    Ok(ReportGuarantee {
        report,
        slot,
        signatures,
    })
}
