//! The node: the sequencer thread, the materializer, proving (behind [`ProvingBackend`]), the
//! L1 watcher and submitter and the JSON-RPC server, over one RocksDB, assembled from
//! per-component configurations.
//!
//! Depends on the rules and the prover, storage, the L1 bindings and the RPC interface. Never
//! on the fleet (it is one [`ProvingBackend`], handed in by whoever starts the node), the
//! reconstruction, the embedded L1 or the command line.

pub mod gas;
pub mod health;
pub mod materializer;
pub mod mempool;
pub mod proving;
pub mod publication;
pub mod rpc;
pub mod sequencer;
pub mod submitter;
pub mod watcher;

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::providers::DynProvider;
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use futures::FutureExt;
use jsonrpsee::server::{Server, ServerConfig, ServerHandle};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::merkle::BadDepth;
use verity_circuits::state::{State, StateConfig};
use verity_l1::contracts::Rollup;
use verity_l1::deployment::Deployment;
use verity_prover::keys::verifying_key_hash;
use verity_rpc_api::events::BatchEvent;
use verity_rpc_api::health::Stage;
use verity_rpc_api::VerityApiServer;
use verity_storage::{Store, StoreError};

use health::{Failure, Health};
use proving::{ProvingBackend, ProvingContext};
use rpc::RpcContext;
use sequencer::{SequencerConfig, SequencerError, SequencerHandle};
use submitter::{Submitter, SubmitterConfig};
use watcher::WatcherConfig;

/// Concurrent JSON-RPC connections (HTTP keep-alive and WebSocket) the server holds.
const MAX_CONNECTIONS: u32 = 4096;

/// Everything a node is configured with.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Where RocksDB lives.
    pub data_dir: PathBuf,
    /// JSON-RPC (HTTP and WebSocket) address.
    pub rpc_addr: SocketAddr,
    /// Largest JSON-RPC request accepted, bytes.
    pub max_request_bytes: u32,
    /// The deployment the node runs.
    pub deployment: Deployment,
    /// The sequencer (its `sizes` are filled from the provers).
    pub sequencer: SequencerConfig,
    /// The L1 watcher.
    pub watcher: WatcherConfig,
    /// The L1 submitter.
    pub submitter: SubmitterConfig,
}

/// The node failed to start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sequencer.
    #[error(transparent)]
    Sequencer(#[from] SequencerError),
    /// Keys for another tree depth or number of fee slots than the deployment's.
    #[error("configuration: keys for {size:?} do not match the deployment's depth {depth} and fee slots {fee_slots}")]
    KeysDoNotMatchDeployment {
        /// The keys' circuit size.
        size: CircuitSize,
        /// The deployment's depth.
        depth: u8,
        /// The deployment's fee slots.
        fee_slots: usize,
    },
    /// The deployment has no verifier for these keys.
    #[error("configuration: the deployment has no verifier for the {slots}-slot keys (verifying key {verifying_key_hash})")]
    NoVerifierForKeys {
        /// The keys' batch slots.
        slots: usize,
        /// Their verifying key's hash.
        verifying_key_hash: String,
    },
    /// The node publishes in blobs, and a circuit's pubdata does not fit one.
    #[error("configuration: {0}")]
    Publication(#[from] publication::TooLargeForBlob),
    /// No keys at all.
    #[error("configuration: no proving keys")]
    NoProvingKeys,
    /// The Rollup's payout cap could not be read.
    #[error("configuration: reading the Rollup's maxPayouts: {0}")]
    PayoutCap(#[source] alloy::contract::Error),
    /// The data directory holds a state rebuilt by `verity reconstruct`.
    #[error(
        "configuration: {0} holds a state rebuilt by `verity reconstruct`, not a node's database"
    )]
    RebuiltDirectory(PathBuf),
    /// The stored finalized accounts cannot form a tree of the deployment's depth.
    #[error("configuration: the finalized accounts: {0}")]
    Depth(#[from] BadDepth),
    /// The stored finalized accounts do not give the stored finalized root.
    #[error("configuration: stored finalized accounts do not give the finalized root")]
    FinalizedRootMismatch,
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why it could not.
        source: std::io::Error,
    },
    /// The JSON-RPC server could not listen on its address.
    #[error("JSON-RPC server on {addr}: {source}")]
    RpcListen {
        /// The address it was given.
        addr: SocketAddr,
        /// Why it could not.
        source: std::io::Error,
    },
}

