//! One test per host-call outcome: every return code of every accumulate host call, panics
//! and out-of-gas, against a small two-account state.

use super::code::*;
use super::*;
use crate::account::Accounts;
use crate::invoke::{check_index, initial_index_candidate, AccumulationInput, Context, Env};
use crate::pipeline::PartialState;
use marmalade_pvm::{Access, HostCalls, HostOutcome, Machine};
use marmalade_state::account::encode_timeslots;
use marmalade_state::key::preimage_key;
use marmalade_state::{ServiceAccount, ServiceItems};
use marmalade_types::{
    AuthQueue, AuthQueues, ChainSpec, Privileges, ServiceInfo, ValidatorData, ValidatorsData,
};

const SPEC: &ChainSpec = &ChainSpec::TINY;
const ME: u32 = 100;
const OTHER: u32 = 200;
const SLOT: u32 = 100;
/// A writable region of four pages.
const RW: u64 = 0x20000;
/// A read-only page.
const RO: u64 = 0x30000;
/// An inaccessible address.
const BAD: u64 = 0x50000;
const PREIMAGE: &[u8] = b"preimage";

/// Sets request $(h, z)$ of account `a` (index `s`) to `l` without touching its footprint.
fn set_request(a: &mut Accounts<'_>, s: u32, h: &Hash, z: u32, l: &[u32]) {
    a.set_item(lookup_key(s, h, z), Some(encode_timeslots(l)));
}

fn account(s: u32, balance: u64) -> ServiceAccount {
    let mut a = ServiceAccount {
        info: ServiceInfo {
            code_hash: [1; 32],
            balance,
            min_item_gas: 5,
            min_memo_gas: 50,
            ..Default::default()
        },
        ..Default::default()
    };
    a.insert_storage(s, b"key", b"value".to_vec());
    let h = a.insert_preimage(s, PREIMAGE.to_vec());
    a.insert_request(s, &h, PREIMAGE.len() as u32, &[3]);
    // 1 storage item and 1 request: 3 items, (34 + 3 + 5) + (81 + 8) octets.
    assert_eq!((a.info.items, a.info.bytes), (3, 42 + 89));
    a
}

/// An empty prior state for the accounts to be written over.
fn empty_base() -> &'static marmalade_state::State {
    Box::leak(Box::new(marmalade_state::State::empty(SPEC)))
}

fn state() -> PartialState<'static> {
    let mut accounts = Accounts::new(empty_base());
    accounts.insert(ME, account(ME, 10_000));
    accounts.insert(OTHER, account(OTHER, 10_000));
    PartialState {
        accounts,
        staging_set: ValidatorsData(vec![ValidatorData::NULL; SPEC.validators]),
        auth_queue: AuthQueues(vec![AuthQueue::default(); SPEC.cores]),
        privileges: Privileges {
            bless: ME,
            assign: vec![ME, OTHER],
            designate: ME,
            register: ME,
            always_acc: vec![],
        },
    }
}

fn env() -> Env {
    Env {
        slot: SLOT,
        entropy: [7; 32],
    }
}

fn ctx<'a>(st: &'a PartialState<'a>, inputs: &'a [AccumulationInput]) -> Context<'a> {
    let info = st.accounts.info(ME).unwrap();
    Context::new(SPEC, env(), st, inputs, ME, info)
}

fn machine(gas: i64) -> Machine {
    let mut m = Machine::new(gas);
    m.memory
        .set_access(RW as u32, 4 * 4096, Some(Access::ReadWrite), true);
    m.memory
        .set_access(RO as u32, 4096, Some(Access::ReadOnly), true);
    m
}

/// Calls host function `id` with registers ω7.. set to `args`.
fn call(c: &mut Context<'_>, m: &mut Machine, id: u64, args: &[u64]) -> HostOutcome {
    m.regs[7..7 + args.len()].copy_from_slice(args);
    c.host_call(id, m)
}

fn put(m: &mut Machine, addr: u64, data: &[u8]) {
    m.memory.write(addr as u32, data).unwrap();
}

fn get(m: &mut Machine, addr: u64, len: u32) -> Vec<u8> {
    m.memory.read_vec(addr as u32, len).unwrap()
}

fn ok(o: HostOutcome) {
    assert_eq!(o, HostOutcome::Continue);
}

#[test]
fn gas_reports_remaining_after_charge_or_runs_out() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(100);
    ok(call(&mut c, &mut m, id::GAS, &[]));
    assert_eq!(m.regs[7], 90);
    let mut m = machine(9);
    m.regs[7] = 1234;
    assert_eq!(call(&mut c, &mut m, id::GAS, &[]), HostOutcome::OutOfGas);
    assert_eq!(m.regs[7], 1234, "registers unchanged on out of gas");
}

