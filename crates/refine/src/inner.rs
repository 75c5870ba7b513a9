//! Inner PVM instances $\mathbf{m} \in \mathbb{D}\langle\mathbb{N} \to \mathbb{G}\rangle$
//! (GP (B.4)) and the refine host calls that manage them: `machine` ($\Omega_M$), `peek`
//! ($\Omega_P$), `poke` ($\Omega_O$), `pages` ($\Omega_Z$), `invoke` ($\Omega_K$) and
//! `expunge` ($\Omega_X$) (GP appendix B, "Refine Functions"). Gas is charged by the caller.
//!
//! A guest keeps its code decoded once (`machine` has to `deblob` it anyway) and its RAM as a
//! sparse [`Memory`](marmalade_pvm::Memory), so a guest costs what it writes, not what it makes accessible.

use marmalade_host::{code, readable, writable, GAS_MODEL};
use marmalade_pvm::blob::PAGE_SIZE;
use marmalade_pvm::{
    run, Access, Backend, ExitReason, HostOutcome, Instance, Interpreter, Machine, NoTrace, Program,
};
use std::collections::BTreeMap;

/// Result codes of an inner invocation (GP appendix B, "Host-Call Result Constants").
pub mod inner_code {
    /// `HALT`: completed and halted normally.
    pub const HALT: u64 = 0;
    /// `PANIC`: completed with a panic.
    pub const PANIC: u64 = 1;
    /// `FAULT`: completed with a page fault.
    pub const FAULT: u64 = 2;
    /// `HOST`: completed with a host-call fault.
    pub const HOST: u64 = 3;
    /// `OOG`: completed by running out of gas.
    pub const OOG: u64 = 4;
}

/// The octets `invoke` reads and writes back: $\mathcal{E}_8(g) \frown \mathcal{E}_8(\mathbf{w})$.
const INVOKE_STATE: u64 = 8 + 13 * 8;

/// Chunk in which `peek` and `poke` copy, so a large copy needs no large buffer.
const COPY_CHUNK: u64 = 1 << 16;

/// $\mathbb{G}$ (GP (B.4)): an inner machine's code (decoded), RAM and instruction counter.
#[derive(Debug)]
pub struct Guest {
    program: Program,
    /// The RAM $\mathbf{u}$; registers and gas are supplied per `invoke`.
    machine: Machine,
    /// $i$: the instruction counter (any register value; the code has at most $2^{32}$
    /// octets, so one beyond $2^{32}-1$ behaves like $2^{32}-1$).
    pc: u64,
}

/// $\mathbf{m}$: the inner machines by index.
#[derive(Debug, Default)]
pub struct Guests(BTreeMap<u64, Guest>);

impl Guests {
    /// The number of inner machines.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// $n = \min(n \in \mathbb{N}, n \notin \mathcal{K}(\mathbf{m}))$.
    fn free_index(&self) -> u64 {
        let mut n = 0;
        for &k in self.0.keys() {
            if k != n {
                break;
            }
            n += 1;
        }
        n
    }
}

/// Copies `len` octets from `src` at `from` to `dst` at `to`; both ranges were checked.
fn copy(src: &mut dyn Instance, from: u64, dst: &mut dyn Instance, to: u64, len: u64) -> bool {
    let mut done = 0;
    while done < len {
        let n = (len - done).min(COPY_CHUNK);
        let Ok(buf) = src.read_vec((from + done) as u32, n as u32) else {
            return false;
        };
        if dst.write((to + done) as u32, &buf).is_err() {
            return false;
        }
        done += n;
    }
    true
}

