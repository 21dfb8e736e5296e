//! The Verity node and its command line: the node (sequencer, RocksDB state, proving
//! pipeline, L1 watcher and submitter, JSON-RPC), the L1 bindings and deployment, the
//! wallet, and the setup, information and benchmark commands.

pub mod cli;
pub mod l1;
pub mod node;
pub mod rpc;
pub mod wallet;
pub mod workload;
