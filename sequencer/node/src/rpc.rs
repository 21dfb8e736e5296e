//! The node's implementation of the `verity` namespace.

use std::sync::{Arc, RwLock};

use alloy_primitives::B256;
use jsonrpsee::core::{async_trait, RpcResult, SubscriptionResult};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::PendingSubscriptionSink;
use tokio::sync::broadcast;
use verity_circuits::field::fr_to_hex;
use verity_circuits::ops::{AccountIndex, L2Tx};
use verity_circuits::state::State;
use verity_l1::deployment::Deployment;
use verity_rpc_api::codes;
use verity_rpc_api::convert::{
    account_proof, account_query, error, forward_events, found_accounts, token_infos,
};
use verity_rpc_api::events::{BatchEvent, BatchStatus, TxStatusEvent};
use verity_rpc_api::{
    AccountInfo, AccountProof, AccountRef, BatchInfo, ChainInfo, HistoryPage, ProofInfo, TokenInfo,
    TxInfo, VerifierInfo, VerityApiServer, HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX,
};
use verity_storage::{Store, StoreError};

use crate::health::Health;
use crate::mempool::Refusal;
use crate::sequencer::{SequencerHandle, SequencerStatus};

/// What the RPC handlers read.
#[derive(Clone)]
pub struct RpcContext {
    /// The database.
    pub store: Store,
    /// The sequencer.
    pub sequencer: SequencerHandle,
    /// The state as of the last finalized batch.
    pub finalized_state: Arc<RwLock<State>>,
    /// The deployment.
    pub deployment: Deployment,
    /// Batch events.
    pub events: broadcast::Sender<BatchEvent>,
    /// The pipeline stages' health.
    pub health: Health,
}

fn internal(e: StoreError) -> ErrorObjectOwned {
    error(codes::INTERNAL, e.to_string())
}

fn refusal(r: Refusal) -> ErrorObjectOwned {
    error(r.code(), r.to_string())
}

fn unavailable() -> ErrorObjectOwned {
    refusal(Refusal::Unavailable("the sequencer stopped".into()))
}

impl RpcContext {
    fn status_of(&self, number: u64) -> Result<(BatchStatus, Option<B256>), ErrorObjectOwned> {
        if number > self.store.executed().map_err(internal)? {
            return Ok((BatchStatus::Pending, None));
        }
        if let Some(record) = self.store.l1_record(number).map_err(internal)? {
            if record.finalized {
                return Ok((BatchStatus::Finalized, Some(record.tx_hash)));
            }
        }
        if self.store.proof(number).map_err(internal)?.is_some() {
            return Ok((BatchStatus::Proven, None));
        }
        Ok((BatchStatus::Executed, None))
    }

    /// A transaction's status, batch and L1 transaction; `None` for an unknown hash.
    fn tx_status(&self, hash: &B256) -> Result<Option<(L2Tx, TxStatusEvent)>, ErrorObjectOwned> {
        let Some(record) = self.store.tx(hash).map_err(internal)? else {
            return Ok(None);
        };
        let (status, l1_tx_hash) = match record.batch {
            Some(number) => self.status_of(number)?,
            None => (BatchStatus::Pending, None),
        };
        let event = TxStatusEvent {
            hash: *hash,
            status,
            batch: record.batch,
            l1_tx_hash,
        };
        Ok(Some((record.tx, event)))
    }

    fn latest_proven(&self, finalized: u64, executed: u64) -> Result<u64, ErrorObjectOwned> {
        let mut latest = finalized;
        while latest < executed && self.store.proof(latest + 1).map_err(internal)?.is_some() {
            latest += 1;
        }
        Ok(latest)
    }
}

#[async_trait]
impl VerityApiServer for RpcContext {
    async fn send_transaction(&self, tx: L2Tx) -> RpcResult<B256> {
        // The rules allow any recipient; these two would strand the payout for good, so the
        // sequencer takes no such withdrawal (a policy of this node, not a validity rule).
        if let L2Tx::Withdraw { tx: withdraw, .. } = &tx {
            if withdraw.to == alloy_primitives::Address::ZERO
                || withdraw.to == self.deployment.rollup
            {
                return Err(refusal(Refusal::UnpayableRecipient(withdraw.to)));
            }
        }
        self.sequencer.submit(tx).await.map_err(refusal)
    }

