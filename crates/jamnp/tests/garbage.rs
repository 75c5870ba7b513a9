//! Bad input: the framing refuses oversized and truncated messages without allocating what they
//! declare; every decoder refuses truncated, over-long, out-of-bounds and random input with an
//! error, never a panic; what does decode re-encodes to the same bytes.

mod common;

use common::*;
use marmalade_codec::encode_natural;
use marmalade_jamnp::*;
use marmalade_types::{ChainSpec, SegmentRootLookupItem, ValidatorSignature, WorkPackage};

const TINY: ChainSpec = ChainSpec::TINY;

#[test]
fn reader_refuses_an_oversized_prefix_before_allocating() {
    let mut r = MessageReader::new(1000);
    let mut input: &[u8] = &[0xff, 0xff, 0xff, 0x7f, 1, 2, 3];
    assert_eq!(
        r.read(&mut input),
        Err(Error::Oversize {
            size: 0x7fff_ffff,
            max: 1000
        })
    );
    assert_eq!(r.buffer_capacity(), 0);
    // The reader stays failed: the stream must be reset.
    let mut more: &[u8] = &[0, 0, 0, 0];
    assert!(matches!(r.read(&mut more), Err(Error::Oversize { .. })));
    assert!(r.finish().is_err());
    assert!(!r.is_idle());
    // One over the limit is refused, the limit itself is not.
    let mut r = MessageReader::new(3);
    assert!(r.read(&mut &[4u8, 0, 0, 0][..]).is_err());
    let mut r = MessageReader::new(3);
    assert_eq!(
        r.read(&mut &[3u8, 0, 0, 0, 7, 8, 9][..]),
        Ok(Some(vec![7, 8, 9]))
    );
}

#[test]
fn reader_grows_with_the_data_not_the_declared_size() {
    let mut r = MessageReader::new(1 << 30);
    let mut input: &[u8] = &(1u32 << 30).to_le_bytes();
    assert_eq!(r.read(&mut input), Ok(None));
    let chunk = [7u8; 100];
    for _ in 0..10 {
        assert_eq!(r.read(&mut &chunk[..]), Ok(None));
    }
    assert!(
        r.buffer_capacity() <= 2 * 1000,
        "{} bytes held for 1000 received",
        r.buffer_capacity()
    );
    assert_eq!(
        r.finish(),
        Err(Error::Truncated {
            have: 4 + 1000,
            needed: 4 + (1 << 30)
        })
    );
}

#[test]
fn reader_splits_chunks_and_detects_truncation() {
    let mut stream = Vec::new();
    for m in [&b"abc"[..], b"", b"defgh"] {
        frame::encode_frame(m, &mut stream).unwrap();
    }
    // All in one chunk.
    let mut r = MessageReader::new(16);
    assert_eq!(
        r.read_all(&stream).unwrap(),
        vec![b"abc".to_vec(), vec![], b"defgh".to_vec()]
    );
    assert!(r.is_idle());
    r.finish().unwrap();
    // One byte at a time, with the limit changed between messages.
    let mut r = MessageReader::new(3);
    let mut got = Vec::new();
    for b in &stream {
        if let Some(m) = r.read(&mut &[*b][..]).unwrap() {
            got.push(m);
            if got.len() == 2 {
                r.set_max_size(5);
            }
        }
    }
    assert_eq!(got, vec![b"abc".to_vec(), vec![], b"defgh".to_vec()]);
    assert!(r.is_idle());
    r.finish().unwrap();
    // Under the first limit the third message (5 octets) is refused.
    let mut r = MessageReader::new(3);
    assert!(matches!(
        r.read_all(&stream),
        Err(Error::Oversize { size: 5, max: 3 })
    ));
    // Cut inside a prefix and inside a content.
    let mut r = MessageReader::new(16);
    r.read_all(&stream[..2]).unwrap();
    assert_eq!(r.finish(), Err(Error::Truncated { have: 2, needed: 4 }));
    let mut r = MessageReader::new(16);
    r.read_all(&stream[..5]).unwrap();
    assert_eq!(r.finish(), Err(Error::Truncated { have: 5, needed: 7 }));
}

