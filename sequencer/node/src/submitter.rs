//! The L1 submitter: sends proven batches to the Rollup contract strictly in order, one at a
//! time. It is idempotent and resumes after a restart: before sending batch `n` it asks the
//! contract for its batch number, and a batch the contract already holds (sent before a
//! crash) is only recorded, with the transaction found in its `BatchFinalized` event. Before a
//! batch is recorded as final, the `BatchFinalized` event on L1 must carry this node's
//! commitment and new root: if batch `n` on L1 is someone else's, the node has diverged from
//! L1 and the submitter stops the node instead of retrying. Nonces and gas come from the
//! provider's fillers. Each finalized batch's account updates are applied to the finalized
//! state, which serves account proofs.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use alloy::primitives::{B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use tokio::sync::broadcast;
use verity_circuits::state::{Effect, State};
use verity_l1::contracts::{batch_data, word, Rollup};
use verity_l1::deploy::Deployment;
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_rpc_api::health::Stage;
use verity_storage::{FinalizedMeta, L1Record, Store, StoreError};

use crate::health::Health;
use crate::sequencer::SequencerHandle;
use crate::unix_now;

/// The submitter's configuration.
#[derive(Clone, Debug)]
pub struct SubmitterConfig {
    /// How often to look for a proven batch.
    pub poll: Duration,
    /// How long to wait for a sent batch to be mined before sending it again.
    pub receipt_timeout: Duration,
}

/// A submission failed; it is retried, except [`SubmitError::Diverged`].
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// L1 finalized a batch under this node's next number that is not this node's batch:
    /// the node's state no longer follows L1. Fatal: the node stops. The message names the
    /// batch, the L1 transaction and both sides' commitment and new root.
    #[error("{0}")]
    Diverged(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The L1 node refused or could not be reached.
    #[error("L1 transport: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A contract call failed or reverted.
    #[error("L1 call: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// The sent transaction failed.
    #[error("L1 transaction: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
    /// Stored data is inconsistent.
    #[error("{0}")]
    Inconsistent(String),
}

/// The submitter and what it shares.
pub struct Submitter {
    /// Its configuration.
    pub config: SubmitterConfig,
    /// The database.
    pub store: Store,
    /// A provider whose wallet pays for submissions.
    pub provider: DynProvider,
    /// The deployment.
    pub deployment: Deployment,
    /// The state as of the last finalized batch.
    pub finalized_state: Arc<RwLock<State>>,
    /// Told of each finalized batch.
    pub sequencer: SequencerHandle,
    /// Batch events.
    pub events: broadcast::Sender<BatchEvent>,
    /// Where it shows `retrying` while L1 refuses or reverts its submissions.
    pub health: Health,
}

impl Submitter {
    /// Submits until the task is dropped; returns only a fatal error
    /// ([`SubmitError::Diverged`]: L1 holds a batch that is not this node's), which the node
    /// reports as its failure and stops on, and retries every other.
    pub async fn submit(&self) -> Result<(), SubmitError> {
        loop {
            match self.step().await {
                Ok(true) => self.health.running(Stage::Submitter),
                Ok(false) => tokio::time::sleep(self.config.poll).await,
                Err(error @ SubmitError::Diverged(_)) => return Err(error),
                Err(error) => {
                    let failures = self.health.retrying(Stage::Submitter, &error);
                    tracing::warn!(%error, failures, "L1 submitter; retrying");
                    tokio::time::sleep(self.config.poll * 5).await;
                }
            }
        }
    }

    /// Moves the next batch on; false when there was nothing to do.
    async fn step(&self) -> Result<bool, SubmitError> {
        let next = self.store.finalized_meta()?.batch + 1;
        let Some(proof) = self.store.proof(next)? else {
            return Ok(false);
        };
        let rollup = Rollup::new(self.deployment.rollup, self.provider.clone());
        let on_chain = rollup.batchNumber().call().await?;
        if on_chain >= next {
            let log = self.finalizing_log(next).await?;
            let tx_hash = self.check_finalized(next, &log)?;
            self.finalize(next, tx_hash)?;
            return Ok(true);
        }
        if let Some(record) = self.store.l1_record(next)? {
            if let Some(receipt) = self
                .provider
                .get_transaction_receipt(record.tx_hash)
                .await?
            {
                if receipt.status() {
                    let log = Self::receipt_log(next, receipt.inner.logs())?;
                    let tx_hash = self.check_finalized(next, &log)?;
                    self.finalize(next, tx_hash)?;
                    return Ok(true);
                }
                let error = format!("batch {next}: submitBatch reverted in {}", record.tx_hash);
                let failures = self.health.retrying(Stage::Submitter, &error);
                tracing::warn!(%error, failures, "sending again");
            }
        }
        let record = self
            .store
            .batch(next)?
            .ok_or_else(|| SubmitError::Inconsistent(format!("proven batch {next} missing")))?;
        let words: Vec<U256> = proof
            .words
            .iter()
            .map(|w| w.parse::<U256>())
            .collect::<Result<_, _>>()
            .map_err(|e| SubmitError::Inconsistent(format!("stored proof: {e}")))?;
        let words: [U256; 8] = words
            .try_into()
            .map_err(|_| SubmitError::Inconsistent("stored proof is not 8 words".into()))?;
        let pending = rollup
            .submitBatch(batch_data(&record.batch), words)
            .send()
            .await?;
        let tx_hash = *pending.tx_hash();
        self.store.put_l1_record(
            next,
            &L1Record {
                tx_hash,
                finalized: false,
                finalized_at: None,
            },
        )?;
        let receipt = pending
            .with_timeout(Some(self.config.receipt_timeout))
            .get_receipt()
            .await?;
        if !receipt.status() {
            return Err(SubmitError::Inconsistent(format!(
                "batch {next}: submitBatch reverted in {tx_hash}"
            )));
        }
        let log = Self::receipt_log(next, receipt.inner.logs())?;
        let tx_hash = self.check_finalized(next, &log)?;
        self.finalize(next, tx_hash)?;
        Ok(true)
    }

