//! Rebuilding the whole layer-2 state from L1 alone, for users when the operator disappears:
//! token registrations and the priority queue from the Rollup contract's events, every
//! finalized batch's pubdata and payouts from its `submitBatch` calldata (or its
//! `submitBlobBatch` calldata and blob, or its part of a `submitBatches` call: blobs from a folder of saved blobs, or else from a
//! consensus client's blob API or the L1 endpoint's `anvil_getBlobByHash`, and then saved to
//! that folder when one is given), replayed in order
//! with [`verity_circuits::batch::replay::replay`]. Each batch must start from the root the
//! reconstruction holds and end on the root its `BatchFinalized` event (the contract) records.
//!
//! The result is written, one L1 block range at a time, into a node-format database (the
//! finalized accounts, the queue and a [`ReconstructedMeta`]), so an interrupted run resumes
//! where it stopped and [`rpc::ReadOnlyRpc`] serves accounts and their Merkle proofs from it.
//!
//! Depends on the rules, storage, the L1 bindings and the RPC interface; never on the node,
//! the prover or the fleet: a user rebuilding the state needs no proving keys.

pub mod rpc;

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::eips::eip4844::Blob;
use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::{SolCall, SolEvent};
use alloy::transports::http::reqwest::{self, StatusCode, Url};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::sync::broadcast;
use verity_circuits::batch::replay::{replay, ReplayError};
use verity_circuits::batch::BatchParams;
use verity_circuits::field::fr_to_u256;
use verity_circuits::merkle::BadDepth;
use verity_circuits::ops::{Payout, PriorityOp};
use verity_circuits::pubdata::{decode_fee_entry, PubdataLayout, PubdataOp, FEE_ENTRY_BYTES};
use verity_circuits::state::{State, StateConfig};
use verity_circuits::Fr;
use verity_l1::blob::{self, BatchBlob};
use verity_l1::contracts::Rollup;
use verity_l1::deployment::Deployment;
use verity_l1::events::{decode, EventError, L1Events};
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_storage::{FinalizedMeta, ReconstructedMeta, Store, StoreError};

/// How the reconstruction reads L1.
#[derive(Clone, Debug)]
pub struct ReconstructConfig {
    /// Blocks an event must be under the head before it is applied.
    pub confirmations: u64,
    /// Most blocks per log query (and per database commit).
    pub max_range: u64,
    /// Batch transactions fetched at once.
    pub fetch_concurrency: usize,
    /// A consensus client's HTTP API (a beacon node's base URL): blobs are read from its
    /// `/eth/v1/beacon/blobs/{block root}` instead of the L1 endpoint's
    /// `anvil_getBlobByHash`, which only anvil and the embedded L1 serve.
    pub beacon_api: Option<Url>,
    /// A folder of saved blobs (`0x<versioned hash>.blob`, the blob's 131,072 bytes): read
    /// before asking L1, and where every blob fetched from L1 is saved, so that a later run
    /// needs no L1 that still keeps them.
    pub blob_dir: Option<PathBuf>,
}

impl Default for ReconstructConfig {
    fn default() -> Self {
        ReconstructConfig {
            confirmations: 0,
            max_range: 2_000,
            fetch_concurrency: 16,
            beacon_api: None,
            blob_dir: None,
        }
    }
}

