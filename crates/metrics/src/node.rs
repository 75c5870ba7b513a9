//! The node's metrics and their registry.

use crate::histogram::{DurationHistogram, BLOCK_IMPORT_BUCKETS};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// The node's metrics: a clonable, `Send + Sync` handle whose updates are lock-free.
///
/// Clones share one registry; hand one to each thread that updates a metric and one to
/// [`serve`](crate::serve). The exposed names (all prefixed `marmalade_`):
///
/// | name | type | updated by |
/// |---|---|---|
/// | `marmalade_best_block_height` | gauge | [`set_best_block`](Self::set_best_block) |
/// | `marmalade_best_block_slot` | gauge | [`set_best_block`](Self::set_best_block) |
/// | `marmalade_finalized_block_height` | gauge | [`set_finalized_height`](Self::set_finalized_height) |
/// | `marmalade_block_import_seconds` | histogram | [`observe_block_import`](Self::observe_block_import) |
/// | `marmalade_blocks_authored_total` | counter | [`inc_blocks_authored`](Self::inc_blocks_authored) |
/// | `marmalade_blocks_imported_total` | counter | [`inc_blocks_imported`](Self::inc_blocks_imported) |
/// | `marmalade_peers` | gauge | [`set_peers`](Self::set_peers) (0 until networking) |
/// | `marmalade_rpc_connections` | gauge | [`set_rpc_connections`](Self::set_rpc_connections) |
/// | `marmalade_network_bytes_sent_total` | counter | [`set_network_bytes_sent`](Self::set_network_bytes_sent) |
#[derive(Clone, Debug)]
pub struct NodeMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    best_block_height: Gauge,
    best_block_slot: Gauge,
    finalized_block_height: Gauge,
    block_import: DurationHistogram,
    blocks_authored: Counter,
    blocks_imported: Counter,
    peers: Gauge,
    rpc_connections: Gauge,
    network_bytes_sent: Counter,
}

/// A count or height as a gauge value (gauges are `i64`); values past `i64::MAX` cannot
/// occur for heights or slots, and saturate rather than wrap to negative if they did.
fn gauge_value(v: impl TryInto<i64>) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

impl NodeMetrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("marmalade");
        let best_block_height = Gauge::default();
        let best_block_slot = Gauge::default();
        let finalized_block_height = Gauge::default();
        let block_import = DurationHistogram::new(&BLOCK_IMPORT_BUCKETS);
        let blocks_authored = Counter::default();
        let blocks_imported = Counter::default();
        let peers = Gauge::default();
        let rpc_connections = Gauge::default();
        let network_bytes_sent = Counter::default();
        registry.register(
            "best_block_height",
            "Height of the best block (its number of ancestors)",
            best_block_height.clone(),
        );
        registry.register(
            "best_block_slot",
            "Timeslot of the best block's header",
            best_block_slot.clone(),
        );
        registry.register(
            "finalized_block_height",
            "Height of the last finalized block",
            finalized_block_height.clone(),
        );
        // Registered without a unit: with `Unit::Seconds` the client would append a
        // second `_seconds` to the name it already carries.
        registry.register(
            "block_import_seconds",
            "Time to import a block (state transition, trie update, store), in seconds",
            block_import.clone(),
        );
        // Counters get `_total` appended by the encoder.
        registry.register(
            "blocks_authored",
            "Blocks this node authored and sealed",
            blocks_authored.clone(),
        );
        registry.register(
            "blocks_imported",
            "Blocks imported into the chain (own and others')",
            blocks_imported.clone(),
        );
        registry.register("peers", "Connected network peers", peers.clone());
        registry.register(
            "rpc_connections",
            "Open JIP-2 RPC connections",
            rpc_connections.clone(),
        );
        registry.register(
            "network_bytes_sent",
            "UDP octets sent on the node's QUIC connections (JAMNP-S)",
            network_bytes_sent.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                best_block_height,
                best_block_slot,
                finalized_block_height,
                block_import,
                blocks_authored,
                blocks_imported,
                peers,
                rpc_connections,
                network_bytes_sent,
            }),
        }
    }

    /// Sets the best block's height and its header's timeslot.
    pub fn set_best_block(&self, height: u64, slot: u32) {
        self.inner.best_block_height.set(gauge_value(height));
        self.inner.best_block_slot.set(i64::from(slot));
    }

    /// Sets the height of the last finalized block.
    pub fn set_finalized_height(&self, height: u64) {
        self.inner.finalized_block_height.set(gauge_value(height));
    }

    /// Records how long one block import took.
    pub fn observe_block_import(&self, elapsed: Duration) {
        self.inner.block_import.observe(elapsed);
    }

    /// Counts one block authored by this node.
    pub fn inc_blocks_authored(&self) {
        self.inner.blocks_authored.inc();
    }

    /// Counts one block imported.
    pub fn inc_blocks_imported(&self) {
        self.inner.blocks_imported.inc();
    }

    /// Sets the number of connected peers.
    pub fn set_peers(&self, peers: usize) {
        self.inner.peers.set(gauge_value(peers));
    }

    /// Sets the number of open RPC connections.
    pub fn set_rpc_connections(&self, connections: usize) {
        self.inner.rpc_connections.set(gauge_value(connections));
    }

    /// Raises the network's sent-octets counter to `total` (the transport's running count);
    /// a lower `total` than already counted leaves it, so the counter never goes back.
    pub fn set_network_bytes_sent(&self, total: u64) {
        let c = &self.inner.network_bytes_sent;
        c.inc_by(total.saturating_sub(c.get()));
    }

    /// The block-import histogram (for reading its count and sum in tests and logs).
    pub fn block_import(&self) -> &DurationHistogram {
        &self.inner.block_import
    }

    /// Every metric in the Prometheus text exposition format, version 0.0.4
    /// ([`CONTENT_TYPE`](crate::CONTENT_TYPE)).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a `String` cannot fail, and every metric here encodes without error;
        // should one ever fail, the scrape shows what was written before it.
        let _ = prometheus_text::encode(&mut text, &self.inner.registry);
        text
    }
}

