//! Tests of Ψ_I, Ψ_R, I(p, j) and every refine host call, with programs from the
//! [`crate::testing`] assembler. Expected values come from the GP's definitions (appendix B),
//! not from running the implementation.

use super::*;
use crate::testing::{install_code, provide_preimage as add_preimage, service_code, Asm};
use marmalade_host::code;
use marmalade_pvm::HALT_ADDRESS;
use marmalade_state::{ServiceItems, State};
use marmalade_types::constants::{MAX_PACKAGE_EXPORTS, SEGMENT_SIZE};
use marmalade_types::{Hash, ServiceId, WorkItem};

const SPEC: ChainSpec = ChainSpec::TINY;
/// The refined service.
const S: ServiceId = 7;
/// The lookup-anchor slot of the test packages.
const ANCHOR: u32 = 100;
/// The stack's lowest address with a 64 KiB stack: results are recorded here.
const OUT: u32 = 0xFEFE_0000 - 0x1_0000;
/// Scratch memory for host-call arguments (on the stack, above the results).
const SCRATCH: u32 = OUT + 0x1000;
/// An address no test program maps.
const UNMAPPED: u64 = 0x8000_0000;
/// Refine gas of the test items.
const GAS: Gas = 1_000_000;

/// A program that records register values at [`OUT`] and outputs them as `E_8` words.
struct P {
    a: Asm,
    n: u32,
}

impl P {
    fn new() -> P {
        let mut a = Asm::new();
        a.stack_size = 0x1_0000;
        P { a, n: 0 }
    }

    /// Records `ω_r`.
    fn rec(&mut self, r: u8) -> &mut Self {
        self.a.store_u64(r, OUT + 8 * self.n);
        self.n += 1;
        self
    }

    /// Records the 8 octets at `addr`.
    fn rec_mem(&mut self, addr: u32) -> &mut Self {
        self.a.load_u64(12, addr);
        self.rec(12)
    }

    /// Sets the registers, calls `id` and records `ω_7`.
    fn call(&mut self, id: u64, regs: &[(u8, u64)]) -> &mut Self {
        for &(r, v) in regs {
            self.a.load_imm(r, v);
        }
        self.a.ecalli(id);
        self.rec(7)
    }

    /// Writes `v` at `addr` (through ω_12).
    fn set_word(&mut self, addr: u32, v: u64) -> &mut Self {
        self.a.load_imm(12, v).store_u64(12, addr);
        self
    }

    /// Outputs the recorded words.
    fn build(&mut self) -> Vec<u8> {
        let n = self.n as u64;
        self.a.load_imm(7, OUT as u64).load_imm(8, 8 * n).halt();
        self.a.build()
    }
}

fn words(r: &WorkExecResult) -> Vec<u64> {
    let WorkExecResult::Ok(o) = r else {
        panic!("expected an output, got {r:?}");
    };
    assert_eq!(o.len() % 8, 0, "output is not whole words");
    o.chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// The test environment: a state with service [`S`] running `program` (a standard program)
/// and a one-item package refining it.
struct Env {
    state: State,
    package: WorkPackage,
    auth_trace: Vec<u8>,
    imports: Vec<Vec<Segment>>,
    extrinsics: Vec<Vec<Vec<u8>>>,
    export_offset: usize,
}

impl Env {
    fn new(program: &[u8]) -> Env {
        let mut state = State::empty(&SPEC);
        let code_hash = install_code(&mut state, S, &service_code(b"test", program), 0);
        assert_eq!(state.accounts[&S].code_hash, code_hash);
        let mut package = WorkPackage {
            auth_code_host: S,
            authorization: b"token".to_vec(),
            authorizer_config: b"config".to_vec(),
            items: vec![WorkItem {
                service: S,
                code_hash,
                refine_gas_limit: GAS,
                accumulate_gas_limit: 5,
                export_count: 0,
                payload: b"payload".to_vec(),
                ..Default::default()
            }],
            ..Default::default()
        };
        package.context.lookup_anchor_slot = ANCHOR;
        Env {
            state,
            package,
            auth_trace: b"trace".to_vec(),
            imports: vec![Vec::new()],
            extrinsics: vec![Vec::new()],
            export_offset: 0,
        }
    }

    fn input(&self, item: usize) -> RefineInput<'_> {
        RefineInput {
            core: 1,
            item,
            package: &self.package,
            auth_trace: &self.auth_trace,
            imports: &self.imports,
            extrinsics: &self.extrinsics,
            export_offset: self.export_offset,
        }
    }

    fn refine(&self) -> RefineOutcome {
        refine(&SPEC, &self.state, &self.input(0), &CodeCache::new())
    }

    fn authorize(&self) -> IsAuthorizedOutcome {
        let pkg = WorkPackage {
            auth_code_hash: self.package.items[0].code_hash,
            ..self.package.clone()
        };
        is_authorized(&SPEC, &self.state, &pkg, 3, &CodeCache::new())
    }
}

fn refine_words(p: &mut P) -> Vec<u64> {
    let out = Env::new(&p.build()).refine();
    words(&out.result)
}

fn segment(fill: u8) -> Segment {
    Box::new([fill; SEGMENT_SIZE])
}

// ---------------------------------------------------------------- Ψ_I

#[test]
fn is_authorized_runs_with_the_core_as_argument() {
    // A program that halts at once outputs its arguments: E_2(c) (GP (B.1)).
    let mut a = Asm::new();
    a.halt();
    let out = Env::new(&a.build()).authorize();
    assert_eq!(out.result, WorkExecResult::Ok(vec![3, 0]));
    // one instruction, charged 1
    assert_eq!(out.gas_used, 1);
}

