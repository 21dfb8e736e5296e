//! `verity node`: runs a node against an L1 JSON-RPC endpoint and a deployment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use verity_circuits::circuit::CircuitSize;
use verity_fleet::metrics::FleetMetrics;
use verity_fleet::queue::FleetProving;
use verity_fleet::QueueConfig;
use verity_l1::deployment::Deployment;
use verity_node::gas::{BatchLimits, DEFAULT_GAS_BUDGET, DEFAULT_MAX_PAYOUTS};
use verity_node::mempool::MempoolConfig;
use verity_node::proving::{LocalProving, ProvingBackend};
use verity_node::publication::Publication;
use verity_node::sequencer::SequencerConfig;
use verity_node::submitter::{SubmitterConfig, DEFAULT_BATCHES_PER_TX};
use verity_node::watcher::WatcherConfig;
use verity_node::{Node, NodeConfig};
use verity_prover::KeyDirectory;

use super::inputs::{l1_provider, load_provers, read_deployment};

/// What every node takes, whichever L1 it runs on.
#[derive(Debug, Args)]
pub struct NodeOptions {
    /// JSON-RPC (HTTP and WebSocket) listen address.
    #[arg(long, default_value = "127.0.0.1:8645")]
    pub rpc_addr: SocketAddr,
    /// Where the node's RocksDB lives.
    #[arg(long, default_value = "verity-data")]
    pub data_dir: PathBuf,
    /// Longest time a batch stays open after its first operation, milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub batch_interval_ms: u64,
    /// Batches proven at the same time.
    #[arg(long, default_value_t = 2)]
    pub parallel_proofs: usize,
    /// Acknowledged transactions that may wait for L1 finality.
    #[arg(long, default_value_t = MempoolConfig::default().max_pending)]
    pub max_pending: usize,
    /// Of those, per sending account.
    #[arg(long, default_value_t = MempoolConfig::default().max_per_account)]
    pub max_per_account: usize,
    /// The operator's L2 private key: its accounts collect fees (without it, only fee-free
    /// transactions are taken).
    #[arg(long, env = "VERITY_OPERATOR_KEY")]
    pub operator_key: Option<String>,
    /// Largest JSON-RPC request, bytes.
    #[arg(long, default_value_t = 1 << 20)]
    pub max_request_bytes: u32,
    /// Most L1 gas a batch's `submitBatch` may need by the node's estimate: a batch is closed
    /// before it would pass this (keep it well under the 2^24 transaction gas cap).
    #[arg(long, default_value_t = DEFAULT_GAS_BUDGET)]
    pub batch_gas_budget: u64,
    /// Most payouts (withdrawals and forced exits) per batch; more wait for the next batch.
    #[arg(long, default_value_t = DEFAULT_MAX_PAYOUTS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_payouts: u64,
    /// Where batches' pubdata goes on L1: `calldata` (any L1), or `blob` (an EIP-4844 blob
    /// per batch, sent with an EIP-7594 sidecar, so the L1 must have Fusaka's blob
    /// transactions; cheaper in execution gas from about 250 transfers a batch, and the L1
    /// keeps blobs for about 18 days only: see the README's "If the operator disappears").
    #[arg(long, default_value_t = Publication::Calldata)]
    pub publish: Publication,
    /// Most proven batches sent in one L1 transaction (`submitBatches`, their proofs checked
    /// together); batches in blobs take one blob each, so at most 6. 1 sends each alone.
    #[arg(long, default_value_t = DEFAULT_BATCHES_PER_TX as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub batches_per_tx: u64,
}

/// `verity node` arguments.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    pub l1_rpc: String,
    /// `deployment.json` from `verity deploy`.
    #[arg(long)]
    pub deployment: PathBuf,
    /// Key directories from `verity setup`, one per deployed circuit size.
    #[arg(long = "keys", required = true)]
    pub keys: Vec<PathBuf>,
    /// L1 private key that pays for batch submissions, hex.
    #[arg(long, env = "VERITY_SUBMITTER_KEY")]
    pub submitter_key: String,
    /// Blocks a deposit or forced exit must be under the L1 head before it is taken.
    #[arg(long, default_value_t = 2)]
    pub confirmations: u64,
    /// Prove through `verity prover` workers on this NATS JetStream server
    /// (`nats://HOST:PORT`) instead of on this machine; the node then loads only the
    /// verifying keys from --keys and checks every proof.
    #[arg(long)]
    pub prover_queue: Option<String>,
    /// Milliseconds a worker may hold a job without a heartbeat before it goes to another.
    #[arg(long, default_value_t = 30_000)]
    pub prover_ack_wait_ms: u64,
    /// Deliveries, and separately invalid proofs, per job before it goes to the dead-letter
    /// subject.
    #[arg(long, default_value_t = 5)]
    pub prover_max_attempts: u32,
    /// Serve the prover queue's metrics for Prometheus on this address (`GET /metrics`).
    #[arg(long)]
    pub metrics_addr: Option<SocketAddr>,
    /// The node.
    #[command(flatten)]
    pub node: NodeOptions,
}