#[test]
fn fetch_variants() {
    let st = state();
    let inputs = [
        AccumulationInput::Transfer(DeferredTransfer {
            source: 1,
            dest: ME,
            amount: 5,
            memo: [9; MEMO_SIZE],
            gas: 6,
        }),
        AccumulationInput::Transfer(DeferredTransfer {
            source: 2,
            dest: ME,
            amount: 7,
            memo: [0; MEMO_SIZE],
            gas: 8,
        }),
    ];
    let mut c = ctx(&st, &inputs);
    let mut m = machine(1000);
    // 0: constants (134 octets).
    ok(call(&mut c, &mut m, id::FETCH, &[RW, 0, 1000, 0]));
    assert_eq!(m.regs[7], protocol_constants(SPEC).len() as u64);
    assert_eq!(m.regs[7], 134);
    // 1: η'_0, partially: offset 30, length up to 10.
    ok(call(&mut c, &mut m, id::FETCH, &[RW, 30, 10, 1]));
    assert_eq!(m.regs[7], 32);
    assert_eq!(get(&mut m, RW, 2), vec![7, 7]);
    // 14: all inputs; 15: one.
    ok(call(&mut c, &mut m, id::FETCH, &[RW, 0, 1000, 14]));
    assert_eq!(m.regs[7], 1 + 2 * (1 + 4 + 4 + 8 + 128 + 8));
    ok(call(&mut c, &mut m, id::FETCH, &[RW, 0, 1000, 15, 1]));
    assert_eq!(m.regs[7], 1 + 4 + 4 + 8 + 128 + 8);
    assert_eq!(get(&mut m, RW, 5), vec![1, 2, 0, 0, 0]);
    // out of range and refine-only kinds: NONE.
    ok(call(&mut c, &mut m, id::FETCH, &[RW, 0, 1000, 15, 2]));
    assert_eq!(m.regs[7], NONE);
    ok(call(&mut c, &mut m, id::FETCH, &[RW, 0, 1000, 7]));
    assert_eq!(m.regs[7], NONE);
    // unwritable output: panic (but a zero-length output is always fine).
    assert_eq!(
        call(&mut c, &mut m, id::FETCH, &[RO, 0, 1000, 1]),
        HostOutcome::Panic
    );
    ok(call(&mut c, &mut m, id::FETCH, &[BAD, 0, 0, 1]));
    assert_eq!(m.regs[7], 32);
}

#[test]
fn lookup_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &blake2b_256(PREIMAGE));
    ok(call(
        &mut c,
        &mut m,
        id::LOOKUP,
        &[u64::MAX, RW, RW + 100, 0, 100],
    ));
    assert_eq!(m.regs[7], PREIMAGE.len() as u64);
    assert_eq!(get(&mut m, RW + 100, 8), PREIMAGE);
    ok(call(
        &mut c,
        &mut m,
        id::LOOKUP,
        &[OTHER as u64, RW, RW + 200, 3, 2],
    ));
    assert_eq!(get(&mut m, RW + 200, 2), b"im");
    ok(call(
        &mut c,
        &mut m,
        id::LOOKUP,
        &[999, RW, RW + 100, 0, 100],
    ));
    assert_eq!(m.regs[7], NONE);
    ok(call(
        &mut c,
        &mut m,
        id::LOOKUP,
        &[ME as u64, RW + 1, RW + 100, 0, 100],
    ));
    assert_eq!(m.regs[7], NONE);
    assert_eq!(
        call(&mut c, &mut m, id::LOOKUP, &[ME as u64, BAD, RW, 0, 100]),
        HostOutcome::Panic
    );
    assert_eq!(
        call(&mut c, &mut m, id::LOOKUP, &[ME as u64, RW, RO, 0, 100]),
        HostOutcome::Panic
    );
}

#[test]
fn read_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, b"key");
    ok(call(
        &mut c,
        &mut m,
        id::READ,
        &[u64::MAX, RW, 3, RW + 100, 1, 3],
    ));
    assert_eq!(m.regs[7], 5);
    assert_eq!(get(&mut m, RW + 100, 3), b"alu");
    ok(call(
        &mut c,
        &mut m,
        id::READ,
        &[OTHER as u64, RW, 3, RW + 100, 0, 9],
    ));
    assert_eq!(m.regs[7], 5);
    ok(call(
        &mut c,
        &mut m,
        id::READ,
        &[ME as u64, RW, 2, RW + 100, 0, 9],
    ));
    assert_eq!(m.regs[7], NONE);
    ok(call(
        &mut c,
        &mut m,
        id::READ,
        &[1 << 40, RW, 3, RW + 100, 0, 9],
    ));
    assert_eq!(m.regs[7], NONE);
    assert_eq!(
        call(&mut c, &mut m, id::READ, &[ME as u64, BAD, 3, RW, 0, 9]),
        HostOutcome::Panic
    );
    assert_eq!(
        call(&mut c, &mut m, id::READ, &[ME as u64, RW, 3, RO, 0, 9]),
        HostOutcome::Panic
    );
}

