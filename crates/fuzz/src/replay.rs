//! A replay client for recorded sessions: it plays the fuzzer's side of a recording against a
//! target and compares each answer with the recorded one.
//!
//! A recording is a folder of numbered message files, as in the protocol's examples:
//! `00000000_fuzzer_peer_info.bin`, `00000000_target_peer_info.bin`,
//! `00000001_fuzzer_initialize.bin`, `00000001_target_state_root.bin`, … Each `.bin` is one
//! message's JAM encoding without the frame's length prefix; `.json` twins are ignored here.
//!
//! Comparison rules: a `StateRoot` must be byte-exact; an `Error` matches any `Error` (the text
//! is free-form debugging output); a `PeerInfo` matches any `PeerInfo` (names and versions
//! differ between implementations); a `State` matches the same key/value set in any order; any
//! other message must be byte-exact.

use crate::framing::{read_frame_into, write_frame, FrameError, MAX_FRAME_LEN};
use crate::messages::{Message, MessageKind};
use marmalade_types::{serde_hex, ChainSpec, StateRoot};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One recorded request and the recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The step number from the file names.
    pub index: u32,
    /// The request's kind (from its file name, checked against its discriminator).
    pub request_kind: MessageKind,
    /// The request's encoding, sent as is.
    pub request: Vec<u8>,
    /// The recorded answer's kind.
    pub response_kind: MessageKind,
    /// The recorded answer's encoding.
    pub response: Vec<u8>,
}

/// A recorded session: its exchanges in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The folder it was loaded from.
    pub dir: PathBuf,
    /// The exchanges, by increasing index.
    pub exchanges: Vec<Exchange>,
}

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the recording or connecting to the target failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The recording folder does not have the expected shape.
    #[error("bad recording {}: {reason}", .path.display())]
    BadRecording {
        /// The offending file or folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Which side of an exchange a recorded file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Fuzzer,
    Target,
}

/// Parses `NNNNNNNN_{fuzzer,target}_{kind}.bin`.
fn parse_name(name: &str) -> Option<(u32, Side, MessageKind)> {
    let stem = name.strip_suffix(".bin")?;
    let (index, rest) = stem.split_once('_')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let index = index.parse().ok()?;
    let (side, kind) = rest.split_once('_')?;
    let side = match side {
        "fuzzer" => Side::Fuzzer,
        "target" => Side::Target,
        _ => return None,
    };
    Some((index, side, MessageKind::from_name(kind)?))
}

impl Recording {
    /// Loads the `.bin` files of `dir`. Every index must have exactly one fuzzer file and one
    /// target file, and each file's first byte must be the discriminator of the kind its name
    /// says. Messages are not otherwise decoded here.
    pub fn load(dir: impl AsRef<Path>) -> Result<Recording, ReplayError> {
        let dir = dir.as_ref().to_path_buf();
        let io_err = |context: String| move |source| ReplayError::Io { context, source };
        let bad = |path: &Path, reason: String| ReplayError::BadRecording {
            path: path.to_path_buf(),
            reason,
        };

        let mut files = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err(format!("reading {}", dir.display())))? {
            let entry = entry.map_err(io_err(format!("reading {}", dir.display())))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.ends_with(".bin") {
                continue;
            }
            let path = entry.path();
            let (index, side, kind) = parse_name(name).ok_or_else(|| {
                bad(
                    &path,
                    "expected a name like 00000001_fuzzer_import_block.bin".into(),
                )
            })?;
            files.push((index, side, kind, path));
        }
        files.sort_by_key(|(index, side, _, _)| (*index, *side == Side::Target));

        let mut exchanges: Vec<Exchange> = Vec::with_capacity(files.len() / 2);
        let mut pending: Option<(u32, MessageKind, Vec<u8>, PathBuf)> = None;
        for (index, side, kind, path) in files {
            let bytes = fs::read(&path).map_err(io_err(format!("reading {}", path.display())))?;
            if bytes.first() != Some(&kind.discriminator()) {
                return Err(bad(
                    &path,
                    format!("does not start with the {kind} discriminator"),
                ));
            }
            match (side, pending.take()) {
                (Side::Fuzzer, None) => pending = Some((index, kind, bytes, path)),
                (Side::Target, Some((i, request_kind, request, _))) if i == index => exchanges
                    .push(Exchange {
                        index,
                        request_kind,
                        request,
                        response_kind: kind,
                        response: bytes,
                    }),
                (Side::Fuzzer, Some((_, _, _, p))) => {
                    return Err(bad(&p, "fuzzer message without a target answer".into()))
                }
                (Side::Target, _) => {
                    return Err(bad(&path, "target answer without a fuzzer request".into()))
                }
            }
        }
        if let Some((_, _, _, p)) = pending {
            return Err(bad(&p, "fuzzer message without a target answer".into()));
        }
        if exchanges.is_empty() {
            return Err(bad(&dir, "no message files".into()));
        }
        Ok(Recording { dir, exchanges })
    }
}

