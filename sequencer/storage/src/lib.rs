//! The node's database: RocksDB with one column family per kind of record. The sequencer
//! is the only writer of the state (accounts, open-batch log, queue, sealed batches); the
//! proving pipeline writes proofs and the submitter writes L1 records, each under its own
//! keys, so no record is read-modified-written by two threads.
//!
//! Every value is JSON (the same documents the RPC serves); keys that are numbers are
//! big-endian so RocksDB iterates them in order.
//!
//! Depends on the rules' types, RocksDB and serde only; never on an async runtime, L1 or the
//! RPC. The node, the fleet, reconstruction and the wallet's exit read and write through it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use alloy_primitives::{Address, B256};
use rocksdb::{ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch, WriteOptions};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use verity_circuits::batch::{Batch, BatchContents};
use verity_circuits::circuit::{BatchWitness, CircuitSize};
use verity_circuits::ops::{AccountIndex, L2Tx, PriorityOp, TokenId};
use verity_circuits::state::Account;
use verity_circuits::Fr;

/// Column families.
const META: &str = "meta";
const ACCOUNTS: &str = "accounts";
const FINALIZED_ACCOUNTS: &str = "finalized_accounts";
const OPEN: &str = "open";
const QUEUE: &str = "queue";
const TXS: &str = "txs";
const CONTENTS: &str = "contents";
const BATCHES: &str = "batches";
const JOBS: &str = "jobs";
const PROOFS: &str = "proofs";
const L1_RECORDS: &str = "l1";
/// Per account, the transactions it sent or received, keyed by account then acknowledgement.
const HISTORY: &str = "history";
const FAMILIES: [&str; 12] = [
    META,
    ACCOUNTS,
    FINALIZED_ACCOUNTS,
    OPEN,
    QUEUE,
    TXS,
    CONTENTS,
    BATCHES,
    JOBS,
    PROOFS,
    L1_RECORDS,
    HISTORY,
];
const SEQUENCER_META: &[u8] = b"sequencer";
const FINALIZED_META: &[u8] = b"finalized";
/// The position of the last executed batch (named before the word "executed" was settled on).
const EXECUTED_META: &[u8] = b"materialized";
const RECONSTRUCTED_META: &[u8] = b"reconstructed";

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A stored record does not decode.
    #[error("corrupt record in {family}: {source}")]
    Corrupt {
        /// Where.
        family: &'static str,
        /// Why.
        source: serde_json::Error,
    },
}

/// The sequencer's position, written with every change of the state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencerMeta {
    /// The last closed batch (0 before the first). Stored as `sealed`, its earlier name.
    #[serde(rename = "sealed")]
    pub closed: u64,
    /// L1 priority operations consumed by closed batches.
    pub priority_consumed: u64,
    /// The queue's rolling hash after them.
    #[serde(with = "verity_circuits::field::serde_fr")]
    pub priority_hash: Fr,
    /// Registered tokens, by id (id 0, ETH, is the zero address).
    pub tokens: Vec<Address>,
    /// The last L1 block whose events were taken.
    pub l1_scanned: u64,
    /// L1 priority operations received (queued or consumed).
    pub priority_received: u64,
    /// Next key of the open-batch log.
    pub next_open: u64,
}

/// The latest finalized batch, written with the finalized accounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizedMeta {
    /// Its number (0 before the first).
    pub batch: u64,
    /// Its root.
    #[serde(with = "verity_circuits::field::serde_fr")]
    pub root: Fr,
}

/// How far `verity reconstruct` rebuilt the state from L1 (the state itself is the finalized
/// accounts and [`FinalizedMeta`]; the priority queue is the queue family).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconstructedMeta {
    /// The L1 chain read.
    pub chain_id: u64,
    /// The Rollup contract read.
    pub rollup: Address,
    /// The last L1 block whose events were applied.
    pub l1_scanned: u64,
    /// Registered tokens, by id (id 0, ETH, is the zero address).
    pub tokens: Vec<Address>,
    /// L1 priority operations queued.
    pub priority_received: u64,
    /// L1 priority operations consumed by finalized batches.
    pub priority_consumed: u64,
    /// Operations (non-empty slots) replayed.
    pub operations: u64,
}

/// One entry of the open batch, in execution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpenEntry {
    /// An acknowledged transaction.
    L2 {
        /// It.
        tx: L2Tx,
    },
    /// The next L1 priority operation.
    Priority {
        /// Its queue index.
        index: u64,
    },
}

