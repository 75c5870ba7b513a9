//! The pre-decoded program: the blob is decoded once into a dense instruction array with
//! parsed operands, resolved branch targets and per-instruction gas bookkeeping, so the
//! interpreter never scans the bitmask or parses operands while running.

use crate::blob::{BlobError, ProgramCode};
use crate::instruction::{decode, Args, Instruction};
use crate::opcode::Opcode;

/// Marks a branch or jump-table target that is not the start of a basic block (GP (A.17),
/// (A.18): taking it panics).
pub(crate) const INVALID: u32 = u32::MAX;

/// How gas is charged. Both charge 1 per instruction (GP A.5: `ϱ_Δ = 1` for every opcode);
/// they differ only when execution stops inside a basic block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GasModel {
    /// GP (A.1): each instruction is charged as it executes, including one that page-faults
    /// or panics on a memory access below 2^16 (as the reference node charges it; GP (A.8)
    /// alone would leave its gas unchanged), and running out of gas stops at the first
    /// instruction that cannot be paid for. Used for the service invocations.
    PerInstruction,
    /// The model of the PVM test vectors and polkavm: the whole basic block (up to and
    /// including its terminator, or an `ecalli`) is charged on entry, so a page fault charges
    /// the rest of its block too, and a block that cannot be paid for in full runs out of gas
    /// before its first instruction.
    #[default]
    BasicBlock,
}

/// One pre-decoded instruction: 16 bytes. Register fields are GP's `r_A`, `r_B`, `r_D`
/// (already clamped to 12); `x`/`y` hold immediates (the low 32 bits of a value sign-extended
/// from at most 4 octets) or instruction indices of branch targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Inst {
    pub op: Opcode,
    pub a: u8,
    pub b: u8,
    pub d: u8,
    pub x: u32,
    pub y: u32,
    /// Instructions from this one to the end of its gas segment, inclusive (a gas segment
    /// ends at a basic-block terminator or an `ecalli`).
    pub rem: u32,
}

/// A program decoded once for execution (from `deblob`, GP (A.2)).
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) insts: Vec<Inst>,
    /// The code index `ı` of each instruction.
    pub(crate) pcs: Vec<u32>,
    /// The jump table resolved to instruction indices (or [`INVALID`]).
    pub(crate) jump_table: Vec<u32>,
    /// For a jump table with entry size 0: its length and the resolved target of code index 0.
    jump_uniform: Option<(u64, u32)>,
    pub(crate) gas_model: GasModel,
    code: ProgramCode,
}

fn imm32(x: u64) -> u32 {
    x as u32
}

impl Program {
    /// Decodes a GP program blob (the `deblob` format).
    pub fn from_blob(blob: &[u8]) -> Result<Program, BlobError> {
        Ok(Program::new(ProgramCode::deblob(blob)?))
    }

