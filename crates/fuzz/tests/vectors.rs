//! Every recorded message decodes, re-encodes byte-identically and equals its JSON twin.

mod common;

use marmalade_codec::Encode;
use marmalade_fuzz::{Message, MessageKind, Recording, FEATURE_FORKS};
use marmalade_types::ChainSpec;

#[test]
fn every_message_round_trips_and_matches_its_json() {
    let mut checked = 0;
    for dir in common::session_dirs() {
        let files = common::bin_files(&dir);
        assert_eq!(files.len(), 204, "{}: message count", dir.display());
        for path in files {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let kind_name = name
                .strip_suffix(".bin")
                .unwrap()
                .splitn(3, '_')
                .nth(2)
                .unwrap();
            let kind = MessageKind::from_name(kind_name).expect(&name);

            let bytes = std::fs::read(&path).unwrap();
            let msg = Message::decode_with(&bytes, &ChainSpec::TINY)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(msg.kind(), kind, "{name}");
            assert_eq!(msg.encode(), bytes, "{name}: re-encoding differs");

            let json_text = std::fs::read_to_string(path.with_extension("json")).unwrap();
            let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
            let from_json: Message =
                serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(from_json, msg, "{name}: JSON twin differs");
            assert_eq!(
                serde_json::to_value(&msg).unwrap(),
                json,
                "{name}: serialized JSON differs"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 408);
}

#[test]
fn recordings_load_in_order() {
    for dir in common::session_dirs() {
        let rec = Recording::load(&dir).unwrap();
        assert_eq!(rec.exchanges.len(), 102, "{}", dir.display());
        for (i, ex) in rec.exchanges.iter().enumerate() {
            assert_eq!(ex.index as usize, i);
            let (req, resp) = (ex.request_kind, ex.response_kind);
            match i {
                0 => assert_eq!((req, resp), (MessageKind::PeerInfo, MessageKind::PeerInfo)),
                1 => assert_eq!(
                    (req, resp),
                    (MessageKind::Initialize, MessageKind::StateRoot)
                ),
                _ => {
                    assert_eq!(req, MessageKind::ImportBlock);
                    assert!(matches!(resp, MessageKind::StateRoot | MessageKind::Error));
                }
            }
        }
    }
}

/// What the recordings say about the protocol in practice (see the crate report).
#[test]
fn recorded_session_facts() {
    for dir in common::session_dirs() {
        let rec = Recording::load(&dir).unwrap();
        let dec = |b: &[u8]| Message::decode_with(b, &ChainSpec::TINY).unwrap();

        // Both peers announce the forks feature only (no ancestry), JAM 0.7.2.
        for b in [&rec.exchanges[0].request, &rec.exchanges[0].response] {
            let Message::PeerInfo(p) = dec(b) else {
                panic!()
            };
            assert_eq!(p.fuzz_version, 1);
            assert_eq!(p.fuzz_features, FEATURE_FORKS);
            assert_eq!(p.jam_version.to_string(), "0.7.2");
        }

        // Initialize: a genesis-like header, the state, an empty ancestry.
        let Message::Initialize(init) = dec(&rec.exchanges[1].request) else {
            panic!()
        };
        assert!(init.ancestry.is_empty());
        assert_eq!(init.header.slot, 0);
        assert!(init.header.epoch_mark.is_some());
        let genesis = init.header.hash();
        let Message::StateRoot(genesis_root) = dec(&rec.exchanges[1].response) else {
            panic!()
        };

        // The first block builds on the Initialize header and its state root.
        let Message::ImportBlock(b) = dec(&rec.exchanges[2].request) else {
            panic!()
        };
        assert_eq!(b.header.parent, genesis);
        assert_eq!(b.header.parent_state_root, genesis_root);

        // Errors: nothing but a text.
        let errors = rec
            .exchanges
            .iter()
            .filter(|e| e.response_kind == MessageKind::Error)
            .count();
        if dir.ends_with("forks") {
            assert_eq!(errors, 68);
        } else {
            assert_eq!(errors, 0);
        }
    }
}
