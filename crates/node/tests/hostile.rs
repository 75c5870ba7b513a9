//! Hostile peers at a node's QUIC endpoint while it imports (issue 15: "a test drives hostile
//! input at a node's QUIC endpoint (random bytes on streams, oversized frames, unknown kinds)
//! and the node keeps importing").
//!
//! Node A authors every slot of the `dev` chain (it holds all six dev validators' keys) on a
//! clock of short slots; node B authors nothing and imports A's blocks over JAMNP-S (UP 0
//! announcements, CE 128 requests). For a bounded window, raw QUIC clients attack B's endpoint:
//! - two misbehaving peers (one of a fresh Ed25519 key, made again after each ban; one of a
//!   dev validator's key that A does not use as its network identity) send random bytes on UP 0
//!   and CE 128, frames announcing 4 GiB on UP 0, CE 128 and an unknown kind, streams of
//!   unknown kinds, truncated frames, and a well-formed CE 128 request for `u32::MAX` blocks;
//! - a flooder opens streams up to B's per-connection limit and one more;
//! - a liar sends a well-formed UP 0 handshake naming a block that does not exist, never
//!   answers B's request for it, and leaves a stream open without its kind byte.
//!
//! B must import each of A's blocks within a few slots ([`MAX_LAG`]) during and after the
//! attack and end at A's best block, A and B must stay connected, nothing may panic (a
//! panic in one of the nodes' tasks would not end the process: a hook counts them), and the
//! attackers must see what the node did with their streams: resets with the codes of
//! `marmalade_network::code`, bans, and stream credit that runs out. The attackers draw their
//! bytes and keys from a seeded generator ([`SEED`]), so a failure reproduces.

mod support {
    pub mod clock;
}

use marmalade_authoring::trivial_seed;
use marmalade_jamnp::{BlockRequest, BlockResponse, Direction, Handshake, HashSlot, Message};
use marmalade_network::{alpn, close_code, code, Backoff, NodeKey};
use marmalade_node::net::{BlockNet, ChainView, NetConfig, CE_BLOCK_REQUEST, MAX_REQUEST_BLOCKS};
use marmalade_node::{dev_keys, Genesis, Node};
use marmalade_types::{ChainSpec, HeaderHash, TimeSlot};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::clock::ShortSlots;

const TINY: ChainSpec = ChainSpec::TINY;
/// The attackers' generator seed.
const SEED: u64 = 0x4a41_4d5f_6e6f_6465;
const SLOT_MS: u64 = 600;
/// The last slot A authors: the tiny chain's first epoch ends at slot 11, and A's tickets for
/// the next epoch (six keys' ring proofs) would pause its authoring for seconds.
const LAST_SLOT: TimeSlot = 11;
/// The attack runs from this slot...
const ATTACK_FROM: TimeSlot = 2;
/// ...until this one.
const ATTACK_UNTIL: TimeSlot = 9;
/// UP 0: block announcement.
const UP0: u8 = 0;
const CE128: u8 = CE_BLOCK_REQUEST;
/// The streams a peer may have open to a node at once (`Limits::default()`, which the node
/// keeps).
const MAX_INCOMING_STREAMS: usize = 128;
/// The longest B may take to import a block once A has it: a few slots (a fetch held up by
/// a peer that does not answer waits out the 30 s stream timeout).
const MAX_LAG: Duration = Duration::from_millis(3 * SLOT_MS);

/// Panics anywhere in the process, the nodes' Tokio tasks included (Tokio catches those).
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// SplitMix64: a small seeded generator, so that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn array(&mut self) -> [u8; 32] {
        let mut a = [0u8; 32];
        a.copy_from_slice(&self.bytes(32));
        a
    }
}

