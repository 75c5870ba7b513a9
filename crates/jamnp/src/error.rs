//! The one error type of the crate.

/// Why bytes received on a JAMNP-S stream are not what the protocol allows. Every decoder of the
/// crate is total: bad input gives one of these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The stream-kind byte names no UP or CE stream of JAMNP-S.
    #[error("unknown stream kind {0}")]
    UnknownStreamKind(u8),
    /// A message's size prefix exceeds the limit for the message expected next; nothing of its
    /// declared size was allocated.
    #[error("message of {size} bytes exceeds the limit of {max} bytes")]
    Oversize {
        /// The size the prefix declared.
        size: u64,
        /// The limit in force.
        max: usize,
    },
    /// The stream ended (FIN) in the middle of a message.
    #[error("stream ended inside a message: {have} of {needed} bytes")]
    Truncated {
        /// Bytes of the message (prefix included) received.
        have: usize,
        /// Bytes the message needed.
        needed: usize,
    },
    /// A message content too long for the 32-bit size prefix.
    #[error("message content of {0} bytes does not fit a 32-bit size")]
    ContentTooLong(usize),
    /// The content is not the codec encoding of the message (GP appendix C).
    #[error("malformed message: {0}")]
    Codec(#[from] marmalade_codec::Error),
    /// A sequence holds more items than the protocol allows.
    #[error("{what}: {count} items, at most {max} allowed")]
    TooMany {
        /// The sequence.
        what: &'static str,
        /// Items found (or declared).
        count: usize,
        /// The bound.
        max: usize,
    },
    /// A value-specific rule of JAMNP-S was broken.
    #[error("invalid message: {0}")]
    Invalid(&'static str),
}

/// Result of the crate's operations.
pub type Result<T> = std::result::Result<T, Error>;
