//! Shared by the anvil tests: a node-side executor and prover for a small circuit, and a
//! deployment of every contract on a fresh anvil.

#![allow(dead_code)]

pub mod node;

use std::collections::BTreeMap;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{keccak256, U256};
use alloy::providers::{DynProvider, Provider};
use ark_bn254::Bn254;
use ark_groth16::Proof;
use verity_circuits::batch::{Batch, BatchBuilder};
use verity_circuits::circuit::{BatchWitness, CircuitSize};
use verity_circuits::ops::Deposit;
use verity_circuits::state::{State, StateConfig};
use verity_circuits::Fr;
use verity_l1::contracts::{batch_data, proof_words, word, Rollup};
use verity_l1::deploy::{deploy_with, DeployConfig, RollupParams};
use verity_l1::deployment::Deployment;
use verity_l1::sending_provider;
use verity_node::proving::{LocalProving, ProvingBackend};
use verity_prover::keys::verifying_key_hash;
use verity_prover::prover::setup;
use verity_prover::BatchProver;

/// The circuit the anvil tests prove.
pub const SIZE: CircuitSize = CircuitSize {
    slots: 2,
    fee_slots: 1,
    depth: 4,
};

/// Asserts a call reverted with the custom error of signature `error`.
pub fn assert_reverts<T: std::fmt::Debug>(result: Result<T, alloy::contract::Error>, error: &str) {
    let selector = alloy::hex::encode(&keccak256(error.as_bytes())[..4]);
    let message = format!("{:?}", result.expect_err("must revert"));
    assert!(
        message.contains(&selector),
        "expected {error}, got {message}"
    );
}

/// anvil with every contract deployed.
pub struct Chain {
    pub anvil: AnvilInstance,
    pub provider: DynProvider,
    pub deployment: Deployment,
    pub rollup: Rollup::RollupInstance<DynProvider>,
}

/// Starts anvil and deploys Verity for `prover`'s circuit (of any size), a development
/// deployment that anvil's first account governs and operates.
pub async fn chain(prover: &BatchProver, priority_window_seconds: u64) -> Chain {
    chain_with(
        prover,
        priority_window_seconds,
        &RollupParams::development(),
    )
    .await
}

/// [`chain`] deployed with `params`.
pub async fn chain_with(
    prover: &BatchProver,
    priority_window_seconds: u64,
    params: &RollupParams,
) -> Chain {
    let anvil = Anvil::at(verity_tests::anvil_path()).spawn();
    // The node submits with it too: nonces from the pending count (see `sending_provider`).
    let provider = sending_provider(
        anvil.endpoint_url(),
        anvil.wallet().expect("anvil's dev accounts"),
    );
    let size = prover.size();
    let config = DeployConfig {
        depth: size.depth,
        fee_slots: size.fee_slots,
        priority_window_seconds,
        verifiers: vec![(
            size.slots,
            prover.verifying_key().clone(),
            verifying_key_hash(prover.verifying_key()),
        )],
    };
    let deployment = deploy_with(&provider, &config, params).await.unwrap();
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    Chain {
        anvil,
        provider,
        deployment,
        rollup,
    }
}

/// Proves `SIZE` batches.
pub fn prover() -> BatchProver {
    BatchProver::new(SIZE, setup(SIZE, &mut rand::rngs::OsRng).unwrap()).unwrap()
}

/// The operator's side: the state and the queue position.
pub struct Node {
    pub state: State,
    pub priority: Fr,
    pub batches: u64,
}

impl Node {
    /// The node of a fresh deployment, with `tokens` registered besides ETH.
    pub fn new(deployment: &Deployment, tokens: u32) -> Node {
        let mut state = State::new(StateConfig {
            depth: SIZE.depth,
            domain: deployment.domain(),
        })
        .unwrap();
        for _ in 0..tokens {
            state.register_token();
        }
        Node {
            state,
            priority: Fr::from(0u64),
            batches: 0,
        }
    }

