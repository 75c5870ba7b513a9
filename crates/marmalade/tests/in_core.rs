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
//! The report comes from [`stand_in_report`]: a report of the `storage` trace with its
//! context re-anchored on this chain and its one digest's output replaced. It stands where
//! the guarantor's report (refine of a package for the same service) will go.

use marmalade_authoring::{assurance, bitfield, dev_keys, slot_author, Author, ValidatorKeys};
use marmalade_chain::Chain;
use marmalade_conformance::trace::{Genesis, TraceStep};
use marmalade_crypto::hash::blake2b_256;
use marmalade_state::{ServiceItems, State, StateReader};
use marmalade_stf::reports::{guarantee_message, guarantors::GuarantorAssignments};
use marmalade_stf::safrole;
use marmalade_types::{
    decode_all, ChainSpec, CoreIndex, DisputesExtrinsic, Extrinsic, HeaderHash, ReportGuarantee,
    TimeSlot, ValidatorIndex, ValidatorSignature, WorkExecResult, WorkReport,
};
use std::path::PathBuf;
use std::sync::Arc;

const SPEC: ChainSpec = ChainSpec::TINY;
/// The bootstrap service's index in the trace genesis.
const SERVICE: u32 = 0;

fn trace_dir() -> PathBuf {
    marmalade_conformance::vectors_root().join("jam-test-vectors/traces/storage")
}

fn load<T: marmalade_types::Decode>(name: &str) -> T {
    let path = trace_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "trace vector {} missing ({e}): unpack the vectors",
            path.display()
        )
    });
    decode_all(&bytes, SPEC.seq_lens()).expect("trace vector decodes")
}

fn empty_extrinsic() -> Extrinsic {
    Extrinsic {
        tickets: Vec::new(),
        preimages: Vec::new(),
        guarantees: Vec::new(),
        assurances: Vec::new(),
        disputes: DisputesExtrinsic::default(),
    }
}

/// A chain on the `storage` trace genesis, extended by blocks authored with the dev keys.
struct Harness {
    chain: Chain,
    keys: Vec<ValidatorKeys>,
    head: HeaderHash,
    head_slot: TimeSlot,
}

impl Harness {
    fn new() -> Self {
        let g: Genesis = load("genesis.bin");
        // GP (11.35): lookup anchors within L blocks, checked against the chain's ancestry.
        let mut chain = Chain::new(SPEC, SPEC.max_lookup_anchor_age as usize);
        chain
            .initialize(&g.header, g.state.key_values(), Some(&[]))
            .expect("genesis initializes");
        let keys: Vec<ValidatorKeys> = (0..SPEC.validators as u32).map(dev_keys).collect();
        Harness {
            chain,
            keys,
            head: g.header.hash(),
            head_slot: g.header.slot,
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
    /// (GP (11.26)).
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
        let message = guarantee_message(&report);
        let signatures: Vec<ValidatorSignature> = (0..SPEC.validators)
            .filter(|&v| m.get(v).map(|(core, _)| core) == Some(report.core_index))
            .take(3)
            .map(|v| ValidatorSignature {
                validator_index: v as ValidatorIndex,
                signature: self.keys[v].ed25519.sign(&message),
            })
            .collect();
        assert!(signatures.len() >= 2, "a core has at least two guarantors");
        ReportGuarantee {
            report,
            slot,
            signatures,
        }
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

/// A stand-in for the guarantor's report: the `storage` trace's report of block 2 (a report
/// of the bootstrap service), anchored on the head (its context's anchor and lookup anchor,
/// GP (11.33)–(11.35)), on `core`, with one digest whose refine output is `0x01 ++ payload`
/// (what the bootstrap service's refine makes of `payload`). The package hash is made unique
/// per payload (GP (11.38) refuses a package twice).
fn stand_in_report(h: &Harness, core: CoreIndex, payload: &[u8]) -> WorkReport {
    let step: TraceStep = load("00000002.bin");
    let mut report = step
        .block
        .extrinsic
        .guarantees
        .first()
        .expect("block 2 of the storage trace carries a guarantee")
        .report
        .clone();
    let state = h.state();
    let c = state.components();
    let last = c.beta.history.last().expect("recent history");
    assert_eq!(last.header_hash, h.head);
    report.context.anchor = h.head;
    // β† sets the parent's state root (GP (7.5)): the head's posterior root.
    report.context.state_root = h.chain.state_root(&h.head).unwrap().unwrap();
    report.context.beefy_root = last.beefy_root;
    report.context.lookup_anchor = h.head;
    report.context.lookup_anchor_slot = h.head_slot;
    report.context.prerequisites.clear();
    report.core_index = core;
    // GP (11.29): the authorizer is in the core's pool.
    assert!(c.alpha[usize::from(core)].contains(&report.authorizer_hash));
    report.package_spec.hash = blake2b_256(&[b"stand-in package".as_slice(), payload].concat());
    let info = state
        .service_info(SERVICE)
        .expect("bootstrap service exists");
    let mut digest = report.results[0].clone();
    digest.service_id = SERVICE;
    digest.code_hash = info.code_hash;
    digest.payload_hash = blake2b_256(payload);
    digest.result = WorkExecResult::Ok([&[1u8][..], payload].concat());
    report.results = vec![digest];
    report
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

/// Guarantees `report` in a block at the next slot and assures it in the block after, where
/// it is accumulated.
fn guarantee_and_assure(h: &mut Harness, report: WorkReport) {
    let core = usize::from(report.core_index);
    let slot = h.head_slot + 1;
    let g = h.guarantee(report, slot);
    let mut xt = empty_extrinsic();
    xt.guarantees.push(g);
    h.extend(slot, xt);
    let c = h.state();
    assert!(
        c.components().rho[core].is_some(),
        "the report is pending availability on its core"
    );
    let mut xt = empty_extrinsic();
    xt.assurances = h.assurances(&[core]);
    h.extend(h.head_slot + 1, xt);
    assert!(
        h.state().components().rho[core].is_none(),
        "the assured report left ρ"
    );
}

#[test]
fn stand_in_report_is_accumulated() {
    let mut h = Harness::new();
    let key = blake2b_256(b"in-core end to end");
    assert_eq!(h.storage(&key), None);

    // Write: guaranteed at slot 1, assured and accumulated at slot 2.
    let report = stand_in_report(&h, 0, &write_payload(&[key]));
    let package = report.package_spec.hash;
    guarantee_and_assure(&mut h, report);
    assert_eq!(h.storage(&key), Some(key.to_vec()));
    let state = h.state();
    let xi = &state.components().xi;
    assert!(
        xi.last().is_some_and(|last| last.contains(&package)),
        "the package is in the accumulated history ξ"
    );

    // Delete, on the other core: the item is gone.
    let report = stand_in_report(&h, 1, &delete_payload(&[key]));
    guarantee_and_assure(&mut h, report);
    assert_eq!(h.storage(&key), None);
}
