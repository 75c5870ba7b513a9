//! `marmalade run`: a validator node that authors blocks on a chain.
//!
//! The chain is `dev` (the built-in dev chain, tiny, six JIP-5 development validators) or a
//! JIP-4 chain spec file. The keys are development keys (`--dev-validator N`, `trivial_seed(N)`
//! of JIP-5; `--dev-validators all` for the whole dev set in one process) or JIP-5 key files
//! (`--key FILE`); only public keys are ever printed. Slots are counted from the JAM Common
//! Era (GP section 4), 6 seconds long unless `--slot-ms` shortens them. Each authored block
//! gives one status line (`RUST_LOG` filters them; `marmalade_node=info` by default). Ctrl-C
//! stops after the block in hand.
//!
//! Blocks, the block tree and the finalized state live in a database (redb,
//! `docs/DATABASE.md`) in `--base-path` (default: `marmalade/chains/<chain id>` in the user's
//! data folder; `--temp` for a throwaway one). Each block is written in one crash-safe
//! transaction as it is imported; a restart resumes at the finalized state and re-imports the
//! blocks above it, checking their recorded roots. `marmalade export-blocks` writes the best
//! chain for `marmalade import`. `--prometheus-port` serves Prometheus metrics on
//! 127.0.0.1 (`/metrics`).
//!
//! The node serves JIP-2 (`bestBlock`, subscriptions, state queries, submissions) on
//! 127.0.0.1:19800 (`--rpc-port`, `--rpc-external` for all interfaces, `--no-rpc` for none);
//! the address bound is logged (`rpc listening`), which tells the port `--rpc-port 0` chose.
//! `submitPreimage` pools a preimage the best state awaits for the next block;
//! `submitWorkPackage` has the local validators assigned to the core refine and guarantee
//! the package (packages without imports), and they assure its availability in later
//! blocks.
//!
//! The node joins the JAMNP-S network (QUIC; `--no-network` for none) with the Ed25519 key
//! of its first local validator key as its identity, listening on `--listen ADDR` (default:
//! 0.0.0.0 with the port of that validator's metadata address in κ when it carries one, else
//! port 40000 + its validator index; 40000 when it is no validator). It keeps connections
//! (with backoff) to the other validators of κ whose metadata carries an address and to each
//! `--bootnode NAME@HOST:PORT` (JIP-4 form), announces its blocks (UP 0), fetches and imports
//! those of its peers (CE 128; an "imported block" line each), and serves blocks from the
//! database (`marmalade_node::net`).

