//! `verity devnet`: one process with the embedded L1, the contracts deployed on it, funded
//! demo accounts, a node, an optional load generator and progress on the terminal.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{keccak256, B256, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use clap::Args;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio::sync::broadcast;
use verity_circuits::circuit::{BatchCircuit, CircuitSize};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{Domain, ExecutedOp, L2Tx, Transfer};
use verity_devchain::{EmbeddedConfig, EmbeddedL1};
use verity_l1::contracts::Rollup;
use verity_l1::deploy::{deploy_with, DeployConfig, RollupParams};
use verity_l1::deployment::Deployment;
use verity_node::proving::LocalProving;
use verity_node::Node;
use verity_prover::keys::{verifying_key_hash, PROVING_KEY};
use verity_prover::setup;
use verity_prover::{BatchProver, KeyDirectory};
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_rpc_api::{AccountRef, VerityApiClient};

use super::node::NodeOptions;

/// `verity devnet` arguments.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeOptions,
    /// The embedded L1's JSON-RPC address.
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub l1_addr: SocketAddr,
    /// The embedded L1's blob API (`GET /eth/v1/beacon/blobs/{block_id}`, as a consensus
    /// client serves it; `verity reconstruct --beacon-api` reads it). Port 0, the default,
    /// picks a free one; the devnet prints it.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub beacon_addr: SocketAddr,
    /// Send this many demo transfers per second.
    #[arg(long)]
    pub load: Option<f64>,
    /// Circuit sizes (slots per batch), each with its own keys, set up once into DATA_DIR/keys.
    #[arg(long, value_delimiter = ',', default_value = "4,16")]
    pub slots: Vec<usize>,
    /// Binary depth of the account tree.
    #[arg(long, default_value_t = 16)]
    pub depth: u8,
    /// Funded demo users.
    #[arg(long, default_value_t = 8)]
    pub users: usize,
    /// Stop after this many seconds and print a JSON summary (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
}

const CHAIN_ID: u64 = 1337;
const FEE_SLOTS: usize = 1;
const USER_DEPOSIT: u128 = 10_000_000_000_000_000_000;
const TRANSFER_FEE: u128 = 10;

/// Demo L2 key `index` (operator: `usize::MAX`): public, for local use only.
fn demo_key(index: usize) -> PrivateKey {
    let mut preimage = b"verity-devnet-l2-key".to_vec();
    preimage.extend_from_slice(&(index as u64).to_be_bytes());
    PrivateKey::from_bytes(keccak256(preimage).0)
}

/// Keys for each size, made once and kept in `dir`.
fn devnet_provers(
    dir: &Path,
    slots: &[usize],
    depth: u8,
) -> anyhow::Result<HashMap<usize, Arc<BatchProver>>> {
    let mut provers = HashMap::new();
    for &slots in slots {
        let size = CircuitSize {
            slots,
            fee_slots: FEE_SLOTS,
            depth,
        };
        let keys = KeyDirectory::new(dir.join(format!("slots{slots}-depth{depth}")));
        // Keys from before the key became a `.zkey` have no proving_key.zkey: made anew.
        if keys.metadata().is_err() || !keys.path().join(PROVING_KEY).exists() {
            out!(
                "setting up keys for {slots} slots at depth {depth} (once; kept in {})",
                keys.path().display()
            )?;
            let key = setup(size, &mut rand::rngs::OsRng)?;
            let constraints = BatchCircuit::constraint_report(size)?.total;
            keys.write(size, constraints, &key)?;
        }
        let (metadata, key) = keys.proving_key()?;
        provers.insert(slots, Arc::new(BatchProver::new(metadata.size, key)?));
    }
    Ok(provers)
}

fn provider(l1: &EmbeddedL1, signer: &PrivateKeySigner) -> anyhow::Result<DynProvider> {
    Ok(verity_l1::sending_provider(
        l1.url().parse()?,
        signer.clone(),
    ))
}

async fn deposit_eth(
    provider: &DynProvider,
    deployment: &Deployment,
    key: &PrivateKey,
    amount: u128,
) -> anyhow::Result<()> {
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let public = key.public_key();
    let receipt = rollup
        .deposit(
            0,
            fr_to_u256(&public.0.x()),
            fr_to_u256(&public.0.y()),
            amount,
        )
        .value(U256::from(amount))
        .send()
        .await?
        .get_receipt()
        .await?;
    if !receipt.status() {
        bail!("deposit reverted");
    }
    Ok(())
}

/// Acknowledgement times of the load generator's transactions.
type Acks = Arc<Mutex<HashMap<B256, Instant>>>;

