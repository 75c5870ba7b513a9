//! The execution-backend abstraction, so that a recompiler can slot in beside the interpreter
//! and be tested against it.
//!
//! A [`Backend`] prepares programs into modules and runs instances of them. Host calls and
//! the invocations of appendix A ([`crate::invoke_host_with`], [`crate::invoke_standard`],
//! [`crate::invoke_marshalling_with`]) see a running instance only through the [`Instance`]
//! trait, so a backend that keeps registers in machine registers and RAM in mapped memory
//! can implement it without exposing its representation.

use crate::blob::{BlobError, ProgramCode};
use crate::interpreter::{run, NoTrace};
use crate::machine::{ExitReason, Machine};
use crate::memory::{Access, MemoryFault};
use crate::program::Program;

/// A running PVM instance as host calls see it: registers `ω`, gas `ϱ` and RAM `μ` (GP (A.1)).
///
/// Register indices at or above 13 read as 0 and writes to them are ignored. Memory
/// addresses wrap modulo 2^32 in `read`/`write` as in the instructions (GP (A.8)); the
/// `is_*` queries do not wrap (GP's `N_{a...+l} ⊆ V_μ`). A failed `read` or `write` changes
/// nothing.
pub trait Instance {
    /// `ω_i`.
    fn reg(&self, i: usize) -> u64;
    /// Sets `ω_i`.
    fn set_reg(&mut self, i: usize, value: u64);
    /// All 13 registers.
    fn regs(&self) -> [u64; 13] {
        std::array::from_fn(|i| self.reg(i))
    }
    /// `ϱ`: gas left (negative once exhausted).
    fn gas(&self) -> i64;
    /// Sets `ϱ`.
    fn set_gas(&mut self, gas: i64);
    /// `ı`: the instruction counter (at a host call, the `ecalli`'s own).
    fn pc(&self) -> u32;
    /// Reads `out.len()` bytes at `addr`, or the fault of the lowest inaccessible address.
    fn read(&mut self, addr: u32, out: &mut [u8]) -> Result<(), MemoryFault>;
    /// Writes `data` at `addr`, or the fault of the lowest non-writable address.
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryFault>;
    /// Reads `len` bytes at `addr` into a fresh vector, allocated only once the range is
    /// known to be readable.
    fn read_vec(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, MemoryFault>;
    /// Whether `[addr, addr + len)` is readable (and does not pass 2^32).
    fn is_readable(&self, addr: u32, len: u64) -> bool;
    /// Whether `[addr, addr + len)` is writable (and does not pass 2^32).
    fn is_writable(&self, addr: u32, len: u64) -> bool;
    /// The access of page number `page` (covering `page · Z_P ..`), `None` if inaccessible.
    fn page_access(&self, page: u32) -> Option<Access>;
    /// Sets the access of pages `[page, page + count)` (capped at the top of memory); `None`
    /// makes them inaccessible. With `zero` their contents become zero, otherwise they are
    /// kept (refine's `pages`, GP appendix B).
    fn set_page_access(&mut self, page: u32, count: u32, access: Option<Access>, zero: bool);
}

impl Instance for Machine {
    #[inline]
    fn reg(&self, i: usize) -> u64 {
        self.regs.get(i).copied().unwrap_or(0)
    }
    #[inline]
    fn set_reg(&mut self, i: usize, value: u64) {
        if let Some(r) = self.regs.get_mut(i) {
            *r = value;
        }
    }
    #[inline]
    fn regs(&self) -> [u64; 13] {
        self.regs
    }
    #[inline]
    fn gas(&self) -> i64 {
        self.gas
    }
    #[inline]
    fn set_gas(&mut self, gas: i64) {
        self.gas = gas;
    }
    #[inline]
    fn pc(&self) -> u32 {
        self.pc
    }
    fn read(&mut self, addr: u32, out: &mut [u8]) -> Result<(), MemoryFault> {
        self.memory.read(addr, out)
    }
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryFault> {
        self.memory.write(addr, data)
    }
    fn read_vec(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, MemoryFault> {
        self.memory.read_vec(addr, len)
    }
    fn is_readable(&self, addr: u32, len: u64) -> bool {
        self.memory.is_readable(addr, len)
    }
    fn is_writable(&self, addr: u32, len: u64) -> bool {
        self.memory.is_writable(addr, len)
    }
    fn page_access(&self, page: u32) -> Option<Access> {
        let addr = page.checked_mul(crate::blob::PAGE_SIZE)?;
        self.memory.access_of(addr)
    }
    fn set_page_access(&mut self, page: u32, count: u32, access: Option<Access>, zero: bool) {
        let start = page as u64 * crate::blob::PAGE_SIZE as u64;
        if start >= 1 << 32 {
            return;
        }
        let len = count as u64 * crate::blob::PAGE_SIZE as u64;
        self.memory.set_access(start as u32, len, access, zero);
    }
}

/// An engine that can run Ψ (GP (A.1)) on a program it prepared.
pub trait Backend {
    /// The backend's prepared form of a program.
    type Module;
    /// A running machine of this backend.
    type Instance: Instance;

    /// Prepares `(c, k, j)` for execution.
    fn prepare(&self, code: ProgramCode) -> Self::Module;

    /// Prepares a program blob (`deblob` format).
    fn prepare_blob(&self, blob: &[u8]) -> Result<Self::Module, BlobError> {
        Ok(self.prepare(ProgramCode::deblob(blob)?))
    }

    /// An instance of `module` starting from `state` (registers, pc, gas and RAM).
    fn instantiate(&self, module: &Self::Module, state: Machine) -> Self::Instance;

    /// Runs Ψ until the instance exits. On [`ExitReason::HostCall`] the instance's pc is the
    /// `ecalli`'s own.
    fn run(&self, module: &Self::Module, instance: &mut Self::Instance) -> ExitReason;

    /// Moves the pc of an instance stopped at an `ecalli` to the next instruction (Ψ_H's
    /// `ı'' = ı' + 1 + skip(ı')`, GP (A.35)).
    fn skip_host_call(&self, module: &Self::Module, instance: &mut Self::Instance);
}

/// The pre-decoding interpreter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interpreter {
    /// The gas model programs are prepared with.
    pub gas_model: crate::program::GasModel,
}

impl Backend for Interpreter {
    type Module = Program;
    type Instance = Machine;

    fn prepare(&self, code: ProgramCode) -> Program {
        Program::new(code).with_gas_model(self.gas_model)
    }

    fn instantiate(&self, _module: &Program, state: Machine) -> Machine {
        state
    }

    fn run(&self, module: &Program, machine: &mut Machine) -> ExitReason {
        run(module, machine, &mut NoTrace)
    }

    fn skip_host_call(&self, module: &Program, machine: &mut Machine) {
        machine.pc = module.instruction_at(machine.pc).next_pc() as u32;
    }
}
