//! A small chain for guaranteeing tests and the bench: an authorizer that authorizes
//! everything, a service whose refine exports segments, validators with the dev keys.
#![allow(dead_code)]

use marmalade_authoring::dev_key_set;
use marmalade_crypto::ed25519::SecretKey;
use marmalade_crypto::hash::blake2b_256;
use marmalade_da::Bundle;
use marmalade_guarantor::authorizer_hash;
use marmalade_refine::id;
use marmalade_refine::testing::Asm;
use marmalade_state::State;
use marmalade_types::{
    BlockInfo, ChainSpec, CoreIndex, EntropyBuffer, Hash, RefineContext, ServiceId, ServiceInfo,
    ValidatorData, WorkItem, WorkPackage,
};

/// The service hosting the authorization code.
pub const AUTH_HOST: ServiceId = 1;
/// The refining service.
pub const SERVICE: ServiceId = 2;
/// The anchor block.
pub const ANCHOR: Hash = [0xa0; 32];
/// The anchor's state root and BEEFY root.
pub const ANCHOR_STATE_ROOT: Hash = [0x5e; 32];
pub const ANCHOR_BEEFY_ROOT: Hash = [0xbe; 32];
/// The block's timeslot.
pub const TAU: u32 = 10;

/// The code of $\Psi_I$ authorizing everything with an empty trace.
pub fn null_authorizer() -> Vec<u8> {
    let mut a = Asm::new();
    a.load_imm(7, 0).load_imm(8, 0).halt();
    a.service_code()
}

/// Refine code exporting `n` segments, segment $k$ holding $\mathcal{E}_8(k)$ then zeros, and
/// outputting `output`.
pub fn exporter(n: u32, output: &[u8]) -> Vec<u8> {
    let mut a = Asm::new();
    let out = a.ro_data(output);
    let buf = a.rw_data(&[0; 16]);
    let (top, done) = (a.label(), a.label());
    a.load_imm(9, 0);
    a.bind(top).branch_eq_imm(9, u64::from(n), done);
    a.store_u64(9, buf)
        .load_imm(7, u64::from(buf))
        .load_imm(8, 16)
        .ecalli(id::EXPORT)
        .add_imm_64(9, 9, 1)
        .jump(top);
    a.bind(done)
        .load_imm(7, u64::from(out))
        .load_imm(8, output.len() as u64)
        .halt();
    a.service_code()
}

/// The segment [`exporter`] exports $k$-th.
pub fn exported(k: u64) -> marmalade_types::Segment {
    let mut s = Box::new([0u8; marmalade_types::constants::SEGMENT_SIZE]);
    s[..8].copy_from_slice(&k.to_le_bytes());
    s
}

/// A chain of `spec` with the authorizer in every core's pool, [`SERVICE`] running `code`
/// and validators holding the dev keys (JIP-5, `marmalade_authoring::dev_keys`).
pub struct Fixture {
    pub spec: ChainSpec,
    pub state: State,
    pub keys: Vec<SecretKey>,
    pub auth_code_hash: Hash,
    pub code_hash: Hash,
}

fn install(state: &mut State, s: ServiceId, code: Vec<u8>) -> Hash {
    let h = blake2b_256(&code);
    state.set_lookup(s, &h, code.len() as u32, Some(&[0]));
    state.set_preimage(s, &h, Some(code));
    h
}

impl Fixture {
    pub fn new(spec: ChainSpec, code: Vec<u8>) -> Fixture {
        let mut state = State::empty(&spec);
        let auth_code_hash = install(&mut state, AUTH_HOST, null_authorizer());
        let code_hash = install(&mut state, SERVICE, code);
        for (s, c) in [(AUTH_HOST, auth_code_hash), (SERVICE, code_hash)] {
            state.accounts.insert(
                s,
                ServiceInfo {
                    code_hash: c,
                    min_item_gas: 100,
                    balance: u64::MAX / 2,
                    ..Default::default()
                },
            );
        }
        let dev = dev_key_set(spec.validators);
        let validators: Vec<ValidatorData> = dev
            .iter()
            .map(|k| ValidatorData {
                bandersnatch: k.bandersnatch_public(),
                ed25519: k.ed25519_public(),
                ..ValidatorData::NULL
            })
            .collect();
        let keys: Vec<SecretKey> = dev.into_iter().map(|k| k.ed25519).collect();
        let c = &mut state.components;
        c.kappa = validators.clone().into();
        c.lambda = validators.into();
        c.eta = EntropyBuffer([[1; 32], [2; 32], [3; 32], [4; 32]]);
        c.tau = TAU - 1;
        c.beta.history = vec![BlockInfo {
            header_hash: ANCHOR,
            beefy_root: ANCHOR_BEEFY_ROOT,
            state_root: ANCHOR_STATE_ROOT,
            reported: vec![],
        }];
        let mut f = Fixture {
            spec,
            state,
            keys,
            auth_code_hash,
            code_hash,
        };
        let a = authorizer_hash(&f.package(vec![]));
        for pool in f.state.components.alpha.iter_mut() {
            pool.push(a);
        }
        f
    }

    /// A work-item of [`SERVICE`] exporting `exports` segments.
    pub fn item(&self, exports: u16, payload: &[u8]) -> WorkItem {
        WorkItem {
            service: SERVICE,
            code_hash: self.code_hash,
            refine_gas_limit: 10_000_000,
            accumulate_gas_limit: 1_000,
            export_count: exports,
            payload: payload.to_vec(),
            import_segments: vec![],
            extrinsic: vec![],
        }
    }

    /// A package of `items` authorized by the null authorizer, anchored at [`ANCHOR`].
    pub fn package(&self, items: Vec<WorkItem>) -> WorkPackage {
        WorkPackage {
            auth_code_host: AUTH_HOST,
            auth_code_hash: self.auth_code_hash,
            context: RefineContext {
                anchor: ANCHOR,
                state_root: ANCHOR_STATE_ROOT,
                beefy_root: ANCHOR_BEEFY_ROOT,
                lookup_anchor: ANCHOR,
                lookup_anchor_slot: TAU - 1,
                prerequisites: vec![],
            },
            authorization: vec![],
            authorizer_config: vec![],
            items,
        }
    }

    /// The bundle of `package` with no extrinsics and no imports.
    pub fn bundle(&self, package: WorkPackage) -> Bundle {
        Bundle {
            package,
            extrinsics: vec![],
            imports: vec![],
            justifications: vec![],
        }
    }

    /// The validators assigned to `core` at [`TAU`] (GP (11.19)).
    pub fn guarantors(&self, core: CoreIndex) -> Vec<usize> {
        let cores = marmalade_stf::reports::guarantor_assignments(
            &self.spec,
            &self.state.components.eta[2],
            TAU,
        );
        (0..self.spec.validators)
            .filter(|&v| cores[v] == core)
            .collect()
    }
}
