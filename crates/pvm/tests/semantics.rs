//! Tricky instruction semantics (GP A.5), control flow, gas models and the invocations.

use marmalade_pvm::{
    invoke_host, invoke_marshalling, Access, ExitReason, GasModel, HostCalls, HostOutcome,
    Instance, Machine, NoTrace, Program, ProgramCode, StandardProgram,
};

/// Builds a program from instructions given as byte slices (opcode first).
fn code(insts: &[&[u8]], jump_table: &[u64]) -> ProgramCode {
    let mut c = ProgramCode {
        jump_table: jump_table.to_vec(),
        jump_table_len: jump_table.len() as u64,
        ..Default::default()
    };
    for i in insts {
        c.code.extend_from_slice(i);
        c.bitmask.push(true);
        c.bitmask.extend(std::iter::repeat_n(false, i.len() - 1));
    }
    c
}

fn run_with(insts: &[&[u8]], regs: &[(usize, u64)], model: GasModel) -> (ExitReason, Machine) {
    let p = Program::new(code(insts, &[])).with_gas_model(model);
    let mut m = Machine::new(1000);
    m.regs[0] = 0xffff_0000;
    for &(r, v) in regs {
        m.regs[r] = v;
    }
    m.memory
        .set_access(0x20000, 0x1000, Some(Access::ReadWrite), true);
    let exit = marmalade_pvm::run(&p, &mut m, &mut NoTrace);
    (exit, m)
}

/// Runs `inst` followed by a halt, returns the machine.
fn exec(inst: &[u8], regs: &[(usize, u64)]) -> Machine {
    let (exit, m) = run_with(&[inst, &[50, 0]], regs, GasModel::BasicBlock);
    assert_eq!(exit, ExitReason::Halt);
    m
}

const A: u8 = 7;
const B: u8 = 8;
const D: u8 = 9;
/// Three-register instruction: `r9 = op(r7, r8)`.
fn op3(op: u8, a: u64, b: u64) -> u64 {
    exec(&[op, A | B << 4, D], &[(7, a), (8, b)]).regs[9]
}

#[test]
fn division_by_zero_and_overflow() {
    let m = u64::MAX;
    assert_eq!(op3(193, 5, 0), m); // div_u_32
    assert_eq!(op3(194, 5, 1 << 32), m); // div_s_32 divisor's low word is 0
    assert_eq!(op3(194, 0x8000_0000, m), 0xffff_ffff_8000_0000); // i32::MIN / -1
    assert_eq!(op3(195, 0xffff_ffff_8000_0007, 0), 0xffff_ffff_8000_0007); // rem_u_32 by 0
    assert_eq!(op3(196, 0x8000_0000, m), 0); // rem_s_32 MIN % -1
    assert_eq!(op3(196, (-7i64) as u64, 3), (-1i64) as u64); // sign of numerator
    assert_eq!(op3(203, 5, 0), m); // div_u_64
    assert_eq!(op3(204, 1 << 63, m), 1 << 63); // div_s_64 MIN / -1 = MIN
    assert_eq!(op3(204, (-7i64) as u64, 2), (-3i64) as u64); // rounds toward zero
    assert_eq!(op3(205, 9, 0), 9); // rem_u_64 by 0
    assert_eq!(op3(206, 1 << 63, m), 0); // rem_s_64 MIN % -1
    assert_eq!(op3(206, 7, (-3i64) as u64), 1);
    assert_eq!(op3(206, 9, 0), 9);
}

#[test]
fn thirty_two_bit_results_are_sign_extended() {
    assert_eq!(op3(190, 0x7fff_ffff, 1), 0xffff_ffff_8000_0000); // add_32
    assert_eq!(op3(191, 0, 1), u64::MAX); // sub_32
    assert_eq!(op3(192, 0x1_0000_0001, 0x8000_0000), 0xffff_ffff_8000_0000); // mul_32
    assert_eq!(op3(197, 1, 31), 0xffff_ffff_8000_0000); // shlo_l_32
    assert_eq!(op3(198, 0xffff_ffff_8000_0000, 32 + 4), 0x0800_0000); // shlo_r_32, shift mod 32
    assert_eq!(op3(199, 0x8000_0000, 4), 0xffff_ffff_f800_0000); // shar_r_32
}

