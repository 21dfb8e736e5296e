//! The node against anvil: deposits on L1 become accounts, transfers and withdrawals sent
//! through the RPC are proven and finalized on L1, and the withdrawn ETH arrives; refusals
//! are JSON-RPC errors with stable codes that change nothing; a deposit dropped by a reorg
//! is never credited.

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use verity_circuits::ops::{L2Tx, Transfer, Withdraw};
use verity_rpc_api::VerityApiClient;

use crate::support::node::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_transfer_withdraw_end_to_end_on_anvil() {
    let (chain, _dir, node) = anvil_node(0, 300).await;
    let url = chain.anvil.endpoint();
    let owners: Vec<Owner> = chain.anvil.keys()[1..4]
        .iter()
        .map(|key| {
            let bytes = alloy::primitives::B256::from_slice(&key.to_bytes());
            Owner::new(&url, PrivateKeySigner::from_bytes(&bytes).unwrap())
        })
        .collect();
    payment_flow(&client(&node), &chain.deployment, &owners).await;
    node.stop().await.unwrap();
}

/// Sends `params` to `method` and returns the JSON-RPC error code.
async fn error_code(rpc: &HttpClient, method: &str, params: serde_json::Value) -> i32 {
    let params = match params {
        serde_json::Value::Array(items) => {
            let mut builder = jsonrpsee::core::params::ArrayParams::new();
            for item in items {
                builder.insert(item).unwrap();
            }
            builder
        }
        other => panic!("array params expected, got {other}"),
    };
    match rpc
        .request::<serde_json::Value, _>(method, params)
        .await
        .expect_err("must be refused")
    {
        jsonrpsee::core::client::Error::Call(error) => error.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_clear_errors_and_change_nothing() {
    let (chain, _dir, node) = anvil_node(0, 60_000).await;
    let rpc = client(&node);
    let (alice, bob) = (key(1), key(2));
    let owners = chain.anvil.addresses();
    deposit(&chain.rollup, &eth_deposit(&alice, owners[1], 1_000)).await;
    deposit(&chain.rollup, &eth_deposit(&bob, owners[2], 1_000)).await;
    eventually(60, "deposits", || balance_of(&rpc, &bob)).await;
    let domain = chain.deployment.domain();
    let transfer = |amount, nonce, token| Transfer {
        from: 0,
        to: 1,
        token,
        amount,
        fee: 0,
        nonce,
    };
    rpc.send_transaction(L2Tx::sign_transfer(transfer(10, 0, 0), &alice, &domain))
        .await
        .unwrap();
    let before = rpc.chain_info().await.unwrap();

    let send = |tx: L2Tx| serde_json::json!([tx]);
    let bad_signature = L2Tx::sign_transfer(transfer(10, 1, 0), &bob, &domain);
    let replayed = L2Tx::sign_transfer(transfer(10, 0, 0), &alice, &domain);
    let overspend = L2Tx::sign_transfer(transfer(5_000, 1, 0), &alice, &domain);
    let unknown_token = L2Tx::sign_transfer(transfer(10, 1, 7), &alice, &domain);
    let unknown_account = L2Tx::sign_transfer(
        Transfer {
            to: 9,
            ..transfer(10, 1, 0)
        },
        &alice,
        &domain,
    );
    let withdraw_to = |to| {
        let withdraw = Withdraw {
            from: 0,
            token: 0,
            amount: 10,
            fee: 0,
            nonce: 1,
            to,
        };
        send(L2Tx::sign_withdraw(withdraw, &alice, &domain))
    };
    let cases = [
        ("bad signature", send(bad_signature), 1001),
        ("withdrawal to 0x0", withdraw_to(Address::ZERO), 1017),
        (
            "withdrawal to the Rollup",
            withdraw_to(chain.deployment.rollup),
            1017,
        ),
        ("replayed nonce", send(replayed), 1002),
        ("overspend", send(overspend), 1004),
        ("unknown token", send(unknown_token), 1009),
        ("unknown account", send(unknown_account), 1008),
        (
            "malformed",
            serde_json::json!([{"type": "transfer", "from": "x"}]),
            -32602,
        ),
    ];
    for (rule, params, code) in cases {
        assert_eq!(
            error_code(&rpc, "verity_sendTransaction", params).await,
            code,
            "{rule}"
        );
    }
    let huge = "f".repeat(100 * 1024);
    let oversized: Result<serde_json::Value, _> = rpc
        .request("verity_sendTransaction", rpc_params![huge])
        .await;
    let message = format!(
        "{:?}",
        oversized.expect_err("an oversized request is refused")
    );
    assert!(
        message.contains("413") || message.contains("too big"),
        "{message}"
    );

    // The server closes the connection it refused; a pooled client could reuse it before
    // seeing the close, so the checks go through a fresh connection.
    let rpc = client(&node);
    let after = rpc.chain_info().await.unwrap();
    assert_eq!(after.latest_closed, before.latest_closed);
    assert_eq!(after.pending_transactions, 1);
    assert_eq!(balance_of(&rpc, &alice).await, Some((0, 990)));

    // The mempool holds at most three transactions per account until they are final.
    for nonce in 1..3 {
        rpc.send_transaction(L2Tx::sign_transfer(transfer(1, nonce, 0), &alice, &domain))
            .await
            .unwrap();
    }
    let fourth = L2Tx::sign_transfer(transfer(1, 3, 0), &alice, &domain);
    assert_eq!(
        error_code(&rpc, "verity_sendTransaction", send(fourth)).await,
        1015,
        "per-account limit"
    );
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_dropped_by_a_reorg_is_never_credited() {
    let (chain, _dir, node) = anvil_node(3, 300).await;
    let rpc = client(&node);
    let (alice, bob) = (key(1), key(2));
    let owners = chain.anvil.addresses();
    let snapshot: U256 = chain
        .provider
        .raw_request("evm_snapshot".into(), ())
        .await
        .unwrap();
    deposit(&chain.rollup, &eth_deposit(&alice, owners[1], 1_000)).await;
    // The deposit's block is replaced before it is three blocks deep.
    let mine = || async {
        let _: String = chain
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .unwrap();
    };
    mine().await;
    let _: bool = chain
        .provider
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .unwrap();
    deposit(&chain.rollup, &eth_deposit(&bob, owners[2], 2_000)).await;
    for _ in 0..4 {
        mine().await;
    }
    let (index, balance) = eventually(60, "bob's deposit", || balance_of(&rpc, &bob)).await;
    assert_eq!((index, balance), (0, 2_000));
    assert!(balance_of(&rpc, &alice).await.is_none());
    let info = rpc.chain_info().await.unwrap();
    assert!(info.l1_scanned_block >= chain.provider.get_block_number().await.unwrap() - 3);
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_batch_under_the_nodes_number_stops_the_node() {
    // The submitter's error (both sides' commitment and root) shows with --nocapture.
    let _ = tracing_subscriber::fmt()
        // Only Verity's: arkworks' spans would format whole constraint systems.
        .with_env_filter("verity_node=info,verity_fleet=info")
        .with_test_writer()
        .try_init();
    let prover = Arc::new(prover());
    let chain = chain(&prover, 3600).await;
    // Someone else lands an empty batch 1 before the node's batch 1 (with a deposit).
    let (_, foreign, proof) =
        crate::support::Node::new(&chain.deployment, 0).prepare(&prover, |_| {});
    submit(&chain.rollup, &foreign, &proof).await;
    let owner = chain.anvil.addresses()[1];
    deposit(&chain.rollup, &eth_deposit(&key(1), owner, 1_000)).await;
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(
        &chain.deployment,
        chain.provider.clone(),
        prover,
        dir.path(),
        0,
        300,
    )
    .await;
    // The node proves its batch 1, finds L1's batch 1 is not it, and stops instead of
    // finalizing it or retrying.
    eventually(120, "the node to stop", || async {
        node.sequencer.status().await.is_none().then_some(())
    })
    .await;
    assert_eq!(chain.rollup.batchNumber().call().await.unwrap(), 1);
    // The RPC may still answer reads: the node proved its batch 1 and never took L1's as it.
    if let Ok(info) = client(&node).chain_info().await {
        assert_eq!(info.latest_proven, 1);
        assert_eq!(
            info.latest_finalized, 0,
            "the foreign batch taken as the node's"
        );
    }
    node.stop().await.unwrap();
}

/// A node whose operator role is taken away shows its submitter `retrying` with L1's refusal
/// in `verity_chainInfo`, and finalizes the batch once the governor appoints it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_shows_retrying_until_the_operator_is_back() {
    use verity_rpc_api::health::{Stage, StageStatus};
    let (chain, _dir, node) = anvil_node(0, 300).await;
    let operator = chain.anvil.addresses()[0];
    mined(chain.rollup.setOperator(operator, false)).await;
    let owner = chain.anvil.addresses()[1];
    deposit(&chain.rollup, &eth_deposit(&key(1), owner, 1_000)).await;
    let rpc = client(&node);
    let refusal = eventually(120, "the submitter retrying", || async {
        let info = rpc.chain_info().await.ok()?;
        let submitter = info.health.get(&Stage::Submitter)?.clone();
        (submitter.status == StageStatus::Retrying).then_some(submitter)
    })
    .await;
    let not_operator = alloy::hex::encode(&alloy::primitives::keccak256("NotOperator()")[..4]);
    let error = refusal.error.expect("a retrying stage keeps its error");
    assert!(error.contains(&not_operator), "{error}");
    assert!(refusal.failures >= 1);
    assert_eq!(chain.rollup.batchNumber().call().await.unwrap(), 0);

    mined(chain.rollup.setOperator(operator, true)).await;
    eventually(120, "the batch final and the submitter running", || async {
        let info = rpc.chain_info().await.ok()?;
        let submitter = info.health.get(&Stage::Submitter)?;
        (info.latest_finalized == 1 && submitter.status == StageStatus::Running).then_some(())
    })
    .await;
    assert_eq!(chain.rollup.batchNumber().call().await.unwrap(), 1);
    node.stop().await.unwrap();
}

/// A withdrawal to a contract that accepts ETH in the gas estimate's simulation (no gas
/// price) and refuses it on chain: mined, the payment falls back to a pending balance, which
/// costs more gas than the estimate had. The submitter's headroom covers it, so the batch is
/// final at the first try and the contract can claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_refusing_only_on_chain_never_stalls_the_submitter() {
    let (chain, _dir, node) = anvil_node(0, 300).await;
    let rpc = client(&node);
    let bytes = alloy::primitives::B256::from_slice(&chain.anvil.keys()[1].to_bytes());
    let owner = Owner::new(
        &chain.anvil.endpoint(),
        PrivateKeySigner::from_bytes(&bytes).unwrap(),
    );
    let alice = key(1);
    owner.deposit(&chain.deployment, &alice, 1_000_000).await;
    let (from, _) = eventually(60, "alice's deposit", || balance_of(&rpc, &alice)).await;
    let refuser = verity_l1::contracts::GasPriceRefuser::deploy(&chain.provider)
        .await
        .unwrap();
    let withdraw = Withdraw {
        from,
        token: 0,
        amount: 1_000,
        fee: 0,
        nonce: 0,
        to: *refuser.address(),
    };
    let domain = chain.deployment.domain();
    let hash = rpc
        .send_transaction(L2Tx::sign_withdraw(withdraw, &alice, &domain))
        .await
        .unwrap();
    eventually(120, "the withdrawal final on L1", || async {
        let info = rpc.get_transaction(hash).await.ok()?;
        (info.status == verity_rpc_api::events::BatchStatus::Finalized).then_some(())
    })
    .await;
    let rollup = verity_l1::contracts::Rollup::new(chain.deployment.rollup, &chain.provider);
    assert_eq!(
        rollup
            .pendingWithdrawals(*refuser.address(), 0)
            .call()
            .await
            .unwrap(),
        U256::from(1_000u64)
    );
    let health = rpc.chain_info().await.unwrap().health;
    let submitter = &health[&verity_rpc_api::health::Stage::Submitter];
    assert_eq!(
        submitter.failures, 0,
        "final at the first try: {submitter:?}"
    );
    node.stop().await.unwrap();
}
