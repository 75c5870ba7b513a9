//! The accumulate invocation $\Psi_A$ (GP B.4, (B.9)): the implications context
//! $\mathbb{L}$ (GP (B.7)) in its regular and exceptional dimensions, the initialiser
//! $I$ with the new-service index sequence (`check`, (B.14)) and the collapse
//! $C$.
//!
//! The context works against the shared partial state $\mathbf{e}$ without copying it: the
//! regular dimension $\mathbf{x}$ is an overlay of the changes made so far (the accumulating
//! account's edits, accounts created and removed, privileges, the staging set and authorizer
//! queues it set, transfers, yield and provisions). The exceptional dimension $\mathbf{y}$ is
//! not stored separately: it is $\mathbf{x}$ minus an undo journal of the changes since the
//! last `checkpoint`. `checkpoint` ($\mathbf{y}' = \mathbf{x}$) clears the journal and a
//! panic or out-of-gas exit rolls it back, so both cost time proportional to the changes
//! made, never to the size of the state or the account.

use super::account::Accounts;
use super::partial::PartialState;
use marmalade_codec::{encode_natural, Encode};
use marmalade_crypto::hash::blake2b_256;
use marmalade_pvm::invoke_standard;
use marmalade_state::account::{decode_timeslots, encode_timeslots};
use marmalade_state::key::{lookup_key, preimage_key, storage_key, StateKey};
use marmalade_state::{ServiceAccount, ServiceItems};
use marmalade_types::constants::{MAX_SERVICE_CODE_SIZE, MEMO_SIZE, MIN_PUBLIC_SERVICE_INDEX};
use marmalade_types::{
    AuthQueue, ChainSpec, Entropy, Gas, Hash, Privileges, ServiceId, ServiceInfo, TimeSlot,
    ValidatorsData, WorkExecResult,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use marmalade_host::{CodeCache, GAS_MODEL};

/// The accumulate entry point's instruction counter (GP (B.9):
/// $\Psi_M(\mathbf{c}, 5, \dots)$).
pub const ACCUMULATE_ENTRY: u32 = 5;

/// The block environment an accumulation sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Env {
    /// $\mathbf{H}_T$ = $\tau'$: the block's timeslot.
    pub slot: TimeSlot,
    /// $\eta'_0$: the posterior entropy accumulator.
    pub entropy: Entropy,
}

/// $\mathbb{U}$ (GP (12.13)): an operand tuple, one work-digest with its report's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperandTuple {
    /// $p$: the work-package hash.
    pub package_hash: Hash,
    /// $e$: the exported-segments root.
    pub segment_root: Hash,
    /// $a$: the authorizer hash.
    pub authorizer_hash: Hash,
    /// $y$: the payload hash.
    pub payload_hash: Hash,
    /// $g$: the digest's accumulation gas limit.
    pub gas_limit: Gas,
    /// $\mathbf{l}$: the refinement result.
    pub result: WorkExecResult,
    /// $\mathbf{t}$: the authorizer trace.
    pub auth_trace: Vec<u8>,
}

/// $\mathbb{X}$ (GP (12.14)): a deferred transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredTransfer {
    /// $s$: the sender.
    pub source: ServiceId,
    /// $d$: the receiver.
    pub dest: ServiceId,
    /// $a$: the amount.
    pub amount: u64,
    /// $m$: the memo, $\mathsf{W}_T$ octets.
    pub memo: [u8; MEMO_SIZE],
    /// $g$: the gas limit.
    pub gas: Gas,
}

/// $\mathbb{I} = \mathbb{U} \cup \mathbb{X}$ (GP (12.15)): an accumulation input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccumulationInput {
    /// A work-digest's operand tuple.
    Operand(OperandTuple),
    /// A deferred transfer.
    Transfer(DeferredTransfer),
}

impl Encode for OperandTuple {
    /// $\mathcal{E}_U$ (GP C.33).
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.package_hash);
        out.extend_from_slice(&self.segment_root);
        out.extend_from_slice(&self.authorizer_hash);
        out.extend_from_slice(&self.payload_hash);
        encode_natural(self.gas_limit, out);
        self.result.encode_to(out);
        self.auth_trace.encode_to(out);
    }
}

