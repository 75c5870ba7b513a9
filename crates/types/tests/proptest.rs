//! Property tests: decoding never panics, and encode/decode are inverse.

use marmalade_codec::{decode_all, Decode, Encode, Reader, SeqLens};
use marmalade_types::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use std::fmt::Debug;
use std::path::Path;
use std::sync::OnceLock;

const SPECS: [ChainSpec; 2] = [ChainSpec::TINY, ChainSpec::FULL];

/// Decodes a value from the front of `bytes` (never panicking); if that works, its encoding
/// must be exactly the bytes consumed (the encoding is canonical) and decode back to it.
fn decode_prefix_round_trip<T: Decode + Encode + PartialEq + Debug>(bytes: &[u8], lens: SeqLens) {
    let mut r = Reader::new(bytes, lens);
    if let Ok(v) = T::decode(&mut r) {
        let used = bytes.len() - r.remaining();
        let enc = v.encode();
        assert_eq!(
            &enc[..],
            &bytes[..used],
            "encoding is not the consumed input"
        );
        assert_eq!(decode_all::<T>(&enc, lens).as_ref(), Ok(&v));
    }
}

/// The codec vectors' `.bin` files of one configuration, as seeds for mutation.
fn seeds(config: &str) -> &'static [Vec<u8>] {
    static TINY: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    static FULL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let cell = if config == "tiny" { &TINY } else { &FULL };
    cell.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../.jam-vectors/jam-test-vectors/codec")
            .join(config);
        let mut v: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "bin"))
                    .filter_map(|p| std::fs::read(p).ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    })
}

/// Random bytes, or a codec vector with a few bytes changed and maybe truncated.
fn fuzz_input(config: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let mutated = (
        any::<prop::sample::Index>(),
        vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        option::of(any::<prop::sample::Index>()),
    )
        .prop_map(move |(pick, edits, cut)| {
            let s = seeds(config);
            if s.is_empty() {
                return Vec::new();
            }
            let mut b = s[pick.index(s.len())].clone();
            if b.is_empty() {
                return b;
            }
            for (at, x) in edits {
                let i = at.index(b.len());
                b[i] = x;
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len() + 1));
            }
            b
        });
    prop_oneof![vec(any::<u8>(), 0..2048), mutated]
}

fn arr<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    vec(any::<u8>(), N).prop_map(|v| v.try_into().unwrap())
}

fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>()
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..200)
}

fn epoch_mark(spec: ChainSpec) -> impl Strategy<Value = EpochMark> {
    let keys = (hash(), hash()).prop_map(|(bandersnatch, ed25519)| EpochMarkValidatorKeys {
        bandersnatch,
        ed25519,
    });
    (hash(), hash(), vec(keys, spec.validators)).prop_map(
        |(entropy, tickets_entropy, validators)| EpochMark {
            entropy,
            tickets_entropy,
            validators,
        },
    )
}

fn tickets_mark(spec: ChainSpec) -> impl Strategy<Value = TicketsMark> {
    let ticket = (hash(), any::<u8>()).prop_map(|(id, attempt)| TicketBody { id, attempt });
    vec(ticket, spec.epoch_len()).prop_map(TicketsMark)
}

fn header(spec: ChainSpec) -> impl Strategy<Value = Header> {
    (
        (hash(), hash(), hash(), any::<u32>()),
        option::of(epoch_mark(spec)),
        option::of(tickets_mark(spec)),
        any::<u16>(),
        arr::<96>(),
        vec(hash(), 0..4),
        arr::<96>(),
    )
        .prop_map(
            |(
                (parent, parent_state_root, extrinsic_hash, slot),
                epoch_mark,
                tickets_mark,
                author_index,
                entropy_source,
                offenders_mark,
                seal,
            )| Header {
                parent,
                parent_state_root,
                extrinsic_hash,
                slot,
                epoch_mark,
                tickets_mark,
                author_index,
                entropy_source,
                offenders_mark,
                seal,
            },
        )
}

fn refine_context() -> impl Strategy<Value = RefineContext> {
    (
        hash(),
        hash(),
        hash(),
        hash(),
        any::<u32>(),
        vec(hash(), 0..3),
    )
        .prop_map(
            |(anchor, state_root, beefy_root, lookup_anchor, lookup_anchor_slot, prerequisites)| {
                RefineContext {
                    anchor,
                    state_root,
                    beefy_root,
                    lookup_anchor,
                    lookup_anchor_slot,
                    prerequisites,
                }
            },
        )
}

fn work_item() -> impl Strategy<Value = WorkItem> {
    let import =
        (hash(), any::<u16>()).prop_map(|(tree_root, index)| ImportSpec { tree_root, index });
    let xt = (hash(), any::<u32>()).prop_map(|(hash, len)| ExtrinsicSpec { hash, len });
    (
        (
            any::<u32>(),
            hash(),
            any::<u64>(),
            any::<u64>(),
            any::<u16>(),
        ),
        bytes(),
        vec(import, 0..4),
        vec(xt, 0..4),
    )
        .prop_map(
            |(
                (service, code_hash, refine_gas_limit, accumulate_gas_limit, export_count),
                payload,
                import_segments,
                extrinsic,
            )| WorkItem {
                service,
                code_hash,
                refine_gas_limit,
                accumulate_gas_limit,
                export_count,
                payload,
                import_segments,
                extrinsic,
            },
        )
}