#[test]
fn write_outcomes_and_footprint() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, b"key");
    put(&mut m, RW + 10, b"new-key");
    put(&mut m, RW + 20, b"0123456789");
    let before = c.own.info;
    // a new key: NONE, one more item of 34 + 7 + 10 octets
    ok(call(&mut c, &mut m, id::WRITE, &[RW + 10, 7, RW + 20, 10]));
    assert_eq!(m.regs[7], NONE);
    assert_eq!(c.own.info.items, before.items + 1);
    assert_eq!(c.own.info.bytes, before.bytes + 51);
    // overwrite: the old length
    ok(call(&mut c, &mut m, id::WRITE, &[RW, 3, RW + 20, 2]));
    assert_eq!(m.regs[7], 5);
    assert_eq!(c.own_view().storage(b"key"), Some(&b"01"[..]));
    // delete: the old length; deleting again: NONE
    ok(call(&mut c, &mut m, id::WRITE, &[RW, 3, 0, 0]));
    assert_eq!(m.regs[7], 2);
    assert_eq!(c.own_view().storage(b"key"), None);
    ok(call(&mut c, &mut m, id::WRITE, &[RW, 3, 0, 0]));
    assert_eq!(m.regs[7], NONE);
    assert_eq!(c.own.info.items, before.items);
    // FULL: a value the balance cannot cover (threshold 100 + 10 i + o > 10_000)
    ok(call(&mut c, &mut m, id::WRITE, &[RW, 3, RW, 10_000]));
    assert_eq!(m.regs[7], FULL);
    assert_eq!(c.own_view().storage(b"key"), None);
    // unreadable key or value: panic
    assert_eq!(
        call(&mut c, &mut m, id::WRITE, &[BAD, 3, RW, 1]),
        HostOutcome::Panic
    );
    assert_eq!(
        call(&mut c, &mut m, id::WRITE, &[RW, 3, BAD, 1]),
        HostOutcome::Panic
    );
    let st2 = c.base;
    assert_eq!(
        st2.accounts.account(ME).unwrap().storage(ME, b"key"),
        Some(&b"value"[..])
    );
}

#[test]
fn info_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    ok(call(&mut c, &mut m, id::INFO, &[u64::MAX, RW, 0, 96]));
    assert_eq!(m.regs[7], 96);
    let v = get(&mut m, RW, 96);
    assert_eq!(&v[..32], &[1; 32]);
    assert_eq!(u64::from_le_bytes(v[32..40].try_into().unwrap()), 10_000);
    let t = threshold_balance(&st.accounts.account(ME).unwrap().info);
    assert_eq!(u64::from_le_bytes(v[40..48].try_into().unwrap()), t);
    ok(call(&mut c, &mut m, id::INFO, &[OTHER as u64, RW, 32, 8]));
    assert_eq!(get(&mut m, RW, 8), 10_000u64.to_le_bytes());
    ok(call(&mut c, &mut m, id::INFO, &[5, RW, 0, 96]));
    assert_eq!(m.regs[7], NONE);
    assert_eq!(
        call(&mut c, &mut m, id::INFO, &[ME as u64, RO, 0, 96]),
        HostOutcome::Panic
    );
}

#[test]
fn bless_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &[1, 0, 0, 0, 2, 0, 0, 0]);
    let mut z = Vec::new();
    for (s, g) in [(9u32, 90u64), (3, 30), (9, 99)] {
        z.extend(s.to_le_bytes());
        z.extend(g.to_le_bytes());
    }
    put(&mut m, RW + 100, &z);
    ok(call(&mut c, &mut m, id::BLESS, &[5, RW, 6, 7, RW + 100, 3]));
    assert_eq!(m.regs[7], OK);
    let p = &c.privileges;
    assert_eq!((p.bless, p.designate, p.register), (5, 6, 7));
    assert_eq!(p.assign, vec![1, 2]);
    let z: Vec<_> = p.always_acc.iter().map(|e| (e.id, e.gas)).collect();
    assert_eq!(z, vec![(3, 30), (9, 99)]);
    ok(call(
        &mut c,
        &mut m,
        id::BLESS,
        &[1 << 32, RW, 6, 7, RW + 100, 0],
    ));
    assert_eq!(m.regs[7], WHO);
    assert_eq!(
        call(&mut c, &mut m, id::BLESS, &[1, BAD, 6, 7, RW, 0]),
        HostOutcome::Panic
    );
    assert_eq!(
        call(&mut c, &mut m, id::BLESS, &[1, RW, 6, 7, RW, u64::MAX]),
        HostOutcome::Panic
    );
}

