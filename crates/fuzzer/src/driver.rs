//! A fuzzing session: the generator's blocks (some mutated) sent to every target, each
//! answer compared with the oracle's after every step, a reproducer written on the first
//! mismatch.
//!
//! A step is one `ImportBlock`. Each planned block may be preceded by a valid sibling (a fork
//! of depth one) and, with probability [`Config::mutate_share`], by a mutation of it that
//! must be rejected; the original follows and is the parent of the next block, as protocol
//! v1's fork feature prescribes. The expected answer is always the oracle's own import, so
//! the comparison is differential: a mutation our chain accepted would be expected to be
//! accepted elsewhere too (the tests check that none is).
//!
//! A session is a function of its seed: resuming at step `k` ([`Config::start_step`])
//! replays steps `0..k` in the oracle only, then initializes the targets with the state of
//! the tip reached.

use crate::client::{ClientError, ImportAnswer, TargetClient};
use crate::generator::{Generator, GeneratorConfig, GeneratorError};
use crate::mutate::{mutate, Context, MutationKind};
use marmalade_codec::Encode;
use marmalade_conformance::trace::{KeyValue as TraceKeyValue, RawState, TraceStep};
use marmalade_fuzz::{AncestryItem, KeyValue, KeyValues, PeerInfo, MAX_ANCESTRY_TINY};
use marmalade_state::{diff_key_values, StateKey};
use marmalade_types::{Block, Header, HeaderHash, StateRoot, TicketsMark, TimeSlot};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A session's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The seed everything is drawn from.
    pub seed: u64,
    /// The step to stop before (steps are `ImportBlock` messages, counted from 0).
    pub steps: u64,
    /// The first step sent to the targets; earlier ones run in the oracle only.
    pub start_step: u64,
    /// The probability that a planned block is preceded by a mutation of it.
    pub mutate_share: f64,
    /// Where reproducers go (`None`: not written).
    pub out_dir: Option<PathBuf>,
    /// How blocks are generated.
    pub generator: GeneratorConfig,
    /// How long a target may take to answer.
    pub timeout: Duration,
    /// Mutation kinds never applied (e.g. one a target answers by closing the connection).
    pub skip_mutations: Vec<MutationKind>,
    /// `Initialize` the targets again at the tip after this many steps sent, as a fuzzer
    /// does between sessions (`None`: once, at the start). The oracle's chain goes on; a
    /// target whose per-block cost grows with what it has imported starts afresh.
    pub reinitialize_every: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            steps: 100,
            start_step: 0,
            mutate_share: 0.1,
            out_dir: None,
            generator: GeneratorConfig::default(),
            timeout: Duration::from_secs(60),
            skip_mutations: Vec::new(),
            reinitialize_every: None,
        }
    }
}