impl Default for NodeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_send_sync_and_clones_share_values() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<NodeMetrics>();
        let a = NodeMetrics::new();
        let b = a.clone();
        b.inc_blocks_imported();
        b.set_best_block(7, 9);
        let text = a.encode();
        assert!(
            text.contains("\nmarmalade_blocks_imported_total 1\n"),
            "{text}"
        );
        assert!(text.contains("\nmarmalade_best_block_height 7\n"), "{text}");
        assert!(text.contains("\nmarmalade_best_block_slot 9\n"), "{text}");
    }

    #[test]
    fn network_bytes_sent_follows_the_running_total_and_never_goes_back() {
        let m = NodeMetrics::new();
        m.set_network_bytes_sent(1000);
        m.set_network_bytes_sent(400);
        m.set_network_bytes_sent(1500);
        m.set_network_bytes_sent(1200);
        let text = m.encode();
        assert!(
            text.lines()
                .any(|l| l == "marmalade_network_bytes_sent_total 1500"),
            "{text}"
        );
    }

    #[test]
    fn histogram_exposition_is_cumulative_with_inf_equal_to_count() {
        let m = NodeMetrics::new();
        m.observe_block_import(Duration::from_micros(300)); // <= 0.5 ms
        m.observe_block_import(Duration::from_millis(3)); // <= 5 ms
        m.observe_block_import(Duration::from_secs(60)); // +Inf only
        let text = m.encode();
        for line in [
            "# TYPE marmalade_block_import_seconds histogram",
            "marmalade_block_import_seconds_bucket{le=\"0.0005\"} 1",
            "marmalade_block_import_seconds_bucket{le=\"0.0025\"} 1",
            "marmalade_block_import_seconds_bucket{le=\"0.005\"} 2",
            "marmalade_block_import_seconds_bucket{le=\"10\"} 2",
            "marmalade_block_import_seconds_bucket{le=\"+Inf\"} 3",
            "marmalade_block_import_seconds_count 3",
            "marmalade_block_import_seconds_sum 60.0033",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn every_metric_is_exposed_with_its_type() {
        let text = NodeMetrics::new().encode();
        for (name, kind) in [
            ("marmalade_best_block_height", "gauge"),
            ("marmalade_best_block_slot", "gauge"),
            ("marmalade_finalized_block_height", "gauge"),
            ("marmalade_block_import_seconds", "histogram"),
            ("marmalade_blocks_authored_total", "counter"),
            ("marmalade_blocks_imported_total", "counter"),
            ("marmalade_peers", "gauge"),
            ("marmalade_rpc_connections", "gauge"),
            ("marmalade_network_bytes_sent_total", "counter"),
        ] {
            let line = format!("# TYPE {name} {kind}");
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