    /// The `BatchFinalized` event of batch `number` among a receipt's logs.
    fn receipt_log(number: u64, logs: &[Log]) -> Result<Log, SubmitError> {
        logs.iter()
            .find(|log| {
                log.topic0() == Some(&Rollup::BatchFinalized::SIGNATURE_HASH)
                    && log.topics().get(1) == Some(&B256::from(U256::from(number)))
            })
            .cloned()
            .ok_or_else(|| {
                SubmitError::Inconsistent(format!(
                    "the receipt of batch {number} has no BatchFinalized event"
                ))
            })
    }

    /// Checks that L1's `BatchFinalized` event of batch `number` carries this node's
    /// commitment and new root; the transaction that emitted it.
    fn check_finalized(&self, number: u64, log: &Log) -> Result<B256, SubmitError> {
        let event = log
            .log_decode::<Rollup::BatchFinalized>()
            .map_err(|e| SubmitError::Inconsistent(format!("BatchFinalized({number}): {e}")))?;
        let tx_hash = log.transaction_hash.ok_or_else(|| {
            SubmitError::Inconsistent(format!("BatchFinalized({number}) without a transaction"))
        })?;
        let record = self
            .store
            .batch(number)?
            .ok_or_else(|| SubmitError::Inconsistent(format!("batch {number} missing")))?;
        let local_commitment = word(&record.batch.commitment);
        let local_root = word(&record.batch.header.new_root);
        let (l1_commitment, l1_root) = (event.inner.data.commitment, event.inner.data.newRoot);
        if l1_commitment != local_commitment || l1_root != local_root {
            return Err(SubmitError::Diverged(format!(
                "batch {number} on L1 (transaction {tx_hash}) is not this node's: L1 has \
                 commitment {l1_commitment:#x} and new root {l1_root:#x}, this node's batch \
                 has commitment {local_commitment:#x} and new root {local_root:#x}. Another \
                 party submitted batch {number}; this node's state no longer follows L1 and it \
                 stops. Rebuild the state from L1 (`verity reconstruct`) before running a node \
                 again"
            )));
        }
        Ok(tx_hash)
    }

    /// The `BatchFinalized` event that names batch `number`.
    async fn finalizing_log(&self, number: u64) -> Result<Log, SubmitError> {
        let filter = Filter::new()
            .address(self.deployment.rollup)
            .from_block(self.deployment.deployment_block)
            .event_signature(Rollup::BatchFinalized::SIGNATURE_HASH)
            .topic1(B256::from(U256::from(number)));
        self.provider
            .get_logs(&filter)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                SubmitError::Inconsistent(format!("no BatchFinalized event for {number}"))
            })
    }

    /// Records batch `number` as final and moves the finalized state on.
    fn finalize(&self, number: u64, tx_hash: B256) -> Result<(), SubmitError> {
        let job = self
            .store
            .job(number)?
            .ok_or_else(|| SubmitError::Inconsistent(format!("job of batch {number} missing")))?;
        let mut writer = self.store.writer();
        {
            let mut state = self.finalized_state.write().expect("state lock");
            let updates = job
                .slots
                .iter()
                .flat_map(|slot| [&slot.first, &slot.second])
                .chain(job.fees.iter().map(|fee| &fee.update));
            for update in updates {
                if let Some(after) = update.after.filter(|a| Some(*a) != update.before) {
                    state.commit(&Effect {
                        updates: vec![(update.index, after)],
                        fee: None,
                        payout: None,
                    });
                    writer.finalized_account(update.index, &after);
                }
            }
            if state.root() != job.header.new_root {
                return Err(SubmitError::Inconsistent(format!(
                    "finalized state diverged at batch {number}"
                )));
            }
        }
        writer.finalized_meta(&FinalizedMeta {
            batch: number,
            root: job.header.new_root,
        });
        writer.drop_job(number);
        writer.l1_record(
            number,
            &L1Record {
                tx_hash,
                finalized: true,
                finalized_at: Some(unix_now()),
            },
        );
        writer.commit(true)?;
        self.sequencer.finalized(number);
        tracing::info!(batch = number, tx = %tx_hash, "batch final on L1");
        let _ = self.events.send(BatchEvent {
            number,
            status: BatchStatus::Finalized,
            proving_seconds: None,
            l1_tx_hash: Some(tx_hash),
        });
        Ok(())
    }
}
