//! The L1 submitter: sends proven batches to the Rollup contract strictly in order. Proven
//! batches that wait together (of one circuit size and publication, within the gas budget)
//! go in one `submitBatches` transaction, whose proofs the contract checks together; a batch
//! alone goes through `submitBatch` or `submitBlobBatch`. It is idempotent and resumes after
//! a restart: before sending batch `n` it asks the contract for its batch number, and a batch
//! the contract already holds (sent before a crash) is only recorded, with the transaction
//! found in its `BatchFinalized` event. Before a batch is recorded as final, the
//! `BatchFinalized` event on L1 must carry this node's commitment and new root: if batch `n`
//! on L1 is someone else's, the node has diverged from L1 and the submitter stops the node
//! instead of retrying. A batch sealed for a blob goes in a blob transaction (its own blob,
//! up to six a transaction) whose sidecar is rebuilt from the stored pubdata and checked
//! against the versioned hash the proof was bound to. Nonces, fees and blob gas come from the
//! provider's fillers; the gas limit is the estimate plus headroom for the payouts
//! ([`payout_headroom`]). Each finalized batch's account updates are applied to the finalized
//! state, which serves account proofs.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use alloy::eips::eip7594::{BlobTransactionSidecarEip7594, MAX_BLOBS_PER_TX_FUSAKA};
use alloy::primitives::{B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use tokio::sync::broadcast;
use verity_circuits::field::fr_to_u256;
use verity_circuits::state::{Effect, State};
use verity_l1::blob::{self, BatchBlob, BlobError};
use verity_l1::contracts::{batch_data, blob_batch_data, Rollup};
use verity_l1::deployment::Deployment;
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_rpc_api::health::Stage;
use verity_storage::{BatchRecord, FinalizedMeta, L1Record, Store, StoreError};

use crate::gas::{BatchGas, PAYOUT_GAS};
use crate::health::Health;
use crate::publication::Publication;
use crate::sequencer::SequencerHandle;
use crate::unix_now;

/// Default most batches in one L1 transaction: as many as one transaction may carry blobs
/// (EIP-7594's six).
pub const DEFAULT_BATCHES_PER_TX: usize = MAX_BLOBS_PER_TX_FUSAKA as usize;

/// Most calldata bytes of a transaction of several batches: under the 128 KiB that geth's
/// and reth's transaction pools take.
pub const MAX_GROUP_CALLDATA: usize = 120_000;
/// Calldata bytes of one batch in `submitBatches` besides its pubdata and payouts: its
/// header, proof, blob opening and their ABI offsets, rounded up.
const BATCH_CALLDATA: usize = 1_024;
/// ABI bytes of one payout.
const PAYOUT_CALLDATA: usize = 96;

/// The submitter's configuration.
#[derive(Clone, Debug)]
pub struct SubmitterConfig {
    /// How often to look for a proven batch.
    pub poll: Duration,
    /// How long to wait for a sent batch to be mined before sending it again.
    pub receipt_timeout: Duration,
    /// Most batches sent in one transaction (at least one; six at most when in blobs).
    pub max_batches_per_tx: usize,
    /// Most L1 gas a transaction of several batches may need, by the sum of the batches'
    /// estimates (each counting its own fixed cost, so the sum is above the transaction's).
    pub gas_budget: u64,
}

/// L1's batch under this node's next number, and this node's, differ.
#[derive(Debug, thiserror::Error)]
#[error(
    "batch {number} on L1 (transaction {tx_hash}) is not this node's: L1 has commitment {:#x} \
     and new root {:#x}, this node's batch has commitment {:#x} and new root {:#x}. Another \
     party submitted batch {number}; this node's state no longer follows L1 and it stops. \
     Rebuild the state from L1 (`verity reconstruct`) before running a node again",
    l1[0], l1[1], local[0], local[1]
)]
pub struct Divergence {
    /// The batch.
    pub number: u64,
    /// The L1 transaction that finalized the other batch.
    pub tx_hash: B256,
    /// L1's commitment and new root.
    pub l1: [U256; 2],
    /// This node's commitment and new root.
    pub local: [U256; 2],
}

