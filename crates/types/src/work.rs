//! Work-packages, work-items, work-digests and work-reports (GP sections 11 and 14;
//! serialization GP (C.24)–(C.35)).

use crate::primitives::*;
use marmalade_codec::{Decode, Encode};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A segment $\mathbb{J} = \mathbb{B}_{\mathsf{W}_G}$ (GP (14.1)): the unit of export and import,
/// 4,104 octets, boxed so that segments move cheaply.
pub type Segment = Box<[u8; crate::constants::SEGMENT_SIZE]>;

/// `RefineContext`: $\mathbb{C}$, the refinement context of a work-package (GP (11.4)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct RefineContext {
    /// $a$: the anchor block's header hash.
    #[serde(with = "crate::serde_hex")]
    pub anchor: HeaderHash,
    /// $s$: the anchor's posterior state root.
    #[serde(with = "crate::serde_hex")]
    pub state_root: StateRoot,
    /// $b$: the anchor's accumulation-output log super-peak (BEEFY root).
    #[serde(with = "crate::serde_hex")]
    pub beefy_root: BeefyRoot,
    /// $l$: the lookup-anchor block's header hash.
    #[serde(with = "crate::serde_hex")]
    pub lookup_anchor: HeaderHash,
    /// $t$: the lookup-anchor's timeslot.
    pub lookup_anchor_slot: TimeSlot,
    /// $\mathbf{p}$: the hashes of prerequisite work-packages.
    #[serde(with = "crate::serde_hex")]
    pub prerequisites: Vec<WorkPackageHash>,
}

/// `Authorizer`: an authorizer, code hash and configuration blob; its hash is the
/// `AuthorizerHash` found in the pools (GP (8.1)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct Authorizer {
    /// The is-authorized code hash.
    #[serde(with = "crate::serde_hex")]
    pub code_hash: CodeHash,
    /// The configuration parameters.
    #[serde(with = "crate::serde_hex")]
    pub params: ByteSequence,
}

/// `ImportSpec`: an imported segment reference (GP (14.2) and (C.35)): the root of the
/// exporting segments tree (or a tagged work-package hash) and the segment index.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct ImportSpec {
    /// The segments-tree root (or work-package hash).
    #[serde(with = "crate::serde_hex")]
    pub tree_root: OpaqueHash,
    /// The segment index; GP (C.35) sets bit 15 when `tree_root` is a work-package hash.
    pub index: u16,
}

/// `ExtrinsicSpec`: a reference to an extrinsic blob of a work-item (GP (14.2)): its hash
/// and length.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct ExtrinsicSpec {
    /// The blob's hash.
    #[serde(with = "crate::serde_hex")]
    pub hash: OpaqueHash,
    /// The blob's length in octets, $\mathcal{E}_4$.
    pub len: u32,
}

/// `WorkItem`: $\mathbb{W}$ (GP (14.2); serialization GP (C.29)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct WorkItem {
    /// $s$: the service index.
    pub service: ServiceId,
    /// $c$: the service's code hash.
    #[serde(with = "crate::serde_hex")]
    pub code_hash: CodeHash,
    /// $g$: the refinement gas limit.
    pub refine_gas_limit: Gas,
    /// $a$: the accumulation gas limit.
    pub accumulate_gas_limit: Gas,
    /// $e$: the number of segments exported.
    pub export_count: u16,
    /// $\mathbf{y}$: the payload.
    #[serde(with = "crate::serde_hex")]
    pub payload: ByteSequence,
    /// $\mathbf{i}$: the imported segments.
    pub import_segments: Vec<ImportSpec>,
    /// $\mathbf{x}$: the extrinsic blob references.
    pub extrinsic: Vec<ExtrinsicSpec>,
}

/// `WorkPackage`: $\mathbb{P}$ (GP (14.2); serialization GP (C.28)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct WorkPackage {
    /// $h$: the service hosting the authorization code.
    pub auth_code_host: ServiceId,
    /// $u$: the authorization code hash.
    #[serde(with = "crate::serde_hex")]
    pub auth_code_hash: CodeHash,
    /// $\mathbf{c}$: the refinement context.
    pub context: RefineContext,
    /// $\mathbf{j}$: the authorization token.
    #[serde(with = "crate::serde_hex")]
    pub authorization: ByteSequence,
    /// $\mathbf{f}$: the authorizer configuration.
    #[serde(with = "crate::serde_hex")]
    pub authorizer_config: ByteSequence,
    /// $\mathbf{w}$: the work-items, 1 to $\mathsf{I}$ of them.
    pub items: Vec<WorkItem>,
}

