//! Deploying Verity to an L1: the Poseidon contracts, one verifier per circuit size and the
//! Rollup, recorded in a deployment document ([`Deployment`], `deployment.json`).

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::field::fr_to_u256;
use verity_circuits::merkle::BadDepth;
use verity_circuits::ops::Domain;
use verity_circuits::state::{State, StateConfig};

use crate::contracts::{
    verifier_key_words, Groth16Verifier, PoseidonT3, PoseidonT5, PoseidonT5Part1, PoseidonT6,
    PoseidonT6Part1, Rollup,
};
use verity_prover::keys::verifying_key_hash;

use crate::deployment::{DeployedVerifier, Deployment};

/// The floor of the priority window outside development deployments (the contract's
/// `MIN_PRIORITY_WINDOW`).
pub const MIN_PRIORITY_WINDOW_SECONDS: u64 = 14 * 24 * 3600;

/// The default cap on payouts per batch. One payout to a fresh pending balance costs 54,236
/// gas of `submitBatch` (measured on anvil: one on-chain three-input Poseidon, the
/// pending-balance slot, the event and its calldata); 48 of them and a batch's fixed cost stay
/// far below EIP-7825's 2^24 per transaction.
pub const DEFAULT_MAX_PAYOUTS: u64 = 48;

/// What a deployment is made of.
#[derive(Clone, Debug)]
pub struct DeployConfig {
    /// Binary tree depth.
    pub depth: u8,
    /// Fee slots of every circuit.
    pub fee_slots: usize,
    /// Seconds a queued L1 operation may wait before exodus can start.
    pub priority_window_seconds: u64,
    /// Per circuit size: slots, verifying key and its hash (from `keys.json`).
    pub verifiers: Vec<(usize, VerifyingKey<Bn254>, String)>,
}

impl DeployConfig {
    /// A deployment of one verifier: `size`'s circuit with verifying key `vk`.
    pub fn single(
        size: CircuitSize,
        vk: &VerifyingKey<Bn254>,
        priority_window_seconds: u64,
    ) -> DeployConfig {
        DeployConfig {
            depth: size.depth,
            fee_slots: size.fee_slots,
            priority_window_seconds,
            verifiers: vec![(size.slots, vk.clone(), verifying_key_hash(vk))],
        }
    }
}

/// Who may submit, and the anti-spam parameters, of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollupParams {
    /// A development deployment: a priority window below 14 days is allowed (readable on
    /// chain as `development()`).
    pub development: bool,
    /// Appoints and removes operators; `None`: the deployer.
    pub governor: Option<Address>,
    /// The first operators; empty: the deployer.
    pub operators: Vec<Address>,
    /// Seconds without a finalized batch after which anyone may submit.
    pub inactivity_interval_seconds: u64,
    /// Wei every forced-exit request pays (credited to the governor).
    pub forced_exit_fee: u128,
    /// Most payouts a batch may carry.
    pub max_payouts: u64,
}

impl RollupParams {
    /// A production deployment: 7 days of operator inactivity before anyone may submit,
    /// a forced-exit fee of 0.001 ETH, [`DEFAULT_MAX_PAYOUTS`]; the deployer governs and
    /// operates.
    pub fn production() -> RollupParams {
        RollupParams {
            development: false,
            governor: None,
            operators: Vec::new(),
            inactivity_interval_seconds: 7 * 24 * 3600,
            forced_exit_fee: 1_000_000_000_000_000,
            max_payouts: DEFAULT_MAX_PAYOUTS,
        }
    }

    /// A development deployment (devnet, tests, benches): any priority window, an hour of
    /// inactivity, free forced exits; the deployer governs and operates.
    pub fn development() -> RollupParams {
        RollupParams {
            development: true,
            inactivity_interval_seconds: 3600,
            forced_exit_fee: 0,
            ..RollupParams::production()
        }
    }
}

/// Deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A contract call or deployment failed.
    #[error("contract: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// A transaction was not mined.
    #[error("pending transaction: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
    /// The node could not be reached or refused a request.
    #[error("transport: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A priority window below the 14-day floor outside a development deployment.
    #[error(
        "a priority window of {0} s is below the 14-day floor; only a development deployment \
         may use it"
    )]
    PriorityWindowTooShort(u64),
    /// The tree depth cannot be.
    #[error("the tree depth: {0}")]
    Depth(#[from] BadDepth),
    /// No verifying key was given.
    #[error("no verifying key to deploy")]
    NoVerifier,
    /// A deployment transaction created no contract.
    #[error("the {0} deployment created no contract")]
    NoContract(&'static str),
}

/// Deploys every contract with the provider's default sender, as a development deployment
/// ([`RollupParams::development`]) that the sender governs and operates.
pub async fn deploy<P: Provider>(
    provider: &P,
    config: &DeployConfig,
) -> Result<Deployment, DeployError> {
    deploy_with(provider, config, &RollupParams::development()).await
}

/// Deploys every contract with the provider's default sender, with `params`.
pub async fn deploy_with<P: Provider>(
    provider: &P,
    config: &DeployConfig,
    params: &RollupParams,
) -> Result<Deployment, DeployError> {
    if !params.development && config.priority_window_seconds < MIN_PRIORITY_WINDOW_SECONDS {
        return Err(DeployError::PriorityWindowTooShort(
            config.priority_window_seconds,
        ));
    }
    let genesis_root = State::new(StateConfig {
        depth: config.depth,
        domain: Domain {
            chain_id: 0,
            rollup_address: Address::ZERO,
        },
    })?
    .root();
    if config.verifiers.is_empty() {
        return Err(DeployError::NoVerifier);
    }
    let first = PoseidonT3::deploy_builder(provider)
        .send()
        .await?
        .get_receipt()
        .await?;
    let deployer = first.from;
    let poseidon = [
        first
            .contract_address
            .ok_or(DeployError::NoContract("PoseidonT3"))?,
        *PoseidonT5::deploy(
            provider,
            *PoseidonT5Part1::deploy(provider).await?.address(),
        )
        .await?
        .address(),
        *PoseidonT6::deploy(
            provider,
            *PoseidonT6Part1::deploy(provider).await?.address(),
        )
        .await?
        .address(),
    ];
    let governor = params.governor.unwrap_or(deployer);
    let operators = if params.operators.is_empty() {
        vec![deployer]
    } else {
        params.operators.clone()
    };
    let mut verifiers = Vec::with_capacity(config.verifiers.len());
    for (slots, key, hash) in &config.verifiers {
        let verifier = Groth16Verifier::deploy(provider, verifier_key_words(key)).await?;
        verifiers.push(DeployedVerifier {
            slots: *slots,
            address: *verifier.address(),
            verifying_key_hash: hash.clone(),
        });
    }
    let rollup = Rollup::deploy_builder(
        provider,
        Rollup::Config {
            depth: config.depth,
            feeSlots: U256::from(config.fee_slots),
            priorityWindow: U256::from(config.priority_window_seconds),
            development: params.development,
            governor,
            inactivityInterval: U256::from(params.inactivity_interval_seconds),
            forcedExitFee: U256::from(params.forced_exit_fee),
            maxPayouts: U256::from(params.max_payouts),
        },
        fr_to_u256(&genesis_root),
        poseidon,
        verifiers.iter().map(|v| U256::from(v.slots)).collect(),
        verifiers.iter().map(|v| v.address).collect(),
        operators.clone(),
    );
    let receipt = rollup.send().await?.get_receipt().await?;
    let address = receipt
        .contract_address
        .ok_or(DeployError::NoContract("Rollup"))?;
    Ok(Deployment {
        chain_id: provider.get_chain_id().await?,
        rollup: address,
        verifiers,
        poseidon,
        depth: config.depth,
        fee_slots: config.fee_slots,
        priority_window_seconds: config.priority_window_seconds,
        deployment_block: receipt.block_number.unwrap_or_default(),
        genesis_root,
        development: params.development,
        governor,
        operators,
        inactivity_interval_seconds: params.inactivity_interval_seconds,
        forced_exit_fee: params.forced_exit_fee,
        max_payouts: params.max_payouts,
    })
}
