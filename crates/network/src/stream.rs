//! Streams: the kind byte, then messages, each a 4-octet little-endian length and the content
//! (JAMNP-S, "Protocols and streams" and "Messages").

use crate::limits::StreamKind;
use crate::network::Misbehaviour;
use marmalade_types::Ed25519Public;
use std::time::Duration;
use tokio::sync::watch;

/// QUIC application error codes with which streams are reset or stopped.
pub mod code {
    /// The stream's kind is not served.
    pub const UNKNOWN_KIND: u32 = 1;
    /// A message exceeded its kind's limit, or the stream its byte limit.
    pub const OVERSIZED: u32 = 2;
    /// The stream's content was malformed (cut off inside a message, or undecodable).
    pub const MALFORMED: u32 = 3;
    /// A newer UP stream of the same kind replaced this one.
    pub const REPLACED: u32 = 4;
    /// The stream took too long.
    pub const TIMEOUT: u32 = 5;
    /// The request was refused or could not be served.
    pub const REFUSED: u32 = 6;
}

/// Why a stream operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The peer reset its sending half, or stopped our sending half, with this code.
    #[error("stream reset by peer (code {0})")]
    Reset(u64),
    /// The connection is gone.
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    /// The peer announced a message larger than the kind's limit (nothing was allocated for
    /// it); the stream has been reset.
    #[error("message of {len} octets exceeds the limit of {max}")]
    Oversized {
        /// The announced length.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// The stream carried more than its byte limit; it has been reset.
    #[error("stream exceeds its byte limit")]
    TooMuchData,
    /// The stream ended inside a message.
    #[error("stream ended inside a message")]
    Truncated,
    /// The stream took longer than allowed; it has been reset.
    #[error("stream timed out")]
    Timeout,
    /// A newer UP stream of the same kind replaced this one.
    #[error("replaced by a newer stream of the same kind")]
    Replaced,
    /// Our sending half is already finished or reset.
    #[error("stream already closed")]
    Closed,
}

impl From<quinn::ReadError> for StreamError {
    fn from(e: quinn::ReadError) -> Self {
        match e {
            quinn::ReadError::Reset(c) => StreamError::Reset(c.into_inner()),
            quinn::ReadError::ConnectionLost(c) => StreamError::ConnectionLost(c.to_string()),
            quinn::ReadError::ClosedStream => StreamError::Closed,
            other => StreamError::ConnectionLost(other.to_string()),
        }
    }
}

impl From<quinn::WriteError> for StreamError {
    fn from(e: quinn::WriteError) -> Self {
        match e {
            quinn::WriteError::Stopped(c) => StreamError::Reset(c.into_inner()),
            quinn::WriteError::ConnectionLost(c) => StreamError::ConnectionLost(c.to_string()),
            quinn::WriteError::ClosedStream => StreamError::Closed,
            other => StreamError::ConnectionLost(other.to_string()),
        }
    }
}

/// Reports a peer's misbehaviour to whoever keeps the scores.
pub(crate) trait Reporter: Send + Sync {
    fn report(&self, peer: &Ed25519Public, what: Misbehaviour);
}

/// One open stream of a known kind, either side: framed messages in and out, with the kind's
/// limits. Faults of the peer's framing are counted against it. Dropping a stream that was not
/// finished resets it ([`code::REFUSED`]): a CE response is complete only after
/// [`Stream::finish`].
pub struct Stream {
    pub(crate) peer: Ed25519Public,
    pub(crate) kind: StreamKind,
    pub(crate) send: quinn::SendStream,
    pub(crate) recv: quinn::RecvStream,
    /// The largest message the peer may send on this stream.
    pub(crate) max_in: u32,
    /// The largest message we may send (our own limit, so we never send what the peer
    /// would refuse under the same limits).
    pub(crate) max_out: u32,
    /// For CE streams: the octets the peer may still send, and the deadline of the stream.
    pub(crate) budget: Option<(u64, tokio::time::Instant)>,
    /// How long the rest of a message may take once it has begun.
    pub(crate) message_timeout: Duration,
    /// Set when a newer UP stream of the same kind replaces this one.
    pub(crate) replaced: Option<watch::Receiver<bool>>,
    pub(crate) reporter: std::sync::Arc<dyn Reporter>,
    /// Whether our sending half is finished or reset (else dropping the stream resets it).
    pub(crate) done: bool,
    /// For UP streams: the peer's octets per second, and when what it sent so far will have
    /// been paid for at that rate.
    pub(crate) rate: Option<(u64, tokio::time::Instant)>,
}

