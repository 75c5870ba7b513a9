//! Two or more endpoints on 127.0.0.1 with the JIP-5 dev keys: handshake checks, streams,
//! limits, misbehaviour and reconnection.

mod common;

use common::*;
use marmalade_network::{
    alpn, close_code, code, node_name, we_initiate, Config, Limits, Misbehaviour, NetworkError,
    StreamError,
};
use std::time::Duration;

/// JIP-5's test vectors: the Ed25519 public keys of `trivial_seed(0)` and `trivial_seed(1)`.
const DEV_ED25519: [&str; 2] = [
    "4418fb8c85bb3985394a8c2756d3643457ce614546202a2f50b093d762499ace",
    "ad93247bd01307550ec7acd757ce6fb805fcf73db364063265b30a949e90d933",
];

fn hex32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn dev_keys_are_jip5_keys_and_certificates_name_them() {
    for (i, hex) in DEV_ED25519.iter().enumerate() {
        let key = dev_key(i as u32);
        assert_eq!(key.public(), hex32(hex));
        let (cert, _) = key.certificate().unwrap();
        assert_eq!(marmalade_network::peer_key(&cert), Ok(key.public()));
        // The alternative name is in the certificate as it is written.
        let name = node_name(&key.public());
        assert!(cert.windows(name.len()).any(|w| w == name.as_bytes()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_dev_keys() {
    let mut a = start(0);
    let mut b = start(1);
    let (ka, kb) = (a.net.key(), b.net.key());
    let info = b.net.connect(a.addr(), ka).await.unwrap();
    assert_eq!(info.key, ka);
    assert!(info.we_initiated && !info.builder);
    // The acceptor learns the initiator's key from its certificate.
    let seen = a
        .expect(|e| match e {
            Event::Connected(p) => Some(p),
            _ => None,
        })
        .await;
    assert_eq!(seen.key, kb);
    assert!(!seen.we_initiated);
    b.expect(|e| matches!(e, Event::Connected(p) if p.key == ka).then_some(()))
        .await;
    assert!(a.net.is_connected(&kb) && b.net.is_connected(&ka));
    // Connecting again reuses the connection.
    b.net.connect(a.addr(), ka).await.unwrap();
    assert_eq!(b.net.peers().len(), 1);
    b.net.close().await;
    assert!(eventually(5, || !a.net.is_connected(&kb)).await);
    a.net.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_chain_alpn_and_wrong_key_are_refused() {
    let a = start(0);
    // Another chain: the ALPN identifiers differ in H.
    let mut other = config(dev_key(1), limits());
    other.genesis_header_hash[0] ^= 1;
    let c = start_with(other, "127.0.0.1:0".parse().unwrap());
    assert!(c.net.connect(a.addr(), a.net.key()).await.is_err());
    assert!(!c.net.is_connected(&a.net.key()));
    // A raw client on another chain's ALPN is refused during the handshake.
    let (cert, key) = dev_key(2).certificate().unwrap();
    let mut h = GENESIS;
    h[3] ^= 0xff;
    let raw = raw_client(cert, key, alpn(&h, false));
    let refused = match raw.connect(a.addr(), "x").unwrap().await {
        Err(_) => true,
        Ok(conn) => tokio::time::timeout(Duration::from_secs(5), conn.closed())
            .await
            .is_ok(),
    };
    assert!(refused);
    // The right chain, but the peer at that address is not the key asked for.
    let b = start(1);
    let e = b
        .net
        .connect(a.addr(), dev_key(2).public())
        .await
        .unwrap_err();
    assert!(matches!(e, NetworkError::Connection(_)), "{e:?}");
    // Nor does a node connect to itself.
    assert!(a.net.connect(a.addr(), a.net.key()).await.is_err());
    // Neither got in.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(a.net.peers().is_empty());
    // The builder identifier is accepted.
    let mut builder = config(dev_key(3), limits());
    builder.builder = true;
    let d = start_with(builder, "127.0.0.1:0".parse().unwrap());
    assert!(d.net.connect(a.addr(), a.net.key()).await.unwrap().builder);
    assert!(eventually(5, || a.net.peer(&d.net.key()).is_some_and(|p| p.builder)).await);
    for n in [&a, &b, &c, &d] {
        n.net.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_whose_alt_name_mismatches_is_refused() {
    let a = start(0);
    // Client side: a certificate naming dev key 1 but of another key.
    let (cert, key) = cert_with_san(node_name(&dev_key(1).public()));
    let raw = raw_client(cert.clone(), key.clone_key(), alpn(&GENESIS, false));
    let refused = match raw.connect(a.addr(), "x").unwrap().await {
        Err(_) => true,
        Ok(conn) => tokio::time::timeout(Duration::from_secs(5), conn.closed())
            .await
            .is_ok(),
    };
    assert!(refused);
    assert!(a.net.peers().is_empty());
    // Server side: a server presenting it is refused by the connecting node, whether it asks
    // for the named key or any other.
    let rogue = raw_server(cert, key, alpn(&GENESIS, false));
    let addr = rogue.local_addr().unwrap();
    for want in [dev_key(1).public(), dev_key(4).public()] {
        let e = a.net.connect(addr, want).await.unwrap_err();
        assert!(matches!(e, NetworkError::Connection(_)), "{e:?}");
    }
    assert!(a.net.peers().is_empty());
    a.net.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ce_request_round_trip() {
    let a = start(0);
    let b = start(1);
    let ka = a.net.key();
    b.net.connect(a.addr(), ka).await.unwrap();
    let resp = b
        .net
        .request(&ka, ECHO, &[b"hello".to_vec(), b"world".to_vec(), vec![]])
        .await
        .unwrap();
    assert_eq!(
        resp,
        vec![b"re:".to_vec(), b"re:world".to_vec(), b"re:hello".to_vec()]
    );
    // The acceptor may make requests on the same connection too.
    let resp = a
        .net
        .request(&b.net.key(), ECHO, &[vec![7; 1000]])
        .await
        .unwrap();
    assert_eq!(resp[0].len(), 1003);
    // A request over the kind's limit is not sent.
    let e = b
        .net
        .request(&ka, ECHO, &[vec![0; MAX_MESSAGE as usize + 1]])
        .await;
    assert!(matches!(
        e,
        Err(NetworkError::Stream(StreamError::Oversized { .. }))
    ));
    a.net.close().await;
    b.net.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_stream_delivers_messages_and_newer_replaces_older() {
    let mut a = start(0);
    let b = start(1);
    let (ka, kb) = (a.net.key(), b.net.key());
    b.net.connect(a.addr(), ka).await.unwrap();
    let mut s = b.net.open(&ka, UP).await.unwrap();
    for i in 0..5u8 {
        s.send(&vec![i; usize::from(i) * 100]).await.unwrap();
    }
    for i in 0..5u8 {
        let m = a
            .expect(|e| match e {
                Event::Up(p, m) if p == kb => Some(m),
                _ => None,
            })
            .await;
        assert_eq!(m, vec![i; usize::from(i) * 100]);
    }
    // Only the connection's initiator opens UP streams.
    assert!(matches!(
        a.net.open(&kb, UP).await,
        Err(NetworkError::NotInitiator)
    ));
    // A newer stream of the kind replaces the older, on both sides.
    let mut s2 = b.net.open(&ka, UP).await.unwrap();
    s2.send(b"second").await.unwrap();
    let mut replaced = false;
    let mut second = false;
    while !(replaced && second) {
        a.expect(|e| match e {
            Event::UpEnded(_, Err(StreamError::Replaced)) => {
                replaced = true;
                Some(())
            }
            Event::Up(_, m) if m == b"second" => {
                second = true;
                Some(())
            }
            _ => None,
        })
        .await;
    }
    assert_eq!(s.send(b"late").await, Err(StreamError::Replaced));
    a.net.close().await;
    b.net.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kind_is_refused_and_connection_still_works() {
    let a = start(0);
    // B serves kind 200 as well, so it can open one; A does not.
    let b = start_with(
        config(dev_key(1), limits().with_kind(200, 64)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let ka = a.net.key();
    b.net.connect(a.addr(), ka).await.unwrap();
    let e = b.net.request(&ka, 200, &[b"?".to_vec()]).await.unwrap_err();
    assert!(
        matches!(e, NetworkError::Stream(StreamError::Reset(c)) if c == u64::from(code::UNKNOWN_KIND)),
        "{e:?}"
    );
    // A kind unknown to B itself is never sent.
    assert!(matches!(
        b.net.request(&ka, 201, &[]).await,
        Err(NetworkError::UnknownKind(201))
    ));
    let resp = b.net.request(&ka, ECHO, &[b"x".to_vec()]).await.unwrap();
    assert_eq!(resp, vec![b"re:x".to_vec()]);
    assert!(a.net.is_connected(&b.net.key()));
    a.net.close().await;
    b.net.close().await;
}

/// A deterministic byte stream (xorshift64).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_do_not_break_the_endpoint() {
    let mut lim = limits();
    lim.misbehaviour_threshold = 1_000;
    let mut a = start_with(config(dev_key(0), lim), "127.0.0.1:0".parse().unwrap());
    let raw = raw_dev_client(2);
    let conn = raw_connect(&raw, a.addr()).await;
    let mut streams = Vec::new();
    for seed in 1..=40u64 {
        let (mut send, recv) = conn.open_bi().await.unwrap();
        let mut bytes = noise(seed, 1 + (seed as usize * 97) % 3000);
        // Half of them on served kinds, so the framing itself gets random input.
        if seed % 2 == 0 {
            bytes[0] = if seed % 4 == 0 { ECHO } else { UP };
        }
        let _ = send.write_all(&bytes).await;
        if seed % 3 == 0 {
            let _ = send.finish();
        }
        streams.push((send, recv));
    }
    // A well-formed request on the same connection is still served.
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&[ECHO]).await.unwrap();
    write_message(&mut send, b"ok?").await;
    send.finish().unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1 << 16))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp, [&6u32.to_le_bytes()[..], b"re:ok?"].concat());
    // And so is another peer.
    let b = start(1);
    b.net.connect(a.addr(), a.net.key()).await.unwrap();
    assert_eq!(
        b.net
            .request(&a.net.key(), ECHO, &[b"y".to_vec()])
            .await
            .unwrap(),
        vec![b"re:y".to_vec()]
    );
    // The faults were counted against the raw peer only.
    a.expect(|e| matches!(e, Event::CeFailed(..) | Event::UpEnded(_, Err(_))).then_some(()))
        .await;
    drop(streams);
    a.net.close().await;
    b.net.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaviour_threshold_disconnects_and_bans() {
    let mut lim = limits();
    lim.misbehaviour_threshold = 3;
    lim.ban = Duration::from_secs(60);
    let a = start_with(config(dev_key(0), lim), "127.0.0.1:0".parse().unwrap());
    let b = start_with(
        config(dev_key(1), limits().with_kind(200, 64)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let (ka, kb) = (a.net.key(), b.net.key());
    b.net.connect(a.addr(), ka).await.unwrap();
    // Two faults are tolerated.
    for _ in 0..2 {
        assert!(b.net.request(&ka, 200, &[]).await.is_err());
    }
    assert!(a.net.is_connected(&kb) && !a.net.is_banned(&kb));
    assert!(b.net.request(&ka, ECHO, &[]).await.is_ok());
    // The third disconnects and bans.
    let _ = b.net.request(&ka, 200, &[]).await;
    assert!(eventually(5, || !b.net.is_connected(&ka)).await);
    assert!(a.net.is_banned(&kb) && !a.net.is_connected(&kb));
    // Reconnecting is refused while the ban lasts.
    let again = b.net.connect(a.addr(), ka).await;
    if again.is_ok() {
        assert!(eventually(5, || !b.net.is_connected(&ka)).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!a.net.is_connected(&kb));
    // Faults reported from above the framing count too.
    let c = start(2);
    c.net.connect(a.addr(), ka).await.unwrap();
    let kc = c.net.key();
    assert!(eventually(5, || a.net.is_connected(&kc)).await);
    for _ in 0..3 {
        a.net.report(&kc, Misbehaviour::Malformed);
    }
    assert!(a.net.is_banned(&kc) && !a.net.is_connected(&kc));
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while c.net.is_connected(&ka) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(closed.is_ok());
    let _ = close_code::MISBEHAVIOUR;
    for n in [&a, &b, &c] {
        n.net.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_peer_restarts() {
    let a = start(0);
    let b = start(1);
    let (ka, kb) = (a.net.key(), b.net.key());
    let b_addr = b.addr();
    a.net.keep_connected(kb, b_addr);
    assert!(eventually(10, || a.net.is_connected(&kb) && b.net.is_connected(&ka)).await);
    b.net.close().await;
    drop(b);
    assert!(eventually(5, || !a.net.is_connected(&kb)).await);
    // Down for a while: A's attempts fail and back off.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Restart on the same address (the old socket may take a moment to be released).
    let mut b2 = None;
    for _ in 0..50 {
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        match marmalade_network::Network::listen(
            config(dev_key(1), limits()),
            b_addr,
            std::sync::Arc::new(Recorder(tx)),
        ) {
            Ok(net) => {
                b2 = Some(Node { net, events });
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let b2 = b2.expect("rebind");
    assert!(eventually(10, || a.net.is_connected(&kb) && b2.net.is_connected(&ka)).await);
    assert_eq!(
        a.net.request(&kb, ECHO, &[b"back".to_vec()]).await.unwrap(),
        vec![b"re:back".to_vec()]
    );
    a.net.close().await;
    b2.net.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_connects_keep_the_preferred_initiators_connection() {
    let mut preferred_kept = 0;
    for (i, j) in [(0u32, 1u32), (2, 3), (4, 5), (1, 2), (3, 4), (5, 0)] {
        let mut a = start(i);
        let mut b = start(j);
        let (ka, kb) = (a.net.key(), b.net.key());
        let (ra, rb) = tokio::join!(a.net.connect(b.addr(), kb), b.net.connect(a.addr(), ka));
        ra.unwrap();
        rb.unwrap();
        // Both settle on one and the same connection.
        let settled = eventually(5, || {
            matches!((a.net.peer(&kb), b.net.peer(&ka)),
                (Some(x), Some(y)) if x.we_initiated != y.we_initiated)
        })
        .await;
        assert!(
            settled,
            "a sees {:?}; b sees {:?}",
            a.net.peers(),
            b.net.peers()
        );
        let (p, q) = if we_initiate(&ka, &kb) {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        let kept_preferred = p.net.peer(&q.net.key()).is_some_and(|x| x.we_initiated);
        // If the preferred initiator's own connection was entered on its side, it is the one
        // kept (a connect that found the other's connection already up made none of its own).
        let mut own = false;
        while let Ok(e) = p.events.try_recv() {
            own |= matches!(e, Event::Connected(info) if info.we_initiated);
        }
        assert!(
            kept_preferred || !own,
            "the preferred initiator's connection was dropped"
        );
        preferred_kept += usize::from(kept_preferred);
        assert_eq!(
            b.net.request(&ka, ECHO, &[b"one".to_vec()]).await.unwrap(),
            vec![b"re:one".to_vec()]
        );
        a.net.close().await;
        b.net.close().await;
    }
    println!("the preferred initiator's connection was kept in {preferred_kept} of 6 races");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_slots_are_kept_for_builders() {
    let mut lim = limits();
    lim.max_connections = 2;
    lim.builder_slots = 1;
    let a = start_with(config(dev_key(0), lim), "127.0.0.1:0".parse().unwrap());
    let ka = a.net.key();
    let b = start(1);
    b.net.connect(a.addr(), ka).await.unwrap();
    assert!(eventually(5, || a.net.peers().len() == 1).await);
    // The one slot left is a builder's: another validator is refused...
    let c = start(2);
    let refused = match c.net.connect(a.addr(), ka).await {
        Err(_) => true,
        Ok(_) => eventually(5, || !c.net.is_connected(&ka)).await,
    };
    assert!(refused);
    assert!(!a.net.is_connected(&c.net.key()));
    // ...and a builder gets it.
    let mut builder = config(dev_key(3), limits());
    builder.builder = true;
    let d = start_with(builder, "127.0.0.1:0".parse().unwrap());
    d.net.connect(a.addr(), ka).await.unwrap();
    assert!(eventually(5, || a.net.peer(&d.net.key()).is_some_and(|p| p.builder)).await);
    assert_eq!(a.net.peers().len(), 2);
    for n in [&a, &b, &c, &d] {
        n.net.close().await;
    }
}

#[test]
fn limits_default_to_serving_nothing() {
    let l = Limits::default();
    assert!(l.kinds.is_empty());
    let _: fn(Config) -> Config = |c| c;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_sent_counts_what_a_connection_sent_and_keeps_it_when_it_ends() {
    let a = start(0);
    let b = start(1);
    assert_eq!((a.net.bytes_sent(), b.net.bytes_sent()), (0, 0));
    let ka = a.net.key();
    b.net.connect(a.addr(), ka).await.unwrap();
    let before = b.net.bytes_sent();
    // The handshake alone sent something each way.
    assert!(before > 0);
    assert!(eventually(5, || a.net.bytes_sent() > 0).await);
    // 50 requests of 1000 payload octets go out from b (UDP counts headers on top).
    for _ in 0..50 {
        b.net.request(&ka, ECHO, &[vec![5u8; 1000]]).await.unwrap();
    }
    let sent = 50_000;
    let after = b.net.bytes_sent();
    assert!(after >= before + sent, "{before} + {sent} > {after}");
    // The echo came back: a sent at least as much.
    assert!(a.net.bytes_sent() >= sent);
    // When the connection ends its count stays.
    b.net.disconnect(&ka);
    assert!(eventually(5, || !a.net.is_connected(&b.net.key())).await);
    assert!(eventually(5, || b.net.peers().is_empty()).await);
    assert!(b.net.bytes_sent() >= after);
    assert!(a.net.bytes_sent() >= sent);
    a.net.close().await;
    b.net.close().await;
}
