//! A tiny PVM assembler for tests (cargo feature `testing`): builds standard program blobs
//! (GP (A.38): read-only and read-write data, heap pages, stack, and the `deblob` code of
//! GP (A.2) with its opcode bitmask and jump table) from a Rust builder, and wraps them as
//! service code preimages ($\mathcal{E}(\updownarrow\mathbf{m}, \mathbf{c})$, GP (9.4),
//! [`service_code`]) that [`install_code`] puts into a [`State`] (with the lookup entry
//! that makes them available to historical lookups from a given slot).
//!
//! Every instruction is emitted with fixed-width operands (immediates and offsets of 4
//! octets, `load_imm_64`'s of 8), so a label's offset can be patched once it is bound.
//! Jump and branch targets must start a basic block (GP (A.5)): [`Asm::bind`] inserts a
//! `fallthrough` when the previous instruction is not a terminator.
//!
//! Memory of a standard program (GP (A.42)): read-only data at `0x10000`
//! ([`RO_BASE`]), read-write data then `heap_pages` pages at [`Asm::heap_base`], the stack
//! ending at `2^32 − 2·2^16 − 2^24` (`ω_1` starts there), the arguments at `ω_7` (length
//! `ω_8`). [`Asm::halt`] jumps to the halt address through `ω_0`; on halt `Ψ_M` outputs
//! `μ[ω_7 .. +ω_8]`.
//!
//! ```
//! use marmalade_refine::testing::{service_code, Asm};
//! use marmalade_pvm::{invoke_marshalling, HostCalls, HostOutcome, Instance};
//!
//! struct NoHost;
//! impl HostCalls for NoHost {
//!     fn host_call(&mut self, _id: u64, _vm: &mut dyn Instance) -> HostOutcome {
//!         HostOutcome::Panic
//!     }
//! }
//!
//! // Output the 3 octets "abc" from the read-only data, after a loop counting r9 to 4.
//! let mut a = Asm::new();
//! let text = a.ro_data(b"abc");
//! let top = a.label();
//! a.load_imm(9, 0);
//! a.bind(top).add_imm_64(9, 9, 1).branch_ne_imm(9, 4, top);
//! a.load_imm(7, text as u64).load_imm(8, 3).halt();
//! let blob = a.build();
//! let r = invoke_marshalling(&blob, 0, 1000, &[], &mut NoHost);
//! assert_eq!(r.output, Ok(b"abc".to_vec()));
//! // The same program as a service's code preimage, metadata first.
//! assert_eq!(service_code(b"meta", &blob)[..5], *b"\x04meta");
//! ```

use marmalade_codec::encode_natural;
use marmalade_crypto::hash::blake2b_256;
use marmalade_pvm::blob::{zone_align, PAGE_SIZE, ZONE_SIZE};
use marmalade_pvm::{Opcode, ProgramCode, StandardProgram, HALT_ADDRESS};
use marmalade_state::State;
use marmalade_types::{Hash, ServiceId, TimeSlot};

/// Where the read-only data is mapped: $\mathsf{Z}_Z$ (GP (A.42)).
pub const RO_BASE: u32 = ZONE_SIZE;

/// A position in the code, bound with [`Asm::bind`] and used by jumps and branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

/// A 4-octet offset at `at` in the code, of the instruction at `pc`, to `label`.
#[derive(Debug, Clone, Copy)]
struct Fixup {
    at: usize,
    pc: u32,
    label: Label,
}

/// The program builder. Methods append one instruction and return `&mut Self` to chain.
#[derive(Debug, Clone)]
pub struct Asm {
    code: Vec<u8>,
    bitmask: Vec<bool>,
    jump_table: Vec<u64>,
    labels: Vec<Option<u32>>,
    fixups: Vec<Fixup>,
    table_fixups: Vec<(usize, Label)>,
    last_terminates: bool,
    ro_data: Vec<u8>,
    rw_data: Vec<u8>,
    /// `z`: heap pages after the read-write data (default 1).
    pub heap_pages: u16,
    /// `s`: the stack size in octets (default one page).
    pub stack_size: u32,
    rw_taken: bool,
}

impl Default for Asm {
    fn default() -> Self {
        Self::new()
    }
}

fn reg(r: u8) -> u8 {
    assert!(r < 13, "register r{r} does not exist");
    r
}

