//! The GP 0.7.2 opcode table (appendix A.5, "Instruction Tables"): numbers, names and the
//! argument class that fixes how each instruction's operands are encoded.

/// How an instruction's operands are encoded (the subsections of GP A.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgClass {
    /// A.5.1: no arguments.
    NoArgs,
    /// A.5.2: one immediate ν_X.
    OneImm,
    /// A.5.3: one register and one extended-width (64-bit) immediate.
    RegExtImm,
    /// A.5.4: two immediates ν_X, ν_Y.
    TwoImm,
    /// A.5.5: one offset.
    OneOffset,
    /// A.5.6: one register r_A and one immediate ν_X.
    RegImm,
    /// A.5.7: one register and two immediates.
    RegTwoImm,
    /// A.5.8: one register, one immediate and one offset.
    RegImmOffset,
    /// A.5.9: two registers r_D, r_A.
    TwoReg,
    /// A.5.10: two registers r_A, r_B and one immediate.
    TwoRegImm,
    /// A.5.11: two registers and one offset.
    TwoRegOffset,
    /// A.5.12: two registers and two immediates.
    TwoRegTwoImm,
    /// A.5.13: three registers r_A, r_B, r_D.
    ThreeReg,
}

macro_rules! opcodes {
    ($($name:ident = $num:literal, $text:literal, $class:ident, $term:literal;)*) => {
        /// A valid GP opcode (the set U of GP A.5); discriminants are the GP opcode numbers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $(
                #[doc = concat!("`", $text, "` (opcode ", stringify!($num), ")")]
                $name = $num,
            )*
        }

        impl Opcode {
            /// Every valid opcode, in ascending numeric order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$name),*];

            /// The opcode with this number, or `None` if it is not in U.
            pub const fn from_u8(byte: u8) -> Option<Opcode> {
                match byte {
                    $($num => Some(Opcode::$name),)*
                    _ => None,
                }
            }

            /// The GP name of the instruction (e.g. `branch_eq_imm`).
            pub const fn name(self) -> &'static str {
                match self { $(Opcode::$name => $text,)* }
            }

            /// How the operands are encoded.
            pub const fn class(self) -> ArgClass {
                match self { $(Opcode::$name => ArgClass::$class,)* }
            }

            /// Whether this opcode terminates a basic block (the set T of GP A.3).
            pub const fn is_terminator(self) -> bool {
                match self { $(Opcode::$name => $term,)* }
            }
        }
    };
}

