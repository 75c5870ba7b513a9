//! Runners for the official JAM conformance vectors.
//!
//! [`run_paths`] walks files and folders, detects each vector file's kind and chain
//! configuration from its path, runs it and reports one [`CaseOutcome`] per test case (a codec
//! or STF file is one case; the shuffle and Ed25519 files hold many).

use std::path::{Path, PathBuf};

pub mod codec;
pub mod ed25519;
pub mod erasure;
pub mod pvm;
pub mod pvm_vectors;
pub mod shuffle;
pub mod stf;
pub mod trace;
pub mod traces;
pub mod trie;

/// The outcome of one test case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The vector file, with a `#case` suffix where one file holds many cases.
    pub name: String,
    /// `None` if the case passed, else the first difference found.
    pub error: Option<String>,
}

impl CaseOutcome {
    /// A case that passed.
    pub fn pass(name: impl Into<String>) -> Self {
        CaseOutcome {
            name: name.into(),
            error: None,
        }
    }

    /// A case that failed with the given first difference.
    pub fn fail(name: impl Into<String>, error: impl Into<String>) -> Self {
        CaseOutcome {
            name: name.into(),
            error: Some(error.into()),
        }
    }

    /// Builds an outcome from a check's result.
    pub fn from_result(name: impl Into<String>, result: Result<(), String>) -> Self {
        CaseOutcome {
            name: name.into(),
            error: result.err(),
        }
    }
}

/// The chain configuration a vector was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Config {
    /// The tiny test configuration (V = 6, C = 2, E = 12).
    Tiny,
    /// The full Gray Paper configuration (V = 1023, C = 341, E = 600).
    Full,
}

/// What a vector file tests, detected from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `codec/{tiny,full}/*.bin` with its `.json` twin.
    Codec(Config),
    /// `erasure/{tiny,full}/*.json`.
    Erasure(Config),
    /// `shuffle/shuffle_tests.json`.
    Shuffle,
    /// `trie/trie.json`.
    Trie,
    /// `crypto-ed25519/vectors.json`.
    Ed25519,
    /// `pvm-test-vectors/programs/*.json`.
    PvmProgram,
    /// `stf/<subsystem>/{tiny,full}/*.bin`.
    Stf(stf::Subsystem, Config),
    /// `traces/<set>/NNNNNNNN.bin` (tiny): one block-import step.
    Trace,
}

fn config_of(path: &Path) -> Option<Config> {
    path.components()
        .rev()
        .find_map(|c| match c.as_os_str().to_str() {
            Some("tiny") => Some(Config::Tiny),
            Some("full") => Some(Config::Full),
            _ => None,
        })
}

fn has_component(path: &Path, name: &str) -> bool {
    path.components().any(|c| c.as_os_str() == name)
}

/// The subsystem of a path `.../stf/<subsystem>/...`.
fn stf_subsystem(path: &Path) -> Option<stf::Subsystem> {
    let mut parts = path.components().map(|c| c.as_os_str());
    parts.find(|c| *c == "stf")?;
    stf::Subsystem::from_dir(parts.next()?.to_str()?)
}

/// Detects the kind of a vector file, or `None` for files that are not vectors (READMEs,
/// schemas, and the JSON twins of `.bin` vectors).
pub fn detect(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?;
    let file = path.file_name()?.to_str()?;
    if ext == "bin" {
        if let Some(sub) = stf_subsystem(path) {
            return config_of(path).map(|cfg| Kind::Stf(sub, cfg));
        }
    }
    // Trace steps are numbered (`00000001.bin`); `genesis.bin` and a fuzz reproducer's
    // `target-post.bin` (a state, not a step) sit beside them.
    let numbered = path
        .file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    if ext == "bin" && has_component(path, "traces") && numbered {
        return Some(Kind::Trace);
    }
    if has_component(path, "codec") && ext == "bin" {
        return config_of(path).map(Kind::Codec);
    }
    if has_component(path, "erasure") && ext == "json" {
        return config_of(path).map(Kind::Erasure);
    }
    if has_component(path, "shuffle") && ext == "json" {
        return Some(Kind::Shuffle);
    }
    if has_component(path, "trie") && ext == "json" {
        return Some(Kind::Trie);
    }
    if file == "vectors.json"
        && (has_component(path, "crypto-ed25519") || has_component(path, "ed25519"))
    {
        return Some(Kind::Ed25519);
    }
    if has_component(path, "programs") && ext == "json" {
        return Some(Kind::PvmProgram);
    }
    None
}