#[test]
fn shifts_rotates_bits() {
    assert_eq!(op3(207, 1, 64 + 3), 8); // shlo_l_64 shift mod 64
    assert_eq!(op3(209, 1 << 63, 63), u64::MAX); // shar_r_64
    assert_eq!(op3(220, 1 << 63, 1), 1); // rot_l_64
    assert_eq!(op3(221, 0x8000_0000, 1), 1); // rot_l_32
    assert_eq!(op3(222, 1, 1), 1 << 63); // rot_r_64
    assert_eq!(op3(223, 1, 1), 0xffff_ffff_8000_0000); // rot_r_32 sign-extends
    assert_eq!(op3(224, 0b1100, 0b1010), 0b0100); // and_inv
    assert_eq!(op3(226, 0, 0), u64::MAX); // xnor
    let two = |op: u8, a: u64| exec(&[op, D | A << 4], &[(7, a)]).regs[9];
    assert_eq!(two(102, u64::MAX), 64);
    assert_eq!(two(103, u64::MAX), 32);
    assert_eq!(two(104, 0), 64);
    assert_eq!(two(105, 1 << 40), 32);
    assert_eq!(two(106, 0), 64);
    assert_eq!(two(107, 1 << 40), 32);
    assert_eq!(two(108, 0x80), 0xffff_ffff_ffff_ff80);
    assert_eq!(two(109, 0x1_8000), 0xffff_ffff_ffff_8000);
    assert_eq!(two(110, 0xffff_ffff), 0xffff);
    assert_eq!(two(111, 0x0102_0304_0506_0708), 0x0807_0605_0403_0201);
}

#[test]
fn min_max_cmov_mul_upper() {
    let neg = (-5i64) as u64;
    assert_eq!(op3(227, neg, 3), 3); // max
    assert_eq!(op3(228, neg, 3), neg); // max_u
    assert_eq!(op3(229, neg, 3), neg); // min
    assert_eq!(op3(230, neg, 3), 3); // min_u
    assert_eq!(
        exec(&[218, A | B << 4, D], &[(7, 5), (8, 0), (9, 1)]).regs[9],
        5
    ); // cmov_iz
    assert_eq!(
        exec(&[218, A | B << 4, D], &[(7, 5), (8, 1), (9, 1)]).regs[9],
        1
    );
    assert_eq!(op3(213, u64::MAX, u64::MAX), 0); // (-1)(-1) >> 64
    assert_eq!(op3(214, u64::MAX, u64::MAX), u64::MAX - 1);
    assert_eq!(op3(215, u64::MAX, 2), u64::MAX); // (-1)(2) >> 64 = -1
    assert_eq!(op3(217, neg, 0), 1); // set_lt_s
    assert_eq!(op3(216, neg, 0), 0); // set_lt_u
}

#[test]
fn immediates_are_sign_extended() {
    // add_imm_64 r7, r8, -1 (one immediate byte 0xff)
    assert_eq!(exec(&[149, 7 | 8 << 4, 0xff], &[(8, 5)]).regs[7], 4);
    // load_imm_64 r7
    let m = exec(&[20, 7, 1, 2, 3, 4, 5, 6, 7, 0x88], &[]);
    assert_eq!(m.regs[7], 0x8807_0605_0403_0201);
    // neg_add_imm_32 r7 = 1 - r8
    assert_eq!(exec(&[141, 7 | 8 << 4, 1], &[(8, 2)]).regs[7], u64::MAX);
    // shar_r_imm_alt_32: r7 = (i32)imm >> r8
    assert_eq!(
        exec(&[146, 7 | 8 << 4, 0, 0, 0, 0x80], &[(8, 4)]).regs[7],
        0xffff_ffff_f800_0000
    );
    // rot_r_64_imm r7 = r8 >>> 4
    assert_eq!(exec(&[158, 7 | 8 << 4, 4], &[(8, 0xf)]).regs[7], 0xf << 60);
}

