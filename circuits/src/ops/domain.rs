//! The deployment a signature is valid for: the L1 chain id and the Rollup contract
//! address, hashed once as `Poseidon(chain_id, rollup_address)` and put first in every
//! signed message, so a signature replays on no other chain and no other deployment.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use crate::field::fr_from_address;
use crate::poseidon::poseidon;
use crate::Fr;

/// A deployment of Verity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// The L1 chain id (EIP-155).
    pub chain_id: u64,
    /// The Rollup contract.
    pub rollup_address: Address,
}

impl Domain {
    /// `Poseidon(chain_id, rollup_address)`.
    pub fn hash(&self) -> Fr {
        poseidon(&[
            Fr::from(self.chain_id),
            fr_from_address(&self.rollup_address),
        ])
    }
}