#[test]
fn assign_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &[0xaa; 32 * AUTH_QUEUE_SIZE]);
    ok(call(&mut c, &mut m, id::ASSIGN, &[0, RW, 42]));
    assert_eq!(m.regs[7], OK);
    assert_eq!(c.auth_queue[&0][0], [0xaa; 32]);
    assert_eq!(c.privileges.assign[0], 42);
    // no longer the assigner of core 0, never of core 1
    ok(call(&mut c, &mut m, id::ASSIGN, &[0, RW, 42]));
    assert_eq!(m.regs[7], HUH);
    ok(call(&mut c, &mut m, id::ASSIGN, &[1, RW, 42]));
    assert_eq!(m.regs[7], HUH);
    ok(call(&mut c, &mut m, id::ASSIGN, &[2, RW, 42]));
    assert_eq!(m.regs[7], CORE);
    let st = state();
    let mut c = ctx(&st, &[]);
    ok(call(&mut c, &mut m, id::ASSIGN, &[0, RW, 1 << 32]));
    assert_eq!(m.regs[7], WHO);
    assert_eq!(
        call(&mut c, &mut m, id::ASSIGN, &[0, RO + 4000, 42]),
        HostOutcome::Panic
    );
}

#[test]
fn designate_outcomes() {
    let mut st = state();
    let mut m = machine(1000);
    put(&mut m, RW, &[3; 336 * 6]);
    {
        let mut c = ctx(&st, &[]);
        ok(call(&mut c, &mut m, id::DESIGNATE, &[RW]));
        assert_eq!(m.regs[7], OK);
        assert_eq!(c.staging_set.as_ref().unwrap()[5].ed25519, [3; 32]);
        assert_eq!(
            call(&mut c, &mut m, id::DESIGNATE, &[RO + 3000]),
            HostOutcome::Panic
        );
    }
    st.privileges.designate = OTHER;
    let mut c = ctx(&st, &[]);
    ok(call(&mut c, &mut m, id::DESIGNATE, &[RW]));
    assert_eq!(m.regs[7], HUH);
    assert!(c.staging_set.is_none());
}

#[test]
fn checkpoint_and_rollback() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, b"key");
    put(&mut m, RW + 10, &[0x11; 32]);
    ok(call(&mut c, &mut m, id::WRITE, &[RW, 3, RW + 10, 1]));
    ok(call(&mut c, &mut m, id::CHECKPOINT, &[]));
    assert_eq!(m.regs[7], m.gas as u64);
    let saved = c.own.clone();
    ok(call(&mut c, &mut m, id::WRITE, &[RW, 3, 0, 0]));
    ok(call(&mut c, &mut m, id::YIELD, &[RW + 10]));
    ok(call(&mut c, &mut m, id::SOLICIT, &[RW + 10, 4]));
    c.rollback();
    assert_eq!(c.own, saved);
    assert_eq!(c.own_view().storage(b"key"), Some(&[0x11][..]));
    assert_eq!(c.yield_hash, None);
}