#[test]
fn is_authorized_errors() {
    // BAD: no such code.
    let mut a = Asm::new();
    a.halt();
    let mut env = Env::new(&a.build());
    env.package.items[0].code_hash = [9; 32];
    let bad = env.authorize();
    assert_eq!((bad.result, bad.gas_used), (WorkExecResult::BadCode, 0));
    // BAD: available only after the lookup anchor.
    let mut env = Env::new(&a.build());
    let code = service_code(b"", &a.build());
    let late = add_preimage(&mut env.state, S, &code, ANCHOR + 1);
    env.package.items[0].code_hash = late;
    assert_eq!(env.authorize().result, WorkExecResult::BadCode);
    // BAD: the host service does not exist.
    let mut env = Env::new(&a.build());
    env.package.auth_code_host = S + 1;
    assert_eq!(env.authorize().result, WorkExecResult::BadCode);
    // BIG: |p_c| > W_A; the metadata does not count.
    let mut big = Asm::new();
    big.ro_data(&vec![0; MAX_AUTH_CODE_SIZE]);
    big.halt();
    assert_eq!(
        Env::new(&big.build()).authorize().result,
        WorkExecResult::CodeOversize
    );
    // Exactly W_A with metadata beyond it is fine.
    let mut fits = Asm::new();
    let padding = MAX_AUTH_CODE_SIZE - Asm::new().halt().build().len();
    fits.ro_data(&vec![0; padding]);
    fits.halt();
    assert_eq!(fits.build().len(), MAX_AUTH_CODE_SIZE);
    assert!(Env::new(&fits.build()).authorize().result.is_ok());
    // ☇ and ∞.
    let mut trap = Asm::new();
    trap.trap();
    let out = Env::new(&trap.build()).authorize();
    assert_eq!((out.result, out.gas_used), (WorkExecResult::Panic, 1));
    let mut spin = Asm::new();
    let l = spin.label();
    spin.bind(l).jump(l);
    let out = Env::new(&spin.build()).authorize();
    assert_eq!(out.result, WorkExecResult::OutOfGas);
    assert_eq!(out.gas_used, SPEC.is_authorized_gas);
    // Not a standard program: ☇ at once, no gas (Ψ_M, GP (A.44)).
    let out = Env::new(b"junk").authorize();
    assert_eq!((out.result, out.gas_used), (WorkExecResult::Panic, 0));
}

#[test]
fn is_authorized_host_calls() {
    // gas and fetch work; everything else is WHAT for 10 gas (GP (B.2)).
    let mut p = P::new();
    p.call(id::GAS, &[]);
    p.call(id::FETCH, &[(7, SCRATCH as u64), (8, 0), (9, 0), (10, 9)]);
    for sel in [1, 2, 3, 4, 5, 6, 14, 15] {
        p.call(
            id::FETCH,
            &[(7, SCRATCH as u64), (10, sel), (11, 0), (12, 0)],
        );
    }
    for call in [2, 3, 4, 5, id::LOG, 6, 7, 8, 9, 10, 11, 12, 13, 14, 99] {
        p.call(call, &[(7, 0)]);
    }
    let env = Env::new(&p.build());
    let w = words(&env.authorize().result);
    // gas after: G_I − (2 load_imm... ) is checked by its relation to the total used below.
    assert!(w[0] < SPEC.is_authorized_gas && w[0] > SPEC.is_authorized_gas - 100);
    assert_eq!(w[1], 5, "fetch 9 (authorization token) returns its length");
    assert!(w[2..10].iter().all(|&x| x == code::NONE), "{:?}", &w[2..10]);
    assert!(w[10..].iter().all(|&x| x == code::WHAT), "{:?}", &w[10..]);
}

#[test]
fn host_call_out_of_gas() {
    // With fewer than 10 gas left a host call runs out of gas (GP (B.17)–(B.18)).
    let mut a = Asm::new();
    a.ecalli(99).halt();
    let mut env = Env::new(&a.build());
    env.package.items[0].refine_gas_limit = 10;
    let out = env.refine();
    assert_eq!(out.result, WorkExecResult::OutOfGas);
    assert_eq!(out.gas_used, 10);
}

// ---------------------------------------------------------------- Ψ_R

/// E(c, i, w_s, ↕w_y, H(p)) (GP (B.5)).
#[test]
fn refine_argument_encoding() {
    let mut a = Asm::new();
    a.halt();
    let env = Env::new(&a.build());
    let out = env.refine();
    let mut want = vec![1, 0, S as u8, 7];
    want.extend_from_slice(b"payload");
    want.extend_from_slice(&blake2b_256(&env.package.encode()));
    assert_eq!(out.result, WorkExecResult::Ok(want));
    assert!(out.exports.is_empty());
    assert_eq!(out.gas_used, 1);
}

#[test]
fn refine_code_errors() {
    let mut a = Asm::new();
    a.halt();
    // BAD: no such service.
    let mut env = Env::new(&a.build());
    env.package.items[0].service = S + 1;
    let o = env.refine();
    assert_eq!((o.result, o.gas_used), (WorkExecResult::BadCode, 0));
    // BAD: the preimage is not there.
    let mut env = Env::new(&a.build());
    env.package.items[0].code_hash = [1; 32];
    assert_eq!(env.refine().result, WorkExecResult::BadCode);
    // BAD: not yet available at the lookup anchor (Λ, GP (9.7)).
    let mut env = Env::new(&a.build());
    let h = env.package.items[0].code_hash;
    let len = env.state.preimage(S, &h).unwrap().len() as u32;
    env.state.set_lookup(S, &h, len, Some(&[ANCHOR + 1]));
    assert_eq!(env.refine().result, WorkExecResult::BadCode);
    // ... but available at exactly the anchor.
    env.state.set_lookup(S, &h, len, Some(&[ANCHOR]));
    assert!(env.refine().result.is_ok());
    // BAD: no such item.
    let env = Env::new(&a.build());
    let o = refine(&SPEC, &env.state, &env.input(1), &CodeCache::new());
    assert_eq!(o.result, WorkExecResult::BadCode);
    // BIG: the whole preimage, metadata included, above W_C.
    let mut big = Asm::new();
    let base = Asm::new().halt().build().len() + 5;
    big.ro_data(&vec![0; MAX_SERVICE_CODE_SIZE - base + 1]);
    big.halt();
    let env = Env::new(&big.build());
    let h = env.package.items[0].code_hash;
    assert_eq!(
        env.state.preimage(S, &h).unwrap().len(),
        MAX_SERVICE_CODE_SIZE + 1
    );
    let o = env.refine();
    assert_eq!((o.result, o.gas_used), (WorkExecResult::CodeOversize, 0));
    // Not a standard program: ☇, no gas.
    let o = Env::new(b"junk").refine();
    assert_eq!((o.result, o.gas_used), (WorkExecResult::Panic, 0));
}

