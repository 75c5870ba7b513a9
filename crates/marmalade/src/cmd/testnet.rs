//! `marmalade testnet`: N local validator processes on loopback with the dev chain and a live
//! table of their progress.
//!
//! Node `i` is a child process of this executable, `marmalade run --chain dev --dev-validator i`
//! (the JIP-5 development keys of `trivial_seed(i)`), with its database in `DIR/node-i` and its
//! log (stdout and stderr) in `DIR/node-i.log`. `DIR` is `--base-path`, else a temporary folder
//! removed at exit. Ports: QUIC `40000 + i`, RPC `19800 + i`, Prometheus `9615 + i`; with
//! `--base-port P` they are `P + i`, `P + N + i` and `P + 2N + i` instead, so one flag moves
//! all three blocks (for tests, where the defaults may be taken).
//!
//! The networking flags of `run` (`--listen`, `--bootnode`) are passed only when `run --help`
//! lists them (asked of this executable at start): node `i` listens on `127.0.0.1:<quic port>`
//! and has every other node as a bootnode, named by $N(k)$ of its Ed25519 key (JAMNP-S,
//! "Alternative name"). Without them the nodes author independently.
//!
//! Once a second the table shows each node's process state and what its Prometheus endpoint
//! says (a plain HTTP/1.0 GET with short timeouts; missing metrics show as `-`): best height
//! and slot, finalized height, peers, blocks authored and imported, the mean import time of
//! the blocks authored since the last look, and how long ago the node last imported a block.
//! On a terminal the table is redrawn in place (ANSI); otherwise one summary line a second.
//!
//! Stopping: Ctrl-C (SIGINT), SIGTERM or SIGHUP stop the nodes, as does `--until-height H` once
//! every node's best block is at height `H` or more (exit 0). A node that exits by itself is a
//! failure (exit 1). The children are in their own process group, so a terminal's Ctrl-C
//! reaches only this process, which stops them: SIGTERM (the `kill` command; `run` treats it
//! as a clean stop), then SIGKILL (`Child::kill`) for any still running after a grace period.
//! A drop guard does this on every way out, panics included; only a SIGKILL of this process
//! leaves them running.

use anyhow::{bail, Context};
use marmalade_chainspec::dev::{DEV_BASE_PORT, DEV_VALIDATORS};
use marmalade_chainspec::Bootnode;
use marmalade_node::{dev_keys, stop_on_ctrl_c, RpcConfig, SLOT_PERIOD_MS};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The first Prometheus port of the default layout (Substrate's 9615).
const PROMETHEUS_BASE_PORT: u16 = 9615;
/// How long the nodes have to stop after SIGTERM before they are killed. `run` stops after the
/// block in hand, well within this.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How often the table is redrawn.
const REDRAW: Duration = Duration::from_secs(1);
/// How often the processes are checked between redraws.
const POLL: Duration = Duration::from_millis(100);
/// The Prometheus scrape's connect and read/write timeouts.
const SCRAPE_CONNECT_TIMEOUT: Duration = Duration::from_millis(200);
const SCRAPE_IO_TIMEOUT: Duration = Duration::from_millis(500);
/// The largest metrics response read: the node's is a few kilobytes.
const SCRAPE_MAX_BYTES: u64 = 1 << 20;

/// Arguments of `marmalade testnet`.
#[derive(clap::Args)]
pub struct Args {
    /// How many validator processes (dev validators 0..N); at most the dev chain's count.
    #[arg(long, default_value_t = DEV_VALIDATORS)]
    validators: usize,
    /// The slot period in milliseconds, for every node.
    #[arg(long, default_value_t = SLOT_PERIOD_MS)]
    slot_ms: u64,
    /// The folder of the nodes' databases and logs [default: a temporary folder, removed at
    /// exit].
    #[arg(long, value_name = "DIR")]
    base_path: Option<PathBuf>,
    /// Node i uses QUIC port P+i, RPC port P+N+i and Prometheus port P+2N+i [default: QUIC
    /// 40000+i, RPC 19800+i, Prometheus 9615+i].
    #[arg(long, value_name = "P")]
    base_port: Option<u16>,
    /// Stop (exit 0) once every node's best block is at height H or more. For tests.
    #[arg(long, value_name = "H")]
    until_height: Option<u32>,
}

/// The ports of node `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ports {
    quic: u16,
    rpc: u16,
    prometheus: u16,
}

