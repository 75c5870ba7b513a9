//! The target side of the protocol: the [`Target`] trait a node implements, one session over any
//! byte stream ([`serve_session`]), and a Unix-socket server that runs sessions one after
//! another ([`Server`], [`serve`]).
//!
//! A session: the fuzzer sends [`PeerInfo`], the target answers with its own
//! ([`PeerInfo::marmalade`]); then, until the fuzzer closes the connection, each request gets one
//! answer: `Initialize` → `StateRoot`, `ImportBlock` → `StateRoot` or `Error`, `GetState` →
//! `State`. A malformed or unexpected message ends the session without an answer, as the
//! protocol says, with a typed [`FuzzError`].

use crate::framing::{read_frame_into, write_message, FrameError, MAX_FRAME_LEN};
use crate::messages::{
    Ancestry, Features, Initialize, KeyValues, Message, MessageKind, PeerInfo, FUZZ_VERSION,
    JAM_VERSION, MAX_ANCESTRY,
};
use marmalade_types::{Block, ChainSpec, Header, HeaderHash, StateRoot, UnknownChainSpec};
use std::convert::Infallible;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The environment variable naming the chain spec (`tiny` or `full`; default `tiny`).
pub const ENV_SPEC: &str = "JAM_FUZZ_SPEC";
/// The environment variable naming the socket path.
pub const ENV_SOCK_PATH: &str = "JAM_FUZZ_SOCK_PATH";
/// The socket path the protocol README uses as its example.
pub const DEFAULT_SOCKET_PATH: &str = "/tmp/jam_target.sock";

/// What the node implements to be fuzzed.
///
/// Errors are strings: an `import_block` error is sent to the fuzzer as an `Error` message;
/// an `initialize` or `get_state` error has no protocol answer and ends the session.
pub trait Target {
    /// Called once per session after the handshake, with the fuzzer's [`PeerInfo`] and the
    /// session's features (the bitwise-and of both peers' masks). Without
    /// [`FEATURE_ANCESTRY`](crate::FEATURE_ANCESTRY) the target must skip the lookup-anchor
    /// ancestry check. The default does nothing.
    fn on_handshake(&mut self, fuzzer: &PeerInfo, features: Features) {
        let _ = (fuzzer, features);
    }

    /// Replaces the whole state with `state`, stored exactly as given whatever `header` says,
    /// and remembers it as the state of the block with `header`'s hash (the parent of the
    /// first block to import). `ancestry` lists the first block's ancestors, newest last or
    /// as the fuzzer sends them (empty without the ancestry feature). Returns the state root.
    fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        ancestry: Ancestry,
    ) -> Result<StateRoot, String>;

    /// Imports `block` on top of the state of its parent (which, with the forks feature, need
    /// not be the last imported block) and returns the posterior state root. On `Err` the
    /// target's state must be exactly as before the call; the text goes to the fuzzer.
    fn import_block(&mut self, block: Block) -> Result<StateRoot, String>;

    /// The whole posterior state of the block with this header hash (or of the `Initialize`
    /// header).
    fn get_state(&mut self, header_hash: HeaderHash) -> Result<KeyValues, String>;

    /// Drops all state, as if freshly created. Called after every session.
    fn reset(&mut self);
}