/// How a target's answer differs from the recorded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MismatchDetail {
    /// An answer of another kind.
    WrongKind {
        /// The recorded kind.
        expected: MessageKind,
        /// The answer's kind.
        got: MessageKind,
        /// A one-line description of the answer.
        got_summary: String,
    },
    /// Another state root.
    StateRoot {
        /// The recorded root.
        expected: StateRoot,
        /// The answer's root.
        got: StateRoot,
    },
    /// Same kind, different content (for kinds compared by content other than state roots).
    Payload {
        /// The kind.
        kind: MessageKind,
        /// A one-line description of the recorded answer.
        expected: String,
        /// A one-line description of the answer.
        got: String,
    },
    /// The answer does not decode.
    Malformed {
        /// The decoding error.
        error: marmalade_codec::Error,
    },
}

/// One answer that differs from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The exchange's index.
    pub index: u32,
    /// The request's kind.
    pub request: MessageKind,
    /// How it differs.
    pub detail: MismatchDetail,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {}: ", self.index, self.request)?;
        match &self.detail {
            MismatchDetail::WrongKind {
                expected,
                got,
                got_summary,
            } => write!(f, "expected {expected}, got {got} ({got_summary})"),
            MismatchDetail::StateRoot { expected, got } => write!(
                f,
                "state root {} != expected {}",
                serde_hex::to_hex(got),
                serde_hex::to_hex(expected)
            ),
            MismatchDetail::Payload {
                kind,
                expected,
                got,
            } => write!(f, "{kind} differs: got {got}, expected {expected}"),
            MismatchDetail::Malformed { error } => write!(f, "malformed answer: {error}"),
        }
    }
}

/// Why a replay stopped before the end of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abort {
    /// The exchange being played.
    pub index: u32,
    /// Its request's kind.
    pub request: MessageKind,
    /// What happened (connection closed, timeout, …).
    pub reason: String,
}

/// The result of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    /// Exchanges in the recording.
    pub total: usize,
    /// Exchanges whose answer was received (matching or not).
    pub answered: usize,
    /// Answers that matched.
    pub matched: usize,
    /// Answers that did not, in order.
    pub mismatches: Vec<Mismatch>,
    /// Set if the replay stopped early.
    pub aborted: Option<Abort>,
}

impl ReplayReport {
    /// Every exchange was answered and matched.
    pub fn is_success(&self) -> bool {
        self.aborted.is_none() && self.mismatches.is_empty() && self.answered == self.total
    }
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} answers matched ({} answered, {} mismatches)",
            self.matched,
            self.total,
            self.answered,
            self.mismatches.len()
        )?;
        if let Some(a) = &self.aborted {
            write!(f, "; aborted at #{} {}: {}", a.index, a.request, a.reason)?;
        }
        for m in self.mismatches.iter().take(20) {
            write!(f, "\n  {m}")?;
        }
        if self.mismatches.len() > 20 {
            write!(f, "\n  … {} more", self.mismatches.len() - 20)?;
        }
        Ok(())
    }
}

/// Compares an answer with the recorded one; `None` if they match.
fn compare(exchange: &Exchange, got: &[u8], spec: &ChainSpec) -> Option<MismatchDetail> {
    if got == exchange.response.as_slice() {
        return None;
    }
    let got = match Message::decode_with(got, spec) {
        Ok(m) => m,
        Err(error) => return Some(MismatchDetail::Malformed { error }),
    };
    if got.kind() != exchange.response_kind {
        return Some(MismatchDetail::WrongKind {
            expected: exchange.response_kind,
            got: got.kind(),
            got_summary: got.summary(),
        });
    }
    let expected = Message::decode_with(&exchange.response, spec);
    match (expected, got) {
        (_, Message::PeerInfo(_)) | (_, Message::Error(_)) => None,
        (Ok(Message::StateRoot(expected)), Message::StateRoot(got)) => {
            Some(MismatchDetail::StateRoot { expected, got })
        }
        (Ok(Message::State(mut expected)), Message::State(mut got)) => {
            expected.sort_unstable();
            got.sort_unstable();
            (expected != got).then(|| MismatchDetail::Payload {
                kind: MessageKind::State,
                expected: format!("state ({} key/values)", expected.len()),
                got: format!("state ({} key/values)", got.len()),
            })
        }
        (expected, got) => Some(MismatchDetail::Payload {
            kind: got.kind(),
            expected: expected.map_or_else(|e| format!("undecodable ({e})"), |m| m.summary()),
            got: got.summary(),
        }),
    }
}