#[test]
fn new_outcomes() {
    let st = state();
    let mut m = machine(1000);
    put(&mut m, RW, &[0xcc; 32]);
    let mut c = ctx(&st, &[]);
    let first = c.next_free_id;
    assert!(first >= MIN_PUBLIC_SERVICE_INDEX);
    // the registrar asking for a public index gets the next free one
    ok(call(&mut c, &mut m, id::NEW, &[RW, 100, 1, 2, 0, u64::MAX]));
    assert_eq!(m.regs[7], first as u64);
    let a = &c.created[&first];
    // threshold: 100 + 10·2 + (81 + 100)
    assert_eq!(a.info.balance, 301);
    assert_eq!(a.info.parent_service, ME);
    assert_eq!(a.request(first, &[0xcc; 32], 100), Some(vec![]));
    assert_eq!(a.items.len(), 1);
    assert_eq!(c.own.info.balance, 10_000 - 301);
    let step = MIN_PUBLIC_SERVICE_INDEX as u64
        + (first as u64 - MIN_PUBLIC_SERVICE_INDEX as u64 + 42)
            % ((1 << 32) - MIN_PUBLIC_SERVICE_INDEX as u64 - 256);
    assert_eq!(c.next_free_id as u64, step);
    // registrar with a protected index: FULL if taken, else that index
    ok(call(
        &mut c,
        &mut m,
        id::NEW,
        &[RW, 100, 1, 2, 0, OTHER as u64],
    ));
    assert_eq!(m.regs[7], FULL);
    ok(call(&mut c, &mut m, id::NEW, &[RW, 100, 1, 2, 0, 7]));
    assert_eq!(m.regs[7], 7);
    // gratis storage from a non-manager: HUH; too little balance: CASH
    let mut st2 = state();
    st2.privileges.bless = OTHER;
    let mut c2 = ctx(&st2, &[]);
    ok(call(&mut c2, &mut m, id::NEW, &[RW, 100, 1, 2, 5, 0]));
    assert_eq!(m.regs[7], HUH);
    ok(call(&mut c2, &mut m, id::NEW, &[RW, 9_900, 1, 2, 0, 0]));
    assert_eq!(m.regs[7], CASH);
    // a length of 2^32 or an unreadable hash: panic
    assert_eq!(
        call(&mut c2, &mut m, id::NEW, &[RW, 1 << 32, 1, 2, 0, 0]),
        HostOutcome::Panic
    );
    assert_eq!(
        call(&mut c2, &mut m, id::NEW, &[BAD, 1, 1, 2, 0, 0]),
        HostOutcome::Panic
    );
}

#[test]
fn new_service_indices() {
    let st = state();
    let cand = initial_index_candidate(ME, &[7; 32], SLOT);
    assert!(cand >= MIN_PUBLIC_SERVICE_INDEX);
    assert_eq!(ctx(&st, &[]).next_free_id, cand);
    // check steps past taken indices, wrapping within the public range
    let top = u32::MAX - 256;
    let mut taken = Accounts::new(empty_base());
    taken.insert(top, ServiceAccount::default());
    assert_eq!(check_index(&taken, top), MIN_PUBLIC_SERVICE_INDEX);
    assert_eq!(check_index(&taken, 70_000), 70_000);
}

#[test]
fn upgrade_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &[0xdd; 32]);
    ok(call(&mut c, &mut m, id::UPGRADE, &[RW, 11, 12]));
    assert_eq!(m.regs[7], OK);
    assert_eq!(
        (
            c.own.info.code_hash,
            c.own.info.min_item_gas,
            c.own.info.min_memo_gas
        ),
        ([0xdd; 32], 11, 12)
    );
    assert_eq!(
        call(&mut c, &mut m, id::UPGRADE, &[BAD, 1, 1]),
        HostOutcome::Panic
    );
}

#[test]
fn transfer_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    ok(call(
        &mut c,
        &mut m,
        id::TRANSFER,
        &[OTHER as u64, 100, 60, RW],
    ));
    assert_eq!(m.regs[7], OK);
    assert_eq!(m.gas, 1000 - 70, "g = 10 + l");
    assert_eq!(c.own.info.balance, 9_900);
    assert_eq!(c.transfers.len(), 1);
    assert_eq!((c.transfers[0].dest, c.transfers[0].gas), (OTHER, 60));
    ok(call(&mut c, &mut m, id::TRANSFER, &[999, 100, 60, RW]));
    assert_eq!(m.regs[7], WHO);
    ok(call(
        &mut c,
        &mut m,
        id::TRANSFER,
        &[OTHER as u64, 100, 49, RW],
    ));
    assert_eq!(m.regs[7], LOW);
    assert_eq!(m.gas, 1000 - 90, "a failed transfer costs 10");
    ok(call(
        &mut c,
        &mut m,
        id::TRANSFER,
        &[OTHER as u64, 9_900, 60, RW],
    ));
    assert_eq!(m.regs[7], CASH);
    assert_eq!(
        call(
            &mut c,
            &mut m,
            id::TRANSFER,
            &[OTHER as u64, 1, 60, RO + 4000]
        ),
        HostOutcome::Panic
    );
    let mut m = machine(69);
    assert_eq!(
        call(&mut c, &mut m, id::TRANSFER, &[OTHER as u64, 1, 60, RW]),
        HostOutcome::OutOfGas
    );
    assert_eq!(c.transfers.len(), 1);
}

