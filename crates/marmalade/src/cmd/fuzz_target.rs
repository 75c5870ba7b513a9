//! `marmalade fuzz-target`: serves the conformance fuzz protocol v1 on a Unix socket, one
//! session after another, forever.
//!
//! Each session gets a fresh [`FuzzTarget`] (a [`Chain`] over a pruned in-memory store),
//! dropped when the session ends, so memory does not grow from one session to the next. A
//! rejected block is answered with an `Error` carrying the rejection's text; anything else
//! that goes wrong ends the session (the protocol's rule for out-of-protocol errors), and a
//! panic inside the target drops the session without taking the server down
//! ([`marmalade_fuzz::Server::run`]).

use anyhow::Context;
use marmalade_accumulation::CodeCache;
use marmalade_chain::{Chain, Upsilon};
use marmalade_fuzz::{
    socket_from_env, spec_from_env, Ancestry, Features, KeyValue, KeyValues, PeerInfo, Server,
    Target, DEFAULT_SOCKET_PATH, FEATURE_ANCESTRY,
};
use marmalade_store::{MemoryStore, PruneConfig};
use marmalade_types::{Block, ChainSpec, Header, HeaderHash, StateRoot, TimeSlot};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `marmalade fuzz-target`.
#[derive(clap::Args)]
pub struct Args {
    /// The Unix socket to listen on [default: $JAM_FUZZ_SOCK_PATH, else /tmp/jam_target.sock].
    #[arg(long)]
    socket: Option<PathBuf>,
    /// The chain spec, `tiny` or `full` [default: $JAM_FUZZ_SPEC, else tiny].
    #[arg(long)]
    spec: Option<String>,
}

/// Binds the socket and serves sessions; returns only if the socket cannot be bound.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spec = match args.spec {
        Some(name) => ChainSpec::from_name(&name)?,
        None => spec_from_env()?,
    };
    let socket = args
        .socket
        .unwrap_or_else(|| socket_from_env(DEFAULT_SOCKET_PATH));
    // The one-time ring set-up (SRS, ring parameters) happens now, not in the first import.
    marmalade_crypto::bandersnatch::prepare_ring(spec.validators)?;
    let server =
        Server::bind(&socket, spec).with_context(|| format!("binding {}", socket.display()))?;
    eprintln!(
        "marmalade fuzz-target: spec {}, listening on {}",
        spec.name,
        socket.display()
    );
    // Decoded service code outlives a session: the next session's first blocks find it.
    let code = Arc::new(CodeCache::new());
    server.run(|| FuzzTarget::with_code_cache(spec, Arc::clone(&code)))
}

/// The ancestry length passed to block import: the lookup-anchor age $\mathsf{L}$ of GP
/// (11.35), the chain spec's (24 for tiny, the fuzz protocol's `A`).
fn ancestry_len(spec: &ChainSpec) -> usize {
    spec.max_lookup_anchor_age as usize
}

/// One session's target: block import over a pruned in-memory store.
pub struct FuzzTarget {
    importer: Chain,
    features: Features,
}

impl FuzzTarget {
    /// A target for `spec` with no state, keeping decoded service code in `code`.
    pub fn with_code_cache(spec: ChainSpec, code: Arc<CodeCache>) -> FuzzTarget {
        let n = ancestry_len(&spec);
        FuzzTarget {
            importer: Chain::with_parts(
                spec,
                MemoryStore::new(PruneConfig::with_ancestry(n)),
                Upsilon::with_cache(code),
                n,
            ),
            features: 0,
        }
    }
}

impl Target for FuzzTarget {
    fn on_handshake(&mut self, _fuzzer: &PeerInfo, features: Features) {
        self.features = features;
    }

    fn initialize(
        &mut self,
        header: Header,
        state: KeyValues,
        ancestry: Ancestry,
    ) -> Result<StateRoot, String> {
        let key_values = state.into_iter().map(|kv| (kv.key, kv.value)).collect();
        let items: Vec<(TimeSlot, HeaderHash)> =
            ancestry.iter().map(|a| (a.slot, a.header_hash)).collect();
        // Without the ancestry feature the lookup-anchor check is skipped (protocol README).
        let ancestry = (self.features & FEATURE_ANCESTRY != 0).then_some(items.as_slice());
        let root = self
            .importer
            .initialize(&header, key_values, ancestry)
            .map_err(|e| e.to_string())?;
        tracing::info!(slot = header.slot, ancestors = items.len(), "initialized");
        Ok(root)
    }

    fn import_block(&mut self, block: Block) -> Result<StateRoot, String> {
        self.importer.import(&block).map_err(|e| {
            tracing::info!(slot = block.header.slot, error = %e, "block rejected");
            e.to_string()
        })
    }

    fn get_state(&mut self, header_hash: HeaderHash) -> Result<KeyValues, String> {
        let kvs = self
            .importer
            .get_state(&header_hash)
            .map_err(|e| e.to_string())?;
        Ok(kvs
            .into_iter()
            .map(|(key, value)| KeyValue { key, value })
            .collect())
    }

    fn reset(&mut self) {
        if let Err(e) = self.importer.reset() {
            tracing::warn!(error = %e, "resetting the store failed");
        }
        self.features = 0;
    }
}
