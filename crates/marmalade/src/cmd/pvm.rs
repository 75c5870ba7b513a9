//! `marmalade pvm`: tools for people debugging services (disassembler, tracer).

use anyhow::{anyhow, bail, Context};
use marmalade_conformance::pvm_vectors::ProgramTest;
use marmalade_pvm::{
    disassemble, run as pvm_run, trace, ExitReason, Machine, NoTrace, Program, StandardInit,
    StandardProgram, HALT_ADDRESS,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `marmalade pvm ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Disassemble a program blob (deblob format, standard program, or service code).
    Disasm {
        /// The blob: raw bytes, or a text file holding `0x` hex.
        blob: PathBuf,
    },
    /// Run a program blob, or a PVM test vector (`programs/*.json`) from its initial state.
    Run {
        /// The blob (raw bytes or `0x` hex text) or a test-vector JSON file.
        blob: PathBuf,
        /// Print every executed instruction with the registers it changed.
        #[arg(long)]
        trace: bool,
        /// Gas to start with (ignored for test vectors, which carry their own).
        #[arg(long, default_value_t = 10_000_000)]
        gas: i64,
        /// Arguments for a standard program, as hex (with or without `0x`).
        #[arg(long, default_value = "")]
        args: String,
    },
}

/// Standard output that remembers its first write error instead of panicking: a reader that
/// closes early (`| head`) ends the output quietly.
struct Out {
    out: std::io::StdoutLock<'static>,
    error: Option<std::io::Error>,
}

impl Out {
    fn new() -> Self {
        Out {
            out: std::io::stdout().lock(),
            error: None,
        }
    }

    fn line(&mut self, text: &str) {
        if self.error.is_none() {
            if let Err(e) = writeln!(self.out, "{text}") {
                self.error = Some(e);
            }
        }
    }

    /// `code`, unless writing failed for another reason than a closed pipe.
    fn finish(mut self, code: ExitCode) -> anyhow::Result<ExitCode> {
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
        match self.error {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(code),
        }
    }
}

/// Runs the subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let mut out = Out::new();
    match command {
        Command::Disasm { blob } => {
            let text = disassemble(&read_blob(&blob)?)
                .map_err(|e| anyhow!("{}: not a program blob: {e}", blob.display()))?;
            out.line(text.trim_end_matches('\n'));
            out.finish(ExitCode::SUCCESS)
        }
        Command::Run {
            blob,
            trace: tracing,
            gas,
            args,
        } => {
            let (program, mut machine) = load(&blob, gas, &args)?;
            let exit = if tracing {
                trace(&program, &mut machine, |line| out.line(line))
            } else {
                pvm_run(&program, &mut machine, &mut NoTrace)
            };
            if !tracing {
                out.line(&format!(
                    "exit: {exit:?} at pc {} with gas {}",
                    machine.pc, machine.gas
                ));
            }
            let regs: Vec<String> = machine
                .regs
                .iter()
                .enumerate()
                .map(|(i, r)| format!("r{i}=0x{r:x}"))
                .collect();
            out.line(&regs.join(" "));
            out.finish(match exit {
                ExitReason::Halt => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            })
        }
    }
}

/// The program and initial machine for `pvm run`.
fn load(path: &Path, gas: i64, args: &str) -> anyhow::Result<(Program, Machine)> {
    if path.extension().is_some_and(|e| e == "json") {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let test =
            ProgramTest::from_json(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let program = Program::from_blob(&test.program)?;
        let machine = test.machine().map_err(|e| anyhow!(e))?;
        return Ok((program, machine));
    }
    let blob = read_blob(path)?;
    if let Ok(program) = Program::from_blob(&blob) {
        // a bare code blob: start at pc 0, returning to the halt address
        let mut machine = Machine::new(gas);
        machine.regs[0] = HALT_ADDRESS as u64;
        return Ok((program, machine));
    }
    let args = hex::decode(args.trim_start_matches("0x")).context("--args is not hex")?;
    let standard = if StandardProgram::parse(&blob).is_ok() {
        blob
    } else {
        let (_, p) = StandardProgram::parse_service_code(&blob)
            .map_err(|e| anyhow!("not a PVM blob in any known format: {e}"))?;
        p.to_bytes()
    };
    let init = StandardInit::new(&standard)?;
    let machine = init.machine(&args, gas)?;
    Ok((init.program, machine))
}

/// Reads a blob file: raw bytes, or text holding `0x`-prefixed hex.
fn read_blob(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let t = text.trim();
        if let Some(h) = t.strip_prefix("0x") {
            return hex::decode(h).context("hex blob");
        }
    }
    if bytes.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(bytes)
}
