//! What a node accepts of its peers: the stream kinds it serves and their message sizes,
//! streams, time, and how much misbehaviour it tolerates.

use std::collections::BTreeMap;
use std::time::Duration;

/// A stream kind: the first byte of every stream (JAMNP-S, "Protocols and streams"). UP kinds
/// are numbered from 0, CE kinds from 128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamKind(pub u8);

impl StreamKind {
    /// Whether the kind is Unique Persistent (below 128); otherwise it is Common Ephemeral.
    pub fn is_unique_persistent(self) -> bool {
        self.0 < 128
    }
}

/// The largest messages of one stream kind, by direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindLimit {
    /// The largest message the stream's initiator may send (a CE request's messages).
    pub to_acceptor: u32,
    /// The largest message the stream's acceptor may send (a CE response's messages).
    pub to_initiator: u32,
}

/// A node's limits. Kinds absent from [`Limits::kinds`] are unknown: incoming streams of
/// them are refused, and opening one is an error.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The stream kinds served and their message sizes.
    pub kinds: BTreeMap<StreamKind, KindLimit>,
    /// The most octets (framing included) one CE stream may carry in either direction; UP
    /// streams are bounded per message only.
    pub max_ce_stream_bytes: u64,
    /// The most octets per second a peer may send on one UP stream, in the long run (a
    /// second's worth may come at once); past it, the stream is read no faster, so QUIC's flow
    /// control holds the peer back. `None`: unlimited.
    pub up_bytes_per_second: Option<u64>,
    /// The most streams a peer may have open to us at once (QUIC's bidirectional stream limit).
    pub max_incoming_streams: u32,
    /// The most connections at once; incoming ones past it are refused.
    pub max_connections: usize,
    /// Of [`Limits::max_connections`], how many only peers connecting as builders may take
    /// (JAMNP-S suggests 20).
    pub builder_slots: usize,
    /// How long a peer has to send an incoming stream's kind byte.
    pub kind_timeout: Duration,
    /// How long a CE stream may take, on either side, and how long the rest of a message may
    /// take once its first octet has arrived on a UP stream.
    pub stream_timeout: Duration,
    /// How long a connection attempt may take.
    pub connect_timeout: Duration,
    /// A connection with no traffic for this long is closed (keep-alives are sent at a third
    /// of it).
    pub idle_timeout: Duration,
    /// The misbehaviour score at which a peer is disconnected and banned.
    pub misbehaviour_threshold: u32,
    /// A peer's score falls by one every this long, so rare faults are forgiven.
    pub misbehaviour_decay: Duration,
    /// How long a banned peer's connections are refused.
    pub ban: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            kinds: BTreeMap::new(),
            max_ce_stream_bytes: 64 << 20,
            up_bytes_per_second: Some(4 << 20),
            max_incoming_streams: 128,
            max_connections: 1100,
            builder_slots: 20,
            kind_timeout: Duration::from_secs(5),
            stream_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            misbehaviour_threshold: 20,
            misbehaviour_decay: Duration::from_secs(60),
            ban: Duration::from_secs(300),
        }
    }
}

impl Limits {
    /// Serves `kind` with messages of at most `max_message` octets either way.
    pub fn with_kind(self, kind: u8, max_message: u32) -> Self {
        self.with_kind_limits(kind, max_message, max_message)
    }

    /// Serves `kind` with messages of at most `to_acceptor` octets from the stream's initiator
    /// and `to_initiator` from its acceptor.
    pub fn with_kind_limits(mut self, kind: u8, to_acceptor: u32, to_initiator: u32) -> Self {
        self.kinds.insert(
            StreamKind(kind),
            KindLimit {
                to_acceptor,
                to_initiator,
            },
        );
        self
    }

    /// The limits of `kind`, if it is served.
    pub fn kind(&self, kind: StreamKind) -> Option<KindLimit> {
        self.kinds.get(&kind).copied()
    }
}

/// How long to wait between connection attempts to a peer: `initial` doubled each failure up
/// to `max`, each wait drawn uniformly from its upper half so that peers do not retry in step.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How long a validator that is not the preferred initiator of a connection waits for the
    /// other side to connect before connecting itself (JAMNP-S suggests 5 s).
    pub initiator_grace: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(60),
            initiator_grace: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The wait after `failures` consecutive failures, with `random` choosing the point in
    /// the upper half of the interval.
    pub fn delay(&self, failures: u32, random: u64) -> Duration {
        let factor = 1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX);
        let full = self.initial.saturating_mul(factor).min(self.max);
        let half = full / 2;
        let span = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if span == 0 { 0 } else { random % (span + 1) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_bounds() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            initiator_grace: Duration::ZERO,
        };
        for (failures, full_ms) in [
            (0, 100u64),
            (1, 200),
            (2, 400),
            (3, 800),
            (4, 1000),
            (40, 1000),
        ] {
            let full = Duration::from_millis(full_ms);
            for random in [0, 1, 12345, u64::MAX] {
                let d = b.delay(failures, random);
                assert!(d >= full / 2 && d <= full, "{failures} {random} {d:?}");
            }
            assert_eq!(b.delay(failures, 0), full / 2);
        }
        // The jitter spreads waits: different draws give different waits.
        assert_ne!(b.delay(3, 1), b.delay(3, 1_000_000));
    }

    #[test]
    fn kinds() {
        let l = Limits::default()
            .with_kind(0, 100)
            .with_kind_limits(128, 10, 1000);
        assert!(StreamKind(0).is_unique_persistent() && !StreamKind(128).is_unique_persistent());
        assert_eq!(l.kind(StreamKind(128)).map(|k| k.to_initiator), Some(1000));
        assert_eq!(l.kind(StreamKind(129)), None);
    }
}
