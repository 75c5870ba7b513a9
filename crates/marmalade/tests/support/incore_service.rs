//! A payload-driven test service for in-core comparisons (Ψ_I, Ψ_R and the work-report
//! function Ξ, GP (B.1), (B.5), (14.12)), built with the refine test assembler.
//!
//! The refine program reads its own payload with `fetch` (kind 13, GP B.6 Ω_Y) — not from the
//! refine argument, because typeberry 0.11.0 passes only the payload's length there — and
//! runs its commands, three octets each (`op a b`), appending what host calls return to an
//! output buffer that it outputs on halt:
//!
//! | op | command | output appended |
//! |---|---|---|
//! | 0 | stop: halt with the output | — |
//! | 1 | export `a` segments `[a−1−k, item, b, 0…]` (k = 0..a) | each `export`'s ω_7 (8 octets) |
//! | 2 | fetch the `a` imports of this item (kind 6; kind 5 if `b ≠ 0`) | 16 octets of each, then ω_7 |
//! | 3 | inner machine running variant `a` (0 halt, 1 trap, 2 loop, 3 `ecalli 5`, 4 page fault): `machine`, `invoke` with 1000 gas and ω_7 = 0x42, `expunge` | invoke's ω_7, ω_8, gas′, inner ω_7, expunge's ω_7 |
//! | 4 | inner machine with memory: `machine`, `pages` (page 16 writable), `poke` `a` there, `invoke` (adds 1), `peek` it back, `expunge` | ω_7 of each call, the peeked u64 |
//! | 5 | loop forever (out of gas) | — |
//! | 6 | `trap` (panic) | — |
//! | 7 | grow the output by `256a + b` octets (zeros) | the octets |
//! | 8 | `historical_lookup` of the 32-octet hash following the command, in service `a − 1` (self, ω_7 = 2^64 − 1, if `a` = 0) | ω_7, then 16 octets |
//! | 9 | `gas` | ω_7 |
//! | 10 | `fetch` kind `a`, index ω_11 = `b` | ω_7, then 32 octets |
//! | 11 | the refine argument's length ω_8 at entry | ω_8 |
//!
//! The authorizer outputs the core's low octet then the authorization token (fetch kind 9),
//! and panics when the token starts with 0xff.

#![allow(dead_code)]

use marmalade_conformance::trace::Genesis;
use marmalade_crypto::blake2b_256;
use marmalade_refine::testing::{service_code, Asm};
use marmalade_state::State;
use marmalade_types::{ChainSpec, ServiceInfo};
use std::path::{Path, PathBuf};

/// The test service's index.
pub const SERVICE: u32 = 77;
/// A service whose current code (the refine program, other metadata) becomes available only
/// at slot 10 (lookup history `[10]`).
pub const LATE_CODE_SERVICE: u32 = 78;
/// A service whose current code hash has no preimage at all.
pub const NO_CODE_SERVICE: u32 = 79;
/// The code hash of [`NO_CODE_SERVICE`].
pub const NO_CODE_HASH: [u8; 32] = [0x5b; 32];

/// A preimage of [`SERVICE`] whose lookup history `[10]` makes it unavailable at slot 0.
pub const LATE_PREIMAGE: &[u8] = b"available from slot 10 only";
/// A preimage of [`SERVICE`] available from slot 0.
pub const EARLY_PREIMAGE: &[u8] = b"available since genesis";

// Host-call indices (GP appendix B), as the refine crate defines them.
use marmalade_refine::id as host;

/// One command of the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Export `n` segments tagged with `tag`.
    Export { n: u8, tag: u8 },
    /// Fetch the `n` imports of this item, by kind 6 or (`by_item`) kind 5.
    Import { n: u8, by_item: bool },
    /// An inner machine without memory: 0 halt, 1 trap, 2 loop, 3 host call, 4 page fault.
    Inner(u8),
    /// An inner machine with one writable page, poked, run and peeked.
    InnerMemory(u8),
    /// Loop until out of gas.
    Burn,
    /// Panic.
    Trap,
    /// Grow the output by `n` zero octets.
    Output(u16),
    /// Historical lookup of `hash` in `service` (`None`: self).
    Lookup { service: Option<u8>, hash: [u8; 32] },
    /// The `gas` host call.
    Gas,
    /// `fetch` of `kind` with ω_11 = `index`.
    Fetch { kind: u8, index: u8 },
    /// The length of the refine argument (GP (B.5): $\mathbf{a}$).
    ArgLen,
}

