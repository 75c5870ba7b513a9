//! Execution tracing: a per-instruction callback, and a printer that shows each instruction
//! with its pc, the gas before it and the registers it changed.

use crate::interpreter::run;
use crate::interpreter::Tracer;
use crate::machine::{ExitReason, Machine};
use crate::program::Program;

impl<F: FnMut(&Program, u32, &[u64; 13], i64)> Tracer for F {
    fn step(&mut self, program: &Program, pc: u32, regs: &[u64; 13], gas: i64) {
        self(program, pc, regs, gas)
    }
}

/// Prints one line per executed instruction: `pc: instruction  gas=… r7=…` where the
/// registers listed are those the instruction changed.
pub struct PrintTracer<W: FnMut(&str)> {
    out: W,
    pending: Option<(String, [u64; 13])>,
}

impl<W: FnMut(&str)> PrintTracer<W> {
    /// A tracer that hands each finished line to `out`.
    pub fn new(out: W) -> Self {
        PrintTracer { out, pending: None }
    }

    fn flush(&mut self, regs: &[u64; 13]) {
        if let Some((mut line, before)) = self.pending.take() {
            for (i, (b, a)) in before.iter().zip(regs).enumerate() {
                if b != a {
                    line.push_str(&format!(" r{i}=0x{a:x}"));
                }
            }
            (self.out)(&line);
        }
    }

    /// Emits the last line, given the registers after the last instruction.
    pub fn finish(&mut self, regs: &[u64; 13]) {
        self.flush(regs);
    }
}

impl<W: FnMut(&str)> Tracer for PrintTracer<W> {
    fn step(&mut self, program: &Program, pc: u32, regs: &[u64; 13], gas: i64) {
        self.flush(regs);
        let inst = program.instruction_at(pc);
        self.pending = Some((
            format!("{pc:>6}: {:<36} gas={gas}", inst.to_string()),
            *regs,
        ));
    }
}

/// Runs Ψ printing every instruction through `out`, then the exit line.
pub fn trace(program: &Program, machine: &mut Machine, out: impl FnMut(&str)) -> ExitReason {
    let mut tracer = PrintTracer::new(out);
    let exit = run(program, machine, &mut tracer);
    tracer.finish(&machine.regs);
    let line = format!(
        "exit: {exit:?} at pc {} with gas {}",
        machine.pc, machine.gas
    );
    (tracer.out)(&line);
    exit
}
