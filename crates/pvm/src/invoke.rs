//! Invocations (GP appendix A, "Host Call Definition" onwards): the host-call loop Ψ_H (GP (A.35)), the standard
//! program initialisation `Y` (GP (A.37)–(A.43)) and the marshalling invocation Ψ_M
//! (GP (A.44)). Every invocation runs on a [`Backend`]; the plain functions use the
//! interpreter.

use crate::backend::{Backend, Instance, Interpreter};
use crate::blob::{
    page_align, zone_align, BlobError, StandardProgram, INPUT_SIZE, PAGE_SIZE, ZONE_SIZE,
};
use crate::machine::{ExitReason, Machine};
use crate::memory::Access;
use crate::memory::Memory;
use crate::program::Program;

/// What a host call tells Ψ_H to do next (the first item of `Ω⟨X⟩`'s result, GP (A.36)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOutcome {
    /// `▸`: continue after the `ecalli`.
    Continue,
    /// `∎`: halt.
    Halt,
    /// `☇`: panic.
    Panic,
    /// `∞`: out of gas.
    OutOfGas,
}

/// The host-call handler `f` of Ψ_H; its context `X` is the implementor itself.
pub trait HostCalls {
    /// Handles host call `id` (the `ecalli` immediate) with access to the registers, RAM and
    /// gas of the instance. `vm.pc()` is the `ecalli`'s own code index. The gas of the host
    /// call itself is for the handler to charge.
    fn host_call(&mut self, id: u64, vm: &mut dyn Instance) -> HostOutcome;
}

/// Ψ_H (GP (A.35)) on any backend: runs Ψ, handing every `ecalli` to `host` and resuming
/// after it while the host says continue. Never returns [`ExitReason::HostCall`].
pub fn invoke_host_with<B: Backend, H: HostCalls + ?Sized>(
    backend: &B,
    module: &B::Module,
    instance: &mut B::Instance,
    host: &mut H,
) -> ExitReason {
    loop {
        match backend.run(module, instance) {
            ExitReason::HostCall(id) => match host.host_call(id, instance) {
                HostOutcome::Continue => backend.skip_host_call(module, instance),
                HostOutcome::Halt => return ExitReason::Halt,
                HostOutcome::Panic => return ExitReason::Panic,
                HostOutcome::OutOfGas => return ExitReason::OutOfGas,
            },
            other => return other,
        }
    }
}

/// Ψ_H (GP (A.35)) on the interpreter (see [`invoke_host_with`]).
pub fn invoke_host<H: HostCalls + ?Sized>(
    program: &Program,
    machine: &mut Machine,
    host: &mut H,
) -> ExitReason {
    let backend = Interpreter {
        gas_model: program.gas_model,
    };
    invoke_host_with(&backend, program, machine, host)
}

/// A standard program prepared once by a backend, from which instances are initialised per
/// invocation.
pub struct StandardInit<B: Backend = Interpreter> {
    /// The backend that prepared the program and runs its instances.
    pub backend: B,
    /// The prepared code `c`.
    pub program: B::Module,
    ro_data: Vec<u8>,
    rw_data: Vec<u8>,
    heap_pages: u16,
    stack_size: u32,
}

impl<B: Backend + Clone> Clone for StandardInit<B>
where
    B::Module: Clone,
{
    fn clone(&self) -> Self {
        StandardInit {
            backend: self.backend.clone(),
            program: self.program.clone(),
            ro_data: self.ro_data.clone(),
            rw_data: self.rw_data.clone(),
            heap_pages: self.heap_pages,
            stack_size: self.stack_size,
        }
    }
}

impl<B: Backend + std::fmt::Debug> std::fmt::Debug for StandardInit<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandardInit")
            .field("backend", &self.backend)
            .field("ro_data", &self.ro_data.len())
            .field("rw_data", &self.rw_data.len())
            .field("heap_pages", &self.heap_pages)
            .field("stack_size", &self.stack_size)
            .finish_non_exhaustive()
    }
}

impl StandardInit {
    /// Parses a standard program blob (GP (A.37)) and decodes its code for the interpreter.
    pub fn new(blob: &[u8]) -> Result<Self, BlobError> {
        Self::with_backend(Interpreter::default(), blob)
    }
}

impl<B: Backend> StandardInit<B> {
    /// Parses a standard program blob (GP (A.37)) and has `backend` prepare its code.
    pub fn with_backend(backend: B, blob: &[u8]) -> Result<Self, BlobError> {
        let sp = StandardProgram::parse(blob)?;
        let program = backend.prepare_blob(sp.code)?;
        Ok(StandardInit {
            backend,
            program,
            ro_data: sp.ro_data.to_vec(),
            rw_data: sp.rw_data.to_vec(),
            heap_pages: sp.heap_pages,
            stack_size: sp.stack_size,
        })
    }