#[test]
fn count_bounds_are_enforced_before_allocation() {
    // A declared count of 2^40 items with nothing behind it.
    let mut huge = vec![];
    encode_natural(1 << 40, &mut huge);

    let mut b = vec![0, 0];
    b.extend(&huge);
    assert!(matches!(
        CoreMappings::from_bytes(&b, &TINY),
        Err(Error::TooMany { .. })
    ));
    // Nine mappings: more than J.
    let nine = CoreMappings {
        core_index: 0,
        mappings: vec![
            SegmentRootLookupItem {
                work_package_hash: [0; 32],
                segment_tree_root: [0; 32],
            };
            9
        ],
    };
    assert!(matches!(
        CoreMappings::from_bytes(&nine.to_bytes(), &TINY),
        Err(Error::TooMany {
            count: 9,
            max: 8,
            ..
        })
    ));

    let mut b = [0u8; 32].to_vec();
    b.extend([0, 0]);
    b.extend(&huge);
    assert!(matches!(
        SegmentShardRequest::from_bytes(&b, &TINY),
        Err(Error::TooMany { .. })
    ));
    // 2W_M indices in all is the limit, across entries.
    let item = |n: usize| SegmentShardRequestItem {
        erasure_root: [1; 32],
        shard_index: 0,
        segment_indices: vec![0; n],
    };
    let ok = SegmentShardRequest(vec![item(6000), item(144)]);
    assert_eq!(
        SegmentShardRequest::from_bytes(&ok.to_bytes(), &TINY),
        Ok(ok)
    );
    let over = SegmentShardRequest(vec![item(6000), item(145)]);
    assert!(matches!(
        SegmentShardRequest::from_bytes(&over.to_bytes(), &TINY),
        Err(Error::TooMany {
            count: 6145,
            max: 6144,
            ..
        })
    ));
    let over = SegmentRequest(vec![SegmentRequestItem {
        segments_root: [0; 32],
        segment_indices: vec![0; 3073],
    }]);
    assert!(matches!(
        SegmentRequest::from_bytes(&over.to_bytes(), &TINY),
        Err(Error::TooMany { max: 3072, .. })
    ));
    // An import proof deeper than a tree of W_X exports.
    let deep = ImportProofs(vec![vec![[0; 32]; 13]]);
    assert!(matches!(
        ImportProofs::from_bytes(&deep.to_bytes(), &TINY),
        Err(Error::TooMany { max: 12, .. })
    ));
    // More no-shows than validators.
    let a = AuditAnnouncement {
        header_hash: [0; 32],
        tranche: 1,
        announcement: TrancheAnnouncement {
            reports: vec![AuditedReport {
                core_index: 0,
                report_hash: [0; 32],
            }],
            signature: [0; 64],
        },
    };
    let mut ev = [0u8; 96].to_vec();
    ev.extend(&huge);
    assert!(matches!(
        AuditEvidence::from_bytes(&ev, &TINY, &a),
        Err(Error::TooMany { .. })
    ));
}