/// The ports of node `i` of `n`: the default layout, or `base + i`, `base + n + i`,
/// `base + 2n + i`. `None` if a port would pass 65535.
fn ports(base: Option<u16>, n: usize, i: usize) -> Option<Ports> {
    let at = |b: u16, off: usize| u16::try_from(usize::from(b).checked_add(off)?).ok();
    match base {
        None => Some(Ports {
            quic: at(DEV_BASE_PORT, i)?,
            rpc: at(RpcConfig::DEFAULT_PORT, i)?,
            prometheus: at(PROMETHEUS_BASE_PORT, i)?,
        }),
        Some(b) => Some(Ports {
            quic: at(b, i)?,
            rpc: at(b, n.checked_add(i)?)?,
            prometheus: at(b, n.checked_mul(2)?.checked_add(i)?)?,
        }),
    }
}

/// The networking flags `marmalade run` accepts, from its `--help` text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct NetworkFlags {
    listen: bool,
    bootnode: bool,
}

impl NetworkFlags {
    /// Which of `--listen` and `--bootnode` a `run --help` text lists.
    fn from_help(help: &str) -> Self {
        let lists = |flag: &str| {
            help.split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[')
                .any(|w| w == flag)
        };
        NetworkFlags {
            listen: lists("--listen"),
            bootnode: lists("--bootnode"),
        }
    }

    /// Asks this executable's `run --help`.
    fn probe(exe: &Path) -> anyhow::Result<Self> {
        let out = Command::new(exe)
            .args(["run", "--help"])
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {} run --help", exe.display()))?;
        if !out.status.success() {
            bail!("{} run --help failed: {}", exe.display(), out.status);
        }
        Ok(Self::from_help(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// The bootnode entry `N(k)@127.0.0.1:port` of dev validator `i`, whose network key is its
/// JIP-5 Ed25519 key.
fn dev_bootnode(i: u32, port: u16) -> Bootnode {
    Bootnode {
        ed25519: dev_keys(i).ed25519_public(),
        address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
    }
}

/// The `run` arguments of node `i`.
fn node_args(
    i: usize,
    all: &[Ports],
    dir: &Path,
    slot_ms: u64,
    net: NetworkFlags,
) -> anyhow::Result<Vec<String>> {
    let me = all.get(i).context("node index out of range")?;
    let mut args: Vec<String> = vec![
        "run".into(),
        "--chain".into(),
        "dev".into(),
        "--dev-validator".into(),
        i.to_string(),
        "--base-path".into(),
        dir.join(format!("node-{i}")).display().to_string(),
        "--slot-ms".into(),
        slot_ms.to_string(),
        "--rpc-port".into(),
        me.rpc.to_string(),
        "--prometheus-port".into(),
        me.prometheus.to_string(),
    ];
    if net.listen {
        args.push("--listen".into());
        args.push(SocketAddr::from((Ipv4Addr::LOCALHOST, me.quic)).to_string());
    }
    if net.bootnode {
        for (j, p) in all.iter().enumerate() {
            if j != i {
                args.push("--bootnode".into());
                args.push(dev_bootnode(u32::try_from(j)?, p.quic).to_string());
            }
        }
    }
    Ok(args)
}

/// One child node and what was last seen of it.
struct NodeProc {
    index: usize,
    child: Child,
    ports: Ports,
    log: PathBuf,
    exited: Option<ExitStatus>,
    view: View,
}

/// The nodes; stops every one still running when dropped, whatever the way out.
struct Nodes(Vec<NodeProc>);

impl Nodes {
    /// Polls each child's state; the first that has exited since the last poll, if any.
    fn poll(&mut self) -> Option<usize> {
        let mut newly = None;
        for n in &mut self.0 {
            if n.exited.is_none() {
                if let Ok(Some(status)) = n.child.try_wait() {
                    n.exited = Some(status);
                    newly.get_or_insert(n.index);
                }
            }
        }
        newly
    }

    /// SIGTERM to every running child, SIGKILL to those still running after [`STOP_GRACE`],
    /// and each one waited for.
    fn stop_all(&mut self) {
        let running: Vec<u32> = self
            .0
            .iter()
            .filter(|n| n.exited.is_none())
            .map(|n| n.child.id())
            .collect();
        if running.is_empty() {
            return;
        }
        // std has no SIGTERM: the `kill` command sends it (a failure leaves the SIGKILL below).
        let _ = Command::new("kill")
            .arg("-TERM")
            .args(running.iter().map(u32::to_string))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while self.0.iter().any(|n| n.exited.is_none()) && Instant::now() < deadline {
            self.poll();
            std::thread::sleep(Duration::from_millis(50));
        }
        for n in &mut self.0 {
            if n.exited.is_none() {
                let _ = n.child.kill();
                n.exited = n.child.wait().ok();
            }
        }
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// What a node's metrics said, and what follows from the last two looks.
#[derive(Debug, Default, Clone)]
struct View {
    /// The last scrape's values, by metric name (unlabelled samples only).
    metrics: HashMap<String, f64>,
    /// Whether the last scrape answered.
    reachable: bool,
    /// The mean import time in ms of the blocks authored between the last two scrapes that
    /// saw any (the import histogram's `_sum` and `_count` deltas).
    import_ms: Option<f64>,
    /// When `marmalade_blocks_imported_total` was last seen to grow.
    last_import: Option<Instant>,
}

impl View {
    fn get(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).copied()
    }

    /// Takes a new scrape (`None`: no answer) observed at `now`.
    fn update(&mut self, scraped: Option<HashMap<String, f64>>, now: Instant) {
        let Some(new) = scraped else {
            self.reachable = false;
            return;
        };
        let delta = |name: &str| Some(new.get(name)? - self.metrics.get(name).unwrap_or(&0.0));
        if let (Some(ds), Some(dc)) = (
            delta("marmalade_block_import_seconds_sum"),
            delta("marmalade_block_import_seconds_count"),
        ) {
            if dc > 0.0 {
                self.import_ms = Some(ds / dc * 1000.0);
            }
        }
        if delta("marmalade_blocks_imported_total").is_some_and(|d| d > 0.0) {
            self.last_import = Some(now);
        }
        self.metrics = new;
        self.reachable = true;
    }

    /// The best block's height, if known.
    fn best_height(&self) -> Option<u64> {
        as_u64(self.get("marmalade_best_block_height"))
    }
}

/// A gauge or counter as a whole number (they are integers; `None` if absent or not finite).
fn as_u64(v: Option<f64>) -> Option<u64> {
    v.filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as u64)
}

/// The unlabelled samples of a Prometheus text exposition: `name value` lines. Comments,
/// labelled samples and lines that do not parse are skipped.
fn parse_metrics(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        if name.contains('{') {
            continue;
        }
        if let Ok(v) = value.parse::<f64>() {
            out.insert(name.to_string(), v);
        }
    }
    out
}

/// `GET /metrics` on `127.0.0.1:port` with short timeouts; `None` on any failure.
fn scrape(port: u16) -> Option<HashMap<String, f64>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, SCRAPE_CONNECT_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(SCRAPE_IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(SCRAPE_IO_TIMEOUT)).ok()?;
    // HTTP/1.0 with `Connection: close`: the body ends when the server closes, no chunking.
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut raw = Vec::new();
    stream.take(SCRAPE_MAX_BYTES).read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.lines().next()?;
    if status.split_whitespace().nth(1) != Some("200") {
        return None;
    }
    Some(parse_metrics(body))
}

/// Scrapes every running node at once (each scrape may wait out its timeouts).
fn scrape_all(nodes: &mut Nodes) {
    let now = Instant::now();
    let results: Vec<Option<HashMap<String, f64>>> = std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .0
            .iter()
            .map(|n| {
                let (port, alive) = (n.ports.prometheus, n.exited.is_none());
                s.spawn(move || if alive { scrape(port) } else { None })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    for (n, r) in nodes.0.iter_mut().zip(results) {
        n.view.update(r, now);
    }
}

fn state(n: &NodeProc) -> String {
    match n.exited {
        None if n.view.reachable => "running".into(),
        None => "starting".into(),
        Some(s) => match s.code() {
            Some(c) => format!("exited {c}"),
            None => "killed".into(),
        },
    }
}

fn cell(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), |x| x.to_string())
}

/// The table: a header and one row per node.
fn table(nodes: &Nodes, now: Instant) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4} {:>8} {:<10} {:>6} {:>10} {:>5} {:>5} {:>8} {:>8} {:>9} {:>11}",
        "node",
        "pid",
        "state",
        "best",
        "slot",
        "final",
        "peers",
        "authored",
        "imported",
        "import ms",
        "last import"
    );
    for n in &nodes.0 {
        let v = &n.view;
        let import_ms = v
            .import_ms
            .map_or_else(|| "-".into(), |ms| format!("{ms:.1}"));
        let ago = v.last_import.map_or_else(
            || "-".into(),
            |t| format!("{:.1}s ago", now.saturating_duration_since(t).as_secs_f64()),
        );
        let _ = writeln!(
            out,
            "{:>4} {:>8} {:<10} {:>6} {:>10} {:>5} {:>5} {:>8} {:>8} {:>9} {:>11}",
            n.index,
            n.child.id(),
            state(n),
            cell(v.best_height()),
            cell(as_u64(v.get("marmalade_best_block_slot"))),
            cell(as_u64(v.get("marmalade_finalized_block_height"))),
            cell(as_u64(v.get("marmalade_peers"))),
            cell(as_u64(v.get("marmalade_blocks_authored_total"))),
            cell(as_u64(v.get("marmalade_blocks_imported_total"))),
            import_ms,
            ago
        );
    }
    out
}