    /// Pre-decodes `(c, k, j)`.
    pub fn new(code: ProgramCode) -> Program {
        let c = &code.code;
        let k = &code.bitmask;
        let n = c.len();
        // ϖ (GP (A.5)): starts of basic blocks.
        let valid = |i: usize| k[i] && Opcode::from_u8(c[i]).is_some();
        let mut block_start = vec![false; n];
        if n > 0 && valid(0) {
            block_start[0] = true;
        }
        let mut decoded = Vec::with_capacity(n / 2 + 1);
        for i in 0..n {
            if !k[i] {
                continue;
            }
            let inst = decode(c, k, i as u32);
            if inst.opcode.is_some_and(Opcode::is_terminator) {
                let next = inst.next_pc() as usize;
                if next < n && valid(next) {
                    block_start[next] = true;
                }
            }
            decoded.push(inst);
        }
        // Instructions in code order, with a trap wherever execution can arrive on a
        // non-opcode byte (a skip capped at 24) or past the end of the code (ζ is zero-padded).
        let mut list: Vec<Instruction> = Vec::with_capacity(decoded.len() + 1);
        for inst in decoded {
            let next = inst.next_pc();
            list.push(inst);
            if next <= n as u64 && (next == n as u64 || !k[next as usize]) {
                list.push(decode(c, k, next as u32));
            }
        }
        if list.last().is_none_or(|l| (l.pc as usize) < n) {
            list.push(decode(c, k, n as u32));
        }
        let pcs: Vec<u32> = list.iter().map(|i| i.pc).collect();
        let resolve = |target: i64| -> u32 {
            if target < 0 || target as usize >= n || !block_start[target as usize] {
                return INVALID;
            }
            pcs.binary_search(&(target as u32))
                .map(|i| i as u32)
                .unwrap_or(INVALID)
        };
        let mut insts: Vec<Inst> = list
            .iter()
            .map(|ins| {
                let op = ins.effective_opcode();
                let mut inst = Inst {
                    op,
                    a: 0,
                    b: 0,
                    d: 0,
                    x: 0,
                    y: 0,
                    rem: 1,
                };
                match ins.args {
                    Args::None => {}
                    Args::Imm { x } => inst.x = imm32(x),
                    Args::RegExtImm { a, x } => {
                        inst.a = a;
                        inst.x = x as u32;
                        inst.y = (x >> 32) as u32;
                    }
                    Args::TwoImm { x, y } => {
                        inst.x = imm32(x);
                        inst.y = imm32(y);
                    }
                    Args::Offset { target } => inst.x = resolve(target),
                    Args::RegImm { a, x } => {
                        inst.a = a;
                        inst.x = imm32(x);
                    }
                    Args::RegTwoImm { a, x, y } => {
                        inst.a = a;
                        inst.x = imm32(x);
                        inst.y = imm32(y);
                    }
                    Args::RegImmOffset { a, x, target } => {
                        inst.a = a;
                        inst.x = imm32(x);
                        inst.y = resolve(target);
                    }
                    Args::TwoReg { d, a } => {
                        inst.d = d;
                        inst.a = a;
                    }
                    Args::TwoRegImm { a, b, x } => {
                        inst.a = a;
                        inst.b = b;
                        inst.x = imm32(x);
                    }
                    Args::TwoRegOffset { a, b, target } => {
                        inst.a = a;
                        inst.b = b;
                        inst.y = resolve(target);
                    }
                    Args::TwoRegTwoImm { a, b, x, y } => {
                        inst.a = a;
                        inst.b = b;
                        inst.x = imm32(x);
                        inst.y = imm32(y);
                    }
                    Args::ThreeReg { a, b, d } => {
                        inst.a = a;
                        inst.b = b;
                        inst.d = d;
                    }
                }
                inst
            })
            .collect();
        // Gas segments: counted backwards from each segment end.
        for i in (0..insts.len()).rev() {
            let op = insts[i].op;
            let ends = op.is_terminator() || op == Opcode::Ecalli || i + 1 == insts.len();
            insts[i].rem = if ends {
                1
            } else {
                insts[i + 1].rem.saturating_add(1)
            };
        }
        let jump_table = code
            .jump_table
            .iter()
            .map(|&t| resolve_u64(&resolve, t))
            .collect();
        let jump_uniform = (code.jump_table.is_empty() && code.jump_table_len > 0)
            .then(|| (code.jump_table_len, resolve(0)));
        Program {
            insts,
            pcs,
            jump_table,
            jump_uniform,
            gas_model: GasModel::default(),
            code,
        }
    }

    /// Selects the gas model (default [`GasModel::BasicBlock`], which the vectors follow).
    pub fn with_gas_model(mut self, model: GasModel) -> Self {
        self.gas_model = model;
        self
    }

    /// The gas model in use.
    pub fn gas_model(&self) -> GasModel {
        self.gas_model
    }

    /// The decoded `(c, k, j)`.
    pub fn code(&self) -> &ProgramCode {
        &self.code
    }

    /// The instruction at code index `pc`, as GP A.5 reads it.
    pub fn instruction_at(&self, pc: u32) -> Instruction {
        decode(&self.code.code, &self.code.bitmask, pc)
    }

    /// The instruction index for code index `pc`, if execution can be at `pc`.
    pub(crate) fn index_of(&self, pc: u32) -> Option<usize> {
        self.pcs.binary_search(&pc).ok()
    }

    /// `djump` targets not handled by the fast path (GP (A.18)): the zero-width jump table.
    #[cold]
    pub(crate) fn djump_uniform(&self, a: u32) -> u32 {
        match self.jump_uniform {
            Some((len, target)) if a != 0 && a & 1 == 0 && (a / 2) as u64 <= len => target,
            _ => INVALID,
        }
    }

    /// The number of pre-decoded instructions (including inserted traps).
    pub fn instruction_count(&self) -> usize {
        self.insts.len()
    }
}

fn resolve_u64(resolve: &impl Fn(i64) -> u32, t: u64) -> u32 {
    if t > i64::MAX as u64 {
        INVALID
    } else {
        resolve(t as i64)
    }
}
