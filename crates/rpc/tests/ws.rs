//! JIP-2 over a real WebSocket: a `jsonrpsee` client against [`serve`] over a [`ChainBackend`]
//! that imported the first blocks of the `storage` trace. Expected values come from the trace
//! (its recorded post-states and roots, the next block's parent hash), not from the server's
//! own reading of the state.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::core::params::ArrayParams;
use jsonrpsee::core::ClientError;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use marmalade_chain::{header_hash, Chain, FixedDepth};
use marmalade_conformance::trace::{load_genesis, load_step, TraceStep};
use marmalade_crypto::blake2b_256;
use marmalade_rpc::{serve, ChainBackend, RpcBackend, RpcConfig, RpcServer};
use marmalade_state::{
    component_key, lookup_key, preimage_key, service_info_key, storage_key, Component, State,
    StateKey,
};
use marmalade_types::{ChainSpec, ServiceInfo};
use serde_json::{json, Value};

const SET: &str = "storage";
/// The trace's step whose post-state first holds storage items written by step 2's report.
const LAST: u32 = 7;
/// The (only) service of the trace.
const SERVICE: u32 = 0;

fn b64(bytes: &[u8]) -> Value {
    Value::String(STANDARD.encode(bytes))
}

fn unb64(v: &Value) -> Vec<u8> {
    STANDARD
        .decode(v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .expect("base64")
}

/// The raw value of `key` in the trace's recorded post-state of `step`.
fn raw(step: &TraceStep, key: &StateKey) -> Option<Vec<u8>> {
    step.post_state
        .keyvals
        .iter()
        .find(|kv| &kv.key == key)
        .map(|kv| kv.value.clone())
}

/// The 32-octet storage keys step 2's work report carries: its refine output is
/// `0x01 ⌢ op ⌢ n ⌢ (len ⌢ key)*`, the keys the service then writes with themselves as values.
fn report_keys() -> Vec<Vec<u8>> {
    let step = load_step(SET, 2);
    let report = &step
        .block
        .extrinsic
        .guarantees
        .first()
        .expect("step 2 of the storage trace carries a guarantee")
        .report;
    let out = match &report.results[0].result {
        marmalade_types::WorkExecResult::Ok(o) => o.clone(),
        other => panic!("step 2's report did not refine: {other:?}"),
    };
    let mut keys = Vec::new();
    let mut i = 3;
    while i < out.len() {
        let len = usize::from(out[i]);
        let Some(k) = out.get(i + 1..i + 1 + len) else {
            break;
        };
        keys.push(k.to_vec());
        i += 1 + len;
    }
    assert!(!keys.is_empty(), "no keys in step 2's refine output");
    keys
}

struct Fixture {
    backend: Arc<ChainBackend>,
    steps: Vec<TraceStep>,
}

/// The genesis of the trace imported with steps `1..=upto`, finality 2 blocks behind the best.
fn fixture(upto: u32) -> Fixture {
    let genesis = load_genesis(SET);
    let mut chain = Chain::new(ChainSpec::TINY, 24).with_finality(FixedDepth(2));
    chain
        .initialize(&genesis.header, genesis.state.key_values(), None)
        .expect("genesis initializes");
    let backend = Arc::new(ChainBackend::new(chain));
    let mut steps = Vec::new();
    for n in 1..=upto {
        let step = load_step(SET, n);
        let root = backend.import(&step.block).expect("trace block imports");
        assert_eq!(root, step.post_state.state_root, "step {n} root");
        steps.push(step);
    }
    Fixture { backend, steps }
}

async fn start(backend: Arc<ChainBackend>, config: RpcConfig) -> (RpcServer, String) {
    let server = serve(&config, backend as Arc<dyn RpcBackend>)
        .await
        .expect("server starts");
    let url = format!("ws://{}", server.local_addr());
    (server, url)
}

fn test_config() -> RpcConfig {
    RpcConfig {
        max_request_size: 1 << 20,
        max_subscriptions_per_connection: 10,
        ..RpcConfig::on(0, false)
    }
}

async fn client(url: &str) -> WsClient {
    WsClientBuilder::default()
        .max_request_size(8 << 20)
        .build(url)
        .await
        .expect("client connects")
}

fn array(params: Vec<Value>) -> ArrayParams {
    let mut p = ArrayParams::new();
    for v in params {
        p.insert(v).expect("param");
    }
    p
}

async fn call(c: &WsClient, method: &str, params: Vec<Value>) -> Result<Value, ClientError> {
    c.request(method, array(params)).await
}

/// The result of a call that must succeed.
async fn get(c: &WsClient, method: &str, params: Vec<Value>) -> Value {
    call(c, method, params)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// Subscribes with JIP-2's `subscribe{what}`, to be ended by `unsubscribe{what}`.
async fn subscribe(
    c: &WsClient,
    what: &str,
    params: Vec<Value>,
) -> Result<Subscription<Value>, ClientError> {
    let (sub, unsub) = (format!("subscribe{what}"), format!("unsubscribe{what}"));
    c.subscribe(&sub, array(params), &unsub).await
}

async fn next(sub: &mut Subscription<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(60), sub.next())
        .await
        .expect("a notification within 60 s")
        .expect("subscription open")
        .expect("notification decodes")
}

/// A subscription that must be accepted.
async fn subscribed(c: &WsClient, what: &str, params: Vec<Value>) -> Subscription<Value> {
    subscribe(c, what, params)
        .await
        .unwrap_or_else(|e| panic!("subscribe{what}: {e}"))
}

fn code(e: ClientError) -> i32 {
    match e {
        ClientError::Call(o) => o.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_and_subscriptions_over_the_storage_trace() {
    // Steps 1..=6 now, step 7 while subscribed.
    let f = tokio::task::spawn_blocking(|| fixture(LAST - 1))
        .await
        .expect("fixture");
    let (server, url) = start(Arc::clone(&f.backend), test_config()).await;
    let c = client(&url).await;
    let keys = report_keys();
    let info: ServiceInfo = marmalade_codec::decode_all(
        &raw(&f.steps[5], &service_info_key(SERVICE)).expect("service 0 exists"),
        ChainSpec::TINY.seq_lens(),
    )
    .expect("service info decodes");
    let code_hash = info.code_hash;
    let code_len = raw(&f.steps[5], &preimage_key(SERVICE, &code_hash))
        .expect("the code preimage is stored")
        .len() as u32;
    let key = keys
        .iter()
        .find(|k| {
            raw(&f.steps[5], &storage_key(SERVICE, k)).is_none()
                && raw(&load_step(SET, LAST), &storage_key(SERVICE, k)).is_some()
        })
        .expect("a key that step 7 writes")
        .clone();

    let mut best = subscribed(&c, "BestBlock", vec![]).await;
    let mut fin = subscribed(&c, "FinalizedBlock", vec![]).await;
    let mut value = subscribed(
        &c,
        "ServiceValue",
        vec![json!(SERVICE), b64(&key), json!(false)],
    )
    .await;
    let mut stats = subscribed(&c, "Statistics", vec![json!(false)]).await;
    let mut data = subscribed(&c, "ServiceData", vec![json!(SERVICE), json!(true)]).await;
    let mut preimage = subscribed(
        &c,
        "ServicePreimage",
        vec![json!(SERVICE), b64(&code_hash), json!(false)],
    )
    .await;
    let mut request = subscribed(
        &c,
        "ServiceRequest",
        vec![
            json!(SERVICE),
            b64(&code_hash),
            json!(code_len),
            json!(false),
        ],
    )
    .await;

    // The first notifications: the current values, at step 6.
    let h6 = header_hash(&f.steps[5].block.header);
    let h4 = header_hash(&f.steps[3].block.header);
    assert_eq!(next(&mut best).await, json!([b64(&h6), 6]));
    assert_eq!(next(&mut fin).await, json!([b64(&h4), 4]));
    assert_eq!(next(&mut value).await, Value::Null);
    let stat_key = component_key(Component::Statistics as u8);
    assert_eq!(
        unb64(&next(&mut stats).await),
        raw(&f.steps[5], &stat_key).expect("statistics")
    );
    // Finalized: step 4's state.
    assert_eq!(
        unb64(&next(&mut data).await),
        raw(&f.steps[3], &service_info_key(SERVICE)).expect("service 0 at step 4")
    );
    let code_blob = unb64(&next(&mut preimage).await);
    assert_eq!(
        blake2b_256(&code_blob),
        code_hash,
        "the preimage hashes to the code hash"
    );
    let slots = next(&mut request).await;
    let expected_request = raw(&f.steps[5], &lookup_key(SERVICE, &code_hash, code_len))
        .expect("the code's request item");
    let decoded: Vec<u32> =
        marmalade_codec::decode_all(&expected_request, ChainSpec::TINY.seq_lens()).expect("slots");
    assert_eq!(slots, json!(decoded));

    // Step 7: new best, finalized, value, statistics.
    let step7 = load_step(SET, LAST);
    let backend = Arc::clone(&f.backend);
    let block = step7.block.clone();
    tokio::task::spawn_blocking(move || backend.import(&block))
        .await
        .expect("join")
        .expect("step 7 imports");
    let h7 = header_hash(&step7.block.header);
    let h5 = header_hash(&f.steps[4].block.header);
    // Cross-check of the header hash with the trace: the next block names it as its parent.
    assert_eq!(h7, load_step(SET, LAST + 1).block.header.parent);
    assert_eq!(next(&mut best).await, json!([b64(&h7), 7]));
    assert_eq!(next(&mut fin).await, json!([b64(&h5), 5]));
    let stored = raw(&step7, &storage_key(SERVICE, &key)).expect("written at step 7");
    assert_eq!(unb64(&next(&mut value).await), stored);
    assert_eq!(
        unb64(&next(&mut stats).await),
        raw(&step7, &stat_key).expect("statistics")
    );

    // Methods at step 7.
    let best_b64 = b64(&h7);
    assert_eq!(get(&c, "bestBlock", vec![]).await, json!([best_b64, 7]));
    assert_eq!(
        get(&c, "finalizedBlock", vec![]).await,
        json!([b64(&h5), 5])
    );
    assert_eq!(
        get(&c, "parent", vec![best_b64.clone()]).await,
        json!([b64(&step7.block.header.parent), 6])
    );
    assert_eq!(step7.block.header.parent, h6);
    assert_eq!(
        call(&c, "parent", vec![b64(&[9; 32])]).await.unwrap(),
        Value::Null
    );
    assert_eq!(
        unb64(&get(&c, "stateRoot", vec![best_b64.clone()]).await),
        step7.post_state.state_root
    );
    // The recorded root of step 6 is the parent state root of step 7's header.
    assert_eq!(
        unb64(&get(&c, "stateRoot", vec![b64(&h6)]).await),
        step7.block.header.parent_state_root
    );
    assert_eq!(
        call(&c, "stateRoot", vec![b64(&[9; 32])]).await.unwrap(),
        Value::Null
    );
    assert_eq!(
        unb64(&get(&c, "statistics", vec![best_b64.clone()]).await),
        raw(&step7, &stat_key).unwrap()
    );
    assert_eq!(
        call(&c, "statistics", vec![b64(&[9; 32])]).await.unwrap(),
        Value::Null
    );
    assert_eq!(
        unb64(&get(&c, "serviceData", vec![best_b64.clone(), json!(SERVICE)]).await),
        raw(&step7, &service_info_key(SERVICE)).unwrap()
    );
    assert_eq!(
        get(&c, "serviceData", vec![best_b64.clone(), json!(77)]).await,
        Value::Null
    );
    // Every key of the report: the recorded value or null.
    let mut held = 0;
    for k in &keys {
        let got = get(
            &c,
            "serviceValue",
            vec![best_b64.clone(), json!(SERVICE), b64(k)],
        )
        .await;
        match raw(&step7, &storage_key(SERVICE, k)) {
            Some(v) => {
                held += 1;
                assert_eq!(unb64(&got), v);
                // The storage service writes each key with itself as the value.
                assert_eq!(&v, k);
            }
            None => assert_eq!(got, Value::Null),
        }
    }
    assert!(held >= 1, "the post-state of step 7 holds report keys");
    let pre = get(
        &c,
        "servicePreimage",
        vec![best_b64.clone(), json!(SERVICE), b64(&code_hash)],
    )
    .await;
    assert_eq!(
        unb64(&pre),
        raw(&step7, &preimage_key(SERVICE, &code_hash)).unwrap()
    );
    assert_eq!(
        get(
            &c,
            "servicePreimage",
            vec![best_b64.clone(), json!(SERVICE), b64(&[1; 32])]
        )
        .await,
        Value::Null
    );
    // The request of the code's length, and none for another length.
    for (len, expected) in [(code_len, json!(decoded)), (code_len + 1, Value::Null)] {
        let params = vec![
            best_b64.clone(),
            json!(SERVICE),
            b64(&code_hash),
            json!(len),
        ];
        assert_eq!(get(&c, "serviceRequest", params).await, expected, "{len}");
    }
    // The services: those with an account key (255, s) in the recorded post-state.
    let mut services: Vec<u32> = step7
        .post_state
        .keyvals
        .iter()
        .filter(|kv| kv.key[0] == 255 && kv.key[1..].iter().skip(8).all(|&b| b == 0))
        .map(|kv| u32::from_le_bytes([kv.key[1], kv.key[3], kv.key[5], kv.key[7]]))
        .collect();
    services.sort();
    assert_eq!(
        get(&c, "listServices", vec![best_b64.clone()]).await,
        json!(services)
    );
    // BEEFY root: β_H's last entry in the recorded post-state is block 7's.
    let post = State::from_key_values(
        &ChainSpec::TINY,
        step7
            .post_state
            .keyvals
            .iter()
            .map(|kv| (kv.key, kv.value.as_slice())),
    )
    .expect("post-state decodes");
    let last = post.components.beta.history.last().expect("recent history");
    assert_eq!(last.header_hash, h7);
    assert_eq!(
        unb64(&get(&c, "beefyRoot", vec![best_b64.clone()]).await),
        last.beefy_root
    );
    assert_eq!(
        call(&c, "beefyRoot", vec![b64(&[9; 32])]).await.unwrap(),
        Value::Null
    );
    let params = get(&c, "parameters", vec![]).await;
    assert_eq!(params["V1"]["val_count"], 6);
    assert_eq!(params["V1"]["epoch_period"], 12);
    assert_eq!(params["V1"]["basic_piece_len"], 4);
    assert_eq!(params["V1"]["min_turnaround_period"], 32);
    // Submissions: not supported by this backend, as an error.
    let e = call(
        &c,
        "submitWorkPackage",
        vec![json!(0), b64(b"package"), json!([b64(b"x")])],
    )
    .await
    .unwrap_err();
    assert_eq!(code(e), marmalade_rpc::NOT_SUPPORTED_CODE);
    let e = call(
        &c,
        "submitPreimage",
        vec![json!(SERVICE), b64(b"preimage"), best_b64.clone()],
    )
    .await
    .unwrap_err();
    assert_eq!(code(e), marmalade_rpc::NOT_SUPPORTED_CODE);
    // Unknown blocks for state reads that have no null.
    let e = call(
        &c,
        "serviceValue",
        vec![b64(&[9; 32]), json!(SERVICE), b64(&key)],
    )
    .await
    .unwrap_err();
    assert_eq!(code(e), marmalade_rpc::BLOCK_UNAVAILABLE_CODE);

    // Unsubscribing works and the connection goes on.
    value.unsubscribe().await.expect("unsubscribe");
    assert_eq!(get(&c, "bestBlock", vec![]).await, json!([best_b64, 7]));
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_calls_get_errors_and_the_server_keeps_serving() {
    let f = tokio::task::spawn_blocking(|| fixture(1))
        .await
        .expect("fixture");
    let h1 = header_hash(&f.steps[0].block.header);
    let config = RpcConfig {
        max_subscriptions_per_connection: 3,
        ..test_config()
    };
    let (server, url) = start(Arc::clone(&f.backend), config).await;
    let c = client(&url).await;
    let ok = json!([b64(&h1), 1]);

    // Unknown method.
    let e = call(&c, "chain_getBlock", vec![]).await.unwrap_err();
    assert_eq!(code(e), -32601);
    // Wrong types, lengths and counts of parameters.
    for (method, params) in [
        ("stateRoot", vec![json!(12)]),
        ("stateRoot", vec![b64(&[0; 31])]),
        ("stateRoot", vec![json!("not base64!")]),
        ("stateRoot", vec![]),
        ("parent", vec![b64(&h1), json!(1)]),
        ("serviceData", vec![b64(&h1), json!(-1)]),
        ("serviceData", vec![b64(&h1), json!(1u64 << 32)]),
        ("serviceValue", vec![b64(&h1), json!(0), json!([1, 2])]),
        ("serviceRequest", vec![b64(&h1), json!(0), b64(&[0; 32])]),
        ("submitWorkPackage", vec![json!(70000), b64(b""), json!([])]),
        ("listServices", vec![json!(null)]),
    ] {
        let e = call(&c, method, params.clone()).await.unwrap_err();
        assert_eq!(code(e), -32602, "{method} {params:?}");
    }
    // A subscription with bad parameters is refused.
    let e = subscribe(&c, "ServiceValue", vec![json!("zero"), json!(1)])
        .await
        .unwrap_err();
    assert_eq!(code(e), -32602);
    assert_eq!(get(&c, "bestBlock", vec![]).await, ok);

    // Too many subscriptions on one connection: the fourth is refused, the three stay.
    let mut subs = Vec::new();
    for _ in 0..3 {
        subs.push(
            subscribe(&c, "BestBlock", vec![])
                .await
                .expect("within the limit"),
        );
    }
    let e = subscribe(&c, "BestBlock", vec![]).await.unwrap_err();
    assert_eq!(code(e), -32006);
    for s in &mut subs {
        assert_eq!(next(s).await, ok);
    }
    assert_eq!(get(&c, "bestBlock", vec![]).await, ok);

    // An oversized request (2 MiB of key against a 1 MiB limit) fails; the server serves on.
    let big = vec![0u8; 2 << 20];
    let r = call(&c, "serviceValue", vec![b64(&h1), json!(0), b64(&big)]).await;
    assert!(r.is_err(), "an oversized request must fail");
    let c2 = client(&url).await;
    assert_eq!(get(&c2, "bestBlock", vec![]).await, ok);
    // Just under the limit is served.
    let fits = vec![0u8; 512 << 10];
    assert_eq!(
        get(&c2, "serviceValue", vec![b64(&h1), json!(0), b64(&fits)]).await,
        Value::Null
    );
    server.stop();
}
