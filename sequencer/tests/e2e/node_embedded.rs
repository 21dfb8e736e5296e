//! The node on the embedded L1 (revm behind Ethereum JSON-RPC): the same contracts deployed
//! with the same code, and the same deposit → transfer → withdrawal → L1 payout flow as on
//! anvil, with batches in calldata and in blobs; reconstruction from the blobs, and from
//! saved blobs once the L1 has dropped them.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::Provider;
use jsonrpsee::ws_client::WsClientBuilder;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::ops::{ExecutedOp, L2Tx, Transfer, Withdraw};
use verity_devchain::{EmbeddedConfig, EmbeddedL1};
use verity_l1::contracts::Rollup;
use verity_l1::deploy::{deploy_with, DeployConfig, RollupParams};
use verity_l1::deployment::Deployment;
use verity_l1::sending_provider;
use verity_node::publication::Publication;
use verity_node::Node;
use verity_prover::setup;
use verity_prover::BatchProver;
use verity_rpc_api::events::{BatchStatus, TxStatusEvent};
use verity_rpc_api::health::StageStatus;
use verity_rpc_api::VerityApiClient;

use crate::support::node::*;
use crate::support::*;

/// The embedded L1 with Verity deployed, and a node on it.
struct Devnet {
    l1: EmbeddedL1,
    deployment: Deployment,
    node: Node,
    dir: tempfile::TempDir,
}

async fn devnet() -> Devnet {
    devnet_with(Arc::new(prover()), 300, Publication::Calldata).await
}

/// Blocks the blob test's L1 keeps a blob: more than the test takes to reach its
/// reconstruction (two blocks a second).
const BLOB_RETENTION: u64 = 1_000;

/// The embedded L1 with Verity deployed for `prover`'s circuit, and a node proving with it
/// that seals batches `interval_ms` after their first operation and publishes them as
/// `publication` says.
async fn devnet_with(
    prover: Arc<BatchProver>,
    interval_ms: u64,
    publication: Publication,
) -> Devnet {
    let size = prover.size();
    let l1 = EmbeddedL1::start(EmbeddedConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        beacon_addr: "127.0.0.1:0".parse().unwrap(),
        chain_id: 1337,
        dev_accounts: 5,
        dev_balance: U256::from(10u64).pow(U256::from(21u64)),
        block_time: Duration::from_millis(500),
        blob_retention: BLOB_RETENTION,
    })
    .await
    .unwrap();
    let url = l1.url();
    let operator = Owner::new(&url, l1.dev_keys[0].clone());
    assert_eq!(operator.provider.get_chain_id().await.unwrap(), 1337);
    let config = DeployConfig::single(size, prover.verifying_key(), 3600);
    // The node submits from the second dev account: the deployer appoints it operator.
    let params = RollupParams {
        operators: vec![l1.dev_keys[1].address()],
        ..RollupParams::development()
    };
    let deployment = deploy_with(&operator.provider, &config, &params)
        .await
        .unwrap();
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
    let submitter = sending_provider(url.parse().unwrap(), l1.dev_keys[1].clone());
    let mut config = node_config(&deployment, &dir.path().join("node"), 0, interval_ms);
    config.sequencer.publication = publication;
    let node = Node::start(config, local(prover), submitter).await.unwrap();
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

/// `verity reconstruct` of `deployment` into `dir`, with `more` arguments (the command is
/// made at once: the run borrows nothing).
fn reconstruct(
    url: &str,
    deployment: &str,
    dir: &std::path::Path,
    more: &[&str],
) -> impl std::future::Future<Output = std::process::Output> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"));
    command.args([
        "reconstruct",
        "--l1-rpc",
        url,
        "--deployment",
        deployment,
        "--data-dir",
    ]);
    command.arg(dir).args(more);
    async move { command.output().await.unwrap() }
}

