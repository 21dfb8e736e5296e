//! The `verity` JSON-RPC namespace: one trait, from which jsonrpsee generates the server
//! side the node and the read-only reconstruction implement and the client the wallet and the
//! tests use; its wire types, batch events, stage health, error codes ([`codes`]) and the
//! conversions every server shares ([`convert`]).
//!
//! Depends on the rules (`verity-circuits`, for the types the methods carry), alloy's
//! primitives, serde and jsonrpsee. Never on storage, L1 clients or the node: a wallet
//! speaks this interface without linking RocksDB.

pub mod codes;
pub mod convert;
pub mod events;
pub mod health;

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use verity_circuits::batch::FeeSlot;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::eddsa::PublicKey;
use verity_circuits::field::fr_to_hex;
use verity_circuits::merkle::MerkleProof;
use verity_circuits::ops::{AccountIndex, ExecutedOp, L2Tx, Payout, TokenId};

use events::{BatchEvent, BatchStatus, TxStatusEvent};
use health::{Stage, StageHealth};

/// A public key in every form wallets use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyJson {
    /// x, `0x` hex.
    pub x: String,
    /// y, `0x` hex.
    pub y: String,
    /// circomlibjs `packPoint`, `0x` hex of the 32 bytes.
    pub packed: String,
}

impl From<&PublicKey> for PublicKeyJson {
    fn from(key: &PublicKey) -> Self {
        PublicKeyJson {
            x: fr_to_hex(&key.0.x()),
            y: fr_to_hex(&key.0.y()),
            packed: format!("0x{}", hex::encode(key.pack())),
        }
    }
}

/// An account named by index or by public key (circomlibjs-packed, `0x` hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AccountRef {
    /// A leaf index.
    Index(AccountIndex),
    /// A packed public key: every account of the key, one per token.
    Key(String),
}

/// An account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Leaf index.
    pub index: AccountIndex,
    /// Its key.
    pub public_key: PublicKeyJson,
    /// L1 owner (paid by a forced exit).
    pub l1_address: Address,
    /// Token.
    pub token: TokenId,
    /// Balance, decimal.
    pub balance: String,
    /// Next nonce.
    pub nonce: u32,
}

/// An account's leaf and Merkle path against the latest finalized root: what an exodus exit
/// needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProof {
    /// The finalized batch the proof is against.
    pub batch: u64,
    /// Its root, `0x` hex.
    pub root: String,
    /// The account as of that batch (`None`: the leaf is empty).
    pub account: Option<AccountInfo>,
    /// The leaf hash, `0x` hex.
    pub leaf: String,
    /// Siblings from the leaf up.
    pub proof: MerkleProof,
}

/// A transaction and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    /// Its hash (the signed message).
    pub hash: B256,
    /// The transaction.
    pub tx: L2Tx,
    /// pending → executed → proven → finalized.
    pub status: BatchStatus,
    /// The batch it is in (known once its batch closes, a moment before it executes).
    pub batch: Option<u64>,
    /// The L1 transaction that finalized the batch.
    pub l1_tx_hash: Option<B256>,
}

/// A page of an account's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The transactions the account sent or received, oldest first, each as
    /// `verity_getTransaction` gives it.
    pub transactions: Vec<TxInfo>,
    /// Where the next page starts, just after this page's last transaction: pass it as
    /// `cursor`. Following the cursors never skips or repeats a transaction, whatever is sent
    /// meanwhile; an empty page holds nothing newer yet (and `next` is its cursor).
    pub next: u64,
}

/// Most transactions a history page holds.
pub const HISTORY_PAGE_MAX: usize = 500;
/// Transactions in a history page when the caller does not say.
pub const HISTORY_PAGE_DEFAULT: usize = 50;

/// A batch's proof as snarkjs reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProofInfo {
    /// `proof.json`.
    pub proof: serde_json::Value,
    /// `public.json`: the public inputs, decimal, in the statement's order.
    pub public_signals: serde_json::Value,
    /// Seconds the proof took.
    pub proving_seconds: f64,
    /// Who proved it: `local`, or the fleet worker's name.
    pub prover: String,
}

/// A sealed batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchInfo {
    /// Its number.
    pub number: u64,
    /// executed → proven → finalized.
    pub status: BatchStatus,
    /// The circuit it is proven with.
    pub size: CircuitSize,
    /// Root before, `0x` hex.
    pub old_root: String,
    /// Root after, `0x` hex.
    pub new_root: String,
    /// The data hash (the proof's hash of the pubdata's elements, a public input), `0x` hex.
    pub commitment: String,
    /// One per slot (padded with noops).
    pub operations: Vec<ExecutedOp>,
    /// Fees collected.
    pub fee_slots: Vec<FeeSlot>,
    /// L1 payments.
    pub payouts: Vec<Payout>,
    /// The published pubdata, `0x` hex.
    pub pubdata: String,
    /// The versioned hash of the blob the pubdata is published in (none: in calldata).
    #[serde(default)]
    pub blob: Option<B256>,
    /// Unix seconds when it was sealed.
    pub sealed_at: u64,
    /// The proof, once proven.
    pub proof: Option<ProofInfo>,
    /// The L1 transaction that finalized it.
    pub l1_tx_hash: Option<B256>,
}