/// The raw attackers check nothing of the node's certificate.
#[derive(Debug)]
struct AcceptAny;

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// A raw QUIC client with `key`'s proper certificate and the chain's ALPN identifier: it
/// passes the node's checks, then breaks the protocol.
fn raw_client(key: &NodeKey, genesis: &HeaderHash) -> quinn::Endpoint {
    let (cert, private) = key.certificate().expect("certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny))
        .with_client_auth_cert(vec![cert], private)
        .expect("client certificate");
    tls.alpn_protocols = vec![alpn(genesis, false)];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).expect("QUIC TLS");
    let mut ep = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    ep.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
    ep
}

/// What became of an attacker's stream, as the attacker sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The node reset its half with this code.
    Reset(u64),
    /// The node finished its half after these octets.
    Finished(Vec<u8>),
    /// The connection closed (the node banned the attacker, say).
    Lost,
    /// Nothing within the wait.
    Pending,
}

async fn outcome(recv: &mut quinn::RecvStream, wait: Duration) -> Outcome {
    match tokio::time::timeout(wait, recv.read_to_end(16 << 20)).await {
        Err(_) => Outcome::Pending,
        Ok(Ok(bytes)) => Outcome::Finished(bytes),
        Ok(Err(quinn::ReadToEndError::Read(quinn::ReadError::Reset(c)))) => {
            Outcome::Reset(c.into_inner())
        }
        Ok(Err(_)) => Outcome::Lost,
    }
}

/// The close code of a connection the node closed, if it did.
fn closed_by_node(conn: &quinn::Connection) -> Option<u64> {
    match conn.close_reason()? {
        quinn::ConnectionError::ApplicationClosed(c) => Some(c.error_code.into_inner()),
        _ => None,
    }
}

/// One hostile stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Attack {
    /// The kind byte, then random octets, then FIN.
    RandomBytes(u8),
    /// The kind byte and a frame announcing 4 GiB − 1 octets, then some content.
    Huge(u8),
    /// An unknown kind byte, then random octets.
    UnknownKind(u8),
    /// A frame cut short: its length says more than the stream carries before FIN.
    TruncatedBody(u8),
    /// The stream ends inside the 4-octet length.
    TruncatedLength(u8),
    /// A well-formed CE 128 request for `u32::MAX` blocks from the genesis block.
    AbsurdMaxBlocks,
}

const ATTACKS: [Attack; 13] = [
    Attack::RandomBytes(UP0),
    Attack::RandomBytes(CE128),
    Attack::Huge(UP0),
    Attack::Huge(CE128),
    Attack::Huge(200),
    Attack::UnknownKind(200),
    Attack::UnknownKind(255),
    Attack::UnknownKind(1),
    Attack::UnknownKind(199),
    Attack::TruncatedBody(UP0),
    Attack::TruncatedBody(CE128),
    Attack::TruncatedLength(CE128),
    Attack::AbsurdMaxBlocks,
];