impl Encode for DeferredTransfer {
    /// $\mathcal{E}_X$ (GP C.32).
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.source.to_le_bytes());
        out.extend_from_slice(&self.dest.to_le_bytes());
        out.extend_from_slice(&self.amount.to_le_bytes());
        out.extend_from_slice(&self.memo);
        out.extend_from_slice(&self.gas.to_le_bytes());
    }
}

impl Encode for AccumulationInput {
    /// GP C.34: a discriminator 0 (operand) or 1 (transfer), then the item.
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            AccumulationInput::Operand(o) => {
                out.push(0);
                o.encode_to(out);
            }
            AccumulationInput::Transfer(t) => {
                out.push(1);
                t.encode_to(out);
            }
        }
    }
}

/// The edits an accumulation made to one existing account, over its prior state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDelta {
    /// The account's posterior fixed part (balance, code hash, footprint, ...).
    pub info: ServiceInfo,
    /// Storage, preimage and lookup entries written (`Some`) or removed (`None`), by state
    /// key (as [`ServiceAccount::items`]).
    pub items: HashMap<StateKey, Option<Vec<u8>>>,
}

impl AccountDelta {
    /// No edits yet over an account whose fixed part is `info`.
    pub fn new(info: ServiceInfo) -> Self {
        AccountDelta {
            info,
            ..Default::default()
        }
    }

    /// Applies the edits to account `s` of `accounts`, the account they were made over.
    pub fn apply(self, s: ServiceId, accounts: &mut Accounts<'_>) {
        accounts.set_info(s, self.info);
        for (k, v) in self.items {
            accounts.set_item(k, v);
        }
    }
}

/// The posterior partial state $\mathbf{e}$ of one accumulation, as changes to the prior one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialStateChanges {
    /// The accumulating service's own account, if it exists.
    pub own: Option<AccountDelta>,
    /// Accounts created (`new`).
    pub created: BTreeMap<ServiceId, ServiceAccount>,
    /// Prior accounts removed (`eject`).
    pub removed: BTreeSet<ServiceId>,
    /// $(m, \mathbf{a}, v, r, \mathbf{z})$: the privileges as this service left them.
    pub privileges: Privileges,
    /// $\mathbf{i}$: the staging set, if `designate` set it.
    pub staging_set: Option<ValidatorsData>,
    /// $\mathbf{q}$: the authorizer queues `assign` set, by core.
    pub auth_queue: BTreeMap<usize, AuthQueue>,
}

/// $\mathbb{O}$ (GP (12.23)): the outcome of accumulating one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccumulationOutcome {
    /// $\mathbf{e}$: the posterior partial state.
    pub changes: PartialStateChanges,
    /// $\mathbf{t}$: the deferred transfers made.
    pub transfers: Vec<DeferredTransfer>,
    /// $y$: the accumulation output (yield).
    pub yield_hash: Option<Hash>,
    /// $u$: the gas used.
    pub gas_used: Gas,
    /// $\mathbf{p}$: the preimages provided, as `(service, blob)` pairs.
    pub provisions: Vec<(ServiceId, Vec<u8>)>,
}

/// One undo record of the journal: how to restore the exceptional dimension's value.
#[derive(Debug, Clone)]
pub(crate) enum Undo {
    Info(ServiceInfo),
    Item(StateKey, Option<Option<Vec<u8>>>),
    Created(ServiceId),
    RemovedPrior(ServiceId),
    RemovedCreated(ServiceId, Box<ServiceAccount>),
    Privileges(Box<Privileges>),
    StagingSet(Option<ValidatorsData>),
    AuthQueue(usize, Option<AuthQueue>),
    NextFreeId(ServiceId),
    Yield(Option<Hash>),
}

