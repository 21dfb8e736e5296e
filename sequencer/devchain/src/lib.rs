//! The embedded L1: an in-process EVM (revm) that runs the same contract bytecode as any
//! Ethereum node, with blocks, receipts, logs and balances, served over Ethereum JSON-RPC on
//! loopback so that deployment, the node and the wallet use it through the same alloy
//! clients as anvil or a real chain. `verity devnet` runs on it and needs no other software.
//!
//! Blob transactions are taken and their blobs served as anvil serves them
//! (`anvil_getBlobByHash`) and as a consensus client does ([`beacon`], on an address of its
//! own), so blob readers work against either.
//!
//! Depends on revm, alloy's types and a jsonrpsee server only; no Verity crate, so any test or
//! tool can run an L1 without the node.

pub mod beacon;
pub mod chain;
pub mod rpc;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::primitives::{keccak256, Address, U256};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::server::{Server, ServerHandle};
use tokio::task::JoinHandle;

pub use chain::{ChainConfig, EmbeddedChain};
use rpc::{AnvilApiServer, EthApiServer, EthRpc};

/// The embedded L1's configuration.
#[derive(Clone, Debug)]
pub struct EmbeddedConfig {
    /// JSON-RPC address (port 0 picks a free one).
    pub addr: SocketAddr,
    /// The consensus-layer blob API's address ([`beacon`]; port 0 picks a free one).
    pub beacon_addr: SocketAddr,
    /// Chain id.
    pub chain_id: u64,
    /// Dev accounts funded at genesis.
    pub dev_accounts: usize,
    /// ETH (wei) each dev account holds.
    pub dev_balance: U256,
    /// An empty block is mined this often (transactions are mined at once).
    pub block_time: Duration,
    /// Blocks a blob is served after the block that carried it
    /// ([`chain::BLOB_RETENTION`], as on mainnet, unless a test wants it forgotten sooner).
    pub blob_retention: u64,
}

/// The deterministic dev key `index` (`keccak256("verity-devnet-key" ‖ index)`), like anvil's
/// mnemonic accounts: known to everyone, for local use only.
pub fn dev_key(index: usize) -> PrivateKeySigner {
    let mut preimage = b"verity-devnet-key".to_vec();
    preimage.extend_from_slice(&(index as u64).to_be_bytes());
    PrivateKeySigner::from_bytes(&keccak256(preimage)).expect("a keccak digest is a valid key")
}

/// A running embedded L1.
pub struct EmbeddedL1 {
    /// The chain.
    pub chain: Arc<Mutex<EmbeddedChain>>,
    /// Where its JSON-RPC listens.
    pub addr: SocketAddr,
    /// Where its blob API ([`beacon`]) listens.
    pub beacon_addr: SocketAddr,
    /// Its funded dev keys.
    pub dev_keys: Vec<PrivateKeySigner>,
    server: ServerHandle,
    beacon: JoinHandle<()>,
    miner: JoinHandle<()>,
}

impl EmbeddedL1 {
    /// Starts the chain and its JSON-RPC server.
    pub async fn start(config: EmbeddedConfig) -> std::io::Result<EmbeddedL1> {
        let dev_keys: Vec<PrivateKeySigner> = (0..config.dev_accounts).map(dev_key).collect();
        let chain = Arc::new(Mutex::new(EmbeddedChain::new(ChainConfig {
            chain_id: config.chain_id,
            funded: dev_keys
                .iter()
                .map(|k| (k.address(), config.dev_balance))
                .collect::<Vec<(Address, U256)>>(),
            block_gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            blob_retention: config.blob_retention,
        })));
        let server = Server::builder().build(config.addr).await?;
        let addr = server.local_addr()?;
        let rpc = EthRpc::new(chain.clone());
        let mut methods = EthApiServer::into_rpc(rpc.clone());
        methods
            .merge(AnvilApiServer::into_rpc(rpc))
            .expect("the eth and anvil namespaces do not overlap");
        let server = server.start(methods);
        let (beacon_addr, beacon) = beacon::serve(chain.clone(), config.beacon_addr).await?;
        let miner = tokio::spawn({
            let chain = chain.clone();
            async move {
                let mut tick = tokio::time::interval(config.block_time);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    chain.lock().expect("chain lock").mine();
                }
            }
        });
        Ok(EmbeddedL1 {
            chain,
            addr,
            beacon_addr,
            dev_keys,
            server,
            beacon,
            miner,
        })
    }

    /// Its JSON-RPC URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its blob API's URL (the base a beacon-node client takes).
    pub fn beacon_url(&self) -> String {
        format!("http://{}", self.beacon_addr)
    }

    /// Stops mining and serving.
    pub async fn stop(self) {
        self.miner.abort();
        self.beacon.abort();
        let _ = self.server.stop();
        self.server.stopped().await;
    }
}