/// A batch the sequencer closed: what the materializer re-executes and seals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentsRecord {
    /// The circuit it goes into.
    pub size: CircuitSize,
    /// Its operations and fees.
    pub contents: BatchContents,
    /// The operator's fee account per token at its start.
    pub fee_accounts: BTreeMap<TokenId, AccountIndex>,
    /// The priority queue's rolling hash before it.
    #[serde(with = "verity_circuits::field::serde_fr")]
    pub priority_before: Fr,
    /// Registered tokens when it closed.
    pub tokens: u32,
}

/// An acknowledged transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction.
    pub tx: L2Tx,
    /// The batch it was sealed in (`None`: in the open batch).
    pub batch: Option<u64>,
}

/// A sealed batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// The circuit it is proven with.
    pub size: CircuitSize,
    /// The batch.
    pub batch: Batch,
    /// The versioned hash of the blob its pubdata is published in (none: in calldata). The
    /// batch's data binding was made for it, so it is submitted this way whatever the node's
    /// configuration is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<B256>,
    /// Unix seconds when it was sealed.
    pub sealed_at: u64,
}

/// A verified proof of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProofRecord {
    /// snarkjs `proof.json`.
    pub proof: serde_json::Value,
    /// The proof as `submitBatch` takes it, `0x` hex words.
    pub words: Vec<String>,
    /// Seconds spent proving.
    pub proving_seconds: f64,
    /// Unix seconds when it was verified.
    pub proven_at: u64,
    /// Who proved it: `local`, or the fleet worker's name.
    #[serde(default)]
    pub prover: String,
}

/// The batch's transaction on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Record {
    /// The transaction.
    pub tx_hash: B256,
    /// Whether it was mined and accepted.
    pub finalized: bool,
    /// Unix seconds when it was accepted.
    pub finalized_at: Option<u64>,
}

/// The node's RocksDB.
#[derive(Clone)]
pub struct Store {
    db: Arc<rocksdb::DB>,
}

fn number_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// An account's history entry: the account, then the position, both big-endian.
fn history_key(account: AccountIndex, position: u64) -> [u8; 12] {
    let mut key = [0; 12];
    key[..4].copy_from_slice(&account.to_be_bytes());
    key[4..].copy_from_slice(&position.to_be_bytes());
    key
}

fn encode(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialise")
}