use super::base_path::BasePathArgs;
use super::chain_arg::ChainArgs;
use anyhow::{bail, Context};
use marmalade_chainspec::{Bootnode, KeyFile, ValidatorSeed};
use marmalade_metrics::NodeMetrics;
use marmalade_node::db::{open_chain, persist};
use marmalade_node::net::{
    metadata_address, node_name, BlockNet, BlockSource, NetConfig, NetService, NodeKey,
};
use marmalade_node::{
    dev_key_set, dev_keys, stop_on_ctrl_c, Genesis, Node, RpcConfig, SlotClock, SystemClock,
    ValidatorKeys, VirtualClock, DEFAULT_FINALITY_DEPTH, SLOT_PERIOD_MS,
};
use marmalade_store::ChainDb;
use marmalade_types::ChainSpec;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Arguments of `marmalade run`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    base: BasePathArgs,
    /// Serve Prometheus metrics on this port (127.0.0.1, `GET /metrics`).
    #[arg(long, value_name = "PORT")]
    prometheus_port: Option<u16>,
    /// Author with development validator N's keys (JIP-5 `trivial_seed(N)`); repeatable.
    #[arg(long = "dev-validator", value_name = "N")]
    dev_validator: Vec<u32>,
    /// `all`: author with every development validator's keys (the chain's validator count).
    #[arg(long = "dev-validators", value_name = "all")]
    dev_validators: Option<String>,
    /// Author with the keys of a JIP-5 key file; repeatable.
    #[arg(long = "key", value_name = "FILE")]
    key: Vec<PathBuf>,
    /// The slot period in milliseconds (6000 on a real chain; shorter for tests).
    #[arg(long, default_value_t = SLOT_PERIOD_MS)]
    slot_ms: u64,
    /// Stop after authoring N blocks.
    #[arg(long, value_name = "N")]
    blocks: Option<usize>,
    /// Blocks this deep behind the best are final (until GRANDPA).
    #[arg(long, default_value_t = DEFAULT_FINALITY_DEPTH)]
    finality_depth: usize,
    /// The JIP-2 RPC port (0: any free port, logged).
    #[arg(long, value_name = "PORT", default_value_t = RpcConfig::DEFAULT_PORT)]
    rpc_port: u16,
    /// Serve RPC on all interfaces (0.0.0.0) instead of loopback only.
    #[arg(long)]
    rpc_external: bool,
    /// Do not serve RPC.
    #[arg(long, conflicts_with_all = ["rpc_port", "rpc_external"])]
    no_rpc: bool,
    /// Do not wait for slots: each begins as soon as the last is done (a virtual clock from
    /// the best block's slot), to author a chain as fast as possible. For tests and
    /// benchmarks, not for a node among others.
    #[arg(long, conflicts_with = "slot_ms")]
    virtual_slots: bool,
    /// The JAMNP-S (QUIC) address to listen on (default: 0.0.0.0 with this validator's
    /// metadata port, else 40000 + its validator index).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// A node to keep connected to, `NAME@HOST:PORT` (NAME: the JAMNP-S name of its Ed25519
    /// key); repeatable.
    #[arg(long, value_name = "NAME@HOST:PORT")]
    bootnode: Vec<Bootnode>,
    /// Do not join the network.
    #[arg(long, conflicts_with_all = ["listen", "bootnode"])]
    no_network: bool,
}