/// One line for a log: elapsed time and each node's best/finalized heights and peers.
fn summary_line(nodes: &Nodes, elapsed: Duration) -> String {
    let list =
        |f: &dyn Fn(&NodeProc) -> String| nodes.0.iter().map(f).collect::<Vec<_>>().join(",");
    let running = nodes.0.iter().filter(|n| n.exited.is_none()).count();
    format!(
        "t={}s running={running}/{} best=[{}] finalized=[{}] peers=[{}]",
        elapsed.as_secs(),
        nodes.0.len(),
        list(&|n| cell(n.view.best_height())),
        list(&|n| cell(as_u64(n.view.get("marmalade_finalized_block_height")))),
        list(&|n| cell(as_u64(n.view.get("marmalade_peers")))),
    )
}

/// Draws the table or the summary line; `drawn` is how many lines the last table took.
fn draw(nodes: &Nodes, started: Instant, tty: bool, drawn: &mut usize) {
    let now = Instant::now();
    let mut stdout = std::io::stdout().lock();
    if tty {
        let t = table(nodes, now);
        if *drawn > 0 {
            // Up over the last table, and clear from there down.
            let _ = write!(stdout, "\x1b[{}A\x1b[J", *drawn);
        }
        let _ = write!(stdout, "{t}");
        *drawn = t.lines().count();
    } else {
        let _ = writeln!(stdout, "{}", summary_line(nodes, now - started));
    }
    let _ = stdout.flush();
}