impl Store {
    /// Opens (creating) the database under `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let families = FAMILIES
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        let db = rocksdb::DB::open_cf_descriptors(&options, dir, families)?;
        Ok(Store { db: Arc::new(db) })
    }

    /// Opens the database under `dir` for reading only, even while another process writes it.
    pub fn open_read_only(dir: &Path) -> Result<Store, StoreError> {
        let db = rocksdb::DB::open_cf_for_read_only(&Options::default(), dir, FAMILIES, false)?;
        Ok(Store { db: Arc::new(db) })
    }

    fn family(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db.cf_handle(name).expect("every family is opened")
    }

    fn get<T: DeserializeOwned>(
        &self,
        family: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match self.db.get_cf(self.family(family), key)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| StoreError::Corrupt { family, source }),
            None => Ok(None),
        }
    }

    fn all<T: DeserializeOwned>(
        &self,
        family: &'static str,
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        self.db
            .iterator_cf(self.family(family), IteratorMode::Start)
            .map(|item| {
                let (key, value) = item?;
                let value = serde_json::from_slice(&value)
                    .map_err(|source| StoreError::Corrupt { family, source })?;
                Ok((key.to_vec(), value))
            })
            .collect()
    }

    /// A write batch committed atomically (and synced, when asked) by [`Store::commit`].
    pub fn writer(&self) -> Writer {
        Writer {
            store: self.clone(),
            batch: WriteBatch::default(),
        }
    }

    /// The sequencer's position.
    pub fn sequencer_meta(&self) -> Result<Option<SequencerMeta>, StoreError> {
        self.get(META, SEQUENCER_META)
    }

    /// The latest finalized batch.
    pub fn finalized_meta(&self) -> Result<FinalizedMeta, StoreError> {
        Ok(self.get(META, FINALIZED_META)?.unwrap_or_default())
    }

    /// How far a reconstruction got (`None`: the directory was not made by one).
    pub fn reconstructed_meta(&self) -> Result<Option<ReconstructedMeta>, StoreError> {
        self.get(META, RECONSTRUCTED_META)
    }

    /// Accounts as of the last materialized batch.
    pub fn accounts(&self) -> Result<Vec<(AccountIndex, Account)>, StoreError> {
        self.accounts_in(ACCOUNTS)
    }

    /// Accounts as of the last finalized batch.
    pub fn finalized_accounts(&self) -> Result<Vec<(AccountIndex, Account)>, StoreError> {
        self.accounts_in(FINALIZED_ACCOUNTS)
    }

    fn accounts_in(
        &self,
        family: &'static str,
    ) -> Result<Vec<(AccountIndex, Account)>, StoreError> {
        Ok(self
            .all(family)?
            .into_iter()
            .map(|(key, account)| {
                let index = u32::from_be_bytes(key.try_into().expect("4-byte account keys"));
                (index, account)
            })
            .collect())
    }

    /// The open batch's log, in execution order.
    pub fn open_entries(&self) -> Result<Vec<OpenEntry>, StoreError> {
        Ok(self.all(OPEN)?.into_iter().map(|(_, e)| e).collect())
    }

    /// L1 priority operations from queue index `from` on.
    pub fn queue_from(&self, from: u64) -> Result<Vec<(u64, PriorityOp)>, StoreError> {
        self.db
            .iterator_cf(
                self.family(QUEUE),
                IteratorMode::From(&number_key(from), Direction::Forward),
            )
            .map(|item| {
                let (key, value) = item?;
                let index = u64::from_be_bytes(key.as_ref().try_into().expect("8-byte keys"));
                let op = serde_json::from_slice(&value).map_err(|source| StoreError::Corrupt {
                    family: QUEUE,
                    source,
                })?;
                Ok((index, op))
            })
            .collect()
    }

    /// An acknowledged transaction by hash.
    pub fn tx(&self, hash: &B256) -> Result<Option<TxRecord>, StoreError> {
        self.get(TXS, hash.as_slice())
    }

    /// Up to `limit` of the transactions `account` sent or received, in the order the node
    /// acknowledged them, from position `from` on: each with its position (pass the last
    /// one's plus one for the next page). Positions only grow, so a later write lands after
    /// every position already returned.
    pub fn history(
        &self,
        account: AccountIndex,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, B256)>, StoreError> {
        let start = history_key(account, from);
        self.db
            .iterator_cf(
                self.family(HISTORY),
                IteratorMode::From(&start, Direction::Forward),
            )
            .take_while(|item| {
                item.as_ref()
                    .map_or(true, |(key, _)| key[..4] == account.to_be_bytes())
            })
            .take(limit)
            .map(|item| {
                let (key, value) = item?;
                let position = u64::from_be_bytes(key[4..].try_into().expect("12-byte keys"));
                let hash =
                    serde_json::from_slice(&value).map_err(|source| StoreError::Corrupt {
                        family: HISTORY,
                        source,
                    })?;
                Ok((position, hash))
            })
            .collect()
    }

    /// A closed batch's contents.
    pub fn contents(&self, number: u64) -> Result<Option<ContentsRecord>, StoreError> {
        self.get(CONTENTS, &number_key(number))
    }

    /// The last executed batch (sealed: roots, pubdata and commitment, with its proving job).
    pub fn executed(&self) -> Result<u64, StoreError> {
        Ok(self.get(META, EXECUTED_META)?.unwrap_or(0))
    }

    /// A sealed batch.
    pub fn batch(&self, number: u64) -> Result<Option<BatchRecord>, StoreError> {
        self.get(BATCHES, &number_key(number))
    }

    /// A batch's proving job.
    pub fn job(&self, number: u64) -> Result<Option<BatchWitness>, StoreError> {
        self.get(JOBS, &number_key(number))
    }

    /// Batches with a job and no proof yet, from `from` on.
    pub fn unproven_from(&self, from: u64) -> Result<Vec<u64>, StoreError> {
        let mut numbers = Vec::new();
        for item in self.db.iterator_cf(
            self.family(JOBS),
            IteratorMode::From(&number_key(from), Direction::Forward),
        ) {
            let (key, _) = item?;
            let number = u64::from_be_bytes(key.as_ref().try_into().expect("8-byte keys"));
            if self.proof(number)?.is_none() {
                numbers.push(number);
            }
        }
        Ok(numbers)
    }

    /// A batch's verified proof.
    pub fn proof(&self, number: u64) -> Result<Option<ProofRecord>, StoreError> {
        self.get(PROOFS, &number_key(number))
    }

    /// A batch's L1 transaction.
    pub fn l1_record(&self, number: u64) -> Result<Option<L1Record>, StoreError> {
        self.get(L1_RECORDS, &number_key(number))
    }

    /// Records a verified proof (synced).
    pub fn put_proof(&self, number: u64, record: &ProofRecord) -> Result<(), StoreError> {
        let mut writer = self.writer();
        writer.put(PROOFS, &number_key(number), record);
        writer.commit(true)
    }

    /// Records a batch's L1 transaction (synced).
    pub fn put_l1_record(&self, number: u64, record: &L1Record) -> Result<(), StoreError> {
        let mut writer = self.writer();
        writer.put(L1_RECORDS, &number_key(number), record);
        writer.commit(true)
    }
}