#[test]
fn refine_run_errors_discard_exports() {
    // Export one segment, then trap / spin: no exports (GP (B.5)).
    for spin in [false, true] {
        let mut a = Asm::new();
        a.load_imm(7, 0x10000).load_imm(8, 0).ecalli(id::EXPORT);
        if spin {
            let l = a.label();
            a.bind(l).jump(l);
        } else {
            a.trap();
        }
        let o = Env::new(&a.build()).refine();
        let want = if spin {
            WorkExecResult::OutOfGas
        } else {
            WorkExecResult::Panic
        };
        assert_eq!(o.result, want);
        assert!(o.exports.is_empty());
        if spin {
            assert_eq!(o.gas_used, GAS);
        }
    }
}

// ---------------------------------------------------------------- export

#[test]
fn export_appends_zero_padded_segments_from_the_offset() {
    let mut p = P::new();
    let data = p.a.ro_data(&[1, 2, 3, 4]);
    p.call(id::EXPORT, &[(7, data as u64), (8, 3)]);
    // z = min(ω_8, W_G): a longer length reads only W_G octets (stack is 64 KiB).
    p.set_word(SCRATCH, 0x0909_0909);
    p.call(id::EXPORT, &[(7, SCRATCH as u64), (8, u64::MAX)]);
    p.call(id::EXPORT, &[(7, 0), (8, 0)]);
    let mut env = Env::new(&p.build());
    env.export_offset = 5;
    let o = env.refine();
    assert_eq!(words(&o.result), vec![5, 6, 7]);
    assert_eq!(o.exports.len(), 3);
    let mut first = [0u8; SEGMENT_SIZE];
    first[..3].copy_from_slice(&[1, 2, 3]);
    assert_eq!(*o.exports[0], first);
    let mut second = [0u8; SEGMENT_SIZE];
    second[..4].copy_from_slice(&[9; 4]);
    assert_eq!(*o.exports[1], second);
    assert_eq!(*o.exports[2], [0; SEGMENT_SIZE]);
}

#[test]
fn export_full_and_panic() {
    let mut p = P::new();
    p.call(id::EXPORT, &[(7, 0), (8, 0)]);
    p.call(id::EXPORT, &[(7, 0), (8, 0)]);
    let mut env = Env::new(&p.build());
    env.export_offset = MAX_PACKAGE_EXPORTS - 1;
    let o = env.refine();
    assert_eq!(
        words(&o.result),
        vec![MAX_PACKAGE_EXPORTS as u64 - 1, code::FULL]
    );
    assert_eq!(o.exports.len(), 1);
    // Unreadable source: ☇.
    let mut p = P::new();
    p.call(id::EXPORT, &[(7, UNMAPPED), (8, 1)]);
    assert_eq!(Env::new(&p.build()).refine().result, WorkExecResult::Panic);
}

// ---------------------------------------------------------------- gas, WHAT, OOG

#[test]
fn refine_gas_and_unavailable_calls() {
    let mut p = P::new();
    p.call(id::GAS, &[]);
    // lookup, read, write, info, log and unknown calls are not refine calls: WHAT.
    for call in [2, 3, 4, 5, id::LOG, 14, 26, 1000] {
        p.call(call, &[(7, 0), (8, 0), (9, 0), (10, 0)]);
    }
    let w = refine_words(&mut p);
    // Before the call: 1 instruction (ecalli) charged 1; the call charges 10; ω'_7 = ϱ'.
    assert_eq!(w[0], GAS - 1 - 10);
    assert!(w[1..].iter().all(|&x| x == code::WHAT), "{w:?}");
}

// ---------------------------------------------------------------- fetch

/// Runs `fetch` with selector `sel` (and ω_11, ω_12) in Ψ_R (or Ψ_I); returns ω'_7 and
/// the octets written.
fn fetch(env: &mut Env, sel: u64, w11: u64, w12: u64, authorize: bool) -> (u64, Vec<u8>) {
    let mut a = Asm::new();
    a.stack_size = 0x1_0000;
    let none = a.label();
    a.load_imm(7, SCRATCH as u64)
        .load_imm(8, 0)
        .load_imm(9, 0x8000)
        .load_imm(10, sel)
        .load_imm(11, w11)
        .load_imm(12, w12)
        .ecalli(id::FETCH)
        .move_reg(9, 7)
        .store_u64(7, SCRATCH - 8)
        .load_imm(7, SCRATCH as u64 - 8)
        .branch_eq_imm(9, u64::MAX, none)
        .add_imm_64(8, 9, 8)
        .halt();
    a.bind(none).load_imm(8, 8).halt();
    let h = add_preimage(&mut env.state, S, &service_code(b"", &a.build()), 0);
    env.package.items[0].code_hash = h;
    let r = if authorize {
        let mut pkg = env.package.clone();
        pkg.auth_code_hash = h;
        is_authorized(&SPEC, &env.state, &pkg, 0, &CodeCache::new()).result
    } else {
        env.refine().result
    };
    let WorkExecResult::Ok(o) = r else {
        panic!("fetch {sel} failed: {r:?}")
    };
    let v = u64::from_le_bytes(o[..8].try_into().unwrap());
    (v, o[8..].to_vec())
}

