//! `marmalade refine --state STATE --bundle BUNDLE --core N`: guarantees a work-package
//! bundle on a state, printing the work-report (GP (14.12)) as JSON with its hash.
//!
//! STATE is a key/value state: a trace `genesis.bin` (`Genesis`), or JSON holding `keyvals`
//! at the top (a raw state), under `state` (a genesis) or under `post_state` (a trace step).
//! BUNDLE is a JAM-encoded work-package bundle (GP (14.16)). Imports by work-package hash are
//! resolved through the packages the state's recent history reports (GP (7.8)).
//!
//! Any bad input ends the command with exit status 1 and one line naming it.

use anyhow::{anyhow, Context};
use marmalade_codec::decode_all;
use marmalade_conformance::trace::{Genesis, KeyValue};
use marmalade_guarantor::{build_report, report_hash, CodeCache, RecentlyReported};
use marmalade_state::State;
use marmalade_types::{ChainSpec, CoreIndex};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `marmalade refine`.
#[derive(clap::Args)]
pub struct Args {
    /// The state: a trace genesis (`genesis.bin`) or JSON with `keyvals` (top level, under
    /// `state` or under `post_state`).
    #[arg(long)]
    state: PathBuf,
    /// The JAM-encoded work-package bundle.
    #[arg(long)]
    bundle: PathBuf,
    /// The core to refine on (parsed here, so that a bad one also ends with status 1).
    #[arg(long)]
    core: String,
    /// The chain configuration, `tiny` or `full`.
    #[arg(long, default_value = "tiny")]
    spec: String,
}

/// Runs the command: the report JSON on stdout, or one error line on stderr and status 1.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match refine(&args) {
        Ok(out) => {
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let line = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {line}");
            Ok(ExitCode::from(1))
        }
    }
}

#[derive(serde::Deserialize)]
struct KeyVals {
    keyvals: Vec<KeyValue>,
}

/// Where a state's key/value pairs may sit in a JSON file.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum StateJson {
    Raw(KeyVals),
    Genesis { state: KeyVals },
    Step { post_state: KeyVals },
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{what} {}", path.display()))
}

fn load_state(path: &Path, spec: &ChainSpec) -> anyhow::Result<State> {
    let bytes = read(path, "state")?;
    let keyvals = match decode_all::<Genesis>(&bytes, spec.seq_lens()) {
        Ok(g) => g.state.keyvals,
        Err(bin) => match serde_json::from_slice::<StateJson>(&bytes) {
            Ok(StateJson::Raw(k) | StateJson::Genesis { state: k })
            | Ok(StateJson::Step { post_state: k }) => k.keyvals,
            Err(json) => {
                return Err(anyhow!(
                    "state {}: neither a genesis ({bin}) nor JSON key/values ({json})",
                    path.display()
                ))
            }
        },
    };
    State::from_key_values(spec, keyvals.iter().map(|kv| (kv.key, &kv.value[..])))
        .with_context(|| format!("state {}", path.display()))
}

fn refine(args: &Args) -> anyhow::Result<String> {
    let spec = ChainSpec::from_name(&args.spec).map_err(|e| anyhow!("--spec: {e}"))?;
    let core: CoreIndex = args
        .core
        .parse()
        .map_err(|e| anyhow!("core {:?}: {e}", args.core))?;
    let state = load_state(&args.state, &spec)?;
    let bytes = read(&args.bundle, "bundle")?;
    // The errors' own messages already name their causes: no chain.
    let bundle = marmalade_da::decode_bundle(&bytes, &spec)
        .map_err(|e| anyhow!("bundle {}: {e}", args.bundle.display()))?;
    let history = &state.components.beta.history;
    let work = build_report(
        &spec,
        &state,
        core,
        &bundle,
        &RecentlyReported(history),
        &CodeCache::new(),
    )
    .map_err(|e| anyhow!("bundle {} on core {core}: {e}", args.bundle.display()))?;
    let out = serde_json::json!({
        "report": work.report,
        "hash": format!("0x{}", hex::encode(report_hash(&work.report))),
    });
    Ok(serde_json::to_string_pretty(&out)?)
}