/// A submission failed; it is retried, except [`SubmitError::Diverged`].
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// L1 finalized a batch under this node's next number that is not this node's batch:
    /// the node's state no longer follows L1. Fatal: the node stops.
    #[error(transparent)]
    Diverged(Box<Divergence>),
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
    /// `submitBatch` was mined and reverted.
    #[error("batch {number}: submitBatch reverted in {tx_hash}")]
    Reverted {
        /// The batch.
        number: u64,
        /// The transaction.
        tx_hash: B256,
    },
    /// L1 has no `BatchFinalized` event of the batch where it must have one.
    #[error("no BatchFinalized event of batch {0}")]
    NoFinalizedEvent(u64),
    /// The batch's `BatchFinalized` event does not decode.
    #[error("BatchFinalized({number}): {source}")]
    BadEvent {
        /// The batch.
        number: u64,
        /// Why.
        source: alloy::sol_types::Error,
    },
    /// The batch's `BatchFinalized` event names no transaction.
    #[error("BatchFinalized({0}) without a transaction")]
    EventWithoutTransaction(u64),
    /// A proven batch's record is missing from the database.
    #[error("batch {0} is proven but missing")]
    MissingBatch(u64),
    /// A batch being finalized has no proving job left (the account updates come from it).
    #[error("the job of batch {0} is missing")]
    MissingJob(u64),
    /// Applying a finalized batch's updates does not give its new root.
    #[error("the finalized state diverged at batch {0}")]
    FinalizedStateDiverged(u64),
    /// A batch sealed for a blob cannot be put back in the blob its proof is bound to.
    #[error("batch {number}'s blob: {source}")]
    Blob {
        /// The batch.
        number: u64,
        /// Why.
        source: BlobError,
    },
    /// A stored proof is not the eight words `submitBatch` takes.
    #[error("the stored proof of batch {0} is not eight words")]
    BadStoredProof(u64),
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
        // After a failure the next batch goes alone, so that a group L1 refuses (a batch in
        // it that reverts, a deployment from before `submitBatches`) holds nothing back.
        let mut alone = false;
        loop {
            match self.step(alone).await {
                Ok(true) => {
                    alone = false;
                    self.health.running(Stage::Submitter);
                }
                Ok(false) => tokio::time::sleep(self.config.poll).await,
                Err(error @ SubmitError::Diverged(_)) => return Err(error),
                Err(error) => {
                    alone = true;
                    let failures = self.health.retrying(Stage::Submitter, &error);
                    tracing::warn!(%error, failures, "L1 submitter; retrying");
                    tokio::time::sleep(self.config.poll * 5).await;
                }
            }
        }
    }

    /// Moves the next batch on (`alone`: without others); false when there was nothing to do.
    async fn step(&self, alone: bool) -> Result<bool, SubmitError> {
        let next = self.store.finalized_meta()?.batch + 1;
        if self.store.proof(next)?.is_none() {
            return Ok(false);
        }
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
                let error = SubmitError::Reverted {
                    number: next,
                    tx_hash: record.tx_hash,
                };
                let failures = self.health.retrying(Stage::Submitter, &error);
                tracing::warn!(%error, failures, "sending again");
            }
        }
        let mut group = group(&self.store, &self.config, next)?;
        if alone {
            group.truncate(1);
        }
        let count = group.len() as u64;
        let words: Vec<[U256; 8]> = group.iter().map(|(_, words)| *words).collect();
        let in_blobs = group[0].0.blob.is_some();
        let headroom = payout_headroom(&group);
        let pending = match (group.len(), in_blobs) {
            (1, false) => {
                let call = rollup.submitBatch(batch_data(&group[0].0.batch), words[0]);
                send_with_headroom(call, headroom).await?
            }
            (1, true) => {
                let (mut data, mut openings, sidecar) = blob_calls(next, group).await?;
                let call = rollup
                    .submitBlobBatch(data.remove(0), openings.remove(0), words[0])
                    .sidecar_7594(sidecar);
                send_with_headroom(call, headroom).await?
            }
            (_, false) => {
                let data = group
                    .iter()
                    .map(|(record, _)| batch_data(&record.batch))
                    .collect();
                let call = rollup.submitBatches(data, Vec::new(), words);
                send_with_headroom(call, headroom).await?
            }
            (_, true) => {
                let (data, openings, sidecar) = blob_calls(next, group).await?;
                let call = rollup
                    .submitBatches(data, openings, words)
                    .sidecar_7594(sidecar);
                send_with_headroom(call, headroom).await?
            }
        };
        let tx_hash = *pending.tx_hash();
        for number in next..next + count {
            self.store.put_l1_record(
                number,
                &L1Record {
                    tx_hash,
                    finalized: false,
                    finalized_at: None,
                },
            )?;
        }
        let receipt = pending
            .with_timeout(Some(self.config.receipt_timeout))
            .get_receipt()
            .await?;
        if !receipt.status() {
            return Err(SubmitError::Reverted {
                number: next,
                tx_hash,
            });
        }
        for number in next..next + count {
            let log = Self::receipt_log(number, receipt.inner.logs())?;
            let tx_hash = self.check_finalized(number, &log)?;
            self.finalize(number, tx_hash)?;
        }
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
            .ok_or(SubmitError::NoFinalizedEvent(number))
    }

    /// Checks that L1's `BatchFinalized` event of batch `number` carries this node's
    /// commitment and new root; the transaction that emitted it.
    fn check_finalized(&self, number: u64, log: &Log) -> Result<B256, SubmitError> {
        let event = log
            .log_decode::<Rollup::BatchFinalized>()
            .map_err(|source| SubmitError::BadEvent { number, source })?;
        let tx_hash = log
            .transaction_hash
            .ok_or(SubmitError::EventWithoutTransaction(number))?;
        let record = self
            .store
            .batch(number)?
            .ok_or(SubmitError::MissingBatch(number))?;
        let l1 = [event.inner.data.commitment, event.inner.data.newRoot];
        let local = [
            fr_to_u256(&record.batch.data.hash),
            fr_to_u256(&record.batch.header.new_root),
        ];
        same_batch(number, tx_hash, l1, local)?;
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
            .ok_or(SubmitError::NoFinalizedEvent(number))
    }

    /// Records batch `number` as final and moves the finalized state on.
    fn finalize(&self, number: u64, tx_hash: B256) -> Result<(), SubmitError> {
        let job = self
            .store
            .job(number)?
            .ok_or(SubmitError::MissingJob(number))?;
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
                return Err(SubmitError::FinalizedStateDiverged(number));
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

/// The proven batches to send together from `next` on, with their proofs: `next`, then
/// each following proven batch of the same circuit size and publication while the
/// transaction stays within [`SubmitterConfig::max_batches_per_tx`], six blobs,
/// [`SubmitterConfig::gas_budget`] and [`MAX_GROUP_CALLDATA`] bytes.
fn group(
    store: &Store,
    config: &SubmitterConfig,
    next: u64,
) -> Result<Vec<(BatchRecord, [U256; 8])>, SubmitError> {
    let mut group: Vec<(BatchRecord, [U256; 8])> = Vec::new();
    let (mut gas, mut bytes) = (0, 0);
    for number in next.. {
        let Some(proof) = store.proof(number)? else {
            break;
        };
        let record = store
            .batch(number)?
            .ok_or(SubmitError::MissingBatch(number))?;
        let publication = match record.blob {
            None => Publication::Calldata,
            Some(_) => Publication::Blob,
        };
        let estimate = BatchGas {
            ops: record.batch.ops.len(),
            payouts: record.batch.payouts.len(),
        }
        .estimate(record.size, publication);
        let calldata = match publication {
            Publication::Calldata => record.batch.pubdata.len(),
            Publication::Blob => 0,
        } + PAYOUT_CALLDATA * record.batch.payouts.len()
            + BATCH_CALLDATA;
        if let Some((first, _)) = group.first() {
            let most = match publication {
                Publication::Calldata => config.max_batches_per_tx,
                Publication::Blob => config
                    .max_batches_per_tx
                    .min(MAX_BLOBS_PER_TX_FUSAKA as usize),
            };
            if group.len() >= most
                || record.size != first.size
                || record.blob.is_some() != first.blob.is_some()
                || gas + estimate > config.gas_budget
                || bytes + calldata > MAX_GROUP_CALLDATA
            {
                break;
            }
        }
        let words: [U256; 8] = proof
            .words
            .iter()
            .map(|w| w.parse::<U256>())
            .collect::<Result<Vec<_>, _>>()
            .ok()
            .and_then(|words| words.try_into().ok())
            .ok_or(SubmitError::BadStoredProof(number))?;
        gas += estimate;
        bytes += calldata;
        group.push((record, words));
    }
    Ok(group)
}

/// Gas a submission of `group` may need beyond its estimate: [`PAYOUT_GAS`] a payout. The
/// contract pays each payout straight to its recipient, and a recipient (or a token) can
/// accept in the estimate's simulation and refuse on chain (say, on `tx.gasprice`), where the
/// fallback to a pending balance costs more: a limit of the bare estimate would run out of gas
/// every time the node sent the batch again. Unused gas is not charged.
fn payout_headroom(group: &[(BatchRecord, [U256; 8])]) -> u64 {
    let payouts: usize = group
        .iter()
        .map(|(record, _)| record.batch.payouts.len())
        .sum();
    payouts as u64 * PAYOUT_GAS
}

/// EIP-7825's most gas a transaction may have.
const TRANSACTION_GAS_CAP: u64 = 1 << 24;

/// Sends `call` with a gas limit of its estimate plus `headroom`, within EIP-7825's cap (which
/// the default budget and payout cap keep it under: 12,000,000 and 48 × [`PAYOUT_GAS`]).
async fn send_with_headroom<D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<&DynProvider, D>,
    headroom: u64,
) -> Result<alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>, SubmitError> {
    let estimate = call.estimate_gas().await?;
    let limit = (estimate + headroom).min(TRANSACTION_GAS_CAP).max(estimate);
    Ok(call.gas(limit).send().await?)
}

