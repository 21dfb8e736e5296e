//! Users' sovereignty on anvil: a node runs several batches (deposits, transfers, a
//! withdrawal) and then disappears for good; a forced exit is never processed; once its
//! deadline passes anyone starts exodus; `verity reconstruct` rebuilds the state from L1 alone
//! (resuming an earlier run) to the contract's root and serves it read-only; users exit with
//! `verity wallet exit` from the rebuilt state or from a proof saved earlier, and their ETH
//! arrives on L1; a second exit and an exit of a user who never had funds fail.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use alloy::primitives::{B256, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::http_client::HttpClientBuilder;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use verity_circuits::ops::{L2Tx, Transfer};
use verity_l1::contracts::exit_siblings;
use verity_rpc_api::events::BatchStatus;
use verity_rpc_api::{AccountProof, VerityApiClient};

use crate::support::node::*;
use crate::support::*;

const WINDOW: u64 = 600;

/// Runs `verity` with `args` to the end.
async fn verity(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(args)
        .env_remove("VERITY_L1_KEY")
        .output()
        .await
        .expect("running verity")
}

/// The JSON a successful run printed.
fn printed(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("verity printed JSON")
}

/// `verity reconstruct` into `dir`; its report.
async fn reconstruct(url: &str, deployment: &Path, dir: &Path) -> Value {
    printed(
        &verity(&[
            "reconstruct",
            "--l1-rpc",
            url,
            "--deployment",
            deployment.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .await,
    )
}

/// `verity wallet exit` with `source` (`--data-dir DIR` or `--proof FILE`) for `key`.
async fn exit(url: &str, deployment: &Path, source: [&str; 2], key: &str) -> Output {
    verity(&[
        "wallet",
        "exit",
        "--l1-rpc",
        url,
        "--deployment",
        deployment.to_str().unwrap(),
        source[0],
        source[1],
        "--private-key",
        key,
        "--token",
        "0",
    ])
    .await
}

fn hex_key(key: &alloy::signers::k256::SecretKey) -> String {
    format!("0x{}", hex::encode(key.to_bytes()))
}

/// What `tx` cost its sender in wei.
async fn fee(provider: &alloy::providers::DynProvider, tx: &Value) -> U256 {
    let hash: B256 = serde_json::from_value(tx.clone()).unwrap();
    let receipt = provider
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .unwrap();
    U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_rebuild_the_state_from_l1_and_exit_without_the_operator() {
    let prover = Arc::new(prover());
    let chain = chain(&prover, WINDOW).await;
    let url = chain.anvil.endpoint();
    let dirs = tempfile::tempdir().unwrap();
    let deployment_file = dirs.path().join("deployment.json");
    std::fs::write(
        &deployment_file,
        serde_json::to_vec(&chain.deployment).unwrap(),
    )
    .unwrap();
    let rebuilt = dirs.path().join("rebuilt");
    let keys = chain.anvil.keys();
    let owners: Vec<Owner> = keys[1..4]
        .iter()
        .map(|key| {
            let bytes = B256::from_slice(&key.to_bytes());
            Owner::new(&url, PrivateKeySigner::from_bytes(&bytes).unwrap())
        })
        .collect();

    // The operator runs: deposits, a transfer and a withdrawal, then another transfer.
    let node = start_node(
        &chain.deployment,
        chain.provider.clone(),
        prover,
        &dirs.path().join("node"),
        0,
        300,
    )
    .await;
    let rpc = client(&node);
    payment_flow(&rpc, &chain.deployment, &owners).await;
    let first = reconstruct(&url, &deployment_file, &rebuilt).await;
    assert_eq!(first["from_batch"], 0);
    let first_batch = first["batch"].as_u64().unwrap();
    assert!(first_batch >= 1);

    let (alice, bob) = (key(1), key(2));
    let (alice_index, _) = balance_of(&rpc, &alice).await.unwrap();
    let (bob_index, _) = balance_of(&rpc, &bob).await.unwrap();
    let transfer = Transfer {
        from: alice_index,
        to: bob_index,
        token: 0,
        amount: 50_000,
        fee: 0,
        nonce: 1,
    };
    let hash = rpc
        .send_transaction(L2Tx::sign_transfer(
            transfer,
            &alice,
            &chain.deployment.domain(),
        ))
        .await
        .unwrap();
    eventually(300, "the second transfer final on L1", || async {
        let info = rpc.get_transaction(hash).await.ok()?;
        (info.status == BatchStatus::Finalized).then_some(())
    })
    .await;
    // Bob saves his account proof while the operator still serves it.
    let bob_proof = rpc.get_account_proof(bob_index).await.unwrap();
    let bob_proof_file = dirs.path().join("bob-proof.json");
    std::fs::write(&bob_proof_file, serde_json::to_vec(&bob_proof).unwrap()).unwrap();
    node.stop().await.unwrap();

    // The operator is gone: Alice's forced exit is never processed; after the window anyone
    // starts exodus.
    let rollup = &chain.rollup;
    mined(
        rollup
            .requestForcedExit(alice_index, 0)
            .from(owners[0].address),
    )
    .await;
    assert_reverts(rollup.activateExodus().call().await, "DeadlineNotPassed()");
    advance_time(&chain.provider, WINDOW + 1).await;
    let stranger = chain.anvil.addresses()[5];
    mined(rollup.activateExodus().from(stranger)).await;
    assert!(rollup.exodusMode().call().await.unwrap());
    assert!(
        rollup.priorityHead().call().await.unwrap() < rollup.priorityTail().call().await.unwrap()
    );

    // The rebuild resumes where the first run stopped and ends on the contract's root.
    let report = reconstruct(&url, &deployment_file, &rebuilt).await;
    let contract_root = format!("{:#066x}", rollup.stateRoot().call().await.unwrap());
    let contract_batch = rollup.batchNumber().call().await.unwrap();
    assert_eq!(report["from_batch"].as_u64().unwrap(), first_batch);
    assert_eq!(report["batch"].as_u64().unwrap(), contract_batch);
    assert!(report["batches"].as_u64().unwrap() >= 1);
    assert_eq!(report["root"], contract_root.as_str());
    assert_eq!(report["contract_root"], contract_root.as_str());
    println!("reconstruction (second run): {report}");

    // The rebuilt directory serves accounts and proofs read-only, and refuses transactions.
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args([
            "reconstruct",
            "--l1-rpc",
            &url,
            "--deployment",
            deployment_file.to_str().unwrap(),
            "--data-dir",
            rebuilt.to_str().unwrap(),
            "--rpc-addr",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let rpc_addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server's address");
        if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&line) {
            if let Some(addr) = object.get("rpc_addr") {
                break addr.as_str().unwrap().to_owned();
            }
        }
    };
    let read_only = HttpClientBuilder::default()
        .build(format!("http://{rpc_addr}"))
        .unwrap();
    let info = read_only.chain_info().await.unwrap();
    assert_eq!(info.state_root, contract_root);
    assert_eq!(info.latest_finalized, contract_batch);
    let alice_proof: AccountProof = read_only.get_account_proof(alice_index).await.unwrap();
    assert_eq!(alice_proof.root, contract_root);
    let alice_account = alice_proof.account.clone().unwrap();
    assert_eq!(alice_account.balance, "700000");
    assert_eq!(alice_account.l1_address, owners[0].address);
    let by_key = read_only.get_account(packed(&alice)).await.unwrap();
    assert_eq!(by_key[0].index, alice_index);
    let refused = read_only
        .send_transaction(L2Tx::sign_transfer(
            Transfer {
                nonce: 2,
                ..transfer
            },
            &alice,
            &chain.deployment.domain(),
        ))
        .await
        .expect_err("a read-only node takes no transactions");
    assert!(format!("{refused:?}").contains("1103"), "{refused:?}");

    // Alice exits from the rebuilt state (while the read-only node holds it open); her ETH
    // arrives on L1.
    let alice_key = hex_key(&keys[1]);
    let before = chain.provider.get_balance(owners[0].address).await.unwrap();
    let exited = printed(
        &exit(
            &url,
            &deployment_file,
            ["--data-dir", rebuilt.to_str().unwrap()],
            &alice_key,
        )
        .await,
    );
    assert_eq!(exited["exits"][0]["account"], alice_index);
    assert_eq!(exited["credited"], "700000");
    println!(
        "exodus exit gas: {}",
        exited["exits"][0]["gas_used"].as_u64().unwrap()
    );
    let after = chain.provider.get_balance(owners[0].address).await.unwrap();
    let fees = fee(&chain.provider, &exited["exits"][0]["l1_tx_hash"]).await
        + fee(&chain.provider, &exited["claim_tx_hash"]).await;
    assert_eq!(after + fees - before, U256::from(700_000u64));

    // A second exit of the same account fails, in the command and on the contract.
    let again = exit(
        &url,
        &deployment_file,
        ["--data-dir", rebuilt.to_str().unwrap()],
        &alice_key,
    )
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exited"));
    let call = |proof: &AccountProof, balance: u128| {
        let account = proof.account.as_ref().unwrap();
        rollup.exit(
            account.index,
            [
                account.public_key.x.parse().unwrap(),
                account.public_key.y.parse().unwrap(),
            ],
            account.l1_address,
            account.token,
            balance,
            account.nonce,
            exit_siblings(&proof.proof),
        )
    };
    assert_reverts(call(&alice_proof, 700_000).call().await, "AlreadyExited()");

    // Bob exits with the proof he saved from the operator's node.
    let bob_balance: u128 = bob_proof.account.as_ref().unwrap().balance.parse().unwrap();
    assert_eq!(bob_balance, 205_000);
    let before = chain.provider.get_balance(owners[1].address).await.unwrap();
    let exited = printed(
        &exit(
            &url,
            &deployment_file,
            ["--proof", bob_proof_file.to_str().unwrap()],
            &hex_key(&keys[2]),
        )
        .await,
    );
    let after = chain.provider.get_balance(owners[1].address).await.unwrap();
    let fees = fee(&chain.provider, &exited["exits"][0]["l1_tx_hash"]).await
        + fee(&chain.provider, &exited["claim_tx_hash"]).await;
    assert_eq!(after + fees - before, U256::from(bob_balance));

    // A user who never had funds cannot exit: the command finds no account, and a made-up
    // leaf on an empty index fails the Merkle proof.
    let nobody = exit(
        &url,
        &deployment_file,
        ["--data-dir", rebuilt.to_str().unwrap()],
        &hex_key(&keys[6]),
    )
    .await;
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("nothing to exit"));
    let empty = read_only.get_account_proof(9).await.unwrap();
    assert!(empty.account.is_none());
    let nobody_address = chain.anvil.addresses()[6];
    let alice_account = alice_proof.account.as_ref().unwrap();
    let made_up = rollup.exit(
        9,
        [
            alice_account.public_key.x.parse().unwrap(),
            alice_account.public_key.y.parse().unwrap(),
        ],
        nobody_address,
        0,
        1_000,
        0,
        exit_siblings(&empty.proof),
    );
    assert_reverts(made_up.call().await, "InvalidMerkleProof()");
    let pending = rollup.pendingWithdrawals(nobody_address, 0).call().await;
    assert_eq!(pending.unwrap(), U256::ZERO);
    server.kill().await.unwrap();
}
