//! Invocations (GP appendix A.6 and B): the host-call loop Ψ_H (eq. A.31), the standard
//! program initialisation `Y` (eq. B.2–B.5) and the marshalling invocation Ψ_M (eq. B.6).

use crate::blob::{
    page_align, zone_align, BlobError, StandardProgram, INPUT_SIZE, PAGE_SIZE, ZONE_SIZE,
};
use crate::memory::Access;
use crate::{run, ExitReason, Machine, Memory, NoTrace, Program};

/// What a host call tells Ψ_H to do next (the first item of `Ω⟨X⟩`'s result, GP eq. A.32).
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
    /// gas. `machine.pc` is the `ecalli`'s own code index. The gas of the host call itself is
    /// for the handler to charge.
    fn host_call(&mut self, id: u64, machine: &mut Machine) -> HostOutcome;
}

/// Ψ_H (GP eq. A.31): runs Ψ, handing every `ecalli` to `host` and resuming after it while the
/// host says continue. Never returns [`ExitReason::HostCall`].
pub fn invoke_host<H: HostCalls + ?Sized>(
    program: &Program,
    machine: &mut Machine,
    host: &mut H,
) -> ExitReason {
    loop {
        match run(program, machine, &mut NoTrace) {
            ExitReason::HostCall(id) => match host.host_call(id, machine) {
                HostOutcome::Continue => {
                    machine.pc = program.instruction_at(machine.pc).next_pc() as u32;
                }
                HostOutcome::Halt => return ExitReason::Halt,
                HostOutcome::Panic => return ExitReason::Panic,
                HostOutcome::OutOfGas => return ExitReason::OutOfGas,
            },
            other => return other,
        }
    }
}

/// A standard program decoded once, from which machines are initialised per invocation.
#[derive(Debug, Clone)]
pub struct StandardInit {
    /// The decoded code `c`.
    pub program: Program,
    ro_data: Vec<u8>,
    rw_data: Vec<u8>,
    heap_pages: u16,
    stack_size: u32,
}

impl StandardInit {
    /// Parses a standard program blob (eq. B.3) and decodes its code.
    pub fn new(blob: &[u8]) -> Result<Self, BlobError> {
        let sp = StandardProgram::parse(blob)?;
        Ok(StandardInit {
            program: Program::from_blob(sp.code)?,
            ro_data: sp.ro_data.to_vec(),
            rw_data: sp.rw_data.to_vec(),
            heap_pages: sp.heap_pages,
            stack_size: sp.stack_size,
        })
    }

    /// `Y(p, a)`'s registers and RAM (eq. B.4, B.5) with `gas`, at pc 0.
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
        mem.heap_top = heap_end as u32;
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
}

/// `Y(p, a)` (GP eq. B.2): the decoded code and the initial machine (gas 0, pc 0).
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

/// Ψ_M (GP eq. B.6) on a standard program blob: initialise with `Y`, run Ψ_H from `pc` with
/// `gas`, and read `μ'[ω'_7 .. +ω'_8]` on halt (an empty output if unreadable). The output is
/// `Err(Panic)` for a bad blob, panic or page fault, `Err(OutOfGas)` for running out of gas.
pub fn invoke_marshalling<H: HostCalls + ?Sized>(
    blob: &[u8],
    pc: u32,
    gas: u64,
    args: &[u8],
    host: &mut H,
) -> MarshallingResult {
    match StandardInit::new(blob) {
        Ok(init) => invoke_standard(&init, pc, gas, args, host),
        Err(_) => MarshallingResult {
            gas_used: 0,
            output: Err(ExitReason::Panic),
        },
    }
}

/// Ψ_M on an already decoded standard program (decode once, invoke many times).
pub fn invoke_standard<H: HostCalls + ?Sized>(
    init: &StandardInit,
    pc: u32,
    gas: u64,
    args: &[u8],
    host: &mut H,
) -> MarshallingResult {
    let gas_in = gas.min(i64::MAX as u64) as i64;
    let Ok(mut machine) = init.machine(args, gas_in) else {
        return MarshallingResult {
            gas_used: 0,
            output: Err(ExitReason::Panic),
        };
    };
    machine.pc = pc;
    let exit = invoke_host(&init.program, &mut machine, host);
    let gas_used = (gas_in - machine.gas.max(0)) as u64;
    let output = match exit {
        ExitReason::OutOfGas => Err(ExitReason::OutOfGas),
        ExitReason::Halt => {
            let (addr, len) = (machine.regs[7], machine.regs[8]);
            if addr <= u32::MAX as u64 && machine.memory.is_readable(addr as u32, len) {
                // readable, so len < 2^32 and the bytes exist
                Ok(machine
                    .memory
                    .read_vec(addr as u32, len as u32)
                    .unwrap_or_default())
            } else {
                Ok(Vec::new())
            }
        }
        _ => Err(ExitReason::Panic),
    };
    MarshallingResult { gas_used, output }
}