/// Why a session stopped other than by finishing or by a mismatch.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The generator failed.
    #[error("generator: {0}")]
    Generator(#[from] GeneratorError),
    /// The oracle's chain failed outside an import (fetching a state).
    #[error("oracle: {0}")]
    Oracle(#[from] marmalade_chain::ChainError),
    /// The oracle rejected one of the generator's valid blocks (a bug in generation or in
    /// our block import).
    #[error("step {step}: the oracle rejected a generated block: {error}")]
    OwnBlockRejected {
        /// The step.
        step: u64,
        /// The oracle's error.
        error: String,
    },
    /// Target `target` failed at the protocol level.
    #[error("target {target}: {error}")]
    Target {
        /// The index among the `--target`s.
        target: usize,
        /// The failure.
        error: ClientError,
    },
    /// Target `target` answered `Initialize` with another root than the oracle's.
    #[error("target {target}: initial state root 0x{}, expected 0x{}", hex::encode(.got), hex::encode(.expected))]
    InitializeRoot {
        /// The index among the `--target`s.
        target: usize,
        /// The oracle's root.
        expected: StateRoot,
        /// The target's.
        got: StateRoot,
    },
    /// Writing a reproducer failed.
    #[error("writing the reproducer: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a session is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Steps done (including skipped ones when resuming).
    pub step: u64,
    /// Steps to do.
    pub steps: u64,
    /// Steps sent to the targets so far.
    pub sent: u64,
    /// Time since the targets were initialized.
    pub elapsed: Duration,
}

/// A target's answer that differs from the oracle's.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The step.
    pub step: u64,
    /// The index of the target among the `--target`s.
    pub target: usize,
    /// The mutation the block carries, if any.
    pub mutation: Option<MutationKind>,
    /// The oracle's answer: the root, or why the block is invalid.
    pub expected: Result<StateRoot, String>,
    /// The target's answer.
    pub got: ImportAnswer,
    /// The differing key/values (oracle's posterior vs target's), described by GP component
    /// or service item.
    pub diff: Vec<String>,
    /// The reproducer's folder, if written.
    pub reproducer: Option<PathBuf>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let expected = match &self.expected {
            Ok(r) => format!("state root 0x{}", hex::encode(r)),
            Err(e) => format!("rejection ({e})"),
        };
        let got = match &self.got {
            ImportAnswer::Root(r) => format!("state root 0x{}", hex::encode(r)),
            ImportAnswer::Error(e) => format!("rejection ({e})"),
        };
        write!(
            f,
            "step {} target {}{}: expected {expected}, got {got}",
            self.step,
            self.target,
            self.mutation
                .map(|m| format!(" (mutation {m})"))
                .unwrap_or_default()
        )?;
        for d in &self.diff {
            write!(f, "\n  {d}")?;
        }
        if let Some(p) = &self.reproducer {
            write!(f, "\n  reproducer: {}", p.display())?;
        }
        Ok(())
    }
}

/// What a session did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Steps sent to the targets.
    pub sent: u64,
    /// Valid blocks sent (imported by the oracle).
    pub valid: u64,
    /// Invalid blocks sent (rejected by the oracle).
    pub invalid: u64,
    /// Valid siblings sent (forks).
    pub forks: u64,
    /// Mutations sent, by kind.
    pub mutations: BTreeMap<MutationKind, u64>,
    /// `Initialize` messages sent to each target after the first
    /// ([`Config::reinitialize_every`]).
    pub reinitializations: u64,
    /// The first mismatch, which ended the session.
    pub mismatch: Option<Mismatch>,
    /// Time from the targets' initialization to the end.
    pub elapsed: Duration,
}

/// A session over a generator and connected targets.
pub struct Fuzzer {
    config: Config,
    generator: Generator,
    /// The main chain's last blocks (slot, hash), for `Initialize`'s ancestry.
    recent: VecDeque<(TimeSlot, HeaderHash)>,
    tickets_mark: Option<TicketsMark>,
    /// The tip's header (`None` at the genesis).
    last_header: Option<Header>,
}

impl std::fmt::Debug for Fuzzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fuzzer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One block to send and what it is.
struct Outgoing {
    block: Block,
    mutation: Option<MutationKind>,
    main: bool,
}

impl Fuzzer {
    /// A session on the dev chain.
    pub fn dev(config: Config) -> Result<Fuzzer, DriverError> {
        Fuzzer::for_spec(&marmalade_types::ChainSpec::TINY, config)
    }

    /// A session on `spec`'s development chain ([`Generator::for_spec`]).
    pub fn for_spec(
        spec: &marmalade_types::ChainSpec,
        config: Config,
    ) -> Result<Fuzzer, DriverError> {
        let generator = Generator::for_spec(spec, config.seed, config.generator)?;
        Ok(Fuzzer::with_generator(config, generator))
    }

    /// A session over `generator` (seeded already).
    pub fn with_generator(config: Config, generator: Generator) -> Fuzzer {
        Fuzzer {
            config,
            generator,
            recent: VecDeque::new(),
            tickets_mark: None,
            last_header: None,
        }
    }