#[test]
fn eject_outcomes() {
    let h = [0xee; 32];
    let mut st = state();
    let victim = |s: u32, l: &[u32]| {
        let mut a = ServiceAccount::default();
        a.info.code_hash[..4].copy_from_slice(&ME.to_le_bytes());
        a.info.balance = 500;
        a.insert_request(s, &h, 1000, l);
        a
    };
    st.accounts.insert(300, victim(300, &[1, 10]));
    st.accounts.insert(301, victim(301, &[1, 90]));
    let mut busy = victim(302, &[1, 10]);
    busy.insert_storage(302, &[1], vec![2]);
    st.accounts.insert(302, busy);
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &h);
    ok(call(&mut c, &mut m, id::EJECT, &[OTHER as u64, RW]));
    assert_eq!(m.regs[7], WHO, "code hash is not E_32(x_s)");
    ok(call(&mut c, &mut m, id::EJECT, &[ME as u64, RW]));
    assert_eq!(m.regs[7], WHO, "not itself");
    ok(call(&mut c, &mut m, id::EJECT, &[301, RW]));
    assert_eq!(m.regs[7], HUH, "not yet expunged: 90 >= 100 - 32");
    ok(call(&mut c, &mut m, id::EJECT, &[302, RW]));
    assert_eq!(m.regs[7], HUH, "more than two items");
    ok(call(&mut c, &mut m, id::EJECT, &[300, RW]));
    assert_eq!(m.regs[7], OK);
    assert!(!c.exists(300));
    assert_eq!(c.own.info.balance, 10_500);
    ok(call(&mut c, &mut m, id::EJECT, &[300, RW]));
    assert_eq!(m.regs[7], WHO, "already gone");
    assert_eq!(
        call(&mut c, &mut m, id::EJECT, &[301, BAD]),
        HostOutcome::Panic
    );
}

#[test]
fn query_outcomes() {
    let mut st = state();
    let me = &mut st.accounts;
    for (n, l) in [
        (0u32, vec![]),
        (1, vec![5]),
        (2, vec![5, 6]),
        (3, vec![5, 6, 7]),
    ] {
        set_request(me, ME, &[n as u8; 32], 9, &l);
    }
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    let expect = [
        (0, 0),
        (1 + (5 << 32), 0),
        (2 + (5 << 32), 6),
        (3 + (5 << 32), 6 + (7 << 32)),
    ];
    for (n, (r7, r8)) in expect.into_iter().enumerate() {
        put(&mut m, RW, &[n as u8; 32]);
        ok(call(&mut c, &mut m, id::QUERY, &[RW, 9]));
        assert_eq!((m.regs[7], m.regs[8]), (r7, r8));
    }
    ok(call(&mut c, &mut m, id::QUERY, &[RW, 10]));
    assert_eq!((m.regs[7], m.regs[8]), (NONE, 0));
    assert_eq!(
        call(&mut c, &mut m, id::QUERY, &[BAD, 9]),
        HostOutcome::Panic
    );
}

#[test]
fn solicit_outcomes() {
    let mut st = state();
    set_request(&mut st.accounts, ME, &[2; 32], 9, &[5, 6]);
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    let before = c.own.info;
    put(&mut m, RW, &[1; 32]);
    ok(call(&mut c, &mut m, id::SOLICIT, &[RW, 9]));
    assert_eq!(m.regs[7], OK);
    assert_eq!(c.own_view().request(&[1; 32], 9), Some(vec![]));
    assert_eq!(c.own.info.items, before.items + 2);
    assert_eq!(c.own.info.bytes, before.bytes + 81 + 9);
    ok(call(&mut c, &mut m, id::SOLICIT, &[RW, 9]));
    assert_eq!(m.regs[7], HUH, "already requested");
    put(&mut m, RW, &[2; 32]);
    ok(call(&mut c, &mut m, id::SOLICIT, &[RW, 9]));
    assert_eq!(m.regs[7], OK);
    assert_eq!(c.own_view().request(&[2; 32], 9), Some(vec![5, 6, SLOT]));
    ok(call(&mut c, &mut m, id::SOLICIT, &[RW, 1_000_000]));
    assert_eq!(m.regs[7], FULL);
    // Regression (GP B.7, Ω_S): a z beyond 32 bits is a new request whose 81 + z octets the
    // balance must cover: FULL, not HUH.
    for z in [1 << 32, u64::MAX - 80, u64::MAX] {
        ok(call(&mut c, &mut m, id::SOLICIT, &[RW, z]));
        assert_eq!(m.regs[7], FULL, "z = {z}");
    }
    assert_eq!(c.own.info, {
        let mut i = before;
        i.items += 2;
        i.bytes += 81 + 9;
        i
    });
    assert_eq!(
        call(&mut c, &mut m, id::SOLICIT, &[BAD, 9]),
        HostOutcome::Panic
    );
}