#[test]
fn memory_loads_and_stores() {
    // store_imm_ind_u32 [r7 + 4] = -2 ; load_ind_i8 r9, [r7+4]; load_ind_u16 r10, [r7+4]
    let (exit, m) = run_with(
        &[
            &[72, 7 | 1 << 4, 4, 0xfe],
            &[125, 9 | 7 << 4, 4],
            &[126, 10 | 7 << 4, 4],
            &[50, 0],
        ],
        &[(7, 0x20000)],
        GasModel::BasicBlock,
    );
    assert_eq!(exit, ExitReason::Halt);
    assert_eq!(m.regs[9], u64::MAX - 1);
    assert_eq!(m.regs[10], 0xfffe);
}

#[test]
fn page_faults_and_low_memory_panics() {
    // load_u8 r7, [0x30000]: unmapped page
    let (exit, m) = run_with(&[&[52, 7, 0, 0, 3, 0], &[50, 0]], &[], GasModel::BasicBlock);
    assert_eq!(exit, ExitReason::PageFault(0x30000));
    assert_eq!((m.pc, m.gas), (0, 998)); // the whole block was charged
    let (exit, m) = run_with(
        &[&[52, 7, 0, 0, 3, 0], &[50, 0]],
        &[],
        GasModel::PerInstruction,
    );
    assert_eq!(exit, ExitReason::PageFault(0x30000));
    // The faulting instruction is charged (as the reference node does), nothing after it.
    assert_eq!((m.pc, m.gas), (0, 999));
    // below 2^16: panic
    let (exit, _) = run_with(&[&[52, 7, 0x10], &[50, 0]], &[], GasModel::BasicBlock);
    assert_eq!(exit, ExitReason::Panic);
    // store to read-only
    let p = Program::new(code(&[&[59, 7, 0, 0, 2, 0], &[50, 0]], &[]));
    let mut m = Machine::new(10);
    m.memory
        .set_access(0x20000, 0x1000, Some(Access::ReadOnly), true);
    assert_eq!(
        marmalade_pvm::run(&p, &mut m, &mut NoTrace),
        ExitReason::PageFault(0x20000)
    );
}

#[test]
fn djump_rules() {
    // jump table [pc of the halt block]; r7 holds the address
    let insts: &[&[u8]] = &[&[50, 7], &[0], &[51, 8, 42], &[50, 0]];
    let c = code(insts, &[3]);
    let run = |addr: u64| {
        let p = Program::new(c.clone());
        let mut m = Machine::new(100);
        m.regs[0] = 0xffff_0000;
        m.regs[7] = addr;
        (marmalade_pvm::run(&p, &mut m, &mut NoTrace), m)
    };
    let (exit, m) = run(2);
    assert_eq!((exit, m.regs[8]), (ExitReason::Halt, 42));
    assert_eq!(run(0).0, ExitReason::Panic); // a = 0
    assert_eq!(run(1).0, ExitReason::Panic); // misaligned
    assert_eq!(run(4).0, ExitReason::Panic); // beyond the table
    assert_eq!(run(0xffff_0000).0, ExitReason::Halt);
    assert_eq!(run(0x1_0000_0002).0, ExitReason::Halt); // mod 2^32
                                                        // a jump-table entry that is not a block start panics
    let p = Program::new(code(insts, &[4]));
    let mut m = Machine::new(100);
    m.regs[7] = 2;
    assert_eq!(
        marmalade_pvm::run(&p, &mut m, &mut NoTrace),
        ExitReason::Panic
    );
}