/// A running node.
pub struct Node {
    /// Where the RPC listens.
    pub rpc_addr: SocketAddr,
    /// Batch events.
    pub events: broadcast::Sender<BatchEvent>,
    /// The sequencer.
    pub sequencer: SequencerHandle,
    /// Every pipeline stage's health; a failed stage stops the node ([`Node::failure`]).
    pub health: Health,
    server: ServerHandle,
    tasks: Vec<JoinHandle<()>>,
    sequencer_thread: Option<std::thread::JoinHandle<Result<(), SequencerError>>>,
}

/// What a panic carried, as text.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        format!("panicked: {text}")
    } else if let Some(text) = panic.downcast_ref::<String>() {
        format!("panicked: {text}")
    } else {
        "panicked".into()
    }
}

/// Runs a stage's task: an error it ends with, or a panic, fails the stage (and so the
/// node); ending with `Ok` is a normal stop.
fn supervised<F>(health: &Health, stage: Stage, task: F) -> JoinHandle<()>
where
    F: Future<Output = Result<(), String>> + Send + 'static,
{
    let health = health.clone();
    tokio::spawn(async move {
        match AssertUnwindSafe(task).catch_unwind().await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => health.failed(stage, error),
            Err(panic) => health.failed(stage, panic_message(&*panic)),
        }
    })
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The circuit sizes of `keys`, each checked against the deployment's verifier for it.
fn check_keys(
    deployment: &Deployment,
    keys: &[(CircuitSize, VerifyingKey<Bn254>)],
) -> Result<Vec<CircuitSize>, NodeError> {
    let mut sizes = Vec::new();
    for (size, vk) in keys {
        let size = *size;
        if size.depth != deployment.depth || size.fee_slots != deployment.fee_slots {
            return Err(NodeError::KeysDoNotMatchDeployment {
                size,
                depth: deployment.depth,
                fee_slots: deployment.fee_slots,
            });
        }
        let hash = verifying_key_hash(vk);
        let deployed = deployment.verifiers.iter().find(|v| v.slots == size.slots);
        if deployed.is_none_or(|v| v.verifying_key_hash != hash) {
            return Err(NodeError::NoVerifierForKeys {
                slots: size.slots,
                verifying_key_hash: hash,
            });
        }
        sizes.push(size);
    }
    if sizes.is_empty() {
        return Err(NodeError::NoProvingKeys);
    }
    sizes.sort_by_key(|size| size.slots);
    Ok(sizes)
}

