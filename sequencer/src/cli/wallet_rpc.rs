//! `verity wallet` commands that talk to a node's RPC (transfer, withdraw, balance, status)
//! or to the L1 (deposit, claim), through [`verity_wallet`]'s clients. Each prints JSON.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};
use clap::Args;
use serde_json::json;
use verity_circuits::ops::{AccountIndex, TokenId, Transfer, Withdraw};
use verity_rpc_api::AccountRef;
use verity_wallet::{parse_private_key, L1Wallet, NodeClient, Payment};

use super::inputs::read_deployment;

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

impl L1Args {
    fn wallet(&self) -> anyhow::Result<L1Wallet> {
        let deployment = read_deployment(&self.deployment)?;
        Ok(L1Wallet::connect(
            &self.l1_rpc,
            &self.l1_key,
            deployment.rollup,
        )?)
    }
}

fn print(value: serde_json::Value) -> anyhow::Result<()> {
    out!("{}", serde_json::to_string_pretty(&value)?)?;
    Ok(())
}

impl SendArgs {
    async fn send(&self, payment: Payment) -> anyhow::Result<()> {
        let client = NodeClient::connect(&self.rpc.rpc)?;
        let key = parse_private_key(&self.private_key)?;
        let (hash, tx) = client.send(payment, &key, self.nonce).await?;
        print(json!({ "hash": hash, "tx": tx }))
    }
}

/// `verity wallet transfer`.
pub async fn transfer(args: SendArgs, to: AccountIndex) -> anyhow::Result<()> {
    let payment = Payment::Transfer(Transfer {
        from: args.from,
        to,
        token: args.token,
        amount: args.amount,
        fee: args.fee,
        nonce: 0, // filled in by `send`
    });
    args.send(payment).await
}

/// `verity wallet withdraw`.
pub async fn withdraw(args: SendArgs, l1_recipient: Address) -> anyhow::Result<()> {
    let payment = Payment::Withdraw(Withdraw {
        from: args.from,
        token: args.token,
        amount: args.amount,
        fee: args.fee,
        nonce: 0, // filled in by `send`
        to: l1_recipient,
    });
    args.send(payment).await
}

/// `verity wallet balance`.
pub async fn balance(rpc: RpcArgs, account: AccountRef) -> anyhow::Result<()> {
    let accounts = NodeClient::connect(&rpc.rpc)?.accounts(account).await?;
    print(serde_json::to_value(accounts)?)
}

/// `verity wallet history`.
pub async fn history(
    rpc: RpcArgs,
    account: AccountIndex,
    cursor: Option<u64>,
    limit: Option<usize>,
) -> anyhow::Result<()> {
    let client = NodeClient::connect(&rpc.rpc)?;
    print(serde_json::to_value(
        client.history(account, cursor, limit).await?,
    )?)
}

/// `verity wallet status`.
pub async fn status(rpc: RpcArgs, tx: Option<B256>, follow: bool) -> anyhow::Result<()> {
    let client = NodeClient::connect(&rpc.rpc)?;
    match tx {
        Some(hash) if follow => {
            let mut written = Ok(());
            client
                .follow(hash, |event| {
                    written = serde_json::to_string(event)
                        .map_err(anyhow::Error::from)
                        .and_then(|line| Ok(out!("{line}")?));
                    written.is_ok()
                })
                .await?;
            written
        }
        Some(hash) => print(serde_json::to_value(client.transaction(hash).await?)?),
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
    let owner = parse_private_key(&private_key)?.public_key();
    let deposited = l1.wallet()?.deposit(&owner, token, amount).await?;
    print(json!({
        "l1_tx_hash": deposited.tx_hash,
        "block": deposited.block,
        "token": token,
        "amount": amount.to_string(),
    }))
}

/// `verity wallet claim`: pays out on L1 the sender's pending balance (what a batch could not
/// pay it directly, an exodus exit, forced-exit fees).
pub async fn claim(l1: L1Args, token: TokenId) -> anyhow::Result<()> {
    let tx_hash = l1.wallet()?.claim(token).await?;
    print(json!({
        "l1_tx_hash": tx_hash,
        "token": token,
    }))
}
