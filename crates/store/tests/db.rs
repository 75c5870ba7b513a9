//! [`ChainDb`]: what is written survives a reopen; finalization moves the stored state; the
//! block tree is listed from the finalized block; another chain's genesis is refused.

use marmalade_store::{ChainDb, DbError};
use marmalade_types::{Block, ChainSpec, Extrinsic, Header, HeaderHash};

const SPEC: ChainSpec = ChainSpec::TINY;

fn header(parent: HeaderHash, slot: u32, tag: u8) -> Header {
    Header {
        parent,
        parent_state_root: [tag; 32],
        extrinsic_hash: [0; 32],
        slot,
        epoch_mark: None,
        tickets_mark: None,
        author_index: u16::from(tag),
        entropy_source: [tag; 96],
        offenders_mark: Vec::new(),
        seal: [0; 96],
    }
}

fn block(parent: &Header, slot: u32, tag: u8) -> Block {
    Block {
        header: header(parent.hash(), slot, tag),
        extrinsic: Extrinsic::default(),
    }
}

fn key(i: u8) -> [u8; 31] {
    [i; 31]
}

#[test]
fn blocks_state_and_pointers_survive_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let genesis = header([0; 32], 0, 0);
    let state = vec![(key(1), vec![1]), (key(2), vec![2, 2]), (key(3), vec![3])];
    let b1 = block(&genesis, 1, 1);
    let b2 = block(&b1.header, 2, 2);
    let fork = block(&b1.header, 3, 9);
    let b3 = block(&b2.header, 4, 3);
    {
        let db = ChainDb::open(dir.path(), SPEC).expect("open");
        assert_eq!(db.genesis().expect("read"), None);
        db.initialize(&genesis, &state, &[0; 32])
            .expect("initialize");
        for b in [&b1, &b2, &fork, &b3] {
            db.insert_block(b, &[b.header.slot as u8; 32], &b.header.hash())
                .expect("insert");
        }
        // Finalize b2: key 1 changed, key 2 removed, key 4 added.
        let changes = vec![
            (key(1), Some(vec![7])),
            (key(2), None),
            (key(4), Some(vec![4])),
        ];
        db.finalize(&b2.header.hash(), &changes).expect("finalize");
    }
    let db = ChainDb::open(dir.path(), SPEC).expect("reopen");
    assert_eq!(db.genesis().expect("read"), Some(genesis.hash()));
    assert_eq!(db.best().expect("read"), Some(b3.header.hash()));
    assert_eq!(db.finalized().expect("read"), Some(b2.header.hash()));
    assert_eq!(
        db.state().expect("state"),
        vec![(key(1), vec![7]), (key(3), vec![3]), (key(4), vec![4])]
    );
    assert_eq!(db.block(&b3.header.hash()).expect("read"), Some(b3.clone()));
    let h = db.header(&b3.header.hash()).expect("read").expect("stored");
    assert_eq!(
        (h.height, h.block.slot, h.block.parent, h.state_root),
        (3, 4, b2.header.hash(), [4; 32])
    );
    // From b1: its children (b2 and the fork) by height, then b3; nothing from elsewhere.
    let after_b1: Vec<_> = db.descendants(&b1.header.hash()).expect("read");
    assert_eq!(after_b1.len(), 3);
    assert_eq!(after_b1[2], b3);
    assert_eq!(
        db.descendants(&b2.header.hash()).expect("read"),
        vec![b3.clone()]
    );
    assert!(db
        .descendants(&fork.header.hash())
        .expect("read")
        .is_empty());
    let anc = db.ancestry(&b3.header.hash(), 10).expect("read");
    let hashes: Vec<_> = anc.iter().map(|a| a.1).collect();
    assert_eq!(
        hashes,
        vec![
            genesis.hash(),
            b1.header.hash(),
            b2.header.hash(),
            b3.header.hash()
        ]
    );
    assert_eq!(db.ancestry(&b3.header.hash(), 2).expect("read").len(), 2);

    // Whole-state finalization replaces the state.
    db.finalize_whole(&b3.header.hash(), &[(key(5), vec![5])])
        .expect("finalize");
    assert_eq!(db.state().expect("state"), vec![(key(5), vec![5])]);
}

#[test]
fn another_genesis_and_orphans_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ChainDb::open(dir.path(), SPEC).expect("open");
    let genesis = header([0; 32], 0, 0);
    db.initialize(&genesis, &[], &[0; 32]).expect("initialize");
    // The same genesis again is fine; another is not.
    db.initialize(&genesis, &[], &[0; 32])
        .expect("same genesis");
    let other = header([1; 32], 0, 0);
    assert!(matches!(
        db.initialize(&other, &[], &[0; 32]),
        Err(DbError::OtherChain { .. })
    ));
    let orphan = block(&other, 1, 1);
    assert!(matches!(
        db.insert_block(&orphan, &[0; 32], &orphan.header.hash()),
        Err(DbError::UnknownParent(_))
    ));
    assert_eq!(db.best().expect("read"), Some(genesis.hash()));
}

#[test]
fn a_second_process_cannot_open_it_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _db = ChainDb::open(dir.path(), SPEC).expect("open");
    assert!(matches!(
        ChainDb::open(dir.path(), SPEC),
        Err(DbError::Backend { .. })
    ));
}