/// A read-only view of an account in the regular dimension, with its index (to compute the
/// state keys of its entries). Its accessors borrow the account's source for `'a`, not the
/// view.
#[derive(Clone, Copy)]
pub(crate) enum AccountView<'a> {
    /// An account created during this invocation.
    Created(ServiceId, &'a ServiceAccount),
    /// An account of the invocation's initial accounts $\mathbf{e}_\mathbf{d}$.
    Shared(ServiceId, ServiceInfo, &'a Accounts<'a>),
    /// The accumulating account: its edits over its initial state.
    Own(ServiceId, &'a AccountDelta, &'a Accounts<'a>),
}

impl<'a> AccountView<'a> {
    pub(crate) fn info(&self) -> ServiceInfo {
        match self {
            AccountView::Created(_, a) => a.info,
            AccountView::Shared(_, info, _) => *info,
            AccountView::Own(_, d, _) => d.info,
        }
    }

    fn id(&self) -> ServiceId {
        match self {
            AccountView::Created(s, _)
            | AccountView::Shared(s, _, _)
            | AccountView::Own(s, _, _) => *s,
        }
    }

    /// The entry at state key `key`, whatever its kind.
    pub(crate) fn item(&self, key: &StateKey) -> Option<&'a [u8]> {
        match *self {
            AccountView::Created(_, a) => a.item(key),
            AccountView::Shared(_, _, base) => base.item(key),
            AccountView::Own(_, d, base) => match d.items.get(key) {
                Some(v) => v.as_deref(),
                None => base.item(key),
            },
        }
    }

    /// $\mathbf{s}[k]$.
    pub(crate) fn storage(&self, k: &[u8]) -> Option<&'a [u8]> {
        self.item(&storage_key(self.id(), k))
    }

    /// $\mathbf{p}[h]$.
    pub(crate) fn preimage(&self, h: &Hash) -> Option<&'a [u8]> {
        self.item(&preimage_key(self.id(), h))
    }

    /// $\mathbf{l}[(h, z)]$ (absent if its value does not decode).
    pub(crate) fn request(&self, h: &Hash, z: u32) -> Option<Vec<TimeSlot>> {
        self.item(&lookup_key(self.id(), h, z))
            .and_then(decode_timeslots)
    }
}

/// The host-call context of $\Psi_A$: the pair $(\mathbf{x}, \mathbf{y}) \in \mathbb{L}^2$
/// (GP (B.7)) with the invocation's arguments.
pub(crate) struct Context<'a> {
    pub spec: &'a ChainSpec,
    pub env: Env,
    /// $\mathbf{e}$: the partial state the invocation started from (before the incoming
    /// transfers' balance, which is in `own.info`).
    pub base: &'a PartialState<'a>,
    /// $\mathbf{i}$: the invocation's inputs, for `fetch`.
    pub inputs: &'a [AccumulationInput],
    /// $\mathbf{x}_s$: the accumulating service's index.
    pub id: ServiceId,
    /// $\mathbf{x}_\mathbf{s}$: its edits.
    pub own: AccountDelta,
    pub created: BTreeMap<ServiceId, ServiceAccount>,
    pub removed: BTreeSet<ServiceId>,
    pub privileges: Privileges,
    pub staging_set: Option<ValidatorsData>,
    pub auth_queue: BTreeMap<usize, AuthQueue>,
    /// $\mathbf{x}_i$: the next free service index.
    pub next_free_id: ServiceId,
    /// $\mathbf{x}_\mathbf{t}$.
    pub transfers: Vec<DeferredTransfer>,
    /// $\mathbf{x}_y$.
    pub yield_hash: Option<Hash>,
    /// $\mathbf{x}_\mathbf{p}$, in insertion order, with its membership index.
    pub provisions: Vec<(ServiceId, Vec<u8>)>,
    pub provision_index: HashSet<(ServiceId, Hash)>,
    /// Changes since the last checkpoint, newest last: undoing them gives $\mathbf{y}$.
    journal: Vec<Undo>,
    /// $|\mathbf{y}_\mathbf{t}|$ and $|\mathbf{y}_\mathbf{p}|$ (both only grow).
    checkpoint_transfers: usize,
    checkpoint_provisions: usize,
    /// $\mathcal{E}(\updownarrow\mathbf{i})$ and where each input's encoding starts in it,
    /// made on the first `fetch` of the inputs.
    encoded_inputs: Option<(Vec<u8>, Vec<usize>)>,
}

/// `check` (GP (B.14)): the first index from `i` on, stepping within the public range,
/// that is not an account of `accounts`.
pub fn check_index(accounts: &Accounts<'_>, mut i: ServiceId) -> ServiceId {
    let s = MIN_PUBLIC_SERVICE_INDEX as u64;
    let range = (1u64 << 32) - (1 << 8) - s;
    // At most `range` steps visit every index of the range once.
    for _ in 0..range {
        if !accounts.contains(i) {
            return i;
        }
        i = (((i as u64).wrapping_sub(s).wrapping_add(1) % range) + s) as ServiceId;
    }
    i
}