/// The report of a `verity reconstruct` that succeeded.
fn report(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "verity reconstruct: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The wallet's deposit, transfer, withdrawal and claim on a node that publishes batches in
/// blobs; then users rebuild the state from the blobs (saving them), and once the L1 has
/// dropped the blobs, from the saved ones alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_commands_deposit_transfer_and_withdraw_in_blob_batches() {
    let net = devnet_with(Arc::new(prover()), 300, Publication::Blob).await;
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
    let owner = Owner::new(&l1_url, net.l1.dev_keys[4].clone());
    let before = owner.provider.get_balance(owner.address).await.unwrap();
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
    // `--follow` prints each status once, in order, as it happens, and returns at finalized.
    let follow = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args([
            "wallet", "status", "--rpc", &rpc_url, "--tx", &hash, "--follow",
        ])
        .output();
    let followed = tokio::time::timeout(Duration::from_secs(120), follow)
        .await
        .expect("--follow returns once the transfer is final")
        .unwrap();
    assert!(followed.status.success(), "{followed:?}");
    let followed = String::from_utf8(followed.stdout).unwrap();
    println!("verity wallet status --follow:\n{followed}");
    let lines: Vec<serde_json::Value> = followed
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let order: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert!(
        ["pending", "executed", "proven", "finalized"].ends_with(&order) && !order.is_empty(),
        "{order:?}"
    );
    assert!(lines.last().unwrap()["l1_tx_hash"].is_string());
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
    let page = wallet(&[
        "history",
        "--rpc",
        &rpc_url,
        "--account",
        &from,
        "--limit",
        "1",
    ])
    .await;
    assert_eq!(page["transactions"][0]["hash"], hash.as_str(), "{page}");
    assert_eq!(page["transactions"].as_array().unwrap().len(), 1);
    assert!(page["next"].is_u64());
    let bob_after = balance(&bob).await.unwrap();
    assert_eq!(bob_after[0]["balance"], "499000");
    assert_eq!(bob_after[0]["nonce"], 1);

    // The batch paid the withdrawal straight to its recipient: `claim` finds nothing.
    let after = owner.provider.get_balance(owner.address).await.unwrap();
    assert_eq!(after - before, U256::from(2000u64));
    let claim = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["wallet", "claim", "--l1-rpc", &l1_url, "--deployment"])
        .args([deployment_file, "--l1-key", &l1_key(4)])
        .output()
        .await
        .unwrap();
    assert!(!claim.status.success());
    assert!(
        String::from_utf8_lossy(&claim.stderr).contains("nothing pending in token 0"),
        "{}",
        String::from_utf8_lossy(&claim.stderr)
    );
    let number = status["batch"].as_u64().unwrap();
    let transfer_batch = client(&net.node).get_batch(number).await.unwrap();
    net.node.stop().await.unwrap();

    // The transfer's batch went to L1 in a blob transaction (and every batch did: each
    // one's blob is saved below).
    let rollup = Rollup::new(net.deployment.rollup, owner.provider.clone());
    let batches = rollup.batchNumber().call().await.unwrap();
    let tx: alloy::primitives::B256 = status["l1_tx_hash"].as_str().unwrap().parse().unwrap();
    let sent = owner
        .provider
        .get_transaction_by_hash(tx)
        .await
        .unwrap()
        .unwrap();
    // The node may have sent it with other proven batches, each in a blob of its own.
    let carried = alloy::consensus::Transaction::blob_versioned_hashes(&sent).unwrap();
    assert!((1..=6).contains(&carried.len()), "{carried:?}");
    assert_eq!(transfer_batch.l1_tx_hash, Some(tx));
    let blob = transfer_batch.blob.expect("verity_getBatch names the blob");
    assert!(
        carried.contains(&blob),
        "the transaction carries the batch's blob"
    );
    let receipt = owner
        .provider
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipt.blob_gas_used, Some(131_072 * carried.len() as u64));

    // Rebuilt from the blobs the L1's consensus-layer API serves, saved on the way.
    let blobs = net.dir.path().join("blobs");
    let (beacon, saved_to) = (net.l1.beacon_url(), blobs.to_str().unwrap());
    let rebuild = |dir: &str, more: &[&str]| {
        reconstruct(&l1_url, deployment_file, &net.dir.path().join(dir), more)
    };
    let rebuilt = report(&rebuild("r1", &["--beacon-api", &beacon, "--blobs", saved_to]).await);
    assert_eq!(rebuilt["batch"], batches);
    assert_eq!(rebuilt["root"], rebuilt["contract_root"]);
    assert_eq!(std::fs::read_dir(&blobs).unwrap().count() as u64, batches);

    // A damaged saved blob is read from L1 again, while L1 has it, and saved over.
    let damaged = std::fs::read_dir(&blobs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&damaged, b"not a blob").unwrap();
    let again = report(&rebuild("r1b", &["--blobs", saved_to]).await);
    assert_eq!(again["root"], rebuilt["root"]);
    assert_eq!(std::fs::metadata(&damaged).unwrap().len(), 131_072);

    // The L1 drops blobs after its retention, as consensus clients do after 4,096 epochs:
    // neither of its blob endpoints has them, and only the saved blobs rebuild the state.
    for _ in 0..=BLOB_RETENTION {
        net.l1.chain.lock().unwrap().mine();
    }
    for more in [&[][..], &["--beacon-api", &beacon][..]] {
        let missing = rebuild(&format!("r{}", 2 + more.len()), more).await;
        let stderr = String::from_utf8_lossy(&missing.stderr);
        assert!(!missing.status.success());
        assert!(stderr.contains("does not have blob"), "{stderr}");
    }
    let saved = report(&rebuild("r5", &["--blobs", saved_to]).await);
    assert_eq!(saved["batch"], batches);
    assert_eq!(saved["root"], rebuilt["root"]);
    net.l1.stop().await;
}