#[test]
fn fetch_every_selector_in_refine() {
    let mut a = Asm::new();
    a.halt();
    let mut env = Env::new(&a.build());
    env.package.items.push(WorkItem {
        service: 9,
        payload: vec![5; 3],
        export_count: 2,
        ..Default::default()
    });
    env.imports = vec![vec![segment(1), segment(2)], vec![segment(3)]];
    env.extrinsics = vec![vec![vec![7], vec![8, 8]], vec![vec![9; 3]]];
    let full = |v: Vec<u8>| (v.len() as u64, v);
    assert_eq!(
        fetch(&mut env, 0, 0, 0, false),
        full(marmalade_host::protocol_constants(&SPEC))
    );
    assert_eq!(fetch(&mut env, 1, 0, 0, false), full(vec![0; 32]));
    assert_eq!(fetch(&mut env, 2, 0, 0, false), full(b"trace".to_vec()));
    assert_eq!(fetch(&mut env, 3, 0, 1, false), full(vec![8, 8]));
    assert_eq!(fetch(&mut env, 3, 1, 0, false), full(vec![9; 3]));
    assert_eq!(fetch(&mut env, 3, 1, 1, false).0, code::NONE);
    assert_eq!(fetch(&mut env, 3, 2, 0, false).0, code::NONE);
    assert_eq!(fetch(&mut env, 4, 1, 0, false), full(vec![8, 8]));
    assert_eq!(fetch(&mut env, 4, 2, 0, false).0, code::NONE);
    assert_eq!(fetch(&mut env, 5, 1, 0, false), full(vec![3; SEGMENT_SIZE]));
    assert_eq!(fetch(&mut env, 5, 0, 2, false).0, code::NONE);
    assert_eq!(fetch(&mut env, 6, 1, 0, false), full(vec![2; SEGMENT_SIZE]));
    assert_eq!(fetch(&mut env, 6, 2, 0, false).0, code::NONE);
    // 7: E(p), with the code hash the fetch program set.
    let (_, got) = fetch(&mut env, 7, 0, 0, false);
    assert_eq!(got, env.package.encode());
    assert_eq!(fetch(&mut env, 8, 0, 0, false), full(b"config".to_vec()));
    assert_eq!(fetch(&mut env, 9, 0, 0, false), full(b"token".to_vec()));
    assert_eq!(
        fetch(&mut env, 10, 0, 0, false),
        full(env.package.context.encode())
    );
    // 11 and 12: S(w) = E_4(s) ⌢ c ⌢ E_8(g, a) ⌢ E_2(e, |i|, |x|) ⌢ E_4(|y|).
    let (_, all) = fetch(&mut env, 11, 0, 0, false);
    let w = &env.package.items[0];
    let mut s0 = S.to_le_bytes().to_vec();
    s0.extend_from_slice(&w.code_hash);
    s0.extend_from_slice(&GAS.to_le_bytes());
    s0.extend_from_slice(&5u64.to_le_bytes());
    s0.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    s0.extend_from_slice(&7u32.to_le_bytes());
    assert_eq!(s0.len(), 62);
    assert_eq!(all.len(), 1 + 2 * 62);
    assert_eq!((all[0], &all[1..63]), (2, &s0[..]));
    let (_, got) = fetch(&mut env, 12, 0, 0, false);
    // this run's program has another code hash
    assert_eq!(got[..4], s0[..4]);
    assert_eq!(got[4..36], env.package.items[0].code_hash);
    assert_eq!(got[36..], s0[36..]);
    let (_, s1) = fetch(&mut env, 12, 1, 0, false);
    assert_eq!(&s1[..4], &9u32.to_le_bytes());
    assert_eq!(&s1[52..54], &2u16.to_le_bytes());
    assert_eq!(fetch(&mut env, 12, 2, 0, false).0, code::NONE);
    assert_eq!(fetch(&mut env, 13, 1, 0, false), full(vec![5; 3]));
    assert_eq!(fetch(&mut env, 13, 2, 0, false).0, code::NONE);
    // No accumulation inputs in refine.
    for sel in [14, 15, 16, u64::MAX] {
        assert_eq!(fetch(&mut env, sel, 0, 0, false).0, code::NONE, "{sel}");
    }
    // A huge index is NONE, not a panic.
    assert_eq!(fetch(&mut env, 13, u64::MAX, 0, false).0, code::NONE);
}

#[test]
fn fetch_in_is_authorized_has_only_the_package() {
    let mut a = Asm::new();
    a.halt();
    let mut env = Env::new(&a.build());
    assert_eq!(
        fetch(&mut env, 0, 0, 0, true).1,
        marmalade_host::protocol_constants(&SPEC)
    );
    for sel in [1, 2, 3, 4, 5, 6, 14, 15] {
        assert_eq!(fetch(&mut env, sel, 0, 0, true).0, code::NONE, "{sel}");
    }
    assert_eq!(fetch(&mut env, 8, 0, 0, true).1, b"config");
    assert_eq!(fetch(&mut env, 13, 0, 0, true).1, b"payload");
}

#[test]
fn fetch_partial_and_unwritable() {
    // f = min(ω_8, |v|), l = min(ω_9, |v| − f): "token"[1..+3] = "oke".
    let mut p = P::new();
    p.call(id::FETCH, &[(7, SCRATCH as u64), (8, 1), (9, 3), (10, 9)]);
    p.rec_mem(SCRATCH);
    let w = refine_words(&mut p);
    assert_eq!(w[0], 5);
    assert_eq!(w[1] & 0xff_ffff, u32::from_le_bytes(*b"oke\0") as u64);
    // Unwritable output: ☇; a zero-length output anywhere is fine.
    let mut p = P::new();
    p.call(id::FETCH, &[(7, UNMAPPED), (8, 5), (9, 1), (10, 9)]);
    assert_eq!(refine_words(&mut p), vec![5]);
    let mut p = P::new();
    p.call(id::FETCH, &[(7, UNMAPPED), (8, 0), (9, 1), (10, 9)]);
    assert_eq!(Env::new(&p.build()).refine().result, WorkExecResult::Panic);
}