    /// `Y(p, a)`'s registers and RAM (GP (A.42), (A.43)) with `gas`, at pc 0.
    pub fn machine(&self, args: &[u8], gas: i64) -> Result<Machine, BlobError> {
        if args.len() > INPUT_SIZE as usize {
            return Err(BlobError::ArgumentsTooLarge(args.len()));
        }
        let zz = ZONE_SIZE as u64;
        let top = 1u64 << 32;
        let o = self.ro_data.len() as u64;
        let w = self.rw_data.len() as u64;
        let mut mem = Memory::new();
        let mut map = |start: u64, len: u64, access: Access, data: &[u8]| {
            if len == 0 {
                return;
            }
            mem.set_access(start as u32, len, Some(Access::ReadWrite), true);
            if !data.is_empty() {
                // freshly mapped and writable: cannot fail
                let _ = mem.write(start as u32, data);
            }
            if access == Access::ReadOnly {
                mem.set_access(start as u32, len, Some(access), false);
            }
        };
        map(zz, page_align(o), Access::ReadOnly, &self.ro_data);
        let heap_base = 2 * zz + zone_align(o);
        let heap_end = heap_base + page_align(w) + self.heap_pages as u64 * PAGE_SIZE as u64;
        map(
            heap_base,
            heap_end - heap_base,
            Access::ReadWrite,
            &self.rw_data,
        );
        let stack_end = top - 2 * zz - INPUT_SIZE as u64;
        let stack = page_align(self.stack_size as u64);
        map(stack_end - stack, stack, Access::ReadWrite, &[]);
        let args_start = top - zz - INPUT_SIZE as u64;
        map(
            args_start,
            page_align(args.len() as u64),
            Access::ReadOnly,
            args,
        );
        mem.heap_top = heap_end;
        let mut regs = [0u64; 13];
        regs[0] = top - (1 << 16);
        regs[1] = stack_end;
        regs[7] = args_start;
        regs[8] = args.len() as u64;
        Ok(Machine {
            regs,
            pc: 0,
            gas,
            memory: mem,
        })
    }

    /// `Y(p, a)` as an instance of the backend, with `gas`, at `pc`.
    pub fn instance(&self, args: &[u8], gas: i64, pc: u32) -> Result<B::Instance, BlobError> {
        let mut machine = self.machine(args, gas)?;
        machine.pc = pc;
        Ok(self.backend.instantiate(&self.program, machine))
    }
}

/// `Y(p, a)` (GP (A.37)): the decoded code and the initial machine (gas 0, pc 0).
pub fn standard_init(blob: &[u8], args: &[u8]) -> Result<(Program, Machine), BlobError> {
    let init = StandardInit::new(blob)?;
    let machine = init.machine(args, 0)?;
    Ok((init.program, machine))
}

/// The result of Ψ_M: gas used and the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarshallingResult {
    /// `u = ϱ − max(ϱ', 0)`: gas consumed, never more than was given.
    pub gas_used: u64,
    /// The output blob, or why there is none.
    pub output: Result<Vec<u8>, ExitReason>,
}

/// Ψ_M (GP (A.44)) on a standard program blob with the interpreter: initialise with `Y`,
/// run Ψ_H from `pc` with `gas`, and read `μ'[ω'_7 .. +ω'_8]` on halt (an empty output if
/// unreadable). The output is `Err(Panic)` for a bad blob, panic or page fault,
/// `Err(OutOfGas)` for running out of gas.
pub fn invoke_marshalling<H: HostCalls + ?Sized>(
    blob: &[u8],
    pc: u32,
    gas: u64,
    args: &[u8],
    host: &mut H,
) -> MarshallingResult {
    invoke_marshalling_with(Interpreter::default(), blob, pc, gas, args, host)
}

/// Ψ_M (GP (A.44)) on a standard program blob, prepared and run by `backend`.
pub fn invoke_marshalling_with<B: Backend, H: HostCalls + ?Sized>(
    backend: B,
    blob: &[u8],
    pc: u32,
    gas: u64,
    args: &[u8],
    host: &mut H,
) -> MarshallingResult {
    match StandardInit::with_backend(backend, blob) {
        Ok(init) => invoke_standard(&init, pc, gas, args, host),
        Err(_) => MarshallingResult {
            gas_used: 0,
            output: Err(ExitReason::Panic),
        },
    }
}

/// Ψ_M on an already prepared standard program (prepare once, invoke many times), on the
/// backend that prepared it.
pub fn invoke_standard<B: Backend, H: HostCalls + ?Sized>(
    init: &StandardInit<B>,
    pc: u32,
    gas: u64,
    args: &[u8],
    host: &mut H,
) -> MarshallingResult {
    let gas_in = gas.min(i64::MAX as u64) as i64;
    let Ok(mut vm) = init.instance(args, gas_in, pc) else {
        return MarshallingResult {
            gas_used: 0,
            output: Err(ExitReason::Panic),
        };
    };
    let exit = invoke_host_with(&init.backend, &init.program, &mut vm, host);
    let gas_used = (gas_in - vm.gas().max(0)) as u64;
    let output = match exit {
        ExitReason::OutOfGas => Err(ExitReason::OutOfGas),
        ExitReason::Halt => {
            let (addr, len) = (vm.reg(7), vm.reg(8));
            if addr <= u32::MAX as u64 && vm.is_readable(addr as u32, len) {
                // readable, so len < 2^32 and the bytes exist
                Ok(vm.read_vec(addr as u32, len as u32).unwrap_or_default())
            } else {
                Ok(Vec::new())
            }
        }
        _ => Err(ExitReason::Panic),
    };
    MarshallingResult { gas_used, output }
}
