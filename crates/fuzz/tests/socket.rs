//! End to end over real Unix sockets: a mock target behind [`Server`], driven by hand and by
//! the replay client with the recorded sessions.

mod common;

use marmalade_codec::Encode;
use marmalade_crypto::hash::blake2b_256;
use marmalade_fuzz::{
    read_frame, replay_socket, write_frame, write_message, Ancestry, FrameError, FuzzError,
    KeyValue, KeyValues, Message, MessageKind, MismatchDetail, PeerInfo, Recording, Server, Target,
    Version, FEATURE_ANCESTRY, FEATURE_FORKS, MAX_FRAME_LEN,
};
use marmalade_types::{Block, ChainSpec, Extrinsic, Header, HeaderHash, StateRoot};
use std::collections::{HashMap, VecDeque};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A toy chain: a block with an odd slot is invalid; a valid block adds one key/value.
#[derive(Default)]
struct Mock {
    states: HashMap<HeaderHash, KeyValues>,
    features: Option<u32>,
    resets: Arc<AtomicUsize>,
}

fn root(state: &KeyValues) -> StateRoot {
    let mut s = state.clone();
    s.sort();
    blake2b_256(&s.encode())
}

impl Target for Mock {
    fn on_handshake(&mut self, _: &PeerInfo, features: u32) {
        self.features = Some(features);
    }
    fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        _: Ancestry,
    ) -> Result<StateRoot, String> {
        assert!(self.features.is_some(), "handshake first");
        self.states.clear();
        let r = root(&state);
        self.states.insert(header.hash(), state);
        Ok(r)
    }
    fn import_block(&mut self, block: Block) -> Result<StateRoot, String> {
        let parent = self
            .states
            .get(&block.header.parent)
            .ok_or("unknown parent")?;
        if block.header.slot % 2 == 1 {
            return Err(format!("odd slot {}", block.header.slot));
        }
        let mut state = parent.clone();
        state.push(KeyValue {
            key: [block.header.slot as u8; 31],
            value: block.header.slot.to_le_bytes().to_vec(),
        });
        let r = root(&state);
        self.states.insert(block.header.hash(), state);
        Ok(r)
    }
    fn get_state(&mut self, h: HeaderHash) -> Result<KeyValues, String> {
        self.states.get(&h).cloned().ok_or_else(|| "unknown".into())
    }
    fn reset(&mut self) {
        self.states.clear();
        self.features = None;
        self.resets.fetch_add(1, Ordering::SeqCst);
    }
}

fn header(parent: HeaderHash, slot: u32) -> Header {
    Header {
        parent,
        parent_state_root: [0; 32],
        extrinsic_hash: [0; 32],
        slot,
        epoch_mark: None,
        tickets_mark: None,
        author_index: 0,
        entropy_source: [0; 96],
        offenders_mark: vec![],
        seal: [0; 96],
    }
}

fn fuzzer_hello() -> Message {
    Message::PeerInfo(PeerInfo {
        fuzz_version: 1,
        fuzz_features: FEATURE_ANCESTRY | FEATURE_FORKS,
        jam_version: Version {
            major: 0,
            minor: 7,
            patch: 2,
        },
        app_version: Version {
            major: 9,
            minor: 9,
            patch: 9,
        },
        app_name: "test-fuzzer".into(),
    })
}

fn ask(s: &mut UnixStream, m: &Message) -> Message {
    write_message(s, m, MAX_FRAME_LEN).unwrap();
    let reply = read_frame(s, MAX_FRAME_LEN).unwrap();
    Message::decode_with(&reply, &ChainSpec::TINY).unwrap()
}

