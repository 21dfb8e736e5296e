//! The subset of Ethereum's JSON-RPC that alloy providers, `verity deploy`, the node, the
//! wallet and `verity reconstruct` use, served from the embedded chain, so every L1 client in
//! Verity talks to the embedded L1 exactly as to anvil or a real node; and anvil's
//! `anvil_getBlobByHash`, where blob readers find the blobs the chain still keeps.

use std::sync::{Arc, Mutex};

use alloy::consensus::transaction::{Recovered, TransactionInfo};
use alloy::consensus::Header as ConsensusHeader;
use alloy::eips::eip4844::Blob;
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::{Address, Bytes, B256, U256, U64};
use alloy::rpc::types::{
    Block, BlockTransactions, FeeHistory, Filter, Header, Log, Transaction, TransactionReceipt,
    TransactionRequest,
};
use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;

use super::chain::{ChainError, Decoded, EmbeddedChain, MinedBlock, MinedTx, BLOB_BASE_FEE};

/// Priority fee the chain suggests, wei per gas.
const PRIORITY_FEE: u128 = 1_000_000_000;

/// The `eth` namespace of the embedded L1.
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// `eth_chainId`.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;
    /// `eth_blockNumber`.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;
    /// `eth_getBalance`.
    #[method(name = "getBalance")]
    fn get_balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// `eth_getTransactionCount`.
    #[method(name = "getTransactionCount")]
    fn get_transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;
    /// `eth_getCode`.
    #[method(name = "getCode")]
    fn get_code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// `eth_gasPrice`.
    #[method(name = "gasPrice")]
    fn gas_price(&self) -> RpcResult<U256>;
    /// `eth_blobBaseFee`.
    #[method(name = "blobBaseFee")]
    fn blob_base_fee(&self) -> RpcResult<U256>;
    /// `eth_maxPriorityFeePerGas`.
    #[method(name = "maxPriorityFeePerGas")]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;
    /// `eth_feeHistory`.
    #[method(name = "feeHistory")]
    fn fee_history(
        &self,
        count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
    /// `eth_estimateGas`.
    #[method(name = "estimateGas")]
    fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64>;
    /// `eth_call`.
    #[method(name = "call")]
    fn call(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// `eth_sendRawTransaction`.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;
    /// `eth_getTransactionByHash` (mined transactions only: the chain has no pool).
    #[method(name = "getTransactionByHash")]
    fn get_transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>>;
    /// `eth_getTransactionReceipt`.
    #[method(name = "getTransactionReceipt")]
    fn get_transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>>;
    /// `eth_getLogs`.
    #[method(name = "getLogs")]
    fn get_logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
    /// `eth_getBlockByNumber` (transaction hashes only).
    #[method(name = "getBlockByNumber")]
    fn get_block_by_number(&self, block: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>>;
    /// `eth_accounts` (the embedded L1 holds no keys).
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;
}

/// The `anvil` namespace's blob reader, as anvil serves it.
#[rpc(server, namespace = "anvil")]
pub trait AnvilApi {
    /// `anvil_getBlobByHash`: the blob of a versioned hash, while the chain keeps it.
    #[method(name = "getBlobByHash")]
    fn get_blob_by_hash(&self, versioned_hash: B256) -> RpcResult<Option<Box<Blob>>>;
}

/// The server side, over a shared chain.
#[derive(Clone)]
pub struct EthRpc {
    chain: Arc<Mutex<EmbeddedChain>>,
}

impl EthRpc {
    /// Serves `chain`.
    pub fn new(chain: Arc<Mutex<EmbeddedChain>>) -> EthRpc {
        EthRpc { chain }
    }

    fn chain(&self) -> std::sync::MutexGuard<'_, EmbeddedChain> {
        self.chain.lock().expect("chain lock")
    }
}

fn chain_error(error: ChainError) -> ErrorObjectOwned {
    match error {
        ChainError::Reverted(data) => ErrorObjectOwned::owned(3, "execution reverted", Some(data)),
        other => ErrorObjectOwned::owned(-32000, other.to_string(), None::<()>),
    }
}

/// The block a request names (`None`: latest).
fn block_number(
    chain: &EmbeddedChain,
    block: Option<BlockId>,
) -> Result<Option<u64>, ErrorObjectOwned> {
    match block {
        None => Ok(None),
        Some(BlockId::Number(tag)) => Ok(number_of(chain, tag)),
        Some(BlockId::Hash(hash)) => (0..=chain.head())
            .rev()
            .find(|n| chain.block(*n).is_some_and(|b| b.hash == hash.block_hash))
            .map(Some)
            .ok_or_else(|| ErrorObjectOwned::owned(-32000, "unknown block", None::<()>)),
    }
}

fn number_of(chain: &EmbeddedChain, tag: BlockNumberOrTag) -> Option<u64> {
    match tag {
        BlockNumberOrTag::Number(n) => Some(n),
        BlockNumberOrTag::Earliest => Some(0),
        _ => None,
    }
    .map(|n| n.min(chain.head()))
}

fn rpc_logs(chain: &EmbeddedChain, tx: &MinedTx) -> Vec<Log> {
    let block = chain.block(tx.block).expect("mined in a kept block");
    let index = block
        .transactions
        .iter()
        .position(|h| *h == tx.hash)
        .unwrap_or(0) as u64;
    tx.logs
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            block_timestamp: Some(block.timestamp),
            transaction_hash: Some(tx.hash),
            transaction_index: Some(index),
            log_index: Some(i as u64),
            removed: false,
        })
        .collect()
}