/// Starts the nodes and shows the table until a stop.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let n = args.validators;
    if n == 0 || n > DEV_VALIDATORS {
        bail!("--validators {n}: the dev chain has {DEV_VALIDATORS} validators (1 to {DEV_VALIDATORS})");
    }
    if args.slot_ms == 0 {
        bail!("--slot-ms must be positive");
    }
    let all: Vec<Ports> = (0..n)
        .map(|i| ports(args.base_port, n, i))
        .collect::<Option<_>>()
        .context("--base-port: the nodes' ports would pass 65535")?;
    let exe = std::env::current_exe().context("the path of this executable")?;
    let net = NetworkFlags::probe(&exe)?;

    // The temporary folder outlives the nodes: `nodes` is declared after it, so dropped first.
    let (_temp, dir) = match &args.base_path {
        Some(p) => (None, p.clone()),
        None => {
            let t = tempfile::Builder::new()
                .prefix("marmalade-testnet-")
                .tempdir()
                .context("creating a temporary folder")?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stop = stop_on_ctrl_c()?;

    let mut nodes = Nodes(Vec::with_capacity(n));
    println!(
        "testnet: {n} dev validators, slot {} ms, folder {}, networking flags: {}",
        args.slot_ms,
        dir.display(),
        match (net.listen, net.bootnode) {
            (true, true) => "--listen --bootnode",
            (true, false) => "--listen",
            (false, true) => "--bootnode",
            (false, false) => "none (nodes author independently)",
        }
    );
    for (i, p) in all.iter().enumerate() {
        let log = dir.join(format!("node-{i}.log"));
        let file = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let out = file.try_clone().context("the log file")?;
        let child = Command::new(&exe)
            .args(node_args(i, &all, &dir, args.slot_ms, net)?)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(file)
            // Their own process group: a terminal's Ctrl-C reaches this process only, which
            // stops the nodes itself.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting node {i}"))?;
        println!(
            "node {i}: pid {} quic 127.0.0.1:{} rpc 127.0.0.1:{} prometheus 127.0.0.1:{} log {}",
            child.id(),
            p.quic,
            p.rpc,
            p.prometheus,
            log.display()
        );
        nodes.0.push(NodeProc {
            index: i,
            child,
            ports: *p,
            log,
            exited: None,
            view: View::default(),
        });
    }

    let tty = std::io::stdout().is_terminal();
    let started = Instant::now();
    let mut drawn = 0usize;
    let mut next_draw = started;
    let outcome: Result<&str, usize> = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok("stopped");
        }
        if let Some(i) = nodes.poll() {
            break Err(i);
        }
        if Instant::now() >= next_draw {
            scrape_all(&mut nodes);
            draw(&nodes, started, tty, &mut drawn);
            next_draw += REDRAW;
            if let Some(h) = args.until_height {
                if nodes
                    .0
                    .iter()
                    .all(|n| n.view.best_height().is_some_and(|b| b >= u64::from(h)))
                {
                    break Ok("every node reached the height asked for");
                }
            }
        }
        std::thread::sleep(POLL);
    };
    nodes.stop_all();
    match outcome {
        Ok(why) => {
            println!("testnet: {why}; all nodes stopped");
            Ok(ExitCode::SUCCESS)
        }
        Err(i) => {
            let dead = nodes.0.get(i).context("node index")?;
            eprintln!(
                "testnet: node {i} (pid {}) exited by itself ({}); log {}",
                dead.child.id(),
                state(dead),
                dead.log.display()
            );
            if let Ok(text) = std::fs::read_to_string(&dead.log) {
                let lines: Vec<&str> = text.lines().collect();
                for l in &lines[lines.len().saturating_sub(10)..] {
                    eprintln!("  {l}");
                }
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn ports_default_and_based() {
        assert_eq!(
            ports(None, 6, 5),
            Some(Ports {
                quic: 40005,
                rpc: 19805,
                prometheus: 9620
            })
        );
        assert_eq!(
            ports(Some(50000), 3, 2),
            Some(Ports {
                quic: 50002,
                rpc: 50005,
                prometheus: 50008
            })
        );
        assert_eq!(ports(Some(65530), 3, 2), None);
    }

    #[test]
    fn network_flags_from_help() {
        let old = "Options:\n      --chain <CHAIN>  ...\n      --no-rpc  Do not serve RPC.\n";
        assert_eq!(NetworkFlags::from_help(old), NetworkFlags::default());
        let new = "      --listen <ADDR>  Listen\n      --bootnode <NAME@HOST:PORT>  Boot\n      --no-network\n";
        assert_eq!(
            NetworkFlags::from_help(new),
            NetworkFlags {
                listen: true,
                bootnode: true
            }
        );
        // A flag that merely starts with `--listen` is not `--listen`.
        let other = "      --listen-external\n";
        assert!(!NetworkFlags::from_help(other).listen);
    }

    #[test]
    fn node_args_pass_network_flags_only_when_supported() {
        let all: Vec<Ports> = (0..3).map(|i| ports(Some(50000), 3, i).unwrap()).collect();
        let dir = Path::new("/tmp/x");
        let plain = node_args(1, &all, dir, 300, NetworkFlags::default()).unwrap();
        assert!(!plain.iter().any(|a| a == "--listen" || a == "--bootnode"));
        assert!(plain
            .windows(2)
            .any(|w| w[0] == "--dev-validator" && w[1] == "1"));
        assert!(plain
            .windows(2)
            .any(|w| w[0] == "--rpc-port" && w[1] == "50004"));
        assert!(plain
            .windows(2)
            .any(|w| w[0] == "--prometheus-port" && w[1] == "50007"));
        let net = NetworkFlags {
            listen: true,
            bootnode: true,
        };
        let full = node_args(1, &all, dir, 300, net).unwrap();
        assert!(full
            .windows(2)
            .any(|w| w[0] == "--listen" && w[1] == "127.0.0.1:50001"));
        let boots: Vec<Bootnode> = full
            .windows(2)
            .filter(|w| w[0] == "--bootnode")
            .map(|w| Bootnode::from_str(&w[1]).unwrap())
            .collect();
        // Every other node, under the key its JIP-5 seed gives.
        assert_eq!(boots.len(), 2);
        for (b, j) in boots.iter().zip([0u32, 2]) {
            assert_eq!(b.ed25519, dev_keys(j).ed25519_public());
            assert_eq!(b.address.port(), 50000 + j as u16);
        }
    }

    #[test]
    fn metrics_text_parsed_and_deltas() {
        let text = "# HELP x\n# TYPE marmalade_best_block_height gauge\n\
                    marmalade_best_block_height 7\n\
                    marmalade_block_import_seconds_bucket{le=\"0.1\"} 2\n\
                    marmalade_block_import_seconds_sum 0.5\n\
                    marmalade_block_import_seconds_count 2\n\
                    marmalade_blocks_imported_total 4\n\
                    garbage\n";
        let m = parse_metrics(text);
        assert_eq!(m.get("marmalade_best_block_height"), Some(&7.0));
        assert!(!m.keys().any(|k| k.contains("bucket")));
        let t0 = Instant::now();
        let mut v = View::default();
        v.update(Some(m), t0);
        assert_eq!(v.import_ms, Some(250.0));
        assert_eq!(v.last_import, Some(t0));
        let later = parse_metrics(
            "marmalade_block_import_seconds_sum 0.8\nmarmalade_block_import_seconds_count 5\n\
             marmalade_blocks_imported_total 4\n",
        );
        let t1 = t0 + Duration::from_secs(1);
        v.update(Some(later), t1);
        // 0.3 s over 3 more imports; no new import seen, so the last stays at t0.
        assert!((v.import_ms.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(v.last_import, Some(t0));
        // Missing metrics are tolerated.
        assert_eq!(v.best_height(), None);
        v.update(None, t1);
        assert!(!v.reachable);
    }
}