/// The first candidate index of $I$ (GP (B.9)):
/// $\mathcal{E}_4^{-1}(\mathcal{H}(\mathcal{E}(s, \eta'_0, \mathbf{H}_T))) \bmod
/// (2^{32} - \mathsf{S} - 2^8) + \mathsf{S}$, with $s$ and $\mathbf{H}_T$ natural-encoded.
pub fn initial_index_candidate(s: ServiceId, entropy: &Entropy, slot: TimeSlot) -> ServiceId {
    let mut pre = Vec::with_capacity(42);
    encode_natural(s as u64, &mut pre);
    pre.extend_from_slice(entropy);
    encode_natural(slot as u64, &mut pre);
    let h = blake2b_256(&pre);
    let x = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as u64;
    let smin = MIN_PUBLIC_SERVICE_INDEX as u64;
    (x % ((1u64 << 32) - smin - (1 << 8)) + smin) as ServiceId
}

impl<'a> Context<'a> {
    /// $I(\mathbf{e}, s)^2$ (GP (B.9)) over the post-transfer account `own_info`.
    pub(crate) fn new(
        spec: &'a ChainSpec,
        env: Env,
        base: &'a PartialState<'a>,
        inputs: &'a [AccumulationInput],
        id: ServiceId,
        own_info: ServiceInfo,
    ) -> Self {
        let next_free_id = check_index(
            &base.accounts,
            initial_index_candidate(id, &env.entropy, env.slot),
        );
        Context {
            spec,
            env,
            base,
            inputs,
            id,
            own: AccountDelta::new(own_info),
            created: BTreeMap::new(),
            removed: BTreeSet::new(),
            privileges: base.privileges.clone(),
            staging_set: None,
            auth_queue: BTreeMap::new(),
            next_free_id,
            transfers: Vec::new(),
            yield_hash: None,
            provisions: Vec::new(),
            provision_index: HashSet::new(),
            journal: Vec::new(),
            checkpoint_transfers: 0,
            checkpoint_provisions: 0,
            encoded_inputs: None,
        }
    }

    /// $\mathcal{E}(\updownarrow\mathbf{i})$ with the offsets of each $\mathcal{E}(\mathbf{i}_k)$
    /// in it (and the end), encoded once per invocation.
    pub(crate) fn encoded_inputs(&mut self) -> &(Vec<u8>, Vec<usize>) {
        let inputs = self.inputs;
        self.encoded_inputs.get_or_insert_with(|| {
            let mut all = Vec::new();
            encode_natural(inputs.len() as u64, &mut all);
            let mut offsets = Vec::with_capacity(inputs.len() + 1);
            for i in inputs {
                offsets.push(all.len());
                i.encode_to(&mut all);
            }
            offsets.push(all.len());
            (all, offsets)
        })
    }