/// Runs one vector file of a known kind.
pub fn run_file(path: &Path, kind: Kind) -> Vec<CaseOutcome> {
    match kind {
        Kind::Codec(cfg) => vec![codec::run(path, cfg)],
        Kind::Erasure(cfg) => vec![erasure::run(path, cfg)],
        Kind::Shuffle => shuffle::run(path),
        Kind::Trie => trie::run(path),
        Kind::Ed25519 => ed25519::run(path),
        Kind::PvmProgram => vec![pvm::run(path)],
        Kind::Stf(sub, cfg) => vec![stf::run(path, sub, cfg)],
        Kind::Trace => vec![traces::run(path)],
    }
}

/// Every vector file under `paths` (files are taken as given; folders are walked), sorted.
pub fn collect(paths: &[PathBuf]) -> std::io::Result<Vec<(PathBuf, Kind)>> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(path: &Path, out: &mut Vec<(PathBuf, Kind)>) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            walk(&entry?.path(), out)?;
        }
    } else if let Some(kind) = detect(path) {
        out.push((path.to_path_buf(), kind));
    } else if !path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} does not exist", path.display()),
        ));
    }
    Ok(())
}

/// Runs every vector under `paths`, in parallel, returning outcomes in path order.
pub fn run_paths(paths: &[PathBuf]) -> std::io::Result<Vec<CaseOutcome>> {
    use rayon::prelude::*;
    let files = collect(paths)?;
    Ok(files
        .par_iter()
        .flat_map_iter(|(p, k)| run_file(p, *k))
        .collect())
}

/// Runs a JSON file holding an array of cases, one outcome per case (`path#<index>`).
pub fn run_json_cases<T: serde::de::DeserializeOwned>(
    path: &Path,
    check: impl Fn(&T) -> Result<(), String>,
) -> Vec<CaseOutcome> {
    let name = name_of(path);
    let cases: Vec<T> = match read_json(path) {
        Ok(c) => c,
        Err(e) => return vec![CaseOutcome::fail(name, e)],
    };
    if cases.is_empty() {
        return vec![CaseOutcome::fail(name, "no cases")];
    }
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| CaseOutcome::from_result(format!("{name}#{i}"), check(case)))
        .collect()
}

/// Where the vectors are: `$JAM_VECTORS`, else `.jam-vectors` in the workspace root.
pub fn vectors_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("JAM_VECTORS") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.jam-vectors")
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Reads and parses a JSON file, naming it in the error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// The display name of a vector file.
pub fn name_of(path: &Path) -> String {
    path.display().to_string()
}

/// For the integration tests: runs every vector under `vectors_root()/rel` and panics, never
/// skips, if the folder is missing, a case fails, or the number of cases is not `expected`.
/// Where the cases come in `tiny` and `full` configurations, each must hold half of them.
pub fn assert_suite(rel: &str, expected: usize) -> Vec<CaseOutcome> {
    let path = vectors_root().join(rel);
    assert!(
        path.exists(),
        "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
        path.display()
    );
    let outcomes = run_paths(std::slice::from_ref(&path)).expect("walking the vectors");
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.name)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n")
    );
    assert_eq!(outcomes.len(), expected, "number of cases under {rel}");
    let count = |cfg: &str| {
        outcomes
            .iter()
            .filter(|o| o.name.contains(&format!("/{cfg}/")))
            .count()
    };
    let (tiny, full) = (count("tiny"), count("full"));
    if tiny + full > 0 {
        assert_eq!(
            (tiny, full),
            (expected / 2, expected / 2),
            "tiny/full split"
        );
    }
    outcomes
}