// ---------------------------------------------------------------- historical_lookup

#[test]
fn historical_lookup_codes() {
    let mut p = P::new();
    let blob = b"hello world";
    let h = blake2b_256(blob);
    let late = b"not yet";
    let hl = blake2b_256(late);
    let at = p.a.ro_data(&h) as u64;
    let at_late = p.a.ro_data(&hl) as u64;
    let o = SCRATCH as u64;
    // own service by 2^64 − 1 and by index; "world" = v[6..+5].
    p.call(
        id::HISTORICAL_LOOKUP,
        &[(7, u64::MAX), (8, at), (9, o), (10, 6), (11, 100)],
    );
    p.rec_mem(SCRATCH);
    p.call(id::HISTORICAL_LOOKUP, &[(7, S as u64), (10, 0), (11, 0)]);
    // another service's preimage
    p.call(id::HISTORICAL_LOOKUP, &[(7, 8)]);
    // no such service, no such preimage, not available at the anchor
    p.call(id::HISTORICAL_LOOKUP, &[(7, 99)]);
    p.call(id::HISTORICAL_LOOKUP, &[(7, u64::MAX), (8, at + 1)]);
    p.call(id::HISTORICAL_LOOKUP, &[(7, u64::MAX), (8, at_late)]);
    let mut env = Env::new(&p.build());
    add_preimage(&mut env.state, S, blob, 0);
    add_preimage(&mut env.state, 8, blob, 0);
    add_preimage(&mut env.state, S, late, ANCHOR + 1);
    let w = words(&env.refine().result);
    assert_eq!(w[0], blob.len() as u64);
    assert_eq!(w[1].to_le_bytes()[..5], *b"world");
    assert_eq!(w[2..4], [11, 11]);
    assert_eq!(w[4..], [code::NONE; 3]);
    // Unreadable hash, or unwritable output: ☇.
    for (hash_at, out_at) in [(UNMAPPED, SCRATCH as u64), (0x10000, UNMAPPED)] {
        let mut p = P::new();
        p.a.ro_data(&h);
        p.call(
            id::HISTORICAL_LOOKUP,
            &[(7, u64::MAX), (8, hash_at), (9, out_at), (10, 0), (11, 4)],
        );
        let mut env = Env::new(&p.build());
        add_preimage(&mut env.state, S, blob, 0);
        assert_eq!(env.refine().result, WorkExecResult::Panic);
    }
}

// ---------------------------------------------------------------- inner machines

/// An inner program: stores 0x2a at 0x20000, loads ω_7 = 5, calls host 77, then branches on
/// ω_8: 0 halts, 1 traps, 2 loads from the unmapped 0x50000, 3 spins.
fn inner_program() -> Vec<u8> {
    let mut a = Asm::new();
    let (trap, fault, spin) = (a.label(), a.label(), a.label());
    a.store_imm_u8(0x20000, 0x2a)
        .load_imm(7, 5)
        .ecalli(77)
        .branch_eq_imm(8, 1, trap);
    a.fallthrough();
    let fl = a.label();
    a.bind(fl).branch_eq_imm(8, 2, fault);
    let sl = a.label();
    a.bind(sl).branch_eq_imm(8, 3, spin);
    let hl = a.label();
    a.bind(hl).halt_anyway();
    a.bind(trap).trap();
    a.bind(fault).load_u8(9, 0x50000).trap();
    a.bind(spin).jump(spin);
    a.code_blob()
}

/// The 112-octet invoke structure at SCRATCH: gas `g`, registers 0.. `regs`.
fn set_state(p: &mut P, g: u64, regs: &[(usize, u64)]) {
    p.set_word(SCRATCH, g);
    for k in 0..13 {
        p.set_word(SCRATCH + 8 + 8 * k as u32, 0);
    }
    for &(k, v) in regs {
        p.set_word(SCRATCH + 8 + 8 * k as u32, v);
    }
}

#[test]
fn machine_codes_and_indices() {
    let mut p = P::new();
    let code = inner_program();
    let at = p.a.ro_data(&code) as u64;
    let len = code.len() as u64;
    let junk = p.a.ro_data(&[0xff; 3]) as u64;
    p.call(id::MACHINE, &[(7, at), (8, len), (9, 0)]);
    p.call(id::MACHINE, &[(7, at), (8, len), (9, 0)]);
    p.call(id::MACHINE, &[(7, junk), (8, 3), (9, 0)]);
    // expunge 0 frees index 0 for the next machine; expunge returns the pc
    p.call(id::EXPUNGE, &[(7, 0)]);
    p.call(id::EXPUNGE, &[(7, 0)]);
    p.call(id::MACHINE, &[(7, at), (8, len), (9, 1234)]);
    p.call(id::EXPUNGE, &[(7, 0)]);
    p.call(id::EXPUNGE, &[(7, 5)]);
    let w = refine_words(&mut p);
    assert_eq!(w, vec![0, 1, code::HUH, 0, code::WHO, 0, 1234, code::WHO]);
    // Unreadable code: ☇.
    let mut p = P::new();
    p.call(id::MACHINE, &[(7, UNMAPPED), (8, 10), (9, 0)]);
    assert_eq!(Env::new(&p.build()).refine().result, WorkExecResult::Panic);
}

