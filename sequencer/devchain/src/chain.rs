//! The embedded chain: revm over an in-memory database, mining one block per transaction
//! (as anvil's automine does) and empty blocks on demand, with receipts, logs and the state
//! after each of the last [`HISTORY`] blocks for calls at a past block.
//!
//! Blob transactions (EIP-4844) are taken in their network form: the sidecar's blobs,
//! commitments and proofs (EIP-4844 blob proofs or EIP-7594 cell proofs) are checked with
//! c-kzg's mainnet setup before the transaction runs, `BLOBHASH` sees its versioned hashes,
//! and the blobs are kept for [`ChainConfig::blob_retention`] blocks, as a consensus client
//! keeps them for 4,096 epochs, then dropped. The blob base fee is the minimum, one wei.

use std::collections::{HashMap, VecDeque};

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, Signed, Transaction, TxEnvelope,
};
use alloy::eips::eip4844::env_settings::EnvKzgSettings;
use alloy::eips::eip4844::{Blob, DATA_GAS_PER_BLOB};
use alloy::eips::eip7594::BlobTransactionSidecarVariant;
use alloy::eips::Decodable2718;
use alloy::primitives::{Address, Bytes, Log, TxKind, B256, U256};
use alloy::rpc::types::TransactionRequest;
use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{Context, DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};

/// Blocks whose state is kept for calls at a past block.
pub const HISTORY: usize = 256;

/// Blocks a blob is kept: 4,096 epochs of 32 slots, what consensus clients keep
/// (`MIN_EPOCHS_FOR_BLOB_SIDECARS_REQUESTS`, about 18 days at 12-second slots).
pub const BLOB_RETENTION: u64 = 4096 * 32;

/// The blob base fee, wei per blob gas: the minimum (`MIN_BASE_FEE_PER_BLOB_GAS`; the chain
/// has no fee market).
pub const BLOB_BASE_FEE: u128 = 1;

/// Most blobs one transaction may carry: Osaka's limit (EIP-7594), as on mainnet.
pub const MAX_BLOBS_PER_TX: usize = 6;

/// The embedded chain's parameters.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Accounts funded at genesis.
    pub funded: Vec<(Address, U256)>,
    /// Gas per block (and the most one transaction may use).
    pub block_gas_limit: u64,
    /// Base fee per gas, fixed (the chain has no fee market).
    pub base_fee: u64,
    /// Blocks a blob is served after the block that carried it ([`BLOB_RETENTION`] as on
    /// mainnet; less to try what readers do once L1 has dropped a blob).
    pub blob_retention: u64,
}

/// Why the chain refused a transaction or a call.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The raw transaction does not decode or its signature does not recover.
    #[error("invalid transaction: {0}")]
    Invalid(String),
    /// A blob transaction came without its sidecar, or the sidecar's blobs, commitments,
    /// proofs and the transaction's versioned hashes do not agree.
    #[error("invalid blob sidecar: {0}")]
    InvalidBlobs(String),
    /// The EVM refused the transaction (nonce, balance, gas).
    #[error("transaction rejected: {0}")]
    Rejected(String),
    /// A call reverted, with its revert data.
    #[error("execution reverted")]
    Reverted(Bytes),
    /// A call halted (out of gas, invalid opcode, ...).
    #[error("execution halted: {0}")]
    Halted(String),
    /// The block's state is no longer kept.
    #[error("state of block {0} is not kept")]
    Pruned(u64),
}

/// A mined block.
#[derive(Clone, Debug)]
pub struct MinedBlock {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its parent's hash.
    pub parent_hash: B256,
    /// Unix seconds.
    pub timestamp: u64,
    /// Its transactions.
    pub transactions: Vec<B256>,
    /// Gas used.
    pub gas_used: u64,
}

/// A mined transaction.
#[derive(Clone, Debug)]
pub struct MinedTx {
    /// Its hash.
    pub hash: B256,
    /// The signed transaction, without its blob sidecar.
    pub envelope: TxEnvelope,
    /// Its block.
    pub block: u64,
    /// The sender.
    pub from: Address,
    /// The created contract.
    pub contract_address: Option<Address>,
    /// Gas used.
    pub gas_used: u64,
    /// Price paid per gas.
    pub gas_price: u128,
    /// Whether it succeeded.
    pub success: bool,
    /// Its logs.
    pub logs: Vec<Log>,
}

