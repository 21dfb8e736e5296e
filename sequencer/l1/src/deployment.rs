//! The deployment document (`deployment.json`): where a deployment's contracts live and the
//! parameters it was made with. Read by every stage that talks to L1, the wallet included.

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};
use verity_circuits::ops::Domain;

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
    /// Poseidon contracts of 2, 4 and 5 inputs (the entries callers use; the parts they
    /// call are found from them).
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
    /// Whether this is a development deployment (short priority windows allowed).
    #[serde(default)]
    pub development: bool,
    /// Who appoints and removes operators.
    #[serde(default)]
    pub governor: Address,
    /// The operators appointed at deployment (the governor may change them since).
    #[serde(default)]
    pub operators: Vec<Address>,
    /// Seconds without a finalized batch after which anyone may submit.
    #[serde(default)]
    pub inactivity_interval_seconds: u64,
    /// Wei every forced-exit request pays.
    #[serde(default)]
    pub forced_exit_fee: u128,
    /// Most payouts a batch may carry (0: not recorded; read `maxPayouts()`).
    #[serde(default)]
    pub max_payouts: u64,
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
