//! The PVM: program-blob parsing (`Program::from_blob`, `StandardProgram`, `StandardInit`)
//! and execution of the fuzzed code under a gas bound, with a host that answers `ecalli`s
//! from a script in the input: set registers, map/unmap pages (memory growth beside
//! `sbrk`), write/read guest memory, halt, panic or run out of gas.
//!
//! Input (missing bytes read as zero):
//! - `flags` u8: bit 0 set = standard program blob run by `invoke_standard`, otherwise a raw
//!   `deblob` blob run by `invoke_host` on a machine set up from the input;
//! - `gas` u32 (taken modulo `MAX_GAS + 1`);
//! - `n` u8, then `n % 33` host actions of 11 bytes (`op`, `a`, `b`, `val` u64);
//! - raw: `pc` u32, `heap_top` u32, `nregs` u8 then `nregs % 14` × (`index` u8, `value` u64),
//!   `npages` u8 then `npages % 9` × (`page` u32, `count` u16, `access` u8),
//!   `nwrites` u8 then `nwrites % 9` × (`addr` u32, `len` u16, bytes), then the blob;
//! - standard: `pc` u16, `args_len` u16, the arguments, then the blob.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marmalade_pvm::memory::Access;
use marmalade_pvm::{
    invoke_host, invoke_standard, ExitReason, HostCalls, HostOutcome, Instance, Machine, Memory,
    Program, ProgramCode, StandardInit, StandardProgram,
};

/// Enough for loops to touch many pages, small enough that one run stays in the megabytes.
const MAX_GAS: u64 = 100_000;
const PAGE: u32 = 4096;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn uint(&mut self, n: usize) -> u64 {
        self.bytes(n)
            .iter()
            .rev()
            .fold(0, |acc, &b| (acc << 8) | b as u64)
    }
    fn u8(&mut self) -> u8 {
        self.uint(1) as u8
    }
}

#[derive(Clone, Copy)]
struct Action {
    op: u8,
    a: u8,
    b: u8,
    val: u64,
}

struct Host {
    script: Vec<Action>,
    calls: usize,
}

impl HostCalls for Host {
    fn host_call(&mut self, _id: u64, vm: &mut dyn Instance) -> HostOutcome {
        let Some(&act) = self.script.get(self.calls % self.script.len().max(1)) else {
            return HostOutcome::Continue;
        };
        self.calls += 1;
        // Host calls cost gas, as the real ones do, so a loop of `ecalli`s ends.
        vm.set_gas(vm.gas() - 10);
        if vm.gas() < 0 {
            return HostOutcome::OutOfGas;
        }
        let reg = |i: u8| i as usize % 14; // 13 is out of range: ignored / reads 0
        match act.op % 8 {
            0 => vm.set_reg(reg(act.a), act.val),
            1 => {
                // Grow (or shrink) memory by pages, like refine's `pages`.
                let page = (act.val % (1 << 20)) as u32;
                let count = act.b as u32 % 64 + 1;
                let access = match act.a % 3 {
                    0 => None,
                    1 => Some(Access::ReadOnly),
                    _ => Some(Access::ReadWrite),
                };
                vm.set_page_access(page, count, access, act.a & 4 != 0);
                for p in [page, page + count - 1]
                    .into_iter()
                    .filter(|&p| p < 1 << 20)
                {
                    assert_eq!(vm.page_access(p), access, "page {p} access");
                }
                vm.set_reg(7, page as u64 * PAGE as u64);
            }
            2 => {
                let addr = if act.a & 0x80 != 0 {
                    vm.reg(reg(act.a)) as u32
                } else {
                    act.val as u32
                };
                let data = vec![act.a ^ act.b; act.b as usize * 16];
                let writable = vm.is_writable(addr, data.len() as u64);
                let ok = vm.write(addr, &data).is_ok();
                if writable {
                    assert!(ok, "write to writable {addr:#x}+{} failed", data.len());
                    let back = vm.read_vec(addr, data.len() as u32).expect("read back");
                    assert_eq!(back, data, "read back after write at {addr:#x}");
                }
                vm.set_reg(7, ok as u64);
            }
            3 => {
                let addr = act.val as u32;
                let len = act.b as u32 * 64;
                let readable = vm.is_readable(addr, len as u64);
                let got = vm.read_vec(addr, len);
                // `is_readable` does not wrap at 2^32, reads do: compare only without wrapping.
                if addr as u64 + len as u64 <= 1 << 32 {
                    assert_eq!(got.is_ok(), readable, "read {addr:#x}+{len}");
                }
                if let Ok(v) = got {
                    assert_eq!(v.len(), len as usize);
                    vm.set_reg(7, v.iter().map(|&b| b as u64).sum());
                }
            }
            4 => return HostOutcome::Halt,
            5 => return HostOutcome::Panic,
            6 => return HostOutcome::OutOfGas,
            _ => {
                let a = vm.page_access(act.val as u32);
                vm.set_reg(7, a.map_or(0, |a| a as u64 + 1));
            }
        }
        HostOutcome::Continue
    }
}