/// `WorkExecResult`: $\mathbb{B} \cup \mathbb{E}$, the output or error of refinement
/// (GP (11.7)), encoded by $O$ (GP C.34) with discriminators 0–6.
///
/// JSON: `{"ok": "0x…"}` or `{"<error>": null}`. The schema of the 0.7.1 vectors has no
/// `⊚` (digest too big) variant; GP 0.7.2 puts it at 4 and moves `BAD`/`BIG` to 5/6, which
/// this type follows. Its JSON name is `output_oversize`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub enum WorkExecResult {
    /// A successful refinement's output blob.
    #[codec(index = 0)]
    Ok(ByteSequence),
    /// `∞`: out of gas.
    #[codec(index = 1)]
    OutOfGas,
    /// `☇`: unexpected program termination.
    #[codec(index = 2)]
    Panic,
    /// `⊚`: the number of exported segments differs from the work-item's export count.
    #[codec(index = 3)]
    BadExports,
    /// `⊖`: the digest's output is too big ($> \mathsf{W}_R$ with the authorizer trace).
    #[codec(index = 4)]
    OutputOversize,
    /// `BAD`: the service's code was not available for lookup.
    #[codec(index = 5)]
    BadCode,
    /// `BIG`: the code exceeds $\mathsf{W}_C$.
    #[codec(index = 6)]
    CodeOversize,
}

impl Default for WorkExecResult {
    fn default() -> Self {
        WorkExecResult::Ok(Vec::new())
    }
}

impl WorkExecResult {
    /// The JSON key of the variant.
    pub fn name(&self) -> &'static str {
        match self {
            WorkExecResult::Ok(_) => "ok",
            WorkExecResult::OutOfGas => "out_of_gas",
            WorkExecResult::Panic => "panic",
            WorkExecResult::BadExports => "bad_exports",
            WorkExecResult::OutputOversize => "output_oversize",
            WorkExecResult::BadCode => "bad_code",
            WorkExecResult::CodeOversize => "code_oversize",
        }
    }

    fn error_from_name(name: &str) -> Option<Self> {
        Some(match name {
            "out_of_gas" => WorkExecResult::OutOfGas,
            "panic" => WorkExecResult::Panic,
            "bad_exports" => WorkExecResult::BadExports,
            "output_oversize" | "digest_too_big" => WorkExecResult::OutputOversize,
            "bad_code" => WorkExecResult::BadCode,
            "code_oversize" => WorkExecResult::CodeOversize,
            _ => return None,
        })
    }

    /// Whether this is a successful output.
    pub fn is_ok(&self) -> bool {
        matches!(self, WorkExecResult::Ok(_))
    }
}

const EXEC_RESULT_NAMES: &[&str] = &[
    "ok",
    "out_of_gas",
    "panic",
    "bad_exports",
    "output_oversize",
    "bad_code",
    "code_oversize",
];

impl Serialize for WorkExecResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        match self {
            WorkExecResult::Ok(b) => m.serialize_entry("ok", &crate::serde_hex::Hex(b))?,
            other => m.serialize_entry(other.name(), &())?,
        }
        m.end()
    }
}

struct ExecResultVisitor;

impl<'de> Visitor<'de> for ExecResultVisitor {
    type Value = WorkExecResult;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a work result: {\"ok\": \"0x…\"} or {\"<error>\": null}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<WorkExecResult, E> {
        WorkExecResult::error_from_name(v).ok_or_else(|| E::unknown_variant(v, EXEC_RESULT_NAMES))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WorkExecResult, A::Error> {
        let key: String = map
            .next_key()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value = if key == "ok" {
            let crate::serde_hex::FromHex(b) = map.next_value()?;
            WorkExecResult::Ok(b)
        } else {
            let v = WorkExecResult::error_from_name(&key)
                .ok_or_else(|| de::Error::unknown_variant(&key, EXEC_RESULT_NAMES))?;
            map.next_value::<de::IgnoredAny>()?;
            v
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(value)
    }
}

impl<'de> Deserialize<'de> for WorkExecResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExecResultVisitor)
    }
}

/// `RefineLoad`: the refinement load of a work-digest (GP (11.6): $u$, $i$, $x$, $z$, $e$),
/// every field natural-encoded (GP C.27).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct RefineLoad {
    /// $u$: gas used in refinement.
    #[codec(compact)]
    pub gas_used: Gas,
    /// $i$: segments imported.
    #[codec(compact)]
    pub imports: u16,
    /// $x$: extrinsics used.
    #[codec(compact)]
    pub extrinsic_count: u16,
    /// $z$: total size of the extrinsics in octets.
    #[codec(compact)]
    pub extrinsic_size: u32,
    /// $e$: segments exported.
    #[codec(compact)]
    pub exports: u16,
}

/// `WorkResult` in the vectors' schema, $\mathbb{D}$ (work-digest) in GP 0.7.2 (GP (11.6);
/// serialization GP C.27).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct WorkDigest {
    /// $s$: the service index.
    pub service_id: ServiceId,
    /// $c$: the service's code hash at report time.
    #[serde(with = "crate::serde_hex")]
    pub code_hash: CodeHash,
    /// $y$: the hash of the work-item's payload.
    #[serde(with = "crate::serde_hex")]
    pub payload_hash: OpaqueHash,
    /// $g$: the accumulation gas limit.
    pub accumulate_gas: Gas,
    /// $\mathbf{l}$: the refinement output or error.
    pub result: WorkExecResult,
    /// The refinement load.
    pub refine_load: RefineLoad,
}

