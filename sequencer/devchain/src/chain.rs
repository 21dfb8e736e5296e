//! The embedded chain: revm over an in-memory database, mining one block per transaction
//! (as anvil's automine does) and empty blocks on demand, with receipts, logs and the state
//! after each of the last [`HISTORY`] blocks for calls at a past block.

use std::collections::{HashMap, VecDeque};

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction, TxEnvelope,
};
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
}

/// Why the chain refused a transaction or a call.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The raw transaction does not decode or its signature does not recover.
    #[error("invalid transaction: {0}")]
    Invalid(String),
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
    /// Its block.
    pub block: u64,
    /// The sender.
    pub from: Address,
    /// The callee (none for a creation).
    pub to: Option<Address>,
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
    /// Its receipt, as consensus defines it.
    pub fn receipt(&self) -> ReceiptEnvelope<Log> {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.gas_used,
            logs: self.logs.clone(),
        };
        ReceiptEnvelope::Eip1559(ReceiptWithBloom::new(receipt.clone(), receipt.bloom_slow()))
    }
}

/// The chain.
pub struct EmbeddedChain {
    config: ChainConfig,
    db: CacheDB<EmptyDB>,
    blocks: Vec<MinedBlock>,
    history: VecDeque<(u64, CacheDB<EmptyDB>)>,
    txs: HashMap<B256, MinedTx>,
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
        let mut chain = EmbeddedChain {
            config,
            history: VecDeque::from([(0, db.clone())]),
            db,
            blocks: vec![genesis],
            txs: HashMap::new(),
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
        let tx = TxEnv::builder()
            .caller(from)
            .kind(request.to.unwrap_or(TxKind::Create))
            .value(request.value.unwrap_or_default())
            .data(request.input.input().cloned().unwrap_or_default())
            .gas_limit(request.gas.unwrap_or(self.config.block_gas_limit))
            .gas_price(0)
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

    /// Decodes, executes and mines a signed transaction in a block of its own.
    pub fn send_raw(&mut self, raw: &[u8]) -> Result<B256, ChainError> {
        let mut bytes = raw;
        let envelope =
            TxEnvelope::decode_2718(&mut bytes).map_err(|e| ChainError::Invalid(e.to_string()))?;
        let from = envelope
            .recover_signer()
            .map_err(|e| ChainError::Invalid(e.to_string()))?;
        let hash = *envelope.tx_hash();
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
        self.txs.insert(
            hash,
            MinedTx {
                hash,
                block: number,
                from,
                to: envelope.to(),
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
        self.blocks.push(MinedBlock {
            number,
            hash: block_hash(number, parent_hash, &transactions),
            parent_hash,
            timestamp,
            transactions,
            gas_used,
        });
        self.history.push_back((number, self.db.clone()));
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
    }
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
