//! The node against anvil: deposits on L1 become accounts, transfers and withdrawals sent
//! through the RPC are proven and finalized on L1, and the withdrawn ETH arrives; refusals
//! are JSON-RPC errors with stable codes that change nothing; a deposit dropped by a reorg
//! is never credited.

mod support;

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use support::*;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, L2Tx, Transfer, Withdraw};
use verity_sequencer::node::events::BatchStatus;
use verity_sequencer::rpc::api::{AccountRef, VerityApiClient};

fn key(byte: u8) -> PrivateKey {
    PrivateKey::from_bytes([byte; 32])
}

fn client(node: &verity_sequencer::node::Node) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://{}", node.rpc_addr))
        .unwrap()
}

fn packed(key: &PrivateKey) -> AccountRef {
    AccountRef::Key(format!("0x{}", hex::encode(key.public_key().pack())))
}

/// The balance of `key`'s ETH account once the node shows one.
async fn balance_of(client: &HttpClient, key: &PrivateKey) -> Option<(u32, u128)> {
    let accounts = client.get_account(packed(key)).await.ok()?;
    let account = accounts.first()?;
    Some((account.index, account.balance.parse().unwrap()))
}

fn eth_deposit(key: &PrivateKey, owner: Address, amount: u128) -> Deposit {
    Deposit {
        pubkey: key.public_key(),
        l1_address: owner,
        token: 0,
        amount,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_transfer_withdraw_end_to_end_on_anvil() {
    let prover = Arc::new(prover());
    let chain = chain(&prover, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(&chain, prover, dir.path(), 0, 300).await;
    let rpc = client(&node);
    let (alice, bob) = (key(1), key(2));
    let owners = chain.anvil.addresses();
    let (alice_l1, bob_l1) = (owners[1], owners[2]);
    deposit(&chain.rollup, &eth_deposit(&alice, alice_l1, 1_000_000)).await;
    deposit(&chain.rollup, &eth_deposit(&bob, bob_l1, 5_000)).await;
    let (from, _) = eventually(60, "alice's deposit", || balance_of(&rpc, &alice)).await;
    let (to, _) = eventually(60, "bob's deposit", || balance_of(&rpc, &bob)).await;

    let domain = chain.deployment.domain();
    let transfer = Transfer {
        from,
        to,
        token: 0,
        amount: 250_000,
        fee: 0,
        nonce: 0,
    };
    let hash = rpc
        .send_transaction(L2Tx::sign_transfer(transfer, &alice, &domain))
        .await
        .unwrap();
    assert_eq!(balance_of(&rpc, &bob).await, Some((to, 255_000)));
    let recipient = Address::repeat_byte(0x77);
    let withdraw = Withdraw {
        from: to,
        token: 0,
        amount: 100_000,
        fee: 0,
        nonce: 0,
        to: recipient,
    };
    let withdrawal = rpc
        .send_transaction(L2Tx::sign_withdraw(withdraw, &bob, &domain))
        .await
        .unwrap();

    let info = eventually(300, "the withdrawal final on L1", || async {
        let info = rpc.get_transaction(withdrawal).await.ok()?;
        (info.status == BatchStatus::Finalized).then_some(info)
    })
    .await;
    assert!(info.l1_tx_hash.is_some());
    let transfer_info = rpc.get_transaction(hash).await.unwrap();
    assert_eq!(transfer_info.status, BatchStatus::Finalized);
    let batch = rpc.get_batch(info.batch.unwrap()).await.unwrap();
    assert_eq!(batch.status, BatchStatus::Finalized);
    let proof = batch.proof.expect("a finalized batch has its proof");
    assert_eq!(proof.proof["protocol"], "groth16");
    let chain_info = rpc.chain_info().await.unwrap();
    let on_chain_root = chain.rollup.stateRoot().call().await.unwrap();
    assert_eq!(chain_info.state_root, format!("{on_chain_root:#066x}"));
    assert!(chain_info.latest_finalized >= info.batch.unwrap());

    let account_proof = rpc.get_account_proof(to).await.unwrap();
    assert_eq!(account_proof.root, chain_info.state_root);
    assert_eq!(account_proof.account.unwrap().balance, "155000");

    let before = chain.provider.get_balance(recipient).await.unwrap();
    mined(chain.rollup.withdraw(0).from(recipient)).await;
    let after = chain.provider.get_balance(recipient).await.unwrap();
    assert!(after > before, "the recipient's L1 balance grew");
    assert_eq!(after - before + U256::ZERO, U256::from(100_000u64));
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
    let prover = Arc::new(prover());
    let chain = chain(&prover, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(&chain, prover, dir.path(), 0, 60_000).await;
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
    let cases = [
        ("bad signature", send(bad_signature), 1001),
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

    let after = rpc.chain_info().await.unwrap();
    assert_eq!(after.pending_root, before.pending_root);
    assert_eq!(after.pending_transactions, 1);
    assert_eq!(balance_of(&rpc, &alice).await, Some((0, 990)));
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_dropped_by_a_reorg_is_never_credited() {
    let prover = Arc::new(prover());
    let chain = chain(&prover, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(&chain, prover, dir.path(), 3, 300).await;
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
