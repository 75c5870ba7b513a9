//! The `/metrics` endpoint over real sockets, with a plain `std::net` client.

use marmalade_metrics::{serve, MetricsError, MetricsServer, NodeMetrics, CONTENT_TYPE};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// An answer parsed just enough to check: status code, headers (lower-cased names), body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn start() -> (NodeMetrics, MetricsServer) {
    let metrics = NodeMetrics::new();
    let server = serve(SocketAddr::from(([127, 0, 0, 1], 0)), metrics.clone()).expect("serve");
    (metrics, server)
}

/// Sends `request` as is and reads until the server closes the connection (it serves one
/// request per connection). Errors are the socket's: a server that resets is an `Err`.
fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    stream.write_all(request)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

fn parse(raw: &[u8]) -> Answer {
    let text = String::from_utf8(raw.to_vec()).expect("answer is UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("answer has a head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    parse(&exchange(addr, request.as_bytes()).expect("exchange"))
}

fn has_line(body: &str, line: &str) -> bool {
    body.lines().any(|l| l == line)
}

#[test]
fn get_metrics_shows_the_current_values() {
    let (metrics, server) = start();
    metrics.set_best_block(12, 345);
    metrics.set_finalized_height(10);
    metrics.inc_blocks_authored();
    metrics.inc_blocks_authored();
    for _ in 0..3 {
        metrics.inc_blocks_imported();
    }
    metrics.set_peers(4);
    metrics.observe_block_import(Duration::from_millis(2)); // in le="0.0025"

    let answer = get(server.local_addr(), "/metrics");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some(CONTENT_TYPE));
    assert!(CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
    for line in [
        "marmalade_best_block_height 12",
        "marmalade_best_block_slot 345",
        "marmalade_finalized_block_height 10",
        "marmalade_blocks_authored_total 2",
        "marmalade_blocks_imported_total 3",
        "marmalade_peers 4",
        "marmalade_rpc_connections 0",
        "marmalade_block_import_seconds_bucket{le=\"0.001\"} 0",
        "marmalade_block_import_seconds_bucket{le=\"0.0025\"} 1",
        "marmalade_block_import_seconds_count 1",
        "marmalade_block_import_seconds_sum 0.002",
    ] {
        assert!(
            has_line(&answer.body, line),
            "missing {line:?} in\n{}",
            answer.body
        );
    }

    // A second scrape sees later updates (the server reads the live registry).
    metrics.set_best_block(13, 346);
    metrics.inc_blocks_imported();
    let answer = get(server.local_addr(), "/metrics?ignored=1");
    assert_eq!(answer.status, 200);
    assert!(has_line(&answer.body, "marmalade_best_block_height 13"));
    assert!(has_line(&answer.body, "marmalade_blocks_imported_total 4"));
}

#[test]
fn head_metrics_has_no_body() {
    let (_metrics, server) = start();
    let raw = exchange(
        server.local_addr(),
        b"HEAD /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .expect("exchange");
    let answer = parse(&raw);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "");
}

#[test]
fn other_paths_are_404_and_other_methods_405() {
    let (_metrics, server) = start();
    let addr = server.local_addr();
    for path in ["/", "/metricsx", "/metrics/", "/other"] {
        let answer = get(addr, path);
        assert_eq!(answer.status, 404, "{path}");
        assert!(!answer.body.contains("marmalade_"), "{path}");
    }
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let request =
            format!("{method} /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        let answer = parse(&exchange(addr, request.as_bytes()).expect("exchange"));
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow"), Some("GET, HEAD"), "{method}");
    }
}

/// What a hostile or broken client sends must not stop the server answering.
#[test]
fn malformed_and_oversized_requests_do_not_stop_the_server() {
    let (metrics, server) = start();
    let addr = server.local_addr();
    metrics.set_best_block(5, 6);

    // Bytes that are not HTTP: hyper answers 400 (or closes); either way no 200.
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(131) % 251) as u8)
        .collect();
    for request in [
        &garbage[..],
        b"\x00\xff\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /metrics HTTP/9.9\r\n\r\n",
    ] {
        if let Ok(raw) = exchange(addr, request) {
            assert!(!raw.starts_with(b"HTTP/1.1 200"), "garbage got a 200");
        }
    }

    // A request head far past the limit: 431 or a closed connection, never a 200.
    let mut big = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Fill: ".to_vec();
    big.resize(big.len() + 256 * 1024, b'a');
    big.extend_from_slice(b"\r\n\r\n");
    if let Ok(raw) = exchange(addr, &big) {
        assert!(
            !raw.starts_with(b"HTTP/1.1 200"),
            "oversized request got a 200"
        );
        if !raw.is_empty() {
            assert_eq!(parse(&raw).status, 431);
        }
    }

    // A body the server never reads: 405 at once, not a wait for a terabyte.
    let answer = parse(
        &exchange(
            addr,
            b"POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000000\r\n\r\nxx",
        )
        .expect("exchange"),
    );
    assert_eq!(answer.status, 405);

    // A client that half-sends and goes away.
    {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.write_all(b"GET /metr").expect("write");
        stream.shutdown(Shutdown::Both).expect("shutdown");
    }

    // A client that sends nothing and stays connected does not block a scrape.
    let idle = TcpStream::connect(addr).expect("connect");
    let answer = get(addr, "/metrics");
    assert_eq!(answer.status, 200);
    assert!(has_line(&answer.body, "marmalade_best_block_height 5"));
    drop(idle);
}

#[test]
fn stop_and_drop_free_the_port() {
    let (_metrics, server) = start();
    let addr = server.local_addr();
    assert_eq!(get(addr, "/metrics").status, 200);
    server.stop();
    assert!(
        TcpStream::connect(addr).is_err(),
        "still accepting after stop"
    );
    drop(TcpListener::bind(addr).expect("port free after stop"));

    let (_metrics, server) = start();
    let addr = server.local_addr();
    // An open connection does not hold the server up or the port after it.
    let idle = TcpStream::connect(addr).expect("connect");
    drop(server);
    drop(TcpListener::bind(addr).expect("port free after drop"));
    drop(idle);

    // And it can be served again on the same port.
    let metrics = NodeMetrics::new();
    let again = serve(addr, metrics).expect("serve again on the freed port");
    assert_eq!(get(again.local_addr(), "/metrics").status, 200);
}

#[test]
fn a_port_in_use_is_a_typed_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("local_addr");
    match serve(addr, NodeMetrics::new()) {
        Err(MetricsError::AddrInUse { addr: reported }) => assert_eq!(reported, addr),
        other => panic!("expected AddrInUse, got {other:?}"),
    }
}
