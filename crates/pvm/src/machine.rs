//! The state Ψ acts on ([`Machine`]) and why it stops ([`ExitReason`]).

use crate::memory::Memory;

/// Why Ψ stopped (GP (A.1): `ε ∈ {∎, ☇, ∞} ∪ {F, h} × N_R`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitReason {
    /// `∎`: a `djump` to `2^32 − 2^16`.
    Halt,
    /// `☇`: trap, invalid instruction or jump, or a memory access below 2^16.
    Panic,
    /// `∞`: gas ran out.
    OutOfGas,
    /// `F`: a page fault at this page address.
    PageFault(u32),
    /// `h`: an `ecalli` with this host-call identifier.
    HostCall(u64),
}

/// The state Ψ acts on: registers `ω`, instruction counter `ı`, gas `ϱ` and RAM `μ`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Machine {
    /// `ω`: the 13 registers.
    pub regs: [u64; 13],
    /// `ı`: the instruction counter (code index).
    pub pc: u32,
    /// `ϱ`: gas left; negative after running out (GP's `Z_G`).
    pub gas: i64,
    /// `μ`: the RAM.
    pub memory: Memory,
}

impl Machine {
    /// A machine with zero registers, pc 0, empty memory and `gas`.
    pub fn new(gas: i64) -> Self {
        Machine {
            gas,
            ..Machine::default()
        }
    }
}
