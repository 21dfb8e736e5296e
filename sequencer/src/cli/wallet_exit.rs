//! `verity wallet exit`: in exodus mode, proves an account's leaf against the contract's last
//! verified root (from a reconstructed state, or from a proof saved earlier from
//! `verity_getAccountProof`), has its balance credited to the L1 owner and claims it.

use std::path::PathBuf;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use clap::Args;
use serde_json::json;
use verity_circuits::merkle::MerkleProof;
use verity_circuits::ops::{AccountIndex, TokenId};
use verity_circuits::state::Account;
use verity_l1::contracts::{exit_siblings, word, Rollup};
use verity_l1::deployment::Deployment;
use verity_reconstruct::restore_state;
use verity_rpc_api::AccountProof;
use verity_storage::Store;

use super::inputs::{l1_provider, read_deployment};

/// `verity wallet exit` arguments.
#[derive(Debug, Args)]
pub struct ExitArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    l1_rpc: String,
    /// `deployment.json` of the rollup.
    #[arg(long)]
    deployment: PathBuf,
    /// A state rebuilt by `verity reconstruct` (read even while it runs).
    #[arg(long, required_unless_present = "proof", conflicts_with = "proof")]
    data_dir: Option<PathBuf>,
    /// An account proof saved from `verity_getAccountProof` instead of a rebuilt state.
    #[arg(long)]
    proof: Option<PathBuf>,
    /// L1 private key of the accounts' owner (the address that deposited), hex: it sends the
    /// exit and claims the funds.
    #[arg(long, visible_alias = "l1-key", env = "VERITY_L1_KEY")]
    private_key: String,
    /// Token id (0 is ETH).
    #[arg(long, default_value_t = 0)]
    token: TokenId,
    /// Exit only this account (default: every account of the owner in the token).
    #[arg(long)]
    account: Option<AccountIndex>,
}

/// A leaf as `Rollup.exit` takes it.
struct ExitLeaf {
    index: AccountIndex,
    pubkey: [U256; 2],
    owner: Address,
    token: TokenId,
    balance: u128,
    nonce: u32,
    siblings: Vec<[U256; 3]>,
}

impl ExitLeaf {
    fn new(index: AccountIndex, account: &Account, proof: &MerkleProof) -> ExitLeaf {
        ExitLeaf {
            index,
            pubkey: [word(&account.pubkey.0.x()), word(&account.pubkey.0.y())],
            owner: account.l1_address,
            token: account.token,
            balance: account.balance,
            nonce: account.nonce,
            siblings: exit_siblings(proof),
        }
    }
}

/// The contract's last verified batch and root.
struct Verified {
    batch: u64,
    root: U256,
}

/// Runs `verity wallet exit`; prints JSON.
pub async fn run(args: ExitArgs) -> anyhow::Result<()> {
    let deployment = read_deployment(&args.deployment)?;
    let provider = l1_provider(&args.l1_rpc, &args.private_key)?;
    let sender = args
        .private_key
        .trim()
        .parse::<PrivateKeySigner>()
        .context("L1 private key")?
        .address();
    let rollup = Rollup::new(deployment.rollup, provider);
    let activated = ensure_exodus(&rollup).await?;
    let verified = Verified {
        batch: rollup.batchNumber().call().await?,
        root: rollup.stateRoot().call().await?,
    };
    let leaves = match (&args.data_dir, &args.proof) {
        (Some(dir), _) => from_state(&args, &deployment, dir, sender, &verified)?,
        (None, Some(path)) => vec![from_saved_proof(&args, path, &verified)?],
        (None, None) => bail!("give --data-dir or --proof"),
    };

    let mut exits = Vec::new();
    let mut credited: u128 = 0;
    for leaf in &leaves {
        if rollup.exited(U256::from(leaf.index)).call().await? {
            bail!("account {} already exited", leaf.index);
        }
        let receipt = rollup
            .exit(
                leaf.index,
                leaf.pubkey,
                leaf.owner,
                leaf.token,
                leaf.balance,
                leaf.nonce,
                leaf.siblings.clone(),
            )
            .send()
            .await
            .with_context(|| format!("exit of account {}", leaf.index))?
            .get_receipt()
            .await?;
        if !receipt.status() {
            bail!("exit reverted in {}", receipt.transaction_hash);
        }
        credited += leaf.balance;
        exits.push(json!({
            "account": leaf.index,
            "owner": leaf.owner,
            "amount": leaf.balance.to_string(),
            "l1_tx_hash": receipt.transaction_hash,
            "gas_used": receipt.gas_used,
        }));
    }

    let claim = claim_if_owner(&rollup, sender, args.token).await?;
    out!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "activated_exodus": activated,
            "batch": verified.batch,
            "root": format!("{:#066x}", verified.root),
            "exits": exits,
            "credited": credited.to_string(),
            "claim_tx_hash": claim,
        }))?
    )?;
    Ok(())
}

