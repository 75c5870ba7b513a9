//! `marmalade export-blocks OUT`: writes the best chain of a node's database as a block
//! folder that `marmalade import OUT` re-imports: `chain-spec.json` (the JIP-4 spec the
//! genesis comes from), `NNNNNNNN.block` (each block after the genesis, JAM-encoded, in
//! order) and `state_roots.txt` (per block: its file stem, header hash and the posterior
//! state root the node computed).

use super::base_path::BasePathArgs;
use super::chain_arg::ChainArgs;
use anyhow::{bail, Context};
use marmalade_store::ChainDb;
use marmalade_types::Encode;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// The chain spec file of a block folder.
pub const SPEC_FILE: &str = "chain-spec.json";
/// The recorded roots of a block folder.
pub const ROOTS_FILE: &str = "state_roots.txt";

/// Arguments of `marmalade export-blocks`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    base: BasePathArgs,
    /// The folder to write (created; existing block files in it are replaced).
    out: PathBuf,
}

/// Writes the folder.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (file, params) = args.chain.load()?;
    let data = args.base.resolve(&file.id)?;
    let db = ChainDb::open(data.path(), params)
        .with_context(|| format!("opening the database in {}", data.path().display()))?;
    let genesis = file.genesis(&params)?.header.hash();
    match db.genesis()? {
        Some(g) if g == genesis => {}
        Some(_) => bail!("the database holds another chain than {:?}", file.id),
        None => bail!("no database in {}", data.path().display()),
    }
    let best = db.best()?.context("no best block")?;
    let chain = db.ancestry(&best, usize::MAX)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    std::fs::write(args.out.join(SPEC_FILE), file.to_json())?;
    let mut roots = String::new();
    let mut n = 0usize;
    for (_, hash) in chain.iter().skip(1) {
        let block = db.block(hash)?.context("a block of the best chain")?;
        let info = db.header(hash)?.context("a header of the best chain")?;
        n += 1;
        let stem = format!("{n:08}");
        std::fs::write(args.out.join(format!("{stem}.block")), block.encode())?;
        let _ = writeln!(
            roots,
            "{stem} 0x{} 0x{}",
            hex::encode(hash),
            hex::encode(info.state_root)
        );
    }
    std::fs::write(args.out.join(ROOTS_FILE), roots)?;
    println!(
        "exported {n} blocks (best 0x{}) to {}",
        hex::encode(best),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