fn run_raw(inp: &mut Input, gas: i64, host: &mut Host) {
    let pc = inp.uint(4) as u32;
    let mut memory = Memory::new();
    memory.heap_top = inp.uint(4);
    let mut regs = [0u64; 13];
    for _ in 0..inp.u8() % 14 {
        let i = inp.u8() as usize % 13;
        regs[i] = inp.uint(8);
    }
    let mut pages = Vec::new();
    for _ in 0..inp.u8() % 9 {
        let page = inp.uint(4) as u32 % (1 << 20);
        let count = inp.uint(2) as u64 % 256 + 1;
        let access = if inp.u8() & 1 == 0 {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        };
        memory.set_access(
            page * PAGE,
            count * PAGE as u64,
            Some(Access::ReadWrite),
            true,
        );
        pages.push((page, count, access));
    }
    for _ in 0..inp.u8() % 9 {
        let addr = inp.uint(4) as u32;
        let len = inp.uint(2) as usize;
        let _ = memory.write(addr, inp.bytes(len));
    }
    for (page, count, access) in pages {
        memory.set_access(page * PAGE, count * PAGE as u64, Some(access), false);
    }
    let blob = inp.0;
    if blob.len() < 4096 {
        let _ = marmalade_pvm::disassemble(blob);
    }
    let Ok(program) = Program::from_blob(blob) else {
        return;
    };
    let code = ProgramCode::deblob(blob).expect("deblob agrees with from_blob");
    assert_eq!(ProgramCode::deblob(&code.to_blob()), Ok(code));
    let mut m = Machine {
        regs,
        pc,
        gas,
        memory,
    };
    let exit = invoke_host(&program, &mut m, host);
    assert!(!matches!(exit, ExitReason::HostCall(_)));
    assert!(m.gas <= gas);
    assert!(
        m.gas >= 0 || exit == ExitReason::OutOfGas,
        "{exit:?} with gas {}",
        m.gas
    );
}

fn run_standard(inp: &mut Input, gas: u64, host: &mut Host) {
    let pc = inp.uint(2) as u32;
    let args_len = inp.uint(2) as usize;
    let args = inp.bytes(args_len);
    let blob = inp.0;
    if let Ok(sp) = StandardProgram::parse(blob) {
        assert_eq!(sp.to_bytes(), blob);
    }
    let _ = StandardProgram::parse_service_code(blob);
    let Ok(init) = StandardInit::new(blob) else {
        return;
    };
    let r = invoke_standard(&init, pc, gas, args, host);
    assert!(r.gas_used <= gas);
    assert!(!matches!(r.output, Err(ExitReason::HostCall(_))));
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let flags = inp.u8();
    let gas = inp.uint(4) % (MAX_GAS + 1);
    let n = inp.u8() % 33;
    let script = (0..n)
        .map(|_| Action {
            op: inp.u8(),
            a: inp.u8(),
            b: inp.u8(),
            val: inp.uint(8),
        })
        .collect();
    let mut host = Host { script, calls: 0 };
    if flags & 1 == 0 {
        run_raw(&mut inp, gas as i64, &mut host);
    } else {
        run_standard(&mut inp, gas, &mut host);
    }
});
