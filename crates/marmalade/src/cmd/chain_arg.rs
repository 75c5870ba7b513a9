//! The `--chain`/`--params` arguments shared by the commands that load a chain spec.

use anyhow::Context;
use marmalade_chainspec::{dev_spec, ChainSpecFile};
use marmalade_types::ChainSpec;
use std::path::PathBuf;

/// Which chain spec to load, and the parameters of a file that does not name its own.
#[derive(clap::Args)]
pub struct ChainArgs {
    /// `dev` (the built-in dev chain) or a JIP-4 chain spec file.
    #[arg(long, default_value = "dev")]
    chain: String,
    /// The protocol parameters of a spec file without `protocol_parameters`: `tiny` or `full`.
    #[arg(long, default_value = "tiny")]
    params: String,
}

impl ChainArgs {
    /// Loads the spec and resolves its protocol parameters (its own, else `--params`).
    pub fn load(&self) -> anyhow::Result<(ChainSpecFile, ChainSpec)> {
        let default = match self.params.as_str() {
            "tiny" => ChainSpec::TINY,
            "full" => ChainSpec::FULL,
            other => anyhow::bail!("unknown parameters {other:?} (tiny or full)"),
        };
        let spec = if self.chain == "dev" {
            dev_spec().context("building the dev chain")?
        } else {
            let path = PathBuf::from(&self.chain);
            ChainSpecFile::load(&path).with_context(|| format!("chain spec {}", path.display()))?
        };
        let params = spec.params(&default)?;
        Ok((spec, params))
    }
}
