//! Shared test setup: dev-key nodes on 127.0.0.1, a handler that echoes CE requests and
//! records UP messages, and raw QUIC peers that break the rules on purpose.
#![allow(dead_code)]

use marmalade_network::{
    alpn, Backoff, Config, Limits, Network, NodeKey, PeerId, PeerInfo, Stream, StreamError,
    StreamHandler,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The test chain's genesis header hash.
pub const GENESIS: [u8; 32] = [0x2b; 32];
/// A CE kind the nodes serve: the acceptor answers each request message `m` with `re:m`, in
/// reverse order.
pub const ECHO: u8 = 128;
/// A UP kind the nodes serve.
pub const UP: u8 = 0;
/// The message limit of both kinds.
pub const MAX_MESSAGE: u32 = 1024;

/// JIP-5 `trivial_seed(i)`.
pub fn trivial_seed(i: u32) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for c in seed.chunks_exact_mut(4) {
        c.copy_from_slice(&i.to_le_bytes());
    }
    seed
}

/// The node key of dev validator `i` (JIP-5 keys of `trivial_seed(i)`).
pub fn dev_key(i: u32) -> NodeKey {
    NodeKey::from_validator_seed(&trivial_seed(i))
}

/// What a test handler saw.
#[derive(Debug)]
pub enum Event {
    Connected(PeerInfo),
    Disconnected(PeerId),
    /// A message on a UP stream.
    Up(PeerId, Vec<u8>),
    /// A UP stream ended (`Ok` at the peer's FIN).
    UpEnded(PeerId, Result<(), StreamError>),
    /// A CE request that failed on our side.
    CeFailed(PeerId, StreamError),
}

pub struct Recorder(pub mpsc::UnboundedSender<Event>);

impl StreamHandler for Recorder {
    fn stream(&self, mut s: Stream) {
        let tx = self.0.clone();
        tokio::spawn(async move {
            let peer = s.peer();
            if s.kind().is_unique_persistent() {
                loop {
                    match s.recv().await {
                        Ok(Some(m)) => {
                            let _ = tx.send(Event::Up(peer, m));
                        }
                        Ok(None) => {
                            let _ = tx.send(Event::UpEnded(peer, Ok(())));
                            break;
                        }
                        Err(e) => {
                            let _ = tx.send(Event::UpEnded(peer, Err(e)));
                            break;
                        }
                    }
                }
            } else {
                match s.recv_to_end().await {
                    Ok(msgs) => {
                        let resp: Vec<Vec<u8>> = msgs
                            .iter()
                            .rev()
                            .map(|m| [b"re:".as_slice(), m].concat())
                            .collect();
                        let _ = s.send_all_and_finish(&resp).await;
                    }
                    Err(e) => {
                        let _ = tx.send(Event::CeFailed(peer, e));
                    }
                }
            }
        });
    }

    fn connected(&self, peer: &PeerInfo) {
        let _ = self.0.send(Event::Connected(peer.clone()));
    }

    fn disconnected(&self, peer: &PeerId) {
        let _ = self.0.send(Event::Disconnected(*peer));
    }
}

/// Limits serving [`ECHO`] and [`UP`] with short timeouts.
pub fn limits() -> Limits {
    Limits {
        stream_timeout: Duration::from_secs(5),
        kind_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
    .with_kind(ECHO, MAX_MESSAGE)
    .with_kind(UP, MAX_MESSAGE)
}

pub fn config(key: NodeKey, limits: Limits) -> Config {
    Config {
        key,
        genesis_header_hash: GENESIS,
        builder: false,
        limits,
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            initiator_grace: Duration::from_millis(200),
        },
    }
}

pub struct Node {
    pub net: Network,
    pub events: mpsc::UnboundedReceiver<Event>,
}

impl Node {
    pub fn addr(&self) -> SocketAddr {
        self.net.local_addr().unwrap()
    }

    /// The next event matching `f`, within 5 s.
    pub async fn expect<T>(&mut self, mut f: impl FnMut(Event) -> Option<T>) -> T {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let e = self.events.recv().await.expect("handler alive");
                if let Some(t) = f(e) {
                    return t;
                }
            }
        })
        .await
        .expect("expected event within 5 s")
    }
}

pub fn start_with(config: Config, addr: SocketAddr) -> Node {
    let (tx, events) = mpsc::unbounded_channel();
    let net = Network::listen(config, addr, Arc::new(Recorder(tx))).unwrap();
    Node { net, events }
}

/// Dev validator `i` on a free port of 127.0.0.1.
pub fn start(i: u32) -> Node {
    start_with(config(dev_key(i), limits()), "127.0.0.1:0".parse().unwrap())
}

/// Polls `cond` every 20 ms for up to `secs` seconds.
pub async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

/// Accepts any server certificate (a raw test peer checks nothing).
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
        vec![
            SignatureScheme::ED25519,
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ]
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A bare QUIC client presenting `cert` and offering `alpn`, checking nothing of the server.
pub fn raw_client(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    alpn: Vec<u8>,
) -> quinn::Endpoint {
    let mut tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny))
        .with_client_auth_cert(vec![cert], key)
        .unwrap();
    tls.alpn_protocols = vec![alpn];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let mut ep = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    ep.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
    ep
}

/// A bare QUIC client with dev validator `i`'s proper certificate and the test chain's ALPN.
pub fn raw_dev_client(i: u32) -> quinn::Endpoint {
    let (cert, key) = dev_key(i).certificate().unwrap();
    raw_client(cert, key, alpn(&GENESIS, false))
}

/// A bare QUIC server presenting `cert`, accepting `alpn`, asking no client certificate.
pub fn raw_server(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    alpn: Vec<u8>,
) -> quinn::Endpoint {
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    tls.alpn_protocols = vec![alpn];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls).unwrap();
    let ep = quinn::Endpoint::server(
        quinn::ServerConfig::with_crypto(Arc::new(crypto)),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let accepting = ep.clone();
    tokio::spawn(async move {
        while let Some(incoming) = accepting.accept().await {
            tokio::spawn(async move {
                if let Ok(conn) = incoming.await {
                    conn.closed().await;
                }
            });
        }
    });
    ep
}

/// A self-signed Ed25519 certificate of a fresh key whose alternative name is `san`.
pub fn cert_with_san(san: String) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let cert = rcgen::CertificateParams::new(vec![san])
        .unwrap()
        .self_signed(&kp)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(kp.serialize_der().into());
    (cert.der().clone(), key)
}

/// Connects a raw client to `addr` (server name irrelevant: the raw client checks nothing).
pub async fn raw_connect(ep: &quinn::Endpoint, addr: SocketAddr) -> quinn::Connection {
    ep.connect(addr, "peer").unwrap().await.unwrap()
}

/// Writes a framed message: 4-octet little-endian length, then the content.
pub async fn write_message(send: &mut quinn::SendStream, m: &[u8]) {
    send.write_all(&(m.len() as u32).to_le_bytes())
        .await
        .unwrap();
    send.write_all(m).await.unwrap();
}