/// Runs the node until Ctrl-C or `--blocks`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (file, params) = args.chain.load()?;
    let genesis =
        Genesis::from_spec(&file, &params).with_context(|| format!("chain spec {:?}", file.id))?;
    let keys = keys(&args, &params)?;

    let clock = SystemClock::new(args.slot_ms).context("--slot-ms must be positive")?;
    if clock.now() == u32::MAX {
        bail!("--slot-ms {}: too short, the slot index since the JAM Common Era would not fit in 32 bits", args.slot_ms);
    }
    marmalade_crypto::bandersnatch::prepare_ring(params.validators)?;
    let data = args.base.resolve(&file.id)?;
    let db = Arc::new(
        ChainDb::open(data.path(), params)
            .with_context(|| format!("opening the database in {}", data.path().display()))?,
    );
    let (chain, resumed) = open_chain(&db, params, &genesis, args.finality_depth)?;
    tracing::info!(
        target: "marmalade_node",
        base_path = %data.path().display(),
        new = resumed.fresh,
        finalized = %hex::encode(resumed.finalized),
        finalized_height = resumed.finalized_height,
        reimported = resumed.reimported,
        "database opened"
    );
    let mut node = Node::with_chain(chain, keys);
    // On the wall clock ring proofs must not hold up a slot's block; a virtual clock does not
    // wait for slots, so there the proofs come first and every block may carry tickets.
    node.set_background_tickets(!args.virtual_slots);
    let genesis_hash = genesis.header.hash();
    let metrics = NodeMetrics::new();
    let _metrics_server = match args.prometheus_port {
        Some(port) => {
            let server = marmalade_metrics::serve(
                SocketAddr::from(([127, 0, 0, 1], port)),
                metrics.clone(),
            )?;
            tracing::info!(target: "marmalade_node", addr = %server.local_addr(), "prometheus listening");
            Some(server)
        }
        None => None,
    };
    // Each imported block goes to the database (and its heights to the metrics).
    let shared = Arc::clone(node.shared_chain());
    let hook_db = Arc::clone(&db);
    let hook_metrics = metrics.clone();
    // Set while the network is up: the hook then also refreshes its sent-octets counter.
    let hook_net: Arc<Mutex<Option<BlockNet>>> = Arc::new(Mutex::new(None));
    let hook_net_set = Arc::clone(&hook_net);
    node.set_import_hook(move |imported| {
        let p =
            shared.with_chain(|c| persist(&hook_db, c, imported.block, &imported.state_root))?;
        hook_metrics.inc_blocks_imported();
        hook_metrics.set_best_block(p.height, imported.block.header.slot);
        if let Some((_, h)) = p.finalized {
            hook_metrics.set_finalized_height(h);
        }
        if let Some(net) = &*hook_net.lock().unwrap_or_else(|p| p.into_inner()) {
            hook_metrics.set_network_bytes_sent(net.network().bytes_sent());
        }
        Ok(())
    });
    let validators = node
        .read_chain(|c| c.best().and_then(|b| c.state(&b).ok().flatten()))
        .context("the best state")?
        .components
        .kappa
        .clone();
    let ours: Vec<usize> = node
        .keys()
        .iter()
        .filter_map(|k| {
            let b = k.bandersnatch_public();
            validators.iter().position(|v| v.bandersnatch == b)
        })
        .collect();
    // Installed before the start is announced: from then on Ctrl-C is a clean stop.
    let stop = stop_on_ctrl_c()?;
    tracing::info!(
        target: "marmalade_node",
        chain = %file.id,
        params = %params.name,
        genesis = %hex::encode(genesis_hash),
        validators = ?ours,
        slot_ms = args.slot_ms,
        "starting"
    );
    // Work packages arrive over JIP-2 (`submitWorkPackage`) or JAMNP-S (CE 133/134).
    if !(args.no_rpc && args.no_network) {
        node.start_guarantor()?;
    }
    let rpc = if args.no_rpc {
        None
    } else {
        let config = RpcConfig::on(args.rpc_port, args.rpc_external);
        let rpc = node.serve_rpc(&config)?;
        tracing::info!(target: "marmalade_node", addr = %rpc.local_addr(), "rpc listening");
        Some(rpc)
    };
    if ours.is_empty() {
        tracing::warn!(target: "marmalade_node", "none of the keys is a genesis validator: nothing to author until one is");
    }
    let network = if args.no_network {
        None
    } else {
        Some(start_network(
            &args,
            &node,
            &validators,
            ours.first().copied(),
            genesis_hash,
            &db,
        )?)
    };
    if let Some(n) = &network {
        *hook_net_set.lock().unwrap_or_else(|p| p.into_inner()) = Some(n.net().clone());
        // Other validators' blocks carry our tickets, and ours theirs (CE 132).
        n.net().share_tickets(Arc::clone(node.pools()));
        // The in-core half between validators: CE 133-135, 137, 141.
        node.attach_work_net(n.net())?;
        // Answers from what the node has: CE 129 state, CE 136 reports, CE 142/143 preimages.
        node.attach_serve_net(n.net())?;
    }
    // Catch up before authoring: a restarted or late node's blocks would fork a chain it has
    // not seen yet. Waits until every peer's head is imported, at most two slots (a node
    // whose peers are all down authors then).
    if let (Some(n), false) = (&network, args.virtual_slots) {
        let wait =
            std::time::Duration::from_millis(args.slot_ms.saturating_mul(2).clamp(1_000, 12_000));
        let synced = n.net().wait_synced(std::time::Instant::now() + wait, &stop);
        tracing::info!(
            target: "marmalade_node",
            synced,
            peers = n.net().peer_count(),
            "authoring"
        );
    }
    let virtual_clock = VirtualClock::at(0);
    let clock: &dyn SlotClock = if args.virtual_slots {
        &virtual_clock
    } else {
        &clock
    };
    let authored = node.run(clock, &stop, args.blocks, |a| {
        metrics.inc_blocks_authored();
        metrics.observe_block_import(a.import_time);
        if let Some(n) = &network {
            n.net().announce(&a.block);
            metrics.set_peers(n.net().peer_count());
        }
    })?;
    // The hook's handle would keep the endpoint open past the service.
    hook_net_set
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    drop(network);
    drop(rpc);
    let best = node.best_hash().map(hex::encode).unwrap_or_default();
    let finalized = node.finalized_hash().map(hex::encode).unwrap_or_default();
    eprintln!("authored {authored} blocks; best 0x{best}; finalized 0x{finalized}");
    Ok(ExitCode::SUCCESS)
}