impl Asm {
    /// An empty program with one heap page and a one-page stack.
    pub fn new() -> Self {
        Asm {
            code: Vec::new(),
            bitmask: Vec::new(),
            jump_table: Vec::new(),
            labels: Vec::new(),
            fixups: Vec::new(),
            table_fixups: Vec::new(),
            last_terminates: true,
            ro_data: Vec::new(),
            rw_data: Vec::new(),
            heap_pages: 1,
            stack_size: PAGE_SIZE,
            rw_taken: false,
        }
    }

    /// Appends read-only data; returns its address.
    ///
    /// # Panics
    /// After [`Asm::rw_data`] or [`Asm::heap_base`] (the heap's address depends on the
    /// read-only size).
    pub fn ro_data(&mut self, data: &[u8]) -> u32 {
        assert!(!self.rw_taken, "add read-only data before read-write data");
        let at = RO_BASE + self.ro_data.len() as u32;
        self.ro_data.extend_from_slice(data);
        at
    }

    /// Appends read-write data; returns its address.
    pub fn rw_data(&mut self, data: &[u8]) -> u32 {
        let at = self.heap_base() + self.rw_data.len() as u32;
        self.rw_data.extend_from_slice(data);
        at
    }

    /// The start of the read-write data and heap, $2\mathsf{Z}_Z + Z(|\mathbf{o}|)$
    /// (GP (A.42)); no read-only data may be added afterwards.
    pub fn heap_base(&mut self) -> u32 {
        self.rw_taken = true;
        (2 * ZONE_SIZE as u64 + zone_align(self.ro_data.len() as u64)) as u32
    }

    /// A new, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` here, after a `fallthrough` if the previous instruction does not end a
    /// basic block.
    ///
    /// # Panics
    /// If the label is already bound.
    pub fn bind(&mut self, label: Label) -> &mut Self {
        if !self.last_terminates {
            self.fallthrough();
        }
        assert!(self.labels[label.0].is_none(), "label bound twice");
        self.labels[label.0] = Some(self.code.len() as u32);
        self
    }

    /// The current code index (the next instruction's).
    pub fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    /// Appends an entry to the jump table pointing at `label`; returns the address `jump_ind`
    /// takes to reach it ($(i + 1) \cdot \mathsf{Z}_A$, GP (A.18)).
    pub fn jump_table_entry(&mut self, label: Label) -> u32 {
        self.jump_table.push(0);
        self.table_fixups.push((self.jump_table.len() - 1, label));
        self.jump_table.len() as u32 * 2
    }

    /// Appends a raw instruction: `opcode` then `operands`.
    pub fn raw(&mut self, opcode: Opcode, operands: &[u8]) -> &mut Self {
        self.bitmask.push(true);
        self.code.push(opcode as u8);
        self.bitmask
            .extend(std::iter::repeat_n(false, operands.len()));
        self.code.extend_from_slice(operands);
        self.last_terminates = opcode.is_terminator();
        self
    }

    fn imm4(x: u64) -> [u8; 4] {
        let v = x as i64;
        assert!(
            i32::try_from(v).is_ok(),
            "immediate {x:#x} does not sign-extend from 32 bits"
        );
        (v as i32).to_le_bytes()
    }

    fn with_offset(&mut self, opcode: Opcode, before: &[u8], label: Label) -> &mut Self {
        let pc = self.pc();
        let mut ops = before.to_vec();
        let at = pc as usize + 1 + ops.len();
        ops.extend_from_slice(&[0; 4]);
        self.fixups.push(Fixup { at, pc, label });
        self.raw(opcode, &ops)
    }

    /// `trap`: panic.
    pub fn trap(&mut self) -> &mut Self {
        self.raw(Opcode::Trap, &[])
    }

    /// `fallthrough`.
    pub fn fallthrough(&mut self) -> &mut Self {
        self.raw(Opcode::Fallthrough, &[])
    }

    /// `ecalli id`: host call `id`.
    pub fn ecalli(&mut self, id: u64) -> &mut Self {
        let imm = Self::imm4(id);
        self.raw(Opcode::Ecalli, &imm)
    }

    /// `ω_r = x`: `load_imm` when `x` sign-extends from 32 bits, else `load_imm_64`.
    pub fn load_imm(&mut self, r: u8, x: u64) -> &mut Self {
        if i32::try_from(x as i64).is_ok() {
            let mut ops = vec![reg(r)];
            ops.extend_from_slice(&Self::imm4(x));
            self.raw(Opcode::LoadImm, &ops)
        } else {
            self.load_imm_64(r, x)
        }
    }

    /// `load_imm_64`: `ω_r = x`.
    pub fn load_imm_64(&mut self, r: u8, x: u64) -> &mut Self {
        let mut ops = vec![reg(r)];
        ops.extend_from_slice(&x.to_le_bytes());
        self.raw(Opcode::LoadImm64, &ops)
    }

