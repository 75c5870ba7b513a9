//! The interpreter: Ψ (GP (A.1)) over a pre-decoded [`Program`].
//!
//! The hot loop keeps the registers, gas and instruction index in locals and dispatches with
//! one `match` on the opcode. Gas is charged per gas segment when control arrives at it (see
//! `Inst::rem`), so straight-line instructions do no gas work; the GP's per-instruction
//! semantics are recovered exactly by refunding on an early stop and by finishing a segment
//! that cannot be paid for in full one instruction at a time ("careful" mode).

use crate::machine::{ExitReason, Machine};
use crate::memory::{Memory, MemoryFault};
use crate::opcode::Opcode;
use crate::program::{GasModel, Inst, Program, INVALID};

/// The djump address that halts (GP (A.18)): `2^32 − 2^16`.
pub const HALT_ADDRESS: u32 = 0xffff_0000;

/// Receives every instruction before it executes (see [`crate::trace()`]).
pub trait Tracer {
    /// Whether tracing is on; when `false` the calls compile away.
    const ENABLED: bool = true;
    /// Called before the instruction at `pc` executes, with the registers and gas then.
    fn step(&mut self, program: &Program, pc: u32, regs: &[u64; 13], gas: i64);
}

/// The tracer that does nothing.
pub struct NoTrace;

impl Tracer for NoTrace {
    const ENABLED: bool = false;
    #[inline(always)]
    fn step(&mut self, _: &Program, _: u32, _: &[u64; 13], _: i64) {}
}

enum Stop {
    Exit(ExitReason),
    Fault(MemoryFault),
    OutOfGas,
}

#[inline(always)]
fn sext32(x: u64) -> u64 {
    x as u32 as i32 as i64 as u64
}

#[inline(always)]
fn imm(x: u32) -> u64 {
    x as i32 as i64 as u64
}

/// Runs Ψ on `machine` until it exits; updates its registers, pc, gas and memory.
///
/// The pc left in the machine is that of the instruction that caused the exit, for every exit
/// reason (the GP's Ψ reports 0 on halt and panic; the vectors and Ψ_H want this one).
pub fn run<T: Tracer>(program: &Program, machine: &mut Machine, tracer: &mut T) -> ExitReason {
    let Some(mut idx) = program.index_of(machine.pc) else {
        // Not an instruction we decoded: ζ gives opcode 0 here, a trap costing 1.
        machine.gas -= 1;
        return if machine.gas < 0 {
            ExitReason::OutOfGas
        } else {
            ExitReason::Panic
        };
    };
    let model = program.gas_model;
    let mut regs = [0u64; 16];
    regs[..13].copy_from_slice(&machine.regs);
    let mut gas = machine.gas;
    let mem = &mut machine.memory;
    let cost = program.insts[idx].rem as i64;
    let mut careful = gas < cost;
    if careful && model == GasModel::BasicBlock {
        machine.gas = gas - cost;
        return ExitReason::OutOfGas;
    }
    if !careful {
        gas -= cost;
    }
    let reason = loop {
        let stop = if careful {
            run_loop::<true, T>(program, &mut regs, &mut gas, mem, &mut idx, tracer)
        } else {
            run_loop::<false, T>(program, &mut regs, &mut gas, mem, &mut idx, tracer)
        };
        match stop {
            Stop::Exit(reason) => break reason,
            Stop::Fault(fault) => {
                if model == GasModel::PerInstruction && !careful {
                    // The faulting instruction itself is charged: GP A ("some gas is always
                    // charged" for an instruction that executes) and the reference node the
                    // fuzzer certifies against (a fuzz session diverges on an accumulate panic
                    // otherwise), although GP (A.8) on its own would leave gas as it was. Only
                    // the rest of the pre-charged segment is refunded; in careful mode the
                    // instruction was charged 1 before it ran, so nothing is refunded.
                    gas += program.insts[idx].rem as i64 - 1;
                }
                break match fault {
                    MemoryFault::Panic => ExitReason::Panic,
                    MemoryFault::PageFault(a) => ExitReason::PageFault(a),
                };
            }
            Stop::OutOfGas if careful => {
                gas -= 1;
                break ExitReason::OutOfGas;
            }
            Stop::OutOfGas => {
                if model == GasModel::BasicBlock {
                    gas -= program.insts[idx].rem as i64;
                    break ExitReason::OutOfGas;
                }
                careful = true;
            }
        }
    };
    machine.regs.copy_from_slice(&regs[..13]);
    machine.gas = gas;
    machine.pc = program.pcs[idx];
    reason
}