/// The batch arguments, blob openings and sidecar of `group`, batches sealed for blobs from
/// number `first` on, the `i`th in the transaction's blob `i`. Each blob is made again from
/// its batch's pubdata and must be the one the batch's proof is bound to. An FFT, a
/// commitment and 128 cell proofs a blob: off the async threads.
async fn blob_calls(
    first: u64,
    group: Vec<(BatchRecord, [U256; 8])>,
) -> Result<
    (
        Vec<Rollup::BatchData>,
        Vec<Rollup::BlobOpening>,
        BlobTransactionSidecarEip7594,
    ),
    SubmitError,
> {
    tokio::task::spawn_blocking(move || {
        let mut data = Vec::new();
        let mut openings = Vec::new();
        let mut blobs = Vec::new();
        for (index, (record, _)) in group.iter().enumerate() {
            let number = first + index as u64;
            let failed = |source| SubmitError::Blob { number, source };
            let blob = BatchBlob::new(&record.batch.pubdata).map_err(failed)?;
            if Some(blob.versioned_hash) != record.blob {
                return Err(failed(BlobError::OtherBinding));
            }
            let (batch, opening) = blob_batch_data(&record.batch, &blob, index).map_err(failed)?;
            data.push(batch);
            openings.push(opening);
            blobs.push(blob);
        }
        let sidecar = blob::sidecar(&blobs.iter().collect::<Vec<_>>()).map_err(|source| {
            SubmitError::Blob {
                number: first,
                source,
            }
        })?;
        Ok((data, openings, sidecar))
    })
    .await
    .expect("building blobs does not panic")
}

/// Whether L1's batch `number` (its commitment and new root, finalized in `tx_hash`) is this
/// node's: anything else is [`SubmitError::Diverged`].
fn same_batch(
    number: u64,
    tx_hash: B256,
    l1: [U256; 2],
    local: [U256; 2],
) -> Result<(), SubmitError> {
    if l1 == local {
        return Ok(());
    }
    Err(SubmitError::Diverged(Box::new(Divergence {
        number,
        tx_hash,
        l1,
        local,
    })))
}

#[cfg(test)]
mod tests;
