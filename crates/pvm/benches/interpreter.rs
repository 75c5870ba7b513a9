//! Our interpreter against polkavm 0.30 (interpreter and compiler) on the same GP blobs:
//! a hot arithmetic loop, a memory-heavy loop and a branchy loop, millions of instructions
//! each. Prints instructions per second and ratios, then runs criterion groups.

use criterion::{criterion_group, criterion_main, Criterion};
use marmalade_pvm::{Access, ExitReason, Machine, NoTrace, Program, ProgramCode};
use polkavm::program::InstructionSetKind;
use polkavm::{
    BackendKind, Config, Engine, GasMeteringKind, InterruptKind, Module, ModuleConfig, ProgramBlob,
    ProgramCounter, ProgramParts, Reg,
};
use std::time::Instant;

/// A tiny assembler for GP blobs (4-byte immediates and offsets throughout).
#[derive(Default)]
struct Asm {
    code: Vec<u8>,
    mask: Vec<bool>,
    labels: Vec<Option<u32>>,
    fixups: Vec<(usize, u32, usize)>, // (byte position, instruction pc, label)
}

impl Asm {
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }
    fn bind(&mut self, l: usize) {
        self.labels[l] = Some(self.code.len() as u32);
    }
    fn emit(&mut self, bytes: &[u8]) -> u32 {
        let pc = self.code.len() as u32;
        self.code.extend_from_slice(bytes);
        self.mask.push(true);
        self.mask
            .extend(std::iter::repeat_n(false, bytes.len() - 1));
        pc
    }
    fn three(&mut self, op: u8, d: u8, a: u8, b: u8) {
        self.emit(&[op, a | b << 4, d]);
    }
    fn two_imm(&mut self, op: u8, a: u8, b: u8, imm: i32) {
        let mut v = vec![op, a | b << 4];
        v.extend_from_slice(&imm.to_le_bytes());
        self.emit(&v);
    }
    fn load_imm(&mut self, a: u8, imm: i32) {
        let mut v = vec![51, a];
        v.extend_from_slice(&imm.to_le_bytes());
        self.emit(&v);
    }
    fn branch_imm(&mut self, op: u8, a: u8, imm: i32, target: usize) {
        let mut v = vec![op, a | 4 << 4];
        v.extend_from_slice(&imm.to_le_bytes());
        let pos = self.code.len() + v.len();
        v.extend_from_slice(&[0; 4]);
        let pc = self.emit(&v);
        self.fixups.push((pos, pc, target));
    }
    fn jump(&mut self, target: usize) {
        let pos = self.code.len() + 1;
        let pc = self.emit(&[40, 0, 0, 0, 0]);
        self.fixups.push((pos, pc, target));
    }
    fn fallthrough(&mut self) {
        self.emit(&[1]);
    }
    fn halt(&mut self) {
        self.emit(&[50, 0]); // jump_ind r0 (r0 = 2^32 - 2^16)
    }
    fn finish(mut self) -> Vec<u8> {
        for &(pos, pc, l) in &self.fixups {
            let off = self.labels[l].unwrap() as i32 - pc as i32;
            self.code[pos..pos + 4].copy_from_slice(&off.to_le_bytes());
        }
        ProgramCode {
            code: std::mem::take(&mut self.code),
            bitmask: std::mem::take(&mut self.mask),
            jump_table: vec![],
            jump_table_len: 0,
        }
        .to_blob()
    }
}

// opcode numbers (GP 0.7.2)
const ADD_64: u8 = 200;
const SUB_64: u8 = 201;
const XOR: u8 = 211;
const OR: u8 = 212;
const ADD_IMM_64: u8 = 149;
const AND_IMM: u8 = 132;
const SHLO_L_IMM_64: u8 = 151;
const SHLO_R_IMM_64: u8 = 152;
const MUL_IMM_64: u8 = 150;
const LOAD_IND_U64: u8 = 130;
const LOAD_IND_U32: u8 = 128;
const STORE_IND_U64: u8 = 123;
const STORE_IND_U32: u8 = 122;
const BRANCH_NE_IMM: u8 = 82;
const BRANCH_EQ_IMM: u8 = 81;
const BRANCH_LT_U_IMM: u8 = 83;

const RW_SIZE: u32 = 64 * 1024;

