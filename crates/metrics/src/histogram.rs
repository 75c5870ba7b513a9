//! A histogram of durations updated with atomics only.
//!
//! `prometheus_client`'s own `Histogram` takes a mutex on every `observe`, and a scrape
//! holds it while encoding; the authoring thread must never wait on an HTTP client, so
//! durations are kept here as integer nanoseconds in atomic counters instead.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds, in seconds, of the block-import histogram's buckets: 0.5 ms to 10 s in a
/// 1–2.5–5 progression (a `+Inf` bucket follows). A tiny-chain import takes milliseconds,
/// a full-chain block with accumulation can take seconds; the 10 s bound tells an import
/// that overran its 6 s slot from one that overran it by far.
pub const BLOCK_IMPORT_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A Prometheus histogram of [`Duration`]s whose `observe` is lock-free.
///
/// Clones share the same counts. Each bucket counts the observations that fall in it
/// alone (not cumulatively); the encoder accumulates them, and the `_count` written is the
/// sum of the buckets, so `_count` always equals the `+Inf` bucket even while an
/// observation races a scrape. `_sum` is kept in whole nanoseconds.
#[derive(Clone, Debug)]
pub struct DurationHistogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Upper bounds in seconds (for the exposition) and in nanoseconds (for `observe`).
    bounds: Vec<(f64, u64)>,
    /// One count per bound, then the overflow (`+Inf`) count.
    counts: Vec<AtomicU64>,
    sum_nanos: AtomicU64,
}

impl DurationHistogram {
    /// A histogram with the given upper bounds in seconds. Bounds that are not finite and
    /// positive are dropped; the rest are sorted and deduplicated, so any slice is valid.
    pub fn new(bounds_seconds: &[f64]) -> Self {
        let mut bounds: Vec<f64> = bounds_seconds
            .iter()
            .copied()
            .filter(|b| b.is_finite() && *b > 0.0)
            .collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        let bounds: Vec<(f64, u64)> = bounds
            .into_iter()
            // `as` saturates for floats: a bound past u64::MAX ns (584 years) caps there.
            .map(|b| (b, (b * 1e9).round() as u64))
            .collect();
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            inner: Arc::new(Inner {
                bounds,
                counts,
                sum_nanos: AtomicU64::new(0),
            }),
        }
    }

    /// Records one observation.
    pub fn observe(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        // Bounds are few (14); a linear scan is as fast as a binary search here.
        let index = self
            .inner
            .bounds
            .iter()
            .position(|&(_, bound)| nanos <= bound)
            .unwrap_or(self.inner.bounds.len());
        // Relaxed: each counter is independent; a scrape may see one observation in the
        // buckets a moment before the sum, which Prometheus tolerates.
        if let Some(count) = self.inner.counts.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The number of observations so far.
    pub fn count(&self) -> u64 {
        self.inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// The sum of the observations so far.
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.inner.sum_nanos.load(Ordering::Relaxed))
    }

    /// The upper bounds in seconds, without the final `+Inf`.
    pub fn bounds(&self) -> impl Iterator<Item = f64> + '_ {
        self.inner.bounds.iter().map(|&(seconds, _)| seconds)
    }
}

impl TypedMetric for DurationHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for DurationHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets: Vec<(f64, u64)> = self
            .inner
            .bounds
            .iter()
            .map(|&(seconds, _)| seconds)
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.inner.counts.iter())
            .map(|(bound, count)| (bound, count.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|&(_, c)| c).fold(0, u64::wrapping_add);
        let sum = self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above_them() {
        let h = DurationHistogram::new(&[0.001, 0.01]);
        h.observe(Duration::from_micros(1000)); // exactly on the bound: le="0.001"
        h.observe(Duration::from_micros(1001));
        h.observe(Duration::from_secs(1)); // overflow
        let counts: Vec<u64> = h
            .inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!(counts, vec![1, 1, 1]);
        assert_eq!(h.count(), 3);
        assert_eq!(
            h.sum(),
            Duration::from_nanos(1_000_000 + 1_001_000 + 1_000_000_000)
        );
    }

    #[test]
    fn bad_bounds_are_dropped_and_the_rest_sorted() {
        let h = DurationHistogram::new(&[f64::NAN, 2.0, -1.0, 0.0, 1.0, f64::INFINITY, 1.0]);
        assert_eq!(h.bounds().collect::<Vec<_>>(), vec![1.0, 2.0]);
        h.observe(Duration::MAX);
        assert_eq!(h.count(), 1);
    }
}