fn rpc_block(chain: &EmbeddedChain, block: &MinedBlock) -> Block {
    let inner = ConsensusHeader {
        parent_hash: block.parent_hash,
        number: block.number,
        timestamp: block.timestamp,
        gas_limit: chain.block_gas_limit(),
        gas_used: block.gas_used,
        base_fee_per_gas: Some(chain.base_fee()),
        blob_gas_used: Some(
            block
                .transactions
                .iter()
                .filter_map(|hash| chain.transaction(hash))
                .map(MinedTx::blob_gas_used)
                .sum(),
        ),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: block
            .number
            .checked_sub(1)
            .and_then(|parent| chain.beacon_root(parent)),
        ..ConsensusHeader::default()
    };
    Block {
        header: Header {
            hash: block.hash,
            inner,
            total_difficulty: Some(U256::ZERO),
            size: None,
        },
        uncles: Vec::new(),
        transactions: BlockTransactions::Hashes(block.transactions.clone()),
        withdrawals: None,
    }
}

#[async_trait]
impl EthApiServer for EthRpc {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain().chain_id()))
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain().head()))
    }

    fn get_balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        let chain = self.chain();
        let at = block_number(&chain, block)?;
        Ok(chain.account(address, at).map_err(chain_error)?.balance)
    }

    fn get_transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        let chain = self.chain();
        let at = block_number(&chain, block)?;
        Ok(U64::from(
            chain.account(address, at).map_err(chain_error)?.nonce,
        ))
    }

    fn get_code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        let chain = self.chain();
        let at = block_number(&chain, block)?;
        chain.code(address, at).map_err(chain_error)
    }

    fn gas_price(&self) -> RpcResult<U256> {
        Ok(U256::from(
            u128::from(self.chain().base_fee()) + PRIORITY_FEE,
        ))
    }

    fn blob_base_fee(&self) -> RpcResult<U256> {
        Ok(U256::from(BLOB_BASE_FEE))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::from(PRIORITY_FEE))
    }

    fn fee_history(
        &self,
        count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let chain = self.chain();
        let newest = number_of(&chain, newest).unwrap_or(chain.head());
        let count = count.to::<u64>().clamp(1, 1024).min(newest + 1);
        let base_fee = u128::from(chain.base_fee());
        let rewards = percentiles.map(|p| vec![vec![PRIORITY_FEE; p.len()]; count as usize]);
        Ok(FeeHistory {
            base_fee_per_gas: vec![base_fee; count as usize + 1],
            gas_used_ratio: vec![0.0; count as usize],
            base_fee_per_blob_gas: vec![BLOB_BASE_FEE; count as usize + 1],
            blob_gas_used_ratio: vec![0.0; count as usize],
            oldest_block: newest + 1 - count,
            reward: rewards,
        })
    }

    fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64> {
        let chain = self.chain();
        let at = block_number(&chain, block)?;
        let (_, used) = chain.call(&request, at).map_err(chain_error)?;
        // Calls forward only 63/64 of the gas left (EIP-150), so a limit equal to the gas used
        // can fail in nested calls; half again is ample and stays under the block limit.
        Ok(U64::from((used + used / 2).min(chain.block_gas_limit())))
    }

    fn call(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<Bytes> {
        let chain = self.chain();
        let at = block_number(&chain, block)?;
        Ok(chain.call(&request, at).map_err(chain_error)?.0)
    }

    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        // Decoding, recovery and the sidecar's KZG checks run before the chain is locked.
        let decoded = Decoded::new(&raw).map_err(chain_error)?;
        self.chain().send(decoded).map_err(chain_error)
    }

    fn get_transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        let chain = self.chain();
        let Some(tx) = chain.transaction(&hash) else {
            return Ok(None);
        };
        let block = chain.block(tx.block).expect("mined in a kept block");
        let info = TransactionInfo {
            hash: Some(hash),
            index: Some(0),
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            base_fee: Some(chain.base_fee()),
            block_timestamp: Some(block.timestamp),
        };
        Ok(Some(Transaction::from_transaction(
            Recovered::new_unchecked(tx.envelope.clone(), tx.from),
            info,
        )))
    }

    fn get_transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        let chain = self.chain();
        let Some(tx) = chain.transaction(&hash) else {
            return Ok(None);
        };
        let block = chain.block(tx.block).expect("mined in a kept block");
        let logs = rpc_logs(&chain, tx);
        let inner = tx.receipt().map_logs(|log| {
            logs.iter()
                .find(|l| l.inner == log)
                .cloned()
                .expect("the receipt's logs are the transaction's")
        });
        Ok(Some(TransactionReceipt {
            inner,
            transaction_hash: hash,
            transaction_index: Some(0),
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            gas_used: tx.gas_used,
            effective_gas_price: tx.gas_price,
            blob_gas_used: (tx.blob_gas_used() > 0).then_some(tx.blob_gas_used()),
            blob_gas_price: (tx.blob_gas_used() > 0).then_some(BLOB_BASE_FEE),
            from: tx.from,
            to: alloy::consensus::Transaction::to(&tx.envelope),
            contract_address: tx.contract_address,
        }))
    }

    fn get_logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        let chain = self.chain();
        let from = filter.get_from_block().unwrap_or(chain.head());
        let to = filter.get_to_block().unwrap_or(chain.head());
        Ok(chain
            .transactions_in(from, to)
            .flat_map(|tx| rpc_logs(&chain, tx))
            .filter(|log| filter.matches(&log.inner))
            .collect())
    }

    fn get_block_by_number(
        &self,
        block: BlockNumberOrTag,
        _full: bool,
    ) -> RpcResult<Option<Block>> {
        let chain = self.chain();
        let number = match block {
            BlockNumberOrTag::Number(n) => n,
            BlockNumberOrTag::Earliest => 0,
            _ => chain.head(),
        };
        Ok(chain.block(number).map(|b| rpc_block(&chain, b)))
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(Vec::new())
    }
}

impl AnvilApiServer for EthRpc {
    fn get_blob_by_hash(&self, versioned_hash: B256) -> RpcResult<Option<Box<Blob>>> {
        Ok(self
            .chain()
            .blob(&versioned_hash)
            .map(|blob| Box::new(*blob)))
    }
}