/// The payload for `cmds`, ending with a stop.
pub fn payload(cmds: &[Cmd]) -> Vec<u8> {
    let mut p = Vec::new();
    for c in cmds {
        match c {
            Cmd::Export { n, tag } => p.extend([1, *n, *tag]),
            Cmd::Import { n, by_item } => p.extend([2, *n, *by_item as u8]),
            Cmd::Inner(v) => p.extend([3, *v, 0]),
            Cmd::InnerMemory(v) => p.extend([4, *v, 0]),
            Cmd::Burn => p.extend([5, 0, 0]),
            Cmd::Trap => p.extend([6, 0, 0]),
            Cmd::Output(n) => p.extend([7, (n >> 8) as u8, *n as u8]),
            Cmd::Lookup { service, hash } => {
                p.extend([8, service.map_or(0, |s| s + 1), 0]);
                p.extend_from_slice(hash);
            }
            Cmd::Gas => p.extend([9, 0, 0]),
            Cmd::Fetch { kind, index } => p.extend([10, *kind, *index]),
            Cmd::ArgLen => p.extend([11, 0, 0]),
        }
    }
    p.extend([0, 0, 0]);
    p
}

/// The inner programs (deblob form, GP (A.2)) run by [`Cmd::Inner`] and [`Cmd::InnerMemory`].
fn inner_programs() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    // 0: ω_7 += 1, halt.
    let mut a = Asm::new();
    a.add_imm_64(7, 7, 1).halt_anyway();
    v.push(a.code_blob());
    // 1: trap.
    let mut a = Asm::new();
    a.trap();
    v.push(a.code_blob());
    // 2: loop forever.
    let mut a = Asm::new();
    let l = a.label();
    a.bind(l).jump(l);
    v.push(a.code_blob());
    // 3: host call 5, then halt.
    let mut a = Asm::new();
    a.ecalli(5).halt_anyway();
    v.push(a.code_blob());
    // 4: read an inaccessible page: a page fault.
    let mut a = Asm::new();
    a.load_u8(7, 0x2_0000).halt_anyway();
    v.push(a.code_blob());
    // 5: μ[0x10000..+8] += 1, halt.
    let mut a = Asm::new();
    a.load_u64(7, 0x1_0000)
        .add_imm_64(7, 7, 1)
        .store_u64(7, 0x1_0000)
        .halt_anyway();
    v.push(a.code_blob());
    v
}

