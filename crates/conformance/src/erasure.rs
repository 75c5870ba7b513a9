//! Runner for the erasure-coding vectors (`erasure/{tiny,full}/ec-*.json`, GP appendix H).
//!
//! Each file holds `data` and the `N` expected `shards`. The runner checks that encoding gives
//! exactly those shards, then that the data is rebuilt from the minimum number (`K`) of shards
//! for several subsets: the first `K` (all data chunks), the last `K` (only recovery chunks), a
//! strided subset, a deterministic pseudo-random subset and a mix of one data chunk with
//! recovery chunks.

use crate::CaseOutcome;
use marmalade_erasure::ErasureParams;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Vector {
    data: String,
    shards: Vec<String>,
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| format!("bad hex: {e}"))
}

/// Runs one vector file.
pub fn run(path: &Path, cfg: crate::Config) -> CaseOutcome {
    CaseOutcome::from_result(crate::name_of(path), check(path, cfg))
}

fn params_of(cfg: crate::Config) -> ErasureParams {
    match cfg {
        crate::Config::Tiny => ErasureParams::TINY,
        crate::Config::Full => ErasureParams::FULL,
    }
}

/// The subsets of `K` chunk indices to rebuild from.
fn subsets(k: usize, n: usize) -> Vec<(&'static str, Vec<usize>)> {
    let mut out = vec![
        ("first K", (0..k).collect()),
        ("last K (recovery only)", (n - k..n).collect()),
    ];
    // Every third index from 1 onwards, wrapping to fill up K distinct ones.
    let mut strided: Vec<usize> = (1..n).step_by(3).take(k).collect();
    for i in 0..n {
        if strided.len() == k {
            break;
        }
        if !strided.contains(&i) {
            strided.push(i);
        }
    }
    out.push(("strided", strided));
    // A deterministic Fisher-Yates shuffle (xorshift), first K.
    let mut idx: Vec<usize> = (0..n).collect();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d ^ (n as u64);
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        idx.swap(i, (x % (i as u64 + 1)) as usize);
    }
    idx.truncate(k);
    out.push(("pseudo-random", idx));
    // One data chunk (the last) and K - 1 recovery chunks, given in descending order.
    let mut mixed = vec![k - 1];
    mixed.extend((k..n).rev().take(k - 1));
    out.push(("one data chunk + recovery", mixed));
    out
}

fn check(path: &Path, cfg: crate::Config) -> Result<(), String> {
    let v: Vector = crate::read_json(path)?;
    let data = unhex(&v.data)?;
    let expected = v
        .shards
        .iter()
        .map(|s| unhex(s))
        .collect::<Result<Vec<_>, _>>()?;
    let params = params_of(cfg);
    let (k, n) = (params.data_shards(), params.total_shards());
    if expected.len() != n {
        return Err(format!(
            "vector has {} shards, expected {n}",
            expected.len()
        ));
    }

    let ours = marmalade_erasure::encode(params, &data);
    if ours.len() != n {
        return Err(format!("encode gave {} chunks, expected {n}", ours.len()));
    }
    if let Some(i) = (0..n).find(|&i| ours[i] != expected[i]) {
        return Err(format!(
            "chunk {i} differs: got 0x{}, expected 0x{}",
            hex::encode(&ours[i]),
            hex::encode(&expected[i])
        ));
    }

    for (what, idx) in subsets(k, n) {
        let given: Vec<(usize, &[u8])> = idx.iter().map(|&i| (i, expected[i].as_slice())).collect();
        let rebuilt = marmalade_erasure::reconstruct(params, &given, data.len())
            .map_err(|e| format!("reconstruct from {what} failed: {e}"))?;
        if rebuilt != data {
            return Err(format!("reconstruct from {what} gave different data"));
        }
    }
    // One chunk fewer than K must be refused.
    let given: Vec<(usize, &[u8])> = (n - k + 1..n)
        .map(|i| (i, expected[i].as_slice()))
        .collect();
    if marmalade_erasure::reconstruct(params, &given, data.len()).is_ok() {
        return Err("reconstruct accepted K - 1 chunks".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_are_k_distinct_in_range() {
        for (k, n) in [(2, 6), (342, 1023)] {
            for (what, s) in subsets(k, n) {
                let mut t = s.clone();
                t.sort_unstable();
                t.dedup();
                assert_eq!(t.len(), k, "{what}");
                assert!(t.iter().all(|&i| i < n), "{what}");
            }
        }
    }
}
