//! Byte-exact encodings, written out field by field from the field layouts of the JAMNP-S text
//! (`simple.md`), not produced by the encoder: each test builds the expected bytes by hand, then
//! checks both directions.

mod common;

use common::*;
use marmalade_da::JustificationStep;
use marmalade_jamnp::*;
use marmalade_types::{ChainSpec, SegmentRootLookupItem, TicketEnvelope, ValidatorSignature};

const TINY: ChainSpec = ChainSpec::TINY;

/// Checks that `m` encodes to exactly `expected` and that `expected` decodes to `m`.
fn exact<M: Message + PartialEq + std::fmt::Debug>(m: &M, expected: &[u8]) {
    assert_eq!(m.to_bytes(), expected, "{}", std::any::type_name::<M>());
    assert_eq!(&M::from_bytes(expected, &TINY).unwrap(), m);
}

#[test]
fn framing_is_a_u32_le_size_then_the_content() {
    // "First, the size (in bytes) of the message content is transmitted, encoded as a
    // little-endian 32-bit unsigned integer. Second, the message content itself."
    let content: Vec<u8> = (0..0x0102u16).map(|i| i as u8).collect();
    let mut expected = vec![0x02, 0x01, 0x00, 0x00];
    expected.extend_from_slice(&content);
    assert_eq!(frame::frame(&content).unwrap(), expected);
    assert_eq!(frame::frame(&[]).unwrap(), vec![0, 0, 0, 0]);
}

#[test]
fn stream_kind_bytes() {
    // "UP stream kinds are numbered starting from 0, CE stream kinds ... from 128."
    let expected: [(u8, StreamKind); 21] = [
        (0, StreamKind::BlockAnnouncement),
        (128, StreamKind::BlockRequest),
        (129, StreamKind::StateRequest),
        (131, StreamKind::TicketToProxy),
        (132, StreamKind::TicketFromProxy),
        (133, StreamKind::WorkPackageSubmission),
        (134, StreamKind::WorkPackageSharing),
        (135, StreamKind::WorkReportDistribution),
        (136, StreamKind::WorkReportRequest),
        (137, StreamKind::ShardDistribution),
        (138, StreamKind::AuditShardRequest),
        (139, StreamKind::SegmentShardRequest),
        (140, StreamKind::SegmentShardRequestJustified),
        (141, StreamKind::AssuranceDistribution),
        (142, StreamKind::PreimageAnnouncement),
        (143, StreamKind::PreimageRequest),
        (144, StreamKind::AuditAnnouncement),
        (145, StreamKind::JudgmentPublication),
        (146, StreamKind::BundleSubmission),
        (147, StreamKind::BundleRequest),
        (148, StreamKind::SegmentRequest),
    ];
    for (b, k) in expected {
        assert_eq!(StreamKind::from_byte(b), Ok(k));
        assert_eq!(k.to_byte(), b);
        assert_eq!(k.is_unique_persistent(), b == 0);
        assert_eq!(
            k.to_string(),
            if b == 0 {
                "UP 0".into()
            } else {
                format!("CE {b}")
            }
        );
    }
    for b in 0..=255u8 {
        if !expected.iter().any(|(e, _)| *e == b) {
            assert_eq!(StreamKind::from_byte(b), Err(Error::UnknownStreamKind(b)));
            assert!(StreamKind::try_from(b).is_err());
        }
    }
}

#[test]
fn up0_handshake() {
    // Handshake = Final ++ len++[Leaf], Final = Leaf = Header Hash ++ Slot.
    let (h0, h1, h2) = (bytes::<32>(1), bytes::<32>(2), bytes::<32>(3));
    let mut expected = h0.to_vec();
    expected.extend([0x10, 0x20, 0x30, 0x40]); // slot 0x40302010, LE
    expected.push(2); // two leaves, natural encoding
    expected.extend(h1);
    expected.extend([5, 0, 0, 0]);
    expected.extend(h2);
    expected.extend([0, 1, 0, 0]);
    exact(
        &Handshake {
            finalized: HashSlot {
                hash: h0,
                slot: 0x4030_2010,
            },
            leaves: vec![
                HashSlot { hash: h1, slot: 5 },
                HashSlot {
                    hash: h2,
                    slot: 256,
                },
            ],
        },
        &expected,
    );
}

