//! `marmalade conformance PATH...`: runs vector files and prints `N passed, M failed`.

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use marmalade_conformance as conformance;
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `marmalade conformance`.
#[derive(clap::Args)]
pub struct Args {
    /// Vector files or folders; the kind (codec, erasure, shuffle, trie, ed25519, pvm, ...) and
    /// the tiny/full configuration are detected from each path.
    paths: Vec<PathBuf>,
    /// Also print a line for every passing case.
    #[arg(long, short)]
    verbose: bool,
}

/// Runs the command; the exit code is non-zero if any case failed.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        let root = conformance::vectors_root();
        if !root.is_dir() {
            bail!(
                "no vectors at {} (run ../shared/vectors/unpack, or set JAM_VECTORS)",
                root.display()
            );
        }
        vec![root]
    } else {
        args.paths
    };
    let files = conformance::collect(&paths).context("collecting vector files")?;
    if files.is_empty() {
        bail!("no vector files of a known kind under the given paths");
    }
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcomes: Vec<Vec<conformance::CaseOutcome>> = files
        .par_iter()
        .map(|(path, kind)| {
            let r = conformance::run_file(path, *kind);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let (mut passed, mut failed) = (0usize, 0usize);
    for case in outcomes.iter().flatten() {
        match &case.error {
            None => {
                passed += 1;
                if args.verbose {
                    println!("ok   {}", case.name);
                }
            }
            Some(e) => {
                failed += 1;
                println!("FAIL {}: {e}", case.name);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
