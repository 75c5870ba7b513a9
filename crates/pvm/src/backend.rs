//! The execution-backend abstraction, so that a recompiler can slot in beside the interpreter
//! and be tested against it.

use crate::{run, BlobError, ExitReason, Machine, NoTrace, Program, ProgramCode};

/// An engine that can run Ψ (GP eq. A.1) on a program it prepared.
pub trait Backend {
    /// The backend's prepared form of a program.
    type Module;

    /// Prepares `(c, k, j)` for execution.
    fn prepare(&self, code: ProgramCode) -> Self::Module;

    /// Prepares a program blob (`deblob` format).
    fn prepare_blob(&self, blob: &[u8]) -> Result<Self::Module, BlobError> {
        Ok(self.prepare(ProgramCode::deblob(blob)?))
    }

    /// Runs until the machine exits.
    fn run(&self, module: &Self::Module, machine: &mut Machine) -> ExitReason;
}

/// The pre-decoding interpreter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interpreter {
    /// The gas model programs are prepared with.
    pub gas_model: crate::GasModel,
}

impl Backend for Interpreter {
    type Module = Program;

    fn prepare(&self, code: ProgramCode) -> Program {
        Program::new(code).with_gas_model(self.gas_model)
    }

    fn run(&self, module: &Program, machine: &mut Machine) -> ExitReason {
        run(module, machine, &mut NoTrace)
    }
}