#[test]
fn protocol_rules_in_the_layouts() {
    // Guarantees carry two or three credentials.
    for n in [0u16, 1, 4] {
        let g = JudgmentGuarantee {
            slot: 1,
            signatures: (0..n)
                .map(|i| ValidatorSignature {
                    validator_index: i,
                    signature: [0; 64],
                })
                .collect(),
        };
        assert!(JudgmentGuarantee::from_bytes(&g.to_bytes(), &TINY).is_err());
        let mut rg = guarantee(&TINY);
        rg.signatures = g.signatures;
        assert!(
            <marmalade_types::ReportGuarantee as Message>::from_bytes(&rg.to_bytes(), &TINY)
                .is_err()
        );
    }
    // Ticket attempts below N: 3 on tiny, 2 on the full chain.
    for (spec, n) in [(ChainSpec::TINY, 3u8), (ChainSpec::FULL, 2)] {
        let mut b = vec![1, 0, 0, 0, n];
        b.extend([0u8; 784]);
        assert_eq!(
            TicketDistribution::from_bytes(&b, &spec),
            Err(Error::Invalid("ticket attempt not below N"))
        );
        b[4] = n - 1;
        assert!(TicketDistribution::from_bytes(&b, &spec).is_ok());
    }
    // Key/value pairs sorted by key, no duplicates.
    let kv = |k: u8| KeyValue {
        key: [k; 31],
        value: vec![],
    };
    for pairs in [vec![kv(2), kv(1)], vec![kv(1), kv(1)]] {
        assert!(KeyValues::from_bytes(&KeyValues(pairs).to_bytes(), &TINY).is_err());
    }
    // Extrinsic data must be exactly the referenced lengths.
    let package = work_package(&TINY);
    let total: usize = package
        .items
        .iter()
        .flat_map(|w| &w.extrinsic)
        .map(|x| x.len as usize)
        .sum();
    for len in [total - 1, total + 1] {
        assert!(ExtrinsicData::from_bytes(&vec![0; len], &package).is_err());
    }
    assert!(ExtrinsicData::from_bytes(&vec![0; total], &package).is_ok());
    assert_eq!(
        ExtrinsicData::from_bytes(&[], &WorkPackage::default()),
        Ok(ExtrinsicData(vec![]))
    );
    // Evidence: one entry per announced report; tranche 0 is exactly 96 octets.
    let mut a = AuditAnnouncement {
        header_hash: [0; 32],
        tranche: 1,
        announcement: TrancheAnnouncement {
            reports: vec![
                AuditedReport {
                    core_index: 0,
                    report_hash: [0; 32],
                };
                2
            ],
            signature: [0; 64],
        },
    };
    let one = AuditEvidence::Subsequent(vec![ReportEvidence {
        signature: [0; 96],
        no_shows: vec![],
    }]);
    assert!(AuditEvidence::from_bytes(&one.to_bytes(), &TINY, &a).is_err());
    let three = AuditEvidence::Subsequent(vec![
        ReportEvidence {
            signature: [0; 96],
            no_shows: vec![],
        };
        3
    ]);
    assert!(AuditEvidence::from_bytes(&three.to_bytes(), &TINY, &a).is_err());
    a.tranche = 0;
    assert!(AuditEvidence::from_bytes(&[0; 95], &TINY, &a).is_err());
    assert!(AuditEvidence::from_bytes(&[0; 97], &TINY, &a).is_err());
    // Fixed-size items: a length that does not divide is refused.
    assert!(BoundaryNodes::from_bytes(&[0; 65], &TINY).is_err());
    assert!(Segments::from_bytes(&[0; 4105], &TINY).is_err());
    assert!(SegmentShards::from_bytes(&[0; 2053], &TINY).is_err());
    assert!(SegmentShards::from_bytes(&[0; 13], &ChainSpec::FULL).is_err());
    // Justification discriminators are 0, 1 (and 2 for CE 140) only.
    let mut j = vec![3];
    j.extend([0; 64]);
    assert!(Justification::from_bytes(&j, &TINY).is_err());
    assert!(Justification::from_bytes_segment(&j, &TINY).is_err());
}

