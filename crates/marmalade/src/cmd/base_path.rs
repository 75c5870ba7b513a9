//! `--base-path DIR` / `--temp`: where a node keeps its database.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// Where the node's data lives.
#[derive(clap::Args)]
pub struct BasePathArgs {
    /// The node's data folder [default: `marmalade/chains/<chain id>` in the user's data
    /// folder, e.g. ~/.local/share on Linux].
    #[arg(long, value_name = "DIR")]
    base_path: Option<PathBuf>,
    /// Keep the database in a fresh temporary folder, deleted when the node stops.
    #[arg(long, conflicts_with = "base_path")]
    temp: bool,
}

/// A resolved data folder; a temporary one is deleted when this is dropped.
pub enum DataDir {
    /// A folder that stays.
    Kept(PathBuf),
    /// A temporary folder.
    Temp(tempfile::TempDir),
}

impl DataDir {
    /// The folder.
    pub fn path(&self) -> &Path {
        match self {
            DataDir::Kept(p) => p,
            DataDir::Temp(t) => t.path(),
        }
    }
}

impl BasePathArgs {
    /// The data folder for the chain `chain_id`.
    pub fn resolve(&self, chain_id: &str) -> anyhow::Result<DataDir> {
        if self.temp {
            let dir = tempfile::Builder::new()
                .prefix("marmalade-")
                .tempdir()
                .context("creating a temporary data folder")?;
            return Ok(DataDir::Temp(dir));
        }
        if let Some(p) = &self.base_path {
            return Ok(DataDir::Kept(p.clone()));
        }
        // A chain id becomes a folder name: keep it to a safe alphabet.
        let name: String = chain_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if name.is_empty() {
            bail!("the chain id is empty: give --base-path");
        }
        let dirs = directories::ProjectDirs::from("", "", "marmalade")
            .context("no home folder to keep data in: give --base-path or --temp")?;
        Ok(DataDir::Kept(dirs.data_dir().join("chains").join(name)))
    }
}
