//! `marmalade import DIR...`: imports each folder's blocks as one chain, from its genesis,
//! and prints the final state root with per-block import timings. A folder is a trace folder
//! of the conformance vectors (`genesis.bin`, `NNNNNNNN.bin` steps, tiny) or a block folder
//! written by `marmalade export-blocks` (`chain-spec.json`, `NNNNNNNN.block`,
//! `state_roots.txt`: the genesis comes from the spec, and each block's recorded root is
//! compared with the imported one).
//!
//! Unlike the conformance runner, which imports every step on the step's recorded prior
//! state, this carries the state forward through the node's import loop ([`Chain`]): each
//! block is imported on the state the previous import produced (the recorded prior root is
//! only compared with it, and a mismatch is reported), as a node would. The timings cover
//! [`Chain::import`] (execution, storing the change set, the state root), not decoding the
//! trace files.

use super::export::{ROOTS_FILE, SPEC_FILE};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use marmalade_chain::Chain;
use marmalade_chainspec::ChainSpecFile;
use marmalade_conformance::trace::{Genesis, TraceStep};
use marmalade_node::Genesis as NodeGenesis;
use marmalade_store::BlockRef;
use marmalade_types::{decode_all, Block, ChainSpec, Decode, Hash};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The trace folders imported when none is given, under the vectors' `traces/`.
use marmalade_conformance::trace::TRACE_SETS as DEFAULT_SETS;

/// Arguments of `marmalade import`.
#[derive(clap::Args)]
pub struct Args {
    /// Trace folders (`genesis.bin` and `NNNNNNNN.bin` steps, tiny configuration) or block
    /// folders of `export-blocks` [default: the six trace folders of the conformance vectors].
    dirs: Vec<PathBuf>,
    /// Do not check the reports' lookup anchors against the imported headers (GP (11.35)).
    #[arg(long)]
    no_ancestry: bool,
    /// Hide the progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// What importing one folder found.
struct FolderReport {
    blocks: usize,
    rejected: usize,
    /// Steps whose recorded prior root differs from the carried state's.
    pre_mismatches: usize,
    /// Steps whose recorded posterior root differs from the imported state's.
    post_mismatches: usize,
    final_root: Hash,
    import_times: Vec<Duration>,
}

impl FolderReport {
    fn new(blocks: usize, root: Hash) -> Self {
        FolderReport {
            blocks,
            rejected: 0,
            pre_mismatches: 0,
            post_mismatches: 0,
            final_root: root,
            import_times: Vec::with_capacity(blocks),
        }
    }

    /// Imports `block`, timed; `root` becomes its posterior root, or a rejection is counted.
    fn import(
        &mut self,
        chain: &mut Chain,
        block: &Block,
        root: &mut Hash,
        bar: &ProgressBar,
        name: &dyn std::fmt::Display,
    ) {
        let start = Instant::now();
        let result = chain.import(block);
        self.import_times.push(start.elapsed());
        match result {
            Ok(r) => *root = r,
            Err(e) => {
                self.rejected += 1;
                bar.suspend(|| eprintln!("{name}: block rejected: {e}"));
            }
        }
    }
}

/// Runs the command; the exit code is non-zero if a root differed from the trace's.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dirs = if args.dirs.is_empty() {
        let root = marmalade_conformance::vectors_root().join("jam-test-vectors/traces");
        if !root.is_dir() {
            bail!(
                "no traces at {} (run ../shared/vectors/unpack, or set JAM_VECTORS)",
                root.display()
            );
        }
        DEFAULT_SETS.iter().map(|s| root.join(s)).collect()
    } else {
        args.dirs.clone()
    };
    // Shown as given, less any `..` (the default root goes through the crate's folder).
    let dirs: Vec<PathBuf> = dirs
        .into_iter()
        .map(|d| d.canonicalize().unwrap_or(d))
        .collect();
    // The one-time ring set-up (SRS, ring parameters) happens now, not in the first import.
    marmalade_crypto::bandersnatch::prepare_ring(ChainSpec::TINY.validators)?;
    let mut ok = true;
    for dir in &dirs {
        let r =
            import_folder(dir, &args).with_context(|| format!("importing {}", dir.display()))?;
        ok &= r.pre_mismatches == 0 && r.post_mismatches == 0;
        print_report(dir, &r);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The folder's numbered files, `NNNNNNNN.<ext>`, in order.
fn steps_of(dir: &Path, ext: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut steps: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == ext)
                && p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    steps.sort();
    Ok(steps)
}

fn load<T: Decode>(path: &Path, spec: &ChainSpec) -> anyhow::Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    decode_all(&bytes, spec.seq_lens()).with_context(|| format!("decoding {}", path.display()))
}

