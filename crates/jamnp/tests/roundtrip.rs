//! Every message of every JAMNP-S stream encodes, stays within its size bound, decodes back to
//! itself, and passes through the framing, for the tiny and full configurations.

mod common;

use common::*;
use marmalade_da::{JustificationStep, ShardSeq};
use marmalade_jamnp::*;
use marmalade_types::{
    SegmentRootLookupItem, TicketEnvelope, ValidatorSignature, WorkPackage, WorkReport,
};

#[test]
fn up0_block_announcement() {
    for spec in SPECS {
        let h = Handshake {
            finalized: HashSlot {
                hash: bytes(1),
                slot: 42,
            },
            leaves: vec![
                HashSlot {
                    hash: bytes(2),
                    slot: 43,
                },
                HashSlot {
                    hash: bytes(3),
                    slot: 44,
                },
            ],
        };
        roundtrip(&h, &spec);
        roundtrip(
            &Handshake {
                finalized: h.finalized,
                leaves: vec![],
            },
            &spec,
        );
        let header = header(&spec);
        assert!(header.epoch_mark.is_some() || header.tickets_mark.is_some());
        roundtrip(
            &BlockAnnouncement {
                header,
                finalized: h.finalized,
            },
            &spec,
        );
    }
}

#[test]
fn ce128_block_request() {
    for spec in SPECS {
        for direction in [
            Direction::AscendingExclusive,
            Direction::DescendingInclusive,
        ] {
            roundtrip(
                &BlockRequest {
                    hash: bytes(9),
                    direction,
                    max_blocks: 0x0102_0304,
                },
                &spec,
            );
        }
        let b = block(&spec);
        roundtrip(&BlockResponse { blocks: vec![] }, &spec);
        roundtrip(
            &BlockResponse {
                blocks: vec![b.clone()],
            },
            &spec,
        );
        // Two blocks exceed the one-block bound of Message::max_size; max_size_for covers them.
        let two = BlockResponse {
            blocks: vec![b.clone(), b],
        };
        let bytes = two.to_bytes();
        assert!(bytes.len() <= BlockResponse::max_size_for(&spec, 2));
        assert_eq!(BlockResponse::from_bytes(&bytes, &spec).unwrap(), two);
        assert_eq!(
            BlockResponse::from_bytes_at_most(&bytes, &spec, 2).unwrap(),
            two
        );
        assert!(matches!(
            BlockResponse::from_bytes_at_most(&bytes, &spec, 1),
            Err(Error::TooMany { .. })
        ));
    }
}

#[test]
fn ce129_state_request() {
    for spec in SPECS {
        roundtrip(
            &StateRequest {
                header_hash: bytes(1),
                start: [0; 31],
                end: [0xff; 31],
                max_size: 4096,
            },
            &spec,
        );
        roundtrip(&BoundaryNodes(vec![bytes(4), bytes(5), bytes(6)]), &spec);
        roundtrip(&BoundaryNodes(vec![]), &spec);
        roundtrip(
            &KeyValues(vec![
                KeyValue {
                    key: bytes(1),
                    value: vec![],
                },
                KeyValue {
                    key: bytes(2),
                    value: vec![7; 300],
                },
            ]),
            &spec,
        );
    }
}

#[test]
fn ce131_132_tickets() {
    for spec in SPECS {
        for attempt in 0..spec.tickets_per_validator {
            roundtrip(
                &TicketDistribution {
                    epoch_index: 7,
                    ticket: TicketEnvelope {
                        attempt,
                        signature: bytes(attempt),
                    },
                },
                &spec,
            );
        }
    }
}

