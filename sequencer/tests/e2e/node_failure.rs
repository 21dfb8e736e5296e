//! No silent stop: a pipeline stage that fails stops `verity node` visibly. Here the
//! materializer is handed a closed batch it cannot seal (its stored priority-queue hash is
//! corrupted, so re-executing it diverges): the process must exit non-zero with the error on
//! stderr, instead of running on with the batch `closed` forever.

use std::collections::BTreeMap;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use verity_circuits::batch::BatchContents;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::Fr;
use verity_devchain::{EmbeddedConfig, EmbeddedL1};
use verity_l1::deploy::{deploy, DeployConfig};
use verity_prover::KeyDirectory;
use verity_storage::{ContentsRecord, SequencerMeta, Store};

const SIZE: CircuitSize = CircuitSize {
    slots: 1,
    fee_slots: 1,
    depth: 2,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_materializer_cannot_seal_stops_the_node_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let setup = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["setup", "--slots", "1", "--depth", "2", "--fee-slots", "1"])
        .arg("--out")
        .arg(&keys)
        .output()
        .await
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );

    let l1 = EmbeddedL1::start(EmbeddedConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        beacon_addr: "127.0.0.1:0".parse().unwrap(),
        chain_id: 1337,
        dev_accounts: 2,
        dev_balance: U256::from(10u64).pow(U256::from(21u64)),
        block_time: Duration::from_millis(500),
        blob_retention: verity_devchain::chain::BLOB_RETENTION,
    })
    .await
    .unwrap();
    let deployer = ProviderBuilder::new()
        .wallet(l1.dev_keys[0].clone())
        .connect_http(l1.url().parse().unwrap())
        .erased();
    let vk = KeyDirectory::new(&keys).verifying_key().unwrap();
    let config = DeployConfig::single(SIZE, &vk, 3600);
    let deployment = deploy(&deployer, &config).await.unwrap();
    assert!(deployer.get_block_number().await.unwrap() > 0);
    let deployment_file = dir.path().join("deployment.json");
    std::fs::write(
        &deployment_file,
        serde_json::to_string(&deployment).unwrap(),
    )
    .unwrap();

    // A closed, empty batch 1 whose recorded queue hash after it is not the one before it.
    let data = dir.path().join("data");
    {
        let store = Store::open(&data).unwrap();
        let corrupted = Fr::from(7u64);
        let mut writer = store.writer();
        writer.contents(&ContentsRecord {
            size: SIZE,
            contents: BatchContents {
                number: 1,
                ops: Vec::new(),
                fee_slots: Vec::new(),
                priority_after: corrupted,
            },
            fee_accounts: BTreeMap::new(),
            priority_before: Fr::from(0u64),
            tokens: 1,
        });
        writer.sequencer_meta(&SequencerMeta {
            closed: 1,
            priority_hash: corrupted,
            tokens: vec![Address::ZERO],
            ..SequencerMeta::default()
        });
        writer.commit(true).unwrap();
    }

    let node = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["node", "--l1-rpc", &l1.url(), "--confirmations", "0"])
        .args(["--rpc-addr", "127.0.0.1:0", "--parallel-proofs", "1"])
        .arg("--submitter-key")
        .arg(B256::from(l1.dev_keys[1].to_bytes()).to_string())
        .arg("--deployment")
        .arg(&deployment_file)
        .arg("--keys")
        .arg(&keys)
        .arg("--data-dir")
        .arg(&data)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), node)
        .await
        .expect("the node stops by itself")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the node exits non-zero: {stderr}"
    );
    assert!(
        stderr.contains("materializer failed: batch 1: fees or priority queue differ"),
        "the error is on stderr: {stderr}"
    );
    l1.stop().await;
}
