//! Deploying Verity to an L1: the Poseidon contracts, one verifier per circuit size and the
//! Rollup, recorded in a deployment document (`deployment.json`).

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use serde::{Deserialize, Serialize};
use verity_circuits::ops::Domain;
use verity_circuits::state::{State, StateConfig};

use super::contracts::{
    verifier_key_words, word, Groth16Verifier, PoseidonT3, PoseidonT5, PoseidonT6, Rollup,
};

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

/// One verifier of a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedVerifier {
    /// Batch slots it verifies.
    pub slots: usize,
    /// Its address.
    pub address: Address,
    /// SHA-256 of the verifying key, as `keys.json` records it.
    pub verifying_key_hash: String,
}

/// `deployment.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// L1 chain id.
    pub chain_id: u64,
    /// The Rollup contract.
    pub rollup: Address,
    /// Verifiers by circuit size.
    pub verifiers: Vec<DeployedVerifier>,
    /// Poseidon contracts of 2, 4 and 5 inputs.
    pub poseidon: [Address; 3],
    /// Binary tree depth.
    pub depth: u8,
    /// Fee slots of every circuit.
    pub fee_slots: usize,
    /// Seconds before an overdue queued operation allows exodus.
    pub priority_window_seconds: u64,
    /// The block the Rollup was deployed in (where L1 watchers start).
    pub deployment_block: u64,
    /// The empty tree's root.
    #[serde(with = "verity_circuits::field::serde_fr")]
    pub genesis_root: verity_circuits::Fr,
}

impl Deployment {
    /// The domain signatures bind on this deployment.
    pub fn domain(&self) -> Domain {
        Domain {
            chain_id: self.chain_id,
            rollup_address: self.rollup,
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
    /// The configuration cannot be deployed.
    #[error("{0}")]
    Config(String),
}

/// Deploys every contract with the provider's default sender.
pub async fn deploy<P: Provider>(
    provider: &P,
    config: &DeployConfig,
) -> Result<Deployment, DeployError> {
    let genesis_root = State::new(StateConfig {
        depth: config.depth,
        domain: Domain {
            chain_id: 0,
            rollup_address: Address::ZERO,
        },
    })
    .map_err(|e| DeployError::Config(e.to_string()))?
    .root();
    if config.verifiers.is_empty() {
        return Err(DeployError::Config("no verifying key to deploy".into()));
    }
    let poseidon = [
        *PoseidonT3::deploy(provider).await?.address(),
        *PoseidonT5::deploy(provider).await?.address(),
        *PoseidonT6::deploy(provider).await?.address(),
    ];
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
        config.depth,
        U256::from(config.fee_slots),
        U256::from(config.priority_window_seconds),
        word(&genesis_root),
        poseidon,
        verifiers.iter().map(|v| U256::from(v.slots)).collect(),
        verifiers.iter().map(|v| v.address).collect(),
    );
    let receipt = rollup.send().await?.get_receipt().await?;
    let address = receipt
        .contract_address
        .ok_or_else(|| DeployError::Config("the Rollup deployment created no contract".into()))?;
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
    })
}
