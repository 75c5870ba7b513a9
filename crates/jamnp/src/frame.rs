//! Message framing on a stream (JAMNP-S "Messages"): each message is its content size as a
//! little-endian 32-bit unsigned integer, then the content.

use marmalade_types::ChainSpec;

use crate::{Error, Result, StreamKind};

/// The size prefix: 4 octets, little-endian.
pub const SIZE_PREFIX: usize = 4;

/// Appends one framed message (size prefix, then content) to `out`.
pub fn encode_frame(content: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let size = u32::try_from(content.len()).map_err(|_| Error::ContentTooLong(content.len()))?;
    out.reserve(SIZE_PREFIX + content.len());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(content);
    Ok(())
}

/// One framed message as a fresh vector.
pub fn frame(content: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_frame(content, &mut out)?;
    Ok(out)
}

/// An incremental decoder of framed messages over the chunks a stream delivers.
///
/// Feed chunks with [`read`](Self::read), which consumes bytes from the front of the chunk and
/// returns a message each time one completes. The limit in force when a size prefix completes
/// applies to that message: a prefix above it is [`Error::Oversize`] before anything of the
/// declared size is allocated, and the buffer grows only with the bytes that actually arrive.
/// Set the limit of the message expected next with [`set_max_size`](Self::set_max_size) (each
/// message type's [`Message::max_size`](crate::Message::max_size)), or use the stream kind's
/// largest ([`MessageReader::for_kind`]).
///
/// After an error the stream must be reset; the reader keeps returning the error.
#[derive(Debug, Clone)]
pub struct MessageReader {
    max_size: usize,
    prefix: [u8; SIZE_PREFIX],
    prefix_len: usize,
    /// The declared content size, once the prefix is complete.
    expected: Option<usize>,
    content: Vec<u8>,
    failed: Option<Error>,
}

impl MessageReader {
    /// A reader whose messages may be at most `max_size` octets of content.
    pub fn new(max_size: usize) -> Self {
        MessageReader {
            max_size,
            prefix: [0; SIZE_PREFIX],
            prefix_len: 0,
            expected: None,
            content: Vec::new(),
            failed: None,
        }
    }

    /// A reader for streams of `kind`, limited to the kind's largest message
    /// ([`StreamKind::max_message_size`]).
    pub fn for_kind(kind: StreamKind, spec: &ChainSpec) -> Self {
        Self::new(kind.max_message_size(spec))
    }

    /// The limit in force.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Sets the limit for messages whose size prefix has not yet completed.
    pub fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
    }

    /// The memory held for the message being read (its buffer's capacity): at most about twice
    /// the content received so far, never the declared size up front.
    pub fn buffer_capacity(&self) -> usize {
        self.content.capacity()
    }

    /// Whether no message is partly read: the stream may end (FIN) here.
    pub fn is_idle(&self) -> bool {
        self.failed.is_none() && self.prefix_len == 0 && self.expected.is_none()
    }

    /// Consumes bytes from the front of `input` until one message completes (returned) or
    /// `input` is empty (`None`). Call again while `input` is not empty: a chunk may hold several
    /// messages.
    pub fn read(&mut self, input: &mut &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let expected = match self.expected {
            Some(n) => n,
            None => {
                let take = (SIZE_PREFIX - self.prefix_len).min(input.len());
                self.prefix[self.prefix_len..self.prefix_len + take]
                    .copy_from_slice(&input[..take]);
                self.prefix_len += take;
                *input = &input[take..];
                if self.prefix_len < SIZE_PREFIX {
                    return Ok(None);
                }
                let size = u32::from_le_bytes(self.prefix);
                // u32 fits usize on every platform this node runs on (32 and 64 bits).
                let size = size as usize;
                if size > self.max_size {
                    let e = Error::Oversize {
                        size: size as u64,
                        max: self.max_size,
                    };
                    self.failed = Some(e.clone());
                    return Err(e);
                }
                self.expected = Some(size);
                size
            }
        };
        let take = (expected - self.content.len()).min(input.len());
        if take > 0 {
            // Grow with the data received, never past the declared size.
            let want = self.content.len() + take;
            if self.content.capacity() < want {
                let cap = (self.content.capacity() * 2).max(want).min(expected);
                self.content.reserve_exact(cap - self.content.len());
            }
            self.content.extend_from_slice(&input[..take]);
            *input = &input[take..];
        }
        if self.content.len() < expected {
            return Ok(None);
        }
        self.prefix_len = 0;
        self.expected = None;
        Ok(Some(std::mem::take(&mut self.content)))
    }

    /// Reads every message that completes within `chunk`, all under the limit in force. For
    /// streams whose messages have different limits, use [`read`](Self::read) and set each
    /// message's limit in turn.
    pub fn read_all(&mut self, mut chunk: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        while !chunk.is_empty() {
            if let Some(m) = self.read(&mut chunk)? {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Checks that the stream may end here (on FIN): [`Error::Truncated`] if a message is
    /// partly read.
    pub fn finish(&self) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.expected {
            Some(n) => Err(Error::Truncated {
                have: SIZE_PREFIX + self.content.len(),
                needed: SIZE_PREFIX + n,
            }),
            None if self.prefix_len > 0 => Err(Error::Truncated {
                have: self.prefix_len,
                needed: SIZE_PREFIX,
            }),
            None => Ok(()),
        }
    }
}
