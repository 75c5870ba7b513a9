//! Decoding one instruction at a given code index into GP terms (A.4, A.5): the skip function,
//! immediates with sign extension `X_n` (GP (A.16)), and operand layout per argument class.

use crate::opcode::{ArgClass, Opcode};

/// The largest skip distance (GP (A.3): `skip(i) = min(24, ...)`).
pub const MAX_SKIP: u32 = 24;

/// `skip(i)` (GP (A.3)): octets minus one to the next opcode, treating `k` as followed by set
/// bits, capped at 24.
#[inline]
pub fn skip(bitmask: &[bool], i: u32) -> u32 {
    let i = i as usize;
    for j in 0..MAX_SKIP as usize {
        match bitmask.get(i + 1 + j) {
            Some(false) => continue,
            _ => return j as u32,
        }
    }
    MAX_SKIP
}

/// The operands of an instruction, named as in GP A.5 (`r_A`, `r_B`, `r_D` are register
/// indices, already clamped to 12; immediates are the 64-bit values `ν`; offsets are the
/// absolute targets `ı + Z(...)`, which may lie outside the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// No operands.
    None,
    /// `ν_X`.
    Imm { x: u64 },
    /// `r_A`, `ν_X` (64-bit).
    RegExtImm { a: u8, x: u64 },
    /// `ν_X`, `ν_Y`.
    TwoImm { x: u64, y: u64 },
    /// Branch target `ν_X`.
    Offset { target: i64 },
    /// `r_A`, `ν_X`.
    RegImm { a: u8, x: u64 },
    /// `r_A`, `ν_X`, `ν_Y`.
    RegTwoImm { a: u8, x: u64, y: u64 },
    /// `r_A`, `ν_X`, branch target `ν_Y`.
    RegImmOffset { a: u8, x: u64, target: i64 },
    /// `r_D`, `r_A`.
    TwoReg { d: u8, a: u8 },
    /// `r_A`, `r_B`, `ν_X`.
    TwoRegImm { a: u8, b: u8, x: u64 },
    /// `r_A`, `r_B`, branch target `ν_X`.
    TwoRegOffset { a: u8, b: u8, target: i64 },
    /// `r_A`, `r_B`, `ν_X`, `ν_Y`.
    TwoRegTwoImm { a: u8, b: u8, x: u64, y: u64 },
    /// `r_A`, `r_B`, `r_D`.
    ThreeReg { a: u8, b: u8, d: u8 },
}

/// One decoded instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction {
    /// Its code index `ı`.
    pub pc: u32,
    /// The opcode, or `None` where GP's `opcode(ı)` is 0 because the byte is not a valid opcode
    /// or its bitmask bit is clear (it then behaves as `trap`).
    pub opcode: Option<Opcode>,
    /// `ℓ = skip(ı)`.
    pub skip: u32,
    /// The operands.
    pub args: Args,
}

impl Instruction {
    /// The opcode as executed (`trap` for invalid ones).
    pub fn effective_opcode(&self) -> Opcode {
        self.opcode.unwrap_or(Opcode::Trap)
    }

    /// The code index of the next instruction in sequence: `ı + 1 + skip(ı)`.
    pub fn next_pc(&self) -> u64 {
        self.pc as u64 + 1 + self.skip as u64
    }
}

/// `ζ_i` (GP (A.4)): the code followed by zeroes.
#[inline]
fn z(code: &[u8], i: usize) -> u8 {
    code.get(i).copied().unwrap_or(0)
}

/// `E_l^{-1}` of `ζ[i..i+l]` as unsigned, `l ≤ 8`.
#[inline]
fn le(code: &[u8], i: usize, l: usize) -> u64 {
    let mut v = 0u64;
    for k in (0..l).rev() {
        v = (v << 8) | z(code, i + k) as u64;
    }
    v
}

/// `X_l` (GP (A.16)): sign-extends an `l`-octet value to 64 bits.
#[inline]
pub fn sext(x: u64, l: usize) -> u64 {
    if l == 0 {
        0
    } else if l >= 8 {
        x
    } else {
        let shift = 64 - 8 * l as u32;
        (((x << shift) as i64) >> shift) as u64
    }
}

#[inline]
fn imm(code: &[u8], i: usize, l: usize) -> u64 {
    sext(le(code, i, l), l)
}

#[inline]
fn reg(byte: u8) -> u8 {
    byte.min(12)
}