/// Plays `recording` over `stream` (already connected to the target) and compares every
/// answer. Mismatches do not stop the replay; a closed connection, an I/O error or a timeout
/// does (see [`ReplayReport::aborted`]).
pub fn replay<S: Read + Write>(
    mut stream: S,
    recording: &Recording,
    spec: ChainSpec,
) -> ReplayReport {
    let mut report = ReplayReport {
        total: recording.exchanges.len(),
        answered: 0,
        matched: 0,
        mismatches: Vec::new(),
        aborted: None,
    };
    let mut buf = Vec::new();
    for ex in &recording.exchanges {
        let abort = |reason: String| Abort {
            index: ex.index,
            request: ex.request_kind,
            reason,
        };
        if let Err(e) = write_frame(&mut stream, &ex.request, MAX_FRAME_LEN) {
            report.aborted = Some(abort(format!("sending the request: {e}")));
            break;
        }
        match read_frame_into(&mut stream, &mut buf, MAX_FRAME_LEN) {
            Ok(()) => {}
            Err(FrameError::Closed) => {
                report.aborted = Some(abort("the target closed the connection".into()));
                break;
            }
            Err(FrameError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                report.aborted = Some(abort("timed out waiting for the answer".into()));
                break;
            }
            Err(e) => {
                report.aborted = Some(abort(format!("reading the answer: {e}")));
                break;
            }
        }
        report.answered += 1;
        match compare(ex, &buf, &spec) {
            None => report.matched += 1,
            Some(detail) => {
                tracing::warn!(index = ex.index, request = %ex.request_kind, ?detail, "mismatch");
                report.mismatches.push(Mismatch {
                    index: ex.index,
                    request: ex.request_kind,
                    detail,
                });
            }
        }
    }
    report
}

/// Loads the recording in `dir`, connects to the target at `socket` and replays it (see
/// [`replay`]), waiting at most `timeout` for each answer (`None`: forever).
pub fn replay_socket(
    socket: impl AsRef<Path>,
    dir: impl AsRef<Path>,
    spec: ChainSpec,
    timeout: Option<Duration>,
) -> Result<ReplayReport, ReplayError> {
    let recording = Recording::load(dir)?;
    let socket = socket.as_ref();
    let io_err = |context: String| move |source| ReplayError::Io { context, source };
    let stream = UnixStream::connect(socket)
        .map_err(io_err(format!("connecting to {}", socket.display())))?;
    stream
        .set_read_timeout(timeout)
        .map_err(io_err("setting the read timeout".into()))?;
    Ok(replay(&stream, &recording, spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            parse_name("00000002_fuzzer_import_block.bin"),
            Some((2, Side::Fuzzer, MessageKind::ImportBlock))
        );
        assert_eq!(
            parse_name("00000000_target_peer_info.bin"),
            Some((0, Side::Target, MessageKind::PeerInfo))
        );
        assert_eq!(parse_name("00000000_target_peer_info.json"), None);
        assert_eq!(parse_name("x_target_error.bin"), None);
        assert_eq!(parse_name("00000001_other_error.bin"), None);
        assert_eq!(parse_name("00000001_target_nope.bin"), None);
    }

    fn exchange(response: Message) -> Exchange {
        Exchange {
            index: 3,
            request_kind: MessageKind::ImportBlock,
            request: vec![],
            response_kind: response.kind(),
            response: marmalade_codec::Encode::encode(&response),
        }
    }

    #[test]
    fn comparison_rules() {
        use marmalade_codec::Encode;
        let spec = ChainSpec::TINY;
        let root = exchange(Message::StateRoot([1; 32]));
        assert_eq!(
            compare(&root, &Message::StateRoot([1; 32]).encode(), &spec),
            None
        );
        assert_eq!(
            compare(&root, &Message::StateRoot([2; 32]).encode(), &spec),
            Some(MismatchDetail::StateRoot {
                expected: [1; 32],
                got: [2; 32]
            })
        );
        assert!(matches!(
            compare(&root, &Message::Error("x".into()).encode(), &spec),
            Some(MismatchDetail::WrongKind {
                expected: MessageKind::StateRoot,
                got: MessageKind::Error,
                ..
            })
        ));
        assert!(matches!(
            compare(&root, &[2, 0], &spec),
            Some(MismatchDetail::Malformed { .. })
        ));
        let err = exchange(Message::Error("recorded text".into()));
        assert_eq!(
            compare(&err, &Message::Error("other text".into()).encode(), &spec),
            None
        );
        let kv = |k: u8| crate::KeyValue {
            key: [k; 31],
            value: vec![k],
        };
        let state = exchange(Message::State(vec![kv(1), kv(2)]));
        assert_eq!(
            compare(&state, &Message::State(vec![kv(2), kv(1)]).encode(), &spec),
            None
        );
        assert!(compare(&state, &Message::State(vec![kv(1)]).encode(), &spec).is_some());
    }
}
