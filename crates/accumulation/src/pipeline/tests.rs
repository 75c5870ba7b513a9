//! End-to-end tests of $\Psi_A$ and the rounds, with small hand-assembled services.

use super::*;
use crate::account::Accounts;
use marmalade_crypto::hash::blake2b_256;
use marmalade_pvm::{ProgramCode, StandardProgram};
use marmalade_state::key::{preimage_key, storage_key};
use marmalade_state::ServiceAccount;
use marmalade_types::{
    AuthQueue, AuthQueues, ServiceInfo, ValidatorData, ValidatorsData, WorkDigest, WorkExecResult,
};

const SPEC: &ChainSpec = &ChainSpec::TINY;
/// Where the read-write data of a program without read-only data starts (GP B.2, standard
/// program initialisation).
const DATA: i32 = 0x20000;

/// A tiny assembler: traps at pc 0..5, then the accumulate entry at pc 5.
struct Asm {
    code: Vec<u8>,
    mask: Vec<bool>,
}

impl Asm {
    fn new() -> Self {
        let mut a = Asm {
            code: vec![],
            mask: vec![],
        };
        for _ in 0..5 {
            a.inst(&[0]);
        }
        a
    }
    fn inst(&mut self, bytes: &[u8]) -> &mut Self {
        self.code.extend_from_slice(bytes);
        self.mask.push(true);
        self.mask
            .extend(std::iter::repeat_n(false, bytes.len() - 1));
        self
    }
    fn imm(&mut self, reg: u8, v: i32) -> &mut Self {
        let b = v.to_le_bytes();
        self.inst(&[51, reg, b[0], b[1], b[2], b[3]])
    }
    fn call(&mut self, id: u32) -> &mut Self {
        let b = id.to_le_bytes();
        self.inst(&[10, b[0], b[1], b[2], b[3]])
    }
    fn trap(&mut self) -> &mut Self {
        self.inst(&[0])
    }
    fn halt(&mut self) -> &mut Self {
        self.inst(&[50, 0])
    }
    /// The service-code preimage: empty metadata, then the standard program.
    fn service(&self, rw_data: &[u8]) -> Vec<u8> {
        let blob = ProgramCode {
            code: self.code.clone(),
            bitmask: self.mask.clone(),
            jump_table: vec![],
            jump_table_len: 0,
        }
        .to_blob();
        let sp = StandardProgram {
            ro_data: &[],
            rw_data,
            heap_pages: 0,
            stack_size: 4096,
            code: &blob,
        };
        let mut out = vec![0];
        out.extend(sp.to_bytes());
        out
    }
}

fn account_with(s: ServiceId, code: &[u8], balance: u64) -> ServiceAccount {
    let h = blake2b_256(code);
    let mut a = ServiceAccount {
        info: ServiceInfo {
            code_hash: h,
            balance,
            ..Default::default()
        },
        ..Default::default()
    };
    a.insert_preimage(s, code.to_vec());
    a.insert_request(s, &h, code.len() as u32, &[0]);
    a
}

/// An empty prior state for the accounts to be written over.
fn empty_base() -> &'static marmalade_state::State {
    Box::leak(Box::new(marmalade_state::State::empty(SPEC)))
}

fn state(accounts: Vec<(ServiceId, ServiceAccount)>) -> PartialState<'static> {
    let mut all = Accounts::new(empty_base());
    for (s, a) in accounts {
        all.insert(s, a);
    }
    PartialState {
        accounts: all,
        staging_set: ValidatorsData(vec![ValidatorData::NULL; SPEC.validators]),
        auth_queue: AuthQueues(vec![AuthQueue::default(); SPEC.cores]),
        privileges: Privileges {
            assign: vec![0; SPEC.cores],
            ..Default::default()
        },
    }
}

fn env() -> Env {
    Env {
        slot: 10,
        entropy: [1; 32],
    }
}

fn report(pkg: u8, services: &[ServiceId]) -> WorkReport {
    let mut r = WorkReport::default();
    r.package_spec.hash = [pkg; 32];
    r.results = services
        .iter()
        .map(|&s| WorkDigest {
            service_id: s,
            accumulate_gas: 1_000,
            result: WorkExecResult::Ok(vec![]),
            ..Default::default()
        })
        .collect();
    r
}

