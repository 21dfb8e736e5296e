//! `kill -9` of a `verity node` process under load: after a restart every acknowledged
//! transaction is applied exactly once, the state root equals a native replay of what the
//! node holds, and the batches still finalize on L1 in order.

use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::providers::Provider;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use verity_circuits::field::fr_to_hex;
use verity_circuits::ops::{Deposit, Domain, L2Tx, Transfer};
use verity_circuits::state::{State, StateConfig};
use verity_prover::KeyDirectory;
use verity_rpc_api::{AccountRef, VerityApiClient};

use crate::support::node::key;
use crate::support::*;

const SENDERS: u8 = 4;
const PER_SENDER: u32 = 8;

/// Sender `sender`'s transfer of nonce `nonce` to the last account.
fn payment(sender: u8, nonce: u32, domain: &Domain) -> L2Tx {
    let tx = Transfer {
        from: u32::from(sender),
        to: u32::from(SENDERS),
        token: 0,
        amount: 1_000 + u128::from(nonce),
        fee: 0,
        nonce,
    };
    L2Tx::sign_transfer(tx, &key(sender + 1), domain)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Paths {
    deployment: std::path::PathBuf,
    keys: std::path::PathBuf,
    data: std::path::PathBuf,
}

fn start(paths: &Paths, l1: &str, submitter_key: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["node", "--l1-rpc", l1, "--submitter-key", submitter_key])
        .arg("--deployment")
        .arg(&paths.deployment)
        .arg("--keys")
        .arg(&paths.keys)
        .arg("--data-dir")
        .arg(&paths.data)
        .args(["--rpc-addr", &format!("127.0.0.1:{port}")])
        .args(["--confirmations", "0", "--batch-interval-ms", "300"])
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("starting verity node")
}

async fn ready(rpc: &HttpClient) {
    eventually(120, "the node's RPC", || async {
        rpc.chain_info().await.ok()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_and_applies_nothing_twice() {
    let proving_key = verity_prover::setup(SIZE, &mut rand::rngs::OsRng).unwrap();
    let prover = verity_prover::BatchProver::new(SIZE, proving_key.clone()).unwrap();
    let chain = chain(&prover, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths {
        deployment: dir.path().join("deployment.json"),
        keys: dir.path().join("keys"),
        data: dir.path().join("data"),
    };
    KeyDirectory::new(&paths.keys)
        .write(SIZE, prover.constraints(), &proving_key)
        .unwrap();
    std::fs::write(
        &paths.deployment,
        serde_json::to_string(&chain.deployment).unwrap(),
    )
    .unwrap();
    let l1 = chain.anvil.endpoint();
    let submitter_key = format!("0x{}", hex::encode(chain.anvil.keys()[0].to_bytes()));
    let port = free_port();
    let mut node = start(&paths, &l1, &submitter_key, port);
    let rpc = HttpClientBuilder::default()
        .build(format!("http://127.0.0.1:{port}"))
        .unwrap();
    ready(&rpc).await;

    let owners = chain.anvil.addresses();
    let deposits: Vec<Deposit> = (0..=SENDERS)
        .map(|i| Deposit {
            pubkey: key(i + 1).public_key(),
            l1_address: owners[usize::from(i) + 1],
            token: 0,
            amount: 1_000_000,
        })
        .collect();
    for d in &deposits {
        deposit(&chain.rollup, d).await;
    }
    eventually(60, "the deposits", || async {
        rpc.get_account(AccountRef::Index(u32::from(SENDERS)))
            .await
            .ok()
    })
    .await;

    // Senders 0..SENDERS pay the last account, each in nonce order, until the node dies.
    let domain = chain.deployment.domain();
    let acked: Arc<Mutex<Vec<(u8, u32)>>> = Arc::default();
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let (rpc, acked) = (rpc.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for nonce in 0..PER_SENDER {
                if rpc
                    .send_transaction(payment(sender, nonce, &domain))
                    .await
                    .is_err()
                {
                    return;
                }
                acked.lock().unwrap().push((sender, nonce));
            }
        }));
    }
    eventually(60, "acknowledgements", || async {
        (acked.lock().unwrap().len() >= 12).then_some(())
    })
    .await;
    node.kill().expect("SIGKILL");
    node.wait().unwrap();
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let mut node = start(&paths, &l1, &submitter_key, port);
    ready(&rpc).await;
    let mut state = State::new(StateConfig {
        depth: SIZE.depth,
        domain,
    })
    .unwrap();
    for (index, d) in deposits.iter().enumerate() {
        let effect = state.check_deposit(index as u32, d).unwrap();
        state.commit(&effect);
    }
    for sender in 0..SENDERS {
        let held = rpc
            .get_account(AccountRef::Index(u32::from(sender)))
            .await
            .unwrap()[0]
            .nonce;
        let acked_here = acked.iter().filter(|(s, _)| *s == sender).count() as u32;
        // A transaction made durable just before the kill may be held without having been
        // acknowledged; every acknowledged one is held, each once (nonces are consecutive).
        assert!(
            held == acked_here || held == acked_here + 1,
            "sender {sender}: {acked_here} acknowledged, nonce {held}"
        );
        for nonce in 0..held {
            state.apply_l2(&payment(sender, nonce, &domain)).unwrap();
        }
    }
    let final_info = eventually(300, "every batch final on L1", || async {
        let info = rpc.chain_info().await.ok()?;
        (info.pending_transactions == 0).then_some(info)
    })
    .await;
    let root = chain.rollup.stateRoot().call().await.unwrap();
    assert_eq!(final_info.state_root, format!("{root:#066x}"));
    assert_eq!(final_info.state_root, fr_to_hex(&state.root()));
    assert_eq!(final_info.executed_root, final_info.state_root);
    assert_eq!(final_info.latest_executed, final_info.latest_finalized);
    let batch_number = chain.rollup.batchNumber().call().await.unwrap();
    assert_eq!(batch_number, final_info.latest_finalized);
    assert!(chain.provider.get_block_number().await.unwrap() > 0);
    node.kill().unwrap();
    node.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
}