opcodes! {
    Trap = 0, "trap", NoArgs, true;
    Fallthrough = 1, "fallthrough", NoArgs, true;
    Ecalli = 10, "ecalli", OneImm, false;
    LoadImm64 = 20, "load_imm_64", RegExtImm, false;
    StoreImmU8 = 30, "store_imm_u8", TwoImm, false;
    StoreImmU16 = 31, "store_imm_u16", TwoImm, false;
    StoreImmU32 = 32, "store_imm_u32", TwoImm, false;
    StoreImmU64 = 33, "store_imm_u64", TwoImm, false;
    Jump = 40, "jump", OneOffset, true;
    JumpInd = 50, "jump_ind", RegImm, true;
    LoadImm = 51, "load_imm", RegImm, false;
    LoadU8 = 52, "load_u8", RegImm, false;
    LoadI8 = 53, "load_i8", RegImm, false;
    LoadU16 = 54, "load_u16", RegImm, false;
    LoadI16 = 55, "load_i16", RegImm, false;
    LoadU32 = 56, "load_u32", RegImm, false;
    LoadI32 = 57, "load_i32", RegImm, false;
    LoadU64 = 58, "load_u64", RegImm, false;
    StoreU8 = 59, "store_u8", RegImm, false;
    StoreU16 = 60, "store_u16", RegImm, false;
    StoreU32 = 61, "store_u32", RegImm, false;
    StoreU64 = 62, "store_u64", RegImm, false;
    StoreImmIndU8 = 70, "store_imm_ind_u8", RegTwoImm, false;
    StoreImmIndU16 = 71, "store_imm_ind_u16", RegTwoImm, false;
    StoreImmIndU32 = 72, "store_imm_ind_u32", RegTwoImm, false;
    StoreImmIndU64 = 73, "store_imm_ind_u64", RegTwoImm, false;
    LoadImmJump = 80, "load_imm_jump", RegImmOffset, true;
    BranchEqImm = 81, "branch_eq_imm", RegImmOffset, true;
    BranchNeImm = 82, "branch_ne_imm", RegImmOffset, true;
    BranchLtUImm = 83, "branch_lt_u_imm", RegImmOffset, true;
    BranchLeUImm = 84, "branch_le_u_imm", RegImmOffset, true;
    BranchGeUImm = 85, "branch_ge_u_imm", RegImmOffset, true;
    BranchGtUImm = 86, "branch_gt_u_imm", RegImmOffset, true;
    BranchLtSImm = 87, "branch_lt_s_imm", RegImmOffset, true;
    BranchLeSImm = 88, "branch_le_s_imm", RegImmOffset, true;
    BranchGeSImm = 89, "branch_ge_s_imm", RegImmOffset, true;
    BranchGtSImm = 90, "branch_gt_s_imm", RegImmOffset, true;
    MoveReg = 100, "move_reg", TwoReg, false;
    Sbrk = 101, "sbrk", TwoReg, false;
    CountSetBits64 = 102, "count_set_bits_64", TwoReg, false;
    CountSetBits32 = 103, "count_set_bits_32", TwoReg, false;
    LeadingZeroBits64 = 104, "leading_zero_bits_64", TwoReg, false;
    LeadingZeroBits32 = 105, "leading_zero_bits_32", TwoReg, false;
    TrailingZeroBits64 = 106, "trailing_zero_bits_64", TwoReg, false;
    TrailingZeroBits32 = 107, "trailing_zero_bits_32", TwoReg, false;
    SignExtend8 = 108, "sign_extend_8", TwoReg, false;
    SignExtend16 = 109, "sign_extend_16", TwoReg, false;
    ZeroExtend16 = 110, "zero_extend_16", TwoReg, false;
    ReverseBytes = 111, "reverse_bytes", TwoReg, false;
    StoreIndU8 = 120, "store_ind_u8", TwoRegImm, false;
    StoreIndU16 = 121, "store_ind_u16", TwoRegImm, false;
    StoreIndU32 = 122, "store_ind_u32", TwoRegImm, false;
    StoreIndU64 = 123, "store_ind_u64", TwoRegImm, false;
    LoadIndU8 = 124, "load_ind_u8", TwoRegImm, false;
    LoadIndI8 = 125, "load_ind_i8", TwoRegImm, false;
    LoadIndU16 = 126, "load_ind_u16", TwoRegImm, false;
    LoadIndI16 = 127, "load_ind_i16", TwoRegImm, false;
    LoadIndU32 = 128, "load_ind_u32", TwoRegImm, false;
    LoadIndI32 = 129, "load_ind_i32", TwoRegImm, false;
    LoadIndU64 = 130, "load_ind_u64", TwoRegImm, false;
    AddImm32 = 131, "add_imm_32", TwoRegImm, false;
    AndImm = 132, "and_imm", TwoRegImm, false;
    XorImm = 133, "xor_imm", TwoRegImm, false;
    OrImm = 134, "or_imm", TwoRegImm, false;
    MulImm32 = 135, "mul_imm_32", TwoRegImm, false;
    SetLtUImm = 136, "set_lt_u_imm", TwoRegImm, false;
    SetLtSImm = 137, "set_lt_s_imm", TwoRegImm, false;
    ShloLImm32 = 138, "shlo_l_imm_32", TwoRegImm, false;
    ShloRImm32 = 139, "shlo_r_imm_32", TwoRegImm, false;
    SharRImm32 = 140, "shar_r_imm_32", TwoRegImm, false;
    NegAddImm32 = 141, "neg_add_imm_32", TwoRegImm, false;
    SetGtUImm = 142, "set_gt_u_imm", TwoRegImm, false;
    SetGtSImm = 143, "set_gt_s_imm", TwoRegImm, false;
    ShloLImmAlt32 = 144, "shlo_l_imm_alt_32", TwoRegImm, false;
    ShloRImmAlt32 = 145, "shlo_r_imm_alt_32", TwoRegImm, false;
    SharRImmAlt32 = 146, "shar_r_imm_alt_32", TwoRegImm, false;
    CmovIzImm = 147, "cmov_iz_imm", TwoRegImm, false;
    CmovNzImm = 148, "cmov_nz_imm", TwoRegImm, false;
    AddImm64 = 149, "add_imm_64", TwoRegImm, false;
    MulImm64 = 150, "mul_imm_64", TwoRegImm, false;
    ShloLImm64 = 151, "shlo_l_imm_64", TwoRegImm, false;
    ShloRImm64 = 152, "shlo_r_imm_64", TwoRegImm, false;
    SharRImm64 = 153, "shar_r_imm_64", TwoRegImm, false;
    NegAddImm64 = 154, "neg_add_imm_64", TwoRegImm, false;
    ShloLImmAlt64 = 155, "shlo_l_imm_alt_64", TwoRegImm, false;
    ShloRImmAlt64 = 156, "shlo_r_imm_alt_64", TwoRegImm, false;
    SharRImmAlt64 = 157, "shar_r_imm_alt_64", TwoRegImm, false;
    RotR64Imm = 158, "rot_r_64_imm", TwoRegImm, false;
    RotR64ImmAlt = 159, "rot_r_64_imm_alt", TwoRegImm, false;
    RotR32Imm = 160, "rot_r_32_imm", TwoRegImm, false;
    RotR32ImmAlt = 161, "rot_r_32_imm_alt", TwoRegImm, false;
    BranchEq = 170, "branch_eq", TwoRegOffset, true;
    BranchNe = 171, "branch_ne", TwoRegOffset, true;
    BranchLtU = 172, "branch_lt_u", TwoRegOffset, true;
    BranchLtS = 173, "branch_lt_s", TwoRegOffset, true;
    BranchGeU = 174, "branch_ge_u", TwoRegOffset, true;
    BranchGeS = 175, "branch_ge_s", TwoRegOffset, true;
    LoadImmJumpInd = 180, "load_imm_jump_ind", TwoRegTwoImm, true;
    Add32 = 190, "add_32", ThreeReg, false;
    Sub32 = 191, "sub_32", ThreeReg, false;
    Mul32 = 192, "mul_32", ThreeReg, false;
    DivU32 = 193, "div_u_32", ThreeReg, false;
    DivS32 = 194, "div_s_32", ThreeReg, false;
    RemU32 = 195, "rem_u_32", ThreeReg, false;
    RemS32 = 196, "rem_s_32", ThreeReg, false;
    ShloL32 = 197, "shlo_l_32", ThreeReg, false;
    ShloR32 = 198, "shlo_r_32", ThreeReg, false;
    SharR32 = 199, "shar_r_32", ThreeReg, false;
    Add64 = 200, "add_64", ThreeReg, false;
    Sub64 = 201, "sub_64", ThreeReg, false;
    Mul64 = 202, "mul_64", ThreeReg, false;
    DivU64 = 203, "div_u_64", ThreeReg, false;
    DivS64 = 204, "div_s_64", ThreeReg, false;
    RemU64 = 205, "rem_u_64", ThreeReg, false;
    RemS64 = 206, "rem_s_64", ThreeReg, false;
    ShloL64 = 207, "shlo_l_64", ThreeReg, false;
    ShloR64 = 208, "shlo_r_64", ThreeReg, false;
    SharR64 = 209, "shar_r_64", ThreeReg, false;
    And = 210, "and", ThreeReg, false;
    Xor = 211, "xor", ThreeReg, false;
    Or = 212, "or", ThreeReg, false;
    MulUpperSS = 213, "mul_upper_s_s", ThreeReg, false;
    MulUpperUU = 214, "mul_upper_u_u", ThreeReg, false;
    MulUpperSU = 215, "mul_upper_s_u", ThreeReg, false;
    SetLtU = 216, "set_lt_u", ThreeReg, false;
    SetLtS = 217, "set_lt_s", ThreeReg, false;
    CmovIz = 218, "cmov_iz", ThreeReg, false;
    CmovNz = 219, "cmov_nz", ThreeReg, false;
    RotL64 = 220, "rot_l_64", ThreeReg, false;
    RotL32 = 221, "rot_l_32", ThreeReg, false;
    RotR64 = 222, "rot_r_64", ThreeReg, false;
    RotR32 = 223, "rot_r_32", ThreeReg, false;
    AndInv = 224, "and_inv", ThreeReg, false;
    OrInv = 225, "or_inv", ThreeReg, false;
    Xnor = 226, "xnor", ThreeReg, false;
    Max = 227, "max", ThreeReg, false;
    MaxU = 228, "max_u", ThreeReg, false;
    Min = 229, "min", ThreeReg, false;
    MinU = 230, "min_u", ThreeReg, false;
}

impl std::fmt::Display for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
