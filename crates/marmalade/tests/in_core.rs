//! In core to on chain, end to end: a work report for the trace sets' bootstrap service is
//! guaranteed in one block (GP (11.18)–(11.43)), assured by a super-majority in the next
//! (GP (11.10)–(11.17)), and accumulated there (GP section 12), after which the service's
//! storage holds what its accumulate code makes of the report's output. The blocks are
//! authored with the JIP-5 development keys (`marmalade_authoring`), which the trace genesis
//! validators hold, and imported through [`Chain`].
//!
//! The bootstrap service (service 0 of the `storage` trace genesis) outputs `0x01 ++ payload`
//! from refine, and its accumulate runs the payload as an instruction. Two are used here,
//! both read off the `storage` trace: `0x16 0x00 n ++ h_1 … h_n` (n raw 32-octet hashes)
//! writes each $h_i$ under the key $h_i$ (the trace's block 7 accumulates the ten hashes of
//! such an output, and its post-state holds the items $C(0, h_i) \mapsto h_i$), and
//! `0x05 n ++ (0x20 ++ h_i)…` deletes the items with keys $h_i$ (blocks 8 and 10 of the trace
//! remove items so named).
//!
//! The report is the guarantor's: the work-package (one item for the bootstrap service, the
//! genesis's null authorizer) is refined on the head's state and made a report by
//! `marmalade_guarantor::build_report` (Ψ_I, Ψ_R and Ξ, GP (B.1), (B.5), (14.12)), signed by
//! the core's assigned guarantors; each assurer first checks its shards of the package
//! against the report's erasure root.

use marmalade_authoring::{assurance, bitfield, dev_key_set, slot_author, Author, ValidatorKeys};
use marmalade_chain::Chain;
use marmalade_conformance::trace::{find_null_authorizer, load_genesis};
use marmalade_crypto::hash::blake2b_256;
use marmalade_da::verify_shards;
use marmalade_guarantor::{
    build_report, guarantee, package_hash, sign_report, Bundle, CodeCache, GuaranteedWork,
    NoSegmentRoots,
};
use marmalade_state::{ServiceItems, State, StateReader};
use marmalade_stf::reports::guarantors::GuarantorAssignments;
use marmalade_stf::safrole;
use marmalade_types::{
    ChainSpec, CoreIndex, Extrinsic, Hash, HeaderHash, RefineContext, ReportGuarantee, ServiceId,
    TimeSlot, ValidatorIndex, WorkExecResult, WorkItem, WorkPackage, WorkReport,
};
use std::sync::Arc;

const SPEC: ChainSpec = ChainSpec::TINY;
/// The bootstrap service's index in the trace genesis.
const SERVICE: ServiceId = 0;
/// The accumulate gas of each item (the `storage` trace's reports use this much).
const ACCUMULATE_GAS: u64 = 5_000_000;

/// A chain on the `storage` trace genesis, extended by blocks authored with the dev keys.
struct Harness {
    chain: Chain,
    keys: Vec<ValidatorKeys>,
    head: HeaderHash,
    head_slot: TimeSlot,
    /// Decoded service code for refine.
    cache: CodeCache,
}

impl Harness {
    fn new() -> Self {
        let g = load_genesis("storage");
        // GP (11.35): lookup anchors within L blocks, checked against the chain's ancestry.
        let mut chain = Chain::new(SPEC, SPEC.max_lookup_anchor_age as usize);
        chain
            .initialize(&g.header, g.state.key_values(), Some(&[]))
            .expect("genesis initializes");
        let keys = dev_key_set(SPEC.validators);
        Harness {
            chain,
            keys,
            head: g.header.hash(),
            head_slot: g.header.slot,
            cache: CodeCache::new(),
        }
    }

    fn state(&self) -> Arc<State> {
        self.chain
            .state(&self.head)
            .expect("store")
            .expect("head state")
    }

    /// Authors the block at `slot` on the head with `extrinsic`, by whichever dev key may
    /// seal the slot, and imports it.
    fn extend(&mut self, slot: TimeSlot, extrinsic: Extrinsic) {
        let state = self.state();
        let root = self
            .chain
            .state_root(&self.head)
            .expect("store")
            .expect("head root");
        let who = slot_author(&SPEC, &*state, slot, &self.keys)
            .unwrap_or_else(|| panic!("no dev key may seal slot {slot}"));
        let block = Author::new(self.keys[who].clone())
            .seal_block(&SPEC, &*state, &root, &self.head, slot, extrinsic)
            .expect("block sealed");
        self.chain.import(&block).expect("authored block imports");
        self.head = block.header.hash();
        self.head_slot = slot;
    }