/// 11 instructions per iteration of pure ALU work.
fn arith(n: i32) -> Vec<u8> {
    let mut a = Asm::default();
    let l = a.label();
    a.load_imm(1, n);
    a.load_imm(2, 1);
    a.load_imm(3, 3);
    a.fallthrough();
    a.bind(l);
    a.three(ADD_64, 2, 2, 3);
    a.two_imm(MUL_IMM_64, 3, 3, 0x9e37);
    a.three(XOR, 4, 2, 3);
    a.two_imm(SHLO_L_IMM_64, 5, 4, 3);
    a.three(ADD_64, 3, 3, 5);
    a.two_imm(AND_IMM, 6, 3, 0xffff);
    a.three(OR, 2, 2, 6);
    a.three(SUB_64, 2, 2, 4);
    a.two_imm(ADD_IMM_64, 1, 1, -1);
    a.branch_imm(BRANCH_NE_IMM, 1, 0, l);
    a.halt();
    a.finish()
}

/// 11 instructions per iteration, 4 of them loads/stores over a 64 KiB buffer (base in r12).
fn memory(n: i32) -> Vec<u8> {
    let mut a = Asm::default();
    let l = a.label();
    a.load_imm(1, n);
    a.load_imm(9, 0);
    a.fallthrough();
    a.bind(l);
    a.three(ADD_64, 10, 9, 12);
    a.two_imm(LOAD_IND_U64, 4, 10, 0);
    a.three(ADD_64, 4, 4, 1);
    a.two_imm(STORE_IND_U64, 4, 10, 0);
    a.two_imm(LOAD_IND_U32, 5, 10, 8);
    a.three(ADD_64, 6, 6, 5);
    a.two_imm(STORE_IND_U32, 6, 10, 12);
    a.two_imm(ADD_IMM_64, 9, 9, 16);
    a.two_imm(AND_IMM, 9, 9, (RW_SIZE - 1) as i32);
    a.two_imm(ADD_IMM_64, 1, 1, -1);
    a.branch_imm(BRANCH_NE_IMM, 1, 0, l);
    a.halt();
    a.finish()
}

/// A pseudo-random (LCG) two-level branch per iteration: 11–12 instructions, 3–4 branches.
fn branchy(n: i32) -> Vec<u8> {
    let mut a = Asm::default();
    let (top, odd, join, small, end) = (a.label(), a.label(), a.label(), a.label(), a.label());
    a.load_imm(1, n);
    a.load_imm(2, 12345);
    a.fallthrough();
    a.bind(top);
    a.two_imm(MUL_IMM_64, 2, 2, 1103515245);
    a.two_imm(ADD_IMM_64, 2, 2, 12345);
    a.two_imm(SHLO_R_IMM_64, 3, 2, 16);
    a.two_imm(AND_IMM, 3, 3, 3);
    a.branch_imm(BRANCH_EQ_IMM, 3, 0, odd);
    a.two_imm(ADD_IMM_64, 4, 4, 1);
    a.branch_imm(BRANCH_LT_U_IMM, 3, 2, small);
    a.two_imm(ADD_IMM_64, 7, 7, 3);
    a.jump(join);
    a.bind(small);
    a.two_imm(ADD_IMM_64, 8, 8, 5);
    a.jump(join);
    a.bind(odd);
    a.two_imm(ADD_IMM_64, 5, 5, 1);
    a.fallthrough();
    a.bind(join);
    a.two_imm(ADD_IMM_64, 1, 1, -1);
    a.branch_imm(BRANCH_NE_IMM, 1, 0, top);
    a.fallthrough();
    a.bind(end);
    a.halt();
    a.finish()
}

const GAS: i64 = 1 << 40;

struct Ours {
    program: Program,
    rw_base: u32,
}

impl Ours {
    fn new(blob: &[u8], rw_base: u32) -> Self {
        Ours {
            program: Program::from_blob(blob).expect("valid blob"),
            rw_base,
        }
    }
    /// Runs once; returns the instructions executed (gas used: 1 per instruction).
    fn run(&self) -> u64 {
        let mut m = Machine::new(GAS);
        m.regs[0] = 0xffff_0000;
        m.regs[12] = self.rw_base as u64;
        m.memory
            .set_access(self.rw_base, RW_SIZE as u64, Some(Access::ReadWrite), true);
        let exit = marmalade_pvm::run(&self.program, &mut m, &mut NoTrace);
        assert_eq!(exit, ExitReason::Halt);
        (GAS - m.gas) as u64
    }
}