/// Fixed-layout messages (no sequence implied by the message size): every proper prefix and
/// every extension by one byte is an error.
#[test]
fn truncated_and_overlong_fixed_messages() {
    fn check<M: Message>(m: &M) {
        let b = m.to_bytes();
        for n in 0..b.len() {
            assert!(
                M::from_bytes(&b[..n], &TINY).is_err(),
                "{} decoded from {n} of {} bytes",
                std::any::type_name::<M>(),
                b.len()
            );
        }
        let mut long = b.clone();
        long.push(0);
        assert!(matches!(
            M::from_bytes(&long, &TINY),
            Err(Error::Codec(marmalade_codec::Error::TrailingBytes(1)))
        ));
    }
    check(&BlockRequest {
        hash: [1; 32],
        direction: Direction::AscendingExclusive,
        max_blocks: 9,
    });
    check(&StateRequest {
        header_hash: [1; 32],
        start: [2; 31],
        end: [3; 31],
        max_size: 9,
    });
    check(&Handshake {
        finalized: HashSlot {
            hash: [1; 32],
            slot: 1,
        },
        leaves: vec![HashSlot {
            hash: [2; 32],
            slot: 2,
        }],
    });
    check(&BlockAnnouncement {
        header: header(&TINY),
        finalized: HashSlot {
            hash: [1; 32],
            slot: 1,
        },
    });
    check(&WorkPackageSubmission {
        core_index: 0,
        package: work_package(&TINY),
    });
    check(&CoreMappings {
        core_index: 1,
        mappings: vec![],
    });
    check(&SharingResponse {
        report_hash: [0; 32],
        signature: [0; 64],
    });
    check(&guarantee(&TINY));
    check(&work_report(&TINY));
    check(&WorkReportRequest([0; 32]));
    check(&ShardRequest {
        erasure_root: [0; 32],
        shard_index: 0,
    });
    check(&AssuranceDistribution {
        anchor: [0; 32],
        bitfield: vec![1],
        signature: [0; 64],
    });
    check(&PreimageAnnouncement {
        service_id: 1,
        hash: [0; 32],
        length: 1,
    });
    check(&PreimageRequest([0; 32]));
    check(&AuditAnnouncement {
        header_hash: [0; 32],
        tranche: 0,
        announcement: TrancheAnnouncement {
            reports: vec![],
            signature: [0; 64],
        },
    });
    check(&JudgmentPublication {
        epoch_index: 0,
        validator_index: 0,
        valid: true,
        report_hash: [0; 32],
        signature: [0; 64],
    });
    check(&BundleRequest([0; 32]));
    check(&work_package(&TINY));
}

/// xorshift64: a fixed-seed generator, so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Decodes `b` as an `M`; if it decodes, the encoding is canonical: it re-encodes to `b`.
fn try_one<M: Message>(b: &[u8], spec: &ChainSpec) -> bool {
    match M::from_bytes(b, spec) {
        Ok(m) => {
            assert_eq!(
                m.to_bytes(),
                b,
                "{} decoded from non-canonical bytes",
                std::any::type_name::<M>()
            );
            true
        }
        Err(_) => false,
    }
}