impl Node {
    /// Opens the database, restores the state and starts every component. `l1` must carry a
    /// wallet that pays for batch submissions.
    pub async fn start(
        mut config: NodeConfig,
        proving: Box<dyn ProvingBackend>,
        l1: DynProvider,
    ) -> Result<Node, NodeError> {
        let sizes = check_keys(&config.deployment, &proving.verifying_keys())?;
        for size in &sizes {
            config.sequencer.publication.check(*size)?;
        }
        // The contract refuses a batch with more payouts than `maxPayouts`: never seal one.
        let on_chain_cap = Rollup::new(config.deployment.rollup, l1.clone())
            .maxPayouts()
            .call()
            .await
            .map_err(NodeError::PayoutCap)?;
        let limits = &mut config.sequencer.limits;
        limits.max_payouts = limits
            .max_payouts
            .min(usize::try_from(on_chain_cap).unwrap_or(usize::MAX));
        std::fs::create_dir_all(&config.data_dir).map_err(|source| NodeError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let store = Store::open(&config.data_dir)?;
        if store.reconstructed_meta()?.is_some() {
            return Err(NodeError::RebuiltDirectory(config.data_dir.clone()));
        }
        let state_config = StateConfig {
            depth: config.deployment.depth,
            domain: config.deployment.domain(),
        };
        let finalized_state = State::restore(state_config, 1, store.finalized_accounts()?)?;
        let finalized_root = store.finalized_meta()?.root;
        if store.finalized_meta()?.batch > 0 && finalized_state.root() != finalized_root {
            return Err(NodeError::FinalizedRootMismatch);
        }
        let finalized_state = Arc::new(RwLock::new(finalized_state));
        let (events, _) = broadcast::channel(1024);
        let health = Health::new();

        let (sender, receiver) = std::sync::mpsc::channel();
        let handle = SequencerHandle::new(sender);
        let sequencer_config = SequencerConfig {
            sizes,
            ..config.sequencer.clone()
        };
        let sequencer_thread = sequencer::spawn(
            sequencer_config,
            store.clone(),
            state_config,
            receiver,
            events.clone(),
            health.clone(),
        )?;

        let mut tasks = Vec::new();
        let proving = proving.run(ProvingContext {
            store: store.clone(),
            events: events.clone(),
            health: health.clone(),
            poll: config.submitter.poll,
        });
        tasks.push(supervised(&health, Stage::Prover, async move {
            proving.await.map_err(|error| error.to_string())
        }));
        // The watcher retries L1 errors (reporting them) and ends only with the sequencer.
        let watch = watcher::run(
            config.watcher.clone(),
            l1.clone(),
            config.deployment.clone(),
            handle.clone(),
            health.clone(),
        );
        tasks.push(supervised(&health, Stage::Watcher, async move {
            watch.await;
            Ok(())
        }));
        let submitter = Submitter {
            config: config.submitter.clone(),
            store: store.clone(),
            provider: l1,
            deployment: config.deployment.clone(),
            finalized_state: finalized_state.clone(),
            sequencer: handle.clone(),
            events: events.clone(),
            health: health.clone(),
        };
        // The submitter retries L1 errors and ends only when it must stop the node (L1 holds
        // a batch that is not this node's): its error is the node's failure.
        tasks.push(supervised(&health, Stage::Submitter, async move {
            submitter.submit().await.map_err(|error| error.to_string())
        }));

        let context = RpcContext {
            store,
            sequencer: handle.clone(),
            finalized_state,
            deployment: config.deployment,
            events: events.clone(),
            health: health.clone(),
        };
        let server = Server::builder()
            .set_config(
                ServerConfig::builder()
                    .max_request_body_size(config.max_request_bytes)
                    .max_connections(MAX_CONNECTIONS)
                    .build(),
            )
            .build(config.rpc_addr)
            .await
            .map_err(|source| NodeError::RpcListen {
                addr: config.rpc_addr,
                source,
            })?;
        let rpc_addr = server.local_addr().map_err(|source| NodeError::RpcListen {
            addr: config.rpc_addr,
            source,
        })?;
        let server = server.start(context.into_rpc());
        tracing::info!(%rpc_addr, "JSON-RPC listening (HTTP and WebSocket)");
        // A failed stage stops the node: the sequencer seals what it holds and stops, so no
        // transaction is taken any more (the RPC still answers reads, `verity_chainInfo` with
        // the failure). Whoever runs the node exits with the failure.
        tasks.push(tokio::spawn({
            let (health, sequencer) = (health.clone(), handle.clone());
            async move {
                let failure = health.failed_with().await;
                tracing::error!(%failure, "the node stops");
                sequencer.stop();
            }
        }));
        Ok(Node {
            rpc_addr,
            events,
            sequencer: handle,
            health,
            server,
            tasks,
            sequencer_thread: Some(sequencer_thread),
        })
    }

    /// Completes when a pipeline stage fails (the node has then stopped taking transactions),
    /// with the first failure; [`Node::stop`] should follow.
    pub async fn failure(&self) -> Failure {
        self.health.failed_with().await
    }

    /// Stops every component; the sequencer seals what it holds and writes it.
    pub async fn stop(mut self) -> Result<(), SequencerError> {
        let _ = self.server.stop();
        self.server.clone().stopped().await;
        for task in &self.tasks {
            task.abort();
        }
        self.sequencer.stop();
        match self.sequencer_thread.take() {
            Some(thread) => tokio::task::spawn_blocking(move || thread.join())
                .await
                .expect("join")
                .unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}
