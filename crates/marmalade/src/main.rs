//! `marmalade`: the JAM node binary.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// Marmalade, a JAM node (Gray Paper 0.7.2).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run conformance vectors (files or folders; default: every vector under $JAM_VECTORS or ./.jam-vectors).
    Conformance(cmd::conformance::Args),
    /// Import chains of blocks from trace folders or exported block folders, with per-block
    /// timing statistics.
    Import(cmd::import::Args),
    /// Write the best chain of a node's database as a block folder for `import`.
    ExportBlocks(cmd::export::Args),
    /// Fuzz protocol-v1 targets with generated and mutated dev-chain blocks, differentially.
    Fuzz(cmd::fuzz::Args),
    /// Serve the conformance fuzz protocol v1 on a Unix socket.
    FuzzTarget(cmd::fuzz_target::Args),
    /// PVM tools: disassembler and tracer.
    #[command(subcommand)]
    Pvm(cmd::pvm::Command),
    /// Guarantee a work-package bundle on a state: print the work-report as JSON and its hash.
    Refine(cmd::refine::Args),
    /// Print a JIP-4 chain spec (`--chain dev`, the built-in dev chain, or a file, checked).
    ChainSpec(cmd::chain_spec::Args),
    /// Run a validator node authoring blocks (`--chain dev --dev-validators all`).
    Run(cmd::run::Args),
    /// Run N local dev validator processes on loopback with a live table (`--validators 6`).
    Testnet(cmd::testnet::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,marmalade_node=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Conformance(args) => cmd::conformance::run(args),
        Command::Pvm(command) => cmd::pvm::run(command),
        Command::Import(args) => cmd::import::run(args),
        Command::ExportBlocks(args) => cmd::export::run(args),
        Command::Fuzz(args) => cmd::fuzz::run(args),
        Command::FuzzTarget(args) => cmd::fuzz_target::run(args),
        Command::Refine(args) => cmd::refine::run(args),
        Command::ChainSpec(args) => cmd::chain_spec::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Testnet(args) => cmd::testnet::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
