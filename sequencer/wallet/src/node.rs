//! A node's JSON-RPC, from the paying side: the domain to sign for, the next nonce, sending,
//! and reading accounts, transactions and the chain.

use alloy::primitives::B256;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{AccountIndex, Domain, L2Tx, Transfer, Withdraw};
use verity_rpc_api::{AccountInfo, AccountRef, ChainInfo, TxInfo, VerityApiClient};

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

/// A node's JSON-RPC over HTTP.
#[derive(Clone, Debug)]
pub struct NodeClient {
    client: HttpClient,
}

impl NodeClient {
    /// A client of the node at `url` (no request is made yet).
    pub fn connect(url: &str) -> Result<NodeClient, WalletError> {
        let client = HttpClientBuilder::default()
            .build(url)
            .map_err(WalletError::rpc("connecting"))?;
        Ok(NodeClient { client })
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

    /// A transaction's status (`verity_getTransaction`).
    pub async fn transaction(&self, hash: B256) -> Result<TxInfo, WalletError> {
        let tx = self.client.get_transaction(hash).await;
        tx.map_err(WalletError::rpc("verity_getTransaction"))
    }
}
