//! `verity wallet exit`: in exodus mode, proves an account's leaf against the contract's last
//! verified root (from a reconstructed state, or from a proof saved earlier from
//! `verity_getAccountProof`), has its balance credited to the L1 owner and claims it. The
//! wallet crate does the L1 side; reading a rebuilt state (RocksDB) is this command's part.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{AccountIndex, TokenId};
use verity_l1::deployment::Deployment;
use verity_reconstruct::restore_state;
use verity_rpc_api::AccountProof;
use verity_storage::Store;
use verity_wallet::{ExitLeaf, L1Wallet, Verified, WalletError};

use super::inputs::read_deployment;

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

/// Runs `verity wallet exit`; prints JSON.
pub async fn run(args: ExitArgs) -> anyhow::Result<()> {
    let deployment = read_deployment(&args.deployment)?;
    let wallet = L1Wallet::connect(&args.l1_rpc, &args.private_key, deployment.rollup)?;
    let activated = wallet.ensure_exodus().await?;
    let verified = wallet.verified().await?;
    let leaves = match (&args.data_dir, &args.proof) {
        (Some(dir), _) => from_state(&args, &deployment, dir, wallet.sender(), &verified)?,
        (None, Some(path)) => vec![from_saved_proof(path, args.token, &verified)?],
        (None, None) => anyhow::bail!("give --data-dir or --proof"),
    };

    let mut exits = Vec::new();
    let mut credited: u128 = 0;
    for leaf in &leaves {
        let exited = wallet.exit(leaf).await?;
        credited += leaf.balance;
        exits.push(json!({
            "account": leaf.index,
            "owner": leaf.owner,
            "amount": leaf.balance.to_string(),
            "l1_tx_hash": exited.tx_hash,
            "gas_used": exited.gas_used,
        }));
    }

    let claim = wallet.claim_if_pending(args.token).await?;
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

/// The owner's accounts in `token` with a balance, from a reconstructed state that must be at
/// the contract's last verified batch.
fn from_state(
    args: &ExitArgs,
    deployment: &Deployment,
    dir: &Path,
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
    if batch != verified.batch || fr_to_u256(&state.root()) != verified.root {
        anyhow::bail!(
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
        return Err(WalletError::NothingToExit {
            owner,
            token: args.token,
            batch,
        }
        .into());
    }
    Ok(leaves)
}

/// The leaf of a proof saved from `verity_getAccountProof`.
fn from_saved_proof(path: &Path, token: TokenId, verified: &Verified) -> anyhow::Result<ExitLeaf> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let saved: AccountProof =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(ExitLeaf::from_saved(&saved, token, verified)?)
}
