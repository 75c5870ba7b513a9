//! Runner for the state-trie vectors (`trie/trie.json`, GP §D.2).
//!
//! The file is a list of cases `{"input": {key: value, ...}, "output": root}` with hex strings
//! (no `0x`). Its keys are 32 octets; the trie keys on the first 31 (GP §D.1), which is all a
//! leaf stores. The file predates GP 0.7's node layout: it uses least-significant-bit-first key
//! bits and the old node headers ([`LegacyLsb`]), whereas the state roots of the traces (and the
//! GP 0.7.2 text) use [`marmalade_merkle::Gp`]; the runner checks the file with the layout it was
//! made with. Each case is checked with both the one-shot root and the incremental trie.

use crate::CaseOutcome;
use marmalade_merkle::trie::{state_root_with, Key, LegacyLsb, Trie};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct Case {
    input: BTreeMap<String, String>,
    output: String,
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| format!("bad hex {s:?}: {e}"))
}

/// Runs one vector file, one outcome per case (`path#<i>`).
pub fn run(path: &Path) -> Vec<CaseOutcome> {
    let name = crate::name_of(path);
    let cases: Vec<Case> = match crate::read_json(path) {
        Ok(c) => c,
        Err(e) => return vec![CaseOutcome::fail(name, e)],
    };
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| CaseOutcome::from_result(format!("{name}#{i}"), check(c)))
        .collect()
}

fn check(case: &Case) -> Result<(), String> {
    let mut items: Vec<(Key, Vec<u8>)> = Vec::with_capacity(case.input.len());
    for (k, v) in &case.input {
        let k = unhex(k)?;
        if k.len() < 31 {
            return Err(format!("key of {} octets, expected at least 31", k.len()));
        }
        let key: Key = k[..31].try_into().expect("31 octets");
        items.push((key, unhex(v)?));
    }
    let mut distinct: Vec<&Key> = items.iter().map(|(k, _)| k).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != items.len() {
        return Err("two keys share their first 31 octets".into());
    }
    let expected = unhex(&case.output)?;

    let root = state_root_with::<LegacyLsb, _, _>(items.iter().map(|(k, v)| (k, v)));
    if root[..] != expected[..] {
        return Err(format!(
            "root 0x{}, expected 0x{}",
            hex::encode(root),
            hex::encode(&expected)
        ));
    }
    let mut trie: Trie<LegacyLsb> = items.into_iter().collect();
    let incremental = trie.root();
    if incremental != root {
        return Err(format!(
            "incremental trie root 0x{} differs from the one-shot root",
            hex::encode(incremental)
        ));
    }
    Ok(())
}