#[test]
fn up0_announcement_is_the_gp_header_then_final() {
    let header = header(&TINY);
    let mut expected = vector(&TINY, "header_1.bin");
    expected.extend(bytes::<32>(9));
    expected.extend([7, 0, 0, 0]);
    exact(
        &BlockAnnouncement {
            header,
            finalized: HashSlot {
                hash: bytes(9),
                slot: 7,
            },
        },
        &expected,
    );
}

#[test]
fn ce128_request_and_response() {
    // Header Hash ++ Direction (single byte) ++ Maximum Blocks (u32).
    let h = bytes::<32>(4);
    let mut expected = h.to_vec();
    expected.push(1);
    expected.extend([0x04, 0x03, 0x02, 0x01]);
    exact(
        &BlockRequest {
            hash: h,
            direction: Direction::DescendingInclusive,
            max_blocks: 0x0102_0304,
        },
        &expected,
    );
    expected[32] = 0;
    assert_eq!(
        BlockRequest::from_bytes(&expected, &TINY)
            .unwrap()
            .direction,
        Direction::AscendingExclusive
    );
    expected[32] = 2;
    assert!(BlockRequest::from_bytes(&expected, &TINY).is_err());

    // [Block]: the GP encodings back to back, no count.
    let one = vector(&TINY, "block.bin");
    let two = [one.clone(), one].concat();
    let r = BlockResponse::from_bytes(&two, &TINY).unwrap();
    assert_eq!(r.blocks, vec![block(&TINY), block(&TINY)]);
    assert_eq!(r.to_bytes(), two);
}

#[test]
fn ce129_request_and_pairs() {
    // Header Hash ++ Key (31) ++ Key (31) ++ Maximum Size (u32).
    let mut expected = bytes::<32>(1).to_vec();
    expected.extend(bytes::<31>(2));
    expected.extend(bytes::<31>(3));
    expected.extend([0x00, 0x10, 0x00, 0x00]);
    exact(
        &StateRequest {
            header_hash: bytes(1),
            start: bytes(2),
            end: bytes(3),
            max_size: 4096,
        },
        &expected,
    );
    // [Key ++ Value], Value = len++[u8].
    let mut expected = bytes::<31>(1).to_vec();
    expected.push(3);
    expected.extend([9, 8, 7]);
    expected.extend(bytes::<31>(5));
    expected.extend([0x80, 0x80]); // 128, natural encoding: two octets
    expected.extend([1u8; 128]);
    exact(
        &KeyValues(vec![
            KeyValue {
                key: bytes(1),
                value: vec![9, 8, 7],
            },
            KeyValue {
                key: bytes(5),
                value: vec![1; 128],
            },
        ]),
        &expected,
    );
    // [Boundary Node]: 64 octets each, no count.
    let expected = [bytes::<64>(1), bytes::<64>(2)].concat();
    exact(&BoundaryNodes(vec![bytes(1), bytes(2)]), &expected);
}

#[test]
fn ce131_ticket() {
    // Epoch Index (u32) ++ Attempt (single byte) ++ Bandersnatch RingVRF Proof (784).
    let proof = bytes::<784>(3);
    let mut expected = vec![0x0a, 0, 0, 0, 1];
    expected.extend(proof);
    exact(
        &TicketDistribution {
            epoch_index: 10,
            ticket: TicketEnvelope {
                attempt: 1,
                signature: proof,
            },
        },
        &expected,
    );
}

#[test]
fn ce134_mappings_and_response() {
    // Core Index (u16) ++ len++[Work-Package Hash ++ Segments-Root].
    let mut expected = vec![0x01, 0x01, 2];
    expected.extend(bytes::<32>(1));
    expected.extend(bytes::<32>(2));
    expected.extend(bytes::<32>(3));
    expected.extend(bytes::<32>(4));
    exact(
        &CoreMappings {
            core_index: 0x0101,
            mappings: vec![
                SegmentRootLookupItem {
                    work_package_hash: bytes(1),
                    segment_tree_root: bytes(2),
                },
                SegmentRootLookupItem {
                    work_package_hash: bytes(3),
                    segment_tree_root: bytes(4),
                },
            ],
        },
        &expected,
    );
    // Work-Report Hash ++ Ed25519 Signature.
    let expected = [bytes::<32>(5).to_vec(), bytes::<64>(6).to_vec()].concat();
    exact(
        &SharingResponse {
            report_hash: bytes(5),
            signature: bytes(6),
        },
        &expected,
    );
}

