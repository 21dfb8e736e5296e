//! The largest batch the node seals at the default limits fits on L1 (audit H-1), with real
//! proofs: a deposit and then withdrawals to fresh L1 addresses, one more than the payout
//! cap, in a circuit with room for all of them. The node must close the first batch at the
//! cap (a slot still free), and that batch's `submitBatch` must stay within the gas budget
//! and the sealing estimate. Its own test binary: the 50-slot key setup and proofs need both
//! cores, and other tests beside it would starve.

use std::sync::Arc;

use alloy::primitives::Address;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::ops::{L2Tx, Withdraw};
use verity_node::gas::{BatchGas, BatchLimits, DEFAULT_GAS_BUDGET, DEFAULT_MAX_PAYOUTS};
use verity_node::Node;
use verity_prover::setup;
use verity_prover::BatchProver;
use verity_rpc_api::events::BatchStatus;
use verity_rpc_api::VerityApiClient;

use verity_tests::fixture::node::{balance_of, client, key, Owner};
use verity_tests::fixture::{chain, eventually, node_config};

/// Room for the deposit, the capped withdrawals and one more operation, at the smallest depth.
const SIZE: CircuitSize = CircuitSize {
    slots: DEFAULT_MAX_PAYOUTS + 2,
    fee_slots: 1,
    depth: 2,
};

/// EIP-7825's cap on one transaction's gas.
const TRANSACTION_GAS_CAP: u64 = 1 << 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_batch_the_node_seals_at_the_default_limits_fits_on_l1() {
    let prover =
        Arc::new(BatchProver::new(SIZE, setup(SIZE, &mut rand::rngs::OsRng).unwrap()).unwrap());
    let chain = chain(&prover, 3600).await;
    let max_payouts = DEFAULT_MAX_PAYOUTS as u64;
    assert_eq!(
        chain.rollup.maxPayouts().call().await.unwrap(),
        alloy::primitives::U256::from(max_payouts)
    );
    let dir = tempfile::tempdir().unwrap();
    // A long interval: only the payout cap may close the first batch.
    let mut config = node_config(&chain.deployment, dir.path(), 0, 60_000);
    config.sequencer.mempool.max_per_account = 2 * DEFAULT_MAX_PAYOUTS;
    assert_eq!(config.sequencer.limits, BatchLimits::default());
    let node = Node::start(
        config,
        verity_tests::fixture::local(prover),
        chain.provider.clone(),
    )
    .await
    .unwrap();
    let rpc = client(&node);

    let alice = key(1);
    let url = chain.anvil.endpoint();
    let bytes = alloy::primitives::B256::from_slice(&chain.anvil.keys()[1].to_bytes());
    let signer = PrivateKeySigner::from_bytes(&bytes).unwrap();
    Owner::new(&url, signer)
        .deposit(&chain.deployment, &alice, 10u128.pow(18))
        .await;
    let (from, _) = eventually(60, "alice's deposit", || balance_of(&rpc, &alice)).await;

    let domain = chain.deployment.domain();
    let mut hashes = Vec::new();
    for nonce in 0..=DEFAULT_MAX_PAYOUTS as u32 {
        let withdraw = Withdraw {
            from,
            token: 0,
            amount: 1_000,
            fee: 0,
            nonce,
            to: Address::repeat_byte(0x10 + nonce as u8),
        };
        let tx = L2Tx::sign_withdraw(withdraw, &alice, &domain);
        hashes.push(rpc.send_transaction(tx).await.unwrap());
    }

    let first = eventually(600, "the first batch final on L1", || async {
        let info = rpc.get_transaction(hashes[0]).await.ok()?;
        (info.status == BatchStatus::Finalized).then_some(info)
    })
    .await;
    let number = first.batch.unwrap();
    let batch = rpc.get_batch(number).await.unwrap();
    assert_eq!(
        batch.payouts.len(),
        DEFAULT_MAX_PAYOUTS,
        "sealed at the cap"
    );
    let last = rpc.get_transaction(hashes[DEFAULT_MAX_PAYOUTS - 1]).await;
    assert_eq!(last.unwrap().batch, Some(number));
    let over = rpc.get_transaction(hashes[DEFAULT_MAX_PAYOUTS]).await;
    assert_ne!(over.unwrap().batch, Some(number), "one payout over the cap");

    let receipt = chain
        .provider
        .get_transaction_receipt(first.l1_tx_hash.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.status());
    let fresh = chain
        .provider
        .get_balance(Address::repeat_byte(0x10))
        .await
        .unwrap();
    assert_eq!(
        fresh,
        alloy::primitives::U256::from(1_000u64),
        "paid straight to an address new to the chain"
    );
    let estimate = BatchGas {
        ops: DEFAULT_MAX_PAYOUTS + 1,
        payouts: DEFAULT_MAX_PAYOUTS,
    }
    .estimate(SIZE, verity_node::publication::Publication::Calldata);
    println!(
        "largest batch: {} payouts, submitBatch gas {} (estimate {estimate}, budget {DEFAULT_GAS_BUDGET})",
        batch.payouts.len(),
        receipt.gas_used
    );
    assert!(
        receipt.gas_used <= estimate,
        "the sealing estimate is an upper bound"
    );
    assert!(estimate <= DEFAULT_GAS_BUDGET && DEFAULT_GAS_BUDGET < TRANSACTION_GAS_CAP);
    node.stop().await.unwrap();
}