/// A balance large enough for a request of 2^32 octets or more: the request cannot be stored
/// (no state key for such a length), answered HUH, nothing changed.
#[test]
fn solicit_of_an_unrepresentable_length_with_the_balance_for_it() {
    let mut st = state();
    let mut info = st.accounts.info(ME).unwrap();
    info.balance = u64::MAX;
    st.accounts.set_info(ME, info);
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &[1; 32]);
    ok(call(&mut c, &mut m, id::SOLICIT, &[RW, 1 << 32]));
    assert_eq!(m.regs[7], HUH);
    assert_eq!(c.own.info, info);
}

#[test]
fn forget_outcomes() {
    let mut st = state();
    let me = &mut st.accounts;
    let cases: [(u8, Vec<u32>); 6] = [
        (0, vec![]),
        (1, vec![5]),
        (2, vec![5, 60]),
        (3, vec![5, 60, 70]),
        (4, vec![5, 80]),
        (5, vec![5, 80, 90]),
    ];
    for (n, l) in &cases {
        set_request(me, ME, &[*n; 32], 9, l);
        let mut info = me.info(ME).unwrap();
        info.items += 2;
        info.bytes += 90;
        me.set_info(ME, info);
    }
    me.set_item(preimage_key(ME, &[0; 32]), Some(vec![0; 9]));
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    let items = c.own.info.items;
    let expect: [(u64, Option<Vec<u32>>); 6] = [
        (OK, None),
        (OK, Some(vec![5, SLOT])),
        (OK, None),
        (OK, Some(vec![70, SLOT])),
        (HUH, Some(vec![5, 80])),
        (HUH, Some(vec![5, 80, 90])),
    ];
    for (n, (code, after)) in expect.into_iter().enumerate() {
        put(&mut m, RW, &[n as u8; 32]);
        ok(call(&mut c, &mut m, id::FORGET, &[RW, 9]));
        assert_eq!(m.regs[7], code, "case {n}");
        assert_eq!(c.own_view().request(&[n as u8; 32], 9), after);
    }
    assert_eq!(c.own_view().preimage(&[0; 32]), None);
    assert_eq!(c.own.info.items, items - 4);
    ok(call(&mut c, &mut m, id::FORGET, &[RW, 10]));
    assert_eq!(m.regs[7], HUH, "no such request");
    assert_eq!(
        call(&mut c, &mut m, id::FORGET, &[BAD, 9]),
        HostOutcome::Panic
    );
}

#[test]
fn yield_outcomes() {
    let st = state();
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &[0x42; 32]);
    ok(call(&mut c, &mut m, id::YIELD, &[RW]));
    assert_eq!(m.regs[7], OK);
    assert_eq!(c.yield_hash, Some([0x42; 32]));
    assert_eq!(
        call(&mut c, &mut m, id::YIELD, &[RO + 4090]),
        HostOutcome::Panic
    );
}

#[test]
fn provide_outcomes() {
    let mut st = state();
    let blob = b"wanted".to_vec();
    let h = blake2b_256(&blob);
    set_request(&mut st.accounts, OTHER, &h, blob.len() as u32, &[]);
    let mut c = ctx(&st, &[]);
    let mut m = machine(1000);
    put(&mut m, RW, &blob);
    ok(call(&mut c, &mut m, id::PROVIDE, &[OTHER as u64, RW, 6]));
    assert_eq!(m.regs[7], OK);
    assert_eq!(c.provisions, vec![(OTHER, blob.clone())]);
    ok(call(&mut c, &mut m, id::PROVIDE, &[OTHER as u64, RW, 6]));
    assert_eq!(m.regs[7], HUH, "already provided");
    ok(call(&mut c, &mut m, id::PROVIDE, &[u64::MAX, RW, 6]));
    assert_eq!(m.regs[7], HUH, "not requested by itself");
    ok(call(&mut c, &mut m, id::PROVIDE, &[999, RW, 6]));
    assert_eq!(m.regs[7], WHO);
    assert_eq!(
        call(&mut c, &mut m, id::PROVIDE, &[OTHER as u64, BAD, 6]),
        HostOutcome::Panic
    );
}

#[test]
fn log_and_unknown_calls_return_what() {
    let st = state();
    let mut c = ctx(&st, &[]);
    for call_id in [id::LOG, 6, 13, 27, 99, u64::MAX] {
        let mut m = machine(100);
        ok(call(&mut c, &mut m, call_id, &[0]));
        assert_eq!(m.regs[7], WHAT);
        assert_eq!(m.gas, 90);
    }
    let mut m = machine(5);
    assert_eq!(call(&mut c, &mut m, 200, &[0]), HostOutcome::OutOfGas);
}