    /// The guarantee of `report` in a block at `slot` on the head: signed by the validators
    /// the report's core is assigned to in that slot's rotation, $\mathbf{M} = (P(\eta'_2,
    /// \tau'), \Phi(\kappa'))$ (GP (11.19)–(11.21)), credentials ordered by validator index
    /// (GP (11.25)), each over $\mathsf{X}_G \frown \mathcal{H}(\mathcal{E}(\mathbf{r}))$
    /// (GP (11.26)), by the guarantor's `sign_report` and `guarantee`.
    fn guarantee(&self, report: WorkReport, slot: TimeSlot) -> ReportGuarantee {
        let state = self.state();
        let c = state.components();
        let saf = safrole::transition(
            &SPEC,
            &safrole::Prior::of(c, &c.psi.offenders),
            slot,
            &[0; 32],
            &[],
        )
        .expect("safrole posterior");
        let m = GuarantorAssignments::current(&SPEC, &saf.eta, slot, saf.kappa, &c.psi.offenders);
        let signatures: Vec<_> = (0..SPEC.validators)
            .filter(|&v| m.get(v).map(|(core, _)| core) == Some(report.core_index))
            .map(|v| {
                let signature = sign_report(&report, &self.keys[v].ed25519);
                (v as ValidatorIndex, signature)
            })
            .collect();
        // GP (11.25): two or three credentials; tiny has V/C = 3 guarantors per core.
        assert_eq!(signatures.len(), 3);
        guarantee(report, slot, signatures).expect("a guarantee")
    }

    /// The assurances of every validator that `cores`' reports are available, anchored on
    /// the head (GP (11.11)–(11.13)).
    fn assurances(&self, cores: &[usize]) -> Vec<marmalade_types::AvailAssurance> {
        let f = bitfield(&SPEC, cores).expect("cores in range");
        self.keys
            .iter()
            .enumerate()
            .map(|(v, k)| {
                assurance(&SPEC, &self.head, &f, v as ValidatorIndex, &k.ed25519)
                    .expect("assurance")
            })
            .collect()
    }

    /// Service `SERVICE`'s storage item with key `k` at the head.
    fn storage(&self, k: &[u8]) -> Option<Vec<u8>> {
        self.state().storage(SERVICE, k).map(<[u8]>::to_vec)
    }
}

/// The authorization code host and code hash: a service preimage $c$ whose authorizer with
/// the empty configuration, $\mathcal{H}(\mathcal{H}(c) \frown [])$ (GP (14.10)), is in
/// `core`'s pool $\alpha$ (the genesis's null authorizer).
fn null_authorizer(state: &State, core: CoreIndex) -> (ServiceId, Hash) {
    state.components.alpha[usize::from(core)]
        .iter()
        .find_map(|a| find_null_authorizer(state, a))
        .unwrap_or_else(|| {
            panic!("no authorizer code with an empty configuration in core {core}'s pool")
        })
}

/// The work-report of a package with one item, `payload` for the bootstrap service, on
/// `core`: refined on the head's state by the guarantor (`build_report`), its context
/// anchored on the head (anchor and lookup anchor, GP (11.33)–(11.35)). The service's refine
/// outputs `0x01 ++ payload`. With the report come the shards each validator is sent
/// (GP (14.16)–(14.17)).
fn refined_work(h: &Harness, core: CoreIndex, payload: &[u8]) -> GuaranteedWork {
    let state = h.state();
    let c = state.components();
    let last = c.beta.history.last().expect("recent history");
    assert_eq!(last.header_hash, h.head);
    let context = RefineContext {
        anchor: h.head,
        // β† sets the parent's state root (GP (7.5)): the head's posterior root.
        state_root: h.chain.state_root(&h.head).unwrap().unwrap(),
        beefy_root: last.beefy_root,
        lookup_anchor: h.head,
        lookup_anchor_slot: h.head_slot,
        prerequisites: Vec::new(),
    };
    let (auth_code_host, auth_code_hash) = null_authorizer(&state, core);
    let info = state
        .service_info(SERVICE)
        .expect("bootstrap service exists");
    let bundle = Bundle {
        package: WorkPackage {
            auth_code_host,
            auth_code_hash,
            context,
            authorization: Vec::new(),
            authorizer_config: Vec::new(),
            items: vec![WorkItem {
                service: SERVICE,
                code_hash: info.code_hash,
                refine_gas_limit: SPEC.refine_gas / 2,
                accumulate_gas_limit: ACCUMULATE_GAS,
                export_count: 0,
                payload: payload.to_vec(),
                import_segments: Vec::new(),
                extrinsic: Vec::new(),
            }],
        },
        extrinsics: Vec::new(),
        imports: Vec::new(),
        justifications: Vec::new(),
    };
    let work = build_report(&SPEC, &*state, core, &bundle, &NoSegmentRoots, &h.cache)
        .expect("the package is refined into a report");
    let report = &work.report;
    assert_eq!(report.core_index, core);
    assert_eq!(report.package_spec.hash, package_hash(&bundle.package));
    assert_eq!(report.results.len(), 1);
    assert_eq!(
        report.results[0].result,
        WorkExecResult::Ok([&[1u8][..], payload].concat()),
        "the bootstrap service's refine outputs 0x01 ++ payload"
    );
    assert_eq!(work.availability.shards.len(), SPEC.validators);
    work
}