fn import_folder(dir: &Path, args: &Args) -> anyhow::Result<FolderReport> {
    if dir.join(SPEC_FILE).is_file() {
        return import_blocks(dir, args);
    }
    let spec = ChainSpec::TINY;
    let steps = steps_of(dir, "bin")?;
    if steps.is_empty() {
        bail!("no trace steps (NNNNNNNN.bin) in {}", dir.display());
    }
    // GP (11.35): lookup anchors within L blocks.
    let mut chain = Chain::new(spec, spec.max_lookup_anchor_age as usize);
    let no_ancestry: &[(u32, Hash)] = &[];
    let ancestry = (!args.no_ancestry).then_some(no_ancestry);
    // The chain starts at the genesis state, else at the first step's prior state.
    let genesis_path = dir.join("genesis.bin");
    let mut root = if genesis_path.is_file() {
        let g: Genesis = load(&genesis_path, &spec)?;
        chain
            .initialize(&g.header, g.state.key_values(), ancestry)
            .context("the genesis state")?
    } else {
        let first: TraceStep = load(&steps[0], &spec)?;
        let parent = BlockRef {
            hash: first.block.header.parent,
            slot: 0,
            parent: first.block.header.parent,
        };
        chain
            .initialize_at(parent, first.pre_state.key_values(), ancestry)
            .context("the first pre_state")?
    };

    let bar = progress(dir, steps.len(), args.quiet);
    let mut report = FolderReport::new(steps.len(), root);
    for path in &steps {
        let step: TraceStep = load(path, &spec)?;
        let name = path.display();
        if step.pre_state.state_root != root {
            report.pre_mismatches += 1;
            bar.suspend(|| {
                eprintln!(
                    "warning: {name}: recorded prior root 0x{}, the chain's is 0x{}",
                    hex::encode(step.pre_state.state_root),
                    hex::encode(root)
                )
            });
        }
        report.import(&mut chain, &step.block, &mut root, &bar, &name);
        if step.post_state.state_root != root {
            report.post_mismatches += 1;
            bar.suspend(|| {
                eprintln!(
                    "warning: {name}: recorded posterior root 0x{}, the chain's is 0x{}",
                    hex::encode(step.post_state.state_root),
                    hex::encode(root)
                )
            });
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    report.final_root = root;
    Ok(report)
}

fn progress(dir: &Path, len: usize, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len as u64).with_style(
            ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} blocks {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    bar.set_message(
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    );
    bar
}

/// A block folder of `export-blocks`: the chain from the spec's genesis, each block's root
/// compared with the one recorded (a difference counts as a posterior mismatch; a block
/// without a recorded root as a prior one).
fn import_blocks(dir: &Path, args: &Args) -> anyhow::Result<FolderReport> {
    let file = ChainSpecFile::load(&dir.join(SPEC_FILE))?;
    let spec = file.params(&ChainSpec::TINY)?;
    let genesis = NodeGenesis::from_spec(&file, &spec)?;
    marmalade_crypto::bandersnatch::prepare_ring(spec.validators)?;
    let recorded: std::collections::HashMap<String, Hash> =
        std::fs::read_to_string(dir.join(ROOTS_FILE))
            .with_context(|| format!("reading {ROOTS_FILE}"))?
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let stem = w.next()?.to_owned();
                let root = hex::decode(w.nth(1)?.trim_start_matches("0x")).ok()?;
                Some((stem, Hash::try_from(root).ok()?))
            })
            .collect();
    let blocks = steps_of(dir, "block")?;
    if blocks.is_empty() {
        bail!("no blocks (NNNNNNNN.block) in {}", dir.display());
    }
    let mut chain = Chain::new(spec, spec.max_lookup_anchor_age as usize);
    let no_ancestry: &[(u32, Hash)] = &[];
    let ancestry = (!args.no_ancestry).then_some(no_ancestry);
    let mut root = chain
        .initialize(&genesis.header, genesis.state, ancestry)
        .context("the genesis state")?;
    let bar = progress(dir, blocks.len(), args.quiet);
    let mut report = FolderReport::new(blocks.len(), root);
    for path in &blocks {
        let block: Block = load(path, &spec)?;
        let name = path.display();
        report.import(&mut chain, &block, &mut root, &bar, &name);
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        match stem.and_then(|s| recorded.get(&s).copied()) {
            Some(r) if r == root => {}
            Some(r) => {
                report.post_mismatches += 1;
                bar.suspend(|| {
                    eprintln!(
                        "warning: {name}: recorded root 0x{}, imported 0x{}",
                        hex::encode(r),
                        hex::encode(root)
                    )
                });
            }
            None => {
                report.pre_mismatches += 1;
                bar.suspend(|| eprintln!("warning: {name}: no recorded root"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    report.final_root = root;
    Ok(report)
}

/// The `p`-th percentile of sorted durations (nearest rank), in milliseconds.
fn percentile_ms(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    ms(sorted[rank - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `mean m, p50 a, p90 b, max c ms` of some durations.
fn summary(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mean = if sorted.is_empty() {
        0.0
    } else {
        ms(sorted.iter().sum::<Duration>()) / sorted.len() as f64
    };
    format!(
        "mean {mean:.3}, p50 {:.3}, p90 {:.3}, max {:.3} ms",
        percentile_ms(&sorted, 50),
        percentile_ms(&sorted, 90),
        sorted.last().copied().map_or(0.0, ms),
    )
}

fn print_report(dir: &Path, r: &FolderReport) {
    println!("{}", dir.display());
    println!(
        "  {} blocks, {} imported, {} rejected; final state root 0x{}",
        r.blocks,
        r.blocks - r.rejected,
        r.rejected,
        hex::encode(r.final_root)
    );
    if r.pre_mismatches + r.post_mismatches > 0 {
        println!(
            "  root mismatches with the recorded roots: {} prior, {} posterior",
            r.pre_mismatches, r.post_mismatches
        );
    }
    println!("  block import: {}", summary(&r.import_times));
}