    /// The generator (and through it the oracle's chain).
    pub fn generator(&mut self) -> &mut Generator {
        &mut self.generator
    }

    /// Connects to every socket in `targets` with our handshake.
    pub fn connect(&self, targets: &[PathBuf]) -> Result<Vec<TargetClient>, DriverError> {
        targets
            .iter()
            .enumerate()
            .map(|(i, p)| {
                TargetClient::connect(
                    p,
                    *self.generator.spec(),
                    &fuzzer_peer_info(),
                    self.config.timeout,
                )
                .map_err(|error| DriverError::Target { target: i, error })
            })
            .collect()
    }

    /// Runs the session against `targets` (connected, handshake done), calling `progress`
    /// after every step.
    pub fn run(
        &mut self,
        targets: &mut [TargetClient],
        mut progress: impl FnMut(&Progress),
    ) -> Result<Report, DriverError> {
        let mut report = Report::default();
        let mut started: Option<Instant> = None;
        let mut step = 0u64;
        let mut sent_at_init = 0u64;
        while step < self.config.steps {
            let due = self
                .config
                .reinitialize_every
                .is_some_and(|n| report.sent - sent_at_init >= n.max(1));
            if started.is_some() && due {
                self.initialize(targets)?;
                sent_at_init = report.sent;
                report.reinitializations += 1;
            }
            let planned = self.generator.plan()?;
            let parent = self.generator.tip();
            let mut outgoing = Vec::new();
            if let Some(sibling) = planned.sibling {
                outgoing.push(Outgoing {
                    block: sibling,
                    mutation: None,
                    main: false,
                });
            }
            if self.generator.rng().chance(self.config.mutate_share) {
                if let Some((kind, block)) = self.mutation_of(&planned.block, &parent)? {
                    outgoing.push(Outgoing {
                        block,
                        mutation: Some(kind),
                        main: false,
                    });
                }
            }
            outgoing.push(Outgoing {
                block: planned.block,
                mutation: None,
                main: true,
            });
            for out in outgoing {
                if step >= self.config.steps {
                    break;
                }
                let sending = step >= self.config.start_step;
                if sending && started.is_none() {
                    self.initialize(targets)?;
                    started = Some(Instant::now());
                }
                if sending {
                    // Every target imports while the oracle does.
                    for (i, t) in targets.iter_mut().enumerate() {
                        t.send_import(&out.block)
                            .map_err(|error| DriverError::Target { target: i, error })?;
                    }
                }
                let expected = self.generator.import(&out.block).map_err(|e| e.to_string());
                if out.mutation.is_none() {
                    if let Err(error) = &expected {
                        return Err(DriverError::OwnBlockRejected {
                            step,
                            error: error.clone(),
                        });
                    }
                }
                if sending {
                    for (i, t) in targets.iter_mut().enumerate() {
                        let got = t
                            .recv_import()
                            .map_err(|error| DriverError::Target { target: i, error })?;
                        let agree = match (&expected, &got) {
                            (Ok(e), ImportAnswer::Root(g)) => e == g,
                            (Err(_), ImportAnswer::Error(_)) => true,
                            _ => false,
                        };
                        if !agree {
                            // Every block of a step is sent on the tip (a wrong parent
                            // hash is a mutation), so the tip's state is the pre-state.
                            let tip = self.generator.tip();
                            let pre = self.generator.chain_mut().get_state(&tip)?;
                            let m = self.mismatch(step, i, t, &out, pre, expected.clone(), got)?;
                            report.mismatch = Some(m);
                            report.elapsed = started.map(|s| s.elapsed()).unwrap_or_default();
                            return Ok(report);
                        }
                    }
                    report.sent += 1;
                    if expected.is_ok() {
                        report.valid += 1;
                    } else {
                        report.invalid += 1;
                    }
                    if let Some(k) = out.mutation {
                        *report.mutations.entry(k).or_default() += 1;
                    } else if !out.main {
                        report.forks += 1;
                    }
                }
                if out.main {
                    let hash = out.block.header.hash();
                    if out.block.header.tickets_mark.is_some() {
                        self.tickets_mark = out.block.header.tickets_mark.clone();
                    }
                    self.recent.push_back((out.block.header.slot, hash));
                    while self.recent.len() > MAX_ANCESTRY_TINY {
                        self.recent.pop_front();
                    }
                    self.last_header = Some(out.block.header.clone());
                    self.generator.advance(hash);
                }
                step += 1;
                progress(&Progress {
                    step,
                    steps: self.config.steps,
                    sent: report.sent,
                    elapsed: started.map(|s| s.elapsed()).unwrap_or_default(),
                });
            }
        }
        report.elapsed = started.map(|s| s.elapsed()).unwrap_or_default();
        Ok(report)
    }

