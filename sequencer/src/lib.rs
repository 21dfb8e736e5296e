//! The Verity node and its command line: the node (sequencer, RocksDB state, proving
//! pipeline, L1 watcher and submitter, JSON-RPC), the L1 bindings and deployment, the
//! wallet, the reconstruction of the state from L1 alone, and the setup, information and
//! benchmark commands.

pub mod cli;
pub mod fleet;
pub mod l1;
pub mod node;
pub mod reconstruct;
pub mod rpc;
pub mod wallet;
pub mod workload;