/// `write(key = data[0..3], value = data[3..5])`.
fn write_key(a: &mut Asm, key_at: i32, value_at: i32) {
    a.imm(7, DATA + key_at)
        .imm(8, 3)
        .imm(9, DATA + value_at)
        .imm(10, 2)
        .call(4);
}

fn run_one(code: &Asm, data: &[u8]) -> (AccumulationOutcome, PartialState<'static>) {
    let st = state(vec![(5, account_with(5, &code.service(data), 1_000_000))]);
    let out = accumulate_single(
        SPEC,
        env(),
        &st,
        &[],
        &[report(1, &[5])],
        &BTreeMap::new(),
        5,
        &CodeCache::new(),
    );
    (out, st)
}

#[test]
fn panic_collapses_to_the_initial_context() {
    let mut a = Asm::new();
    write_key(&mut a, 0, 3);
    a.trap();
    let (out, _) = run_one(&a, b"keyab");
    let own = out.changes.own.unwrap();
    assert!(own.items.is_empty(), "the write is undone");
    // four loads, the `ecalli` and its 10 gas, and the trap itself.
    assert_eq!(out.gas_used, 4 + 1 + 10 + 1);
}

#[test]
fn checkpoint_keeps_what_came_before() {
    let mut a = Asm::new();
    write_key(&mut a, 0, 3);
    a.call(17);
    write_key(&mut a, 5, 3);
    a.trap();
    let (out, _) = run_one(&a, b"keyabKEY");
    let own = out.changes.own.unwrap();
    assert_eq!(
        own.items.get(&storage_key(5, b"key")),
        Some(&Some(b"ab".to_vec()))
    );
    assert!(!own.items.contains_key(&storage_key(5, b"KEY")));
}

#[test]
fn halting_with_32_octets_yields_them() {
    let mut a = Asm::new();
    write_key(&mut a, 0, 3);
    a.imm(7, DATA + 8).imm(8, 32).halt();
    let mut data = b"keyab...".to_vec();
    data.extend([0x5a; 32]);
    let (out, _) = run_one(&a, &data);
    assert_eq!(out.yield_hash, Some([0x5a; 32]));
    assert!(out
        .changes
        .own
        .unwrap()
        .items
        .contains_key(&storage_key(5, b"key")));
    // a different length is no yield
    let mut a = Asm::new();
    a.imm(7, DATA).imm(8, 31).halt();
    let (out, _) = run_one(&a, &data);
    assert_eq!(out.yield_hash, None);
}

#[test]
fn out_of_gas_uses_everything_and_changes_nothing() {
    let mut a = Asm::new();
    write_key(&mut a, 0, 3);
    // an endless loop: a jump to itself, at the start of a basic block
    a.inst(&[1]).inst(&[40, 0]);
    let st = state(vec![(5, account_with(5, &a.service(b"keyab"), 1_000_000))]);
    let out = accumulate_single(
        SPEC,
        env(),
        &st,
        &[],
        &[report(1, &[5])],
        &BTreeMap::new(),
        5,
        &CodeCache::new(),
    );
    assert_eq!(out.gas_used, 1_000);
    assert!(out.changes.own.unwrap().items.is_empty());
}

#[test]
fn missing_code_uses_no_gas_but_credits_transfers() {
    let mut st = state(vec![(5, account_with(5, b"not a program", 100))]);
    let code_hash = st.accounts.account(5).unwrap().info.code_hash;
    st.accounts.set_item(preimage_key(5, &code_hash), None);
    let t = DeferredTransfer {
        source: 1,
        dest: 5,
        amount: 40,
        memo: [0; 128],
        gas: 7,
    };
    let out = accumulate_single(
        SPEC,
        env(),
        &st,
        &[t],
        &[],
        &BTreeMap::new(),
        5,
        &CodeCache::new(),
    );
    assert_eq!(out.gas_used, 0);
    assert_eq!(out.changes.own.unwrap().info.balance, 140);
}