fn work_package() -> impl Strategy<Value = WorkPackage> {
    (
        any::<u32>(),
        hash(),
        refine_context(),
        bytes(),
        bytes(),
        vec(work_item(), 0..4),
    )
        .prop_map(
            |(auth_code_host, auth_code_hash, context, authorization, authorizer_config, items)| {
                WorkPackage {
                    auth_code_host,
                    auth_code_hash,
                    context,
                    authorization,
                    authorizer_config,
                    items,
                }
            },
        )
}

fn exec_result() -> impl Strategy<Value = WorkExecResult> {
    prop_oneof![
        bytes().prop_map(WorkExecResult::Ok),
        Just(WorkExecResult::OutOfGas),
        Just(WorkExecResult::Panic),
        Just(WorkExecResult::BadExports),
        Just(WorkExecResult::OutputOversize),
        Just(WorkExecResult::BadCode),
        Just(WorkExecResult::CodeOversize),
    ]
}

fn work_digest() -> impl Strategy<Value = WorkDigest> {
    let load = (
        any::<u64>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<u16>(),
    )
        .prop_map(
            |(gas_used, imports, extrinsic_count, extrinsic_size, exports)| RefineLoad {
                gas_used,
                imports,
                extrinsic_count,
                extrinsic_size,
                exports,
            },
        );
    (
        any::<u32>(),
        hash(),
        hash(),
        any::<u64>(),
        exec_result(),
        load,
    )
        .prop_map(
            |(service_id, code_hash, payload_hash, accumulate_gas, result, refine_load)| {
                WorkDigest {
                    service_id,
                    code_hash,
                    payload_hash,
                    accumulate_gas,
                    result,
                    refine_load,
                }
            },
        )
}

fn work_report() -> impl Strategy<Value = WorkReport> {
    let spec = (hash(), any::<u32>(), hash(), hash(), any::<u16>()).prop_map(
        |(hash, length, erasure_root, exports_root, exports_count)| AvailabilitySpec {
            hash,
            length,
            erasure_root,
            exports_root,
            exports_count,
        },
    );
    let lookup =
        (hash(), hash()).prop_map(
            |(work_package_hash, segment_tree_root)| SegmentRootLookupItem {
                work_package_hash,
                segment_tree_root,
            },
        );
    (
        spec,
        refine_context(),
        any::<u16>(),
        hash(),
        any::<u64>(),
        bytes(),
        vec(lookup, 0..3),
        vec(work_digest(), 0..4),
    )
        .prop_map(
            |(
                package_spec,
                context,
                core_index,
                authorizer_hash,
                auth_gas_used,
                auth_output,
                segment_root_lookup,
                results,
            )| WorkReport {
                package_spec,
                context,
                core_index,
                authorizer_hash,
                auth_gas_used,
                auth_output,
                segment_root_lookup,
                results,
            },
        )
}

/// Binary and JSON round trips of a hand-built value.
fn round_trips<T>(v: &T, lens: SeqLens)
where
    T: Encode + Decode + serde::Serialize + serde::de::DeserializeOwned + PartialEq + Debug,
{
    let enc = v.encode();
    assert_eq!(decode_all::<T>(&enc, lens).as_ref(), Ok(v));
    // Any strict prefix is rejected, and so is a trailing byte.
    assert!(decode_all::<T>(&enc[..enc.len() - 1], lens).is_err());
    let mut longer = enc.clone();
    longer.push(0);
    assert!(decode_all::<T>(&longer, lens).is_err());
    let json = serde_json::to_string(v).unwrap();
    assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_tiny_input_never_panics(b in fuzz_input("tiny")) {
        let lens = ChainSpec::TINY.seq_lens();
        decode_prefix_round_trip::<Block>(&b, lens);
        decode_prefix_round_trip::<Header>(&b, lens);
        decode_prefix_round_trip::<WorkPackage>(&b, lens);
        decode_prefix_round_trip::<WorkReport>(&b, lens);
        decode_prefix_round_trip::<Extrinsic>(&b, lens);
    }

    #[test]
    fn decoding_full_input_never_panics(b in fuzz_input("full")) {
        let lens = ChainSpec::FULL.seq_lens();
        decode_prefix_round_trip::<Block>(&b, lens);
        decode_prefix_round_trip::<Header>(&b, lens);
        decode_prefix_round_trip::<WorkPackage>(&b, lens);
        decode_prefix_round_trip::<WorkReport>(&b, lens);
        decode_prefix_round_trip::<Extrinsic>(&b, lens);
    }

    #[test]
    fn work_packages_round_trip(p in work_package()) {
        for s in SPECS {
            round_trips(&p, s.seq_lens());
        }
    }

    #[test]
    fn work_reports_round_trip(r in work_report()) {
        for s in SPECS {
            round_trips(&r, s.seq_lens());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tiny_headers_round_trip(h in header(ChainSpec::TINY)) {
        round_trips(&h, ChainSpec::TINY.seq_lens());
        let unsigned = h.encode_unsigned();
        prop_assert_eq!(&h.encode()[..unsigned.len()], &unsigned[..]);
        prop_assert_eq!(unsigned.len() + 96, h.encode().len());
    }

    #[test]
    fn full_headers_round_trip(h in header(ChainSpec::FULL)) {
        round_trips(&h, ChainSpec::FULL.seq_lens());
    }
}

#[test]
fn seeds_are_there() {
    assert_eq!(seeds("tiny").len(), 15);
    assert_eq!(seeds("full").len(), 15);
}
