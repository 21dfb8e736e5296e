//! `verity wallet` commands that talk to a node's RPC (transfer, withdraw, balance, status)
//! or to the L1 (deposit, claim). Each prints JSON.

use std::path::PathBuf;

use alloy::primitives::{Address, B256, U256};
use anyhow::{bail, Context};
use clap::Args;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use serde_json::json;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{AccountIndex, Domain, L2Tx, TokenId, Transfer, Withdraw};
use verity_l1::contracts::{word, Rollup, TestToken};
use verity_rpc_api::{AccountRef, VerityApiClient};

use super::inputs::{l1_provider, parse_private_key, read_deployment};

/// A node's RPC.
#[derive(Debug, Args)]
pub struct RpcArgs {
    /// The node's JSON-RPC URL.
    #[arg(long, default_value = "http://127.0.0.1:8645")]
    pub rpc: String,
}

/// An L2 payment signed by the wallet's key.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// 32-byte L2 private key, hex.
    #[arg(long, env = "VERITY_PRIVATE_KEY")]
    private_key: String,
    /// Sending account index.
    #[arg(long)]
    from: AccountIndex,
    /// Token id (0 is ETH).
    #[arg(long, default_value_t = 0)]
    token: TokenId,
    /// Amount in the token's smallest unit.
    #[arg(long)]
    amount: u128,
    /// Fee in the token's smallest unit.
    #[arg(long, default_value_t = 0)]
    fee: u128,
    /// Nonce (default: the account's next nonce, read from the node).
    #[arg(long)]
    nonce: Option<u32>,
}

/// L1 access for deposits and claims.
#[derive(Debug, Args)]
pub struct L1Args {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    l1_rpc: String,
    /// `deployment.json`.
    #[arg(long)]
    deployment: PathBuf,
    /// L1 private key paying (and owning the deposit), hex.
    #[arg(long, env = "VERITY_L1_KEY")]
    l1_key: String,
}

fn client(rpc: &RpcArgs) -> anyhow::Result<HttpClient> {
    HttpClientBuilder::default()
        .build(&rpc.rpc)
        .with_context(|| format!("node RPC {}", rpc.rpc))
}

fn print(value: serde_json::Value) -> anyhow::Result<()> {
    out!("{}", serde_json::to_string_pretty(&value)?)?;
    Ok(())
}

async fn domain(client: &HttpClient) -> anyhow::Result<Domain> {
    let info = client.chain_info().await.context("verity_chainInfo")?;
    Ok(Domain {
        chain_id: info.chain_id,
        rollup_address: info.rollup,
    })
}

async fn next_nonce(client: &HttpClient, from: AccountIndex) -> anyhow::Result<u32> {
    let accounts = client
        .get_account(AccountRef::Index(from))
        .await
        .context("verity_getAccount")?;
    Ok(accounts.first().map_or(0, |a| a.nonce))
}

impl SendArgs {
    async fn send(&self, make: impl FnOnce(u32) -> L2TxDraft) -> anyhow::Result<()> {
        let client = client(&self.rpc)?;
        let key = parse_private_key(&self.private_key)?;
        let domain = domain(&client).await?;
        let nonce = match self.nonce {
            Some(nonce) => nonce,
            None => next_nonce(&client, self.from).await?,
        };
        let tx = make(nonce).sign(&key, &domain);
        let hash = client.send_transaction(tx).await?;
        print(json!({ "hash": hash, "tx": tx }))
    }
}

/// A transaction before signing.
enum L2TxDraft {
    Transfer(Transfer),
    Withdraw(Withdraw),
}

impl L2TxDraft {
    fn sign(self, key: &PrivateKey, domain: &Domain) -> L2Tx {
        match self {
            L2TxDraft::Transfer(tx) => L2Tx::sign_transfer(tx, key, domain),
            L2TxDraft::Withdraw(tx) => L2Tx::sign_withdraw(tx, key, domain),
        }
    }
}

/// `verity wallet transfer`.
pub async fn transfer(args: SendArgs, to: AccountIndex) -> anyhow::Result<()> {
    args.send(|nonce| {
        L2TxDraft::Transfer(Transfer {
            from: args.from,
            to,
            token: args.token,
            amount: args.amount,
            fee: args.fee,
            nonce,
        })
    })
    .await
}

/// `verity wallet withdraw`.
pub async fn withdraw(args: SendArgs, l1_recipient: Address) -> anyhow::Result<()> {
    args.send(|nonce| {
        L2TxDraft::Withdraw(Withdraw {
            from: args.from,
            token: args.token,
            amount: args.amount,
            fee: args.fee,
            nonce,
            to: l1_recipient,
        })
    })
    .await
}

/// `verity wallet balance`.
pub async fn balance(rpc: RpcArgs, account: AccountRef) -> anyhow::Result<()> {
    let accounts = client(&rpc)?.get_account(account).await?;
    print(serde_json::to_value(accounts)?)
}

/// `verity wallet status`.
pub async fn status(rpc: RpcArgs, tx: Option<B256>) -> anyhow::Result<()> {
    let client = client(&rpc)?;
    match tx {
        Some(hash) => print(serde_json::to_value(client.get_transaction(hash).await?)?),
        None => print(serde_json::to_value(client.chain_info().await?)?),
    }
}

/// `verity wallet deposit`: queues a deposit to the L2 key's account on L1.
pub async fn deposit(
    l1: L1Args,
    private_key: String,
    token: TokenId,
    amount: u128,
) -> anyhow::Result<()> {
    let deployment = read_deployment(&l1.deployment)?;
    let provider = l1_provider(&l1.l1_rpc, &l1.l1_key)?;
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let key = parse_private_key(&private_key)?.public_key();
    if token != 0 {
        let address = rollup.tokens(U256::from(token)).call().await?;
        let erc20 = TestToken::new(address, provider.clone());
        let approve = erc20.approve(deployment.rollup, U256::from(amount));
        if !approve.send().await?.get_receipt().await?.status() {
            bail!("approve reverted");
        }
    }
    let call = rollup.deposit(token, word(&key.0.x()), word(&key.0.y()), amount);
    let call = if token == 0 {
        call.value(U256::from(amount))
    } else {
        call
    };
    let receipt = call.send().await?.get_receipt().await?;
    if !receipt.status() {
        bail!("deposit reverted in {}", receipt.transaction_hash);
    }
    print(json!({
        "l1_tx_hash": receipt.transaction_hash,
        "block": receipt.block_number,
        "token": token,
        "amount": amount.to_string(),
    }))
}

/// `verity wallet claim`: pays out on L1 what finalized withdrawals left pending.
pub async fn claim(l1: L1Args, token: TokenId) -> anyhow::Result<()> {
    let deployment = read_deployment(&l1.deployment)?;
    let provider = l1_provider(&l1.l1_rpc, &l1.l1_key)?;
    let rollup = Rollup::new(deployment.rollup, provider);
    let receipt = rollup.withdraw(token).send().await?.get_receipt().await?;
    if !receipt.status() {
        bail!("withdraw reverted in {}", receipt.transaction_hash);
    }
    print(json!({
        "l1_tx_hash": receipt.transaction_hash,
        "token": token,
    }))
}
