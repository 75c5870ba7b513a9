//! `marmalade run` serves JIP-2: with `--rpc-port 0` it logs the address it bound, and
//! `bestBlock` there (JSON-RPC over plain HTTP, which the server also speaks) follows the
//! blocks the node authors; with `--prometheus-port 0` it logs the metrics address, and
//! `/metrics` there counts the blocks.

mod support {
    pub mod node;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::node::strip_ansi;

/// One JSON-RPC call over HTTP/1.1; the `result` of the answer.
fn call(addr: SocketAddr, method: &str) -> serde_json::Value {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[]}}"#);
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("writes");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("reads");
    let (start, end) = (answer.find('{'), answer.rfind('}'));
    let json = match (start, end) {
        (Some(a), Some(b)) if a < b => &answer[a..=b],
        _ => panic!("no JSON in {answer:?}"),
    };
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("no result: {v}"))
}

#[test]
fn run_serves_best_block_over_rpc() {
    let mut child = support::node::marmalade()
        .args([
            "run",
            "--chain",
            "dev",
            "--dev-validators",
            "all",
            "--slot-ms",
            "300",
            "--rpc-port",
            "0",
            "--prometheus-port",
            "0",
            "--temp",
        ])
        .env("RUST_LOG", "marmalade_node=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut seen = String::new();
    let mut metrics_addr: Option<SocketAddr> = None;
    let addr: SocketAddr = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("reads") == 0 {
            let _ = child.kill();
            panic!("exited before serving RPC: {seen}");
        }
        let line = strip_ansi(&line);
        seen.push_str(&line);
        if line.contains("prometheus listening") {
            metrics_addr = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .and_then(|a| a.parse().ok());
        }
        if line.contains("rpc listening") {
            let a = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .unwrap_or_else(|| panic!("no addr in {line}"));
            break a.parse().expect("a socket address");
        }
    };
    assert!(addr.ip().is_loopback(), "loopback by default: {addr}");
    assert_ne!(addr.port(), 0);
    // Keep draining the log so the node never blocks on a full pipe.
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });

    let slot = |v: &serde_json::Value| v[1].as_u64().unwrap_or_else(|| panic!("[hash, slot]: {v}"));
    let first = call(addr, "bestBlock");
    let start = Instant::now();
    let later = loop {
        let b = call(addr, "bestBlock");
        if slot(&b) > slot(&first) {
            break b;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "bestBlock stuck at {first}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_ne!(later[0], first[0], "a new head");
    let params = call(addr, "parameters");
    assert!(params.is_object(), "{params}");

    // Prometheus: the heights and the import histogram follow the blocks.
    let metrics_addr = metrics_addr.unwrap_or_else(|| panic!("no prometheus address: {seen}"));
    let scrape = || -> String {
        let mut s = TcpStream::connect(metrics_addr).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("writes");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("reads");
        text
    };
    let value = |text: &str, name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    // The metrics follow an import a moment after the chain (and RPC) show it: scrape until
    // they do, within a bound.
    let start = Instant::now();
    let text = loop {
        let text = scrape();
        let caught_up = value(&text, "marmalade_best_block_height ") >= 1.0
            && value(&text, "marmalade_blocks_authored_total ") >= 1.0
            && value(&text, "marmalade_block_import_seconds_count ") >= 1.0;
        if caught_up {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the metrics never showed the authored block: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(value(&text, "marmalade_peers "), 0.0, "{text}");

    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("exits");
    let rest = strip_ansi(&drain.join().expect("drained"));
    assert!(status.success(), "{seen}{rest}");
    assert!(rest.contains("authored "), "{rest}");
}
