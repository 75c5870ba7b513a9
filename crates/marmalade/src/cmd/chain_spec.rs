//! `marmalade chain-spec --chain dev|FILE`: prints a JIP-4 chain spec as JSON.
//!
//! `dev` is the built-in dev chain ([`marmalade_chainspec::dev_spec`], typeberry's `dev`
//! genesis rebuilt from the JIP-5 development keys). A file is read, its genesis header and
//! state decoded (under the parameters its `protocol_parameters` give, else `--params`), and
//! printed again as marmalade writes it. The genesis header hash and state root go to
//! standard error.

use super::chain_arg::ChainArgs;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

/// Arguments of `marmalade chain-spec`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    chain: ChainArgs,
}

/// Runs the command: prints the spec, or fails if it does not parse or decode.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (spec, params) = args.chain.load()?;
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