/// `machine` ($\Omega_M$): a new inner machine of code $\mu_{p_O \dots + p_Z}$ at pc $i$.
pub fn machine(guests: &mut Guests, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let (po, pz, i) = (r[7], r[8], r[9]);
    if !readable(m, po, pz) {
        return HostOutcome::Panic;
    }
    let Some(p) = marmalade_host::read_memory(m, po, pz) else {
        return HostOutcome::Panic;
    };
    let Ok(program) = Program::from_blob(&p) else {
        m.set_reg(7, code::HUH);
        return HostOutcome::Continue;
    };
    let n = guests.free_index();
    guests.0.insert(
        n,
        Guest {
            program: program.with_gas_model(GAS_MODEL),
            machine: Machine::new(0),
            pc: i,
        },
    );
    m.set_reg(7, n);
    HostOutcome::Continue
}

/// `peek` ($\Omega_P$): copies $\mathbf{m}\[n\]_\mathbf{u}$ at $s$ to $\mu$ at $o$, $z$ octets.
pub fn peek(guests: &mut Guests, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let (n, o, s, z) = (r[7], r[8], r[9], r[10]);
    if !writable(m, o, z) {
        return HostOutcome::Panic;
    }
    let Some(g) = guests.0.get_mut(&n) else {
        m.set_reg(7, code::WHO);
        return HostOutcome::Continue;
    };
    if !readable(&g.machine, s, z) {
        m.set_reg(7, code::OOB);
        return HostOutcome::Continue;
    }
    if !copy(&mut g.machine, s, m, o, z) {
        return HostOutcome::Panic;
    }
    m.set_reg(7, code::OK);
    HostOutcome::Continue
}

/// `poke` ($\Omega_O$): copies $\mu$ at $s$ to $\mathbf{m}\[n\]_\mathbf{u}$ at $o$, $z$ octets.
pub fn poke(guests: &mut Guests, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let (n, s, o, z) = (r[7], r[8], r[9], r[10]);
    if !readable(m, s, z) {
        return HostOutcome::Panic;
    }
    let Some(g) = guests.0.get_mut(&n) else {
        m.set_reg(7, code::WHO);
        return HostOutcome::Continue;
    };
    if !writable(&g.machine, o, z) {
        m.set_reg(7, code::OOB);
        return HostOutcome::Continue;
    }
    if !copy(m, s, &mut g.machine, o, z) {
        return HostOutcome::Panic;
    }
    m.set_reg(7, code::OK);
    HostOutcome::Continue
}

/// `pages` ($\Omega_Z$): sets the access of pages $p \dots + c$ of $\mathbf{m}\[n\]$ by mode
/// $r$: 0 inaccessible, 1 read-only, 2 writable (all three zeroed), 3 read-only, 4 writable
/// (contents kept; every page must already be accessible).
pub fn pages(guests: &mut Guests, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let (n, p, c, mode) = (r[7], r[8], r[9], r[10]);
    let Some(g) = guests.0.get_mut(&n) else {
        m.set_reg(7, code::WHO);
        return HostOutcome::Continue;
    };
    let pages_total = (1u64 << 32) / PAGE_SIZE as u64;
    if mode > 4 || p < 16 || p.checked_add(c).is_none_or(|e| e >= pages_total) {
        m.set_reg(7, code::HUH);
        return HostOutcome::Continue;
    }
    let (start, len) = (p * PAGE_SIZE as u64, c * PAGE_SIZE as u64);
    // Readable here means accessible (R or W) over every page of the range.
    if mode > 2 && !readable(&g.machine, start, len) {
        m.set_reg(7, code::HUH);
        return HostOutcome::Continue;
    }
    let access = match mode {
        0 => None,
        1 | 3 => Some(Access::ReadOnly),
        _ => Some(Access::ReadWrite),
    };
    // p + c < 2^20, so both fit a u32.
    g.machine
        .set_page_access(p as u32, c as u32, access, mode < 3);
    m.set_reg(7, code::OK);
    HostOutcome::Continue
}