#[test]
fn peek_poke_pages_codes() {
    let mut p = P::new();
    let code = inner_program();
    let at = p.a.ro_data(&code) as u64;
    let bytes = p.a.ro_data(&[1, 2, 3, 4]) as u64;
    let o = SCRATCH as u64;
    p.call(id::MACHINE, &[(7, at), (8, code.len() as u64), (9, 0)]);
    // pages: WHO, HUH for r > 4, p < 16, p + c ≥ 2^20, r > 2 over inaccessible pages.
    p.call(id::PAGES, &[(7, 1), (8, 32), (9, 1), (10, 2)]);
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 5)]);
    p.call(id::PAGES, &[(7, 0), (8, 15), (9, 1), (10, 2)]);
    p.call(id::PAGES, &[(7, 0), (8, (1 << 20) - 1), (9, 1), (10, 2)]);
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 3)]);
    // 0x20000 = page 32: read-only, then poke is OOB, peek OK (zeros).
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 1)]);
    p.call(id::POKE, &[(7, 0), (8, bytes), (9, 0x20000), (10, 4)]);
    p.call(id::PEEK, &[(7, 0), (8, o), (9, 0x20000), (10, 4)]);
    p.rec_mem(SCRATCH);
    // writable (zeroed): poke then peek round-trips
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 2)]);
    p.call(id::POKE, &[(7, 0), (8, bytes), (9, 0x20ffe), (10, 2)]);
    p.call(id::PEEK, &[(7, 0), (8, o), (9, 0x20ffe), (10, 4)]);
    // the second half is past the page: OOB, nothing written
    p.rec_mem(SCRATCH);
    p.call(id::PEEK, &[(7, 0), (8, o), (9, 0x20ffc), (10, 4)]);
    p.rec_mem(SCRATCH);
    // mode 3 keeps contents (read-only), mode 1 zeroes them
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 3)]);
    p.call(id::PEEK, &[(7, 0), (8, o), (9, 0x20ffc), (10, 4)]);
    p.rec_mem(SCRATCH);
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 4)]);
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 1)]);
    p.call(id::PEEK, &[(7, 0), (8, o), (9, 0x20ffc), (10, 4)]);
    p.rec_mem(SCRATCH);
    // mode 0: inaccessible
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 0)]);
    p.call(id::PEEK, &[(7, 0), (8, o), (9, 0x20000), (10, 1)]);
    // WHO
    p.call(id::PEEK, &[(7, 3), (8, o), (9, 0x20000), (10, 1)]);
    p.call(id::POKE, &[(7, 3), (8, bytes), (9, 0x20000), (10, 1)]);
    // zero length: OK whatever the addresses
    p.call(id::PEEK, &[(7, 0), (8, UNMAPPED), (9, UNMAPPED), (10, 0)]);
    let w = refine_words(&mut p);
    use code::{HUH, OK, OOB, WHO};
    assert_eq!(w[0], 0);
    assert_eq!(w[1..6], [WHO, HUH, HUH, HUH, HUH]);
    assert_eq!(w[6..10], [OK, OOB, OK, 0]);
    assert_eq!(w[10..14], [OK, OK, OOB, 0], "an OOB peek writes nothing");
    assert_eq!(w[14], OK, "peek 0x20ffc..+4 within the page");
    assert_eq!(w[15], 0x0201_0000, "left as it was");
    assert_eq!(w[16..19], [OK, OK, 0x0201_0000]);
    assert_eq!(w[19..23], [OK, OK, OK, 0]);
    assert_eq!(w[23..], [OK, OOB, WHO, WHO, OK]);
}

#[test]
fn peek_and_poke_panic_on_outer_memory() {
    for (call, regs) in [
        (id::PEEK, [(7, 0), (8, UNMAPPED), (9, 0x20000), (10, 1)]),
        (id::PEEK, [(7, 9), (8, 0x10000), (9, 0x20000), (10, 1)]),
        (id::POKE, [(7, 9), (8, UNMAPPED), (9, 0x20000), (10, 1)]),
    ] {
        let mut p = P::new();
        p.a.ro_data(&[0; 8]);
        p.call(call, &regs);
        assert_eq!(
            Env::new(&p.build()).refine().result,
            WorkExecResult::Panic,
            "{call} {regs:?}"
        );
    }
}

/// Runs the inner program with ω_8 = `mode` and `gas`; returns (ω'_7, ω'_8 of the invoke,
/// the gas written back, the inner ω'_7, the pc expunge reports).
fn run_inner(mode: u64, gas: u64) -> Vec<u64> {
    let mut p = P::new();
    let code = inner_program();
    let at = p.a.ro_data(&code) as u64;
    p.call(id::MACHINE, &[(7, at), (8, code.len() as u64), (9, 0)]);
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 2)]);
    set_state(&mut p, gas, &[(8, mode), (7, 99)]);
    p.call(id::INVOKE, &[(7, 0), (8, SCRATCH as u64)]);
    p.rec(8);
    p.rec_mem(SCRATCH);
    p.rec_mem(SCRATCH + 8 + 7 * 8);
    // Resume after the host call when it stopped there.
    p.call(id::INVOKE, &[(7, 0), (8, SCRATCH as u64)]);
    p.rec(8);
    p.rec_mem(SCRATCH);
    p.call(
        id::PEEK,
        &[(7, 0), (8, SCRATCH as u64), (9, 0x20000), (10, 1)],
    );
    p.rec_mem(SCRATCH);
    p.call(id::EXPUNGE, &[(7, 0)]);
    refine_words(&mut p)
}