impl Attack {
    /// The stream reset codes the node may answer with (besides closing the connection
    /// once the attacker's score reaches the ban).
    fn expected(self) -> &'static [u32] {
        match self {
            // A random length is almost surely over the limit; if not, the stream ends
            // inside the frame, or its content does not decode.
            Attack::RandomBytes(_) => &[code::OVERSIZED, code::MALFORMED],
            Attack::Huge(200) | Attack::UnknownKind(_) => &[code::UNKNOWN_KIND],
            Attack::Huge(_) => &[code::OVERSIZED],
            Attack::TruncatedBody(_) | Attack::TruncatedLength(_) => &[code::MALFORMED],
            Attack::AbsurdMaxBlocks => &[],
        }
    }

    async fn run(
        self,
        conn: &quinn::Connection,
        rng: &mut Rng,
        genesis: HeaderHash,
    ) -> Result<Outcome, quinn::ConnectionError> {
        let (mut send, mut recv) = conn.open_bi().await?;
        let mut out = Vec::new();
        let mut fin = true;
        match self {
            Attack::RandomBytes(kind) | Attack::UnknownKind(kind) => {
                out.push(kind);
                let n = 1 + rng.below(3000) as usize;
                out.extend(rng.bytes(n));
            }
            Attack::Huge(kind) => {
                out.push(kind);
                out.extend(u32::MAX.to_le_bytes());
                out.extend(rng.bytes(1000));
                // No FIN: the node must not wait for the 4 GiB.
                fin = false;
            }
            Attack::TruncatedBody(kind) => {
                out.push(kind);
                // Within the limits of both kinds (a CE 128 request is 37 octets).
                out.extend(30u32.to_le_bytes());
                out.extend(rng.bytes(20));
            }
            Attack::TruncatedLength(kind) => out.extend([kind, 40, 0]),
            Attack::AbsurdMaxBlocks => {
                let request = BlockRequest {
                    hash: genesis,
                    direction: Direction::AscendingExclusive,
                    max_blocks: u32::MAX,
                }
                .to_bytes();
                out.push(CE128);
                out.extend(u32::try_from(request.len()).expect("small").to_le_bytes());
                out.extend(request);
            }
        }
        // The node may reset or stop the stream while we write: that is its answer.
        let _ = send.write_all(&out).await;
        if fin {
            let _ = send.finish();
        }
        let o = outcome(&mut recv, Duration::from_secs(4)).await;
        let _ = send.reset(0u32.into());
        Ok(o)
    }
}

/// What the attackers saw.
#[derive(Debug, Default)]
struct Seen {
    /// Per attack, the outcomes and how often.
    outcomes: BTreeMap<(Attack, Outcome), u32>,
    /// Close codes of the attackers' connections that the node closed, and how often.
    closes: BTreeMap<u64, u32>,
    /// Connections the attackers made.
    connections: u32,
    /// The keys of the misbehaving attackers.
    keys: Vec<NodeKey>,
    /// The blocks counts of CE 128 responses to `u32::MAX`-block requests.
    response_blocks: Vec<usize>,
}

