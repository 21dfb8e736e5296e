//! `verity prover`: a prover-fleet worker.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use verity_fleet::metrics::FleetMetrics;
use verity_fleet::worker::{self, WorkerConfig};

use super::inputs::load_provers;

/// `verity prover` arguments.
#[derive(Debug, Args)]
pub struct ProverArgs {
    /// The node's NATS JetStream server, `nats://HOST:PORT`.
    #[arg(long)]
    pub nats: String,
    /// Key directories from `verity setup`, one per circuit size to prove.
    #[arg(long = "keys", required = true)]
    pub keys: Vec<PathBuf>,
    /// The name its proofs carry (default: host name and process id).
    #[arg(long)]
    pub name: Option<String>,
    /// Serve this worker's metrics for Prometheus on this address (`GET /metrics`).
    #[arg(long)]
    pub metrics_addr: Option<SocketAddr>,
}

/// Runs a worker until Ctrl-C or SIGTERM; a job being proven then goes back to the queue.
pub fn run(args: ProverArgs) -> anyhow::Result<()> {
    super::init_tracing();
    let provers = load_provers(&args.keys)?.into_values().collect();
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "prover".into());
    let config = WorkerConfig {
        url: args.nats,
        name: args
            .name
            .unwrap_or_else(|| format!("{}-{}", host.trim(), std::process::id())),
        fetch_wait: Duration::from_secs(2),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let published = runtime.block_on(async {
        let metrics = FleetMetrics::default();
        if let Some(addr) = args.metrics_addr {
            let bound = metrics.serve(addr).await?;
            tracing::info!(%bound, "metrics on /metrics");
        }
        let shutdown = async {
            if let Err(error) = super::shutdown_signal().await {
                tracing::error!(%error, "signal handler");
            }
        };
        anyhow::Ok(worker::run(config, provers, metrics, shutdown).await?)
    })?;
    // A proof cut short by the signal is still running on a blocking thread: do not wait.
    runtime.shutdown_background();
    tracing::info!(published, "worker stopped");
    Ok(())
}
