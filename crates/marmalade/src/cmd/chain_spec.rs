//! `marmalade chain-spec --chain dev|FILE`: prints a JIP-4 chain spec as JSON.
//!
//! `dev` is the built-in dev chain ([`marmalade_chainspec::dev_spec`], typeberry's `dev`
//! genesis rebuilt from the JIP-5 development keys). A file is read, its genesis header and
//! state decoded (under the parameters its `protocol_parameters` give, else `--params`), and
//! printed again as marmalade writes it. The genesis header hash and state root go to
//! standard error.

use anyhow::Context;
use marmalade_chainspec::{dev_spec, ChainSpecFile};
use marmalade_types::ChainSpec;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `marmalade chain-spec`.
#[derive(clap::Args)]
pub struct Args {
    /// `dev` (the built-in dev chain) or a JIP-4 chain spec file.
    #[arg(long, default_value = "dev")]
    chain: String,
    /// The protocol parameters of a file without `protocol_parameters`: `tiny` or `full`.
    #[arg(long, default_value = "tiny")]
    params: String,
}

/// Runs the command: prints the spec, or fails if it does not parse or decode.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let default = match args.params.as_str() {
        "tiny" => ChainSpec::TINY,
        "full" => ChainSpec::FULL,
        other => anyhow::bail!("unknown parameters {other:?} (tiny or full)"),
    };
    let spec = if args.chain == "dev" {
        dev_spec().context("building the dev chain")?
    } else {
        let path = PathBuf::from(&args.chain);
        ChainSpecFile::load(&path).with_context(|| format!("chain spec {}", path.display()))?
    };
    let params = spec.params(&default)?;
    let genesis = spec
        .genesis(&params)
        .with_context(|| format!("chain spec {:?}", spec.id))?;
    eprintln!(
        "{} ({}): genesis header hash 0x{}, state root 0x{}",
        spec.id,
        params.name,
        hex::encode(genesis.header_hash),
        hex::encode(genesis.state_root)
    );
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", spec.to_json()).and_then(|()| out.flush()) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
