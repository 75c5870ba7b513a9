//! `marmalade fuzz`: generates valid blocks on the dev chain (some mutated into blocks that
//! must be rejected), sends the same steps to one or more fuzz-protocol-v1 targets, compares
//! every answer with our own chain's and stops at the first mismatch, writing a reproducer
//! (see [`marmalade_fuzzer::driver`]).

use indicatif::{ProgressBar, ProgressStyle};
use marmalade_fuzzer::{Config, ExtrinsicConfig, Fuzzer, GeneratorConfig, MutationKind};
use marmalade_types::ChainSpec;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `marmalade fuzz`.
#[derive(clap::Args)]
pub struct Args {
    /// A target's Unix socket (repeatable: every target gets the same steps).
    #[arg(long = "target", required = true)]
    targets: Vec<PathBuf>,
    /// Steps (`ImportBlock` messages) to run.
    #[arg(long, default_value_t = 1000)]
    steps: u64,
    /// The seed the session is drawn from.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The share of blocks preceded by a mutation that must be rejected.
    #[arg(long = "mutate", default_value_t = 0.1)]
    mutate_share: f64,
    /// Resume: run steps before this one in our own chain only, then initialize the targets
    /// at the block reached.
    #[arg(long, default_value_t = 0)]
    start_step: u64,
    /// The share of blocks preceded by a valid sibling (a fork of depth one).
    #[arg(long, default_value_t = 0.05)]
    fork_share: f64,
    /// The most slots skipped between a block and its parent.
    #[arg(long, default_value_t = 2)]
    max_skip: u32,
    /// Where a mismatch's reproducer goes (`<DIR>/traces/seed-S-step-N/`).
    #[arg(long, default_value = "fuzz-out")]
    out: PathBuf,
    /// The chain spec: `tiny` (the dev chain) or `full` (1,023 development validators).
    #[arg(long, default_value = "tiny")]
    spec: String,
    /// The share of epochs in which tickets are submitted (ring proofs are most of a
    /// session's cost; other epochs are fallback-sealed).
    #[arg(long, default_value_t = 1.0)]
    ticket_epochs: f64,
    /// The most validators that submit tickets in an epoch [default: all under tiny, 12
    /// under full].
    #[arg(long)]
    ticket_keys: Option<usize>,
    /// Genesis validators without metadata. GP (6.14) nulls an offender's whole key;
    /// typeberry 0.11.0 keeps its metadata, so sessions against it need this to go on past
    /// the first offender.
    #[arg(long)]
    zero_metadata: bool,
    /// A mutation kind never to apply (repeatable), by name as the report prints it; e.g.
    /// `guarantee-one-signature` and typeberry 0.11.0, whose decoder closes the connection
    /// on a guarantee with fewer than two credentials instead of answering with an error.
    #[arg(long = "skip-mutation")]
    skip_mutations: Vec<String>,
    /// The share of blocks with new guarantees (refined work reports, GP (11.23)–(11.26)).
    #[arg(long, default_value_t = ExtrinsicConfig::default().guarantees)]
    guarantees: f64,
    /// The share of blocks with assurances of pending reports (GP (11.10)–(11.17)).
    #[arg(long, default_value_t = ExtrinsicConfig::default().assurances)]
    assurances: f64,
    /// The share of blocks providing solicited preimages (GP (12.35)–(12.38)).
    #[arg(long, default_value_t = ExtrinsicConfig::default().preimages)]
    preimages: f64,
    /// The share of blocks with disputes. Judgements stay in ψ for good (GP (10.16)–(10.19)),
    /// so a long session's state grows with this share.
    #[arg(long, default_value_t = ExtrinsicConfig::default().disputes)]
    disputes: f64,
    /// `Initialize` the targets again at the tip every N steps sent, as a fuzzer does between
    /// sessions; the chain goes on. typeberry 0.11.0's per-block time grows with the blocks
    /// it has imported (17 to 64 ms over its first 20,000), and it starts afresh at each.
    #[arg(long = "reinitialize-every")]
    reinitialize_every: Option<u64>,
    /// Seconds a target may take to answer.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

/// Runs the session; exit code 1 on a mismatch.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spec = ChainSpec::from_name(&args.spec)?;
    let ticket_keys = args.ticket_keys.unwrap_or(if spec == ChainSpec::TINY {
        usize::MAX
    } else {
        12
    });
    let skip_mutations = args
        .skip_mutations
        .iter()
        .map(|n| MutationKind::from_name(n).ok_or_else(|| anyhow::anyhow!("no mutation kind {n}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = Config {
        seed: args.seed,
        steps: args.steps,
        start_step: args.start_step,
        mutate_share: args.mutate_share,
        out_dir: Some(args.out),
        generator: GeneratorConfig {
            max_skip: args.max_skip,
            fork_share: args.fork_share,
            ticket_epochs: args.ticket_epochs,
            ticket_keys,
            zero_metadata: args.zero_metadata,
            extrinsics: ExtrinsicConfig {
                guarantees: args.guarantees,
                assurances: args.assurances,
                preimages: args.preimages,
                disputes: args.disputes,
            },
        },
        timeout: Duration::from_secs(args.timeout),
        skip_mutations,
        reinitialize_every: args.reinitialize_every,
    };
    let mut fuzzer = Fuzzer::for_spec(&spec, config)?;
    let mut targets = fuzzer.connect(&args.targets)?;
    for (i, t) in targets.iter().enumerate() {
        let p = t.peer();
        eprintln!(
            "target {i}: {} {} (fuzz v{}, jam {}, features {:#x})",
            p.app_name, p.app_version, p.fuzz_version, p.jam_version, p.fuzz_features
        );
    }
    let bar = ProgressBar::new(args.steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps {per_sec} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Without a terminal (a long session's log) the bar is hidden: a line per 1,000 steps.
    let report = fuzzer.run(&mut targets, |p| {
        bar.set_position(p.step);
        if bar.is_hidden() && p.step % 1000 == 0 {
            eprintln!(
                "step {}/{}: {} sent in {:.0} s",
                p.step,
                p.steps,
                p.sent,
                p.elapsed.as_secs_f64()
            );
        }
    })?;
    bar.finish_and_clear();
    let secs = report.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        report.sent as f64 / secs
    } else {
        0.0
    };
    println!(
        "seed {}: {} steps sent in {:.1} s ({:.1} steps/s): {} valid ({} forks), {} invalid",
        args.seed, report.sent, secs, rate, report.valid, report.forks, report.invalid
    );
    if report.reinitializations > 0 {
        println!(
            "  targets initialized again {} times",
            report.reinitializations
        );
    }
    for (kind, n) in &report.mutations {
        println!("  {kind}: {n}");
    }
    match &report.mismatch {
        None => {
            println!("no mismatch");
            Ok(ExitCode::SUCCESS)
        }
        Some(m) => {
            println!("MISMATCH {m}");
            Ok(ExitCode::FAILURE)
        }
    }
}