    /// `move_reg`: `ω_d = ω_a`.
    pub fn move_reg(&mut self, d: u8, a: u8) -> &mut Self {
        self.raw(Opcode::MoveReg, &[reg(d) | reg(a) << 4])
    }

    fn two_reg_imm(&mut self, op: Opcode, a: u8, b: u8, x: u64) -> &mut Self {
        let mut ops = vec![reg(a) | reg(b) << 4];
        ops.extend_from_slice(&Self::imm4(x));
        self.raw(op, &ops)
    }

    fn three_reg(&mut self, op: Opcode, d: u8, a: u8, b: u8) -> &mut Self {
        self.raw(op, &[reg(a) | reg(b) << 4, reg(d)])
    }

    /// `add_imm_64`: `ω_d = ω_a + x`.
    pub fn add_imm_64(&mut self, d: u8, a: u8, x: u64) -> &mut Self {
        self.two_reg_imm(Opcode::AddImm64, d, a, x)
    }

    /// `add_64`: `ω_d = ω_a + ω_b`.
    pub fn add_64(&mut self, d: u8, a: u8, b: u8) -> &mut Self {
        self.three_reg(Opcode::Add64, d, a, b)
    }

    /// `sub_64`: `ω_d = ω_a − ω_b`.
    pub fn sub_64(&mut self, d: u8, a: u8, b: u8) -> &mut Self {
        self.three_reg(Opcode::Sub64, d, a, b)
    }

    /// `load_u8`: `ω_r = μ[addr]`.
    pub fn load_u8(&mut self, r: u8, addr: u32) -> &mut Self {
        let mut ops = vec![reg(r)];
        ops.extend_from_slice(&addr.to_le_bytes());
        self.raw(Opcode::LoadU8, &ops)
    }

    /// `load_u64`: `ω_r = E_8⁻¹(μ[addr..+8])`.
    pub fn load_u64(&mut self, r: u8, addr: u32) -> &mut Self {
        let mut ops = vec![reg(r)];
        ops.extend_from_slice(&addr.to_le_bytes());
        self.raw(Opcode::LoadU64, &ops)
    }

    /// `store_u8`: `μ[addr] = ω_r mod 2^8`.
    pub fn store_u8(&mut self, r: u8, addr: u32) -> &mut Self {
        let mut ops = vec![reg(r)];
        ops.extend_from_slice(&addr.to_le_bytes());
        self.raw(Opcode::StoreU8, &ops)
    }

    /// `store_u64`: `μ[addr..+8] = E_8(ω_r)`.
    pub fn store_u64(&mut self, r: u8, addr: u32) -> &mut Self {
        let mut ops = vec![reg(r)];
        ops.extend_from_slice(&addr.to_le_bytes());
        self.raw(Opcode::StoreU64, &ops)
    }

    /// `store_imm_u8`: `μ[addr] = v`.
    pub fn store_imm_u8(&mut self, addr: u32, v: u8) -> &mut Self {
        let mut ops = vec![4];
        ops.extend_from_slice(&addr.to_le_bytes());
        ops.extend_from_slice(&Self::imm4(v as u64));
        self.raw(Opcode::StoreImmU8, &ops)
    }

    /// `store_imm_u64`: `μ[addr..+8] = E_8(v)`, `v` sign-extended from 32 bits.
    pub fn store_imm_u64(&mut self, addr: u32, v: u64) -> &mut Self {
        let mut ops = vec![4];
        ops.extend_from_slice(&addr.to_le_bytes());
        ops.extend_from_slice(&Self::imm4(v));
        self.raw(Opcode::StoreImmU64, &ops)
    }

    /// `load_ind_u8`: `ω_d = μ[ω_b + x]`.
    pub fn load_ind_u8(&mut self, d: u8, b: u8, x: u64) -> &mut Self {
        self.two_reg_imm(Opcode::LoadIndU8, d, b, x)
    }

    /// `load_ind_u64`: `ω_d = E_8⁻¹(μ[ω_b + x..+8])`.
    pub fn load_ind_u64(&mut self, d: u8, b: u8, x: u64) -> &mut Self {
        self.two_reg_imm(Opcode::LoadIndU64, d, b, x)
    }

    /// `store_ind_u8`: `μ[ω_b + x] = ω_a mod 2^8`.
    pub fn store_ind_u8(&mut self, a: u8, b: u8, x: u64) -> &mut Self {
        self.two_reg_imm(Opcode::StoreIndU8, a, b, x)
    }