    /// Executes the next batch with `fill` and proves it, without moving the node on.
    pub fn prepare(
        &self,
        prover: &BatchProver,
        fill: impl FnOnce(&mut BatchBuilder<'_>),
    ) -> (State, Batch, Proof<Bn254>) {
        let mut state = self.state.clone();
        let mut builder = BatchBuilder::new(
            &mut state,
            SIZE.batch_params(),
            self.batches + 1,
            self.priority,
            BTreeMap::new(),
        );
        fill(&mut builder);
        let batch = builder.seal();
        let witness = BatchWitness::build(&self.state, &batch, SIZE).unwrap();
        let (proof, _) = prover.prove(witness, &mut rand::rngs::OsRng).unwrap();
        assert!(prover.verify(&proof, batch.commitment));
        (state, batch, proof)
    }

    /// Moves on past a finalized batch.
    pub fn finalized(&mut self, state: State, batch: &Batch) {
        self.state = state;
        self.priority = batch.header.priority_after;
        self.batches = batch.header.number;
    }
}

/// Advances anvil's clock by `seconds` and mines a block.
pub async fn advance_time(provider: &DynProvider, seconds: u64) {
    let _: U256 = provider
        .raw_request("evm_increaseTime".into(), (seconds,))
        .await
        .unwrap();
    let _: String = provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// Submits a batch and waits for it to be mined.
pub async fn submit(
    rollup: &Rollup::RollupInstance<DynProvider>,
    batch: &Batch,
    proof: &Proof<Bn254>,
) {
    mined(rollup.submitBatch(batch_data(batch), proof_words(proof))).await;
}

/// Deposits from the deposit's L1 owner (ETH with the value attached) and waits.
pub async fn deposit(rollup: &Rollup::RollupInstance<DynProvider>, d: &Deposit) {
    let call = rollup
        .deposit(
            d.token,
            word(&d.pubkey.0.x()),
            word(&d.pubkey.0.y()),
            d.amount,
        )
        .from(d.l1_address);
    let call = if d.token == 0 {
        call.value(U256::from(d.amount))
    } else {
        call
    };
    mined(call).await;
}

/// Sends a contract call as a transaction, waits until it is mined and asserts it succeeded;
/// its receipt.
pub async fn mined<P: Provider, D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<P, D>,
) -> alloy::rpc::types::TransactionReceipt {
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "reverted: {receipt:?}");
    receipt
}

/// A node for `deployment` (submitting through `l1`) proving locally with `prover`'s
/// circuit, its database in `dir`, taking L1 events at `confirmations`, sealing batches
/// after `interval_ms`.
pub async fn start_node(
    deployment: &Deployment,
    l1: DynProvider,
    prover: std::sync::Arc<BatchProver>,
    dir: &std::path::Path,
    confirmations: u64,
    interval_ms: u64,
) -> verity_node::Node {
    start_node_with(
        deployment,
        l1,
        local(prover),
        dir,
        confirmations,
        interval_ms,
    )
    .await
}

/// Proving on this machine with `prover`, two batches at a time.
pub fn local(prover: std::sync::Arc<BatchProver>) -> Box<dyn ProvingBackend> {
    Box::new(LocalProving {
        provers: [(prover.size().slots, prover)].into_iter().collect(),
        parallel: 2,
    })
}

/// [`start_node`] proving the way `proving` says.
pub async fn start_node_with(
    deployment: &Deployment,
    l1: DynProvider,
    proving: Box<dyn ProvingBackend>,
    dir: &std::path::Path,
    confirmations: u64,
    interval_ms: u64,
) -> verity_node::Node {
    let config = node_config(deployment, dir, confirmations, interval_ms);
    verity_node::Node::start(config, proving, l1).await.unwrap()
}

/// The configuration [`start_node`] starts a node with: the default gas budget and payout
/// cap, at most 3 waiting transactions per account.
pub fn node_config(
    deployment: &Deployment,
    dir: &std::path::Path,
    confirmations: u64,
    interval_ms: u64,
) -> verity_node::NodeConfig {
    use std::time::Duration;
    use verity_node::mempool::MempoolConfig;
    use verity_node::sequencer::SequencerConfig;
    use verity_node::submitter::SubmitterConfig;
    use verity_node::watcher::WatcherConfig;
    use verity_node::NodeConfig;
    NodeConfig {
        data_dir: dir.to_owned(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        max_request_bytes: 64 * 1024,
        deployment: deployment.clone(),
        sequencer: SequencerConfig {
            sizes: Vec::new(),
            batch_interval: Duration::from_millis(interval_ms),
            mempool: MempoolConfig {
                max_pending: 1000,
                max_per_account: 3,
            },
            operator: None,
            group: 1024,
            limits: verity_node::gas::BatchLimits::default(),
        },
        watcher: WatcherConfig {
            confirmations,
            poll: Duration::from_millis(100),
            max_range: 10_000,
        },
        submitter: SubmitterConfig {
            poll: Duration::from_millis(100),
            receipt_timeout: Duration::from_secs(60),
        },
    }
}

/// Polls `check` every 100 ms until it gives a value, for at most `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