#[test]
fn ce133_work_package_submission() {
    for spec in SPECS {
        let package = work_package(&spec);
        roundtrip(
            &WorkPackageSubmission {
                core_index: 1,
                package: package.clone(),
            },
            &spec,
        );
        // The vector's package references extrinsics; give each its declared length.
        let lens: Vec<usize> = package
            .items
            .iter()
            .flat_map(|w| &w.extrinsic)
            .map(|x| x.len as usize)
            .collect();
        assert!(
            !lens.is_empty(),
            "the vector package has extrinsic references"
        );
        let data = ExtrinsicData(
            lens.iter()
                .enumerate()
                .map(|(i, &n)| vec![i as u8; n])
                .collect(),
        );
        let bytes = data.to_bytes();
        assert_eq!(bytes.len(), lens.iter().sum::<usize>());
        assert!(bytes.len() <= ExtrinsicData::MAX_SIZE);
        assert_eq!(ExtrinsicData::from_bytes(&bytes, &package).unwrap(), data);
    }
}

#[test]
fn ce134_work_package_sharing() {
    for spec in SPECS {
        let m = CoreMappings {
            core_index: 1,
            mappings: vec![
                SegmentRootLookupItem {
                    work_package_hash: bytes(1),
                    segment_tree_root: bytes(2),
                };
                8
            ],
        };
        roundtrip(&m, &spec);
        roundtrip(
            &CoreMappings {
                core_index: 0,
                mappings: vec![],
            },
            &spec,
        );
        // A real bundle: the vector package with its extrinsics, no imports.
        let package = work_package(&spec);
        let imports: usize = package.items.iter().map(|w| w.import_segments.len()).sum();
        let extrinsics: Vec<Vec<u8>> = package
            .items
            .iter()
            .flat_map(|w| &w.extrinsic)
            .map(|x| vec![1; x.len as usize])
            .collect();
        let segments = vec![Box::new([3u8; 4104]); imports];
        let justifications = vec![vec![[4u8; 32]; 2]; imports];
        let bundle = WorkPackageBundle(marmalade_da::encode_bundle(
            &package,
            &extrinsics,
            &segments,
            &justifications,
        ));
        roundtrip(&bundle, &spec);
        let decoded = bundle.decode_bundle(&spec).expect("a bundle");
        assert_eq!(decoded.package, package);
        assert_eq!(decoded.extrinsics, extrinsics);
        roundtrip(
            &SharingResponse {
                report_hash: bytes(5),
                signature: bytes(6),
            },
            &spec,
        );
    }
}

#[test]
fn ce135_136_reports() {
    for spec in SPECS {
        let g = guarantee(&spec);
        assert!((2..=3).contains(&g.signatures.len()));
        roundtrip(&g, &spec);
        roundtrip(&WorkReportRequest(bytes(7)), &spec);
        roundtrip(&work_report(&spec), &spec);
        roundtrip(&WorkReport::default(), &spec);
    }
}

#[test]
fn ce137_138_shards() {
    for spec in SPECS {
        roundtrip(
            &ShardRequest {
                erasure_root: bytes(1),
                shard_index: 5,
            },
            &spec,
        );
        roundtrip(&BundleShard(vec![1, 2, 3, 4]), &spec);
        let shard_len = limits::segment_shard(&spec);
        let shards = ShardSeq::from_shards(&[vec![1; shard_len], vec![2; shard_len]]).unwrap();
        roundtrip(&SegmentShards(shards.clone()), &spec);
        let bytes2 = SegmentShards(shards.clone()).to_bytes();
        assert_eq!(
            SegmentShards::from_bytes_at_most(&bytes2, &spec, 2).unwrap(),
            SegmentShards(shards)
        );
        assert!(SegmentShards::from_bytes_at_most(&bytes2, &spec, 1).is_err());
        roundtrip(
            &Justification(vec![
                JustificationStep::Hash(bytes(1)),
                JustificationStep::Leaf(bytes(2), bytes(3)),
                JustificationStep::Hash(bytes(4)),
            ]),
            &spec,
        );
    }
}