/// The refine program (a standard program blob, GP (A.38)).
pub fn refine_program() -> Vec<u8> {
    let mut a = Asm::new();
    a.heap_pages = 24;
    let inner: Vec<(u32, u32)> = inner_programs()
        .iter()
        .map(|c| (a.ro_data(c), c.len() as u32))
        .collect();
    let h = a.heap_base();
    let (pay, inv, scr, scr2, seg, out) = (h, h + 4096, h + 4352, h + 4360, h + 8192, h + 12288);
    let argl = h + 4368;
    const PMAX: u64 = 4096;

    let (top, body, next, finish) = (a.label(), a.label(), a.label(), a.label());
    // ω_1 = i, the item index: the second octet of the argument E(c, i, …) (c, i < 128).
    a.load_ind_u8(1, 7, 1).store_u64(8, argl);
    // The payload: fetch kind 13, ω_11 = i.
    a.load_imm(7, pay as u64)
        .load_imm(8, 0)
        .load_imm(9, PMAX)
        .load_imm(10, 13)
        .move_reg(11, 1)
        .ecalli(host::FETCH);
    let len_ok = a.label();
    a.move_reg(3, 7).branch_lt_u_imm(3, PMAX + 1, len_ok);
    a.load_imm(3, PMAX);
    a.bind(len_ok)
        .load_imm(2, pay as u64)
        .add_64(3, 3, 2)
        .load_imm(4, out as u64);
    a.bind(top).branch_lt_u(2, 3, body).jump(finish);

    // Dispatch on the op octet.
    let ops: Vec<_> = (0..=11).map(|_| a.label()).collect();
    a.bind(body).load_ind_u8(5, 2, 0);
    for (k, l) in ops.iter().enumerate() {
        a.branch_eq_imm(5, k as u64, *l);
    }
    a.jump(next);
    a.bind(next).add_imm_64(2, 2, 3).jump(top);

    // 0: stop.
    a.bind(ops[0]).jump(finish);

    // 1: export.
    let (el, _) = (a.label(), ());
    a.bind(ops[1]).load_ind_u8(6, 2, 1);
    a.bind(el).branch_eq_imm(6, 0, next);
    a.add_imm_64(6, 6, -1i64 as u64)
        .store_u8(6, seg)
        .store_u8(1, seg + 1)
        .load_ind_u8(7, 2, 2)
        .store_u8(7, seg + 2)
        .load_imm(7, seg as u64)
        .load_imm(8, 16)
        .ecalli(host::EXPORT)
        .store_ind_u64(7, 4, 0)
        .add_imm_64(4, 4, 8)
        .jump(el);

    // 2: import.
    let (il, k6, doit) = (a.label(), a.label(), a.label());
    a.bind(ops[2]).load_ind_u8(6, 2, 1).load_imm(5, 0);
    a.bind(il).branch_eq(5, 6, next);
    a.load_ind_u8(10, 2, 2)
        .add_imm_64(7, 4, 0)
        .load_imm(8, 0)
        .load_imm(9, 16)
        .branch_eq_imm(10, 0, k6);
    a.load_imm(10, 5).move_reg(11, 1).move_reg(12, 5).jump(doit);
    a.bind(k6).load_imm(10, 6).move_reg(11, 5);
    a.bind(doit)
        .ecalli(host::FETCH)
        .store_ind_u64(7, 4, 16)
        .add_imm_64(4, 4, 24)
        .add_imm_64(5, 5, 1)
        .jump(il);

    // Sets the invoke buffer: gas 1000, ω_7 = 0x42, other registers 0.
    let reset_inv = |a: &mut Asm| {
        a.store_imm_u64(inv, 1000);
        for r in 0..13u32 {
            a.store_imm_u64(inv + 8 + 8 * r, if r == 7 { 0x42 } else { 0 });
        }
    };

    // 3: inner machine without memory.
    let mk = a.label();
    let variants: Vec<_> = (0..5).map(|_| a.label()).collect();
    a.bind(ops[3]).load_ind_u8(6, 2, 1);
    for (v, l) in variants.iter().enumerate() {
        a.branch_eq_imm(6, v as u64, *l);
    }
    a.jump(next);
    for (v, l) in variants.iter().enumerate() {
        a.bind(*l)
            .load_imm(7, inner[v].0 as u64)
            .load_imm(8, inner[v].1 as u64)
            .jump(mk);
    }
    a.bind(mk)
        .load_imm(9, 0)
        .ecalli(host::MACHINE)
        .move_reg(6, 7);
    reset_inv(&mut a);
    a.move_reg(7, 6)
        .load_imm(8, inv as u64)
        .ecalli(host::INVOKE)
        .store_ind_u64(7, 4, 0)
        .store_ind_u64(8, 4, 8)
        .load_u64(9, inv)
        .store_ind_u64(9, 4, 16)
        .load_u64(9, inv + 64)
        .store_ind_u64(9, 4, 24)
        .move_reg(7, 6)
        .ecalli(host::EXPUNGE)
        .store_ind_u64(7, 4, 32)
        .add_imm_64(4, 4, 40)
        .jump(next);

    // 4: inner machine with memory.
    a.bind(ops[4])
        .load_imm(7, inner[5].0 as u64)
        .load_imm(8, inner[5].1 as u64)
        .load_imm(9, 0)
        .ecalli(host::MACHINE)
        .move_reg(6, 7);
    a.move_reg(7, 6)
        .load_imm(8, 16)
        .load_imm(9, 1)
        .load_imm(10, 2)
        .ecalli(host::PAGES)
        .store_ind_u64(7, 4, 0);
    a.load_ind_u8(9, 2, 1)
        .store_u64(9, scr)
        .move_reg(7, 6)
        .load_imm(8, scr as u64)
        .load_imm(9, 0x1_0000)
        .load_imm(10, 8)
        .ecalli(host::POKE)
        .store_ind_u64(7, 4, 8);
    reset_inv(&mut a);
    a.move_reg(7, 6)
        .load_imm(8, inv as u64)
        .ecalli(host::INVOKE)
        .store_ind_u64(7, 4, 16);
    a.move_reg(7, 6)
        .load_imm(8, scr2 as u64)
        .load_imm(9, 0x1_0000)
        .load_imm(10, 8)
        .ecalli(host::PEEK)
        .store_ind_u64(7, 4, 24)
        .load_u64(9, scr2)
        .store_ind_u64(9, 4, 32);
    a.move_reg(7, 6)
        .ecalli(host::EXPUNGE)
        .store_ind_u64(7, 4, 40)
        .add_imm_64(4, 4, 48)
        .jump(next);

    // 5: burn gas forever.
    a.bind(ops[5]).jump(ops[5]);

    // 6: panic.
    a.bind(ops[6]).trap();

    // 7: grow the output by 256a + b.
    let (ol, od) = (a.label(), a.label());
    a.bind(ops[7]).load_ind_u8(6, 2, 1);
    a.bind(ol).branch_eq_imm(6, 0, od);
    a.add_imm_64(4, 4, 256)
        .add_imm_64(6, 6, -1i64 as u64)
        .jump(ol);
    a.bind(od).load_ind_u8(5, 2, 2).add_64(4, 4, 5).jump(next);

    // 8: historical lookup; the hash follows the command.
    let me = a.label();
    a.bind(ops[8])
        .load_ind_u8(6, 2, 1)
        .load_imm_64(7, u64::MAX)
        .branch_eq_imm(6, 0, me);
    a.add_imm_64(7, 6, -1i64 as u64);
    a.bind(me)
        .add_imm_64(8, 2, 3)
        .add_imm_64(9, 4, 8)
        .load_imm(10, 0)
        .load_imm(11, 16)
        .ecalli(host::HISTORICAL_LOOKUP)
        .store_ind_u64(7, 4, 0)
        .add_imm_64(4, 4, 24)
        .add_imm_64(2, 2, 32)
        .jump(next);

    // 9: gas.
    a.bind(ops[9])
        .ecalli(host::GAS)
        .store_ind_u64(7, 4, 0)
        .add_imm_64(4, 4, 8)
        .jump(next);

    // 10: fetch kind a, index b.
    a.bind(ops[10])
        .load_ind_u8(10, 2, 1)
        .load_ind_u8(11, 2, 2)
        .load_imm(12, 0)
        .add_imm_64(7, 4, 8)
        .load_imm(8, 0)
        .load_imm(9, 32)
        .ecalli(host::FETCH)
        .store_ind_u64(7, 4, 0)
        .add_imm_64(4, 4, 40)
        .jump(next);

    // 11: the argument's length.
    a.bind(ops[11])
        .load_u64(9, argl)
        .store_ind_u64(9, 4, 0)
        .add_imm_64(4, 4, 8)
        .jump(next);

    // Halt with μ[out .. ω_4].
    a.bind(finish)
        .load_imm(7, out as u64)
        .sub_64(8, 4, 7)
        .halt();
    a.build()
}