    /// The account `id` in $(\mathbf{x}_\mathbf{e})_\mathbf{d}$.
    pub(crate) fn account(&self, id: ServiceId) -> Option<AccountView<'_>> {
        if id == self.id {
            return Some(self.own_view());
        }
        if let Some(a) = self.created.get(&id) {
            return Some(AccountView::Created(id, a));
        }
        if self.removed.contains(&id) {
            return None;
        }
        let accounts = &self.base.accounts;
        accounts
            .info(id)
            .map(|info| AccountView::Shared(id, info, accounts))
    }

    /// The accumulating account's view.
    pub(crate) fn own_view(&self) -> AccountView<'_> {
        AccountView::Own(self.id, &self.own, &self.base.accounts)
    }

    /// Whether `id` is an account of $(\mathbf{x}_\mathbf{e})_\mathbf{d}$.
    pub(crate) fn exists(&self, id: ServiceId) -> bool {
        self.account(id).is_some()
    }

    /// `check` against the invocation's initial accounts $\mathbf{e}_\mathbf{d}$
    /// (GP (B.14)).
    pub(crate) fn check(&self, i: ServiceId) -> ServiceId {
        check_index(&self.base.accounts, i)
    }

    // ---- journaled mutations of the regular dimension ----

    pub(crate) fn set_info(&mut self, info: ServiceInfo) {
        let old = std::mem::replace(&mut self.own.info, info);
        self.journal.push(Undo::Info(old));
    }

    /// Sets or removes the accumulating account's entry at state key `key`.
    pub(crate) fn set_item(&mut self, key: StateKey, value: Option<Vec<u8>>) {
        let old = self.own.items.insert(key, value);
        self.journal.push(Undo::Item(key, old));
    }

    /// Sets or removes $\mathbf{s}[k]$ of the accumulating account.
    pub(crate) fn set_storage(&mut self, k: &[u8], value: Option<Vec<u8>>) {
        self.set_item(storage_key(self.id, k), value);
    }

    /// Sets or removes $\mathbf{p}[h]$ of the accumulating account.
    pub(crate) fn set_preimage(&mut self, h: &Hash, value: Option<Vec<u8>>) {
        self.set_item(preimage_key(self.id, h), value);
    }

    /// Sets or removes $\mathbf{l}[(h, z)]$ of the accumulating account.
    pub(crate) fn set_request(&mut self, h: &Hash, z: u32, value: Option<&[TimeSlot]>) {
        self.set_item(lookup_key(self.id, h, z), value.map(encode_timeslots));
    }

    pub(crate) fn create(&mut self, id: ServiceId, a: ServiceAccount) {
        self.created.insert(id, a);
        self.journal.push(Undo::Created(id));
    }

    pub(crate) fn remove(&mut self, id: ServiceId) {
        if let Some(a) = self.created.remove(&id) {
            self.journal.push(Undo::RemovedCreated(id, Box::new(a)));
        } else if self.removed.insert(id) {
            self.journal.push(Undo::RemovedPrior(id));
        }
    }

    pub(crate) fn set_privileges(&mut self, p: Privileges) {
        let old = std::mem::replace(&mut self.privileges, p);
        self.journal.push(Undo::Privileges(Box::new(old)));
    }

    pub(crate) fn set_staging_set(&mut self, v: ValidatorsData) {
        let old = self.staging_set.replace(v);
        self.journal.push(Undo::StagingSet(old));
    }

    pub(crate) fn set_auth_queue(&mut self, core: usize, q: AuthQueue) {
        let old = self.auth_queue.insert(core, q);
        self.journal.push(Undo::AuthQueue(core, old));
    }

    pub(crate) fn set_next_free_id(&mut self, i: ServiceId) {
        let old = std::mem::replace(&mut self.next_free_id, i);
        self.journal.push(Undo::NextFreeId(old));
    }

    pub(crate) fn set_yield(&mut self, h: Hash) {
        let old = self.yield_hash.replace(h);
        self.journal.push(Undo::Yield(old));
    }

    pub(crate) fn add_transfer(&mut self, t: DeferredTransfer) {
        self.transfers.push(t);
    }

    pub(crate) fn add_provision(&mut self, s: ServiceId, h: Hash, blob: Vec<u8>) {
        self.provision_index.insert((s, h));
        self.provisions.push((s, blob));
    }

    /// `checkpoint` (GP B.19, $\Omega_C$): $\mathbf{y}' = \mathbf{x}$.
    pub(crate) fn checkpoint(&mut self) {
        self.journal.clear();
        self.checkpoint_transfers = self.transfers.len();
        self.checkpoint_provisions = self.provisions.len();
    }

    /// Replaces $\mathbf{x}$ by $\mathbf{y}$, undoing every change since the last checkpoint.
    pub(crate) fn rollback(&mut self) {
        while let Some(u) = self.journal.pop() {
            match u {
                Undo::Info(i) => self.own.info = i,
                Undo::Item(k, old) => restore(&mut self.own.items, k, old),
                Undo::Created(id) => {
                    self.created.remove(&id);
                }
                Undo::RemovedPrior(id) => {
                    self.removed.remove(&id);
                }
                Undo::RemovedCreated(id, a) => {
                    self.created.insert(id, *a);
                }
                Undo::Privileges(p) => self.privileges = *p,
                Undo::StagingSet(v) => self.staging_set = v,
                Undo::AuthQueue(c, old) => restore(&mut self.auth_queue, c, old),
                Undo::NextFreeId(i) => self.next_free_id = i,
                Undo::Yield(y) => self.yield_hash = y,
            }
        }
        self.transfers.truncate(self.checkpoint_transfers);
        for (s, blob) in self.provisions.drain(self.checkpoint_provisions..) {
            self.provision_index.remove(&(s, blake2b_256(&blob)));
        }
    }

    fn into_outcome(self, gas_used: Gas, yield_hash: Option<Hash>) -> AccumulationOutcome {
        AccumulationOutcome {
            changes: PartialStateChanges {
                own: Some(self.own),
                created: self.created,
                removed: self.removed,
                privileges: self.privileges,
                staging_set: self.staging_set,
                auth_queue: self.auth_queue,
            },
            transfers: self.transfers,
            yield_hash,
            gas_used,
            provisions: self.provisions,
        }
    }
}

