//! The node's JIP-2 server over a real WebSocket while the node authors on the `dev` chain:
//! `bestBlock` follows the authored blocks, and the best and finalized subscriptions are
//! notified by the authoring node's own imports. Expected hashes and slots come from the
//! blocks [`Node::author`] returns, not from the server.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::core::params::ArrayParams;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use marmalade_node::{dev_key_set, Authored, Genesis, Node, RpcConfig};
use serde_json::{json, Value};
use std::time::Duration;

fn desc(a: &Authored) -> Value {
    json!([STANDARD.encode(a.hash), a.block.header.slot])
}

async fn next(sub: &mut Subscription<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(30), sub.next())
        .await
        .expect("a notification within 30 s")
        .expect("subscription open")
        .expect("notification decodes")
}

async fn best(c: &WsClient) -> Value {
    c.request("bestBlock", ArrayParams::new())
        .await
        .expect("bestBlock")
}

#[test]
fn rpc_follows_the_authoring_node() {
    let (genesis, spec) = Genesis::dev().expect("the dev chain");
    marmalade_crypto::bandersnatch::prepare_ring(spec.validators).expect("ring");
    // Finality depth 1: each block finalizes its parent.
    let mut node = Node::new(spec, &genesis, dev_key_set(spec.validators), 1).expect("node");
    let rpc = node
        .serve_rpc(&RpcConfig::on(0, false))
        .expect("serves on a free port");
    assert_ne!(rpc.local_addr().port(), 0, "the bound port is reported");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("ws://{}", rpc.local_addr());
    let c = rt
        .block_on(WsClientBuilder::default().build(&url))
        .expect("connects");
    let genesis_desc = json!([STANDARD.encode(genesis.header.hash()), 0]);
    assert_eq!(rt.block_on(best(&c)), genesis_desc);
    let (mut best_sub, mut final_sub) = rt.block_on(async {
        let b: Subscription<Value> = c
            .subscribe(
                "subscribeBestBlock",
                ArrayParams::new(),
                "unsubscribeBestBlock",
            )
            .await
            .expect("subscribes");
        let f: Subscription<Value> = c
            .subscribe(
                "subscribeFinalizedBlock",
                ArrayParams::new(),
                "unsubscribeFinalizedBlock",
            )
            .await
            .expect("subscribes");
        (b, f)
    });
    // Both subscriptions start with the current block: the genesis.
    assert_eq!(rt.block_on(next(&mut best_sub)), genesis_desc);
    assert_eq!(rt.block_on(next(&mut final_sub)), genesis_desc);

    let mut authored = Vec::new();
    for slot in 1..=3 {
        let a = node.author(slot).expect("authors").expect("all keys: ours");
        // Each import notifies the best-block subscribers, and bestBlock answers it.
        assert_eq!(rt.block_on(next(&mut best_sub)), desc(&a), "slot {slot}");
        assert_eq!(rt.block_on(best(&c)), desc(&a), "slot {slot}");
        authored.push(a);
    }
    // At depth 1, blocks 1 and 2 became final in turn.
    assert_eq!(rt.block_on(next(&mut final_sub)), desc(&authored[0]));
    assert_eq!(rt.block_on(next(&mut final_sub)), desc(&authored[1]));
    assert_eq!(authored[2].finalized, Some(authored[1].hash));
    drop(c);
    drop(rpc);
}