#[test]
fn invoke_exit_kinds() {
    use inner_code::{FAULT, HALT, HOST, OOG, PANIC};
    let code = inner_program();
    let prog = marmalade_pvm::Program::from_blob(&code).unwrap();
    // The ecalli: store_imm_u8 (10 octets) and load_imm (6) before it.
    assert_eq!(
        prog.instruction_at(16).opcode,
        Some(marmalade_pvm::Opcode::Ecalli)
    );
    let next = prog.instruction_at(16).next_pc();
    // First invoke: 3 instructions charged, stops at the host call 77 with ω_7 = 5.
    for (mode, second, r8) in [
        (0u64, HALT, 0u64),
        (1, PANIC, 0),
        (2, FAULT, 0x50000),
        (3, OOG, 0),
    ] {
        let w = run_inner(mode, 1000);
        // [machine, pages, invoke ω7, ω8, gas, inner ω7, invoke ω7, ω8, gas, peek, peeked, expunge]
        assert_eq!(w[0..2], [0, code::OK]);
        assert_eq!(w[2..6], [HOST, 77, 1000 - 3, 5], "mode {mode}");
        assert_eq!(w[6], second, "mode {mode}");
        let want_r8 = if second == FAULT { r8 } else { SCRATCH as u64 };
        assert_eq!(w[7], want_r8, "mode {mode}");
        match second {
            // ϱ' = 0 − 1 at the instruction that runs out, as E_8 of its two's complement
            OOG => assert_eq!(w[8], u64::MAX, "gas runs out: −1"),
            _ => assert!(w[8] < 997 && w[8] > 990, "mode {mode}: gas {}", w[8]),
        }
        assert_eq!((w[9], w[10] & 0xff), (code::OK, 0x2a));
        // halt and panic leave pc 0 (GP (A.1)); a fault or OOG leaves the faulting one.
        if second == HALT || second == PANIC {
            assert_eq!(w[11], 0, "mode {mode}");
        } else {
            assert!(w[11] > next, "mode {mode}: pc {}", w[11]);
        }
    }
    // Out of gas at once: OOG, the pc stays at 0.
    let w = run_inner(0, 0);
    assert_eq!(w[2], OOG);
    assert_eq!(w[4] as i64, -1);
}

#[test]
fn invoke_host_call_resumes_after_the_ecalli() {
    let mut p = P::new();
    let code = inner_program();
    let at = p.a.ro_data(&code) as u64;
    p.call(id::MACHINE, &[(7, at), (8, code.len() as u64), (9, 0)]);
    p.call(id::PAGES, &[(7, 0), (8, 32), (9, 1), (10, 2)]);
    set_state(&mut p, 1000, &[(8, 0)]);
    p.call(id::INVOKE, &[(7, 0), (8, SCRATCH as u64)]);
    p.call(id::EXPUNGE, &[(7, 0)]);
    let w = refine_words(&mut p);
    let prog = marmalade_pvm::Program::from_blob(&code).unwrap();
    assert_eq!(w[2], inner_code::HOST);
    assert_eq!(w[3], prog.instruction_at(16).next_pc());
}

#[test]
fn invoke_who_and_panic() {
    let mut p = P::new();
    p.call(id::INVOKE, &[(7, 0), (8, SCRATCH as u64)]);
    assert_eq!(refine_words(&mut p), vec![code::WHO]);
    // The 112 octets must be writable, even for an unknown machine.
    let mut p = P::new();
    p.a.ro_data(&[0; 112]);
    p.call(id::INVOKE, &[(7, 0), (8, 0x10000)]);
    assert_eq!(Env::new(&p.build()).refine().result, WorkExecResult::Panic);
}

#[test]
fn invoke_halt_with_registers_written_back() {
    // Inner: ω_7 = ω_7 + ω_9, halt via ω_0.
    let mut a = Asm::new();
    a.add_64(7, 7, 9).halt();
    let code = a.code_blob();
    let mut p = P::new();
    let at = p.a.ro_data(&code) as u64;
    p.call(id::MACHINE, &[(7, at), (8, code.len() as u64), (9, 0)]);
    set_state(
        &mut p,
        50,
        &[(0, HALT_ADDRESS as u64), (7, 40), (9, 2), (12, 77)],
    );
    p.call(id::INVOKE, &[(7, 0), (8, SCRATCH as u64)]);
    for k in [0u32, 1, 8, 10, 13] {
        p.rec_mem(SCRATCH + 8 * k);
    }
    let w = refine_words(&mut p);
    assert_eq!(w[1], inner_code::HALT);
    // gas 50 − 2 instructions; ω_0 kept, ω_7 = 42, ω_9 = 2, ω_12 = 77.
    assert_eq!(w[2..], [48, HALT_ADDRESS as u64, 42, 2, 77]);
}

// ---------------------------------------------------------------- the bootstrap service

/// The `storage` traces' genesis: its bootstrap service (service 0) refines a one-item
/// package; its refine returns `0x01 ⌢ payload`. The payloads are those of the service-0
/// digests of `storage/00000009` (their hashes are the digests' `payload_hash`, their results
/// `0x01 ⌢ payload`), and the gas used must be the digests' `gas_used`.
#[test]
fn bootstrap_service_refines() {
    let state = genesis();
    let info = state.accounts.get(&0).expect("service 0");
    // (payload, its hash, gas used) of the two service-0 digests of storage/00000009.
    let digests = [
        (
            "0501204c623bfd73d70750eb6e35b061f645e67a9ab81bfb04023c7209ae8d286f9398",
            "e326f3edf4efa0413ab515345b74dd2114f83ba31a26652f5009a4bce015d026",
            14215,
        ),
        (
            "0508202f3e6fa9beade7b65e9ac413b96d8b720493c35ca984cf7b6e2151d16213ff1e2099a654cfcd351f\
             cee90356ebf00ccbbff6dbf7200c558bd9c308d4df43ce9fe5200ad7862050d4a3e8aae22553a37d03de8b\
             a29f43feb8bb684e741809b790311020cf372f985fbc735cfc201cf8787330470f51b65a0f06d31efe431a\
             b8daec77f8205d66274948c5908b2026ac207f26d9bbc44ee6d2ee7b9ff02319363d2bfb57fe20ae509663\
             529e793d4972ac64c1ec9ae5726ac00e4f8ff531ec77fd67a75ad70e2064ffa7d0b1560bf0ed4b6227191e\
             6e478e82bb23c87c8a568c4177c244e232c8206d23dee612566197264d8d0c6d2c2663309ed949ce33f64f\
             88987d1b681427d9",
            "69437e9ccabdc2a591b980e5c426eb6ebcff52fa92016bae147da54262550f68",
            73421,
        ),
    ];
    // The report holds both digests, items 0 and 1 of one package, refined on core 1 with
    // lookup-anchor slot 8.
    let mut package = WorkPackage::default();
    for (payload, hash, _) in digests {
        let payload = hex(payload);
        assert_eq!(blake2b_256(&payload).to_vec(), hex(hash));
        package.items.push(WorkItem {
            service: 0,
            code_hash: info.code_hash,
            refine_gas_limit: SPEC.refine_gas,
            accumulate_gas_limit: 5_000_000,
            payload,
            ..Default::default()
        });
    }
    package.context.lookup_anchor_slot = 8;
    let cache = CodeCache::new();
    for (item, (_, _, gas)) in digests.into_iter().enumerate() {
        let input = RefineInput {
            core: 1,
            item,
            package: &package,
            auth_trace: &[],
            imports: &[vec![], vec![]],
            extrinsics: &[vec![], vec![]],
            export_offset: 0,
        };
        let out = refine(&SPEC, &state, &input, &cache);
        let mut want = vec![1];
        want.extend_from_slice(&package.items[item].payload);
        assert_eq!(out.result, WorkExecResult::Ok(want));
        assert!(out.exports.is_empty());
        assert_eq!(out.gas_used, gas, "the digest's refine gas");
    }
}