/// `invoke` ($\Omega_K$): runs $\mathbf{m}\[n\]$ with the gas and registers
/// $\mathcal{E}_8(g) \frown \mathcal{E}_8(\mathbf{w}) = \mu_{o \dots + 112}$ and writes the
/// gas and registers it ends with back there.
///
/// The inner Ψ reports pc 0 after a halt or panic (GP (A.1)) and $i' + 1 +
/// \text{skip}(i')$ after a host call. Ψ's $g' \in \mathbb{Z}_G$ is negative after running
/// out of gas, and the GP defines $\mathcal{E}_8$ on naturals only: here it is $g'$'s two's
/// complement, $\mathcal{Z}_8^{-1}(g')$ (GP (A.10)), the PVM's own reading of a signed register,
/// so no information is lost; typeberry 0.11.0 writes 0 (interop/INCORE.md).
pub fn invoke(guests: &mut Guests, m: &mut dyn Instance) -> HostOutcome {
    let r = m.regs();
    let (n, o) = (r[7], r[8]);
    if !writable(m, o, INVOKE_STATE) {
        return HostOutcome::Panic;
    }
    let Some(state) = marmalade_host::read_memory(m, o, INVOKE_STATE) else {
        return HostOutcome::Panic;
    };
    let Some(g) = guests.0.get_mut(&n) else {
        m.set_reg(7, code::WHO);
        return HostOutcome::Continue;
    };
    let word = |k: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&state[k * 8..k * 8 + 8]);
        u64::from_le_bytes(b)
    };
    let gas = word(0);
    // Ψ's gas counter is signed; more than 2^63 − 1 gas cannot be spent, so the excess is
    // carried aside and added back.
    let gas_in = gas.min(i64::MAX as u64) as i64;
    g.machine.gas = gas_in;
    g.machine.regs = std::array::from_fn(|k| word(k + 1));
    g.machine.pc = u32::try_from(g.pc).unwrap_or(u32::MAX);
    let exit = run(&g.program, &mut g.machine, &mut NoTrace);
    let used = gas_in - g.machine.gas;
    let gas_out = if g.machine.gas < 0 {
        g.machine.gas as u64
    } else {
        gas - used as u64
    };
    // An exit that keeps the pc keeps it as given (a pc past 2^32 − 1 was run as 2^32 − 1).
    let same_pc = g.machine.pc == u32::try_from(g.pc).unwrap_or(u32::MAX);
    let (result, r8) = match exit {
        ExitReason::HostCall(h) => {
            Interpreter {
                gas_model: GAS_MODEL,
            }
            .skip_host_call(&g.program, &mut g.machine);
            g.pc = g.machine.pc as u64;
            (inner_code::HOST, h)
        }
        ExitReason::PageFault(x) => {
            if !same_pc {
                g.pc = g.machine.pc as u64;
            }
            (inner_code::FAULT, x as u64)
        }
        ExitReason::OutOfGas => {
            if !same_pc {
                g.pc = g.machine.pc as u64;
            }
            (inner_code::OOG, r[8])
        }
        ExitReason::Panic => {
            g.pc = 0;
            (inner_code::PANIC, r[8])
        }
        ExitReason::Halt => {
            g.pc = 0;
            (inner_code::HALT, r[8])
        }
    };
    let mut out = Vec::with_capacity(INVOKE_STATE as usize);
    out.extend_from_slice(&gas_out.to_le_bytes());
    for w in g.machine.regs {
        out.extend_from_slice(&w.to_le_bytes());
    }
    if m.write(o as u32, &out).is_err() {
        return HostOutcome::Panic;
    }
    m.set_reg(7, result);
    m.set_reg(8, r8);
    HostOutcome::Continue
}

/// `expunge` ($\Omega_X$): removes $\mathbf{m}\[n\]$, returning its pc.
pub fn expunge(guests: &mut Guests, m: &mut dyn Instance) -> HostOutcome {
    let n = m.reg(7);
    match guests.0.remove(&n) {
        None => m.set_reg(7, code::WHO),
        Some(g) => m.set_reg(7, g.pc),
    }
    HostOutcome::Continue
}