impl NodeOptions {
    /// The node configuration for `deployment` with L1 polling every `poll`.
    pub fn config(
        &self,
        deployment: Deployment,
        confirmations: u64,
        poll: Duration,
    ) -> anyhow::Result<NodeConfig> {
        let operator = match &self.operator_key {
            Some(text) => Some(verity_wallet::parse_private_key(text)?.public_key()),
            None => None,
        };
        Ok(NodeConfig {
            data_dir: self.data_dir.clone(),
            rpc_addr: self.rpc_addr,
            max_request_bytes: self.max_request_bytes,
            deployment,
            sequencer: SequencerConfig {
                sizes: Vec::<CircuitSize>::new(),
                batch_interval: Duration::from_millis(self.batch_interval_ms),
                mempool: MempoolConfig {
                    max_pending: self.max_pending,
                    max_per_account: self.max_per_account,
                },
                operator,
                group: 4096,
                limits: BatchLimits {
                    gas_budget: self.batch_gas_budget,
                    max_payouts: usize::try_from(self.max_payouts).unwrap_or(usize::MAX),
                },
                publication: self.publish,
            },
            watcher: WatcherConfig {
                confirmations,
                poll,
                max_range: 10_000,
            },
            submitter: SubmitterConfig {
                poll: Duration::from_millis(200),
                receipt_timeout: Duration::from_secs(120),
                max_batches_per_tx: usize::try_from(self.batches_per_tx).unwrap_or(usize::MAX),
                gas_budget: self.batch_gas_budget,
            },
        })
    }
}

/// How `args` has the node prove: through the queue (verifying keys only) or locally, with
/// the fleet's metrics to serve.
fn proving(args: &NodeArgs) -> anyhow::Result<(Box<dyn ProvingBackend>, Option<FleetMetrics>)> {
    let Some(url) = &args.prover_queue else {
        let local = LocalProving {
            provers: load_provers(&args.keys)?,
            parallel: args.node.parallel_proofs,
        };
        return Ok((Box::new(local), None));
    };
    let verifying_keys = args
        .keys
        .iter()
        .map(|dir| {
            let keys = KeyDirectory::new(dir);
            let context = || format!("loading the verifying key from {}", dir.display());
            Ok((
                keys.metadata().with_context(context)?.size,
                keys.verifying_key().with_context(context)?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let metrics = FleetMetrics::default();
    let fleet = FleetProving {
        queue: QueueConfig {
            ack_wait: Duration::from_millis(args.prover_ack_wait_ms),
            max_attempts: args.prover_max_attempts.max(1),
            ..QueueConfig::new(url)
        },
        verifying_keys,
        metrics: metrics.clone(),
    };
    Ok((Box::new(fleet), Some(metrics)))
}

/// Runs `verity node` until Ctrl-C or SIGTERM.
pub fn run(args: NodeArgs) -> anyhow::Result<()> {
    super::init_tracing();
    let deployment = read_deployment(&args.deployment)?;
    let (proving, metrics) = proving(&args)?;
    let config = args
        .node
        .config(deployment, args.confirmations, Duration::from_secs(1))?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        if let (Some(addr), Some(metrics)) = (args.metrics_addr, &metrics) {
            let bound = metrics.serve(addr).await?;
            tracing::info!(%bound, "prover queue metrics on /metrics");
        }
        let l1 = l1_provider(&args.l1_rpc, &args.submitter_key)?;
        let node = Node::start(config, proving, l1).await?;
        let health = node.health.clone();
        tokio::select! {
            biased;
            // A pipeline stage failed: the node has stopped taking transactions; exit with
            // the failure (on stderr, status 1).
            failure = health.failed_with() => {
                if let Err(error) = node.stop().await {
                    tracing::error!(%error, "stopping after the failure");
                }
                Err(anyhow::Error::new(failure))
            }
            signal = super::shutdown_signal() => {
                signal?;
                tracing::info!("stopping");
                node.stop().await?;
                anyhow::Ok(())
            }
        }
    })
}