    /// `store_ind_u64`: `μ[ω_b + x..+8] = E_8(ω_a)`.
    pub fn store_ind_u64(&mut self, a: u8, b: u8, x: u64) -> &mut Self {
        self.two_reg_imm(Opcode::StoreIndU64, a, b, x)
    }

    /// `jump label`.
    pub fn jump(&mut self, label: Label) -> &mut Self {
        self.with_offset(Opcode::Jump, &[], label)
    }

    /// `jump_ind`: jump to the address `ω_r + x` (through the jump table; the halt address
    /// halts).
    pub fn jump_ind(&mut self, r: u8, x: u64) -> &mut Self {
        let mut ops = vec![reg(r)];
        ops.extend_from_slice(&Self::imm4(x));
        self.raw(Opcode::JumpInd, &ops)
    }

    /// Halts: `jump_ind ω_0` (ω_0 starts as the halt address `2^32 − 2^16`).
    pub fn halt(&mut self) -> &mut Self {
        self.jump_ind(0, 0)
    }

    /// Halts wherever `ω_0` is: sets it to the halt address first.
    pub fn halt_anyway(&mut self) -> &mut Self {
        self.load_imm(0, HALT_ADDRESS as u64).halt()
    }

    fn branch_imm(&mut self, op: Opcode, r: u8, x: u64, label: Label) -> &mut Self {
        let mut before = vec![reg(r) | 4 << 4];
        before.extend_from_slice(&Self::imm4(x));
        self.with_offset(op, &before, label)
    }

    /// `branch_eq_imm`: to `label` if `ω_r = x`.
    pub fn branch_eq_imm(&mut self, r: u8, x: u64, label: Label) -> &mut Self {
        self.branch_imm(Opcode::BranchEqImm, r, x, label)
    }

    /// `branch_ne_imm`: to `label` if `ω_r ≠ x`.
    pub fn branch_ne_imm(&mut self, r: u8, x: u64, label: Label) -> &mut Self {
        self.branch_imm(Opcode::BranchNeImm, r, x, label)
    }

    /// `branch_lt_u_imm`: to `label` if `ω_r < x` (unsigned).
    pub fn branch_lt_u_imm(&mut self, r: u8, x: u64, label: Label) -> &mut Self {
        self.branch_imm(Opcode::BranchLtUImm, r, x, label)
    }

    /// `branch_eq`: to `label` if `ω_a = ω_b`.
    pub fn branch_eq(&mut self, a: u8, b: u8, label: Label) -> &mut Self {
        self.with_offset(Opcode::BranchEq, &[reg(a) | reg(b) << 4], label)
    }

    /// `branch_ne`: to `label` if `ω_a ≠ ω_b`.
    pub fn branch_ne(&mut self, a: u8, b: u8, label: Label) -> &mut Self {
        self.with_offset(Opcode::BranchNe, &[reg(a) | reg(b) << 4], label)
    }

    /// `branch_lt_u`: to `label` if `ω_a < ω_b` (unsigned).
    pub fn branch_lt_u(&mut self, a: u8, b: u8, label: Label) -> &mut Self {
        self.with_offset(Opcode::BranchLtU, &[reg(a) | reg(b) << 4], label)
    }

    /// The code part `(c, k, j)` with every label resolved.
    ///
    /// # Panics
    /// If a label used is never bound.
    pub fn program_code(&self) -> ProgramCode {
        let mut code = self.code.clone();
        let at = |l: Label| self.labels[l.0].expect("label used but never bound");
        for f in &self.fixups {
            let off = at(f.label) as i64 - f.pc as i64;
            code[f.at..f.at + 4].copy_from_slice(&(off as i32).to_le_bytes());
        }
        let mut jump_table = self.jump_table.clone();
        for &(i, l) in &self.table_fixups {
            jump_table[i] = at(l) as u64;
        }
        ProgramCode {
            code,
            bitmask: self.bitmask.clone(),
            jump_table_len: jump_table.len() as u64,
            jump_table,
        }
    }

    /// The `deblob` program blob (GP (A.2)), as inner machines (`machine`) take it.
    pub fn code_blob(&self) -> Vec<u8> {
        self.program_code().to_blob()
    }

    /// The standard program blob (GP (A.38)) that `Ψ_M` runs.
    pub fn build(&self) -> Vec<u8> {
        let code = self.code_blob();
        StandardProgram {
            ro_data: &self.ro_data,
            rw_data: &self.rw_data,
            heap_pages: self.heap_pages,
            stack_size: self.stack_size,
            code: &code,
        }
        .to_bytes()
    }