    async fn get_transaction(&self, hash: B256) -> RpcResult<TxInfo> {
        let (tx, now) = self.tx_status(&hash)?.ok_or_else(|| unknown_tx(&hash))?;
        Ok(tx_info(tx, now))
    }

    async fn get_account(&self, account: AccountRef) -> RpcResult<Vec<AccountInfo>> {
        let found = self
            .sequencer
            .accounts(account_query(account)?)
            .await
            .ok_or_else(unavailable)?;
        found_accounts(found)
    }

    async fn get_history(
        &self,
        account: AccountIndex,
        cursor: Option<u64>,
        limit: Option<usize>,
    ) -> RpcResult<HistoryPage> {
        let limit = limit.unwrap_or(HISTORY_PAGE_DEFAULT);
        if limit == 0 || limit > HISTORY_PAGE_MAX {
            return Err(error(
                codes::INVALID_VALUE,
                format!("limit {limit}: a page holds 1 to {HISTORY_PAGE_MAX} transactions"),
            ));
        }
        let from = cursor.unwrap_or(0);
        let entries = self.store.history(account, from, limit).map_err(internal)?;
        let mut transactions = Vec::with_capacity(entries.len());
        for (_, hash) in &entries {
            let (tx, now) = self.tx_status(hash)?.ok_or_else(|| {
                error(
                    codes::INTERNAL,
                    format!("account {account}'s history names {hash}, which is not stored"),
                )
            })?;
            transactions.push(tx_info(tx, now));
        }
        let next = entries.last().map_or(from, |(position, _)| position + 1);
        Ok(HistoryPage { transactions, next })
    }

    async fn get_account_proof(&self, index: AccountIndex) -> RpcResult<AccountProof> {
        let meta = self.store.finalized_meta().map_err(internal)?;
        let state = self.finalized_state.read().expect("state lock");
        account_proof(&state, meta.batch, index)
    }

    async fn get_batch(&self, number: u64) -> RpcResult<BatchInfo> {
        let record = self
            .store
            .batch(number)
            .map_err(internal)?
            .ok_or_else(|| error(codes::NOT_FOUND, format!("unknown batch {number}")))?;
        let (status, l1_tx_hash) = self.status_of(number)?;
        let proof = self
            .store
            .proof(number)
            .map_err(internal)?
            .map(|p| ProofInfo {
                proof: p.proof,
                public_signals: verity_prover::snarkjs::public_signals(
                    &record.batch.public_inputs(),
                ),
                proving_seconds: p.proving_seconds,
                prover: p.prover,
            });
        let batch = record.batch;
        Ok(BatchInfo {
            number,
            status,
            size: record.size,
            old_root: fr_to_hex(&batch.header.old_root),
            new_root: fr_to_hex(&batch.header.new_root),
            commitment: fr_to_hex(&batch.data.hash),
            operations: batch.ops,
            fee_slots: batch.fee_slots,
            payouts: batch.payouts,
            pubdata: format!("0x{}", hex::encode(&batch.pubdata)),
            blob: record.blob,
            sealed_at: record.sealed_at,
            proof,
            l1_tx_hash,
        })
    }

    async fn tokens(&self) -> RpcResult<Vec<TokenInfo>> {
        let status = self.sequencer.status().await.ok_or_else(unavailable)?;
        Ok(token_infos(&status.tokens))
    }

