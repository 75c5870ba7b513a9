//! The block-import traces (`traces/{fallback,safrole,storage,storage_light,preimages,
//! preimages_light}`, tiny): all 600 steps must pass, 100 per folder. Fails when the vectors
//! are missing.

use marmalade_conformance::trace::TRACE_SETS as SETS;

#[test]
fn traces_all_pass() {
    let root = marmalade_conformance::vectors_root().join("jam-test-vectors/traces");
    let dirs: Vec<_> = SETS.iter().map(|s| root.join(s)).collect();
    for d in &dirs {
        assert!(
            d.is_dir(),
            "{} is missing: unpack the vectors (../shared/vectors/unpack) or set JAM_VECTORS",
            d.display()
        );
    }
    let outcomes = marmalade_conformance::run_paths(&dirs).expect("the vectors are readable");
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    for f in failed.iter().take(5) {
        eprintln!("{}: {}", f.name, f.error.as_deref().unwrap_or_default());
    }
    assert!(
        failed.is_empty(),
        "{} of {} failed",
        failed.len(),
        outcomes.len()
    );
    assert_eq!(outcomes.len(), 600);
    for set in SETS {
        let n = outcomes
            .iter()
            .filter(|o| o.name.contains(&format!("/traces/{set}/")))
            .count();
        assert_eq!(n, 100, "{set}");
    }
}

/// A trace step's prior state (with its root) and block.
fn step(
    set: &str,
    n: u32,
) -> (
    marmalade_state::State,
    marmalade_types::Hash,
    marmalade_types::Block,
) {
    let path = marmalade_conformance::vectors_root()
        .join(format!("jam-test-vectors/traces/{set}/{n:08}.bin"));
    let step = marmalade_conformance::traces::load(&path).expect("the step loads");
    let spec = marmalade_types::ChainSpec::TINY;
    let pre = step
        .pre_state
        .to_state(&spec)
        .expect("the prior state decodes");
    (pre, step.pre_state.state_root, step.block)
}

/// Blocks of the traces, each broken in one way, are rejected with the error naming the rule
/// they break (and the prior state, only borrowed, is unchanged).
#[test]
fn tampered_blocks_are_rejected() {
    use marmalade_accumulation::CodeCache;
    use marmalade_chain::{extrinsic_hash, BlockError as ImportError};
    use marmalade_stf::{assurances, preimages, reports};
    let spec = marmalade_types::ChainSpec::TINY;
    let import_block = |spec: &_, pre: &marmalade_state::State, root: &_, block: &_, anc| {
        marmalade_chain::import_block(spec, pre, root, block, anc, &CodeCache::new())
    };
    let import = |set: &str, n: u32, tamper: &dyn Fn(&mut marmalade_types::Block)| {
        let (pre, root, mut block) = step(set, n);
        tamper(&mut block);
        let before = pre.clone();
        let r = import_block(&spec, &pre, &root, &block, None);
        assert_eq!(pre, before);
        r.err()
    };
    // The untouched blocks import.
    assert_eq!(import("storage", 12, &|_| {}), None);
    assert_eq!(import("safrole", 50, &|_| {}), None);

    // Header rules.
    assert!(matches!(
        import("fallback", 5, &|b| b.header.parent[0] ^= 1),
        Some(ImportError::BadParentHash { .. })
    ));
    assert!(matches!(
        import("fallback", 5, &|b| b.header.parent_state_root[0] ^= 1),
        Some(ImportError::BadParentStateRoot { .. })
    ));
    assert!(matches!(
        import("fallback", 5, &|b| b.header.slot = 4),
        Some(ImportError::BadSlot { prior: 4, slot: 4 })
    ));
    assert_eq!(
        import("fallback", 5, &|b| b.header.author_index = 6),
        Some(ImportError::BadAuthorIndex(6))
    );
    assert!(matches!(
        import("fallback", 5, &|b| b.header.extrinsic_hash[0] ^= 1),
        Some(ImportError::BadExtrinsicHash { .. })
    ));
    // The seal signs the unsigned header: any change to it breaks the seal.
    assert_eq!(
        import("fallback", 5, &|b| b.header.seal[95] ^= 1),
        Some(ImportError::BadSeal)
    );
    assert_eq!(
        import("fallback", 5, &|b| b.header.offenders_mark.push([1; 32])),
        Some(ImportError::BadOffendersMark)
    );
    assert_eq!(
        import("fallback", 5, &|b| b.header.author_index =
            (b.header.author_index + 1) % 6),
        Some(ImportError::UnexpectedAuthor)
    );
    // A ticketed slot: another output than the ticket's.
    assert_eq!(
        import("safrole", 50, &|b| b.header.seal[0] ^= 1),
        Some(ImportError::SealNotTicket)
    );
    assert_eq!(
        import("safrole", 12, &|b| b.header.epoch_mark = None),
        Some(ImportError::BadEpochMark)
    );
    assert_eq!(
        import("safrole", 46, &|b| b.header.tickets_mark = None),
        Some(ImportError::BadTicketsMark)
    );

    // Extrinsic rules (with H_X made to match the broken extrinsic).
    let fix =
        |b: &mut marmalade_types::Block| b.header.extrinsic_hash = extrinsic_hash(&b.extrinsic);
    assert_eq!(
        import("storage", 12, &|b| {
            b.extrinsic.assurances[0].signature[0] ^= 1;
            fix(b);
        }),
        Some(ImportError::Assurances(assurances::Error::BadSignature))
    );
    assert_eq!(
        import("storage", 12, &|b| {
            b.extrinsic.guarantees[0].slot = b.header.slot + 1;
            fix(b);
        }),
        Some(ImportError::Reports(reports::Error::FutureReportSlot))
    );
    assert_eq!(
        import("preimages", 8, &|b| {
            let p = b.extrinsic.preimages[0].clone();
            b.extrinsic.preimages.insert(0, p);
            fix(b);
        }),
        Some(ImportError::Preimages(
            preimages::Error::PreimagesNotSortedUnique
        ))
    );

    // The lookup anchor must be a known ancestor when an ancestry is given (GP (11.35)).
    let (pre, root, block) = step("storage", 12);
    assert!(matches!(
        import_block(&spec, &pre, &root, &block, Some(&[])),
        Err(ImportError::LookupAnchorNotAncestor { .. })
    ));
    let x = &block.extrinsic.guarantees[0].report.context;
    let ancestry = [(x.lookup_anchor_slot, x.lookup_anchor)];
    assert!(import_block(&spec, &pre, &root, &block, Some(&ancestry)).is_ok());
}