    /// `Initialize` every target with the tip (the genesis, or where a resumed session
    /// starts) and check its root against the oracle's.
    fn initialize(&mut self, targets: &mut [TargetClient]) -> Result<(), DriverError> {
        let tip = self.generator.tip();
        let header = self
            .last_header
            .clone()
            .unwrap_or_else(|| self.generator.genesis_header().clone());
        let kvs = self.generator.chain_mut().get_state(&tip)?;
        let expected = self
            .generator
            .chain()
            .state_root(&tip)?
            .ok_or(GeneratorError::NoState(tip))?;
        let state: KeyValues = kvs
            .into_iter()
            .map(|(key, value)| KeyValue { key, value })
            .collect();
        let ancestry: Vec<AncestryItem> = self
            .recent
            .iter()
            .map(|&(slot, header_hash)| AncestryItem { slot, header_hash })
            .collect();
        for (i, t) in targets.iter_mut().enumerate() {
            let root = t
                .initialize(header.clone(), state.clone(), ancestry.clone())
                .map_err(|error| DriverError::Target { target: i, error })?;
            if root != expected {
                return Err(DriverError::InitializeRoot {
                    target: i,
                    expected,
                    got: root,
                });
            }
        }
        Ok(())
    }

    /// A mutation of `block` (on `parent`) of a kind drawn at random among those that apply.
    fn mutation_of(
        &mut self,
        block: &Block,
        parent: &HeaderHash,
    ) -> Result<Option<(MutationKind, Block)>, DriverError> {
        let parent_slot = self
            .generator
            .chain()
            .state(parent)?
            .ok_or(GeneratorError::NoState(*parent))?
            .components
            .tau;
        let ctx = Context {
            parent_slot,
            other_block: self.recent.iter().rev().map(|r| r.1).find(|h| h != parent),
            tickets_mark: self.tickets_mark.clone(),
        };
        let spec = *self.generator.spec();
        let mut kinds = MutationKind::all();
        kinds.retain(|k| !self.config.skip_mutations.contains(k));
        if kinds.is_empty() {
            return Ok(None);
        }
        let n = kinds.len();
        let first = self.generator.rng().index(n);
        for i in 0..n {
            let kind = kinds[(first + i) % n];
            let mutated = match kind {
                MutationKind::Work(m) => self
                    .generator
                    .with_extrinsic(block, |e, c, r| m.apply(e, c, r))?,
                MutationKind::Preimage(m) => self
                    .generator
                    .with_extrinsic(block, |e, c, r| m.apply(e, c, r))?,
                MutationKind::Dispute(m) => self
                    .generator
                    .with_extrinsic(block, |e, c, r| m.apply(e, c, r))?,
                _ => mutate(kind, block, &spec, &ctx, self.generator.rng()),
            };
            if let Some(b) = mutated {
                return Ok(Some((kind, b)));
            }
        }
        Ok(None)
    }