/// The rate limiter's step: with what was received paid for until `paid_until`, `octets` more
/// at `per_second` are paid for until the returned instant; reading waits until a second
/// before it (a second's burst is free).
pub(crate) fn pay(
    paid_until: tokio::time::Instant,
    now: tokio::time::Instant,
    octets: u64,
    per_second: u64,
) -> (tokio::time::Instant, Option<tokio::time::Instant>) {
    let cost = Duration::from_secs_f64(octets as f64 / per_second.max(1) as f64);
    let start = paid_until.max(now);
    let until = start.checked_add(cost).unwrap_or(start);
    let burst = Duration::from_secs(1);
    let wait = until.checked_sub(burst).filter(|w| *w > now);
    (until, wait)
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("peer", &crate::name::node_name(&self.peer))
            .field("kind", &self.kind)
            .field("id", &self.send.id())
            .finish()
    }
}

impl Stream {
    /// The peer's Ed25519 key.
    pub fn peer(&self) -> Ed25519Public {
        self.peer
    }

    /// The stream's kind.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// Sends one message. A message over the kind's limit is not sent: it is an error of ours,
    /// reported as [`StreamError::Oversized`] without touching the stream.
    pub async fn send(&mut self, message: &[u8]) -> Result<(), StreamError> {
        let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
        if message.len() > self.max_out as usize {
            return Err(StreamError::Oversized {
                len,
                max: self.max_out,
            });
        }
        if self.replaced.as_ref().is_some_and(|r| *r.borrow()) {
            self.reset(code::REPLACED);
            return Err(StreamError::Replaced);
        }
        let send = &mut self.send;
        let fut = async {
            send.write_all(&len.to_le_bytes()).await?;
            send.write_all(message).await?;
            Ok(())
        };
        // A CE stream's deadline; on a UP stream a peer that does not take a message within
        // the stream timeout is not reading.
        let deadline = match self.budget {
            Some((_, d)) => d,
            None => later(self.message_timeout),
        };
        let r = within(Some(deadline), fut).await;
        if r == Err(StreamError::Timeout) {
            // Part of a frame may have been sent: the stream cannot go on.
            self.reset(code::TIMEOUT);
        }
        r
    }

    /// Finishes our sending half (FIN): no more messages.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        self.done = true;
        self.send.finish().map_err(|_| StreamError::Closed)
    }

    /// Resets our half and stops the peer's with `code` (see [`code`]): cancels a request, or
    /// refuses one.
    pub fn reset(&mut self, code: u32) {
        self.done = true;
        let code = quinn::VarInt::from_u32(code);
        // Either half may already be closed; nothing is left to do for it then.
        let _ = self.send.reset(code);
        let _ = self.recv.stop(code);
    }

    /// Reports that the peer sent a message that does not decode (or breaks the protocol) and
    /// resets the stream: it counts against the peer.
    pub fn malformed(&mut self) {
        self.fault(Misbehaviour::Malformed, code::MALFORMED);
    }

    /// The next message, or `None` once the peer has finished its half (FIN) between messages.
    /// An announced length over the kind's limit (or a CE stream's remaining byte budget)
    /// resets the stream before anything is allocated for the message.
    pub async fn recv(&mut self) -> Result<Option<Vec<u8>>, StreamError> {
        let (recv, max) = (&mut self.recv, self.max_in);
        let r = match (self.budget, self.replaced.as_mut()) {
            // CE: the whole read is bounded by the stream's deadline and its byte budget.
            (Some((left, deadline)), _) => {
                within(Some(deadline), read_message(recv, max, Some(left), None)).await
            }
            (None, replaced) => {
                let rest = Some(self.message_timeout);
                match replaced {
                    Some(rx) => {
                        // Replaced only when told so: a dropped switch (the connection gone)
                        // leaves the read to report what happened.
                        let replaced = async {
                            if rx.wait_for(|r| *r).await.is_err() {
                                std::future::pending::<()>().await;
                            }
                        };
                        tokio::select! {
                            biased;
                            _ = replaced => Err(StreamError::Replaced),
                            r = read_message(recv, max, None, rest) => r,
                        }
                    }
                    None => read_message(recv, max, None, rest).await,
                }
            }
        };
        match &r {
            Ok(Some(m)) => {
                let octets = 4 + m.len() as u64;
                if let Some((left, _)) = &mut self.budget {
                    *left = left.saturating_sub(octets);
                }
                if let Some((per_second, paid_until)) = &mut self.rate {
                    let now = tokio::time::Instant::now();
                    let (until, wait) = pay(*paid_until, now, octets, *per_second);
                    *paid_until = until;
                    if let Some(w) = wait {
                        // Not reading holds the peer back through QUIC flow control.
                        tokio::time::sleep_until(w).await;
                    }
                }
            }
            Ok(None) => {}
            Err(StreamError::Oversized { .. } | StreamError::TooMuchData) => {
                self.fault(Misbehaviour::Oversized, code::OVERSIZED)
            }
            Err(StreamError::Truncated) => self.fault(Misbehaviour::Malformed, code::MALFORMED),
            Err(StreamError::Timeout) => self.reset(code::TIMEOUT),
            Err(StreamError::Replaced) => self.reset(code::REPLACED),
            Err(_) => {}
        }
        r
    }

    /// Every message until the peer's FIN.
    pub async fn recv_to_end(&mut self) -> Result<Vec<Vec<u8>>, StreamError> {
        let mut out = Vec::new();
        while let Some(m) = self.recv().await? {
            out.push(m);
        }
        Ok(out)
    }

    /// Sends `messages` and finishes: a CE response (or request).
    pub async fn send_all_and_finish(&mut self, messages: &[Vec<u8>]) -> Result<(), StreamError> {
        for m in messages {
            self.send(m).await?;
        }
        self.finish()
    }

    fn fault(&mut self, what: Misbehaviour, code: u32) {
        self.reporter.report(&self.peer, what);
        self.reset(code);
    }
}