struct Peer {
    module: Module,
}

impl Peer {
    fn new(blob: &[u8], backend: BackendKind) -> Option<Self> {
        let mut parts = ProgramParts::empty(InstructionSetKind::JamV1);
        parts.code_and_jump_table = blob.to_vec().into();
        parts.rw_data_size = RW_SIZE;
        let blob = ProgramBlob::from_parts(parts).ok()?;
        let mut config = Config::new();
        config.set_backend(Some(backend));
        let engine = Engine::new(&config)
            .map_err(|e| eprintln!("polkavm {backend:?} unavailable: {e}"))
            .ok()?;
        let mut mc = ModuleConfig::new();
        mc.set_page_size(4096);
        mc.set_gas_metering(Some(GasMeteringKind::Sync));
        let module = Module::from_blob(&engine, &mc, blob)
            .map_err(|e| eprintln!("polkavm {backend:?} module: {e}"))
            .ok()?;
        Some(Peer { module })
    }
    fn rw_base(&self) -> u32 {
        self.module.memory_map().rw_data_address()
    }
    fn run(&self) {
        let mut inst = self.module.instantiate().expect("instantiate");
        inst.set_gas(GAS);
        inst.set_reg(Reg::RA, 0xffff_0000);
        inst.set_reg(Reg::A5, self.rw_base() as u64);
        inst.set_next_program_counter(ProgramCounter(0));
        let exit = inst.run().expect("run");
        assert!(
            matches!(exit, InterruptKind::Finished),
            "polkavm exit {exit:?}"
        );
    }
}

fn time<F: FnMut()>(mut f: F) -> f64 {
    f(); // warm up
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

type Workload = (&'static str, fn(i32) -> Vec<u8>);

const WORKLOADS: [Workload; 3] = [("arith", arith), ("memory", memory), ("branchy", branchy)];
const N: i32 = 500_000;

fn report() {
    println!(
        "\n{:<8} {:>10} {:>14} {:>14} {:>14} {:>9} {:>9}",
        "program", "instrs", "ours i/s", "pvm-int i/s", "pvm-comp i/s", "ours/int", "ours/comp"
    );
    for (name, make) in WORKLOADS {
        let blob = make(N);
        let interp = Peer::new(&blob, BackendKind::Interpreter);
        let comp = Peer::new(&blob, BackendKind::Compiler);
        let base = interp.as_ref().map_or(0x3_0000, |p| p.rw_base());
        let ours = Ours::new(&blob, base);
        let instrs = ours.run();
        let t_ours = time(|| {
            ours.run();
        });
        let t_int = interp.as_ref().map(|p| time(|| p.run()));
        let t_comp = comp.as_ref().map(|p| time(|| p.run()));
        let ips = |t: f64| instrs as f64 / t;
        let fmt = |t: Option<f64>| t.map_or("n/a".to_string(), |t| format!("{:.3e}", ips(t)));
        let ratio = |t: Option<f64>| t.map_or("n/a".to_string(), |t| format!("{:.2}", t / t_ours));
        println!(
            "{:<8} {:>10} {:>14} {:>14} {:>14} {:>9} {:>9}",
            name,
            instrs,
            format!("{:.3e}", ips(t_ours)),
            fmt(t_int),
            fmt(t_comp),
            ratio(t_int),
            ratio(t_comp),
        );
    }
    println!("(ratios > 1: ours is faster; i/s = executed instructions per second, best of 5)\n");
}

fn bench(c: &mut Criterion) {
    report();
    for (name, make) in WORKLOADS {
        let blob = make(N / 10);
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        let interp = Peer::new(&blob, BackendKind::Interpreter);
        let base = interp.as_ref().map_or(0x3_0000, |p| p.rw_base());
        let ours = Ours::new(&blob, base);
        group.bench_function("marmalade", |b| b.iter(|| ours.run()));
        if let Some(p) = &interp {
            group.bench_function("polkavm-interpreter", |b| b.iter(|| p.run()));
        }
        if let Some(p) = Peer::new(&blob, BackendKind::Compiler) {
            group.bench_function("polkavm-compiler", |b| b.iter(|| p.run()));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
