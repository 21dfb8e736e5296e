//! A read-only node: the `verity` namespace served from a reconstructed state. Accounts,
//! their Merkle proofs, tokens, chain information and batch notifications are served;
//! sending transactions and reading transactions or batches (which L1 does not publish in
//! full) are refused with [`codes::READ_ONLY`].

use std::sync::{Arc, RwLock};

use alloy_primitives::B256;
use jsonrpsee::core::{async_trait, RpcResult, SubscriptionResult};
use jsonrpsee::PendingSubscriptionSink;
use tokio::sync::broadcast;
use verity_circuits::field::fr_to_hex;
use verity_circuits::ops::{AccountIndex, L2Tx};
use verity_l1::deployment::Deployment;
use verity_rpc_api::codes;
use verity_rpc_api::convert::{
    account_proof, account_query, error, forward_events, found_accounts, token_infos,
};
use verity_rpc_api::events::BatchEvent;
use verity_rpc_api::{
    AccountInfo, AccountProof, AccountRef, BatchInfo, ChainInfo, HistoryPage, TokenInfo, TxInfo,
    VerifierInfo, VerityApiServer,
};

use crate::View;

/// What the read-only handlers read.
#[derive(Clone)]
pub struct ReadOnlyRpc {
    /// The reconstructed state.
    pub view: Arc<RwLock<View>>,
    /// The deployment.
    pub deployment: Deployment,
    /// A `finalized` event per batch replayed.
    pub events: broadcast::Sender<BatchEvent>,
}

fn read_only(what: &str) -> jsonrpsee::types::ErrorObjectOwned {
    error(
        codes::READ_ONLY,
        format!("a read-only node (rebuilt from L1) does not {what}"),
    )
}

#[async_trait]
impl VerityApiServer for ReadOnlyRpc {
    async fn send_transaction(&self, _tx: L2Tx) -> RpcResult<B256> {
        Err(read_only("take transactions"))
    }

    async fn get_transaction(&self, _hash: B256) -> RpcResult<TxInfo> {
        Err(read_only(
            "know transactions (L1 publishes no signatures or hashes)",
        ))
    }

    async fn get_account(&self, account: AccountRef) -> RpcResult<Vec<AccountInfo>> {
        let query = account_query(account)?;
        found_accounts(query.resolve(&self.view.read().expect("view lock").state))
    }

    async fn get_account_proof(&self, index: AccountIndex) -> RpcResult<AccountProof> {
        let view = self.view.read().expect("view lock");
        account_proof(&view.state, view.batch, index)
    }

    async fn get_history(
        &self,
        _account: AccountIndex,
        _cursor: Option<u64>,
        _limit: Option<usize>,
    ) -> RpcResult<HistoryPage> {
        Err(read_only(
            "know transactions (L1 publishes no signatures or hashes)",
        ))
    }

    async fn get_batch(&self, _number: u64) -> RpcResult<BatchInfo> {
        Err(read_only("keep batches"))
    }

    async fn tokens(&self) -> RpcResult<Vec<TokenInfo>> {
        let view = self.view.read().expect("view lock");
        Ok(token_infos(&view.meta.tokens))
    }

    async fn chain_info(&self) -> RpcResult<ChainInfo> {
        let view = self.view.read().expect("view lock");
        let root = fr_to_hex(&view.state.root());
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
            latest_closed: view.batch,
            latest_executed: view.batch,
            latest_proven: view.batch,
            latest_finalized: view.batch,
            state_root: root.clone(),
            executed_root: root,
            pending_transactions: 0,
            l1_scanned_block: view.meta.l1_scanned,
            health: Default::default(),
        })
    }

    async fn subscribe_batches(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        forward_events(pending, &self.events).await
    }

    async fn subscribe_transaction(
        &self,
        pending: PendingSubscriptionSink,
        _hash: B256,
    ) -> SubscriptionResult {
        pending
            .reject(read_only(
                "know transactions (L1 publishes no signatures or hashes)",
            ))
            .await;
        Ok(())
    }
}
