//! The node on the embedded L1 (revm behind Ethereum JSON-RPC): the same contracts deployed
//! with the same code, and the same deposit → transfer → withdrawal → L1 payout flow as on
//! anvil.

mod support;

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use jsonrpsee::ws_client::WsClientBuilder;
use support::node::*;
use support::*;
use verity_prover::keys::verifying_key_hash;
use verity_sequencer::l1::deploy::{deploy, DeployConfig, Deployment};
use verity_sequencer::l1::embedded::{EmbeddedConfig, EmbeddedL1};
use verity_sequencer::node::events::BatchStatus;
use verity_sequencer::node::Node;
use verity_sequencer::rpc::api::VerityApiClient;

/// The embedded L1 with Verity deployed, and a node on it.
struct Devnet {
    l1: EmbeddedL1,
    deployment: Deployment,
    node: Node,
    dir: tempfile::TempDir,
}

async fn devnet() -> Devnet {
    let prover = Arc::new(prover());
    let l1 = EmbeddedL1::start(EmbeddedConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        chain_id: 1337,
        dev_accounts: 5,
        dev_balance: U256::from(10u64).pow(U256::from(21u64)),
        block_time: Duration::from_millis(500),
    })
    .await
    .unwrap();
    let url = l1.url();
    let operator = Owner::new(&url, l1.dev_keys[0].clone());
    assert_eq!(operator.provider.get_chain_id().await.unwrap(), 1337);
    let config = DeployConfig {
        depth: SIZE.depth,
        fee_slots: SIZE.fee_slots,
        priority_window_seconds: 3600,
        verifiers: vec![(
            SIZE.slots,
            prover.verifying_key().clone(),
            verifying_key_hash(prover.verifying_key()),
        )],
    };
    let deployment = deploy(&operator.provider, &config).await.unwrap();
    let code = operator
        .provider
        .get_code_at(deployment.rollup)
        .await
        .unwrap();
    assert!(
        !code.is_empty(),
        "the Rollup's bytecode runs on the embedded EVM"
    );
    let dir = tempfile::tempdir().unwrap();
    let submitter = ProviderBuilder::new()
        .wallet(l1.dev_keys[1].clone())
        .connect_http(url.parse().unwrap())
        .erased();
    let node = start_node(
        &deployment,
        submitter,
        prover,
        &dir.path().join("node"),
        0,
        300,
    )
    .await;
    Devnet {
        l1,
        deployment,
        node,
        dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_transfer_withdraw_end_to_end_on_the_embedded_l1() {
    let Devnet {
        l1,
        deployment,
        node,
        dir: _dir,
    } = devnet().await;
    let url = l1.url();
    let ws = WsClientBuilder::default()
        .build(format!("ws://{}", node.rpc_addr))
        .await
        .unwrap();
    let mut batches = ws.subscribe_batches().await.unwrap();
    let owners: Vec<Owner> = l1.dev_keys[2..5]
        .iter()
        .map(|key| Owner::new(&url, key.clone()))
        .collect();
    payment_flow(&client(&node), &deployment, &owners).await;
    let mut seen = Vec::new();
    while !seen.contains(&(1, BatchStatus::Finalized)) {
        let event = tokio::time::timeout(Duration::from_secs(60), batches.next())
            .await
            .expect("batch events arrive")
            .unwrap()
            .unwrap();
        seen.push((event.number, event.status));
    }
    let order: Vec<BatchStatus> = seen.iter().filter(|(n, _)| *n == 1).map(|e| e.1).collect();
    assert_eq!(
        order,
        [
            BatchStatus::Executed,
            BatchStatus::Proven,
            BatchStatus::Finalized
        ],
        "subscribers see batch 1 go executed → proven → finalized"
    );
    node.stop().await.unwrap();
    l1.stop().await;
}

/// Runs `verity wallet ARGS` and parses its JSON.
async fn wallet(args: &[&str]) -> serde_json::Value {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .arg("wallet")
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "verity wallet {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_commands_deposit_transfer_withdraw_and_claim() {
    let net = devnet().await;
    let deployment_file = net.dir.path().join("deployment.json");
    std::fs::write(
        &deployment_file,
        serde_json::to_string(&net.deployment).unwrap(),
    )
    .unwrap();
    let deployment_file = deployment_file.to_str().unwrap();
    let (l1_url, rpc_url) = (net.l1.url(), format!("http://{}", net.node.rpc_addr));
    let l1_key = |i: usize| {
        format!(
            "{}",
            alloy::primitives::B256::from(net.l1.dev_keys[i].to_bytes())
        )
    };
    let (alice, bob) = (key(1), key(2));
    let hex_key =
        |k: &verity_circuits::eddsa::PrivateKey| format!("0x{}", hex::encode(k.to_bytes()));
    for (l2, l1) in [(&alice, 2), (&bob, 3)] {
        let deposited = wallet(&[
            "deposit",
            "--l1-rpc",
            &l1_url,
            "--deployment",
            deployment_file,
            "--l1-key",
            &l1_key(l1),
            "--private-key",
            &hex_key(l2),
            "--amount",
            "500000",
        ])
        .await;
        assert!(deposited["l1_tx_hash"].is_string());
    }
    let balance = |k: &verity_circuits::eddsa::PrivateKey| {
        let packed = format!("0x{}", hex::encode(k.public_key().pack()));
        let rpc_url = rpc_url.clone();
        async move {
            let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
                .args([
                    "wallet",
                    "balance",
                    "--rpc",
                    &rpc_url,
                    "--public-key",
                    &packed,
                ])
                .output()
                .await
                .unwrap();
            output
                .status
                .success()
                .then(|| serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap())
        }
    };
    let alice_account = eventually(60, "alice's deposit", || balance(&alice)).await;
    let bob_account = eventually(60, "bob's deposit", || balance(&bob)).await;
    let (from, to) = (
        alice_account[0]["index"].to_string(),
        bob_account[0]["index"].to_string(),
    );

    let sent = wallet(&[
        "transfer",
        "--rpc",
        &rpc_url,
        "--private-key",
        &hex_key(&alice),
        "--from",
        &from,
        "--to",
        &to,
        "--amount",
        "1000",
    ])
    .await;
    let hash = sent["hash"].as_str().unwrap().to_owned();
    let recipient = net.l1.dev_keys[4].address().to_string();
    wallet(&[
        "withdraw",
        "--rpc",
        &rpc_url,
        "--private-key",
        &hex_key(&bob),
        "--from",
        &to,
        "--l1-recipient",
        &recipient,
        "--amount",
        "2000",
    ])
    .await;
    let status = eventually(120, "the transfer final", || async {
        let status = wallet(&["status", "--rpc", &rpc_url, "--tx", &hash]).await;
        (status["status"] == "finalized").then_some(status)
    })
    .await;
    assert!(status["l1_tx_hash"].is_string());
    eventually(120, "every batch final", || async {
        let chain = wallet(&["status", "--rpc", &rpc_url]).await;
        (chain["pending_transactions"] == 0).then_some(())
    })
    .await;
    let bob_after = balance(&bob).await.unwrap();
    assert_eq!(bob_after[0]["balance"], "499000");
    assert_eq!(bob_after[0]["nonce"], 1);

    let owner = Owner::new(&l1_url, net.l1.dev_keys[4].clone());
    let before = owner.provider.get_balance(owner.address).await.unwrap();
    let claimed = wallet(&[
        "claim",
        "--l1-rpc",
        &l1_url,
        "--deployment",
        deployment_file,
        "--l1-key",
        &l1_key(4),
    ])
    .await;
    let receipt = owner
        .provider
        .get_transaction_receipt(claimed["l1_tx_hash"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    let after = owner.provider.get_balance(owner.address).await.unwrap();
    assert_eq!(after + gas - before, U256::from(2000u64));
    net.node.stop().await.unwrap();
    net.l1.stop().await;
}
