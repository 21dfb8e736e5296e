//! The node on the embedded L1 (revm behind Ethereum JSON-RPC): the same contracts deployed
//! with the same code, and the same deposit → transfer → withdrawal → L1 payout flow as on
//! anvil.

mod support;

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use support::node::*;
use support::*;
use verity_prover::keys::verifying_key_hash;
use verity_sequencer::l1::deploy::{deploy, DeployConfig};
use verity_sequencer::l1::embedded::{EmbeddedConfig, EmbeddedL1};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_transfer_withdraw_end_to_end_on_the_embedded_l1() {
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
    let node = start_node(&deployment, submitter, prover, dir.path(), 0, 300).await;
    let owners: Vec<Owner> = l1.dev_keys[2..5]
        .iter()
        .map(|key| Owner::new(&url, key.clone()))
        .collect();
    payment_flow(&client(&node), &deployment, &owners).await;
    node.stop().await.unwrap();
    l1.stop().await;
}