/// Sends `tps` random transfers per second among the demo users until aborted.
async fn load(
    rpc: HttpClient,
    domain: Domain,
    users: Vec<(u32, PrivateKey)>,
    tps: f64,
    acks: Acks,
) {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut nonces = vec![0u32; users.len()];
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / tps.max(0.01)));
    loop {
        tick.tick().await;
        let (a, b) = (rng.gen_range(0..users.len()), rng.gen_range(0..users.len()));
        let tx = Transfer {
            from: users[a].0,
            to: users[b].0,
            token: 0,
            amount: rng.gen_range(1..1_000) * 1_000_000_000_000,
            fee: TRANSFER_FEE,
            nonce: nonces[a],
        };
        let tx = L2Tx::sign_transfer(tx, &users[a].1, &domain);
        match rpc.send_transaction(tx).await {
            Ok(hash) => {
                nonces[a] += 1;
                acks.lock().expect("acks").insert(hash, Instant::now());
            }
            Err(error) => eprintln!("load: transfer refused: {error}"),
        }
    }
}

/// Per finalized batch: median acknowledgement→finality and proving seconds.
#[derive(Default)]
struct Progress {
    proving: HashMap<u64, f64>,
    ack_to_final: Vec<f64>,
    proving_of_final: Vec<f64>,
    batches: u64,
    transactions: usize,
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

/// Prints each batch's progress until the events end, or until stdout is closed
/// (`verity devnet | head`): the devnet then runs on without printing.
async fn show_progress(
    mut events: broadcast::Receiver<BatchEvent>,
    rpc: HttpClient,
    domain: Domain,
    acks: Acks,
    progress: Arc<Mutex<Progress>>,
) -> Result<(), super::OutputError> {
    while let Ok(event) = events.recv().await {
        match event.status {
            BatchStatus::Executed => {
                if let Ok(batch) = rpc.get_batch(event.number).await {
                    let ops = batch
                        .operations
                        .iter()
                        .filter(|op| !matches!(op, ExecutedOp::Noop))
                        .count();
                    out!(
                        "batch {:>4}  executed  {ops} ops in a {}-slot circuit",
                        event.number,
                        batch.size.slots
                    )?;
                }
            }
            BatchStatus::Proven => {
                let seconds = event.proving_seconds.unwrap_or_default();
                progress
                    .lock()
                    .expect("progress")
                    .proving
                    .insert(event.number, seconds);
                out!("batch {:>4}  proven    in {seconds:.2} s", event.number)?;
            }
            BatchStatus::Finalized => {
                let now = Instant::now();
                let Ok(batch) = rpc.get_batch(event.number).await else {
                    continue;
                };
                let mut waits = Vec::new();
                {
                    let acks = acks.lock().expect("acks");
                    for op in &batch.operations {
                        if let ExecutedOp::L2 { tx } = op {
                            if let Some(at) = acks.get(&tx.tx_hash(&domain)) {
                                waits.push((now - *at).as_secs_f64());
                            }
                        }
                    }
                }
                let mut progress = progress.lock().expect("progress");
                let proving = progress.proving.get(&event.number).copied();
                progress.batches += 1;
                progress.transactions += waits.len();
                let wait = median(&waits);
                if let (Some(wait), Some(proving)) = (wait, proving) {
                    progress.ack_to_final.extend(&waits);
                    progress.proving_of_final.push(proving);
                    out!(
                        "batch {:>4}  final     on L1 in {} · acknowledgement→final {wait:.2} s (median), proof {proving:.2} s",
                        event.number,
                        event.l1_tx_hash.map(|h| h.to_string()).unwrap_or_default()
                    )?;
                } else {
                    out!("batch {:>4}  final     on L1", event.number)?;
                }
            }
            BatchStatus::Pending => {}
        }
    }
    Ok(())
}

/// Runs `verity devnet`.
pub fn run(args: DevnetArgs) -> anyhow::Result<()> {
    super::init_tracing_at("warn");
    if args.slots.is_empty() {
        bail!("give at least one circuit size with --slots");
    }
    std::fs::create_dir_all(&args.node.data_dir)?;
    let provers = devnet_provers(&args.node.data_dir.join("keys"), &args.slots, args.depth)?;
    tokio::runtime::Runtime::new()?.block_on(devnet(args, provers))
}

async fn devnet(args: DevnetArgs, provers: HashMap<usize, Arc<BatchProver>>) -> anyhow::Result<()> {
    let l1 = EmbeddedL1::start(EmbeddedConfig {
        addr: args.l1_addr,
        beacon_addr: args.beacon_addr,
        chain_id: CHAIN_ID,
        dev_accounts: args.users + 2,
        dev_balance: U256::from(10u64).pow(U256::from(24u64)),
        block_time: Duration::from_secs(1),
        blob_retention: verity_devchain::chain::BLOB_RETENTION,
    })
    .await
    .context("starting the embedded L1")?;
    let deployer = provider(&l1, &l1.dev_keys[0])?;
    let mut verifiers: Vec<_> = provers
        .values()
        .map(|p| {
            (
                p.size().slots,
                p.verifying_key().clone(),
                verifying_key_hash(p.verifying_key()),
            )
        })
        .collect();
    verifiers.sort_by_key(|v| v.0);
    // A development deployment (an hour's priority window, free forced exits) that the
    // deployer governs and the node's submitter operates.
    let deployment = deploy_with(
        &deployer,
        &DeployConfig {
            depth: args.depth,
            fee_slots: FEE_SLOTS,
            priority_window_seconds: 3600,
            verifiers,
        },
        &RollupParams {
            operators: vec![l1.dev_keys[1].address()],
            ..RollupParams::development()
        },
    )
    .await?;
    let deployment_path = args.node.data_dir.join("deployment.json");
    std::fs::write(&deployment_path, serde_json::to_string_pretty(&deployment)?)?;

    // The node's database belongs to this run's chain: start it afresh.
    let node_dir = args.node.data_dir.join("node");
    if node_dir.exists() {
        std::fs::remove_dir_all(&node_dir)?;
    }
    let operator = demo_key(usize::MAX);
    let mut options_config = args
        .node
        .config(deployment.clone(), 0, Duration::from_millis(200))?;
    options_config.data_dir = node_dir;
    options_config.sequencer.operator = Some(operator.public_key());
    let submitter = provider(&l1, &l1.dev_keys[1])?;
    let proving = LocalProving {
        provers,
        parallel: args.node.parallel_proofs,
    };
    let node = Node::start(options_config, Box::new(proving), submitter).await?;
    let rpc = HttpClientBuilder::default().build(format!("http://{}", node.rpc_addr))?;

    deposit_eth(&deployer, &deployment, &operator, 1_000_000_000).await?;
    let mut users = Vec::new();
    for user in 0..args.users {
        let key = demo_key(user);
        let l1_key = &l1.dev_keys[user + 2];
        deposit_eth(&provider(&l1, l1_key)?, &deployment, &key, USER_DEPOSIT).await?;
        users.push(key);
    }
    let mut funded = Vec::new();
    for key in users {
        let packed = AccountRef::Key(format!("0x{}", hex::encode(key.public_key().pack())));
        let deadline = Instant::now() + Duration::from_secs(30);
        let index = loop {
            if let Ok(accounts) = rpc.get_account(packed.clone()).await {
                break accounts[0].index;
            }
            if Instant::now() > deadline {
                bail!("the demo deposits were not credited");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        funded.push((index, key));
    }

    out!("Verity devnet")?;
    out!("  L1 (embedded, chain {CHAIN_ID}): {}", l1.url())?;
    out!("  L1 blob API: {}", l1.beacon_url())?;
    out!(
        "  node JSON-RPC (HTTP + WebSocket): http://{}",
        node.rpc_addr
    )?;
    out!("  deployment: {}", deployment_path.display())?;
    out!("  Rollup: {}", deployment.rollup)?;
    for (index, key) in &funded {
        out!(
            "  demo account {index}: L2 private key 0x{}",
            hex::encode(key.to_bytes())
        )?;
    }
    for (i, key) in l1.dev_keys.iter().enumerate().skip(2) {
        out!(
            "  L1 dev key {i}: {} (address {})",
            B256::from(key.to_bytes()),
            key.address()
        )?;
    }

    let domain = deployment.domain();
    let acks: Acks = Arc::default();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let display = tokio::spawn(show_progress(
        node.events.subscribe(),
        rpc.clone(),
        domain,
        acks.clone(),
        progress.clone(),
    ));
    let generator = args
        .load
        .map(|tps| tokio::spawn(load(rpc.clone(), domain, funded.clone(), tps, acks.clone())));

    let until = async {
        match args.duration {
            Some(seconds) => {
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                Ok(())
            }
            None => tokio::signal::ctrl_c().await,
        }
    };
    // A failed pipeline stage stops the devnet with its error on the terminal.
    let failure = tokio::select! {
        biased;
        failure = node.failure() => Some(failure),
        ended = until => {
            ended?;
            None
        }
    };
    if let Some(generator) = generator {
        generator.abort();
    }
    display.abort();
    if let Some(failure) = failure {
        eprintln!("verity devnet: the node stopped: {failure}");
        if let Err(error) = node.stop().await {
            eprintln!("verity devnet: stopping: {error}");
        }
        l1.stop().await;
        return Err(anyhow::Error::new(failure));
    }
    node.stop().await?;
    l1.stop().await;
    if args.duration.is_some() {
        let progress = progress.lock().expect("progress");
        let ack = median(&progress.ack_to_final);
        let proving = median(&progress.proving_of_final);
        out!(
            "{}",
            json!({
                "finalized_batches": progress.batches,
                "transactions_finalized": progress.transactions,
                "median_ack_to_final_seconds": ack,
                "median_proving_seconds": proving,
                "ack_to_final_over_proving": ack.zip(proving).map(|(a, p)| a / p),
            })
        )?;
    }
    Ok(())
}
