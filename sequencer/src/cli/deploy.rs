//! `verity deploy`: deploys the Poseidon contracts, a verifier per key directory and the
//! Rollup to any L1 JSON-RPC endpoint, and writes `deployment.json`.

use std::path::PathBuf;

use alloy::providers::ProviderBuilder;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{ensure, Context};
use clap::Args;
use verity_prover::KeyDirectory;

use crate::l1::deploy::{deploy, DeployConfig};

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
    /// Seconds a queued L1 operation may wait before anyone can start exodus.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    priority_window: u64,
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
        deploy(&provider, &config).await
    })?;
    let document = serde_json::to_string_pretty(&deployment)?;
    std::fs::write(&args.out, &document)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("{document}");
    Ok(())
}