/// Writes committed together.
pub struct Writer {
    store: Store,
    batch: WriteBatch,
}

impl Writer {
    fn put(&mut self, family: &str, key: &[u8], value: &impl Serialize) {
        self.batch
            .put_cf(self.store.family(family), key, encode(value));
    }

    /// Sets the sequencer's position.
    pub fn sequencer_meta(&mut self, meta: &SequencerMeta) {
        self.put(META, SEQUENCER_META, meta);
    }

    /// Appends to the open batch's log at `key`.
    pub fn open_entry(&mut self, key: u64, entry: &OpenEntry) {
        self.put(OPEN, &number_key(key), entry);
    }

    /// Clears the open batch's log (it was sealed).
    pub fn clear_open(&mut self, up_to: u64) {
        let family = self.store.family(OPEN);
        self.batch
            .delete_range_cf(family, number_key(0), number_key(up_to));
    }

    /// Queues an L1 priority operation.
    pub fn queued(&mut self, index: u64, op: &PriorityOp) {
        self.put(QUEUE, &number_key(index), op);
    }

    /// Records an acknowledged transaction.
    pub fn tx(&mut self, hash: &B256, record: &TxRecord) {
        self.put(TXS, hash.as_slice(), record);
    }

    /// Adds transaction `hash` to `account`'s history at `position` (the acknowledgement's,
    /// which only grows).
    pub fn history(&mut self, account: AccountIndex, position: u64, hash: &B256) {
        self.put(HISTORY, &history_key(account, position), hash);
    }

    /// Sets an account as of the last materialized batch.
    pub fn account(&mut self, index: AccountIndex, account: &Account) {
        self.put(ACCOUNTS, &index.to_be_bytes(), account);
    }

    /// Sets an account as of the last finalized batch.
    pub fn finalized_account(&mut self, index: AccountIndex, account: &Account) {
        self.put(FINALIZED_ACCOUNTS, &index.to_be_bytes(), account);
    }

    /// Sets the latest finalized batch.
    pub fn finalized_meta(&mut self, meta: &FinalizedMeta) {
        self.put(META, FINALIZED_META, meta);
    }

    /// Stores a closed batch's contents.
    pub fn contents(&mut self, record: &ContentsRecord) {
        self.put(CONTENTS, &number_key(record.contents.number), record);
    }

    /// Sets the last executed batch.
    pub fn executed(&mut self, number: u64) {
        self.put(META, EXECUTED_META, &number);
    }

    /// Stores an executed batch and its proving job.
    pub fn executed_batch(&mut self, record: &BatchRecord, job: &BatchWitness) {
        let key = number_key(record.batch.header.number);
        self.put(BATCHES, &key, record);
        self.put(JOBS, &key, job);
    }

    /// Records a batch's L1 transaction.
    pub fn l1_record(&mut self, number: u64, record: &L1Record) {
        self.put(L1_RECORDS, &number_key(number), record);
    }

    /// Drops a finalized batch's proving job.
    pub fn drop_job(&mut self, number: u64) {
        self.batch
            .delete_cf(self.store.family(JOBS), number_key(number));
    }

    /// Records how far a reconstruction got.
    pub fn reconstructed_meta(&mut self, meta: &ReconstructedMeta) {
        self.put(META, RECONSTRUCTED_META, meta);
    }

    /// Writes everything at once; `sync` waits until it is on disk.
    pub fn commit(self, sync: bool) -> Result<(), StoreError> {
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        self.store.db.write_opt(self.batch, &options)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
