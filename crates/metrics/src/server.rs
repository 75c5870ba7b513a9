//! The HTTP endpoint: `GET /metrics` on hyper's HTTP/1 server.
//!
//! The server runs on a thread of its own with a current-thread tokio runtime, not on the
//! node's runtime: the node's authoring loop is synchronous, a scrape costs microseconds,
//! and a runtime of its own means metrics keep answering however busy (or absent) the
//! RPC runtime is, and stopping the server is joining one thread.
//!
//! Bounds on what a client can cost: one request per connection (no keep-alive, so no
//! idle connections), request head at most [`MAX_REQUEST_BYTES`] (hyper answers 431 past
//! it and 400 to bytes that are not HTTP), request bodies never read, each connection
//! closed after [`CONNECTION_TIMEOUT`], at most [`MAX_CONNECTIONS`] at once (others are
//! closed on accept).

use crate::node::NodeMetrics;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE as CONTENT_TYPE_HEADER};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};

/// The `Content-Type` of a `/metrics` answer: the Prometheus text format, version 0.0.4,
/// which is what [`NodeMetrics::encode`] writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The largest request head (request line and headers) read, in bytes; hyper's minimum.
pub const MAX_REQUEST_BYTES: usize = 8192;

/// How long one connection may take, from accept to the response written.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once; Prometheus needs one per scrape.
pub const MAX_CONNECTIONS: usize = 16;

/// What can go wrong starting the metrics endpoint.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Another process (or another server here) already listens on the address.
    #[error("metrics address {addr} is already in use")]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Binding failed for another reason (permission, address not local, ...).
    #[error("cannot bind the metrics endpoint to {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The server's runtime or thread could not be set up.
    #[error("cannot start the metrics server: {0}")]
    Start(#[source] std::io::Error),
}

/// A running metrics endpoint. Dropping it, or [`stop`](Self::stop), shuts the server
/// down and waits for its thread: once either returns, the port is free.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server: no new connections, open ones closed, the port released.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may have exited already (its receiver dropped); nothing to do then.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The thread only panics if hyper or tokio does; the port is released either way.
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Starts the metrics endpoint on `addr` on a thread of its own, serving `metrics`.
///
/// The address is bound before this returns, so a port in use is
/// [`MetricsError::AddrInUse`] here, not a failure later on the thread.
pub fn serve(addr: SocketAddr, metrics: NodeMetrics) -> Result<MetricsServer, MetricsError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            MetricsError::AddrInUse { addr }
        } else {
            MetricsError::Bind { addr, source }
        }
    })?;
    let local_addr = listener.local_addr().map_err(MetricsError::Start)?;
    listener
        .set_nonblocking(true)
        .map_err(MetricsError::Start)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(MetricsError::Start)?;
    let listener = {
        // Registering the socket with the reactor needs the runtime's context.
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(MetricsError::Start)?
    };
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, metrics, shutdown_rx));
            // Dropping the runtime here drops every connection task, and with them their
            // sockets; the listener went with `accept_loop`.
        })
        .map_err(MetricsError::Start)?;
    Ok(MetricsServer {
        local_addr,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    metrics: NodeMetrics,
    mut shutdown: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(CONNECTION_TIMEOUT)
        .max_buf_size(MAX_REQUEST_BYTES)
        .keep_alive(false);
    loop {
        let accepted = tokio::select! {
            // A sent `()` or a dropped sender both mean stop.
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(target: "metrics", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // Too many open connections: closing this one is the cheapest answer.
            continue;
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            service_fn({
                let metrics = metrics.clone();
                move |request| {
                    let response = respond(&metrics, &request);
                    async move { Ok::<_, Infallible>(response) }
                }
            }),
        );
        tokio::spawn(async move {
            match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(target: "metrics", "connection error: {e}"),
                Err(_) => tracing::debug!(target: "metrics", "connection timed out"),
            }
            drop(permit);
        });
    }
}

fn respond(metrics: &NodeMetrics, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/metrics" {
        return plain(
            StatusCode::NOT_FOUND,
            "not found; metrics are at /metrics\n",
        );
    }
    match *request.method() {
        // hyper leaves the body out of the answer to a HEAD itself.
        Method::GET | Method::HEAD => {
            let mut response = Response::new(Full::new(Bytes::from(metrics.encode())));
            response
                .headers_mut()
                .insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
        _ => {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE_HEADER,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