#[test]
fn codes_are_distinct() {
    let all = [OK, NONE, WHAT, OOB, WHO, FULL, CORE, CASH, LOW, HUH];
    let set: std::collections::BTreeSet<_> = all.iter().collect();
    assert_eq!(set.len(), all.len());
    // OOB is only returned by refine's peek/poke/pages, not by accumulate calls.
    assert_eq!(OOB, u64::MAX - 2);
}

/// The result codes GP B.6–B.7 list for each call (after `ω'_7` for the calls that return a
/// value rather than a code, the value's range).
fn allowed(call: u64, r7: u64, r8_before: u64, r8: u64) -> bool {
    let small = r7 < 1 << 32;
    match call {
        id::GAS | id::CHECKPOINT => true,
        id::FETCH | id::LOOKUP | id::READ => r7 == NONE || small,
        id::WRITE => r7 == NONE || r7 == FULL || small,
        id::INFO => r7 == NONE || r7 == 96,
        id::BLESS => [OK, WHO].contains(&r7),
        id::ASSIGN => [OK, CORE, HUH, WHO].contains(&r7),
        id::DESIGNATE | id::FORGET => [OK, HUH].contains(&r7),
        id::NEW => [CASH, HUH, FULL].contains(&r7) || small,
        id::UPGRADE | id::YIELD => r7 == OK,
        id::TRANSFER => [OK, WHO, LOW, CASH].contains(&r7),
        id::EJECT | id::PROVIDE => [OK, WHO, HUH].contains(&r7),
        id::QUERY => (r7 == NONE && r8 == 0) || (r7 & 0xffff_ffff) <= 3,
        id::SOLICIT => [OK, HUH, FULL].contains(&r7),
        _ => r7 == WHAT && r8 == r8_before,
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn register() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..64,
            (0u64..4 * 4096).prop_map(|o| RW + o),
            (0u64..4096).prop_map(|o| RO + o),
            Just(BAD),
            Just(ME as u64),
            Just(OTHER as u64),
            Just(u64::MAX),
            any::<u64>(),
        ]
    }

    const CALLS: [u64; 24] = [
        id::GAS,
        id::FETCH,
        id::LOOKUP,
        id::READ,
        id::WRITE,
        id::INFO,
        id::BLESS,
        id::ASSIGN,
        id::DESIGNATE,
        id::CHECKPOINT,
        id::NEW,
        id::UPGRADE,
        id::TRANSFER,
        id::EJECT,
        id::QUERY,
        id::SOLICIT,
        id::FORGET,
        id::YIELD,
        id::PROVIDE,
        id::LOG,
        6,
        13,
        27,
        u64::MAX,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Every host call on random registers (addresses mostly in or near the mapped
        /// pages), random memory and random gas: no panic of ours, an outcome the GP allows,
        /// a result code the GP lists for that call, and no register but ω_7 (and ω_8 for
        /// `query`) changed.
        #[test]
        fn host_calls_answer_only_as_the_gp_lists(
            pick in 0usize..CALLS.len(),
            regs in proptest::collection::vec(register(), 6),
            fill in proptest::collection::vec(any::<u8>(), 0..256),
            gas in prop_oneof![0i64..20, 20i64..1_000_000],
        ) {
            let which = CALLS[pick];
            let st = state();
            let mut c = ctx(&st, &[]);
            let mut m = machine(gas);
            put(&mut m, RW, &fill);
            // ME's preimage hash, so that lookup, solicit and forget meet an entry now and then.
            put(&mut m, RW + 4096, &blake2b_256(PREIMAGE));
            let before = m.regs;
            let outcome = call(&mut c, &mut m, which, &regs);
            prop_assert!(matches!(
                outcome,
                HostOutcome::Continue | HostOutcome::Panic | HostOutcome::OutOfGas
            ));
            if outcome == HostOutcome::Continue {
                prop_assert!(
                    allowed(which, m.regs[7], regs[1], m.regs[8]),
                    "call {}: ω7 = {:#x}, ω8 = {:#x}", which, m.regs[7], m.regs[8]
                );
                for i in (0..13).filter(|i| *i != 7 && !(which == id::QUERY && *i == 8)) {
                    let want = if (7..13).contains(&i) { regs[i - 7] } else { before[i] };
                    prop_assert_eq!(m.regs[i], want, "call {} changed ω{}", which, i);
                }
            }
        }
    }
}
