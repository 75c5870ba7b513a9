//! Frames: each message travels as its JAM encoding prefixed by its length, a `u32`
//! little-endian.
//!
//! Reading is defensive: a length above the cap ([`MAX_FRAME_LEN`] by default) is rejected
//! before anything is allocated, and the payload is read incrementally into a buffer that grows
//! only as bytes actually arrive, so a forged length prefix followed by nothing costs nothing.

use marmalade_codec::Encode;
use std::io::{self, Read, Write};

/// The default cap on a frame's payload length: 256 MiB.
///
/// The largest legitimate messages are `Initialize` (from the fuzzer) and `State` (from the
/// target), which carry a whole state. A full-spec state is dominated by service code and
/// preimages (a code blob is at most `W_C` ≈ 4 MiB) plus the validator and core components
/// (about 2 MiB for V = 1023, C = 341); blocks are bounded by their extrinsic limits (a few
/// MiB). 256 MiB leaves two orders of magnitude of headroom over any state a fuzzing session
/// builds, while keeping the worst case of a hostile peer bounded.
pub const MAX_FRAME_LEN: u32 = 256 * 1024 * 1024;

/// How much of a frame buffer's capacity to keep between frames: a buffer that grew beyond
/// this for one big message is shrunk back, so memory stays flat over a long session.
pub const RETAINED_CAPACITY: usize = 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection cleanly, at a frame boundary (no byte of a new frame).
    #[error("connection closed")]
    Closed,
    /// The stream ended inside a frame: in the length prefix or in the payload.
    #[error("truncated frame: expected {expected} bytes, got {got}")]
    Truncated {
        /// Bytes the length prefix (4) or the payload announced.
        expected: u64,
        /// Bytes actually received.
        got: u64,
    },
    /// The length prefix exceeds the cap.
    #[error("frame length {len} exceeds the cap of {max} bytes")]
    TooLarge {
        /// The announced (or, when writing, actual) payload length.
        len: u64,
        /// The cap.
        max: u32,
    },
    /// Any other I/O failure (including read or write timeouts).
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// Reads one frame's payload into `buf` (cleared first), with a cap of `max` bytes.
///
/// Returns [`FrameError::Closed`] if the stream ends before the first byte of the length
/// prefix, [`FrameError::Truncated`] if it ends later, [`FrameError::TooLarge`] if the prefix
/// exceeds `max` (nothing of the payload is read or allocated then).
pub fn read_frame_into<R: Read + ?Sized>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: u32,
) -> Result<(), FrameError> {
    buf.clear();
    if buf.capacity() > RETAINED_CAPACITY {
        buf.shrink_to(RETAINED_CAPACITY);
    }

    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < prefix.len() {
        match r.read(&mut prefix[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => {
                return Err(FrameError::Truncated {
                    expected: 4,
                    got: got as u64,
                })
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_le_bytes(prefix);
    if len > max {
        return Err(FrameError::TooLarge {
            len: len.into(),
            max,
        });
    }

    // Reserve at most what the retained buffer already allows; beyond that `read_to_end` grows
    // the buffer as the bytes come in, so memory follows the data actually received.
    let len = len as usize;
    buf.reserve(len.min(RETAINED_CAPACITY));
    let n = r.take(len as u64).read_to_end(buf)?;
    if n < len {
        return Err(FrameError::Truncated {
            expected: len as u64,
            got: n as u64,
        });
    }
    Ok(())
}

/// Reads one frame's payload into a fresh vector (see [`read_frame_into`]).
pub fn read_frame<R: Read + ?Sized>(r: &mut R, max: u32) -> Result<Vec<u8>, FrameError> {
    let mut buf = Vec::new();
    read_frame_into(r, &mut buf, max)?;
    Ok(buf)
}

/// Writes `payload` as one frame (length prefix and payload in a single write) and flushes.
///
/// Fails with [`FrameError::TooLarge`] if the payload exceeds `max`, since the peer would
/// reject it.
pub fn write_frame<W: Write + ?Sized>(
    w: &mut W,
    payload: &[u8],
    max: u32,
) -> Result<(), FrameError> {
    let len = check_len(payload.len(), max)?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(payload);
    w.write_all(&frame)?;
    w.flush()?;
    Ok(())
}

/// Encodes `value` and writes it as one frame (see [`write_frame`]), encoding straight into
/// the frame buffer.
pub fn write_message<W: Write + ?Sized, T: Encode + ?Sized>(
    w: &mut W,
    value: &T,
    max: u32,
) -> Result<(), FrameError> {
    let mut frame = Vec::with_capacity(4 + value.size_hint());
    frame.extend_from_slice(&[0; 4]);
    value.encode_to(&mut frame);
    let len = check_len(frame.len() - 4, max)?;
    frame[..4].copy_from_slice(&len.to_le_bytes());
    w.write_all(&frame)?;
    w.flush()?;
    Ok(())
}

fn check_len(len: usize, max: u32) -> Result<u32, FrameError> {
    match u32::try_from(len) {
        Ok(l) if l <= max => Ok(l),
        _ => Err(FrameError::TooLarge {
            len: len as u64,
            max,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn round_trip() {
        let mut out = Vec::new();
        write_frame(&mut out, b"hello", MAX_FRAME_LEN).unwrap();
        write_frame(&mut out, b"", MAX_FRAME_LEN).unwrap();
        assert_eq!(&out[..4], &[5, 0, 0, 0]);
        let mut r = Cursor::new(out);
        assert_eq!(read_frame(&mut r, MAX_FRAME_LEN).unwrap(), b"hello");
        assert_eq!(read_frame(&mut r, MAX_FRAME_LEN).unwrap(), b"");
        assert!(matches!(
            read_frame(&mut r, MAX_FRAME_LEN),
            Err(FrameError::Closed)
        ));
    }

    #[test]
    fn truncated_prefix_and_payload() {
        let mut r = Cursor::new(vec![5, 0]);
        assert!(matches!(
            read_frame(&mut r, MAX_FRAME_LEN),
            Err(FrameError::Truncated {
                expected: 4,
                got: 2
            })
        ));
        let mut r = Cursor::new(vec![5, 0, 0, 0, b'a', b'b']);
        assert!(matches!(
            read_frame(&mut r, MAX_FRAME_LEN),
            Err(FrameError::Truncated {
                expected: 5,
                got: 2
            })
        ));
    }

    #[test]
    fn oversize_is_rejected_before_reading() {
        let mut r = Cursor::new(vec![0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
        let mut buf = Vec::new();
        assert!(matches!(
            read_frame_into(&mut r, &mut buf, MAX_FRAME_LEN),
            Err(FrameError::TooLarge {
                len: 0xffff_ffff,
                max: MAX_FRAME_LEN
            })
        ));
        assert_eq!(r.position(), 4, "nothing of the payload was consumed");
        assert_eq!(buf.capacity(), 0, "nothing was allocated");
        assert!(matches!(
            write_frame(&mut Vec::new(), &[0; 9], 8),
            Err(FrameError::TooLarge { len: 9, max: 8 })
        ));
    }

    #[test]
    fn forged_length_allocates_only_what_arrives() {
        // Claims the whole cap, delivers 3 bytes.
        let mut bytes = MAX_FRAME_LEN.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[1, 2, 3]);
        let mut buf = Vec::new();
        let e = read_frame_into(&mut Cursor::new(bytes), &mut buf, MAX_FRAME_LEN);
        assert!(matches!(e, Err(FrameError::Truncated { got: 3, .. })));
        assert!(buf.capacity() <= 2 * RETAINED_CAPACITY);
    }

    #[test]
    fn big_buffers_are_shrunk_between_frames() {
        let big = vec![7u8; 3 * RETAINED_CAPACITY];
        let mut out = Vec::new();
        write_frame(&mut out, &big, MAX_FRAME_LEN).unwrap();
        write_frame(&mut out, b"x", MAX_FRAME_LEN).unwrap();
        let mut r = Cursor::new(out);
        let mut buf = Vec::new();
        read_frame_into(&mut r, &mut buf, MAX_FRAME_LEN).unwrap();
        assert_eq!(buf, big);
        read_frame_into(&mut r, &mut buf, MAX_FRAME_LEN).unwrap();
        assert_eq!(buf, b"x");
        assert!(buf.capacity() <= RETAINED_CAPACITY);
    }

    #[test]
    fn write_message_prefixes_the_encoding() {
        let mut out = Vec::new();
        write_message(&mut out, &vec![1u8, 2, 3], MAX_FRAME_LEN).unwrap();
        assert_eq!(out, vec![4, 0, 0, 0, 3, 1, 2, 3]);
    }
}
