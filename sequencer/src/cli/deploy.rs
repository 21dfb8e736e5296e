//! `verity deploy`: deploys the Poseidon contracts, a verifier per key directory and the
//! Rollup to any L1 JSON-RPC endpoint, and writes `deployment.json`.

use std::path::PathBuf;

use alloy::primitives::Address;
use alloy::providers::ProviderBuilder;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{ensure, Context};
use clap::Args;
use verity_l1::deploy::{
    deploy_with, DeployConfig, RollupParams, DEFAULT_MAX_PAYOUTS, MIN_PRIORITY_WINDOW_SECONDS,
};
use verity_prover::KeyDirectory;

/// `verity deploy` arguments.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    rpc: String,
    /// Deployer's private key, hex.
    #[arg(long, env = "VERITY_DEPLOYER_KEY")]
    private_key: String,
    /// Key directories from `verity setup`, one per circuit size (same depth and fee slots).
    #[arg(long = "keys", required = true)]
    keys: Vec<PathBuf>,
    /// Seconds a queued L1 operation may wait before anyone can start exodus (at least 14
    /// days unless --development).
    #[arg(long, default_value_t = MIN_PRIORITY_WINDOW_SECONDS)]
    priority_window: u64,
    /// A development deployment: allows a priority window below 14 days. Recorded on chain
    /// (`development()`) for anyone to see; never use it for real funds.
    #[arg(long)]
    development: bool,
    /// The governor, who appoints and removes operators (default: the deployer).
    #[arg(long)]
    governor: Option<Address>,
    /// An operator, allowed to submit batches at any time (repeatable; default: the deployer).
    #[arg(long = "operator")]
    operators: Vec<Address>,
    /// Seconds without a finalized batch after which anyone may submit one.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    inactivity_interval: u64,
    /// Wei a forced-exit request pays (credited to the governor); default 0.001 ETH.
    #[arg(long, default_value_t = 1_000_000_000_000_000)]
    forced_exit_fee: u128,
    /// Most payouts a batch may carry (each costs ~15k to ~95k gas of submitBatch: paid
    /// directly, or refused and kept as a pending balance).
    #[arg(long, default_value_t = DEFAULT_MAX_PAYOUTS)]
    max_payouts: u64,
    /// Where to write the deployment document.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `verity deploy`.
pub fn run(args: DeployArgs) -> anyhow::Result<()> {
    let mut verifiers = Vec::new();
    let mut shape = None;
    for dir in &args.keys {
        let keys = KeyDirectory::new(dir);
        let metadata = keys.metadata()?;
        let size = metadata.size;
        let this = (size.depth, size.fee_slots);
        ensure!(
            *shape.get_or_insert(this) == this,
            "{} is for depth {} and {} fee slots, unlike the other key directories",
            dir.display(),
            size.depth,
            size.fee_slots
        );
        verifiers.push((
            size.slots,
            keys.verifying_key()?,
            metadata.verifying_key_hash,
        ));
    }
    let (depth, fee_slots) = shape.context("no key directory")?;
    ensure!(
        args.development || args.priority_window >= MIN_PRIORITY_WINDOW_SECONDS,
        "--priority-window {} is below the 14-day floor ({MIN_PRIORITY_WINDOW_SECONDS} s); \
         pass --development for a development deployment",
        args.priority_window
    );
    let params = RollupParams {
        development: args.development,
        governor: args.governor,
        operators: args.operators.clone(),
        inactivity_interval_seconds: args.inactivity_interval,
        forced_exit_fee: args.forced_exit_fee,
        max_payouts: args.max_payouts,
    };
    let config = DeployConfig {
        depth,
        fee_slots,
        priority_window_seconds: args.priority_window,
        verifiers,
    };
    let signer: PrivateKeySigner = args
        .private_key
        .trim()
        .parse()
        .context("deployer private key")?;
    let url = args.rpc.parse().context("L1 RPC URL")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let deployment = runtime.block_on(async {
        let provider = ProviderBuilder::new().wallet(signer).connect_http(url);
        deploy_with(&provider, &config, &params).await
    })?;
    let document = serde_json::to_string_pretty(&deployment)?;
    std::fs::write(&args.out, &document)
        .with_context(|| format!("writing {}", args.out.display()))?;
    out!("{document}")?;
    Ok(())
}