#[test]
fn ce135_guaranteed_report() {
    // Work-Report ++ Slot ++ len++[Validator Index ++ Ed25519 Signature].
    let report = work_report(&TINY);
    let mut expected = vector(&TINY, "work_report.bin");
    expected.extend([0x2a, 0, 0, 0]);
    expected.push(2);
    expected.extend([3, 0]);
    expected.extend(bytes::<64>(1));
    expected.extend([5, 0]);
    expected.extend(bytes::<64>(2));
    exact(
        &marmalade_types::ReportGuarantee {
            report,
            slot: 42,
            signatures: vec![
                ValidatorSignature {
                    validator_index: 3,
                    signature: bytes(1),
                },
                ValidatorSignature {
                    validator_index: 5,
                    signature: bytes(2),
                },
            ],
        },
        &expected,
    );
}

#[test]
fn ce137_request_and_justification() {
    // Erasure-Root ++ Shard Index (u16).
    let mut expected = bytes::<32>(1).to_vec();
    expected.extend([0x34, 0x12]);
    exact(
        &ShardRequest {
            erasure_root: bytes(1),
            shard_index: 0x1234,
        },
        &expected,
    );
    // [0 ++ Hash OR 1 ++ Hash ++ Hash], each discriminator a single byte.
    let mut expected = vec![0];
    expected.extend(bytes::<32>(1));
    expected.push(1);
    expected.extend(bytes::<32>(2));
    expected.extend(bytes::<32>(3));
    exact(
        &Justification(vec![
            JustificationStep::Hash(bytes(1)),
            JustificationStep::Leaf(bytes(2), bytes(3)),
        ]),
        &expected,
    );
    // CE 140 adds 2 ++ Segment Shard (2052 octets on tiny).
    let mut expected = vec![2];
    expected.extend(vec![6u8; 2052]);
    expected.push(0);
    expected.extend(bytes::<32>(4));
    let j = Justification::from_bytes_segment(&expected, &TINY).unwrap();
    assert_eq!(
        j.0,
        vec![
            JustificationStep::Shard(vec![6; 2052]),
            JustificationStep::Hash(bytes(4))
        ]
    );
    assert_eq!(j.to_bytes(), expected);
    // CE 137/138 justifications have no shard form.
    assert!(Justification::from_bytes(&expected, &TINY).is_err());
}

#[test]
fn ce139_request() {
    // [Erasure-Root ++ Shard Index ++ len++[Segment Index]].
    let mut expected = bytes::<32>(1).to_vec();
    expected.extend([2, 0]);
    expected.push(2);
    expected.extend([0x00, 0x01, 0x05, 0x00]);
    expected.extend(bytes::<32>(2));
    expected.extend([3, 0]);
    expected.push(1);
    expected.extend([0xff, 0x0b]);
    exact(
        &SegmentShardRequest(vec![
            SegmentShardRequestItem {
                erasure_root: bytes(1),
                shard_index: 2,
                segment_indices: vec![0x0100, 5],
            },
            SegmentShardRequestItem {
                erasure_root: bytes(2),
                shard_index: 3,
                segment_indices: vec![0x0bff],
            },
        ]),
        &expected,
    );
}

#[test]
fn ce141_assurance() {
    // Header Hash (Anchor) ++ Bitfield (ceil(C/8) = 1 octet on tiny) ++ Ed25519 Signature.
    let mut expected = bytes::<32>(1).to_vec();
    expected.push(0b10);
    expected.extend(bytes::<64>(2));
    exact(
        &AssuranceDistribution {
            anchor: bytes(1),
            bitfield: vec![0b10],
            signature: bytes(2),
        },
        &expected,
    );
    // The full chain's bitfield is 43 octets: a tiny assurance is too short for it.
    assert!(AssuranceDistribution::from_bytes(&expected, &ChainSpec::FULL).is_err());
}

#[test]
fn ce142_143_preimages() {
    // Service ID (u32) ++ Hash ++ Preimage Length (u32).
    let mut expected = vec![0x04, 0x03, 0x02, 0x01];
    expected.extend(bytes::<32>(7));
    expected.extend([0xe8, 0x03, 0, 0]);
    exact(
        &PreimageAnnouncement {
            service_id: 0x0102_0304,
            hash: bytes(7),
            length: 1000,
        },
        &expected,
    );
    exact(&PreimageRequest(bytes(8)), &bytes::<32>(8));
    // Preimage = [u8]: the message is the preimage, no length prefix.
    exact(&PreimageResponse(vec![5, 6, 7]), &[5, 6, 7]);
}