/// `0x16 0x00 n ++ h_1 … h_n`: write each hash under itself.
fn write_payload(hashes: &[[u8; 32]]) -> Vec<u8> {
    let mut p = vec![0x16, 0x00, hashes.len() as u8];
    for h in hashes {
        p.extend_from_slice(h);
    }
    p
}

/// `0x05 n ++ (0x20 ++ h_i)…`: delete the items keyed by the hashes.
fn delete_payload(hashes: &[[u8; 32]]) -> Vec<u8> {
    let mut p = vec![0x05, hashes.len() as u8];
    for h in hashes {
        p.push(32);
        p.extend_from_slice(h);
    }
    p
}

/// Guarantees `report` in a block at the next slot: the report is then pending availability
/// on its core ($\rho'$, GP (11.43)).
fn guarantee_block(h: &mut Harness, report: WorkReport) {
    let core = usize::from(report.core_index);
    let slot = h.head_slot + 1;
    let g = h.guarantee(report, slot);
    let xt = Extrinsic {
        guarantees: vec![g],
        ..Default::default()
    };
    h.extend(slot, xt);
    assert!(
        h.state().components().rho[core].is_some(),
        "the report is pending availability on its core"
    );
}

/// A block at the next slot with the assurances of validators `assurers` for the core of
/// `work`: each assures only once its shards check against the report's erasure root (what
/// it receives over CE 137; the assurance is a claim to hold them, GP (11.10)).
fn assure_block(h: &mut Harness, work: &GuaranteedWork, assurers: &[usize]) {
    let core = usize::from(work.report.core_index);
    let root = work.report.package_spec.erasure_root;
    for &v in assurers {
        verify_shards(&root, v, SPEC.validators, &work.availability.shards[v])
            .unwrap_or_else(|e| panic!("validator {v}'s shards: {e}"));
    }
    let xt = Extrinsic {
        assurances: h
            .assurances(&[core])
            .into_iter()
            .filter(|a| assurers.contains(&usize::from(a.validator_index)))
            .collect(),
        ..Default::default()
    };
    h.extend(h.head_slot + 1, xt);
}

#[test]
fn refined_report_is_accumulated() {
    let mut h = Harness::new();
    let key = blake2b_256(b"in-core end to end");
    assert_eq!(h.storage(&key), None);

    // Write: guaranteed at slot 1; assured by all six validators and accumulated at slot 2.
    let work = refined_work(&h, 0, &write_payload(&[key]));
    let package = work.report.package_spec.hash;
    guarantee_block(&mut h, work.report.clone());
    assert_eq!(
        h.storage(&key),
        None,
        "nothing accumulated before availability"
    );
    assure_block(&mut h, &work, &[0, 1, 2, 3, 4, 5]);
    assert!(h.state().components().rho[0].is_none(), "the report left ρ");
    assert_eq!(h.storage(&key), Some(key.to_vec()));
    let state = h.state();
    assert!(
        state
            .components()
            .xi
            .last()
            .is_some_and(|last| last.contains(&package)),
        "the package is in the accumulated history ξ"
    );

    // Delete, on the other core. Four assurances of six are not more than 2V/3 (GP (11.16)):
    // the report stays pending and the item stays; a fifth makes it available.
    let work = refined_work(&h, 1, &delete_payload(&[key]));
    guarantee_block(&mut h, work.report.clone());
    // A shard that is not the one sent does not check: its holder would not assure.
    let mut wrong = work.availability.shards[4].clone();
    wrong.bundle_shard[0] ^= 1;
    assert!(verify_shards(
        &work.report.package_spec.erasure_root,
        4,
        SPEC.validators,
        &wrong
    )
    .is_err());
    assure_block(&mut h, &work, &[0, 1, 2, 3]);
    assert!(h.state().components().rho[1].is_some(), "still pending");
    assert_eq!(h.storage(&key), Some(key.to_vec()));
    assure_block(&mut h, &work, &[0, 1, 2, 3, 5]);
    assert!(h.state().components().rho[1].is_none(), "the report left ρ");
    assert_eq!(h.storage(&key), None);
}