/// Starts exodus mode if it is off and the deadline of the oldest queued operation passed;
/// true when this call started it.
async fn ensure_exodus(rollup: &Rollup::RollupInstance<DynProvider>) -> anyhow::Result<bool> {
    if rollup.exodusMode().call().await? {
        return Ok(false);
    }
    if rollup.activateExodus().call().await.is_err() {
        bail!(
            "the rollup is not in exodus mode and cannot enter it yet: no queued operation is \
             past its deadline (the operator is live; use `verity wallet withdraw`, or \
             `requestForcedExit` on L1, paying `forcedExitFee`, and wait for the priority window)"
        );
    }
    let receipt = rollup.activateExodus().send().await?.get_receipt().await?;
    if !receipt.status() {
        bail!("activateExodus reverted in {}", receipt.transaction_hash);
    }
    Ok(true)
}

/// The owner's accounts in `token` with a balance, from a reconstructed state that must be at
/// the contract's last verified batch.
fn from_state(
    args: &ExitArgs,
    deployment: &Deployment,
    dir: &std::path::Path,
    owner: Address,
    verified: &Verified,
) -> anyhow::Result<Vec<ExitLeaf>> {
    let store = Store::open_read_only(dir)
        .with_context(|| format!("opening the rebuilt state in {}", dir.display()))?;
    let meta = store.reconstructed_meta()?.with_context(|| {
        format!(
            "{} holds no reconstruction: run `verity reconstruct` first",
            dir.display()
        )
    })?;
    let (state, batch) = restore_state(&store, deployment, &meta)?;
    if batch != verified.batch || word(&state.root()) != verified.root {
        bail!(
            "the rebuilt state is at batch {batch}, the contract's last verified batch is {}: \
             run `verity reconstruct` again",
            verified.batch
        );
    }
    let leaves: Vec<ExitLeaf> = state
        .accounts()
        .filter(|(index, account)| match args.account {
            Some(wanted) => *index == wanted,
            None => account.l1_address == owner && account.balance > 0,
        })
        .filter(|(_, account)| account.token == args.token)
        .map(|(index, account)| Ok(ExitLeaf::new(index, account, &state.proof(index)?)))
        .collect::<anyhow::Result<_>>()?;
    if leaves.is_empty() {
        bail!(
            "no account owned by {owner} holds token {} at batch {batch}: nothing to exit",
            args.token
        );
    }
    Ok(leaves)
}

/// The leaf of a proof saved from `verity_getAccountProof`, which must be against the
/// contract's last verified root.
fn from_saved_proof(
    args: &ExitArgs,
    path: &std::path::Path,
    verified: &Verified,
) -> anyhow::Result<ExitLeaf> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let saved: AccountProof =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let root: U256 = saved.root.parse().context("the proof's root")?;
    if root != verified.root {
        bail!(
            "the saved proof is against batch {}, the contract's last verified batch is {}: \
             rebuild the state with `verity reconstruct` and use --data-dir",
            saved.batch,
            verified.batch
        );
    }
    let account = saved
        .account
        .context("the saved proof is of an empty leaf: nothing to exit")?;
    if account.token != args.token {
        bail!("the saved proof's account holds token {}", account.token);
    }
    let number = |text: &str, what: &str| text.parse::<U256>().with_context(|| what.to_owned());
    Ok(ExitLeaf {
        index: account.index,
        pubkey: [
            number(&account.public_key.x, "public key x")?,
            number(&account.public_key.y, "public key y")?,
        ],
        owner: account.l1_address,
        token: account.token,
        balance: account.balance.parse().context("the proof's balance")?,
        nonce: account.nonce,
        siblings: exit_siblings(&saved.proof),
    })
}

/// Withdraws the sender's pending balance of `token` when it has one.
async fn claim_if_owner(
    rollup: &Rollup::RollupInstance<DynProvider>,
    sender: Address,
    token: TokenId,
) -> anyhow::Result<Option<B256>> {
    if rollup.pendingWithdrawals(sender, token).call().await? == U256::ZERO {
        return Ok(None);
    }
    let receipt = rollup
        .withdraw(token)
        .from(sender)
        .send()
        .await?
        .get_receipt()
        .await?;
    if !receipt.status() {
        bail!("withdraw reverted in {}", receipt.transaction_hash);
    }
    Ok(Some(receipt.transaction_hash))
}
