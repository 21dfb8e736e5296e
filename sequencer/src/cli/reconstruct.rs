//! `verity reconstruct`: rebuilds the layer-2 state from L1 alone, and optionally serves it
//! as a read-only node while following L1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use anyhow::{bail, Context};
use clap::Args;
use jsonrpsee::server::Server;
use serde_json::json;
use verity_reconstruct::rpc::ReadOnlyRpc;
use verity_reconstruct::{ReconstructConfig, Reconstructor};
use verity_rpc_api::VerityApiServer;

use super::inputs::read_deployment;

/// `verity reconstruct` arguments.
#[derive(Debug, Args)]
pub struct ReconstructArgs {
    /// L1 JSON-RPC endpoint (any node with logs and transactions; no key needed).
    #[arg(long)]
    pub l1_rpc: String,
    /// `deployment.json` of the rollup.
    #[arg(long)]
    pub deployment: PathBuf,
    /// Where the rebuilt state lives; a later run resumes from it.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Blocks an L1 event must be under the head before it is applied.
    #[arg(long, default_value_t = 0)]
    pub confirmations: u64,
    /// Most L1 blocks per log query and per database commit.
    #[arg(long, default_value_t = ReconstructConfig::default().max_range)]
    pub max_range: u64,
    /// After catching up, serve the state read-only (JSON-RPC, HTTP and WebSocket) on this
    /// address and keep following L1 until Ctrl-C or SIGTERM.
    #[arg(long)]
    pub rpc_addr: Option<SocketAddr>,
    /// How often to poll L1 while serving, milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
    /// A consensus client's HTTP API (a beacon node's base URL, e.g. `http://127.0.0.1:5052`):
    /// blob batches are read from its `/eth/v1/beacon/blobs` endpoint. Without it, from the
    /// L1 endpoint's `anvil_getBlobByHash` (anvil, the embedded L1).
    #[arg(long)]
    pub beacon_api: Option<String>,
    /// A folder of saved blobs (`0x<versioned hash>.blob`): blob batches are read from it
    /// first, and every blob read from L1 is saved there, for runs after L1 has dropped it
    /// (about 18 days).
    #[arg(long)]
    pub blobs: Option<PathBuf>,
}

/// Runs `verity reconstruct`; prints a JSON report after catching up.
pub fn run(args: ReconstructArgs) -> anyhow::Result<()> {
    super::init_tracing();
    let deployment = read_deployment(&args.deployment)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let url = args.l1_rpc.parse().context("L1 RPC URL")?;
        let provider: DynProvider = ProviderBuilder::new().connect_http(url).erased();
        let chain_id = provider.get_chain_id().await.context("L1 chain id")?;
        if chain_id != deployment.chain_id {
            bail!(
                "the L1 is chain {chain_id}, the deployment is on chain {}",
                deployment.chain_id
            );
        }
        let config = ReconstructConfig {
            confirmations: args.confirmations,
            max_range: args.max_range.max(1),
            beacon_api: match &args.beacon_api {
                Some(url) => Some(url.parse().context("beacon API URL")?),
                None => None,
            },
            blob_dir: args.blobs.clone(),
            ..ReconstructConfig::default()
        };
        let mut reconstructor =
            Reconstructor::open(config, provider, deployment.clone(), &args.data_dir)?;
        let report = reconstructor.sync().await?;
        out!("{}", serde_json::to_string_pretty(&report)?)?;
        let Some(addr) = args.rpc_addr else {
            return Ok(());
        };

        let server = Server::builder().build(addr).await?;
        let rpc_addr = server.local_addr()?;
        let context = ReadOnlyRpc {
            view: reconstructor.view(),
            deployment,
            events: reconstructor.events(),
        };
        let handle = server.start(context.into_rpc());
        out!("{}", json!({ "rpc_addr": rpc_addr }))?;
        tracing::info!(%rpc_addr, "read-only JSON-RPC listening; following L1");
        let poll = Duration::from_millis(args.poll_ms);
        let shutdown = super::shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(poll) => match reconstructor.sync().await {
                    Ok(report) if report.batches > 0 => {
                        tracing::info!(batch = report.batch, root = %report.root, "caught up");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "reconstruction"),
                },
            }
        }
        handle.stop()?;
        handle.stopped().await;
        Ok(())
    })
}