/// The genesis state of the `storage` traces (a `Genesis`: header, then the raw state's root
/// and key/values).
fn genesis() -> State {
    use marmalade_codec::{Decode, Reader};
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.jam-vectors/jam-test-vectors/traces/storage/genesis.bin"
    );
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("vector {path} missing: {e}"));
    let mut r = Reader::new(&bytes, SPEC.seq_lens());
    marmalade_types::Header::decode(&mut r).expect("genesis header");
    r.take(32).expect("state root");
    let n = r.seq_len().expect("key/value count");
    let mut kvs = Vec::new();
    for _ in 0..n {
        let k: [u8; 31] = r.take_array().expect("key");
        let len = r.seq_len().expect("value length");
        kvs.push((k, r.take(len).expect("value").to_vec()));
    }
    assert_eq!(r.remaining(), 0, "trailing bytes in genesis.bin");
    State::from_key_values(&SPEC, kvs).expect("genesis state")
}

/// The `storage` traces' null authorizer (service 0's preimage whose hash with the empty
/// configuration is the reports' `authorizer_hash` 0x2357…09f8): the report of
/// `storage/00000009` on core 1 has `auth_output` empty and `auth_gas_used` 3.
#[test]
fn null_authorizer_authorizes() {
    let state = genesis();
    let code_hash: Hash = hex("f8d86b97d65319a078e5840f1614c296a5254217794dcc910e72ca174e3c2e86")
        .try_into()
        .unwrap();
    let authorizer = blake2b_256(&code_hash);
    assert_eq!(
        authorizer.to_vec(),
        hex("2357426f2313559a271d6782dc00197b379f79cbe3c6a1e72f61f7b592c509f8")
    );
    let mut package = WorkPackage {
        auth_code_host: 0,
        auth_code_hash: code_hash,
        ..Default::default()
    };
    package.context.lookup_anchor_slot = 8;
    let out = is_authorized(&SPEC, &state, &package, 1, &CodeCache::new());
    assert_eq!(out.result, WorkExecResult::Ok(vec![]));
    assert_eq!(out.gas_used, 3);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

// ---------------------------------------------------------------- totality

/// Every refine host call with registers drawn from boundary values (addresses at the edges
/// of mapped memory and of the address space, counts and indices around their limits)
/// returns an outcome without panicking the host, and leaves at most one new inner machine.
#[test]
fn refine_host_calls_are_total() {
    use crate::fetch::{FetchData, RefineData};
    use crate::host::RefineHost;
    use marmalade_pvm::{Access, HostCalls, HostOutcome, Machine};
    let mut a = Asm::new();
    a.halt();
    let env = Env::new(&a.build());
    let inner = inner_program();
    let values: [u64; 16] = [
        0,
        1,
        4,
        16,
        0x1_0000,
        0x2_0000,
        0x2_0ff0,
        0x2_fff8,
        (1 << 20) - 1,
        1 << 20,
        (1 << 32) - 1,
        1 << 32,
        1 << 63,
        u64::MAX - 1,
        u64::MAX,
        inner.len() as u64,
    ];
    let imports = [vec![segment(1)]];
    let extrinsics = [vec![vec![1, 2]]];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..4000 {
        let mut host = RefineHost {
            fetch: FetchData::new(
                &SPEC,
                &env.package,
                Some(RefineData {
                    auth_trace: b"t",
                    item: 0,
                    imports: &imports,
                    extrinsics: &extrinsics,
                }),
            ),
            state: &env.state,
            service: S,
            anchor_slot: ANCHOR,
            export_offset: (next() % 4000) as usize,
            guests: Default::default(),
            exports: Vec::new(),
        };
        let mut m = Machine::new(1000);
        m.memory
            .set_access(0x1_0000, 0x1000, Some(Access::ReadOnly), true);
        m.memory
            .set_access(0x2_0000, 0x1_0000, Some(Access::ReadWrite), true);
        m.memory.write(0x2_0000, &inner).unwrap();
        // one inner machine (index 0), with a writable page at 0x20000
        m.regs[7..10].copy_from_slice(&[0x2_0000, inner.len() as u64, 0]);
        assert_eq!(host.host_call(id::MACHINE, &mut m), HostOutcome::Continue);
        m.regs[7..11].copy_from_slice(&[0, 32, 1, 2]);
        assert_eq!(host.host_call(id::PAGES, &mut m), HostOutcome::Continue);
        for _ in 0..8 {
            let call = next() % 16;
            for r in 7..13 {
                m.regs[r] = if next() % 4 == 0 {
                    next()
                } else {
                    values[(next() % 16) as usize]
                };
            }
            // a gas structure that runs the inner program briefly
            let _ = m
                .memory
                .write(0x2_0000 + 0x800, &(next() % 64).to_le_bytes());
            let before = host.guests.len();
            let out = host.host_call(call, &mut m);
            assert!(host.guests.len() <= before + 1, "round {round} call {call}");
            if out != HostOutcome::Continue {
                break;
            }
            m.gas = 1000;
        }
    }
}