impl<T: Target + ?Sized> Target for Box<T> {
    fn on_handshake(&mut self, fuzzer: &PeerInfo, features: Features) {
        (**self).on_handshake(fuzzer, features)
    }
    fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        ancestry: Ancestry,
    ) -> Result<StateRoot, String> {
        (**self).initialize(header, state, ancestry)
    }
    fn import_block(&mut self, block: Block) -> Result<StateRoot, String> {
        (**self).import_block(block)
    }
    fn get_state(&mut self, header_hash: HeaderHash) -> Result<KeyValues, String> {
        (**self).get_state(header_hash)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// Why a session ended other than by the fuzzer closing the connection.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// Reading or writing a frame failed: I/O error, truncated frame, oversize length.
    #[error("framing: {0}")]
    Frame(#[from] FrameError),
    /// A frame's payload is not a valid message.
    #[error("malformed {} message ({len} bytes): {error}", .kind.map_or("unknown", MessageKind::name))]
    Malformed {
        /// The kind the discriminator byte names, if it names one.
        kind: Option<MessageKind>,
        /// The payload length.
        len: usize,
        /// The decoding error.
        error: marmalade_codec::Error,
    },
    /// An `Initialize` whose ancestry is longer than the schema's `SIZE(0..24)`.
    #[error("ancestry of {0} items, the protocol allows at most {MAX_ANCESTRY}")]
    AncestryTooLong(usize),
    /// A valid message that the protocol does not allow here.
    #[error("unexpected {got} message, expected {expected}")]
    Unexpected {
        /// What arrived.
        got: MessageKind,
        /// What the protocol allows at this point.
        expected: &'static str,
    },
    /// The target failed a request that has no `Error` answer in the protocol
    /// (`initialize`, `get_state`).
    #[error("target failed {request}: {message}")]
    Target {
        /// The request.
        request: MessageKind,
        /// The target's error.
        message: String,
    },
    /// Any other I/O failure.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// How a session ended normally: the fuzzer closed the connection between messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionEnd {
    /// The fuzzer's handshake, `None` if it closed before sending one.
    pub fuzzer: Option<PeerInfo>,
    /// The session's features (both peers' masks and-ed).
    pub features: Features,
    /// Requests answered after the handshake.
    pub requests: u64,
    /// Blocks imported (answered with a state root).
    pub imported: u64,
    /// Blocks rejected (answered with an `Error`).
    pub rejected: u64,
}

/// Which requests are allowed next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Initialize,
    Running,
}

/// Serves one session over `stream` until the fuzzer closes it (`Ok`) or something goes wrong
/// (`Err`; the caller should then drop the stream, which closes the connection).
///
/// Never panics on peer input. The target is not reset here; [`Server::accept_session`] does
/// it after every session.
pub fn serve_session<S, T>(
    mut stream: S,
    target: &mut T,
    spec: ChainSpec,
) -> Result<SessionEnd, FuzzError>
where
    S: Read + Write,
    T: Target + ?Sized,
{
    let mut end = SessionEnd::default();
    let mut buf = Vec::new();
    let mut phase = Phase::Handshake;
    let ours = PeerInfo::marmalade();

    loop {
        match read_frame_into(&mut stream, &mut buf, MAX_FRAME_LEN) {
            Ok(()) => {}
            Err(FrameError::Closed) => {
                tracing::info!(
                    requests = end.requests,
                    imported = end.imported,
                    rejected = end.rejected,
                    "fuzzer closed the session"
                );
                return Ok(end);
            }
            Err(e) => return Err(e.into()),
        }
        let msg = Message::decode_with(&buf, &spec).map_err(|error| FuzzError::Malformed {
            kind: buf
                .first()
                .copied()
                .and_then(MessageKind::from_discriminator),
            len: buf.len(),
            error,
        })?;
        let started = Instant::now();
        tracing::debug!(request = %msg.summary(), "request");

        let reply = match (phase, msg) {
            (Phase::Handshake, Message::PeerInfo(theirs)) => {
                if theirs.fuzz_version != FUZZ_VERSION {
                    tracing::warn!(
                        version = theirs.fuzz_version,
                        "fuzzer speaks another fuzz protocol version"
                    );
                }
                if theirs.jam_version != JAM_VERSION {
                    tracing::warn!(
                        version = %theirs.jam_version,
                        "fuzzer targets another JAM version"
                    );
                }
                end.features = theirs.fuzz_features & ours.fuzz_features;
                tracing::info!(
                    fuzzer = %theirs.app_name,
                    version = %theirs.app_version,
                    features = end.features,
                    "handshake"
                );
                target.on_handshake(&theirs, end.features);
                end.fuzzer = Some(theirs);
                phase = Phase::Initialize;
                Message::PeerInfo(ours.clone())
            }
            (Phase::Handshake, other) => {
                return Err(FuzzError::Unexpected {
                    got: other.kind(),
                    expected: "peer_info",
                })
            }
            (_, Message::Initialize(init)) => {
                let Initialize {
                    header,
                    state,
                    ancestry,
                } = *init;
                if ancestry.len() > MAX_ANCESTRY {
                    return Err(FuzzError::AncestryTooLong(ancestry.len()));
                }
                let root = target
                    .initialize(header, state, ancestry)
                    .map_err(|message| FuzzError::Target {
                        request: MessageKind::Initialize,
                        message,
                    })?;
                phase = Phase::Running;
                Message::StateRoot(root)
            }
            (Phase::Running, Message::ImportBlock(block)) => match target.import_block(*block) {
                Ok(root) => {
                    end.imported += 1;
                    Message::StateRoot(root)
                }
                Err(e) => {
                    end.rejected += 1;
                    Message::Error(e)
                }
            },
            (Phase::Running, Message::GetState(hash)) => Message::State(
                target
                    .get_state(hash)
                    .map_err(|message| FuzzError::Target {
                        request: MessageKind::GetState,
                        message,
                    })?,
            ),
            (Phase::Initialize, other) => {
                return Err(FuzzError::Unexpected {
                    got: other.kind(),
                    expected: "initialize",
                })
            }
            (Phase::Running, other) => {
                return Err(FuzzError::Unexpected {
                    got: other.kind(),
                    expected: "initialize, import_block or get_state",
                })
            }
        };
        if phase == Phase::Running {
            end.requests += 1;
        }
        tracing::debug!(
            reply = %reply.summary(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "reply"
        );
        write_message(&mut stream, &reply, MAX_FRAME_LEN)?;
    }
}

/// The chain spec named by `JAM_FUZZ_SPEC` (`tiny` or `full`, any case); `tiny` when unset or
/// empty.
pub fn spec_from_env() -> Result<ChainSpec, UnknownChainSpec> {
    match std::env::var(ENV_SPEC) {
        Ok(s) if !s.trim().is_empty() => ChainSpec::from_name(s.trim()),
        _ => Ok(ChainSpec::TINY),
    }
}

/// The socket path named by `JAM_FUZZ_SOCK_PATH`, or `default` when unset or empty.
pub fn socket_from_env(default: impl Into<PathBuf>) -> PathBuf {
    match std::env::var_os(ENV_SOCK_PATH) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => default.into(),
    }
}

