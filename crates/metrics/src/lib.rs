//! The node's Prometheus metrics and the HTTP endpoint that serves them.
//!
//! [`NodeMetrics`] is a cheap, clonable handle (an `Arc`) over a
//! [`prometheus_client`] registry: every update is a `&self` method on atomics, so the
//! authoring thread, block import and RPC can all hold a clone and update it without
//! locks. [`serve`] binds a TCP port and answers `GET /metrics` on a thread of its own
//! with the Prometheus text exposition format (version 0.0.4); the returned
//! [`MetricsServer`] stops the endpoint when dropped or on [`MetricsServer::stop`].
//!
//! ```no_run
//! use marmalade_metrics::{serve, NodeMetrics};
//! use std::time::Instant;
//!
//! let metrics = NodeMetrics::new();
//! let server = serve("127.0.0.1:9615".parse()?, metrics.clone())?;
//! // In the import loop:
//! let started = Instant::now();
//! // ... import the block ...
//! metrics.observe_block_import(started.elapsed());
//! metrics.inc_blocks_imported();
//! metrics.set_best_block(1, 42);
//! server.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod histogram;
mod node;
mod server;

pub use histogram::{DurationHistogram, BLOCK_IMPORT_BUCKETS};
pub use node::NodeMetrics;
pub use server::{
    serve, MetricsError, MetricsServer, CONNECTION_TIMEOUT, CONTENT_TYPE, MAX_CONNECTIONS,
    MAX_REQUEST_BYTES,
};