#[test]
fn branch_to_non_block_start_panics() {
    // load_imm r7, 0; jump to pc 3? pc 2 is load_imm (not after a terminator)
    let (exit, m) = run_with(
        &[&[51, 7, 0], &[40, 0xfe], &[50, 0]],
        &[],
        GasModel::BasicBlock,
    );
    // jump -2 targets pc 1, which is inside the first instruction: panic at the jump
    assert_eq!((exit, m.pc), (ExitReason::Panic, 3));
    // jump to a valid block start loops until gas runs out
    let (exit, _) = run_with(&[&[1], &[40, 0]], &[], GasModel::BasicBlock);
    assert_eq!(exit, ExitReason::OutOfGas);
}

#[test]
fn skip_is_capped_at_24() {
    // fallthrough followed by 30 bytes without opcode bits: execution lands on pc 25, a trap
    let mut c = code(&[&[1]], &[]);
    c.code.extend(std::iter::repeat_n(0x33, 30));
    c.bitmask.extend(std::iter::repeat_n(false, 30));
    let p = Program::new(c);
    let mut m = Machine::new(10);
    assert_eq!(
        marmalade_pvm::run(&p, &mut m, &mut NoTrace),
        ExitReason::Panic
    );
    assert_eq!((m.pc, m.gas), (25, 8));
}

#[test]
fn out_of_gas_models() {
    // 5 move_regs then halt: 6 instructions
    let mv: &[u8] = &[100, 0x11];
    let insts: &[&[u8]] = &[mv; 5];
    let mut all = insts.to_vec();
    all.push(&[50, 0]);
    let p = Program::new(code(&all, &[]));
    for (model, gas_left, pc) in [
        (GasModel::PerInstruction, -1, 6),
        (GasModel::BasicBlock, -3, 0),
    ] {
        let p = p.clone().with_gas_model(model);
        let mut m = Machine::new(3);
        m.regs[0] = 0xffff_0000;
        assert_eq!(
            marmalade_pvm::run(&p, &mut m, &mut NoTrace),
            ExitReason::OutOfGas
        );
        assert_eq!((m.gas, m.pc), (gas_left, pc), "{model:?}");
    }
    let mut m = Machine::new(6);
    m.regs[0] = 0xffff_0000;
    assert_eq!(
        marmalade_pvm::run(&p, &mut m, &mut NoTrace),
        ExitReason::Halt
    );
    assert_eq!(m.gas, 0);
}

#[test]
fn sbrk_follows_the_heap_pointer() {
    let p = Program::new(code(
        &[&[101, 9 | 7 << 4], &[101, 10 | 8 << 4], &[50, 0]],
        &[],
    ));
    let mut m = Machine::new(100);
    m.regs[0] = 0xffff_0000;
    m.regs[7] = 100;
    m.memory.heap_top = 0x40000;
    assert_eq!(
        marmalade_pvm::run(&p, &mut m, &mut NoTrace),
        ExitReason::Halt
    );
    assert_eq!(m.regs[9], 0x40000);
    assert_eq!(m.regs[10], 0x40064); // sbrk(0) returns the pointer
    assert!(m.memory.is_writable(0x40000, 4096));
}

struct Host {
    calls: Vec<u64>,
}

impl HostCalls for Host {
    fn host_call(&mut self, id: u64, m: &mut dyn Instance) -> HostOutcome {
        self.calls.push(id);
        m.set_gas(m.gas() - 10);
        m.set_reg(7, m.reg(7).wrapping_add(1));
        if id == 99 {
            HostOutcome::Panic
        } else {
            HostOutcome::Continue
        }
    }
}

#[test]
fn host_call_loop() {
    // ecalli 3; ecalli 4; halt
    let p = Program::new(code(&[&[10, 3], &[10, 4], &[50, 0]], &[]));
    let mut m = Machine::new(100);
    m.regs[0] = 0xffff_0000;
    let mut host = Host { calls: vec![] };
    assert_eq!(invoke_host(&p, &mut m, &mut host), ExitReason::Halt);
    assert_eq!(host.calls, vec![3, 4]);
    assert_eq!(m.regs[7], 2);
    assert_eq!(m.gas, 100 - 3 - 20);
    // a host call that panics stops at the ecalli
    let p = Program::new(code(&[&[10, 99], &[50, 0]], &[]));
    let mut m = Machine::new(100);
    assert_eq!(invoke_host(&p, &mut m, &mut host), ExitReason::Panic);
    assert_eq!(m.pc, 0);
}