/// Runs `b` through every decoder of the crate; returns how many accepted it.
fn every_decoder(b: &[u8], spec: &ChainSpec, package: &WorkPackage) -> usize {
    let ann = |tranche| AuditAnnouncement {
        header_hash: [0; 32],
        tranche,
        announcement: TrancheAnnouncement {
            reports: vec![
                AuditedReport {
                    core_index: 0,
                    report_hash: [0; 32],
                };
                2
            ],
            signature: [0; 64],
        },
    };
    let mut ok = 0;
    ok += try_one::<Handshake>(b, spec) as usize;
    ok += try_one::<BlockAnnouncement>(b, spec) as usize;
    ok += try_one::<BlockRequest>(b, spec) as usize;
    ok += try_one::<BlockResponse>(b, spec) as usize;
    ok += try_one::<StateRequest>(b, spec) as usize;
    ok += try_one::<BoundaryNodes>(b, spec) as usize;
    ok += try_one::<KeyValues>(b, spec) as usize;
    ok += try_one::<TicketDistribution>(b, spec) as usize;
    ok += try_one::<WorkPackageSubmission>(b, spec) as usize;
    ok += try_one::<WorkPackage>(b, spec) as usize;
    ok += try_one::<CoreMappings>(b, spec) as usize;
    ok += try_one::<WorkPackageBundle>(b, spec) as usize;
    ok += try_one::<SharingResponse>(b, spec) as usize;
    ok += try_one::<marmalade_types::ReportGuarantee>(b, spec) as usize;
    ok += try_one::<WorkReportRequest>(b, spec) as usize;
    ok += try_one::<marmalade_types::WorkReport>(b, spec) as usize;
    ok += try_one::<ShardRequest>(b, spec) as usize;
    ok += try_one::<BundleShard>(b, spec) as usize;
    ok += try_one::<SegmentShards>(b, spec) as usize;
    ok += try_one::<Justification>(b, spec) as usize;
    ok += try_one::<SegmentShardRequest>(b, spec) as usize;
    ok += try_one::<AssuranceDistribution>(b, spec) as usize;
    ok += try_one::<PreimageAnnouncement>(b, spec) as usize;
    ok += try_one::<PreimageRequest>(b, spec) as usize;
    ok += try_one::<PreimageResponse>(b, spec) as usize;
    ok += try_one::<AuditAnnouncement>(b, spec) as usize;
    ok += try_one::<JudgmentPublication>(b, spec) as usize;
    ok += try_one::<JudgmentGuarantee>(b, spec) as usize;
    ok += try_one::<BundleRequest>(b, spec) as usize;
    ok += try_one::<Segments>(b, spec) as usize;
    ok += try_one::<ImportProofs>(b, spec) as usize;
    ok += try_one::<SegmentRequest>(b, spec) as usize;
    if let Ok(j) = Justification::from_bytes_segment(b, spec) {
        assert_eq!(j.to_bytes(), b);
        ok += 1;
    }
    if let Ok(r) = BlockResponse::from_bytes_at_most(b, spec, 2) {
        assert_eq!(r.to_bytes(), b);
        ok += 1;
    }
    if let Ok(s) = SegmentShards::from_bytes_at_most(b, spec, 3) {
        assert_eq!(s.to_bytes(), b);
        ok += 1;
    }
    if let Ok(x) = ExtrinsicData::from_bytes(b, package) {
        assert_eq!(x.to_bytes(), b);
        ok += 1;
    }
    for tranche in [0, 1] {
        if let Ok(e) = AuditEvidence::from_bytes(b, spec, &ann(tranche)) {
            assert_eq!(e.to_bytes(), b);
            ok += 1;
        }
    }
    if let Ok(k) = StreamKind::from_byte(b.first().copied().unwrap_or(1)) {
        assert_eq!(k.to_byte(), b[0]);
    }
    let mut r = MessageReader::new(64);
    let _ = r.read_all(b);
    let _ = r.finish();
    ok
}

#[test]
fn random_and_mutated_bytes_through_every_decoder() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for spec in SPECS {
        let package = work_package(&spec);
        // Valid encodings to mutate: the structured messages most likely to hit deep paths.
        let seeds: Vec<Vec<u8>> = vec![
            vector(&spec, "block.bin"),
            vector(&spec, "header_1.bin"),
            vector(&spec, "work_report.bin"),
            vector(&spec, "work_package.bin"),
            guarantee(&spec).to_bytes(),
            Handshake {
                finalized: HashSlot {
                    hash: [1; 32],
                    slot: 2,
                },
                leaves: vec![
                    HashSlot {
                        hash: [3; 32],
                        slot: 4
                    };
                    3
                ],
            }
            .to_bytes(),
            SegmentShardRequest(vec![SegmentShardRequestItem {
                erasure_root: [5; 32],
                shard_index: 1,
                segment_indices: vec![1, 2, 3],
            }])
            .to_bytes(),
            KeyValues(vec![KeyValue {
                key: [1; 31],
                value: vec![2; 40],
            }])
            .to_bytes(),
        ];
        let mut accepted = 0;
        for i in 0..1500 {
            let b = if i % 2 == 0 {
                let n = rng.below(300);
                rng.bytes(n)
            } else {
                let mut b = seeds[rng.below(seeds.len())].clone();
                match rng.below(3) {
                    0 => {
                        for _ in 0..1 + rng.below(3) {
                            let at = rng.below(b.len());
                            b[at] ^= 1 << rng.below(8);
                        }
                    }
                    1 => b.truncate(rng.below(b.len())),
                    _ => {
                        let n = rng.below(40);
                        b.extend(rng.bytes(n));
                    }
                }
                b
            };
            accepted += every_decoder(&b, &spec, &package);
        }
        // The three raw-blob messages (bundle, bundle shard, preimage) accept any bytes.
        assert!(accepted >= 3 * 1500, "{accepted}");
    }
}