/// The vectors' name for [`WorkDigest`].
pub type WorkResult = WorkDigest;

/// `WorkPackageSpec`: $\mathbb{Y}$, the availability specification (GP (11.5);
/// serialization GP C.26).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize,
)]
pub struct AvailabilitySpec {
    /// $p$: the work-package hash.
    #[serde(with = "crate::serde_hex")]
    pub hash: WorkPackageHash,
    /// $l$: the auditable work bundle's length.
    pub length: u32,
    /// $u$: the erasure root.
    #[serde(with = "crate::serde_hex")]
    pub erasure_root: ErasureRoot,
    /// $e$: the exported-segments root.
    #[serde(with = "crate::serde_hex")]
    pub exports_root: ExportsRoot,
    /// $n$: the number of exported segments.
    pub exports_count: u16,
}

/// The vectors' name for [`AvailabilitySpec`].
pub type WorkPackageSpec = AvailabilitySpec;

/// `SegmentRootLookupItem`: one entry of a report's segment-root lookup dictionary
/// $\mathbf{l}$: work-package hash to segments-tree root.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Encode,
    Decode,
    Serialize,
    Deserialize,
)]
pub struct SegmentRootLookupItem {
    /// The work-package hash.
    #[serde(with = "crate::serde_hex")]
    pub work_package_hash: WorkPackageHash,
    /// Its exported-segments root.
    #[serde(with = "crate::serde_hex")]
    pub segment_tree_root: OpaqueHash,
}

/// `SegmentRootLookup`: the dictionary as a sequence sorted by work-package hash.
pub type SegmentRootLookup = Vec<SegmentRootLookupItem>;

/// `WorkReport`: $\mathbb{R}$ (GP (11.2); serialization GP C.28). The core index and the
/// authorization gas are natural-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Encode, Decode, Serialize, Deserialize)]
pub struct WorkReport {
    /// $s$: the availability specification.
    pub package_spec: AvailabilitySpec,
    /// $c$: the refinement context.
    pub context: RefineContext,
    /// $c$: the core index.
    #[codec(compact)]
    pub core_index: CoreIndex,
    /// $a$: the authorizer hash.
    #[serde(with = "crate::serde_hex")]
    pub authorizer_hash: AuthorizerHash,
    /// $g$: the gas used by is-authorized.
    #[codec(compact)]
    pub auth_gas_used: Gas,
    /// $\mathbf{t}$: the authorizer trace (output).
    #[serde(with = "crate::serde_hex")]
    pub auth_output: ByteSequence,
    /// $\mathbf{l}$: the segment-root lookup dictionary.
    pub segment_root_lookup: SegmentRootLookup,
    /// $\mathbf{d}$: the work-digests, 1 to $\mathsf{I}$ of them.
    pub results: Vec<WorkDigest>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_codec::{decode_all, SeqLens};

    #[test]
    fn exec_result_encoding_and_json() {
        let ok = WorkExecResult::Ok(vec![0xaa, 0xbb]);
        assert_eq!(ok.encode(), vec![0, 2, 0xaa, 0xbb]);
        assert_eq!(WorkExecResult::Panic.encode(), vec![2]);
        assert_eq!(WorkExecResult::CodeOversize.encode(), vec![6]);
        assert!(decode_all::<WorkExecResult>(&[7], SeqLens::TINY).is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"ok":"0xaabb"}"#);
        assert_eq!(
            serde_json::to_string(&WorkExecResult::Panic).unwrap(),
            r#"{"panic":null}"#
        );
        for r in [
            ok,
            WorkExecResult::OutOfGas,
            WorkExecResult::Panic,
            WorkExecResult::BadExports,
            WorkExecResult::OutputOversize,
            WorkExecResult::BadCode,
            WorkExecResult::CodeOversize,
        ] {
            let j = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<WorkExecResult>(&j).unwrap(), r);
            assert_eq!(
                decode_all::<WorkExecResult>(&r.encode(), SeqLens::TINY).unwrap(),
                r
            );
        }
        assert!(serde_json::from_str::<WorkExecResult>(r#"{"nope":null}"#).is_err());
        assert!(serde_json::from_str::<WorkExecResult>(r#"{"ok":"0x","panic":null}"#).is_err());
    }

    #[test]
    fn refine_load_is_natural_encoded() {
        let l = RefineLoad {
            gas_used: 200,
            imports: 1,
            extrinsic_count: 0,
            extrinsic_size: 0x4000,
            exports: 3,
        };
        // 200 = 0x80|0x00, 0xc8; 0x4000 = 0xc0, 0x00, 0x40.
        assert_eq!(l.encode(), vec![0x80, 0xc8, 1, 0, 0xc0, 0x00, 0x40, 3]);
        assert_eq!(
            decode_all::<RefineLoad>(&l.encode(), SeqLens::TINY).unwrap(),
            l
        );
    }
}