#[test]
fn marshalling_invocation() {
    // copy the 4 argument bytes to rw data and return them: r7 = args, r8 = len already;
    // load_u32 r9, [r7]; store_u32 [rw], r9 ... simpler: return the argument region itself.
    let c = code(&[&[10, 1], &[50, 0]], &[]).to_blob();
    let sp = StandardProgram {
        ro_data: &[1, 2, 3],
        rw_data: &[4],
        heap_pages: 1,
        stack_size: 100,
        code: &c,
    };
    let blob = sp.to_bytes();
    let mut host = Host { calls: vec![] };
    let r = invoke_marshalling(&blob, 0, 1000, b"hello", &mut host);
    // r7/r8 point at the arguments; the host bumped r7 by one, and the page is zero beyond
    assert_eq!(r.output, Ok(b"ello\0".to_vec()));
    assert_eq!(r.gas_used, 12);
    let r = invoke_marshalling(&[1, 2, 3], 0, 1000, b"", &mut host);
    assert_eq!((r.gas_used, r.output), (0, Err(ExitReason::Panic)));
}

#[test]
fn standard_layout() {
    let c = code(&[&[50, 0]], &[]).to_blob();
    let sp = StandardProgram {
        ro_data: &[1, 2, 3],
        rw_data: &[4],
        heap_pages: 2,
        stack_size: 5000,
        code: &c,
    };
    let (_, mut m) = marmalade_pvm::standard_init(&sp.to_bytes(), b"ab").unwrap();
    assert_eq!(m.regs[0], 0xffff_0000);
    assert_eq!(m.regs[1], 0xfefe_0000);
    assert_eq!(m.regs[7], 0xfeff_0000);
    assert_eq!(m.regs[8], 2);
    assert_eq!(m.memory.access_of(0x10000), Some(Access::ReadOnly));
    assert_eq!(m.memory.load::<3>(0x10000).unwrap(), [1, 2, 3]);
    assert_eq!(m.memory.access_of(0x10000 + 4096), None);
    assert_eq!(m.memory.access_of(0x30000), Some(Access::ReadWrite));
    assert_eq!(m.memory.load::<1>(0x30000).unwrap(), [4]);
    assert!(m.memory.is_writable(0x30000, 3 * 4096));
    assert_eq!(m.memory.access_of(0x33000), None);
    assert_eq!(m.memory.heap_top, 0x33000);
    assert!(m.memory.is_writable(0xfefe_0000 - 8192, 8192));
    assert_eq!(m.memory.access_of(0xfefe_0000 - 8193), None);
    assert_eq!(m.memory.access_of(0xfefe_0000), None);
    assert_eq!(m.memory.load::<2>(0xfeff_0000).unwrap(), *b"ab");
    assert_eq!(m.memory.access_of(0xfeff_1000), None);
}

#[test]
fn disassembly_and_trace() {
    let blob = code(&[&[51, 7, 5], &[190, 0x77, 8], &[50, 0]], &[]).to_blob();
    let text = marmalade_pvm::disassemble(&blob).unwrap();
    assert!(text.contains("load_imm r7, 0x5"), "{text}");
    assert!(
        marmalade_pvm::disassemble(&[0xff; 3]).is_err(),
        "not a blob"
    );
    assert!(text.contains("add_32 r8, r7, r7"), "{text}");
    let p = Program::from_blob(&blob).unwrap();
    let mut m = Machine::new(10);
    m.regs[0] = 0xffff_0000;
    let mut lines = Vec::new();
    let exit = marmalade_pvm::trace(&p, &mut m, |l| lines.push(l.to_string()));
    assert_eq!(exit, ExitReason::Halt);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].contains("r7=0x5"), "{lines:?}");
    assert!(lines[1].contains("r8=0xa"), "{lines:?}");
}
