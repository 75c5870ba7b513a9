//! Memory costs what is written, not what is made accessible: a guest that grows its heap to
//! gigabytes and touches one page keeps the host's peak RSS small.
//!
//! Each test re-executes this test binary with `--exact <name>` and an environment variable
//! telling the child to run the program; the child prints the program's result and its peak
//! RSS (`VmHWM` from `/proc/self/status`), which the parent checks against [`LIMIT_KIB`].

use marmalade_pvm::{
    run, ExitReason, Machine, NoTrace, Program, ProgramCode, StandardInit, StandardProgram,
    HALT_ADDRESS,
};
use std::process::Command;

/// The peak RSS a child may reach, in KiB.
const LIMIT_KIB: u64 = 64 * 1024;
const CHILD: &str = "MARMALADE_PVM_RSS_CHILD";

fn code(insts: &[Vec<u8>]) -> ProgramCode {
    let mut c = ProgramCode::default();
    for i in insts {
        c.code.extend_from_slice(i);
        c.bitmask.push(true);
        c.bitmask.extend(std::iter::repeat_n(false, i.len() - 1));
    }
    c
}

/// `load_imm_64 r, v`.
fn load_imm_64(r: u8, v: u64) -> Vec<u8> {
    let mut i = vec![20, r];
    i.extend_from_slice(&v.to_le_bytes());
    i
}

/// `sbrk rd, ra`.
fn sbrk(d: u8, a: u8) -> Vec<u8> {
    vec![101, d | a << 4]
}

/// `sub_64 rd, ra, rb` (`ω_D = ω_A − ω_B`).
fn sub_64(d: u8, a: u8, b: u8) -> Vec<u8> {
    vec![201, a | b << 4, d]
}

/// `store_ind_u64 [rb + imm], ra`.
fn store_ind_u64(a: u8, b: u8, imm: i32) -> Vec<u8> {
    let mut i = vec![123, a | b << 4];
    i.extend_from_slice(&imm.to_le_bytes());
    i
}

/// `load_ind_u64 ra, [rb + imm]`.
fn load_ind_u64(a: u8, b: u8, imm: i32) -> Vec<u8> {
    let mut i = vec![130, a | b << 4];
    i.extend_from_slice(&imm.to_le_bytes());
    i
}

/// `jump_ind r0, 0`: halts when `r0` is the halt address.
fn halt() -> Vec<u8> {
    vec![50, 0]
}

/// Runs a bare program (no standard layout, so the heap starts at `h = 0`) and returns the
/// exit and the machine.
fn run_bare(insts: &[Vec<u8>]) -> (ExitReason, Machine) {
    let program = Program::new(code(insts));
    let mut m = Machine::new(1_000_000);
    m.regs[0] = HALT_ADDRESS as u64;
    let exit = run(&program, &mut m, &mut NoTrace);
    (exit, m)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// In the child: runs `program`, prints `RESULT=<its summary>` and `RSS_KIB=<peak>`.
/// In the parent: spawns the child and returns (summary, peak RSS in KiB).
fn in_child(test: &str, program: fn() -> String) -> Option<(String, u64)> {
    if std::env::var_os(CHILD).is_some() {
        let result = program();
        println!("RESULT={result}");
        println!("RSS_KIB={}", peak_rss_kib());
        return None;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    let field = |k: &str| {
        stdout
            .lines()
            .find_map(|l| l.split_once(k).map(|(_, v)| v))
            .unwrap_or_else(|| panic!("no {k} in child output: {stdout}"))
            .to_string()
    };
    let rss = field("RSS_KIB=").parse().unwrap();
    println!("{test}: peak RSS {} KiB", rss);
    Some((field("RESULT="), rss))
}

#[test]
fn sbrk_1gib_then_store_near_top() {
    let Some((result, rss)) = in_child("sbrk_1gib_then_store_near_top", || {
        let (exit, m) = run_bare(&[
            load_imm_64(7, 1 << 30),
            sbrk(8, 7),
            load_imm_64(9, 0xdead_beef),
            store_ind_u64(9, 7, -8),
            load_ind_u64(10, 7, -8),
            halt(),
        ]);
        format!(
            "{exit:?} r8={:#x} r10={:#x} pages={}",
            m.regs[8],
            m.regs[10],
            m.memory.written_page_count()
        )
    }) else {
        return;
    };
    assert_eq!(result, "Halt r8=0x0 r10=0xdeadbeef pages=1");
    assert!(rss < LIMIT_KIB, "peak RSS {rss} KiB");
}

#[test]
fn sbrk_to_top_of_memory_then_store() {
    let Some((result, rss)) = in_child("sbrk_to_top_of_memory_then_store", || {
        let (exit, m) = run_bare(&[
            load_imm_64(7, 1 << 30),
            sbrk(8, 7), // r8 = 0, heap to 2^30
            load_imm_64(7, 3 << 30),
            sbrk(8, 7), // r8 = 2^30, heap to 2^32
            load_imm_64(11, 0),
            sbrk(12, 11), // r12 = the heap pointer: 2^32
            sbrk(6, 7),   // no room left: r6 = 0
            load_imm_64(9, 0x1234_5678_9abc_def0),
            load_imm_64(11, 0xffff_fff8),
            store_ind_u64(9, 11, 0),
            load_ind_u64(10, 11, 0),
            halt(),
        ]);
        format!(
            "{exit:?} r8={:#x} r10={:#x} r12={:#x} r6={:#x} pages={}",
            m.regs[8],
            m.regs[10],
            m.regs[12],
            m.regs[6],
            m.memory.written_page_count()
        )
    }) else {
        return;
    };
    assert_eq!(
        result,
        "Halt r8=0x40000000 r10=0x123456789abcdef0 r12=0x100000000 r6=0x0 pages=1"
    );
    assert!(rss < LIMIT_KIB, "peak RSS {rss} KiB");
}

#[test]
fn standard_layout_lone_sbrk_to_top() {
    let Some((result, rss)) = in_child("standard_layout_lone_sbrk_to_top", || {
        let blob = code(&[
            load_imm_64(10, 0),
            sbrk(9, 10), // r9 = the heap pointer
            load_imm_64(11, 1 << 32),
            sub_64(11, 11, 9), // r11 = 2^32 - heap pointer
            sbrk(8, 11),       // to 2^32: meets the stack, refused
            sbrk(12, 10),      // the heap pointer is unchanged
            halt(),
        ])
        .to_blob();
        let sp = StandardProgram {
            ro_data: &[1, 2, 3],
            rw_data: &[4; 100],
            heap_pages: 16,
            stack_size: 64 * 1024,
            code: &blob,
        };
        let init = StandardInit::new(&sp.to_bytes()).unwrap();
        let mut m = init.machine(&[7; 1000], 1_000_000).unwrap();
        let exit = run(&init.program, &mut m, &mut NoTrace);
        let stack_writable = m.memory.is_writable(m.regs[1] as u32 - 4096, 4096);
        let args_read_only = !m.memory.is_writable(m.regs[7] as u32, 1);
        format!(
            "{exit:?} r8={:#x} unchanged={} stack_writable={stack_writable} \
             args_read_only={args_read_only}",
            m.regs[8],
            m.regs[9] == m.regs[12],
        )
    }) else {
        return;
    };
    assert_eq!(
        result,
        "Halt r8=0x0 unchanged=true stack_writable=true args_read_only=true"
    );
    assert!(rss < LIMIT_KIB, "peak RSS {rss} KiB");
}
