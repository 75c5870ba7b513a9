//! The fuzzer side of protocol v1 over a Unix socket: the handshake, then one request and one
//! answer at a time.

use marmalade_fuzz::{
    read_frame_into, write_message, Ancestry, FrameError, Initialize, KeyValues, Message,
    MessageKind, PeerInfo, MAX_FRAME_LEN,
};
use marmalade_types::{Block, ChainSpec, Header, HeaderHash, StateRoot};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why talking to a target failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting to the socket failed.
    #[error("connecting to {path}: {error}")]
    Connect {
        /// The socket.
        path: PathBuf,
        /// The failure.
        error: std::io::Error,
    },
    /// A frame could not be written or read (a closed connection, a timeout).
    #[error("framing: {0}")]
    Frame(#[from] FrameError),
    /// The answer is not a valid message.
    #[error("malformed answer: {0}")]
    Malformed(marmalade_codec::Error),
    /// A valid message the protocol does not allow as the answer.
    #[error("unexpected {got} answer to {request}")]
    Unexpected {
        /// The request.
        request: MessageKind,
        /// What came back.
        got: MessageKind,
    },
    /// Setting the socket's timeouts failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

/// A target's answer to `ImportBlock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportAnswer {
    /// Imported, with this posterior state root.
    Root(StateRoot),
    /// Rejected, with the target's text.
    Error(String),
}

/// A connected target after the handshake.
#[derive(Debug)]
pub struct TargetClient {
    stream: UnixStream,
    spec: ChainSpec,
    peer: PeerInfo,
    buf: Vec<u8>,
}

impl TargetClient {
    /// Connects to `path`, sends `ours` and reads the target's `PeerInfo`. Every answer must
    /// come within `timeout`.
    pub fn connect(
        path: impl AsRef<Path>,
        spec: ChainSpec,
        ours: &PeerInfo,
        timeout: Duration,
    ) -> Result<TargetClient, ClientError> {
        let path = path.as_ref();
        let stream = UnixStream::connect(path).map_err(|error| ClientError::Connect {
            path: path.to_path_buf(),
            error,
        })?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let mut client = TargetClient {
            stream,
            spec,
            peer: ours.clone(),
            buf: Vec::new(),
        };
        match client.request(&Message::PeerInfo(ours.clone()))? {
            Message::PeerInfo(theirs) => client.peer = theirs,
            other => {
                return Err(ClientError::Unexpected {
                    request: MessageKind::PeerInfo,
                    got: other.kind(),
                })
            }
        }
        Ok(client)
    }

    /// The target's handshake.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    fn request(&mut self, msg: &Message) -> Result<Message, ClientError> {
        write_message(&mut self.stream, msg, MAX_FRAME_LEN)?;
        read_frame_into(&mut self.stream, &mut self.buf, MAX_FRAME_LEN)?;
        Message::decode_with(&self.buf, &self.spec).map_err(ClientError::Malformed)
    }

    /// `Initialize`: sets the target's state; its root.
    pub fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        ancestry: Ancestry,
    ) -> Result<StateRoot, ClientError> {
        let msg = Message::Initialize(Box::new(Initialize {
            header,
            state,
            ancestry,
        }));
        match self.request(&msg)? {
            Message::StateRoot(r) => Ok(r),
            other => Err(ClientError::Unexpected {
                request: MessageKind::Initialize,
                got: other.kind(),
            }),
        }
    }

    /// `ImportBlock`: the posterior root or the target's rejection.
    pub fn import_block(&mut self, block: &Block) -> Result<ImportAnswer, ClientError> {
        self.send_import(block)?;
        self.recv_import()
    }

    /// Sends `ImportBlock` without waiting for the answer ([`TargetClient::recv_import`]), so
    /// that several targets (and the oracle) import the same block at the same time.
    pub fn send_import(&mut self, block: &Block) -> Result<(), ClientError> {
        let msg = Message::ImportBlock(Box::new(block.clone()));
        write_message(&mut self.stream, &msg, MAX_FRAME_LEN)?;
        Ok(())
    }

    /// The answer to the `ImportBlock` sent last: the posterior root or the rejection.
    pub fn recv_import(&mut self) -> Result<ImportAnswer, ClientError> {
        read_frame_into(&mut self.stream, &mut self.buf, MAX_FRAME_LEN)?;
        let answer = Message::decode_with(&self.buf, &self.spec).map_err(ClientError::Malformed)?;
        match answer {
            Message::StateRoot(r) => Ok(ImportAnswer::Root(r)),
            Message::Error(e) => Ok(ImportAnswer::Error(e)),
            other => Err(ClientError::Unexpected {
                request: MessageKind::ImportBlock,
                got: other.kind(),
            }),
        }
    }

    /// `GetState`: the posterior state of the block with this hash.
    pub fn get_state(&mut self, hash: HeaderHash) -> Result<KeyValues, ClientError> {
        match self.request(&Message::GetState(hash))? {
            Message::State(s) => Ok(s),
            other => Err(ClientError::Unexpected {
                request: MessageKind::GetState,
                got: other.kind(),
            }),
        }
    }
}
