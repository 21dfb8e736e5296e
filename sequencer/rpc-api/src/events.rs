//! Batch lifecycle events, broadcast to `verity_subscribeBatches` subscribers and the
//! devnet's progress display.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// Where a batch (and its transactions) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Acknowledged, in the open batch.
    Pending,
    /// Sealed and executed, waiting for its proof.
    Executed,
    /// Proven and verified by the node, waiting for L1.
    Proven,
    /// Accepted by the Rollup contract: final.
    Finalized,
}

/// A batch changed status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchEvent {
    /// The batch.
    pub number: u64,
    /// Its new status.
    pub status: BatchStatus,
    /// Seconds its proof took (from `proven` on).
    pub proving_seconds: Option<f64>,
    /// The L1 transaction that finalized it.
    pub l1_tx_hash: Option<B256>,
}