/// Why a finalized batch's L1 data cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CalldataError {
    /// The L1 node gave the `BatchFinalized` event no transaction hash.
    #[error("the L1 node gave its event no transaction hash")]
    NoTransactionHash,
    /// The L1 node does not know the event's transaction.
    #[error("the L1 node does not know transaction {0}")]
    UnknownTransaction(B256),
    /// The transaction called another contract (a relayer, a wrapper): only direct
    /// `submitBatch`, `submitBlobBatch` and `submitBatches` calls are read.
    #[error("transaction {0} called another contract; only direct submitBatch calls are read")]
    OtherContract(B256),
    /// The transaction's input is not a `submitBatch`, `submitBlobBatch` or `submitBatches`
    /// call (with the batch).
    #[error("transaction {tx} is not a submitBatch call of the batch: {source}")]
    NotSubmitBatch {
        /// The transaction.
        tx: B256,
        /// The ABI decoder's error (boxed: it is large).
        source: Box<alloy::sol_types::Error>,
    },
    /// A `submitBlobBatch` names a blob its transaction does not carry.
    #[error("transaction {0} carries no blob at its batch's index")]
    NoBlob(B256),
    /// The L1 endpoint could not be asked for a blob.
    #[error("blob {versioned_hash}: {source}")]
    BlobUnavailable {
        /// The blob's versioned hash.
        versioned_hash: B256,
        /// The transport's error (boxed: it is large).
        source: Box<alloy::transports::TransportError>,
    },
    /// The consensus client's blob API could not be asked, or did not answer as one.
    #[error("blob {versioned_hash} from the consensus client: {reason}")]
    BeaconApi {
        /// The blob's versioned hash.
        versioned_hash: B256,
        /// Why.
        reason: String,
    },
    /// L1 no longer (or never) had the blob.
    #[error("L1 does not have blob {0} (dropped after its retention, or never published)")]
    BlobMissing(B256),
    /// The L1 endpoint returned a blob of another versioned hash.
    #[error("the L1 endpoint returned another blob than {0}")]
    BlobMismatch(B256),
    /// A saved blob cannot be read or written, or is not the blob its name says.
    #[error("saved blob {path}: {reason}")]
    SavedBlob {
        /// Its file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The blob does not hold the batch's pubdata.
    #[error("blob: {0}")]
    Blob(verity_l1::blob::BlobError),
    /// The call's number, new root or priority count is not the event's.
    #[error("transaction {0}'s calldata does not match its event")]
    EventMismatch(B256),
    /// The event's priority-operation count does not fit 64 bits.
    #[error("priority operation count beyond 2^64")]
    PriorityOpsOverflow,
    /// The batch does not follow the last one reconstructed.
    #[error("follows batch {0} in L1 order")]
    OutOfOrder(u64),
    /// Replaying consumed another number of priority operations than the contract did.
    #[error("replay consumed {consumed} priority operations, the contract {recorded}")]
    PriorityOpsDiffer {
        /// Consumed by the replay.
        consumed: u64,
        /// Consumed according to the contract.
        recorded: u64,
    },
}