#[test]
fn real_availability_shards_pass_through_the_messages() {
    // The shards and justifications a guarantor and an assurer hand out (marmalade_da) survive
    // the CE 137, 138 and 140 messages, within their bounds, and still verify against the
    // erasure root once decoded.
    for spec in SPECS {
        let exports = vec![Box::new([9u8; 4104]); 3];
        let a = marmalade_da::availability(&spec, [1; 32], &[5u8; 1000], &exports).unwrap();
        let root = a.spec.erasure_root;
        let v = spec.validators;
        let mut shard_steps = 0;
        for (i, s) in a.shards.iter().enumerate().step_by(v / 6) {
            // CE 137: bundle shard, segment shards, justification.
            let b = roundtrip(&BundleShard(s.bundle_shard.clone()), &spec);
            let seg = roundtrip(&SegmentShards(s.segment_shards.clone()), &spec);
            let j = roundtrip(&Justification(s.justification.clone()), &spec);
            let back = marmalade_da::ValidatorShards {
                bundle_shard: BundleShard::from_bytes(&b, &spec).unwrap().0,
                segment_shards: SegmentShards::from_bytes_at_most(
                    &seg,
                    &spec,
                    limits::MAX_SEGMENT_SHARDS,
                )
                .unwrap()
                .0,
                justification: Justification::from_bytes(&j, &spec).unwrap().0,
            };
            assert_eq!(&back, s);
            marmalade_da::verify_shards(&root, i, v, &back).unwrap();

            // CE 138: the CE 137 justification with the segment-shards root appended.
            let j138 = Justification(marmalade_da::bundle_shard_justification(
                &s.justification,
                s.segment_shards.root(),
            ));
            let enc = roundtrip(&j138, &spec);
            let dec = Justification::from_bytes(&enc, &spec).unwrap();
            marmalade_da::verify_bundle_shard(&root, i, v, &s.bundle_shard, &dec.0).unwrap();

            // CE 140: one justification per segment shard, with a shard step where the tree
            // has a lone sibling.
            let bundle_hash: [u8; 32] = s.leaf()[..32].try_into().unwrap();
            for (n, shard) in s.segment_shards.iter().enumerate() {
                let steps = marmalade_da::segment_shard_justification(
                    &s.justification,
                    bundle_hash,
                    &s.segment_shards,
                    n,
                )
                .unwrap();
                let enc = Justification(steps.clone()).to_bytes();
                assert!(enc.len() <= Justification::max_segment_size(&spec));
                let dec = Justification::from_bytes_segment(&enc, &spec).unwrap();
                assert_eq!(dec.0, steps);
                shard_steps += steps
                    .iter()
                    .filter(|s| matches!(s, JustificationStep::Shard(_)))
                    .count();
                marmalade_da::verify_segment_shard(&root, i, v, 3, n, shard, &dec.0).unwrap();
            }
        }
        assert!(shard_steps > 0, "no CE 140 justification had a shard step");
    }
}

#[test]
fn ce139_140_segment_shards() {
    for spec in SPECS {
        let req = SegmentShardRequest(vec![
            SegmentShardRequestItem {
                erasure_root: bytes(1),
                shard_index: 3,
                segment_indices: vec![0, 1, 1000],
            },
            SegmentShardRequestItem {
                erasure_root: bytes(2),
                shard_index: 4,
                segment_indices: vec![2],
            },
        ]);
        assert_eq!(req.shard_count(), 4);
        roundtrip(&req, &spec);
        let shard_len = limits::segment_shard(&spec);
        let j = Justification(vec![
            JustificationStep::Hash(bytes(1)),
            JustificationStep::Hash(bytes(2)),
            JustificationStep::Shard(vec![7; shard_len]),
        ]);
        let enc = j.to_bytes();
        assert!(enc.len() <= Justification::max_segment_size(&spec));
        assert_eq!(Justification::from_bytes_segment(&enc, &spec).unwrap(), j);
    }
}

#[test]
fn ce141_to_143() {
    for spec in SPECS {
        let a = assurance(&spec);
        let d = AssuranceDistribution::from(a.clone());
        roundtrip(&d, &spec);
        assert_eq!(d.into_assurance(a.validator_index), a);
        roundtrip(
            &PreimageAnnouncement {
                service_id: 0x0102_0304,
                hash: bytes(3),
                length: 999,
            },
            &spec,
        );
        roundtrip(&PreimageRequest(bytes(4)), &spec);
        roundtrip(&PreimageResponse(vec![1, 2, 3]), &spec);
        roundtrip(&PreimageResponse(vec![]), &spec);
    }
}