fn restore<K: std::hash::Hash + Ord, V>(map: &mut impl MapLike<K, V>, k: K, old: Option<V>) {
    match old {
        Some(v) => map.put(k, v),
        None => map.del(&k),
    }
}

/// The two map types the journal restores into.
trait MapLike<K, V> {
    fn put(&mut self, k: K, v: V);
    fn del(&mut self, k: &K);
}

impl<K: std::hash::Hash + Eq, V> MapLike<K, V> for HashMap<K, V> {
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
    fn del(&mut self, k: &K) {
        self.remove(k);
    }
}

impl<K: Ord, V> MapLike<K, V> for BTreeMap<K, V> {
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
    fn del(&mut self, k: &K) {
        self.remove(k);
    }
}

/// $\Psi_A(\mathbf{e}, t, s, g, \mathbf{i})$ (GP (B.9)): accumulates service `s`
/// with gas `gas` over the inputs `inputs` (incoming transfers first), from partial state
/// `state`.
///
/// The incoming transfers' amounts are credited first ($\mathbf{s}$ of (B.9)) whatever
/// happens next. A service without an account cannot be credited and is left absent (the
/// GP leaves this case undefined; the vectors drop the transfer).
pub fn accumulate_service(
    spec: &ChainSpec,
    env: Env,
    state: &PartialState<'_>,
    s: ServiceId,
    gas: Gas,
    inputs: &[AccumulationInput],
    cache: &CodeCache,
) -> AccumulationOutcome {
    let Some(info) = state.accounts.info(s) else {
        return AccumulationOutcome {
            changes: PartialStateChanges {
                privileges: state.privileges.clone(),
                ..Default::default()
            },
            ..Default::default()
        };
    };
    let incoming = inputs
        .iter()
        .map(|i| match i {
            AccumulationInput::Transfer(t) => t.amount,
            AccumulationInput::Operand(_) => 0,
        })
        .fold(0u64, u64::saturating_add);
    let mut own_info = info;
    own_info.balance = own_info.balance.saturating_add(incoming);
    let unchanged = |own_info| AccumulationOutcome {
        changes: PartialStateChanges {
            own: Some(AccountDelta::new(own_info)),
            privileges: state.privileges.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let code = state.accounts.code(s, &info.code_hash);
    let Some(code) = code.filter(|c| c.len() <= MAX_SERVICE_CODE_SIZE) else {
        return unchanged(own_info);
    };
    // Ψ_M with a blob that is not a standard program: (0, ☇), collapsing to y = I(s, s).
    let Some(init) = cache.get(&info.code_hash, code) else {
        return unchanged(own_info);
    };
    let mut args = Vec::with_capacity(16);
    encode_natural(env.slot as u64, &mut args);
    encode_natural(s as u64, &mut args);
    encode_natural(inputs.len() as u64, &mut args);
    let mut ctx = Context::new(spec, env, state, inputs, s, own_info);
    let result = invoke_standard(&init, ACCUMULATE_ENTRY, gas, &args, &mut ctx);
    // C (GP (B.9)): an exceptional halt collapses to y; a 32-octet output is the yield.
    let yield_hash = match &result.output {
        Err(_) => {
            ctx.rollback();
            ctx.yield_hash
        }
        Ok(o) => match <[u8; 32]>::try_from(&o[..]) {
            Ok(h) => Some(h),
            Err(_) => ctx.yield_hash,
        },
    };
    ctx.into_outcome(result.gas_used, yield_hash)
}