/// A deposit to a new key, then at once two transfers and a withdrawal from the account it
/// creates, all in the deposit's batch: the materializer verifies each signature under the
/// sender's key at its point of the batch (the account does not exist before the batch), and
/// the batch reaches L1 finality.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_of_an_account_created_in_the_same_batch_reach_l1_finality() {
    let size = CircuitSize {
        slots: 4,
        fee_slots: 1,
        depth: 4,
    };
    let prover = BatchProver::new(size, setup(size, &mut rand::rngs::OsRng).unwrap()).unwrap();
    let net = devnet_with(Arc::new(prover), 4_000, Publication::Calldata).await;
    let url = net.l1.url();
    let rpc = client(&net.node);
    let owners: Vec<Owner> = net.l1.dev_keys[2..5]
        .iter()
        .map(|key| Owner::new(&url, key.clone()))
        .collect();
    let (alice, bob) = (key(1), key(2));

    // Bob's account exists before Alice's batch.
    owners[1].deposit(&net.deployment, &bob, 5_000).await;
    let (to, _) = eventually(60, "bob's deposit", || balance_of(&rpc, &bob)).await;
    eventually(60, "bob's batch closed", || async {
        let info = rpc.chain_info().await.ok()?;
        (info.latest_closed >= 1).then_some(())
    })
    .await;

    // Alice's deposit creates her account; her transactions follow before its batch closes.
    owners[0].deposit(&net.deployment, &alice, 1_000_000).await;
    let (from, balance) = eventually(60, "alice's deposit", || balance_of(&rpc, &alice)).await;
    assert_eq!(balance, 1_000_000);
    let domain = net.deployment.domain();
    let transfer = |amount, nonce| {
        L2Tx::sign_transfer(
            Transfer {
                from,
                to,
                token: 0,
                amount,
                fee: 0,
                nonce,
            },
            &alice,
            &domain,
        )
    };
    let recipient = &owners[2];
    let withdraw = L2Tx::sign_withdraw(
        Withdraw {
            from,
            token: 0,
            amount: 300_000,
            fee: 0,
            nonce: 2,
            to: recipient.address,
        },
        &alice,
        &domain,
    );
    let mut hashes = Vec::new();
    for tx in [transfer(100_000, 0), transfer(50_000, 1), withdraw] {
        hashes.push(rpc.send_transaction(tx).await.unwrap());
    }

    let withdrawal = *hashes.last().unwrap();
    // Subscribed while the batch is open: every status once, in order, then the end.
    let ws = WsClientBuilder::default()
        .build(format!("ws://{}", net.node.rpc_addr))
        .await
        .unwrap();
    let mut statuses = ws.subscribe_transaction(withdrawal).await.unwrap();
    let info = eventually(240, "the withdrawal final on L1", || async {
        let chain = rpc.chain_info().await.unwrap();
        for (stage, health) in &chain.health {
            assert_ne!(
                health.status,
                StageStatus::Failed,
                "{stage:?} failed: {:?}",
                health.error
            );
        }
        let info = rpc.get_transaction(withdrawal).await.ok()?;
        (info.status == BatchStatus::Finalized).then_some(info)
    })
    .await;
    let number = info.batch.unwrap();
    let mut seen: Vec<TxStatusEvent> = Vec::new();
    while seen
        .last()
        .is_none_or(|last| last.status != BatchStatus::Finalized)
    {
        let event = tokio::time::timeout(Duration::from_secs(30), statuses.next())
            .await
            .expect("status events arrive")
            .unwrap()
            .unwrap();
        seen.push(event);
    }
    let after = tokio::time::timeout(Duration::from_secs(3), statuses.next()).await;
    assert!(after.is_err(), "nothing after finalized: {after:?}");
    // Every status from the one at subscription on, once and in order: subscribed right after
    // the send, it is `pending` (or, on a loaded machine, `executed`: before the proof).
    let order: Vec<BatchStatus> = seen.iter().map(|event| event.status).collect();
    let all = [
        BatchStatus::Pending,
        BatchStatus::Executed,
        BatchStatus::Proven,
        BatchStatus::Finalized,
    ];
    assert!(all.ends_with(&order) && order.len() >= 3, "{order:?}");
    assert!(seen.iter().all(|event| event.hash == withdrawal));
    // The batch is known once it closes (a pending transaction may already be in a closed
    // batch), and from `executed` on always.
    assert!(seen.iter().all(|event| event.batch == Some(number)
        || (event.status == BatchStatus::Pending && event.batch.is_none())));
    let last = seen.len() - 1;
    assert_eq!(seen[last].l1_tx_hash, info.l1_tx_hash);
    assert!(seen[..last].iter().all(|event| event.l1_tx_hash.is_none()));
    let unknown = ws
        .subscribe_transaction(alloy::primitives::B256::ZERO)
        .await;
    assert!(unknown.is_err(), "an unknown transaction is refused");
    for hash in &hashes {
        let tx = rpc.get_transaction(*hash).await.unwrap();
        assert_eq!(tx.status, BatchStatus::Finalized);
        assert_eq!(tx.batch, Some(number), "every transaction in one batch");
    }
    let batch = rpc.get_batch(number).await.unwrap();
    assert!(
        matches!(batch.operations[0], ExecutedOp::Deposit { account, .. } if account == from),
        "the batch opens with the deposit that creates the sender: {:?}",
        batch.operations
    );
    assert_eq!(
        batch
            .operations
            .iter()
            .filter(|op| matches!(op, ExecutedOp::L2 { .. }))
            .count(),
        3
    );
    assert_eq!(balance_of(&rpc, &alice).await, Some((from, 550_000)));
    assert_eq!(balance_of(&rpc, &bob).await, Some((to, 155_000)));
    let rollup = Rollup::new(net.deployment.rollup, recipient.provider.clone());
    assert_eq!(paid_to(&rollup, recipient.address, 0).await, 300_000);

    // History, a page at a time, read while Alice and Bob send to each other at once: the
    // pages, cursor after cursor, hold each of Alice's transactions once, each sender's in its
    // order, and a page read again starts with what it held (a page not yet full may grow).
    let page_hashes = |page: &verity_rpc_api::HistoryPage| {
        page.transactions.iter().map(|t| t.hash).collect::<Vec<_>>()
    };
    let first = rpc.get_history(from, None, Some(2)).await.unwrap();
    assert_eq!(page_hashes(&first), hashes[..2]);
    assert!(first
        .transactions
        .iter()
        .all(|t| t.status == BatchStatus::Finalized));
    let sends = |key, sender, recipient, first_nonce: u32| {
        let rpc = &rpc;
        let domain = &domain;
        async move {
            let mut sent = Vec::new();
            // Three each: the devnet's limit of transactions an account may have waiting.
            for nonce in first_nonce..first_nonce + 3 {
                let tx = Transfer {
                    from: sender,
                    to: recipient,
                    token: 0,
                    amount: 1,
                    fee: 0,
                    nonce,
                };
                sent.push(
                    rpc.send_transaction(L2Tx::sign_transfer(tx, key, domain))
                        .await
                        .unwrap(),
                );
            }
            sent
        }
    };
    let read = async {
        let mut pages = vec![(0, first.clone())];
        for _ in 0..10 {
            let cursor = pages.last().unwrap().1.next;
            let page = rpc.get_history(from, Some(cursor), Some(2)).await.unwrap();
            pages.push((cursor, page));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pages
    };
    let (alice_sent, bob_sent, mut pages) =
        tokio::join!(sends(&alice, from, to, 3), sends(&bob, to, from, 0), read);
    loop {
        let cursor = pages.last().unwrap().1.next;
        let page = rpc.get_history(from, Some(cursor), Some(2)).await.unwrap();
        if page.transactions.is_empty() {
            assert_eq!(page.next, cursor, "an empty page keeps its place");
            break;
        }
        pages.push((cursor, page));
    }
    let mut all = Vec::new();
    for (cursor, page) in &pages {
        let read = page_hashes(page);
        let again = rpc.get_history(from, Some(*cursor), Some(2)).await.unwrap();
        assert!(page_hashes(&again).starts_with(&read), "{cursor}");
        all.extend(read);
    }
    let mut expected: Vec<_> = hashes.iter().chain(&alice_sent).chain(&bob_sent).collect();
    let mut got: Vec<_> = all.iter().collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "every transaction once");
    let in_order = |ours: &[alloy::primitives::B256]| {
        let at: Vec<usize> = ours
            .iter()
            .map(|h| all.iter().position(|a| a == h).unwrap())
            .collect();
        at.windows(2).all(|w| w[0] < w[1])
    };
    assert!(in_order(&[&hashes[..], &alice_sent[..]].concat()));
    assert!(in_order(&bob_sent));
    let bobs = rpc.get_history(to, None, Some(500)).await.unwrap();
    assert_eq!(
        bobs.transactions.len(),
        2 + alice_sent.len() + bob_sent.len()
    );
    assert!(rpc.get_history(from, None, Some(501)).await.is_err());
    let health = rpc.chain_info().await.unwrap().health;
    assert_eq!(health.len(), 5, "every stage reports: {health:?}");
    net.node.stop().await.unwrap();
    net.l1.stop().await;
}