#[test]
fn ce144_announcement_and_evidence() {
    // Header Hash ++ Tranche (u8) ++ len++[Core Index ++ Work-Report Hash] ++ Ed25519 Signature.
    let mut expected = bytes::<32>(1).to_vec();
    expected.push(1);
    expected.push(1);
    expected.extend([1, 0]);
    expected.extend(bytes::<32>(2));
    expected.extend(bytes::<64>(3));
    let a = AuditAnnouncement {
        header_hash: bytes(1),
        tranche: 1,
        announcement: TrancheAnnouncement {
            reports: vec![AuditedReport {
                core_index: 1,
                report_hash: bytes(2),
            }],
            signature: bytes(3),
        },
    };
    exact(&a, &expected);
    // Subsequent Tranche Evidence: [Bandersnatch Signature ++ len++[No-Show]], one entry per
    // announced report; No-Show = Validator Index ++ Announcement.
    let mut ev = bytes::<96>(4).to_vec();
    ev.push(1);
    ev.extend([9, 0]);
    ev.push(0); // the no-show's announcement names no report
    ev.extend(bytes::<64>(5));
    let e = AuditEvidence::from_bytes(&ev, &TINY, &a).unwrap();
    assert_eq!(
        e,
        AuditEvidence::Subsequent(vec![ReportEvidence {
            signature: bytes(4),
            no_shows: vec![NoShow {
                validator_index: 9,
                announcement: TrancheAnnouncement {
                    reports: vec![],
                    signature: bytes(5),
                },
            }],
        }])
    );
    assert_eq!(e.to_bytes(), ev);
    // First Tranche Evidence: the 96-octet signature alone.
    let a0 = AuditAnnouncement { tranche: 0, ..a };
    assert_eq!(
        AuditEvidence::from_bytes(&bytes::<96>(6), &TINY, &a0).unwrap(),
        AuditEvidence::First(bytes(6))
    );
}

#[test]
fn ce145_judgment_and_guarantee() {
    // Epoch Index (u32) ++ Validator Index (u16) ++ Validity (single byte) ++ Work-Report Hash
    // ++ Ed25519 Signature.
    let mut expected = vec![3, 0, 0, 0, 2, 0, 0];
    expected.extend(bytes::<32>(1));
    expected.extend(bytes::<64>(2));
    exact(
        &JudgmentPublication {
            epoch_index: 3,
            validator_index: 2,
            valid: false,
            report_hash: bytes(1),
            signature: bytes(2),
        },
        &expected,
    );
    expected[6] = 2; // Validity is 0 or 1
    assert!(JudgmentPublication::from_bytes(&expected, &TINY).is_err());
    // Guarantee = Slot ++ len++[Validator Index ++ Ed25519 Signature].
    let mut expected = vec![100, 0, 0, 0, 2];
    expected.extend([0, 0]);
    expected.extend(bytes::<64>(3));
    expected.extend([1, 0]);
    expected.extend(bytes::<64>(4));
    exact(
        &JudgmentGuarantee {
            slot: 100,
            signatures: vec![
                ValidatorSignature {
                    validator_index: 0,
                    signature: bytes(3),
                },
                ValidatorSignature {
                    validator_index: 1,
                    signature: bytes(4),
                },
            ],
        },
        &expected,
    );
}

#[test]
fn ce148_request_and_import_proofs() {
    // [Segments-Root ++ len++[Segment Index]].
    let mut expected = bytes::<32>(1).to_vec();
    expected.push(1);
    expected.extend([7, 0]);
    exact(
        &SegmentRequest(vec![SegmentRequestItem {
            segments_root: bytes(1),
            segment_indices: vec![7],
        }]),
        &expected,
    );
    // [Import-Proof], Import-Proof = len++[Hash].
    let mut expected = vec![2];
    expected.extend(bytes::<32>(1));
    expected.extend(bytes::<32>(2));
    expected.push(0);
    exact(
        &ImportProofs(vec![vec![bytes(1), bytes(2)], vec![]]),
        &expected,
    );
    // [Segment]: 4104 octets each, no count.
    let expected = [vec![1u8; 4104], vec![2u8; 4104]].concat();
    exact(
        &Segments(vec![Box::new([1; 4104]), Box::new([2; 4104])]),
        &expected,
    );
}