/// Runs the attacks again and again on connections of `key` (or of fresh keys, when
/// `fresh_keys`) until `until`.
async fn misbehave(
    target: SocketAddr,
    genesis: HeaderHash,
    mut key: NodeKey,
    fresh_keys: bool,
    mut rng: Rng,
    until: tokio::time::Instant,
    seen: Arc<Mutex<Seen>>,
) {
    let spec = TINY;
    while tokio::time::Instant::now() < until {
        let ep = raw_client(&key, &genesis);
        seen.lock().unwrap().keys.push(key.clone());
        let conn = match ep.connect(target, "node").expect("connect").await {
            Ok(c) => c,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        seen.lock().unwrap().connections += 1;
        'conn: while tokio::time::Instant::now() < until {
            // A shuffled round of every attack.
            let mut round = ATTACKS.to_vec();
            for i in (1..round.len()).rev() {
                round.swap(i, rng.below(i as u64 + 1) as usize);
            }
            for attack in round {
                let Ok(o) = attack.run(&conn, &mut rng, genesis).await else {
                    break 'conn;
                };
                {
                    let mut s = seen.lock().unwrap();
                    if let (Attack::AbsurdMaxBlocks, Outcome::Finished(bytes)) = (attack, &o) {
                        // One framed message: the response, of at most the node's own cap.
                        let n = bytes
                            .get(..4)
                            .map(|l| u32::from_le_bytes(l.try_into().expect("4")) as usize);
                        assert_eq!(n, Some(bytes.len() - 4), "one framed response");
                        let blocks = BlockResponse::from_bytes_at_most(
                            &bytes[4..],
                            &spec,
                            MAX_REQUEST_BLOCKS,
                        )
                        .expect("a response of at most MAX_REQUEST_BLOCKS blocks")
                        .blocks;
                        s.response_blocks.push(blocks.len());
                    }
                    *s.outcomes.entry((attack, o)).or_default() += 1;
                }
                if conn.close_reason().is_some() {
                    break 'conn;
                }
                // Paced a little, so that the attack does not starve A's authoring of the
                // test machine's cores (it is B's endpoint under test, not the machine).
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        // Wait for the node's close, if it is closing (a ban), to see its code.
        let _ = tokio::time::timeout(Duration::from_millis(500), conn.closed()).await;
        if let Some(c) = closed_by_node(&conn) {
            *seen.lock().unwrap().closes.entry(c).or_default() += 1;
        }
        conn.close(0u32.into(), b"done");
        if fresh_keys {
            key = NodeKey::from_ed25519_seed(rng.array());
        } else {
            // The banned validator key keeps trying, less often.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What the flooder saw: the streams it opened before the node's credit ran out, and whether
/// one more could be opened within a second.
async fn flood(target: SocketAddr, genesis: HeaderHash, key: NodeKey) -> (usize, bool) {
    let ep = raw_client(&key, &genesis);
    let conn = ep
        .connect(target, "node")
        .expect("connect")
        .await
        .expect("flooder connects");
    let mut held = Vec::new();
    let mut extra_opened = false;
    loop {
        let wait = if held.len() < MAX_INCOMING_STREAMS {
            Duration::from_secs(5)
        } else {
            Duration::from_secs(1)
        };
        match tokio::time::timeout(wait, conn.open_bi()).await {
            Ok(Ok((mut send, recv))) => {
                if held.len() == MAX_INCOMING_STREAMS {
                    extra_opened = true;
                    break;
                }
                // A CE 128 stream that sends its kind and then nothing: the node holds it.
                send.write_all(&[CE128]).await.expect("kind byte");
                held.push((send, recv));
            }
            Ok(Err(e)) => panic!("flooder's connection failed: {e}"),
            Err(_) => break,
        }
    }
    let opened = held.len();
    conn.close(0u32.into(), b"done");
    (opened, extra_opened)
}

/// What the liar saw: the idle stream's fate, and whether the node asked it for the
/// invented block.
async fn lie(
    target: SocketAddr,
    genesis: HeaderHash,
    key: NodeKey,
    mut rng: Rng,
    until: tokio::time::Instant,
) -> (Outcome, bool) {
    let ep = raw_client(&key, &genesis);
    let conn = ep
        .connect(target, "node")
        .expect("connect")
        .await
        .expect("liar connects");
    // Opened but never written to: the next stream's frames open it at the node, which then
    // waits for its kind byte.
    let (_idle_send, mut idle_recv) = conn.open_bi().await.expect("idle stream");
    let (mut send, _recv) = conn.open_bi().await.expect("UP 0");
    let handshake = Handshake {
        finalized: HashSlot {
            hash: genesis,
            slot: 0,
        },
        leaves: vec![HashSlot {
            hash: rng.array(),
            slot: 3,
        }],
    }
    .to_bytes();
    let mut out = vec![UP0];
    out.extend(u32::try_from(handshake.len()).expect("small").to_le_bytes());
    out.extend(handshake);
    send.write_all(&out).await.expect("handshake");
    // The node asks for the invented block; the liar takes the stream and never answers,
    // until the attack ends.
    let asked = AtomicBool::new(false);
    let lying = tokio::time::timeout_at(until, async {
        let mut held = Vec::new();
        while let Ok((s, mut r)) = conn.accept_bi().await {
            let mut kind = [0u8; 1];
            if r.read_exact(&mut kind).await.is_ok() && kind[0] == CE128 {
                asked.store(true, Ordering::Relaxed);
            }
            held.push((s, r));
        }
    });
    let (idle, _) = tokio::join!(outcome(&mut idle_recv, Duration::from_secs(8)), lying);
    let asked = asked.load(Ordering::Relaxed);
    conn.close(0u32.into(), b"done");
    (idle, asked)
}

fn connected(a: &BlockNet, b: &BlockNet) -> bool {
    a.network().is_connected(&b.network().key()) && b.network().is_connected(&a.network().key())
}

#[test]
fn node_keeps_importing_under_hostile_peers() {
    let started = Instant::now();
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        report(info);
    }));
    let (genesis, params) = Genesis::dev().expect("dev chain");
    assert_eq!(params, TINY);
    let genesis_hash = genesis.header.hash();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    marmalade_crypto::bandersnatch::prepare_ring(TINY.validators).expect("ring");
    let stop = Arc::new(AtomicBool::new(false));
    let backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(500),
        initiator_grace: Duration::from_millis(200),
    };
    let net_config = |i: u32| NetConfig {
        key: NodeKey::from_validator_seed(&trivial_seed(i)),
        genesis_header_hash: genesis_hash,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        backoff,
    };

    // A: every dev validator's keys, so it authors every slot.
    let mut node_a = Node::new(TINY, &genesis, (0..6).map(dev_keys).collect(), 3).expect("A");
    let node_b = Node::new(TINY, &genesis, Vec::new(), 3).expect("B");
    // A's tickets before the clock runs, so that it authors from slot 1.
    node_a.prepare_tickets(1).expect("tickets");
    let a_view = node_a.importer();
    let clock = Arc::new(ShortSlots {
        slot_ms: SLOT_MS,
        last: LAST_SLOT,
        start: Instant::now() + Duration::from_secs(1),
    });
    let (net_a, net_b) = {
        let _rt = rt.enter();
        (
            BlockNet::start(net_config(0), Arc::new(node_a.importer()), None).expect("A listens"),
            BlockNet::start(net_config(1), Arc::new(node_b.importer()), None).expect("B listens"),
        )
    };
    let addr_a = net_a.network().local_addr().expect("bound");
    let addr_b = net_b.network().local_addr().expect("bound");
    net_a.keep_connected(net_b.network().key(), addr_b);
    net_b.keep_connected(net_a.network().key(), addr_a);
    let announcer = net_a.clone();
    let (a_clock, a_stop) = (clock.clone(), stop.clone());
    let author = std::thread::spawn(move || {
        // At most a block a slot: the loop ends after the last one, before it would make
        // the next epoch's tickets.
        let authored = node_a
            .run(&*a_clock, &a_stop, Some(LAST_SLOT as usize), |a| {
                announcer.announce(&a.block)
            })
            .expect("A's loop runs");
        (node_a, authored)
    });

    // The attackers, on the runtime, from ATTACK_FROM to ATTACK_UNTIL.
    let mut rng = Rng(SEED);
    let attack_from = clock.at(ATTACK_FROM);
    let attack_until = tokio::time::Instant::from_std(clock.at(ATTACK_UNTIL));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let validator_key = NodeKey::from_validator_seed(&trivial_seed(5));
    let flooder_key = NodeKey::from_ed25519_seed(rng.array());
    let liar_key = NodeKey::from_ed25519_seed(rng.array());
    let attackers = {
        let _rt = rt.enter();
        let start = tokio::time::Instant::from_std(attack_from);
        let stranger = tokio::spawn({
            let (seen, key, rng) = (
                seen.clone(),
                NodeKey::from_ed25519_seed(rng.array()),
                Rng(rng.next()),
            );
            async move {
                tokio::time::sleep_until(start).await;
                misbehave(addr_b, genesis_hash, key, true, rng, attack_until, seen).await
            }
        });
        let validator = tokio::spawn({
            let (seen, key, rng) = (seen.clone(), validator_key.clone(), Rng(rng.next()));
            async move {
                tokio::time::sleep_until(start).await;
                misbehave(addr_b, genesis_hash, key, false, rng, attack_until, seen).await
            }
        });
        let flooder = tokio::spawn({
            let key = flooder_key.clone();
            async move {
                tokio::time::sleep_until(start).await;
                flood(addr_b, genesis_hash, key).await
            }
        });
        let liar = tokio::spawn({
            let (key, rng) = (liar_key.clone(), Rng(rng.next()));
            async move {
                tokio::time::sleep_until(start).await;
                lie(addr_b, genesis_hash, key, rng, attack_until).await
            }
        });
        (stranger, validator, flooder, liar)
    };

    // Watch B's best slot and the A–B connection until A stops authoring.
    let mut samples: Vec<(Instant, TimeSlot)> = Vec::new();
    let mut a_samples: Vec<(Instant, TimeSlot)> = Vec::new();
    let mut disconnected_during_attack = 0;
    while !author.is_finished() {
        let now = Instant::now();
        a_samples.push((now, a_view.best().map_or(0, |b| b.slot)));
        samples.push((now, node_b.best_slot().expect("B's best")));
        if now >= attack_from && now < attack_until.into_std() && !connected(&net_a, &net_b) {
            disconnected_during_attack += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (node_a, authored) = author.join().expect("A's thread");
    let (stranger, validator, flooder, liar) = attackers;
    let ((), (), (opened, extra_opened), (idle, asked)) = rt.block_on(async {
        (
            stranger.await.expect("stranger"),
            validator.await.expect("validator attacker"),
            flooder.await.expect("flooder"),
            liar.await.expect("liar"),
        )
    });

    // B ends at A's best block.
    let best_a = node_a.best_hash().expect("A's best");
    let deadline = Instant::now() + Duration::from_secs(5);
    while node_b.best_hash() != Some(best_a) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    samples.push((Instant::now(), node_b.best_slot().expect("B's best")));
    let seen = seen.lock().unwrap();
    let elapsed = started.elapsed();
    println!(
        "A authored {authored} blocks; B's best: {:?}",
        samples.last()
    );
    let rises: Vec<(u128, TimeSlot)> = samples
        .windows(2)
        .filter(|w| w[1].1 != w[0].1)
        .map(|w| (w[1].0.duration_since(clock.start).as_millis(), w[1].1))
        .collect();
    println!("B's best (ms after slot 1 began, slot): {rises:?}");
    for ((attack, outcome), n) in &seen.outcomes {
        let outcome = match outcome {
            Outcome::Finished(b) => format!("finished after {} octets", b.len()),
            o => format!("{o:?}"),
        };
        println!("  {attack:?}: {outcome} x{n}");
    }
    println!(
        "closes by the node: {:?}; attacker connections: {}; u32::MAX-block responses: {} of {:?} blocks",
        seen.closes,
        seen.connections,
        seen.response_blocks.len(),
        seen.response_blocks.iter().collect::<std::collections::BTreeSet<_>>()
    );
    println!("flooder: {opened} streams, one more: {extra_opened}; liar: idle stream {idle:?}, asked {asked}");
    println!(
        "wall time {elapsed:?}, of which {:?} before slot 1",
        clock.start.duration_since(started)
    );

    // One block a slot, but for a slot or two lost to a loaded machine.
    assert!(
        authored + 2 >= LAST_SLOT as usize,
        "A authored only {authored} blocks"
    );
    assert_eq!(node_b.best_hash(), Some(best_a), "B did not reach A's best");
    assert_eq!(
        node_b.best_slot().expect("B's best"),
        node_a.best_slot().expect("A's best")
    );

    // B kept up with A all along: each of A's blocks was B's within MAX_LAG; and B's best
    // rose inside the attack window and after it.
    let mut longest = Duration::ZERO;
    for w in a_samples.windows(2).filter(|w| w[1].1 > w[0].1) {
        let (t, slot) = w[1];
        let caught_up = samples
            .iter()
            .find(|(_, s)| *s >= slot)
            .map(|(at, _)| at.saturating_duration_since(t));
        assert!(
            caught_up.is_some_and(|lag| lag <= MAX_LAG),
            "B took {caught_up:?} to import A's block of slot {slot}"
        );
        longest = longest.max(caught_up.unwrap_or_default());
    }
    println!("B's longest lag behind A (50 ms samples): {longest:?}");
    let slot_at = |t: Instant| {
        samples
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .map_or(0, |s| s.1)
    };
    let attack_until = attack_until.into_std();
    let (at_start, at_end) = (slot_at(attack_from), slot_at(attack_until));
    assert!(
        at_end >= at_start + (ATTACK_UNTIL - ATTACK_FROM) / 2,
        "B imported too little during the attack: slot {at_start} -> {at_end}"
    );
    assert!(
        samples.last().map_or(0, |s| s.1) > at_end,
        "B imported nothing after the attack"
    );

    // A and B stayed connected through the attack and are connected now.
    assert_eq!(
        disconnected_during_attack, 0,
        "A and B were apart during the attack"
    );
    assert!(connected(&net_a, &net_b), "A and B are not connected");

    // The misbehaving attackers' streams were reset with the codes their faults call for, or
    // ended with their banned connections; never served.
    for ((attack, outcome), n) in &seen.outcomes {
        match (attack, outcome) {
            (Attack::AbsurdMaxBlocks, Outcome::Finished(_) | Outcome::Lost) => {}
            (_, Outcome::Lost) => {}
            (_, Outcome::Reset(c)) if attack.expected().iter().any(|&e| u64::from(e) == *c) => {}
            _ => panic!("{attack:?}: unexpected {outcome:?} ({n} times)"),
        }
    }
    let resets = |c: u32| {
        seen.outcomes
            .iter()
            .filter(|((_, o), _)| *o == Outcome::Reset(u64::from(c)))
            .map(|(_, n)| n)
            .sum::<u32>()
    };
    for c in [code::OVERSIZED, code::MALFORMED, code::UNKNOWN_KIND] {
        assert!(resets(c) > 0, "no stream reset with code {c}");
    }
    for attack in ATTACKS {
        assert!(
            seen.outcomes
                .keys()
                .any(|(a, o)| *a == attack && *o != Outcome::Lost),
            "{attack:?} was never answered"
        );
    }
    // Answered with B's chain above the genesis block so far (an empty answer while a block
    // is being imported), never more than the node's cap.
    assert!(
        seen.response_blocks.iter().max().is_some_and(|&n| n >= 2)
            && seen
                .response_blocks
                .iter()
                .all(|&n| n <= MAX_REQUEST_BLOCKS as usize),
        "responses to u32::MAX-block requests: {:?}",
        seen.response_blocks
    );
    // Their scores reached the ban: the node closed their connections for misbehaviour, and
    // refused the banned validator key's later connections.
    assert!(seen
        .closes
        .contains_key(&u64::from(close_code::MISBEHAVIOUR)));
    assert!(seen.closes.contains_key(&u64::from(close_code::BANNED)));
    assert!(net_b.network().is_banned(&validator_key.public()));
    assert!(seen.connections >= 3, "{} connections", seen.connections);
    let banned = seen
        .keys
        .iter()
        .filter(|k| net_b.network().is_banned(&k.public()))
        .count();
    assert!(banned >= 2, "{banned} attacker keys banned");
    assert!(!net_b.network().is_banned(&net_a.network().key()));

    // The flooder got exactly the node's stream credit, and no more.
    assert_eq!(opened, MAX_INCOMING_STREAMS);
    assert!(!extra_opened, "a stream past the per-peer limit was opened");
    // The liar's idle stream was refused when its kind byte did not come; the node asked the
    // liar for the invented block (and went on importing from A meanwhile).
    assert_eq!(idle, Outcome::Reset(u64::from(code::TIMEOUT)));
    assert!(asked, "the node never asked the liar for its leaf");
    assert!(!net_b.network().is_banned(&liar_key.public()));

    rt.block_on(async {
        net_a.close().await;
        net_b.close().await;
    });
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "something panicked");
}