#[test]
fn handshake_requests_malformed_message_then_a_second_session() {
    let dir = common::temp_dir("e2e");
    let sock = dir.join("t.sock");
    let server = Server::bind(&sock, ChainSpec::TINY).unwrap();
    let resets = Arc::new(AtomicUsize::new(0));
    let mut mock = Mock {
        resets: resets.clone(),
        ..Mock::default()
    };
    let handle = std::thread::spawn(move || {
        let first = server.accept_session(&mut mock);
        let second = server.accept_session(&mut mock);
        (first, second)
    });

    // Session 1.
    let mut s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let Message::PeerInfo(ours) = ask(&mut s, &fuzzer_hello()) else {
        panic!("expected peer_info")
    };
    assert_eq!(ours.app_name, "marmalade");
    assert_eq!(ours.fuzz_version, 1);
    assert_eq!(ours.fuzz_features, FEATURE_ANCESTRY | FEATURE_FORKS);
    assert_eq!(ours.jam_version.to_string(), "0.7.2");

    let genesis = header([0; 32], 0);
    let kv = KeyValue {
        key: [9; 31],
        value: vec![1, 2, 3],
    };
    let init = Message::Initialize(Box::new(marmalade_fuzz::Initialize {
        header: genesis.clone(),
        state: vec![kv.clone()],
        ancestry: vec![],
    }));
    assert_eq!(
        ask(&mut s, &init),
        Message::StateRoot(root(&vec![kv.clone()]))
    );

    let b2 = Block {
        header: header(genesis.hash(), 2),
        extrinsic: Extrinsic::default(),
    };
    let Message::StateRoot(_) = ask(&mut s, &Message::ImportBlock(Box::new(b2.clone()))) else {
        panic!("block 2 should import")
    };
    let b3 = Block {
        header: header(genesis.hash(), 3),
        extrinsic: Extrinsic::default(),
    };
    assert_eq!(
        ask(&mut s, &Message::ImportBlock(Box::new(b3))),
        Message::Error("odd slot 3".into())
    );
    let Message::State(state) = ask(&mut s, &Message::GetState(b2.header.hash())) else {
        panic!("expected state")
    };
    assert_eq!(state.len(), 2);

    // A state root from the fuzzer is truncated: the target hangs up without answering.
    write_frame(&mut s, &[2, 1, 2, 3], MAX_FRAME_LEN).unwrap();
    assert!(matches!(
        read_frame(&mut s, MAX_FRAME_LEN),
        Err(FrameError::Closed)
    ));
    drop(s);

    // Session 2 works from scratch.
    let mut s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(ask(&mut s, &fuzzer_hello()).kind(), MessageKind::PeerInfo);
    // The previous session's state is gone.
    let init2 = Message::Initialize(Box::new(marmalade_fuzz::Initialize {
        header: header([1; 32], 0),
        state: vec![],
        ancestry: vec![],
    }));
    assert_eq!(ask(&mut s, &init2), Message::StateRoot(root(&vec![])));
    write_message(&mut s, &Message::GetState(b2.header.hash()), MAX_FRAME_LEN).unwrap();
    // get_state failure has no protocol answer: the session ends.
    assert!(matches!(
        read_frame(&mut s, MAX_FRAME_LEN),
        Err(FrameError::Closed)
    ));
    drop(s);

    let (first, second) = handle.join().unwrap();
    assert!(
        matches!(
            first,
            Err(FuzzError::Malformed {
                kind: Some(MessageKind::StateRoot),
                ..
            })
        ),
        "{first:?}"
    );
    assert!(
        matches!(
            second,
            Err(FuzzError::Target {
                request: MessageKind::GetState,
                ..
            })
        ),
        "{second:?}"
    );
    assert_eq!(resets.load(Ordering::SeqCst), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clean_close_ends_a_session_normally() {
    let dir = common::temp_dir("close");
    let sock = dir.join("t.sock");
    let server = Server::bind(&sock, ChainSpec::TINY).unwrap();
    let handle = std::thread::spawn(move || server.accept_session(&mut Mock::default()));
    let mut s = UnixStream::connect(&sock).unwrap();
    ask(&mut s, &fuzzer_hello());
    let init = Message::Initialize(Box::new(marmalade_fuzz::Initialize {
        header: header([0; 32], 0),
        state: vec![],
        ancestry: vec![],
    }));
    ask(&mut s, &init);
    drop(s);
    let end = handle.join().unwrap().unwrap();
    assert_eq!(end.requests, 1);
    assert_eq!(end.features, FEATURE_ANCESTRY | FEATURE_FORKS);
    assert_eq!(end.fuzzer.unwrap().app_name, "test-fuzzer");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn socket_file_handling() {
    let dir = common::temp_dir("stale");
    let sock = dir.join("t.sock");

    // A stale socket file (its listener is gone) is replaced.
    drop(UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    let server = Server::bind(&sock, ChainSpec::TINY).unwrap();

    // A live one is not.
    let err = Server::bind(&sock, ChainSpec::TINY).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    // (The probe connection above is queued on the live server; serve it so it closes.)
    let end = server.accept_session(&mut Mock::default()).unwrap();
    assert!(end.fuzzer.is_none());

    // Dropping the server removes its socket file.
    drop(server);
    assert!(!sock.exists());

    // A regular file is never removed.
    std::fs::write(&sock, b"not a socket").unwrap();
    assert_eq!(
        Server::bind(&sock, ChainSpec::TINY).unwrap_err().kind(),
        std::io::ErrorKind::AlreadyExists
    );
    assert!(sock.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Answers with the recorded responses, after checking each request is the recorded one.
struct Playback {
    /// Recorded (request, response) pairs after the handshake.
    script: VecDeque<(Vec<u8>, Message)>,
    /// Index (among imports) of an answer to tamper with.
    tamper: Option<usize>,
    imports: usize,
}

impl Playback {
    fn new(rec: &Recording, tamper: Option<usize>) -> Playback {
        let script = rec
            .exchanges
            .iter()
            .skip(1)
            .map(|e| {
                (
                    e.request.clone(),
                    Message::decode_with(&e.response, &ChainSpec::TINY).unwrap(),
                )
            })
            .collect();
        Playback {
            script,
            tamper,
            imports: 0,
        }
    }

    fn next(&mut self, request: Message) -> Message {
        let (bytes, answer) = self
            .script
            .pop_front()
            .expect("more requests than recorded");
        assert_eq!(
            request.encode(),
            bytes,
            "the request reached the target intact"
        );
        answer
    }
}

impl Target for Playback {
    fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        ancestry: Ancestry,
    ) -> Result<StateRoot, String> {
        let req = Message::Initialize(Box::new(marmalade_fuzz::Initialize {
            header,
            state,
            ancestry,
        }));
        match self.next(req) {
            Message::StateRoot(r) => Ok(r),
            other => panic!("recorded {other:?}"),
        }
    }
    fn import_block(&mut self, block: Block) -> Result<StateRoot, String> {
        let answer = self.next(Message::ImportBlock(Box::new(block)));
        let i = self.imports;
        self.imports += 1;
        match (answer, self.tamper == Some(i)) {
            (Message::StateRoot(mut r), tamper) => {
                if tamper {
                    r[0] ^= 1;
                }
                Ok(r)
            }
            (Message::Error(_), true) => Ok([0; 32]),
            (Message::Error(e), false) => Err(format!("replayed: {e}")),
            (other, _) => panic!("recorded {other:?}"),
        }
    }
    fn get_state(&mut self, _: HeaderHash) -> Result<KeyValues, String> {
        Err("not recorded".into())
    }
    fn reset(&mut self) {}
}

#[test]
fn replaying_the_recordings_against_a_playback_target() {
    for (n, rec_dir) in common::session_dirs().into_iter().enumerate() {
        let rec = Recording::load(&rec_dir).unwrap();
        let dir = common::temp_dir(&format!("replay{n}"));
        let sock = dir.join("t.sock");
        let server = Server::bind(&sock, ChainSpec::TINY).unwrap();

        // Tamper with import #0 (an Error in `forks`, a root in `no_forks`) and import #1.
        let recs = rec.clone();
        let handle = std::thread::spawn(move || {
            let a = server.accept_session(&mut Playback::new(&recs, None));
            let b = server.accept_session(&mut Playback::new(&recs, Some(1)));
            let c = server.accept_session(&mut Playback::new(&recs, Some(0)));
            (a, b, c)
        });
        let timeout = Some(Duration::from_secs(60));

        let exact = replay_socket(&sock, &rec_dir, ChainSpec::TINY, timeout).unwrap();
        assert!(exact.is_success(), "{exact}");
        assert_eq!(exact.matched, 102);

        let one_off = replay_socket(&sock, &rec_dir, ChainSpec::TINY, timeout).unwrap();
        assert!(!one_off.is_success());
        assert_eq!(one_off.answered, 102);
        assert_eq!(one_off.mismatches.len(), 1, "{one_off}");
        let m = &one_off.mismatches[0];
        assert_eq!((m.index, m.request), (3, MessageKind::ImportBlock));
        assert!(
            matches!(m.detail, MismatchDetail::StateRoot { .. }),
            "{one_off}"
        );

        let first = replay_socket(&sock, &rec_dir, ChainSpec::TINY, timeout).unwrap();
        assert_eq!(first.mismatches.len(), 1, "{first}");
        let m = &first.mismatches[0];
        assert_eq!(m.index, 2);
        match rec.exchanges[2].response_kind {
            MessageKind::Error => assert!(
                matches!(
                    m.detail,
                    MismatchDetail::WrongKind {
                        expected: MessageKind::Error,
                        got: MessageKind::StateRoot,
                        ..
                    }
                ),
                "{first}"
            ),
            _ => assert!(matches!(m.detail, MismatchDetail::StateRoot { .. })),
        }

        let (a, b, c) = handle.join().unwrap();
        for end in [a, b, c] {
            let end = end.unwrap();
            assert_eq!(end.requests, 101);
            assert_eq!(end.features, FEATURE_FORKS);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn replay_reports_a_target_that_hangs_up() {
    struct Refuses;
    impl Target for Refuses {
        fn initialize(
            &mut self,
            _: Header,
            _: KeyValues,
            _: Ancestry,
        ) -> Result<StateRoot, String> {
            Err("cannot".into())
        }
        fn import_block(&mut self, _: Block) -> Result<StateRoot, String> {
            unreachable!()
        }
        fn get_state(&mut self, _: HeaderHash) -> Result<KeyValues, String> {
            unreachable!()
        }
        fn reset(&mut self) {}
    }
    let rec_dir = common::session_dirs().remove(1);
    let dir = common::temp_dir("hangup");
    let sock = dir.join("t.sock");
    let server = Server::bind(&sock, ChainSpec::TINY).unwrap();
    let handle = std::thread::spawn(move || server.accept_session(&mut Refuses));
    let report = replay_socket(
        &sock,
        &rec_dir,
        ChainSpec::TINY,
        Some(Duration::from_secs(60)),
    )
    .unwrap();
    assert_eq!(report.answered, 1);
    assert_eq!(report.matched, 1);
    let abort = report.aborted.clone().expect("aborted");
    assert_eq!((abort.index, abort.request), (1, MessageKind::Initialize));
    assert!(!report.is_success());
    assert!(matches!(
        handle.join().unwrap(),
        Err(FuzzError::Target {
            request: MessageKind::Initialize,
            ..
        })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