impl MinedTx {
    /// Blob gas used: [`DATA_GAS_PER_BLOB`] per blob it carried.
    pub fn blob_gas_used(&self) -> u64 {
        let blobs = self
            .envelope
            .blob_versioned_hashes()
            .map_or(0, <[B256]>::len);
        DATA_GAS_PER_BLOB * blobs as u64
    }

    /// Its receipt, as consensus defines it.
    pub fn receipt(&self) -> ReceiptEnvelope<Log> {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.gas_used,
            logs: self.logs.clone(),
        };
        ReceiptEnvelope::from_typed(
            self.envelope.tx_type(),
            ReceiptWithBloom::new(receipt.clone(), receipt.bloom_slow()),
        )
    }
}

/// The chain.
pub struct EmbeddedChain {
    config: ChainConfig,
    db: CacheDB<EmptyDB>,
    blocks: Vec<MinedBlock>,
    history: VecDeque<(u64, CacheDB<EmptyDB>)>,
    txs: HashMap<B256, MinedTx>,
    /// Blobs by versioned hash, with the block that carried them.
    blobs: HashMap<B256, (u64, Box<Blob>)>,
    /// Block numbers by beacon block root ([`EmbeddedChain::beacon_root`]).
    beacon_roots: HashMap<B256, u64>,
    time_offset: u64,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl EmbeddedChain {
    /// Genesis with the funded accounts.
    pub fn new(config: ChainConfig) -> EmbeddedChain {
        let mut db = CacheDB::new(EmptyDB::new());
        for (address, balance) in &config.funded {
            db.insert_account_info(
                *address,
                AccountInfo {
                    balance: *balance,
                    ..AccountInfo::default()
                },
            );
        }
        let genesis = MinedBlock {
            number: 0,
            hash: block_hash(0, B256::ZERO, &[]),
            parent_hash: B256::ZERO,
            timestamp: unix_now(),
            transactions: Vec::new(),
            gas_used: 0,
        };
        let genesis_root = beacon_root_of(&genesis.hash);
        let mut chain = EmbeddedChain {
            config,
            history: VecDeque::from([(0, db.clone())]),
            db,
            blocks: vec![genesis],
            txs: HashMap::new(),
            blobs: HashMap::new(),
            beacon_roots: HashMap::from([(genesis_root, 0)]),
            time_offset: 0,
        };
        chain.history.truncate(HISTORY);
        chain
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.config.chain_id
    }

    /// The fixed base fee.
    pub fn base_fee(&self) -> u64 {
        self.config.base_fee
    }

    /// The gas limit of a block.
    pub fn block_gas_limit(&self) -> u64 {
        self.config.block_gas_limit
    }

    /// The latest block's number.
    pub fn head(&self) -> u64 {
        self.blocks.len() as u64 - 1
    }

    /// A block.
    pub fn block(&self, number: u64) -> Option<&MinedBlock> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// A mined transaction.
    pub fn transaction(&self, hash: &B256) -> Option<&MinedTx> {
        self.txs.get(hash)
    }

    /// Mined transactions of blocks `from..=to`, in order.
    pub fn transactions_in(&self, from: u64, to: u64) -> impl Iterator<Item = &MinedTx> {
        (from..=to.min(self.head()))
            .filter_map(|n| self.block(n))
            .flat_map(|block| block.transactions.iter())
            .filter_map(|hash| self.txs.get(hash))
    }

    /// A blob carried by a transaction of the last [`ChainConfig::blob_retention`] blocks.
    pub fn blob(&self, versioned_hash: &B256) -> Option<&Blob> {
        self.blobs.get(versioned_hash).map(|(_, blob)| &**blob)
    }

    /// The blobs block `number` carried that the chain still keeps, in block order, by
    /// versioned hash.
    pub fn blobs_in(&self, number: u64) -> Vec<(B256, &Blob)> {
        let Some(block) = self.block(number) else {
            return Vec::new();
        };
        block
            .transactions
            .iter()
            .filter_map(|hash| self.txs.get(hash))
            .flat_map(|tx| tx.envelope.blob_versioned_hashes().unwrap_or_default())
            .filter_map(|hash| Some((*hash, self.blob(hash)?)))
            .collect()
    }

    /// The beacon block root of block `number`. The embedded chain has no consensus layer:
    /// each block stands for a slot of its own (its number), whose root is
    /// `keccak256("verity-devchain-beacon" ‖ block hash)`; the next block's header carries
    /// it as `parent_beacon_block_root` (EIP-4788), as on Ethereum, where blob readers look
    /// for it.
    pub fn beacon_root(&self, number: u64) -> Option<B256> {
        Some(beacon_root_of(&self.block(number)?.hash))
    }

    /// The block whose beacon block root is `root`.
    pub fn block_of_beacon_root(&self, root: &B256) -> Option<u64> {
        self.beacon_roots.get(root).copied()
    }

    /// Moves the clock on (for deadlines).
    pub fn advance_time(&mut self, seconds: u64) {
        self.time_offset += seconds;
    }

    fn next_timestamp(&self) -> u64 {
        (unix_now() + self.time_offset).max(self.blocks.last().map_or(0, |b| b.timestamp) + 1)
    }

    fn state_at(&self, block: Option<u64>) -> Result<&CacheDB<EmptyDB>, ChainError> {
        match block {
            None => Ok(&self.db),
            Some(n) if n >= self.head() => Ok(&self.db),
            Some(n) => self
                .history
                .iter()
                .find(|(number, _)| *number == n)
                .map(|(_, db)| db)
                .ok_or(ChainError::Pruned(n)),
        }
    }

    /// An account's balance, nonce and code at `block` (latest when `None`).
    pub fn account(&self, address: Address, block: Option<u64>) -> Result<AccountInfo, ChainError> {
        let db = self.state_at(block)?;
        Ok(db
            .basic_ref(address)
            .expect("in-memory reads do not fail")
            .unwrap_or_default())
    }

    /// An account's code at `block`.
    pub fn code(&self, address: Address, block: Option<u64>) -> Result<Bytes, ChainError> {
        let info = self.account(address, block)?;
        let db = self.state_at(block)?;
        let code = match info.code {
            Some(code) => code,
            None => db
                .code_by_hash_ref(info.code_hash)
                .expect("in-memory reads do not fail"),
        };
        Ok(code.original_bytes())
    }

    /// Runs a call without committing it, at `block`; returns (output, gas used).
    pub fn call(
        &self,
        request: &TransactionRequest,
        block: Option<u64>,
    ) -> Result<(Bytes, u64), ChainError> {
        let db = self.state_at(block)?.clone();
        let from = request.from.unwrap_or_default();
        let nonce = db
            .basic_ref(from)
            .expect("in-memory reads do not fail")
            .map_or(0, |a| a.nonce);
        let blob_hashes = request.blob_versioned_hashes.clone().unwrap_or_default();
        // A blob fee makes a blob transaction: only for calls that carry blob hashes.
        let max_fee_per_blob_gas = match blob_hashes.is_empty() {
            true => 0,
            false => request.max_fee_per_blob_gas.unwrap_or(BLOB_BASE_FEE),
        };
        let tx = TxEnv::builder()
            .caller(from)
            .kind(request.to.unwrap_or(TxKind::Create))
            .value(request.value.unwrap_or_default())
            .data(request.input.input().cloned().unwrap_or_default())
            .gas_limit(request.gas.unwrap_or(self.config.block_gas_limit))
            .gas_price(0)
            .blob_hashes(blob_hashes)
            .max_fee_per_blob_gas(max_fee_per_blob_gas)
            .nonce(nonce)
            .chain_id(Some(self.config.chain_id))
            .build()
            .map_err(|e| ChainError::Invalid(format!("{e:?}")))?;
        let (number, timestamp) = (self.head() + 1, self.next_timestamp());
        let gas_limit = self.config.block_gas_limit;
        let mut evm = Context::mainnet()
            .with_db(db)
            .modify_block_chained(|b| {
                b.number = U256::from(number);
                b.timestamp = U256::from(timestamp);
                b.basefee = 0;
                b.gas_limit = gas_limit;
            })
            .modify_cfg_chained(|c| {
                c.chain_id = self.config.chain_id;
                c.disable_base_fee = true;
                c.disable_balance_check = true;
                c.set_spec_and_mainnet_gas_params(SpecId::PRAGUE);
            })
            .build_mainnet();
        let result = evm
            .transact(tx)
            .map_err(|e| ChainError::Rejected(format!("{e:?}")))?
            .result;
        let gas_used = result.tx_gas_used();
        match result {
            ExecutionResult::Success { output, .. } => Ok((output.into_data(), gas_used)),
            ExecutionResult::Revert { output, .. } => Err(ChainError::Reverted(output)),
            ExecutionResult::Halt { reason, .. } => Err(ChainError::Halted(format!("{reason:?}"))),
        }
    }

    /// Decodes, executes and mines a signed transaction in a block of its own. A blob
    /// transaction must come with its sidecar (the network form), which is checked first.
    pub fn send_raw(&mut self, raw: &[u8]) -> Result<B256, ChainError> {
        let decoded = Decoded::new(raw)?;
        self.send(decoded)
    }

    /// Executes and mines a decoded transaction in a block of its own.
    pub fn send(&mut self, decoded: Decoded) -> Result<B256, ChainError> {
        let Decoded {
            envelope,
            from,
            sidecar,
        } = decoded;
        let hash = *envelope.tx_hash();
        let blob_hashes = envelope
            .blob_versioned_hashes()
            .map(<[B256]>::to_vec)
            .unwrap_or_default();
        let gas_price = envelope.effective_gas_price(Some(self.config.base_fee));
        let tx = TxEnv::builder()
            .tx_type(Some(envelope.tx_type() as u8))
            .caller(from)
            .kind(envelope.kind())
            .value(envelope.value())
            .data(envelope.input().clone())
            .gas_limit(envelope.gas_limit())
            .gas_price(envelope.max_fee_per_gas())
            .gas_priority_fee(envelope.max_priority_fee_per_gas())
            .nonce(envelope.nonce())
            .chain_id(envelope.chain_id())
            .access_list(envelope.access_list().cloned().unwrap_or_default())
            .blob_hashes(blob_hashes)
            .max_fee_per_blob_gas(envelope.max_fee_per_blob_gas().unwrap_or_default())
            .build()
            .map_err(|e| ChainError::Invalid(format!("{e:?}")))?;
        let number = self.head() + 1;
        let timestamp = self.next_timestamp();
        let chain_id = self.config.chain_id;
        let (base_fee, gas_limit) = (self.config.base_fee, self.config.block_gas_limit);
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .modify_block_chained(|b| {
                b.number = U256::from(number);
                b.timestamp = U256::from(timestamp);
                b.basefee = base_fee;
                b.gas_limit = gas_limit;
            })
            .modify_cfg_chained(|c| {
                c.chain_id = chain_id;
                c.set_spec_and_mainnet_gas_params(SpecId::PRAGUE);
                c.set_max_blobs_per_tx(MAX_BLOBS_PER_TX as u64);
            })
            .build_mainnet();
        let result = evm
            .transact_commit(tx)
            .map_err(|e| ChainError::Rejected(format!("{e:?}")))?;
        let gas_used = result.tx_gas_used();
        let (success, logs, contract_address) = match result {
            ExecutionResult::Success { logs, output, .. } => {
                let created = match output {
                    Output::Create(_, address) => address,
                    Output::Call(_) => None,
                };
                (true, logs, created)
            }
            ExecutionResult::Revert { .. } | ExecutionResult::Halt { .. } => {
                (false, Vec::new(), None)
            }
        };
        // A mined blob transaction's blobs are available whether it succeeded or not.
        if let Some(sidecar) = sidecar {
            for (versioned_hash, blob) in sidecar.versioned_hashes().zip(sidecar.blobs()) {
                self.blobs.insert(versioned_hash, (number, Box::new(*blob)));
            }
        }
        self.txs.insert(
            hash,
            MinedTx {
                hash,
                envelope,
                block: number,
                from,
                contract_address,
                gas_used,
                gas_price,
                success,
                logs,
            },
        );
        self.seal_block(timestamp, vec![hash], gas_used);
        Ok(hash)
    }

    /// Mines an empty block.
    pub fn mine(&mut self) {
        let timestamp = self.next_timestamp();
        self.seal_block(timestamp, Vec::new(), 0);
    }

    fn seal_block(&mut self, timestamp: u64, transactions: Vec<B256>, gas_used: u64) {
        let parent = self.blocks.last().expect("genesis exists");
        let number = parent.number + 1;
        let parent_hash = parent.hash;
        let hash = block_hash(number, parent_hash, &transactions);
        self.beacon_roots.insert(beacon_root_of(&hash), number);
        self.blocks.push(MinedBlock {
            number,
            hash,
            parent_hash,
            timestamp,
            transactions,
            gas_used,
        });
        self.history.push_back((number, self.db.clone()));
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
        let retention = self.config.blob_retention;
        self.blobs
            .retain(|_, (block, _)| block.saturating_add(retention) >= number);
    }
}

/// A signed transaction, decoded, its sender recovered and its blob sidecar (if any) checked:
/// the work done before the chain is locked ([`Decoded::new`]).
pub struct Decoded {
    envelope: TxEnvelope,
    from: Address,
    sidecar: Option<BlobTransactionSidecarVariant>,
}

impl Decoded {
    /// Decodes `raw` (EIP-2718), recovers its sender and, for a blob transaction, checks
    /// that it carries at most [`MAX_BLOBS_PER_TX`] blobs and that its sidecar's blobs,
    /// commitments and proofs agree with its versioned hashes (c-kzg, mainnet setup).
    pub fn new(raw: &[u8]) -> Result<Decoded, ChainError> {
        let mut bytes = raw;
        let envelope =
            TxEnvelope::decode_2718(&mut bytes).map_err(|e| ChainError::Invalid(e.to_string()))?;
        let from = envelope
            .recover_signer()
            .map_err(|e| ChainError::Invalid(e.to_string()))?;
        let (envelope, sidecar) = match envelope {
            TxEnvelope::Eip4844(signed) => {
                let blobs = signed.tx().tx().blob_versioned_hashes.len();
                if blobs > MAX_BLOBS_PER_TX {
                    return Err(ChainError::InvalidBlobs(format!(
                        "{blobs} blobs, more than {MAX_BLOBS_PER_TX}"
                    )));
                }
                signed
                    .tx()
                    .validate(EnvKzgSettings::Default.get())
                    .map_err(|e| ChainError::InvalidBlobs(e.to_string()))?;
                let (tx, signature, hash) = signed.into_parts();
                let (tx, sidecar) = tx.strip_sidecar();
                let signed = Signed::new_unchecked(tx, signature, hash);
                (TxEnvelope::Eip4844(signed), sidecar)
            }
            other => (other, None),
        };
        Ok(Decoded {
            envelope,
            from,
            sidecar,
        })
    }
}

/// The beacon block root standing for the block of `hash` ([`EmbeddedChain::beacon_root`]).
fn beacon_root_of(hash: &B256) -> B256 {
    let mut preimage = b"verity-devchain-beacon".to_vec();
    preimage.extend_from_slice(hash.as_slice());
    alloy::primitives::keccak256(preimage)
}

/// A block's hash: keccak of its number, parent and transactions (the embedded chain has no
/// consensus header to hash).
fn block_hash(number: u64, parent: B256, transactions: &[B256]) -> B256 {
    let mut preimage = Vec::with_capacity(40 + 32 * transactions.len());
    preimage.extend_from_slice(&number.to_be_bytes());
    preimage.extend_from_slice(parent.as_slice());
    for tx in transactions {
        preimage.extend_from_slice(tx.as_slice());
    }
    alloy::primitives::keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use alloy::consensus::{
        SignableTransaction, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar,
    };
    use alloy::eips::eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant};
    use alloy::eips::Encodable2718;
    use alloy::signers::SignerSync;

