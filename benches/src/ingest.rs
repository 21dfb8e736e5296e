//! `verity-bench ingest`: signed transfers acknowledged per second through the node's
//! JSON-RPC. An embedded L1 with the contracts, a node with local proving off (proving does
//! not bound acknowledgement, and would take the same cores), funded senders, then every
//! sender sends its pre-signed transfers one after another over HTTP, all senders at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use anyhow::bail;
use clap::Args;
use jsonrpsee::http_client::HttpClientBuilder;
use rayon::prelude::*;
use serde_json::json;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{L2Tx, Transfer};
use verity_devchain::{EmbeddedConfig, EmbeddedL1};
use verity_l1::contracts::Rollup;
use verity_l1::deploy::{deploy_with, DeployConfig, RollupParams};
use verity_node::proving::LocalProving;
use verity_node::Node;
use verity_prover::setup;
use verity_prover::BatchProver;
use verity_rpc_api::{AccountRef, VerityApiClient};

use verity_sequencer::cli::init_tracing_at;
use verity_sequencer::cli::node::NodeOptions;
use verity_sequencer::out;

/// `verity-bench ingest` arguments.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Transfers to send.
    #[arg(long, default_value_t = 20_000)]
    pub txs: usize,
    /// Sending accounts, each sending its transfers in nonce order, all at once.
    #[arg(long, default_value_t = 256)]
    pub senders: usize,
    /// Slots of the node's circuit.
    #[arg(long, default_value_t = 64)]
    pub slots: usize,
    /// Tree depth.
    #[arg(long, default_value_t = 32)]
    pub depth: u8,
    /// The node (its --data-dir is wiped first).
    #[command(flatten)]
    pub node: NodeOptions,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs `verity-bench ingest`, printing JSON.
pub fn run(args: IngestArgs) -> anyhow::Result<()> {
    init_tracing_at("warn");
    if args.senders == 0 || args.txs < args.senders {
        bail!("need at least one transfer per sender");
    }
    let size = CircuitSize {
        slots: args.slots,
        fee_slots: 1,
        depth: args.depth,
    };
    eprintln!(
        "setting up a {}-slot circuit for the deployment",
        args.slots
    );
    let prover = Arc::new(BatchProver::new(
        size,
        setup(size, &mut rand::rngs::OsRng)?,
    )?);
    tokio::runtime::Runtime::new()?.block_on(ingest(args, size, prover))
}

async fn ingest(
    args: IngestArgs,
    size: CircuitSize,
    prover: Arc<BatchProver>,
) -> anyhow::Result<()> {
    let l1 = EmbeddedL1::start(EmbeddedConfig {
        addr: "127.0.0.1:0".parse()?,
        beacon_addr: "127.0.0.1:0".parse().unwrap(),
        chain_id: 1337,
        dev_accounts: 2,
        dev_balance: U256::from(10u64).pow(U256::from(24u64)),
        block_time: Duration::from_millis(200),
        blob_retention: verity_devchain::chain::BLOB_RETENTION,
    })
    .await?;
    let provider = |i: usize| -> anyhow::Result<_> {
        Ok(ProviderBuilder::new()
            .wallet(l1.dev_keys[i].clone())
            .connect_http(l1.url().parse()?)
            .erased())
    };
    let deployer = provider(0)?;
    let deployment = deploy_with(
        &deployer,
        &DeployConfig::single(size, prover.verifying_key(), 3600),
        // The node submits from the second dev account.
        &RollupParams {
            operators: vec![l1.dev_keys[1].address()],
            ..RollupParams::development()
        },
    )
    .await?;
    if args.node.data_dir.exists() {
        std::fs::remove_dir_all(&args.node.data_dir)?;
    }
    let mut config = args
        .node
        .config(deployment.clone(), 0, Duration::from_millis(100))?;
    config.sequencer.mempool.max_pending = args.txs + args.senders;
    let provers: HashMap<usize, Arc<BatchProver>> = [(size.slots, prover)].into_iter().collect();
    // Only sequencing is measured: the node proves nothing.
    let proving = LocalProving {
        provers,
        parallel: 0,
    };
    let node = Node::start(config, Box::new(proving), provider(1)?).await?;
    let rpc = HttpClientBuilder::default()
        .max_concurrent_requests(args.senders * 2)
        .build(format!("http://{}", node.rpc_addr))?;

    eprintln!("funding {} senders", args.senders);
    let keys: Vec<PrivateKey> = (0..args.senders)
        .map(|i| PrivateKey::from_bytes(alloy::primitives::keccak256(i.to_be_bytes()).0))
        .collect();
    let rollup = Rollup::new(deployment.rollup, deployer.clone());
    for key in &keys {
        let public = key.public_key();
        rollup
            .deposit(
                0,
                fr_to_u256(&public.0.x()),
                fr_to_u256(&public.0.y()),
                1_000_000_000_000,
            )
            .value(U256::from(1_000_000_000_000u64))
            .send()
            .await?
            .get_receipt()
            .await?;
    }
    let last = AccountRef::Index(args.senders as u32 - 1);
    let deadline = Instant::now() + Duration::from_secs(600);
    while rpc.get_account(last.clone()).await.is_err() {
        if Instant::now() > deadline {
            bail!("deposits not credited");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    eprintln!("signing {} transfers", args.txs);
    let domain = deployment.domain();
    let per_sender = args.txs / args.senders;
    let batches: Vec<Vec<L2Tx>> = (0..args.senders)
        .into_par_iter()
        .map(|sender| {
            (0..per_sender as u32)
                .map(|nonce| {
                    let tx = Transfer {
                        from: sender as u32,
                        to: ((sender + 1) % args.senders) as u32,
                        token: 0,
                        amount: 1_000,
                        fee: 0,
                        nonce,
                    };
                    L2Tx::sign_transfer(tx, &keys[sender], &domain)
                })
                .collect()
        })
        .collect();

    eprintln!("sending");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for txs in batches {
        let rpc = rpc.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(txs.len());
            for tx in txs {
                let sent = Instant::now();
                rpc.send_transaction(tx).await?;
                latencies.push(sent.elapsed().as_secs_f64());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let status = node.sequencer.status().await;
    node.stop().await?;
    l1.stop().await;
    out!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "transactions": latencies.len(),
            "senders": args.senders,
            "seconds": seconds,
            "transactions_per_second": latencies.len() as f64 / seconds,
            "ack_latency_ms": {
                "p50": percentile(&latencies, 0.5) * 1e3,
                "p99": percentile(&latencies, 0.99) * 1e3,
            },
            "batches_sealed": status.map(|s| s.closed),
            "circuit": size,
        }))?
    )?;
    Ok(())
}