#[test]
fn transfers_run_the_receiver_in_the_next_round() {
    // Service 5 transfers 1000 to service 6 with gas limit 200 (memo from its data);
    // service 6 just halts.
    let mut a = Asm::new();
    a.imm(7, 6)
        .imm(8, 1000)
        .imm(9, 200)
        .imm(10, DATA)
        .call(20)
        .halt();
    let mut b = Asm::new();
    b.call(0).halt();
    let st = state(vec![
        (5, account_with(5, &a.service(&[0; 128]), 1_000_000)),
        (6, account_with(6, &b.service(&[]), 1_000_000)),
    ]);
    let r = accumulate_sequential(
        SPEC,
        env(),
        10_000,
        vec![],
        &[report(1, &[5])],
        st,
        &BTreeMap::new(),
        &CodeCache::new(),
    )
    .unwrap();
    assert_eq!(r.count, 1);
    let ids: Vec<_> = r.gas_used.iter().map(|(s, _)| *s).collect();
    assert_eq!(ids, vec![5, 6]);
    // 6 loads, the transfer (10 + 200), the halt; then 6: gas call and halt.
    assert_eq!(r.gas_used[0].1, 5 + 210 + 1);
    assert_eq!(r.gas_used[1].1, 1 + 10 + 1);
    assert_eq!(
        r.state.accounts.account(5).unwrap().info.balance,
        1_000_000 - 1000
    );
    assert_eq!(
        r.state.accounts.account(6).unwrap().info.balance,
        1_000_000 + 1000
    );
}

#[test]
fn gas_limit_defers_reports_to_a_later_block() {
    let mut b = Asm::new();
    b.halt();
    let st = state(vec![(6, account_with(6, &b.service(&[]), 1_000_000))]);
    let reports = [report(1, &[6]), report(2, &[6]), report(3, &[6])];
    let r = accumulate_sequential(
        SPEC,
        env(),
        2_500,
        vec![],
        &reports,
        st,
        &BTreeMap::new(),
        &CodeCache::new(),
    )
    .unwrap();
    // Two reports fit the first round; the gas they did not use lets the third in.
    assert_eq!(r.count, 3);
    assert_eq!(r.gas_used.len(), 2);
}

/// A service calling `bless(m, a = data, v, r, z = [])`.
fn blesser(m: i32, v: i32, r: i32) -> Vec<u8> {
    let mut a = Asm::new();
    a.imm(7, m)
        .imm(8, DATA)
        .imm(9, v)
        .imm(10, r)
        .imm(11, DATA)
        .imm(12, 0)
        .call(14)
        .halt();
    a.service(&[0; 8])
}

#[test]
fn privileges_prefer_the_managers_change() {
    // Manager 1 sets the delegator to 77 and the registrar to 0 (unchanged);
    // the delegator 2 sets it to 88 and the registrar to 99.
    let mut st = state(vec![
        (1, account_with(1, &blesser(1, 77, 0), 1_000_000)),
        (2, account_with(2, &blesser(0, 88, 99), 1_000_000)),
    ]);
    st.privileges.bless = 1;
    st.privileges.designate = 2;
    let free: BTreeMap<_, _> = [(1, 1_000), (2, 1_000)].into_iter().collect();
    let r = accumulate_parallel(SPEC, env(), st, &[], &[], &free, &CodeCache::new()).unwrap();
    let p = &r.state.privileges;
    assert_eq!(p.bless, 1);
    assert_eq!(p.designate, 77, "the manager changed it: its change wins");
    assert_eq!(p.register, 0, "the registrar (0) was not accumulated");
    // Without a manager change, the owner's own change stands.
    let mut st = state(vec![
        (1, account_with(1, &blesser(1, 2, 0), 1_000_000)),
        (2, account_with(2, &blesser(0, 88, 99), 1_000_000)),
    ]);
    st.privileges.bless = 1;
    st.privileges.designate = 2;
    let r = accumulate_parallel(SPEC, env(), st, &[], &[], &free, &CodeCache::new()).unwrap();
    assert_eq!(r.state.privileges.designate, 88);
}

#[test]
fn block_statistics_and_output_root() {
    let mut a = Asm::new();
    a.imm(7, DATA).imm(8, 32).halt();
    let st = state(vec![(5, account_with(5, &a.service(&[9; 32]), 1_000_000))]);
    let e = SPEC.epoch_len();
    let res = accumulate_block(
        SPEC,
        env(),
        9,
        &ReadyQueue(vec![vec![]; e]),
        &AccumulatedQueue(vec![vec![]; e]),
        st,
        &[report(1, &[5, 5])],
        &CodeCache::new(),
    )
    .unwrap();
    assert_eq!(res.count, 1);
    assert_eq!(res.outputs, vec![(5, [9; 32])]);
    assert_eq!(res.statistics[&5], (3, 2));
    assert_eq!(
        res.state
            .accounts
            .account(5)
            .unwrap()
            .info
            .last_accumulation_slot,
        10
    );
    assert_eq!(res.accumulated[e - 1], vec![[1; 32]]);
    let mut leaf = 5u32.to_le_bytes().to_vec();
    leaf.extend([9; 32]);
    assert_eq!(output_root(&res.outputs), keccak_256(&leaf));
    assert_eq!(output_root(&[]), [0; 32]);
}