/// Decodes the instruction at code index `pc` (GP A.5, with `ζ` = code padded by zeroes).
pub fn decode(code: &[u8], bitmask: &[bool], pc: u32) -> Instruction {
    let i = pc as usize;
    let skip = skip(bitmask, pc);
    let valid = bitmask.get(i).copied().unwrap_or(false);
    let opcode = if valid {
        Opcode::from_u8(z(code, i))
    } else {
        None
    };
    let l = skip as usize;
    let b1 = z(code, i + 1);
    let lo = reg(b1 & 15);
    let hi = reg(b1 >> 4);
    let offset = |at: usize, len: usize| pc as i64 + sext(le(code, at, len), len) as i64;
    let args = match opcode.map(Opcode::class) {
        None | Some(ArgClass::NoArgs) => Args::None,
        Some(ArgClass::OneImm) => Args::Imm {
            x: imm(code, i + 1, l.min(4)),
        },
        Some(ArgClass::RegExtImm) => Args::RegExtImm {
            a: lo,
            x: le(code, i + 2, 8),
        },
        Some(ArgClass::TwoImm) => {
            let lx = (b1 as usize % 8).min(4);
            let ly = l.saturating_sub(lx + 1).min(4);
            Args::TwoImm {
                x: imm(code, i + 2, lx),
                y: imm(code, i + 2 + lx, ly),
            }
        }
        Some(ArgClass::OneOffset) => Args::Offset {
            target: offset(i + 1, l.min(4)),
        },
        Some(ArgClass::RegImm) => Args::RegImm {
            a: lo,
            x: imm(code, i + 2, l.saturating_sub(1).min(4)),
        },
        Some(ArgClass::RegTwoImm) | Some(ArgClass::RegImmOffset) => {
            let lx = ((b1 >> 4) as usize % 8).min(4);
            let ly = l.saturating_sub(lx + 1).min(4);
            let x = imm(code, i + 2, lx);
            if opcode.map(Opcode::class) == Some(ArgClass::RegTwoImm) {
                Args::RegTwoImm {
                    a: lo,
                    x,
                    y: imm(code, i + 2 + lx, ly),
                }
            } else {
                Args::RegImmOffset {
                    a: lo,
                    x,
                    target: offset(i + 2 + lx, ly),
                }
            }
        }
        Some(ArgClass::TwoReg) => Args::TwoReg { d: lo, a: hi },
        Some(ArgClass::TwoRegImm) => Args::TwoRegImm {
            a: lo,
            b: hi,
            x: imm(code, i + 2, l.saturating_sub(1).min(4)),
        },
        Some(ArgClass::TwoRegOffset) => Args::TwoRegOffset {
            a: lo,
            b: hi,
            target: offset(i + 2, l.saturating_sub(1).min(4)),
        },
        Some(ArgClass::TwoRegTwoImm) => {
            let lx = (z(code, i + 2) as usize % 8).min(4);
            let ly = l.saturating_sub(lx + 2).min(4);
            Args::TwoRegTwoImm {
                a: lo,
                b: hi,
                x: imm(code, i + 3, lx),
                y: imm(code, i + 3 + lx, ly),
            }
        }
        Some(ArgClass::ThreeReg) => Args::ThreeReg {
            a: lo,
            b: hi,
            d: reg(z(code, i + 2)),
        },
    };
    Instruction {
        pc,
        opcode,
        skip,
        args,
    }
}

fn hex(x: u64) -> String {
    if (x as i64) < 0 && (x as i64) > -(1 << 32) {
        format!("-0x{:x}", (x as i64).unsigned_abs())
    } else {
        format!("0x{x:x}")
    }
}

impl std::fmt::Display for Instruction {
    /// `name operands`, operands in GP order: destination first where there is one
    /// (`r_D`/`r_A`), then sources, immediates in hex, targets as `@pc`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(op) = self.opcode else {
            return f.write_str("invalid");
        };
        write!(f, "{}", op.name())?;
        match self.args {
            Args::None => Ok(()),
            Args::Imm { x } => write!(f, " {}", hex(x)),
            Args::RegExtImm { a, x } => write!(f, " r{a}, {}", hex(x)),
            Args::TwoImm { x, y } => write!(f, " {}, {}", hex(x), hex(y)),
            Args::Offset { target } => write!(f, " @{target}"),
            Args::RegImm { a, x } => write!(f, " r{a}, {}", hex(x)),
            Args::RegTwoImm { a, x, y } => write!(f, " r{a}, {}, {}", hex(x), hex(y)),
            Args::RegImmOffset { a, x, target } => write!(f, " r{a}, {}, @{target}", hex(x)),
            Args::TwoReg { d, a } => write!(f, " r{d}, r{a}"),
            Args::TwoRegImm { a, b, x } => write!(f, " r{a}, r{b}, {}", hex(x)),
            Args::TwoRegOffset { a, b, target } => write!(f, " r{a}, r{b}, @{target}"),
            Args::TwoRegTwoImm { a, b, x, y } => {
                write!(f, " r{a}, r{b}, {}, {}", hex(x), hex(y))
            }
            Args::ThreeReg { a, b, d } => write!(f, " r{d}, r{a}, r{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_caps_at_24() {
        let mut mask = vec![false; 40];
        mask[0] = true;
        assert_eq!(skip(&mask, 0), 24);
        mask[3] = true;
        assert_eq!(skip(&mask, 0), 2);
        assert_eq!(skip(&[true], 0), 0);
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sext(0x80, 1), 0xffff_ffff_ffff_ff80);
        assert_eq!(sext(0x7f, 1), 0x7f);
        assert_eq!(sext(0x8000_0000, 4), 0xffff_ffff_8000_0000);
        assert_eq!(sext(5, 0), 0);
    }

    #[test]
    fn decode_three_reg_and_branch() {
        // add_32 r9 = r7 + r8
        let i = decode(&[190, 0x87, 9], &[true, false, false], 0);
        assert_eq!(i.args, Args::ThreeReg { a: 7, b: 8, d: 9 });
        // branch_eq_imm r7, 1, target -2 relative
        let i = decode(&[81, 0x17, 1, 0xfe], &[true, false, false, false], 0);
        assert_eq!(
            i.args,
            Args::RegImmOffset {
                a: 7,
                x: 1,
                target: -2
            }
        );
    }
}