    /// [`Asm::build`] wrapped as a service code preimage with empty metadata.
    pub fn service_code(&self) -> Vec<u8> {
        service_code(&[], &self.build())
    }
}

/// A service code preimage: $\mathcal{E}(\updownarrow\mathbf{m}) \frown \mathbf{c}$ (GP (9.4)),
/// the metadata `m` then the standard program `c`.
pub fn service_code(metadata: &[u8], program: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(metadata.len() + program.len() + 9);
    encode_natural(metadata.len() as u64, &mut out);
    out.extend_from_slice(metadata);
    out.extend_from_slice(program);
    out
}

/// Gives service `s` of `state` the preimage `blob`, requested and available from slot `from`
/// on (so the historical lookup $\Lambda$ finds it at any $t \ge$ `from`, GP (9.7)); creates
/// the account (all fields zero) if absent. Returns the preimage's hash.
pub fn provide_preimage(state: &mut State, s: ServiceId, blob: &[u8], from: TimeSlot) -> Hash {
    let h = blake2b_256(blob);
    state.accounts.entry(s).or_default();
    state.set_preimage(s, &h, Some(blob.to_vec()));
    // a blob of 2^32 octets or more has no lookup entry; none is that large here
    state.set_lookup(s, &h, blob.len() as u32, Some(&[from]));
    h
}

/// Installs `code` (a service code preimage, e.g. [`Asm::service_code`]) as service `s`'s
/// code, available from slot `from`: [`provide_preimage`] and the account's code hash.
pub fn install_code(state: &mut State, s: ServiceId, code: &[u8], from: TimeSlot) -> Hash {
    let h = provide_preimage(state, s, code, from);
    if let Some(info) = state.accounts.get_mut(&s) {
        info.code_hash = h;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_pvm::{invoke_marshalling, ExitReason, HostCalls, HostOutcome, Instance};

    struct Echo(Vec<u64>);
    impl HostCalls for Echo {
        fn host_call(&mut self, id: u64, vm: &mut dyn Instance) -> HostOutcome {
            self.0.push(id);
            vm.set_reg(7, vm.reg(7) + 1);
            HostOutcome::Continue
        }
    }

    #[test]
    fn loops_stores_and_host_calls() {
        let mut a = Asm::new();
        let buf = a.heap_base();
        let top = a.label();
        let done = a.label();
        a.load_imm(7, 0).load_imm(10, buf as u64);
        a.bind(top).ecalli(42).branch_eq_imm(7, 3, done).jump(top);
        a.bind(done)
            .store_ind_u8(7, 10, 0)
            .store_imm_u8(buf + 1, 0xab)
            .load_imm_64(11, 0x1122_3344_5566_7788)
            .store_u64(11, buf + 2)
            .load_imm(7, buf as u64)
            .load_imm(8, 10)
            .halt();
        let mut host = Echo(Vec::new());
        let r = invoke_marshalling(&a.build(), 0, 10_000, &[], &mut host);
        assert_eq!(host.0, vec![42, 42, 42]);
        let mut want = vec![3, 0xab];
        want.extend_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(r.output, Ok(want));
    }

    #[test]
    fn trap_and_out_of_gas() {
        let mut a = Asm::new();
        a.trap();
        let r = invoke_marshalling(&a.build(), 0, 100, &[], &mut Echo(vec![]));
        assert_eq!(r.output, Err(ExitReason::Panic));
        let mut a = Asm::new();
        let l = a.label();
        a.bind(l).jump(l);
        let r = invoke_marshalling(&a.build(), 0, 100, &[], &mut Echo(vec![]));
        assert_eq!(r.output, Err(ExitReason::OutOfGas));
        assert_eq!(r.gas_used, 100);
    }

    #[test]
    fn jump_table_and_service_code() {
        let mut a = Asm::new();
        let t = a.label();
        let addr = a.jump_table_entry(t);
        a.load_imm(5, addr as u64).jump_ind(5, 0).trap();
        a.bind(t).load_imm(7, 0).load_imm(8, 0).halt();
        let r = invoke_marshalling(&a.build(), 0, 100, &[], &mut Echo(vec![]));
        assert_eq!(r.output, Ok(vec![]));
        let code = service_code(&[1, 2], &a.build());
        let (m, p) = StandardProgram::parse_service_code(&code).unwrap();
        assert_eq!(m, &[1, 2]);
        assert_eq!(p.to_bytes(), a.build());
    }
}
