//! Batch lifecycle events, broadcast to `verity_subscribeBatches` subscribers and the
//! devnet's progress display, and one transaction's status changes
//! (`verity_subscribeTransaction`).

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

impl BatchStatus {
    /// The status after this one, in the order every transaction passes through them.
    pub fn next(self) -> Option<BatchStatus> {
        match self {
            BatchStatus::Pending => Some(BatchStatus::Executed),
            BatchStatus::Executed => Some(BatchStatus::Proven),
            BatchStatus::Proven => Some(BatchStatus::Finalized),
            BatchStatus::Finalized => None,
        }
    }
}

/// A transaction reached a status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxStatusEvent {
    /// The transaction.
    pub hash: B256,
    /// The status it reached.
    pub status: BatchStatus,
    /// Its batch, once the batch closed.
    pub batch: Option<u64>,
    /// The L1 transaction that finalized the batch (with `finalized`).
    pub l1_tx_hash: Option<B256>,
}