/// The dispatch loop. In careful mode each instruction is charged 1 before it runs and control
/// transfers charge nothing; otherwise a transfer charges the whole target segment.
// The load macro applies its conversion closure in place.
#[allow(clippy::redundant_closure_call)]
#[inline(always)]
fn run_loop<const CAREFUL: bool, T: Tracer>(
    program: &Program,
    regs_out: &mut [u64; 16],
    gas_out: &mut i64,
    mem: &mut Memory,
    idx_out: &mut usize,
    tracer: &mut T,
) -> Stop {
    let insts: &[Inst] = &program.insts;
    let jump_table: &[u32] = &program.jump_table;
    let mut r = *regs_out;
    let mut gas = *gas_out;
    let mut i = *idx_out;

    macro_rules! reg {
        ($x:expr) => {
            r[($x & 15) as usize]
        };
    }
    // Transfer control to instruction `t` (valid), charging its segment.
    macro_rules! goto {
        ($t:expr) => {{
            let t = $t as usize;
            if !CAREFUL {
                let c = insts[t].rem as i64;
                if gas < c {
                    i = t;
                    break Stop::OutOfGas;
                }
                gas -= c;
            }
            i = t;
        }};
    }
    // GP (A.17): `branch(b, C)`.
    macro_rules! branch {
        ($inst:expr, $target:expr, $cond:expr) => {{
            if $cond {
                let t = $target;
                if t == INVALID {
                    break Stop::Exit(ExitReason::Panic);
                }
                goto!(t);
            } else {
                goto!(i + 1);
            }
        }};
    }
    // GP (A.18): `djump(a)`.
    macro_rules! djump {
        ($addr:expr) => {{
            let a: u32 = $addr;
            let k = (a >> 1).wrapping_sub(1) as usize;
            let t = if a & 1 == 0 && k < jump_table.len() {
                jump_table[k]
            } else if a == HALT_ADDRESS {
                break Stop::Exit(ExitReason::Halt);
            } else {
                program.djump_uniform(a)
            };
            if t == INVALID {
                break Stop::Exit(ExitReason::Panic);
            }
            goto!(t);
        }};
    }
    macro_rules! load {
        ($dst:expr, $n:literal, $addr:expr, $conv:expr) => {{
            match mem.load::<$n>($addr) {
                Ok(v) => {
                    let f = $conv;
                    reg!($dst) = f(v);
                }
                Err(e) => break Stop::Fault(e),
            }
            i += 1;
        }};
    }
    macro_rules! store {
        ($n:literal, $addr:expr, $bytes:expr) => {{
            match mem.store::<$n>($addr, $bytes) {
                Ok(()) => {}
                Err(e) => break Stop::Fault(e),
            }
            i += 1;
        }};
    }
    macro_rules! op3 {
        ($inst:expr, |$a:ident, $b:ident| $e:expr) => {{
            let $a = reg!($inst.a);
            let $b = reg!($inst.b);
            reg!($inst.d) = $e;
            i += 1;
        }};
    }
    macro_rules! op2i {
        ($inst:expr, |$b:ident, $x:ident| $e:expr) => {{
            let $b = reg!($inst.b);
            let $x = imm($inst.x);
            reg!($inst.a) = $e;
            i += 1;
        }};
    }

    let stop = loop {
        let inst = insts[i];
        if T::ENABLED {
            let mut snapshot = [0u64; 13];
            snapshot.copy_from_slice(&r[..13]);
            tracer.step(program, program.pcs[i], &snapshot, gas);
        }
        if CAREFUL {
            if gas < 1 {
                break Stop::OutOfGas;
            }
            gas -= 1;
        }
        match inst.op {
            Opcode::Trap => break Stop::Exit(ExitReason::Panic),
            Opcode::Fallthrough => goto!(i + 1),
            Opcode::Ecalli => break Stop::Exit(ExitReason::HostCall(imm(inst.x))),
            Opcode::LoadImm64 => {
                reg!(inst.a) = inst.x as u64 | (inst.y as u64) << 32;
                i += 1;
            }
            Opcode::StoreImmU8 => store!(1, inst.x, [inst.y as u8]),
            Opcode::StoreImmU16 => store!(2, inst.x, (inst.y as u16).to_le_bytes()),
            Opcode::StoreImmU32 => store!(4, inst.x, inst.y.to_le_bytes()),
            Opcode::StoreImmU64 => store!(8, inst.x, imm(inst.y).to_le_bytes()),
            Opcode::Jump => branch!(inst, inst.x, true),
            Opcode::JumpInd => djump!((reg!(inst.a) as u32).wrapping_add(inst.x)),
            Opcode::LoadImm => {
                reg!(inst.a) = imm(inst.x);
                i += 1;
            }
            Opcode::LoadU8 => load!(inst.a, 1, inst.x, |v: [u8; 1]| v[0] as u64),
            Opcode::LoadI8 => load!(inst.a, 1, inst.x, |v: [u8; 1]| v[0] as i8 as u64),
            Opcode::LoadU16 => load!(inst.a, 2, inst.x, |v| u16::from_le_bytes(v) as u64),
            Opcode::LoadI16 => load!(inst.a, 2, inst.x, |v| i16::from_le_bytes(v) as u64),
            Opcode::LoadU32 => load!(inst.a, 4, inst.x, |v| u32::from_le_bytes(v) as u64),
            Opcode::LoadI32 => load!(inst.a, 4, inst.x, |v| i32::from_le_bytes(v) as u64),
            Opcode::LoadU64 => load!(inst.a, 8, inst.x, u64::from_le_bytes),
            Opcode::StoreU8 => store!(1, inst.x, [reg!(inst.a) as u8]),
            Opcode::StoreU16 => store!(2, inst.x, (reg!(inst.a) as u16).to_le_bytes()),
            Opcode::StoreU32 => store!(4, inst.x, (reg!(inst.a) as u32).to_le_bytes()),
            Opcode::StoreU64 => store!(8, inst.x, reg!(inst.a).to_le_bytes()),
            Opcode::StoreImmIndU8 => {
                store!(
                    1,
                    (reg!(inst.a) as u32).wrapping_add(inst.x),
                    [inst.y as u8]
                )
            }
            Opcode::StoreImmIndU16 => store!(
                2,
                (reg!(inst.a) as u32).wrapping_add(inst.x),
                (inst.y as u16).to_le_bytes()
            ),
            Opcode::StoreImmIndU32 => store!(
                4,
                (reg!(inst.a) as u32).wrapping_add(inst.x),
                inst.y.to_le_bytes()
            ),
            Opcode::StoreImmIndU64 => store!(
                8,
                (reg!(inst.a) as u32).wrapping_add(inst.x),
                imm(inst.y).to_le_bytes()
            ),
            Opcode::LoadImmJump => {
                reg!(inst.a) = imm(inst.x);
                branch!(inst, inst.y, true)
            }
            Opcode::BranchEqImm => branch!(inst, inst.y, reg!(inst.a) == imm(inst.x)),
            Opcode::BranchNeImm => branch!(inst, inst.y, reg!(inst.a) != imm(inst.x)),
            Opcode::BranchLtUImm => branch!(inst, inst.y, reg!(inst.a) < imm(inst.x)),
            Opcode::BranchLeUImm => branch!(inst, inst.y, reg!(inst.a) <= imm(inst.x)),
            Opcode::BranchGeUImm => branch!(inst, inst.y, reg!(inst.a) >= imm(inst.x)),
            Opcode::BranchGtUImm => branch!(inst, inst.y, reg!(inst.a) > imm(inst.x)),
            Opcode::BranchLtSImm => {
                branch!(inst, inst.y, (reg!(inst.a) as i64) < inst.x as i32 as i64)
            }
            Opcode::BranchLeSImm => {
                branch!(inst, inst.y, (reg!(inst.a) as i64) <= inst.x as i32 as i64)
            }
            Opcode::BranchGeSImm => {
                branch!(inst, inst.y, (reg!(inst.a) as i64) >= inst.x as i32 as i64)
            }
            Opcode::BranchGtSImm => {
                branch!(inst, inst.y, (reg!(inst.a) as i64) > inst.x as i32 as i64)
            }
            Opcode::MoveReg => {
                reg!(inst.d) = reg!(inst.a);
                i += 1;
            }
            Opcode::Sbrk => {
                reg!(inst.d) = mem.sbrk(reg!(inst.a));
                i += 1;
            }
            Opcode::CountSetBits64 => {
                reg!(inst.d) = reg!(inst.a).count_ones() as u64;
                i += 1;
            }
            Opcode::CountSetBits32 => {
                reg!(inst.d) = (reg!(inst.a) as u32).count_ones() as u64;
                i += 1;
            }
            Opcode::LeadingZeroBits64 => {
                reg!(inst.d) = reg!(inst.a).leading_zeros() as u64;
                i += 1;
            }
            Opcode::LeadingZeroBits32 => {
                reg!(inst.d) = (reg!(inst.a) as u32).leading_zeros() as u64;
                i += 1;
            }
            Opcode::TrailingZeroBits64 => {
                reg!(inst.d) = reg!(inst.a).trailing_zeros() as u64;
                i += 1;
            }
            Opcode::TrailingZeroBits32 => {
                reg!(inst.d) = (reg!(inst.a) as u32).trailing_zeros() as u64;
                i += 1;
            }
            Opcode::SignExtend8 => {
                reg!(inst.d) = reg!(inst.a) as i8 as u64;
                i += 1;
            }
            Opcode::SignExtend16 => {
                reg!(inst.d) = reg!(inst.a) as i16 as u64;
                i += 1;
            }
            Opcode::ZeroExtend16 => {
                reg!(inst.d) = reg!(inst.a) as u16 as u64;
                i += 1;
            }
            Opcode::ReverseBytes => {
                reg!(inst.d) = reg!(inst.a).swap_bytes();
                i += 1;
            }
            Opcode::StoreIndU8 => store!(
                1,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                [reg!(inst.a) as u8]
            ),
            Opcode::StoreIndU16 => store!(
                2,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                (reg!(inst.a) as u16).to_le_bytes()
            ),
            Opcode::StoreIndU32 => store!(
                4,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                (reg!(inst.a) as u32).to_le_bytes()
            ),
            Opcode::StoreIndU64 => store!(
                8,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                reg!(inst.a).to_le_bytes()
            ),
            Opcode::LoadIndU8 => load!(
                inst.a,
                1,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                |v: [u8; 1]| v[0] as u64
            ),
            Opcode::LoadIndI8 => load!(
                inst.a,
                1,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                |v: [u8; 1]| v[0] as i8 as u64
            ),
            Opcode::LoadIndU16 => load!(
                inst.a,
                2,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                |v| u16::from_le_bytes(v) as u64
            ),
            Opcode::LoadIndI16 => load!(
                inst.a,
                2,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                |v| i16::from_le_bytes(v) as u64
            ),
            Opcode::LoadIndU32 => load!(
                inst.a,
                4,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                |v| u32::from_le_bytes(v) as u64
            ),
            Opcode::LoadIndI32 => load!(
                inst.a,
                4,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                |v| i32::from_le_bytes(v) as u64
            ),
            Opcode::LoadIndU64 => load!(
                inst.a,
                8,
                (reg!(inst.b) as u32).wrapping_add(inst.x),
                u64::from_le_bytes
            ),
            Opcode::AddImm32 => op2i!(inst, |b, x| sext32(b.wrapping_add(x))),
            Opcode::AndImm => op2i!(inst, |b, x| b & x),
            Opcode::XorImm => op2i!(inst, |b, x| b ^ x),
            Opcode::OrImm => op2i!(inst, |b, x| b | x),
            Opcode::MulImm32 => op2i!(inst, |b, x| sext32(b.wrapping_mul(x))),
            Opcode::SetLtUImm => op2i!(inst, |b, x| (b < x) as u64),
            Opcode::SetLtSImm => op2i!(inst, |b, x| ((b as i64) < x as i64) as u64),
            Opcode::ShloLImm32 => op2i!(inst, |b, x| sext32(((b as u32) << (x & 31)) as u64)),
            Opcode::ShloRImm32 => op2i!(inst, |b, x| sext32(((b as u32) >> (x & 31)) as u64)),
            Opcode::SharRImm32 => op2i!(inst, |b, x| ((b as i32) >> (x & 31)) as u64),
            Opcode::NegAddImm32 => op2i!(inst, |b, x| sext32(x.wrapping_sub(b))),
            Opcode::SetGtUImm => op2i!(inst, |b, x| (b > x) as u64),
            Opcode::SetGtSImm => op2i!(inst, |b, x| (b as i64 > x as i64) as u64),
            Opcode::ShloLImmAlt32 => {
                op2i!(inst, |b, x| sext32(((x as u32) << (b & 31)) as u64))
            }
            Opcode::ShloRImmAlt32 => {
                op2i!(inst, |b, x| sext32(((x as u32) >> (b & 31)) as u64))
            }
            Opcode::SharRImmAlt32 => op2i!(inst, |b, x| ((x as i32) >> (b & 31)) as u64),
            Opcode::CmovIzImm => {
                if reg!(inst.b) == 0 {
                    reg!(inst.a) = imm(inst.x);
                }
                i += 1;
            }
            Opcode::CmovNzImm => {
                if reg!(inst.b) != 0 {
                    reg!(inst.a) = imm(inst.x);
                }
                i += 1;
            }
            Opcode::AddImm64 => op2i!(inst, |b, x| b.wrapping_add(x)),
            Opcode::MulImm64 => op2i!(inst, |b, x| b.wrapping_mul(x)),
            Opcode::ShloLImm64 => op2i!(inst, |b, x| b << (x & 63)),
            Opcode::ShloRImm64 => op2i!(inst, |b, x| b >> (x & 63)),
            Opcode::SharRImm64 => op2i!(inst, |b, x| ((b as i64) >> (x & 63)) as u64),
            Opcode::NegAddImm64 => op2i!(inst, |b, x| x.wrapping_sub(b)),
            Opcode::ShloLImmAlt64 => op2i!(inst, |b, x| x << (b & 63)),
            Opcode::ShloRImmAlt64 => op2i!(inst, |b, x| x >> (b & 63)),
            Opcode::SharRImmAlt64 => op2i!(inst, |b, x| ((x as i64) >> (b & 63)) as u64),
            Opcode::RotR64Imm => op2i!(inst, |b, x| b.rotate_right(x as u32)),
            Opcode::RotR64ImmAlt => op2i!(inst, |b, x| x.rotate_right(b as u32)),
            Opcode::RotR32Imm => {
                op2i!(
                    inst,
                    |b, x| sext32((b as u32).rotate_right(x as u32) as u64)
                )
            }
            Opcode::RotR32ImmAlt => {
                op2i!(
                    inst,
                    |b, x| sext32((x as u32).rotate_right(b as u32) as u64)
                )
            }
            Opcode::BranchEq => branch!(inst, inst.y, reg!(inst.a) == reg!(inst.b)),
            Opcode::BranchNe => branch!(inst, inst.y, reg!(inst.a) != reg!(inst.b)),
            Opcode::BranchLtU => branch!(inst, inst.y, reg!(inst.a) < reg!(inst.b)),
            Opcode::BranchLtS => {
                branch!(inst, inst.y, (reg!(inst.a) as i64) < reg!(inst.b) as i64)
            }
            Opcode::BranchGeU => branch!(inst, inst.y, reg!(inst.a) >= reg!(inst.b)),
            Opcode::BranchGeS => {
                branch!(inst, inst.y, reg!(inst.a) as i64 >= reg!(inst.b) as i64)
            }
            Opcode::LoadImmJumpInd => {
                let target = (reg!(inst.b) as u32).wrapping_add(inst.y);
                reg!(inst.a) = imm(inst.x);
                djump!(target)
            }
            Opcode::Add32 => op3!(inst, |a, b| sext32(a.wrapping_add(b))),
            Opcode::Sub32 => op3!(inst, |a, b| sext32(a.wrapping_sub(b))),
            Opcode::Mul32 => op3!(inst, |a, b| sext32(a.wrapping_mul(b))),
            Opcode::DivU32 => op3!(inst, |a, b| match b as u32 {
                0 => u64::MAX,
                d => sext32(((a as u32) / d) as u64),
            }),
            Opcode::DivS32 => op3!(inst, |a, b| match b as i32 {
                0 => u64::MAX,
                d => (a as i32).wrapping_div(d) as i64 as u64,
            }),
            Opcode::RemU32 => op3!(inst, |a, b| match b as u32 {
                0 => sext32(a),
                d => sext32(((a as u32) % d) as u64),
            }),
            Opcode::RemS32 => op3!(inst, |a, b| match b as i32 {
                0 => sext32(a),
                d => (a as i32).wrapping_rem(d) as i64 as u64,
            }),
            Opcode::ShloL32 => op3!(inst, |a, b| sext32(((a as u32) << (b & 31)) as u64)),
            Opcode::ShloR32 => op3!(inst, |a, b| sext32(((a as u32) >> (b & 31)) as u64)),
            Opcode::SharR32 => op3!(inst, |a, b| ((a as i32) >> (b & 31)) as i64 as u64),
            Opcode::Add64 => op3!(inst, |a, b| a.wrapping_add(b)),
            Opcode::Sub64 => op3!(inst, |a, b| a.wrapping_sub(b)),
            Opcode::Mul64 => op3!(inst, |a, b| a.wrapping_mul(b)),
            Opcode::DivU64 => op3!(inst, |a, b| a.checked_div(b).unwrap_or(u64::MAX)),
            Opcode::DivS64 => op3!(inst, |a, b| if b == 0 {
                u64::MAX
            } else {
                (a as i64).wrapping_div(b as i64) as u64
            }),
            Opcode::RemU64 => op3!(inst, |a, b| if b == 0 { a } else { a % b }),
            Opcode::RemS64 => op3!(inst, |a, b| if b == 0 {
                a
            } else {
                (a as i64).wrapping_rem(b as i64) as u64
            }),
            Opcode::ShloL64 => op3!(inst, |a, b| a << (b & 63)),
            Opcode::ShloR64 => op3!(inst, |a, b| a >> (b & 63)),
            Opcode::SharR64 => op3!(inst, |a, b| ((a as i64) >> (b & 63)) as u64),
            Opcode::And => op3!(inst, |a, b| a & b),
            Opcode::Xor => op3!(inst, |a, b| a ^ b),
            Opcode::Or => op3!(inst, |a, b| a | b),
            Opcode::MulUpperSS => op3!(inst, |a, b| ((a as i64 as i128 * b as i64 as i128) >> 64)
                as u64),
            Opcode::MulUpperUU => op3!(inst, |a, b| ((a as u128 * b as u128) >> 64) as u64),
            Opcode::MulUpperSU => op3!(inst, |a, b| ((a as i64 as i128 * b as i128) >> 64) as u64),
            Opcode::SetLtU => op3!(inst, |a, b| (a < b) as u64),
            Opcode::SetLtS => op3!(inst, |a, b| ((a as i64) < b as i64) as u64),
            Opcode::CmovIz => {
                if reg!(inst.b) == 0 {
                    reg!(inst.d) = reg!(inst.a);
                }
                i += 1;
            }
            Opcode::CmovNz => {
                if reg!(inst.b) != 0 {
                    reg!(inst.d) = reg!(inst.a);
                }
                i += 1;
            }
            Opcode::RotL64 => op3!(inst, |a, b| a.rotate_left(b as u32)),
            Opcode::RotL32 => op3!(inst, |a, b| sext32((a as u32).rotate_left(b as u32) as u64)),
            Opcode::RotR64 => op3!(inst, |a, b| a.rotate_right(b as u32)),
            Opcode::RotR32 => {
                op3!(
                    inst,
                    |a, b| sext32((a as u32).rotate_right(b as u32) as u64)
                )
            }
            Opcode::AndInv => op3!(inst, |a, b| a & !b),
            Opcode::OrInv => op3!(inst, |a, b| a | !b),
            Opcode::Xnor => op3!(inst, |a, b| !(a ^ b)),
            Opcode::Max => op3!(inst, |a, b| (a as i64).max(b as i64) as u64),
            Opcode::MaxU => op3!(inst, |a, b| a.max(b)),
            Opcode::Min => op3!(inst, |a, b| (a as i64).min(b as i64) as u64),
            Opcode::MinU => op3!(inst, |a, b| a.min(b)),
        }
    };
    *regs_out = r;
    *gas_out = gas;
    *idx_out = i;
    stop
}
