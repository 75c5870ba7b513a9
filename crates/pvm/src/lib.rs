//! The Polkadot Virtual Machine of the Gray Paper 0.7.2 (appendix A), with the standard
//! program initialisation `Y`, the host-call loop Ψ_H and the marshalling invocation Ψ_M
//! (appendix B).
//!
//! A program blob is decoded once ([`Program`]) into a dense instruction array; [`run`]
//! executes it on a [`Machine`] (registers, pc, gas, [`Memory`]).
//!
//! ```
//! use marmalade_pvm::{Machine, Program, ExitReason, NoTrace};
//! // load_imm r7, 5 ; jump_ind r0 (r0 = 2^32 - 2^16: halt)
//! let blob = [0, 0, 5, 51, 7, 5, 50, 0, 0b01001];
//! let program = Program::from_blob(&blob).unwrap();
//! let mut m = Machine::new(100);
//! m.regs[0] = 0xffff_0000;
//! assert_eq!(marmalade_pvm::run(&program, &mut m, &mut NoTrace), ExitReason::Halt);
//! assert_eq!(m.regs[7], 5);
//! ```

#![deny(unsafe_code)]

pub mod backend;
pub mod blob;
pub mod disasm;
pub mod instruction;
pub mod interpreter;
pub mod invoke;
pub mod machine;
pub mod memory;
pub mod opcode;
pub mod program;
pub mod trace;

pub use backend::{Backend, Instance, Interpreter};
pub use blob::{BlobError, ProgramCode, StandardProgram};
pub use disasm::disassemble;
pub use instruction::{Args, Instruction};
pub use interpreter::{run, NoTrace, Tracer, HALT_ADDRESS};
pub use invoke::{
    invoke_host, invoke_host_with, invoke_marshalling, invoke_marshalling_with, invoke_standard,
    standard_init, HostCalls, HostOutcome, MarshallingResult, StandardInit,
};
pub use machine::{ExitReason, Machine};
pub use memory::{Access, Memory, MemoryFault};
pub use opcode::Opcode;
pub use program::{GasModel, Program};
pub use trace::{trace, PrintTracer};