    /// The mismatch at `step` with target `i`: both posterior states fetched and compared,
    /// the reproducer written.
    #[allow(clippy::too_many_arguments)]
    fn mismatch(
        &mut self,
        step: u64,
        i: usize,
        target: &mut TargetClient,
        out: &Outgoing,
        pre: Vec<(StateKey, Vec<u8>)>,
        expected: Result<StateRoot, String>,
        got: ImportAnswer,
    ) -> Result<Mismatch, DriverError> {
        let hash = out.block.header.hash();
        let parent = out.block.header.parent;
        let oracle_post = match &expected {
            Ok(_) => self.generator.chain_mut().get_state(&hash)?,
            Err(_) => pre.clone(),
        };
        let target_post: Result<Vec<(StateKey, Vec<u8>)>, String> = match &got {
            ImportAnswer::Root(_) => target.get_state(hash),
            ImportAnswer::Error(_) => target.get_state(parent),
        }
        .map(|kvs| kvs.into_iter().map(|kv| (kv.key, kv.value)).collect())
        .map_err(|e| e.to_string());
        let diff = match &target_post {
            Ok(t) => diff_key_values(
                oracle_post.iter().map(|(k, v)| (k, v.as_slice())),
                t.iter().map(|(k, v)| (k, v.as_slice())),
            )
            .iter()
            .map(ToString::to_string)
            .collect(),
            Err(e) => vec![format!("the target's state could not be fetched: {e}")],
        };
        let mut m = Mismatch {
            step,
            target: i,
            mutation: out.mutation,
            expected,
            got,
            diff,
            reproducer: None,
        };
        if let Some(dir) = &self.config.out_dir {
            let dir = dir
                .join("traces")
                .join(format!("seed-{}-step-{step}", self.config.seed));
            write_reproducer(&dir, &m, &out.block, &pre, &oracle_post, target_post.ok())?;
            m.reproducer = Some(dir);
        }
        Ok(m)
    }
}

/// The fuzzer's handshake: protocol v1 with the ancestry and fork features.
pub fn fuzzer_peer_info() -> PeerInfo {
    PeerInfo {
        app_name: "marmalade-fuzzer".to_owned(),
        ..PeerInfo::marmalade()
    }
}

/// A raw state (trace format) of `kvs`, with its root computed over them (GP (D.6)).
fn raw_state(kvs: &[(StateKey, Vec<u8>)]) -> RawState {
    let mut raw = RawState {
        state_root: [0; 32],
        keyvals: kvs
            .iter()
            .map(|(key, value)| TraceKeyValue {
                key: *key,
                value: value.clone(),
            })
            .collect(),
    };
    raw.state_root = raw.computed_root();
    raw
}

/// Writes the reproducer into `dir`: `00000001.bin`/`.json` (a trace step: the pre-state,
/// the block and the oracle's posterior state, which `marmalade conformance` runs),
/// `target-post.bin`/`.json` (the target's posterior state, when it could be fetched),
/// `mismatch.txt` (the seed, step and difference).
fn write_reproducer(
    dir: &Path,
    m: &Mismatch,
    block: &Block,
    pre: &[(StateKey, Vec<u8>)],
    oracle_post: &[(StateKey, Vec<u8>)],
    target_post: Option<Vec<(StateKey, Vec<u8>)>>,
) -> Result<(), DriverError> {
    std::fs::create_dir_all(dir)?;
    let step = TraceStep {
        pre_state: raw_state(pre),
        block: block.clone(),
        post_state: raw_state(oracle_post),
    };
    std::fs::write(dir.join("00000001.bin"), step.encode())?;
    std::fs::write(
        dir.join("00000001.json"),
        serde_json::to_vec_pretty(&step).map_err(std::io::Error::other)?,
    )?;
    if let Some(t) = target_post {
        let t = raw_state(&t);
        std::fs::write(dir.join("target-post.bin"), t.encode())?;
        std::fs::write(
            dir.join("target-post.json"),
            serde_json::to_vec_pretty(&t).map_err(std::io::Error::other)?,
        )?;
    }
    std::fs::write(dir.join("mismatch.txt"), format!("{m}\n"))?;
    Ok(())
}