/// A listening Unix socket serving fuzz sessions one at a time. Removes its socket file when
/// dropped (if the file is still the one it created).
#[derive(Debug)]
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    spec: ChainSpec,
    /// Device and inode of the socket file this server created.
    file_id: Option<(u64, u64)>,
}

impl Server {
    /// Binds a Unix stream socket at `path` for chain spec `spec`.
    ///
    /// A stale socket file (one nobody listens on any more) is removed first; a path where
    /// another process is listening, or that is not a socket, is an error.
    pub fn bind(path: impl AsRef<Path>, spec: ChainSpec) -> io::Result<Server> {
        let path = path.as_ref().to_path_buf();
        remove_stale_socket(&path)?;
        let listener = UnixListener::bind(&path)?;
        let file_id = fs::symlink_metadata(&path).ok().map(|m| (m.dev(), m.ino()));
        tracing::info!(path = %path.display(), spec = spec.name, "fuzz target listening");
        Ok(Server {
            listener,
            path,
            spec,
            file_id,
        })
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The chain spec messages are decoded with.
    pub fn spec(&self) -> ChainSpec {
        self.spec
    }

    /// Waits for one connection and serves its session with `target`, then resets the target
    /// (whatever the outcome) so it is ready for the next session.
    pub fn accept_session<T: Target + ?Sized>(
        &self,
        target: &mut T,
    ) -> Result<SessionEnd, FuzzError> {
        let (stream, _) = self.listener.accept()?;
        tracing::info!("fuzzer connected");
        let result = serve_session(&stream, target, self.spec);
        drop(stream);
        target.reset();
        result
    }

    /// Serves sessions forever, one after another, each with a fresh target from `factory`.
    ///
    /// A session's error is logged and the next connection awaited; so is a panic inside the
    /// target (that target is discarded). Accept failures (e.g. out of file descriptors) are
    /// logged and retried after a short pause.
    pub fn run<T, F>(&self, mut factory: F) -> !
    where
        T: Target,
        F: FnMut() -> T,
    {
        loop {
            let mut target = factory();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.accept_session(&mut target)
            }));
            match outcome {
                Ok(Ok(end)) => tracing::info!(
                    requests = end.requests,
                    imported = end.imported,
                    rejected = end.rejected,
                    "session ended"
                ),
                Ok(Err(FuzzError::Io(e))) => {
                    tracing::error!(error = %e, "accept failed");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "session aborted"),
                Err(_) => tracing::error!("target panicked; session dropped"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let ours = fs::symlink_metadata(&self.path)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        if ours.is_some() && ours == self.file_id {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Binds `socket_path` and serves sessions forever (see [`Server::run`]); returns only if
/// binding fails.
pub fn serve<T, F>(
    socket_path: impl AsRef<Path>,
    spec: ChainSpec,
    factory: F,
) -> io::Result<Infallible>
where
    T: Target,
    F: FnMut() -> T,
{
    let server = Server::bind(socket_path, spec)?;
    server.run(factory)
}

fn remove_stale_socket(path: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        ));
    }
    if UnixStream::connect(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("another process is listening on {}", path.display()),
        ));
    }
    tracing::info!(path = %path.display(), "removing stale socket");
    fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream reading from a fixed input and recording what is written.
    struct Pipe {
        input: io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Pipe {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.input.read(b)
        }
    }
    impl Write for Pipe {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.output.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Nop;
    impl Target for Nop {
        fn initialize(
            &mut self,
            _: Header,
            _: KeyValues,
            _: Ancestry,
        ) -> Result<StateRoot, String> {
            Ok([1; 32])
        }
        fn import_block(&mut self, _: Block) -> Result<StateRoot, String> {
            Err("no".into())
        }
        fn get_state(&mut self, _: HeaderHash) -> Result<KeyValues, String> {
            Ok(vec![])
        }
        fn reset(&mut self) {}
    }

    fn frames(msgs: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in msgs {
            crate::framing::write_frame(&mut out, m, MAX_FRAME_LEN).unwrap();
        }
        out
    }

    fn run(input: Vec<u8>) -> (Result<SessionEnd, FuzzError>, Vec<u8>) {
        let mut pipe = Pipe {
            input: io::Cursor::new(input),
            output: Vec::new(),
        };
        let r = serve_session(&mut pipe, &mut Nop, ChainSpec::TINY);
        (r, pipe.output)
    }

    fn hello() -> Vec<u8> {
        marmalade_codec::Encode::encode(&Message::PeerInfo(PeerInfo::marmalade()))
    }

    #[test]
    fn closed_before_handshake_is_a_normal_end() {
        let (r, out) = run(vec![]);
        assert_eq!(r.unwrap(), SessionEnd::default());
        assert!(out.is_empty());
    }

    #[test]
    fn first_message_must_be_peer_info() {
        let (r, out) = run(frames(&[vec![4; 33]]));
        assert!(matches!(
            r,
            Err(FuzzError::Unexpected {
                got: MessageKind::GetState,
                ..
            })
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn get_state_before_initialize_is_unexpected() {
        let mut get = vec![4];
        get.extend_from_slice(&[0; 32]);
        let (r, _) = run(frames(&[hello(), get]));
        assert!(matches!(
            r,
            Err(FuzzError::Unexpected {
                got: MessageKind::GetState,
                expected: "initialize"
            })
        ));
    }

    #[test]
    fn malformed_message_names_its_kind() {
        let (r, out) = run(frames(&[hello(), vec![2, 1, 2, 3]]));
        assert!(matches!(
            r,
            Err(FuzzError::Malformed {
                kind: Some(MessageKind::StateRoot),
                len: 4,
                ..
            })
        ));
        // Only the handshake was answered.
        let mut o = io::Cursor::new(out);
        let reply = crate::framing::read_frame(&mut o, MAX_FRAME_LEN).unwrap();
        assert_eq!(reply, hello());
        assert!(crate::framing::read_frame(&mut o, MAX_FRAME_LEN).is_err());
    }

    #[test]
    fn spec_and_socket_defaults() {
        // Only the defaults: the variables may be set by whoever runs the tests.
        if std::env::var_os(ENV_SPEC).is_none() {
            assert_eq!(spec_from_env(), Ok(ChainSpec::TINY));
        }
        if std::env::var_os(ENV_SOCK_PATH).is_none() {
            assert_eq!(
                socket_from_env(DEFAULT_SOCKET_PATH),
                PathBuf::from(DEFAULT_SOCKET_PATH)
            );
        }
    }
}