fn tranche_announcement(n: usize, seed: u8) -> TrancheAnnouncement {
    TrancheAnnouncement {
        reports: (0..n)
            .map(|i| AuditedReport {
                core_index: i as u16,
                report_hash: bytes(seed.wrapping_add(i as u8)),
            })
            .collect(),
        signature: bytes(seed),
    }
}

#[test]
fn ce144_audit_announcement() {
    for spec in SPECS {
        let first = AuditAnnouncement {
            header_hash: bytes(1),
            tranche: 0,
            announcement: tranche_announcement(2, 10),
        };
        roundtrip(&first, &spec);
        let e = AuditEvidence::First(bytes(2));
        assert_eq!(
            AuditEvidence::from_bytes(&e.to_bytes(), &spec, &first).unwrap(),
            e
        );
        let later = AuditAnnouncement {
            tranche: 2,
            ..first.clone()
        };
        roundtrip(&later, &spec);
        let e = AuditEvidence::Subsequent(vec![
            ReportEvidence {
                signature: bytes(3),
                no_shows: vec![
                    NoShow {
                        validator_index: 4,
                        announcement: tranche_announcement(1, 20),
                    },
                    NoShow {
                        validator_index: 5,
                        announcement: tranche_announcement(2, 30),
                    },
                ],
            },
            ReportEvidence {
                signature: bytes(6),
                no_shows: vec![],
            },
        ]);
        let enc = e.to_bytes();
        assert!(enc.len() <= AuditEvidence::max_size(2));
        assert_eq!(AuditEvidence::from_bytes(&enc, &spec, &later).unwrap(), e);
    }
}

#[test]
fn ce145_judgment() {
    for spec in SPECS {
        for valid in [false, true] {
            let j = JudgmentPublication {
                epoch_index: 3,
                validator_index: 2,
                valid,
                report_hash: bytes(1),
                signature: bytes(2),
            };
            roundtrip(&j, &spec);
            assert_eq!(j.judgement().vote, valid);
        }
        for n in [2, 3] {
            roundtrip(
                &JudgmentGuarantee {
                    slot: 100,
                    signatures: (0..n)
                        .map(|i| ValidatorSignature {
                            validator_index: i,
                            signature: bytes(i as u8),
                        })
                        .collect(),
                },
                &spec,
            );
        }
    }
}

#[test]
fn ce146_to_148() {
    for spec in SPECS {
        roundtrip(&work_package(&spec), &spec);
        roundtrip(&WorkPackage::default(), &spec);
        roundtrip(
            &Segments(vec![Box::new([1; 4104]), Box::new([2; 4104])]),
            &spec,
        );
        roundtrip(&Segments(vec![]), &spec);
        roundtrip(
            &ImportProofs(vec![vec![bytes(1), bytes(2)], vec![], vec![bytes(3); 12]]),
            &spec,
        );
        roundtrip(&BundleRequest(bytes(8)), &spec);
        let req = SegmentRequest(vec![
            SegmentRequestItem {
                segments_root: bytes(1),
                segment_indices: vec![5, 6],
            },
            SegmentRequestItem {
                segments_root: bytes(2),
                segment_indices: vec![7],
            },
        ]);
        assert_eq!(req.segment_count(), 3);
        roundtrip(&req, &spec);
    }
}

#[test]
fn every_kind_bounds_its_messages() {
    // The kind's bound is at least each of its messages' bounds and fits the u32 prefix.
    for spec in SPECS {
        for kind in StreamKind::ALL {
            let max = kind.max_message_size(&spec);
            assert!(max > 0 && max <= u32::MAX as usize, "{kind:?}: {max}");
        }
        assert!(StreamKind::BlockRequest.max_message_size(&spec) >= BlockResponse::max_size(&spec));
        assert!(
            StreamKind::WorkPackageSubmission.max_message_size(&spec)
                >= WorkPackageSubmission::max_size(&spec)
        );
        assert_eq!(
            StreamKind::AssuranceDistribution.max_message_size(&spec),
            32 + spec.avail_bitfield_bytes() + 64
        );
    }
}