    use super::*;
    use crate::dev_key;

    fn chain() -> EmbeddedChain {
        EmbeddedChain::new(ChainConfig {
            chain_id: 1337,
            funded: vec![(
                dev_key(0).address(),
                U256::from(10u64).pow(U256::from(20u64)),
            )],
            block_gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            blob_retention: 2,
        })
    }

    /// A blob transaction in its network form carrying `blob`, naming `versioned_hash`.
    fn blob_tx(blob: Blob, versioned_hash: Option<B256>) -> (Vec<u8>, B256) {
        let sidecar = BlobTransactionSidecarEip7594::try_from_blobs_with_settings(
            vec![blob],
            EnvKzgSettings::Default.get(),
        )
        .unwrap();
        let hash = sidecar.versioned_hashes().next().unwrap();
        let tx = TxEip4844 {
            chain_id: 1337,
            nonce: 0,
            gas_limit: 100_000,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: Address::repeat_byte(1),
            blob_versioned_hashes: vec![versioned_hash.unwrap_or(hash)],
            max_fee_per_blob_gas: BLOB_BASE_FEE,
            ..TxEip4844::default()
        };
        let sidecar = BlobTransactionSidecarVariant::Eip7594(sidecar);
        let tx = TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar::from_tx_and_sidecar(
            tx, sidecar,
        ));
        let signature = dev_key(0).sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        (envelope.encoded_2718(), hash)
    }

    fn a_blob() -> Blob {
        let mut blob = Blob::ZERO;
        blob[1..32].fill(0x5a);
        blob
    }

    #[test]
    fn a_blob_transaction_is_mined_and_its_blob_kept_for_the_retention() {
        let mut chain = chain();
        let (raw, versioned_hash) = blob_tx(a_blob(), None);
        let hash = chain.send_raw(&raw).unwrap();
        let mined = chain.transaction(&hash).unwrap();
        assert!(mined.success);
        assert_eq!(mined.blob_gas_used(), DATA_GAS_PER_BLOB);
        assert!(matches!(mined.receipt(), ReceiptEnvelope::Eip4844(_)));
        assert_eq!(
            mined.envelope.blob_versioned_hashes(),
            Some(&[versioned_hash][..])
        );
        let block = mined.block;
        assert_eq!(chain.blob(&versioned_hash), Some(&a_blob()));
        assert_eq!(chain.blobs_in(block), vec![(versioned_hash, &a_blob())]);
        chain.mine();
        chain.mine();
        assert!(chain.blob(&versioned_hash).is_some(), "kept two blocks");
        chain.mine();
        assert!(chain.blob(&versioned_hash).is_none(), "dropped after");
        assert!(chain.blobs_in(block).is_empty());
        assert!(chain.transaction(&hash).is_some(), "the transaction stays");
    }

    #[test]
    fn a_sidecar_that_does_not_match_the_versioned_hashes_is_refused() {
        let mut chain = chain();
        let (raw, _) = blob_tx(a_blob(), Some(B256::with_last_byte(1)));
        let error = chain.send_raw(&raw).unwrap_err();
        assert!(matches!(error, ChainError::InvalidBlobs(_)), "{error}");
        assert_eq!(chain.head(), 0, "nothing mined");
        assert_eq!(chain.account(dev_key(0).address(), None).unwrap().nonce, 0);
    }

    #[test]
    fn more_blobs_than_a_transaction_may_carry_are_refused_before_any_kzg_work() {
        let mut chain = chain();
        let (raw, hash) = blob_tx(a_blob(), None);
        let mut envelope = TxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
        let TxEnvelope::Eip4844(signed) = &mut envelope else {
            unreachable!()
        };
        // Seven hashes, a sidecar of one blob: the count is refused before the sidecar is
        // checked against them.
        let tx = signed.tx().tx().clone();
        let mut many = tx.clone();
        many.blob_versioned_hashes = vec![hash; MAX_BLOBS_PER_TX + 1];
        let signature = dev_key(0).sign_hash_sync(&many.signature_hash()).unwrap();
        let sidecar = match signed.tx() {
            TxEip4844Variant::TxEip4844WithSidecar(with) => with.sidecar.clone(),
            TxEip4844Variant::TxEip4844(_) => unreachable!(),
        };
        let many = TxEip4844Variant::TxEip4844WithSidecar(
            TxEip4844WithSidecar::from_tx_and_sidecar(many, sidecar),
        );
        let raw = TxEnvelope::from(many.into_signed(signature)).encoded_2718();
        let error = chain.send_raw(&raw).unwrap_err();
        assert!(error.to_string().contains("7 blobs"), "{error}");
        assert_eq!(chain.head(), 0);
    }

    #[test]
    fn each_block_names_its_parents_beacon_root() {
        let mut chain = chain();
        chain.mine();
        let (zero, one) = (chain.beacon_root(0).unwrap(), chain.beacon_root(1).unwrap());
        assert_ne!(zero, one);
        assert_eq!(chain.block_of_beacon_root(&zero), Some(0));
        assert_eq!(chain.block_of_beacon_root(&one), Some(1));
        assert_eq!(chain.beacon_root(2), None);
    }
}