/// `d` from now; a duration past what the clock can represent (a configuration of "forever")
/// gives a century instead of overflowing.
pub(crate) fn later(d: Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400))
}

/// Runs `fut` until `deadline`, if any.
async fn within<T>(
    deadline: Option<tokio::time::Instant>,
    fut: impl std::future::Future<Output = Result<T, StreamError>>,
) -> Result<T, StreamError> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, fut)
            .await
            .unwrap_or(Err(StreamError::Timeout)),
        None => fut.await,
    }
}

/// Reads one message: `None` at a clean FIN before its first octet; the length checked against
/// `max` and the stream's remaining `budget` before any allocation; the content read as it
/// arrives, so what is allocated never runs ahead of what the peer has sent by more than a
/// chunk. With `rest_timeout`, the message must be complete that long after its first octet.
async fn read_message(
    recv: &mut quinn::RecvStream,
    max: u32,
    budget: Option<u64>,
    rest_timeout: Option<Duration>,
) -> Result<Option<Vec<u8>>, StreamError> {
    let mut header = [0u8; 4];
    // The first octet may be long in coming (UP streams wait for the next announcement).
    match recv.read(&mut header[..1]).await? {
        None => return Ok(None),
        Some(0) => return Err(StreamError::Truncated),
        Some(_) => {}
    }
    let rest = async {
        read_exact(recv, &mut header[1..]).await?;
        let len = u32::from_le_bytes(header);
        if len > max {
            return Err(StreamError::Oversized { len, max });
        }
        if budget.is_some_and(|left| 4 + u64::from(len) > left) {
            return Err(StreamError::TooMuchData);
        }
        let len = len as usize;
        let mut body = Vec::with_capacity(len.min(64 * 1024));
        while body.len() < len {
            match recv.read_chunk(len - body.len(), true).await? {
                Some(chunk) => body.extend_from_slice(&chunk.bytes),
                None => return Err(StreamError::Truncated),
            }
        }
        Ok(Some(body))
    };
    match rest_timeout {
        Some(t) => tokio::time::timeout(t, rest)
            .await
            .unwrap_or(Err(StreamError::Timeout)),
        None => rest.await,
    }
}

/// Fills `buf`, or [`StreamError::Truncated`] if the stream ends first.
async fn read_exact(recv: &mut quinn::RecvStream, buf: &mut [u8]) -> Result<(), StreamError> {
    recv.read_exact(buf).await.map_err(|e| match e {
        quinn::ReadExactError::FinishedEarly(_) => StreamError::Truncated,
        quinn::ReadExactError::ReadError(e) => e.into(),
    })
}

impl Drop for Stream {
    fn drop(&mut self) {
        // A stream dropped without `finish` did not complete: reset it, so that the peer never
        // takes it for a complete (say, empty) response. The peer's half is stopped by quinn
        // when the receive side drops unread.
        if !self.done {
            self.reset(code::REFUSED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rate_limit_allows_a_burst_then_paces() {
        let now = tokio::time::Instant::now();
        // 1000 octets/s: 500 octets cost 0.5 s, within the free second.
        let (until, wait) = pay(now, now, 500, 1000);
        assert_eq!(until, now + Duration::from_millis(500));
        assert_eq!(wait, None);
        // 1000 more: paid until 1.5 s, so reading waits until 0.5 s.
        let (until, wait) = pay(until, now, 1000, 1000);
        assert_eq!(until, now + Duration::from_millis(1500));
        assert_eq!(wait, Some(now + Duration::from_millis(500)));
        // Time that passed idle is not saved up beyond the burst.
        let later = now + Duration::from_secs(10);
        let (until, wait) = pay(until, later, 1000, 1000);
        assert_eq!(until, later + Duration::from_secs(1));
        assert_eq!(wait, None);
    }
}