    async fn chain_info(&self) -> RpcResult<ChainInfo> {
        let status = match self.sequencer.status().await {
            Some(status) => status,
            // Stopped after a failure: the position as stored, so the health stays readable.
            None if self.health.failure().is_some() => {
                let meta = self.store.sequencer_meta().map_err(internal)?;
                let meta = meta.unwrap_or_default();
                SequencerStatus {
                    closed: meta.closed,
                    open: 0,
                    pending: 0,
                    tokens: meta.tokens,
                    l1_scanned: meta.l1_scanned,
                }
            }
            None => return Err(unavailable()),
        };
        let finalized = self.store.finalized_meta().map_err(internal)?;
        let root = if finalized.batch == 0 {
            self.deployment.genesis_root
        } else {
            finalized.root
        };
        let executed = self.store.executed().map_err(internal)?;
        let executed_root = match self.store.batch(executed).map_err(internal)? {
            Some(record) => record.batch.header.new_root,
            None => self.deployment.genesis_root,
        };
        Ok(ChainInfo {
            chain_id: self.deployment.chain_id,
            rollup: self.deployment.rollup,
            verifiers: self
                .deployment
                .verifiers
                .iter()
                .map(|v| VerifierInfo {
                    slots: v.slots,
                    address: v.address,
                    verifying_key_hash: v.verifying_key_hash.clone(),
                })
                .collect(),
            depth: self.deployment.depth,
            latest_closed: status.closed,
            latest_executed: executed,
            latest_proven: self.latest_proven(finalized.batch, executed)?,
            latest_finalized: finalized.batch,
            state_root: fr_to_hex(&root),
            executed_root: fr_to_hex(&executed_root),
            pending_transactions: status.pending,
            l1_scanned_block: status.l1_scanned,
            health: self.health.snapshot(),
        })
    }

    async fn subscribe_batches(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        forward_events(pending, &self.events).await
    }

    async fn subscribe_transaction(
        &self,
        pending: PendingSubscriptionSink,
        hash: B256,
    ) -> SubscriptionResult {
        // Listening starts before the first read, so no change falls between the two.
        let mut events = self.events.subscribe();
        let now = match self.tx_status(&hash) {
            Ok(Some((_, now))) => now,
            Ok(None) => {
                pending.reject(unknown_tx(&hash)).await;
                return Ok(());
            }
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        };
        let sink = pending.accept().await?;
        let mut sent: Option<BatchStatus> = None;
        let mut now = now;
        loop {
            // Every status from the one after the last sent up to the current one: a
            // transaction passes through each, and one read may find it several steps on.
            let mut status = sent.map_or(Some(now.status), BatchStatus::next);
            while let Some(step) = status.filter(|step| *step <= now.status) {
                let event = TxStatusEvent {
                    status: step,
                    l1_tx_hash: now.l1_tx_hash.filter(|_| step == BatchStatus::Finalized),
                    ..now.clone()
                };
                let message = serde_json::value::to_raw_value(&event)?;
                if sink.send(message).await.is_err() {
                    return Ok(());
                }
                sent = Some(step);
                status = step.next();
            }
            if now.status == BatchStatus::Finalized {
                return Ok(());
            }
            // Any batch event may be this transaction's (its batch closes, executes, is proven
            // or final); a periodic read covers events missed by a lagging receiver.
            tokio::select! {
                received = events.recv() => {
                    if let Err(broadcast::error::RecvError::Closed) = received {
                        return Ok(());
                    }
                }
                _ = tokio::time::sleep(TX_STATUS_POLL) => {}
                _ = sink.closed() => return Ok(()),
            }
            // An error ends the subscription with an error notification (a plain end would
            // leave the client waiting for `finalized`).
            now = match self.tx_status(&hash) {
                Ok(Some((_, now))) => now,
                Ok(None) => return Err(format!("transaction {hash} is no longer known").into()),
                Err(e) => return Err(e.message().to_owned().into()),
            };
        }
    }
}

/// How often a transaction subscription reads the status without a batch event.
const TX_STATUS_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// A transaction as `verity_getTransaction` gives it, from its status now.
fn tx_info(tx: L2Tx, now: TxStatusEvent) -> TxInfo {
    TxInfo {
        hash: now.hash,
        tx,
        status: now.status,
        batch: now.batch,
        l1_tx_hash: now.l1_tx_hash,
    }
}

fn unknown_tx(hash: &B256) -> ErrorObjectOwned {
    error(codes::NOT_FOUND, format!("unknown transaction {hash}"))
}