/// A loop of `n` iterations at the entry: with `host`, each iteration makes a `gas` call.
fn looper(n: i32, host: bool) -> Vec<u8> {
    let mut a = Asm::new();
    a.imm(9, n).inst(&[1]);
    if host {
        a.call(0);
    } else {
        a.inst(&[149, 9 | (9 << 4), 0, 0, 0, 0]);
    }
    // add_imm_64 r9, r9, -1; branch_ne_imm r9, 0, loop (the loop is 1 + 6 octets back)
    let back: i32 = if host { -(5 + 6) } else { -(6 + 6) };
    let o = back.to_le_bytes();
    a.inst(&[149, 9 | (9 << 4), 0xff, 0xff, 0xff, 0xff])
        .inst(&[82, 9, o[0], o[1], o[2], o[3]])
        .halt();
    a.service(&[])
}

#[test]
fn looper_counts_its_host_calls() {
    let st = state(vec![(5, account_with(5, &looper(100, true), 1 << 40))]);
    let free: BTreeMap<_, _> = [(5, 1_000_000)].into_iter().collect();
    let out = accumulate_single(SPEC, env(), &st, &[], &[], &free, 5, &CodeCache::new());
    // load, fallthrough, 100 × (ecalli + 10 + add + branch), halt
    assert_eq!(out.gas_used, 2 + 100 * 13 + 1);
}

/// Host-call overhead and whether parallel rounds pay. Run with `cargo test --release -p
/// marmalade-stf accumulate_timings -- --ignored --nocapture`.
#[test]
#[ignore = "timing measurement, not a check"]
fn accumulate_timings() {
    use std::time::Instant;
    let n = 1_000_000;
    let free: BTreeMap<_, _> = [(5, 100_000_000)].into_iter().collect();
    let time = |code: Vec<u8>| {
        let st = state(vec![(5, account_with(5, &code, 1 << 40))]);
        let cache = CodeCache::new();
        let _ = accumulate_single(SPEC, env(), &st, &[], &[], &free, 5, &cache);
        let t = Instant::now();
        let out = accumulate_single(SPEC, env(), &st, &[], &[], &free, 5, &cache);
        (t.elapsed(), out.gas_used)
    };
    let (with, g1) = time(looper(n, true));
    let (without, g2) = time(looper(n, false));
    println!(
        "{n} iterations with a `gas` call: {with:?} ({g1} gas); without: {without:?} ({g2} gas)"
    );
    println!(
        "per host call: {:.1} ns",
        (with.as_nanos() as f64 - without.as_nanos() as f64) / n as f64
    );

    // K services, each a pure loop, in one Δ* round: 1 thread vs all of rayon's.
    for (k, iters) in [(2, 2_000_000), (8, 500_000), (32, 20_000), (64, 100)] {
        let accounts = (0..k)
            .map(|s| (s, account_with(s, &looper(iters, false), 1 << 40)))
            .collect();
        let st = state(accounts);
        let free: BTreeMap<_, _> = (0..k).map(|s| (s, 100_000_000)).collect();
        let cache = CodeCache::new();
        let round =
            || accumulate_parallel(SPEC, env(), st.clone(), &[], &[], &free, &cache).unwrap();
        let _ = round();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let t = Instant::now();
        let a = one.install(round);
        let t1 = t.elapsed();
        let t = Instant::now();
        let b = round();
        let tn = t.elapsed();
        assert_eq!(
            format!("{:?}", (a.state.accounts, a.outputs, a.gas_used)),
            format!("{:?}", (b.state.accounts, b.outputs, b.gas_used)),
            "the merge is deterministic"
        );
        println!(
            "{k} services × {iters} iterations: 1 thread {t1:?}, {} threads {tn:?}",
            rayon::current_num_threads()
        );
    }
}
