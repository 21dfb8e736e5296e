//! The batch statement: the public inputs of the batch proof, in the order the Rollup
//! contract passes them to its verifier:
//!
//! `domain, old_root, new_root, priority_before, priority_after, data, challenge,
//! evaluation_low, evaluation_high`
//!
//! The contract takes the domain, the old root and the two priority-queue hashes from its
//! storage, the new root from the calldata, and the last four from the published data and
//! the calldata's payouts ([`crate::blob`]): `data` is the data hash plus the payouts'
//! polynomial at the challenge ([`crate::ops::Payout::term`]), where until 2026-12-03 the
//! payouts had a Poseidon hash and an input of their own. Every one is below r; the verifier
//! refuses any that is not.

use serde::{Deserialize, Serialize};

use crate::blob::DataBinding;
use crate::Fr;

/// The batch's number and what the statement binds besides its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// The batch's number (the first batch is 1); the contract orders batches by it, the
    /// proof does not need it (the old root and queue hashes fix where a batch applies).
    pub number: u64,
    /// `Poseidon(chain_id, rollup_address)`.
    #[serde(with = "crate::field::serde_fr")]
    pub domain: Fr,
    /// State root before the batch.
    #[serde(with = "crate::field::serde_fr")]
    pub old_root: Fr,
    /// State root after the batch.
    #[serde(with = "crate::field::serde_fr")]
    pub new_root: Fr,
    /// Priority-queue rolling hash before the batch's priority operations.
    #[serde(with = "crate::field::serde_fr")]
    pub priority_before: Fr,
    /// Priority-queue rolling hash after them.
    #[serde(with = "crate::field::serde_fr")]
    pub priority_after: Fr,
}

/// Public inputs of the batch proof.
pub const PUBLIC_INPUTS: usize = 9;

impl BatchHeader {
    /// The public inputs of the batch with this header and data (and payouts, which
    /// `data` binds).
    pub fn public_inputs(&self, data: &DataBinding) -> Vec<Fr> {
        let [evaluation_low, evaluation_high] = data.evaluation_halves();
        vec![
            self.domain,
            self.old_root,
            self.new_root,
            self.priority_before,
            self.priority_after,
            data.input(),
            Fr::from(data.challenge),
            evaluation_low,
            evaluation_high,
        ]
    }
}