/// The is-authorized program: outputs the core's low octet and the token; panics on a token
/// starting with 0xff.
pub fn authorizer_program() -> Vec<u8> {
    let mut a = Asm::new();
    let b = a.heap_base();
    let (ok, out, deny) = (a.label(), a.label(), a.label());
    a.move_reg(2, 7)
        .load_ind_u8(3, 2, 0)
        .store_u8(3, b)
        .load_imm(7, b as u64 + 1)
        .load_imm(8, 0)
        .load_imm(9, 256)
        .load_imm(10, 9)
        .ecalli(host::FETCH)
        .move_reg(8, 7)
        .branch_lt_u_imm(8, 257, ok);
    a.load_imm(8, 256);
    a.bind(ok).branch_eq_imm(8, 0, out);
    a.load_u8(5, b + 1).branch_eq_imm(5, 0xff, deny);
    a.bind(out).add_imm_64(8, 8, 1).load_imm(7, b as u64).halt();
    a.bind(deny).trap();
    a.build()
}

/// The service's code preimage, $\mathcal{E}(\updownarrow\mathbf{m}, \mathbf{c})$ (GP (9.4)).
pub fn refine_code() -> Vec<u8> {
    service_code(b"marmalade incore test service", &refine_program())
}

/// Another code preimage of [`SERVICE`], the same program with other metadata: available
/// (lookup history `[0]`) but not the account's current code hash.
pub fn alt_refine_code() -> Vec<u8> {
    service_code(b"alt", &refine_program())
}