/// The reconstruction failed; the database keeps the last complete block range.
#[derive(Debug, thiserror::Error)]
pub enum ReconstructError {
    /// The L1 node refused or could not be reached.
    #[error("L1 transport: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A contract call failed.
    #[error("L1 call: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// An event does not decode.
    #[error("L1 event: {0}")]
    Event(#[from] EventError),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The directory cannot be created.
    #[error("{path}: {source}")]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP client for a consensus client's blob API cannot be made.
    #[error("HTTP client: {0}")]
    HttpClient(String),
    /// The directory holds an operator node's database.
    #[error("{0} is an operator node's database; reconstruct into another directory")]
    NodeDatabase(PathBuf),
    /// The directory holds another deployment's reconstruction.
    #[error("{path} reconstructs rollup {rollup} on chain {chain_id}, not this deployment")]
    OtherDeployment {
        /// The directory.
        path: PathBuf,
        /// The Rollup it holds.
        rollup: Address,
        /// Its chain.
        chain_id: u64,
    },
    /// The stored accounts cannot form a tree of the deployment's depth.
    #[error("the stored accounts: {0}")]
    Depth(#[from] BadDepth),
    /// The stored accounts do not give the stored root.
    #[error("the stored accounts do not give the stored root")]
    StoredRootMismatch,
    /// A batch's L1 data is not what the reconstruction can read.
    #[error("batch {batch}: {reason}")]
    Calldata {
        /// The batch.
        batch: u64,
        /// Why.
        #[source]
        reason: CalldataError,
    },
    /// A finalized batch does not replay onto the reconstructed state.
    #[error("batch {batch} does not replay: {source}")]
    Replay {
        /// The batch.
        batch: u64,
        /// Why.
        source: ReplayError,
    },
    /// The replayed state's root is not the one the contract recorded.
    #[error("batch {batch}: replayed root {replayed} but the contract recorded {recorded}")]
    RootMismatch {
        /// The batch.
        batch: u64,
        /// The reconstruction's root.
        replayed: String,
        /// The contract's.
        recorded: String,
    },
}

/// The reconstructed state as readers see it: always as of a whole batch.
pub struct View {
    /// The state after `batch`.
    pub state: State,
    /// The last batch applied (0: genesis).
    pub batch: u64,
    /// Progress and queue positions.
    pub meta: ReconstructedMeta,
}

/// What one [`Reconstructor::sync`] did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncReport {
    /// The batch the run started from.
    pub from_batch: u64,
    /// The batch it reached.
    pub batch: u64,
    /// Batches replayed.
    pub batches: u64,
    /// Operations (non-empty slots) replayed.
    pub operations: u64,
    /// The last L1 block applied.
    pub l1_block: u64,
    /// The reconstructed root, `0x` hex.
    pub root: String,
    /// The contract's root at `l1_block`, `0x` hex.
    pub contract_root: String,
    /// Accounts in the state.
    pub accounts: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Batches replayed per second.
    pub batches_per_second: f64,
    /// Operations replayed per second.
    pub operations_per_second: f64,
}

/// A finalized batch as read from L1.
struct FinalizedBatch {
    number: u64,
    new_root: U256,
    priority_ops: u64,
    pubdata: Vec<u8>,
    payouts: Vec<Payout>,
}

/// Rebuilds and follows the state of one deployment in one directory.
pub struct Reconstructor {
    config: ReconstructConfig,
    provider: DynProvider,
    deployment: Deployment,
    store: Store,
    http: reqwest::Client,
    view: Arc<RwLock<View>>,
    queue: VecDeque<PriorityOp>,
    events: broadcast::Sender<BatchEvent>,
}

impl Reconstructor {
    /// Opens (creating) the reconstruction of `deployment` in `dir`, resuming a previous run.
    pub fn open(
        config: ReconstructConfig,
        provider: DynProvider,
        deployment: Deployment,
        dir: &Path,
    ) -> Result<Reconstructor, ReconstructError> {
        std::fs::create_dir_all(dir).map_err(|source| ReconstructError::CreateDirectory {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store::open(dir)?;
        if store.sequencer_meta()?.is_some() {
            return Err(ReconstructError::NodeDatabase(dir.to_path_buf()));
        }
        let (view, queue) = load(&store, &deployment)?;
        if (view.meta.chain_id, view.meta.rollup) != (deployment.chain_id, deployment.rollup) {
            return Err(ReconstructError::OtherDeployment {
                path: dir.to_path_buf(),
                rollup: view.meta.rollup,
                chain_id: view.meta.chain_id,
            });
        }
        let (events, _) = broadcast::channel(1024);
        Ok(Reconstructor {
            config,
            provider,
            deployment,
            store,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(60))
                .build()
                .map_err(|e| ReconstructError::HttpClient(e.to_string()))?,
            view: Arc::new(RwLock::new(view)),
            queue,
            events,
        })
    }

    /// The state readers see.
    pub fn view(&self) -> Arc<RwLock<View>> {
        self.view.clone()
    }

    /// Batch events: one `finalized` event per batch replayed.
    pub fn events(&self) -> broadcast::Sender<BatchEvent> {
        self.events.clone()
    }

    /// Applies every L1 block up to the head minus the confirmation depth and checks the
    /// result against the contract's root at the last block applied.
    pub async fn sync(&mut self) -> Result<SyncReport, ReconstructError> {
        let started = Instant::now();
        let (from_batch, operations_before) = {
            let view = self.view.read().expect("view lock");
            (view.batch, view.meta.operations)
        };
        // A consensus client's blob is found through the next block's header: with one, the
        // head waits for that block.
        let confirmations = match self.config.beacon_api {
            Some(_) => self.config.confirmations.max(1),
            None => self.config.confirmations,
        };
        let confirmed = self
            .provider
            .get_block_number()
            .await?
            .saturating_sub(confirmations);
        loop {
            let from = self.view.read().expect("view lock").meta.l1_scanned + 1;
            if from > confirmed {
                break;
            }
            let to = confirmed.min(from + self.config.max_range - 1);
            if let Err(error) = self.apply_range(from, to).await {
                self.reload()?;
                return Err(error);
            }
        }

        // Only this reconstructor writes the view, so it cannot change across the await.
        let l1_block = self.view.read().expect("view lock").meta.l1_scanned;
        let contract_root = if l1_block < self.deployment.deployment_block {
            fr_to_u256(&self.deployment.genesis_root)
        } else {
            Rollup::new(self.deployment.rollup, self.provider.clone())
                .stateRoot()
                .block(BlockId::number(l1_block))
                .call()
                .await?
        };
        let view = self.view.read().expect("view lock");
        let root = fr_to_u256(&view.state.root());
        if root != contract_root {
            return Err(ReconstructError::RootMismatch {
                batch: view.batch,
                replayed: format!("{root:#066x}"),
                recorded: format!("{contract_root:#066x}"),
            });
        }
        let seconds = started.elapsed().as_secs_f64();
        let batches = view.batch - from_batch;
        let operations = view.meta.operations - operations_before;
        Ok(SyncReport {
            from_batch,
            batch: view.batch,
            batches,
            operations,
            l1_block,
            root: format!("{root:#066x}"),
            contract_root: format!("{contract_root:#066x}"),
            accounts: view.state.accounts().count(),
            seconds,
            batches_per_second: batches as f64 / seconds,
            operations_per_second: operations as f64 / seconds,
        })
    }

    /// Goes back to what the database holds: the end of the last committed block range.
    fn reload(&mut self) -> Result<(), ReconstructError> {
        let (view, queue) = load(&self.store, &self.deployment)?;
        *self.view.write().expect("view lock") = view;
        self.queue = queue;
        Ok(())
    }

    /// Applies the events of blocks `from..=to` and commits them in one write.
    async fn apply_range(&mut self, from: u64, to: u64) -> Result<(), ReconstructError> {
        let filter = Filter::new()
            .address(self.deployment.rollup)
            .from_block(from)
            .to_block(to)
            .event_signature(vec![
                Rollup::TokenRegistered::SIGNATURE_HASH,
                Rollup::DepositQueued::SIGNATURE_HASH,
                Rollup::ForcedExitQueued::SIGNATURE_HASH,
                Rollup::BatchFinalized::SIGNATURE_HASH,
            ]);
        let logs = self.provider.get_logs(&filter).await?;
        let mut queued = L1Events::default();
        let mut finalized = Vec::new();
        for log in &logs {
            if log.topic0() == Some(&Rollup::BatchFinalized::SIGNATURE_HASH) {
                finalized.push(log);
            } else {
                decode(log, &mut queued)?;
            }
        }
        queued.ops.sort_by_key(|(index, _)| *index);
        queued.tokens.sort_by_key(|(id, _)| *id);
        finalized.sort_by_key(|log| (log.block_number, log.log_index));
        let batches: Vec<FinalizedBatch> = futures::stream::iter(finalized)
            .map(|log| self.read_batch(log))
            .buffered(self.config.fetch_concurrency)
            .try_collect()
            .await?;

        let mut writer = self.store.writer();
        let mut touched = BTreeSet::new();
        {
            let mut view = self.view.write().expect("view lock");
            for (id, address) in queued.tokens {
                if id as usize == view.meta.tokens.len() {
                    view.meta.tokens.push(address);
                    view.state.register_token();
                }
            }
            for (index, op) in queued.ops {
                if index != view.meta.priority_received {
                    return Err(EventError::QueueGap {
                        got: index,
                        expected: view.meta.priority_received,
                    }
                    .into());
                }
                writer.queued(index, &op);
                self.queue.push_back(op);
                view.meta.priority_received += 1;
            }
        }
        for batch in batches {
            self.apply_batch(batch, &mut touched)?;
        }

        let mut view = self.view.write().expect("view lock");
        view.meta.l1_scanned = to;
        for index in touched {
            if let Some(account) = view.state.account(index) {
                writer.finalized_account(index, account);
            }
        }
        writer.finalized_meta(&FinalizedMeta {
            batch: view.batch,
            root: view.state.root(),
        });
        writer.reconstructed_meta(&view.meta);
        writer.commit(true)?;
        tracing::debug!(from, to, batch = view.batch, "L1 blocks applied");
        Ok(())
    }

    /// Reads a finalized batch's data from the calldata of the transaction that emitted `log`.
    async fn read_batch(&self, log: &Log) -> Result<FinalizedBatch, ReconstructError> {
        let event = log
            .log_decode::<Rollup::BatchFinalized>()
            .map_err(EventError::Decode)?
            .inner
            .data;
        let batch = event.number;
        let bad = |reason: CalldataError| ReconstructError::Calldata { batch, reason };
        let hash: B256 = log
            .transaction_hash
            .ok_or_else(|| bad(CalldataError::NoTransactionHash))?;
        let tx = self
            .provider
            .get_transaction_by_hash(hash)
            .await?
            .ok_or_else(|| bad(CalldataError::UnknownTransaction(hash)))?;
        if tx.to() != Some(self.deployment.rollup) {
            return Err(bad(CalldataError::OtherContract(hash)));
        }
        let (call, blob) = submitted(tx.input(), batch).map_err(|source| {
            bad(CalldataError::NotSubmitBatch {
                tx: hash,
                source: Box::new(source),
            })
        })?;
        let pubdata = match &blob {
            None => call.pubdata.to_vec(),
            Some(opening) => self.read_blob(hash, &tx, opening).await.map_err(bad)?,
        };
        if call.number != batch
            || call.newRoot != event.newRoot
            || call.priorityOps != event.priorityOps
        {
            return Err(bad(CalldataError::EventMismatch(hash)));
        }
        let priority_ops = u64::try_from(event.priorityOps)
            .map_err(|_| bad(CalldataError::PriorityOpsOverflow))?;
        Ok(FinalizedBatch {
            number: batch,
            new_root: event.newRoot,
            priority_ops,
            pubdata,
            payouts: call
                .payouts
                .iter()
                .map(|p| Payout {
                    recipient: p.recipient,
                    token: p.token,
                    amount: p.amount,
                })
                .collect(),
        })
    }

    /// The pubdata of a `submitBlobBatch` transaction: the blob its opening names, from the
    /// folder of saved blobs, or else from a consensus client's blob API when one is
    /// configured, or else the L1 endpoint's `anvil_getBlobByHash` (anvil's and the embedded
    /// L1's blob store), checked against the transaction's versioned hash before it is
    /// decoded. A blob fetched from L1 is saved to the folder.
    async fn read_blob(
        &self,
        hash: B256,
        tx: &alloy::rpc::types::Transaction,
        opening: &Rollup::BlobOpening,
    ) -> Result<Vec<u8>, CalldataError> {
        let versioned_hash = usize::try_from(opening.index)
            .ok()
            .and_then(|index| tx.blob_versioned_hashes()?.get(index).copied())
            .ok_or(CalldataError::NoBlob(hash))?;
        // Beyond usize is beyond a blob: `decode` refuses it as too large.
        let length = usize::try_from(opening.length).unwrap_or(usize::MAX);
        let saved = self
            .config
            .blob_dir
            .as_ref()
            .map(|dir| dir.join(format!("{versioned_hash}.blob")));
        if let Some(path) = saved.as_ref().filter(|path| path.exists()) {
            match read_saved_blob(path, versioned_hash) {
                Ok(blob) => return blob::decode(&blob, length).map_err(CalldataError::Blob),
                // A damaged file is read from L1 again (and saved over) while L1 has it.
                Err(error) => tracing::warn!(%error, "saved blob unusable; asking L1"),
            }
        }
        // Each source gives only the blob of `versioned_hash` (its commitment recomputed).
        let blob = match &self.config.beacon_api {
            Some(beacon) => self.beacon_blob(beacon, tx, versioned_hash).await?,
            None => {
                let blob: Option<Box<Blob>> = self
                    .provider
                    .raw_request("anvil_getBlobByHash".into(), (versioned_hash,))
                    .await
                    .map_err(|source| CalldataError::BlobUnavailable {
                        versioned_hash,
                        source: Box::new(source),
                    })?;
                let blob = blob.ok_or(CalldataError::BlobMissing(versioned_hash))?;
                if BatchBlob::versioned_hash_of(&blob).map_err(CalldataError::Blob)?
                    != versioned_hash
                {
                    return Err(CalldataError::BlobMismatch(versioned_hash));
                }
                blob
            }
        };
        if let Some(path) = &saved {
            save_blob(path, &blob)?;
        }
        blob::decode(&blob, length).map_err(CalldataError::Blob)
    }

    /// The blob of `versioned_hash` that `tx` carried, from the consensus client at
    /// `beacon` ([`CalldataError::BlobMissing`] when it no longer has it). The beacon block that carried `tx`'s
    /// execution block is named by the next execution block's `parent_beacon_block_root`
    /// (EIP-4788), so no slot arithmetic is needed.
    async fn beacon_blob(
        &self,
        beacon: &Url,
        tx: &alloy::rpc::types::Transaction,
        versioned_hash: B256,
    ) -> Result<Box<Blob>, CalldataError> {
        let unavailable = |reason: String| CalldataError::BeaconApi {
            versioned_hash,
            reason,
        };
        let block = tx
            .block_number
            .ok_or_else(|| unavailable("its transaction is not mined".into()))?;
        let next = self
            .provider
            .get_block_by_number((block + 1).into())
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .ok_or_else(|| unavailable(format!("block {} is not mined yet", block + 1)))?;
        let root = next.header.parent_beacon_block_root.ok_or_else(|| {
            unavailable(format!("block {} names no beacon block root", block + 1))
        })?;
        let url = format!(
            "{}/eth/v1/beacon/blobs/{root}?versioned_hashes={versioned_hash}",
            beacon.as_str().trim_end_matches('/')
        );
        let mut response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if response.status() == StatusCode::NOT_FOUND {
            // A pruned blob is an empty list; this is a block the client does not know, or
            // a client without the blob API (before Fusaka).
            return Err(unavailable(format!(
                "HTTP 404 for beacon block {root} (no /eth/v1/beacon/blobs, or the block is unknown)"
            )));
        }
        if !response.status().is_success() {
            return Err(unavailable(format!("HTTP {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unavailable(e.to_string()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BEACON_RESPONSE {
                return Err(unavailable(format!(
                    "an answer of more than {MAX_BEACON_RESPONSE} bytes"
                )));
            }
        }
        #[derive(serde::Deserialize)]
        struct Blobs {
            data: Vec<Blob>,
        }
        let blobs: Blobs = serde_json::from_slice(&body).map_err(|e| unavailable(e.to_string()))?;
        blobs
            .data
            .into_iter()
            .find(|blob| BatchBlob::versioned_hash_of(blob).ok() == Some(versioned_hash))
            .map(Box::new)
            .ok_or(CalldataError::BlobMissing(versioned_hash))
    }

    /// Replays one batch onto the state, under the write lock so readers see whole batches.
    /// On error the in-memory state may be partly changed: [`Reconstructor::sync`] reloads
    /// the last committed range.
    fn apply_batch(
        &mut self,
        batch: FinalizedBatch,
        touched: &mut BTreeSet<u32>,
    ) -> Result<(), ReconstructError> {
        let number = batch.number;
        let mut view = self.view.write().expect("view lock");
        if number != view.batch + 1 {
            return Err(ReconstructError::Calldata {
                batch: number,
                reason: CalldataError::OutOfOrder(view.batch),
            });
        }
        let layout = PubdataLayout {
            depth: self.deployment.depth,
        };
        let header = self.deployment.fee_slots * FEE_ENTRY_BYTES;
        let params = BatchParams {
            slots: batch.pubdata.len().saturating_sub(header) / layout.chunk_bytes(),
            fee_slots: self.deployment.fee_slots,
        };
        let (operations, accounts) = touched_accounts(layout, header, &batch.pubdata);

        let mut consumed = 0u64;
        let mut priority = std::iter::from_fn(|| {
            let op = self.queue.get(consumed as usize).copied();
            consumed += u64::from(op.is_some());
            op
        });
        replay(
            &mut view.state,
            params,
            &batch.pubdata,
            &batch.payouts,
            &mut priority,
        )
        .map_err(|source| ReconstructError::Replay {
            batch: number,
            source,
        })?;
        if consumed != batch.priority_ops {
            return Err(ReconstructError::Calldata {
                batch: number,
                reason: CalldataError::PriorityOpsDiffer {
                    consumed,
                    recorded: batch.priority_ops,
                },
            });
        }
        let root = fr_to_u256(&view.state.root());
        if root != batch.new_root {
            return Err(ReconstructError::RootMismatch {
                batch: number,
                replayed: format!("{root:#066x}"),
                recorded: format!("{:#066x}", batch.new_root),
            });
        }
        touched.extend(accounts);
        self.queue.drain(..consumed as usize);
        view.batch = number;
        view.meta.priority_consumed += consumed;
        view.meta.operations += operations;
        let _ = self.events.send(BatchEvent {
            number,
            status: BatchStatus::Finalized,
            proving_seconds: None,
            l1_tx_hash: None,
        });
        Ok(())
    }
}

/// Most bytes read from a consensus client's blob API for one blob: a block's 21 blobs
/// (BPO2's most) in hex, and their JSON around them.
const MAX_BEACON_RESPONSE: usize = 21 * (2 + 2 * 131_072 + 4) + 1024;

/// Batch `number` as a submission's input carries it (`submitBatch`, `submitBlobBatch`, or
/// one of `submitBatches`), with its blob's opening when its pubdata is in a blob. A
/// `submitBatches` input without the batch decodes as none of the calls.
fn submitted(
    input: &[u8],
    number: u64,
) -> Result<(Rollup::BatchData, Option<Rollup::BlobOpening>), alloy::sol_types::Error> {
    let first = match Rollup::submitBatchCall::abi_decode(input) {
        Ok(call) => return Ok((call.batch, None)),
        Err(error) => error,
    };
    if let Ok(call) = Rollup::submitBlobBatchCall::abi_decode(input) {
        return Ok((call.batch, Some(call.blob)));
    }
    if let Ok(call) = Rollup::submitBatchesCall::abi_decode(input) {
        if let Some(at) = call.batches.iter().position(|b| b.number == number) {
            let blob = call.blobs.get(at).cloned();
            let batch = call.batches.into_iter().nth(at).expect("found above");
            return Ok((batch, blob));
        }
    }
    Err(first)
}

/// A saved blob, which must be the blob of `versioned_hash`.
fn read_saved_blob(path: &Path, versioned_hash: B256) -> Result<Box<Blob>, CalldataError> {
    let saved = |reason: String| CalldataError::SavedBlob {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| saved(e.to_string()))?;
    let blob = Blob::try_from(bytes.as_slice())
        .map(Box::new)
        .map_err(|_| {
            saved(format!(
                "{} bytes, not a blob's {}",
                bytes.len(),
                Blob::len_bytes()
            ))
        })?;
    let recomputed = BatchBlob::versioned_hash_of(&blob).map_err(CalldataError::Blob)?;
    if recomputed != versioned_hash {
        return Err(saved(format!("it is the blob of {recomputed}")));
    }
    Ok(blob)
}

/// Saves a blob whole or not at all (written beside, synced, then renamed).
fn save_blob(path: &Path, blob: &Blob) -> Result<(), CalldataError> {
    let saved = |error: std::io::Error| CalldataError::SavedBlob {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(saved)?;
    }
    let partial = path.with_extension("blob.partial");
    let mut file = std::fs::File::create(&partial).map_err(saved)?;
    std::io::Write::write_all(&mut file, blob.as_slice()).map_err(saved)?;
    file.sync_all().map_err(saved)?;
    std::fs::rename(&partial, path).map_err(saved)
}

/// What the database holds: the state as of its last committed block range and the queued
/// operations no batch consumed yet (a fresh directory: genesis).
fn load(
    store: &Store,
    deployment: &Deployment,
) -> Result<(View, VecDeque<PriorityOp>), ReconstructError> {
    let meta = store
        .reconstructed_meta()?
        .unwrap_or_else(|| genesis_meta(deployment));
    let (state, batch) = restore_state(store, deployment, &meta)?;
    let queue = store
        .queue_from(meta.priority_consumed)?
        .into_iter()
        .map(|(_, op)| op)
        .collect();
    Ok((View { state, batch, meta }, queue))
}

/// Where a reconstruction of `deployment` starts: its deployment block, ETH only, no queue.
fn genesis_meta(deployment: &Deployment) -> ReconstructedMeta {
    ReconstructedMeta {
        chain_id: deployment.chain_id,
        rollup: deployment.rollup,
        l1_scanned: deployment.deployment_block.saturating_sub(1),
        tokens: vec![Address::ZERO],
        priority_received: 0,
        priority_consumed: 0,
        operations: 0,
    }
}

/// The operations (non-empty slots) of a batch's pubdata and every account it can change:
/// those its operations name and its fee accounts.
fn touched_accounts(layout: PubdataLayout, header: usize, pubdata: &[u8]) -> (u64, Vec<u32>) {
    let (fee_header, chunks) = pubdata.split_at(header.min(pubdata.len()));
    let mut accounts: Vec<u32> = fee_header
        .chunks(FEE_ENTRY_BYTES)
        .enumerate()
        .filter_map(|(position, entry)| decode_fee_entry(position, entry).ok().flatten())
        .collect();
    let mut operations = 0;
    for chunk in chunks.chunks(layout.chunk_bytes()) {
        match layout.decode(chunk) {
            Ok(PubdataOp::Deposit { account } | PubdataOp::ForcedExit { account }) => {
                accounts.push(account)
            }
            Ok(PubdataOp::Transfer { from, to, .. }) => accounts.extend([from, to]),
            Ok(PubdataOp::Withdraw { from, .. }) => accounts.push(from),
            Ok(PubdataOp::Noop) | Err(_) => continue,
        }
        operations += 1;
    }
    (operations, accounts)
}

/// The state a directory holds, checked against its recorded root.
pub fn restore_state(
    store: &Store,
    deployment: &Deployment,
    meta: &ReconstructedMeta,
) -> Result<(State, u64), ReconstructError> {
    let config = StateConfig {
        depth: deployment.depth,
        domain: deployment.domain(),
    };
    let tokens = u32::try_from(meta.tokens.len()).unwrap_or(u32::MAX);
    let state = State::restore(config, tokens, store.finalized_accounts()?)?;
    let finalized = store.finalized_meta()?;
    let expected: Fr = if finalized.batch == 0 {
        deployment.genesis_root
    } else {
        finalized.root
    };
    if state.root() != expected {
        return Err(ReconstructError::StoredRootMismatch);
    }
    Ok((state, finalized.batch))
}
