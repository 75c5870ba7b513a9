//! Runner for the codec vectors: `codec/{tiny,full}/<type>.bin` with a `.json` twin.
//!
//! The file stem names the type (`block`, `header_0`, `work_result_1`, ...; a trailing `_N`
//! is an example number). For each file the runner
//! 1. decodes the `.bin` as the type, with the configuration's sequence lengths, requiring
//!    the value to span the whole file;
//! 2. parses the `.json` twin as the same type and checks the two values are equal;
//! 3. serializes the decoded value to JSON and checks it is the twin, field for field;
//! 4. re-encodes the decoded value and checks the bytes are the `.bin`.
//!
//! A failure names the first difference: the JSON path of a differing field or the byte
//! offset of a differing octet.

use crate::CaseOutcome;
use marmalade_codec::{decode_all, Decode, Encode, Reader, SeqLens};
use marmalade_types::{
    AssurancesExtrinsic, Block, ChainSpec, DisputesExtrinsic, Extrinsic, GuaranteesExtrinsic,
    Header, PreimagesExtrinsic, RefineContext, TicketsExtrinsic, WorkDigest, WorkItem, WorkPackage,
    WorkReport,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Debug;
use std::path::Path;

/// Runs one vector file.
pub fn run(path: &Path, cfg: crate::Config) -> CaseOutcome {
    CaseOutcome::from_result(crate::name_of(path), check_file(path, cfg))
}

/// The chain parameters of a configuration.
pub fn spec_of(cfg: crate::Config) -> ChainSpec {
    match cfg {
        crate::Config::Tiny => ChainSpec::TINY,
        crate::Config::Full => ChainSpec::FULL,
    }
}

/// The type name of a vector's file stem: the stem without a trailing `_<digits>`.
fn type_name(stem: &str) -> &str {
    match stem.rsplit_once('_') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => stem,
    }
}

fn check_file(path: &Path, cfg: crate::Config) -> Result<(), String> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format!("{} has no file name", path.display()))?;
    let json = path.with_extension("json");
    let lens = spec_of(cfg).seq_lens();
    match type_name(stem) {
        "block" => check::<Block>(path, &json, lens),
        "header" => check::<Header>(path, &json, lens),
        "extrinsic" => check::<Extrinsic>(path, &json, lens),
        "assurances_extrinsic" => check::<AssurancesExtrinsic>(path, &json, lens),
        "disputes_extrinsic" => check::<DisputesExtrinsic>(path, &json, lens),
        "guarantees_extrinsic" => check::<GuaranteesExtrinsic>(path, &json, lens),
        "preimages_extrinsic" => check::<PreimagesExtrinsic>(path, &json, lens),
        "tickets_extrinsic" => check::<TicketsExtrinsic>(path, &json, lens),
        "refine_context" => check::<RefineContext>(path, &json, lens),
        "work_item" => check::<WorkItem>(path, &json, lens),
        "work_package" => check::<WorkPackage>(path, &json, lens),
        "work_report" => check::<WorkReport>(path, &json, lens),
        "work_result" => check::<WorkDigest>(path, &json, lens),
        other => Err(format!(
            "unknown codec vector type `{other}` (from file stem `{stem}`): no type to decode it as"
        )),
    }
}

fn check<T>(bin_path: &Path, json_path: &Path, lens: SeqLens) -> Result<(), String>
where
    T: Decode + Encode + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bin = crate::read(bin_path)?;
    let json: Value = crate::read_json(json_path)?;

    let decoded: T = decode_all(&bin, lens).map_err(|e| {
        // Replay with a reader to find where decoding stopped.
        let mut r = Reader::new(&bin, lens);
        let _ = T::decode(&mut r);
        let at = bin.len() - r.remaining();
        format!(
            "decoding the .bin ({} bytes) failed near offset {at}: {e}",
            bin.len()
        )
    })?;

    let expected: T = serde_json::from_value(json.clone())
        .map_err(|e| format!("the .json does not parse as the type: {e}"))?;

    let decoded_json = serde_json::to_value(&decoded)
        .map_err(|e| format!("cannot serialize the decoded value: {e}"))?;
    if decoded != expected {
        let diff = first_json_diff(&decoded_json, &json, "$")
            .unwrap_or_else(|| "values differ but serialize identically".to_owned());
        return Err(format!("decoded .bin differs from the .json: {diff}"));
    }
    if let Some(diff) = first_json_diff(&decoded_json, &json, "$") {
        return Err(format!(
            "JSON form of the decoded value differs from the .json: {diff}"
        ));
    }

    let encoded = decoded.encode();
    if let Some(diff) = first_byte_diff(&encoded, &bin) {
        return Err(format!("re-encoding differs from the .bin: {diff}"));
    }
    let encoded_expected = expected.encode();
    if let Some(diff) = first_byte_diff(&encoded_expected, &bin) {
        return Err(format!(
            "encoding of the .json value differs from the .bin: {diff}"
        ));
    }
    Ok(())
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!("{}…", &s[..80])
    } else {
        s
    }
}

/// The first place where JSON value `got` differs from `want`, as `path: got X, want Y`.
fn first_json_diff(got: &Value, want: &Value, path: &str) -> Option<String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    None => return Some(format!("{p}: missing, want {}", show(wv))),
                    Some(gv) => {
                        if let Some(d) = first_json_diff(gv, wv, &p) {
                            return Some(d);
                        }
                    }
                }
            }
            g.iter()
                .find(|(k, _)| !w.contains_key(*k))
                .map(|(k, gv)| format!("{path}.{k}: unexpected field {}", show(gv)))
        }
        (Value::Array(g), Value::Array(w)) => {
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                if let Some(d) = first_json_diff(gv, wv, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (g.len() != w.len()).then(|| format!("{path}: {} items, want {}", g.len(), w.len()))
        }
        _ => (got != want).then(|| format!("{path}: got {}, want {}", show(got), show(want))),
    }
}

/// The first byte offset where `got` differs from `want`, with a little context.
fn first_byte_diff(got: &[u8], want: &[u8]) -> Option<String> {
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .or_else(|| (got.len() != want.len()).then(|| got.len().min(want.len())))?;
    let ctx = |b: &[u8]| hex::encode(&b[at.min(b.len())..(at + 8).min(b.len())]);
    Some(format!(
        "first difference at byte offset {at} (got {} bytes, want {}): got {}…, want {}…",
        got.len(),
        want.len(),
        ctx(got),
        ctx(want)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_drop_example_numbers() {
        assert_eq!(type_name("header_0"), "header");
        assert_eq!(type_name("work_result_12"), "work_result");
        assert_eq!(type_name("work_report"), "work_report");
        assert_eq!(type_name("tickets_extrinsic"), "tickets_extrinsic");
    }

    #[test]
    fn diffs_name_the_first_difference() {
        let a: Value = serde_json::json!({"x": [1, {"y": "0x00"}], "z": 1});
        let b: Value = serde_json::json!({"x": [1, {"y": "0x01"}], "z": 2});
        assert_eq!(
            first_json_diff(&a, &b, "$").unwrap(),
            "$.x[1].y: got \"0x00\", want \"0x01\""
        );
        assert_eq!(first_json_diff(&a, &a, "$"), None);
        assert!(first_byte_diff(&[1, 2, 3], &[1, 2, 4])
            .unwrap()
            .contains("offset 2"));
        assert!(first_byte_diff(&[1, 2], &[1, 2, 4])
            .unwrap()
            .contains("offset 2"));
        assert_eq!(first_byte_diff(&[1], &[1]), None);
    }
}