/// The code of [`LATE_CODE_SERVICE`].
pub fn late_refine_code() -> Vec<u8> {
    service_code(b"late", &refine_program())
}

/// The authorizer's code preimage (GP (14.9): metadata then code).
pub fn auth_code() -> Vec<u8> {
    service_code(b"marmalade incore test authorizer", &authorizer_program())
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `storage` trace's genesis with [`SERVICE`] added (refine code, authorizer code and two
/// test preimages, each with a lookup history), and the authorizer `H(code hash ⌢ config)`
/// put first in every core's pool (GP (8.1)).
///
/// # Panics
/// If the conformance vectors are missing.
pub fn genesis_state(spec: &ChainSpec, auth_config: &[u8]) -> State {
    let path = workspace_root().join(".jam-vectors/jam-test-vectors/traces/storage/genesis.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the storage trace genesis {} is missing ({e}): unpack the conformance vectors",
            path.display()
        )
    });
    let genesis: Genesis = serde_json::from_str(&text).expect("genesis.json decodes");
    let mut state = genesis.state.to_state(spec).expect("genesis state decodes");
    let code = refine_code();
    let code_hash = blake2b_256(&code);
    let auth = auth_code();
    let auth_hash = blake2b_256(&auth);
    let info = ServiceInfo {
        version: 0,
        code_hash,
        balance: 1 << 40,
        min_item_gas: 0,
        min_memo_gas: 0,
        bytes: 0,
        deposit_offset: 0,
        items: 0,
        creation_slot: 0,
        last_accumulation_slot: 0,
        parent_service: 0,
    };
    state.accounts.insert(SERVICE, info);
    let late = late_refine_code();
    let late_hash = blake2b_256(&late);
    state.accounts.insert(
        LATE_CODE_SERVICE,
        ServiceInfo {
            code_hash: late_hash,
            ..info
        },
    );
    state.set_preimage(LATE_CODE_SERVICE, &late_hash, Some(late.clone()));
    state.set_lookup(
        LATE_CODE_SERVICE,
        &late_hash,
        late.len() as u32,
        Some(&[10]),
    );
    state.accounts.insert(
        NO_CODE_SERVICE,
        ServiceInfo {
            code_hash: NO_CODE_HASH,
            ..info
        },
    );
    for (blob, available) in [
        (&code[..], vec![0]),
        (&auth[..], vec![0]),
        (&alt_refine_code()[..], vec![0]),
        (EARLY_PREIMAGE, vec![0]),
        (LATE_PREIMAGE, vec![10]),
    ] {
        let h = blake2b_256(blob);
        state.set_preimage(SERVICE, &h, Some(blob.to_vec()));
        state.set_lookup(SERVICE, &h, blob.len() as u32, Some(&available));
    }
    let authorizer = marmalade_crypto::blake2b_256_concat(&[&auth_hash, auth_config]);
    for pool in state.components.alpha.iter_mut() {
        pool.insert(0, authorizer);
        pool.truncate(marmalade_types::constants::AUTH_POOL_SIZE);
    }
    state
}