/// Joins the network: listens, keeps connections to κ's addressed validators and the
/// bootnodes, and imports their blocks through the node's import path (the database hook).
fn start_network(
    args: &Args,
    node: &Node,
    validators: &[marmalade_types::ValidatorData],
    our_index: Option<usize>,
    genesis_hash: marmalade_types::HeaderHash,
    db: &Arc<ChainDb>,
) -> anyhow::Result<NetService> {
    let seed = first_seed(args)?;
    let key = NodeKey::from_validator_seed(seed.expose());
    let listen = match args.listen {
        Some(a) => a,
        None => {
            let port = our_index
                .and_then(|i| validators.get(i))
                .map(|v| metadata_address(&v.metadata).port())
                .filter(|&p| p != 0)
                .or_else(|| {
                    let i = u16::try_from(our_index.unwrap_or(0)).ok()?;
                    40000u16.checked_add(i)
                })
                .unwrap_or(40000);
            SocketAddr::from(([0, 0, 0, 0], port))
        }
    };
    let source_db = Arc::clone(db);
    let source: BlockSource = Arc::new(move |h| source_db.block(h).ok().flatten());
    let config = |listen| NetConfig {
        key: key.clone(),
        genesis_header_hash: genesis_hash,
        listen,
        backoff: Default::default(),
    };
    let chain = Arc::new(node.importer());
    let service = match NetService::start(config(listen), chain.clone(), Some(source.clone())) {
        Ok(s) => s,
        // The default port may be taken (another node of the same validator set on this
        // machine): any free port then, since peers find this node by its connections.
        Err(e) if args.listen.is_none() => {
            tracing::warn!(target: "marmalade_node", %listen, error = %e, "default network port unavailable; using any free port");
            let any = SocketAddr::new(listen.ip(), 0);
            NetService::start(config(any), chain, Some(source))
                .with_context(|| format!("listening on {any}"))?
        }
        Err(e) => return Err(e).with_context(|| format!("listening on {listen}")),
    };
    let mut peers = 0;
    for (i, v) in validators.iter().enumerate() {
        let addr = metadata_address(&v.metadata);
        if Some(i) != our_index && addr.port() != 0 && !addr.ip().is_unspecified() {
            service.net().keep_connected(v.ed25519, addr);
            peers += 1;
        }
    }
    for b in &args.bootnode {
        service
            .net()
            .keep_connected_to_bootnode(b.ed25519, b.address);
        peers += 1;
    }
    tracing::info!(
        target: "marmalade_node",
        addr = %service.net().network().local_addr()?,
        name = %node_name(&key.public()),
        peers,
        "network listening"
    );
    Ok(service)
}

/// The seed of the first key the flags name (the node's network identity).
fn first_seed(args: &Args) -> anyhow::Result<ValidatorSeed> {
    if let Some(&i) = args.dev_validator.first() {
        return Ok(ValidatorSeed::trivial(i));
    }
    if args.dev_validators.is_some() {
        return Ok(ValidatorSeed::trivial(0));
    }
    match args.key.first() {
        Some(path) => Ok(ValidatorSeed::new(
            *KeyFile::load(path)
                .with_context(|| format!("key file {}", path.display()))?
                .seed()
                .expose(),
        )),
        None => bail!("no validator keys"),
    }
}

/// The keys the flags name, in order: dev validators, the whole dev set, key files.
fn keys(args: &Args, params: &ChainSpec) -> anyhow::Result<Vec<ValidatorKeys>> {
    let mut keys: Vec<ValidatorKeys> = args.dev_validator.iter().map(|&i| dev_keys(i)).collect();
    match args.dev_validators.as_deref() {
        None => {}
        Some("all") => keys.extend(dev_key_set(params.validators)),
        Some(other) => bail!("--dev-validators {other:?}: only `all` is known"),
    }
    for path in &args.key {
        let file = KeyFile::load(path).with_context(|| format!("key file {}", path.display()))?;
        keys.push(file.keys());
    }
    if keys.is_empty() {
        bail!("no validator keys: give --dev-validator N, --dev-validators all or --key FILE");
    }
    Ok(keys)
}
