//! A node's JSON-RPC, from the paying side: the domain to sign for, the next nonce, sending,
//! reading accounts, transactions and the chain, and following a transaction's status over
//! the node's WebSocket.

use alloy::primitives::B256;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::ws_client::WsClientBuilder;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{AccountIndex, Domain, L2Tx, Transfer, Withdraw};
use verity_rpc_api::events::{BatchStatus, TxStatusEvent};
use verity_rpc_api::{AccountInfo, AccountRef, ChainInfo, HistoryPage, TxInfo, VerityApiClient};

use crate::WalletError;

/// A payment to sign and send, its nonce left for [`NodeClient::send`] to fill in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payment {
    /// An L2 transfer.
    Transfer(Transfer),
    /// A withdrawal to L1.
    Withdraw(Withdraw),
}

impl Payment {
    /// The sending account.
    pub fn from(&self) -> AccountIndex {
        match self {
            Payment::Transfer(tx) => tx.from,
            Payment::Withdraw(tx) => tx.from,
        }
    }

    fn sign(self, nonce: u32, key: &PrivateKey, domain: &Domain) -> L2Tx {
        match self {
            Payment::Transfer(tx) => L2Tx::sign_transfer(Transfer { nonce, ..tx }, key, domain),
            Payment::Withdraw(tx) => L2Tx::sign_withdraw(Withdraw { nonce, ..tx }, key, domain),
        }
    }
}

/// A node's JSON-RPC over HTTP (and its WebSocket, on the same address, for subscriptions).
#[derive(Clone, Debug)]
pub struct NodeClient {
    client: HttpClient,
    url: String,
}

impl NodeClient {
    /// A client of the node at `url` (no request is made yet).
    pub fn connect(url: &str) -> Result<NodeClient, WalletError> {
        let client = HttpClientBuilder::default()
            .build(url)
            .map_err(WalletError::rpc("connecting"))?;
        Ok(NodeClient {
            client,
            url: url.to_owned(),
        })
    }

    /// Follows a transaction's status over the node's WebSocket (the RPC URL with `ws` for
    /// `http`; `verity_subscribeTransaction`): `each` gets its status now and every later one,
    /// once and in order, until `finalized` or until it returns false.
    pub async fn follow(
        &self,
        hash: B256,
        mut each: impl FnMut(&TxStatusEvent) -> bool,
    ) -> Result<(), WalletError> {
        let method = "verity_subscribeTransaction";
        let url = websocket_url(&self.url);
        let client = WsClientBuilder::default()
            .build(&url)
            .await
            .map_err(WalletError::rpc("connecting"))?;
        let mut statuses = client
            .subscribe_transaction(hash)
            .await
            .map_err(WalletError::rpc(method))?;
        while let Some(event) = statuses.next().await {
            let event = event
                .map_err(jsonrpsee::core::ClientError::ParseError)
                .map_err(WalletError::rpc(method))?;
            if !each(&event) || event.status == BatchStatus::Finalized {
                return Ok(());
            }
        }
        Err(WalletError::rpc(method)(
            jsonrpsee::core::ClientError::Custom(
                "the node closed the subscription before `finalized`".into(),
            ),
        ))
    }

    /// The chain and the node's position (`verity_chainInfo`).
    pub async fn chain_info(&self) -> Result<ChainInfo, WalletError> {
        let info = self.client.chain_info().await;
        info.map_err(WalletError::rpc("verity_chainInfo"))
    }

    /// The domain signatures bind on the node's deployment.
    pub async fn domain(&self) -> Result<Domain, WalletError> {
        let info = self.chain_info().await?;
        Ok(Domain {
            chain_id: info.chain_id,
            rollup_address: info.rollup,
        })
    }

    /// The account's next nonce as the node sees it, pending transactions included (0 for
    /// an account the node does not know).
    pub async fn next_nonce(&self, account: AccountIndex) -> Result<u32, WalletError> {
        let accounts = self.accounts(AccountRef::Index(account)).await?;
        Ok(accounts.first().map_or(0, |a| a.nonce))
    }

    /// Signs `payment` with `key` for the node's domain, with `nonce` or else the account's
    /// next one, and sends it; returns its hash and the signed transaction.
    pub async fn send(
        &self,
        payment: Payment,
        key: &PrivateKey,
        nonce: Option<u32>,
    ) -> Result<(B256, L2Tx), WalletError> {
        let domain = self.domain().await?;
        let nonce = match nonce {
            Some(nonce) => nonce,
            None => self.next_nonce(payment.from()).await?,
        };
        let tx = payment.sign(nonce, key, &domain);
        let hash = self.client.send_transaction(tx).await;
        Ok((
            hash.map_err(WalletError::rpc("verity_sendTransaction"))?,
            tx,
        ))
    }

    /// Accounts by index or public key (`verity_getAccount`).
    pub async fn accounts(&self, account: AccountRef) -> Result<Vec<AccountInfo>, WalletError> {
        let accounts = self.client.get_account(account).await;
        accounts.map_err(WalletError::rpc("verity_getAccount"))
    }

    /// A page of the transactions `account` sent or received (`verity_getHistory`).
    pub async fn history(
        &self,
        account: AccountIndex,
        cursor: Option<u64>,
        limit: Option<usize>,
    ) -> Result<HistoryPage, WalletError> {
        let page = self.client.get_history(account, cursor, limit).await;
        page.map_err(WalletError::rpc("verity_getHistory"))
    }

    /// A transaction's status (`verity_getTransaction`).
    pub async fn transaction(&self, hash: B256) -> Result<TxInfo, WalletError> {
        let tx = self.client.get_transaction(hash).await;
        tx.map_err(WalletError::rpc("verity_getTransaction"))
    }
}

/// The WebSocket URL of a node's HTTP RPC URL: the same address, `ws` for `http` and `wss` for
/// `https` (the node serves both on one port).
fn websocket_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::websocket_url;

    #[test]
    fn the_websocket_url_is_the_rpc_url_with_ws() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8645"),
            "ws://127.0.0.1:8645"
        );
        assert_eq!(
            websocket_url("https://node.example/rpc"),
            "wss://node.example/rpc"
        );
        assert_eq!(websocket_url("ws://127.0.0.1:8645"), "ws://127.0.0.1:8645");
    }
}