/// A registered token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: TokenId,
    /// Its L1 contract (zero for ETH).
    pub address: Address,
}

/// One verifier of the deployment, as `deployment.json` records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierInfo {
    /// Batch slots it verifies.
    pub slots: usize,
    /// Its address.
    pub address: Address,
    /// SHA-256 of the verifying key, as `keys.json` records it.
    pub verifying_key_hash: String,
}

/// The chain and the node's position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainInfo {
    /// L1 chain id.
    pub chain_id: u64,
    /// The Rollup contract.
    pub rollup: Address,
    /// Verifiers by circuit size.
    pub verifiers: Vec<VerifierInfo>,
    /// Binary tree depth.
    pub depth: u8,
    /// Latest batch whose operations are fixed (acknowledged transactions after it are
    /// pending).
    pub latest_closed: u64,
    /// Latest batch executed with its roots, pubdata and commitment (sealed).
    pub latest_executed: u64,
    /// Latest batch with a verified proof.
    pub latest_proven: u64,
    /// Latest batch final on L1.
    pub latest_finalized: u64,
    /// The finalized state root, `0x` hex.
    pub state_root: String,
    /// The root after the latest executed batch, `0x` hex.
    pub executed_root: String,
    /// Acknowledged transactions not yet final on L1.
    pub pending_transactions: usize,
    /// The last L1 block whose events the node took.
    pub l1_scanned_block: u64,
    /// Each pipeline stage's health (`sequencer`, `materializer`, `prover`, `watcher`,
    /// `submitter`): `{status, error, failures, since}` with status `running`, `retrying`,
    /// `off` or `failed`. Empty on a read-only node.
    #[serde(default)]
    pub health: BTreeMap<Stage, StageHealth>,
}

/// The `verity` namespace.
#[rpc(server, client, namespace = "verity")]
pub trait VerityApi {
    /// Checks a signed transaction with the native rules, stores it durably and returns its
    /// hash; refusals are errors with a stable code.
    #[method(name = "sendTransaction")]
    async fn send_transaction(&self, tx: L2Tx) -> RpcResult<B256>;

    /// A transaction by hash.
    #[method(name = "getTransaction")]
    async fn get_transaction(&self, hash: B256) -> RpcResult<TxInfo>;

    /// Accounts by index or public key, with every acknowledged transaction applied.
    #[method(name = "getAccount")]
    async fn get_account(&self, account: AccountRef) -> RpcResult<Vec<AccountInfo>>;

    /// The transactions an account sent or received, oldest first, a page at a time: from
    /// `cursor` (0 or none: the first), at most `limit` (default 50, at most 500).
    #[method(name = "getHistory")]
    async fn get_history(
        &self,
        account: AccountIndex,
        cursor: Option<u64>,
        limit: Option<usize>,
    ) -> RpcResult<HistoryPage>;

    /// An account's leaf and Merkle path against the latest finalized root.
    #[method(name = "getAccountProof")]
    async fn get_account_proof(&self, index: AccountIndex) -> RpcResult<AccountProof>;

    /// A sealed batch.
    #[method(name = "getBatch")]
    async fn get_batch(&self, number: u64) -> RpcResult<BatchInfo>;

    /// Registered tokens.
    #[method(name = "tokens")]
    async fn tokens(&self) -> RpcResult<Vec<TokenInfo>>;

    /// The chain and the node's position.
    #[method(name = "chainInfo")]
    async fn chain_info(&self) -> RpcResult<ChainInfo>;

    /// Batch status changes as they happen (WebSocket).
    #[subscription(name = "subscribeBatches" => "batch", unsubscribe = "unsubscribeBatches", item = BatchEvent)]
    async fn subscribe_batches(&self) -> SubscriptionResult;

    /// One transaction's status (WebSocket): its status now, then each later one once and in
    /// order (`pending` → `executed` → `proven` → `finalized`); nothing after `finalized`,
    /// when the node drops the subscription.
    #[subscription(name = "subscribeTransaction" => "transaction", unsubscribe = "unsubscribeTransaction", item = TxStatusEvent)]
    async fn subscribe_transaction(&self, hash: B256) -> SubscriptionResult;
}
