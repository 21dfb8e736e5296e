//! What every server of the namespace shares: the RPC forms of the rules' types, parameter
//! parsing with its error codes, and the batch subscription.

use alloy_primitives::Address;
use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::PendingSubscriptionSink;
use tokio::sync::broadcast;
use verity_circuits::eddsa::PublicKey;
use verity_circuits::field::fr_to_hex;
use verity_circuits::ops::AccountIndex;
use verity_circuits::state::{Account, State};

use crate::codes;
use crate::events::BatchEvent;
use crate::{AccountInfo, AccountProof, AccountRef, PublicKeyJson, TokenInfo};

/// A JSON-RPC error with `code`.
pub fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// Which accounts a query asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountQuery {
    /// One index.
    Index(AccountIndex),
    /// Every account of a key.
    Key(PublicKey),
}

impl AccountQuery {
    /// The accounts of `state` the query names, by index.
    pub fn resolve(&self, state: &State) -> Vec<(AccountIndex, Account)> {
        let indices: Vec<AccountIndex> = match self {
            AccountQuery::Index(index) => vec![*index],
            AccountQuery::Key(key) => (0..state.token_count())
                .flat_map(|token| state.accounts_of(key, token).to_vec())
                .collect(),
        };
        indices
            .into_iter()
            .filter_map(|index| state.account(index).map(|a| (index, *a)))
            .collect()
    }
}

/// The RPC form of an account.
pub fn account_info(index: AccountIndex, account: &Account) -> AccountInfo {
    AccountInfo {
        index,
        public_key: PublicKeyJson::from(&account.pubkey),
        l1_address: account.l1_address,
        token: account.token,
        balance: account.balance.to_string(),
        nonce: account.nonce,
    }
}

/// The accounts a `verity_getAccount` parameter names.
pub fn account_query(account: AccountRef) -> Result<AccountQuery, ErrorObjectOwned> {
    Ok(match account {
        AccountRef::Index(index) => AccountQuery::Index(index),
        AccountRef::Key(text) => AccountQuery::Key(parse_key(&text)?),
    })
}

/// `verity_getAccount`'s answer: the accounts found, or not found.
pub fn found_accounts(found: Vec<(AccountIndex, Account)>) -> RpcResult<Vec<AccountInfo>> {
    if found.is_empty() {
        return Err(error(codes::NOT_FOUND, "unknown account"));
    }
    Ok(found.iter().map(|(i, a)| account_info(*i, a)).collect())
}

/// A packed public key parameter.
pub fn parse_key(text: &str) -> Result<PublicKey, ErrorObjectOwned> {
    let bytes = hex::decode(text.trim_start_matches("0x"))
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            error(
                codes::INVALID_VALUE,
                "a public key is 32 packed bytes, 0x hex",
            )
        })?;
    PublicKey::unpack(&bytes)
        .ok_or_else(|| error(codes::INVALID_VALUE, "the packed key is not a curve point"))
}

/// Registered tokens by id (id 0, ETH, is the zero address).
pub fn token_infos(tokens: &[Address]) -> Vec<TokenInfo> {
    tokens
        .iter()
        .enumerate()
        .map(|(id, address)| TokenInfo {
            id: id as u32,
            address: *address,
        })
        .collect()
}

/// `index`'s leaf and Merkle path in `state`, the state after `batch`.
pub fn account_proof(state: &State, batch: u64, index: AccountIndex) -> RpcResult<AccountProof> {
    let proof = state
        .proof(index)
        .map_err(|e| error(codes::INVALID_VALUE, e.to_string()))?;
    let account = state.account(index).copied();
    Ok(AccountProof {
        batch,
        root: fr_to_hex(&state.root()),
        leaf: fr_to_hex(&account.map(|a| a.leaf_hash()).unwrap_or_default()),
        account: account.map(|a| account_info(index, &a)),
        proof,
    })
}

/// Accepts a batch subscription and forwards `events` to it until either side goes.
pub async fn forward_events(
    pending: PendingSubscriptionSink,
    events: &broadcast::Sender<BatchEvent>,
) -> SubscriptionResult {
    let mut events = events.subscribe();
    let sink = pending.accept().await?;
    loop {
        match events.recv().await {
            Ok(event) => {
                let message = serde_json::value::to_raw_value(&event)?;
                if sink.send(message).await.is_err() {
                    return Ok(());
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
