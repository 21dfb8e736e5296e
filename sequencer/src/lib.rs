//! The `verity` command line, assembled from the crates under `sequencer/`: argument groups
//! turned into each component's configuration, the commands (printing JSON), tracing and
//! signals, and the devnet. The node, fleet, reconstruction, L1 bindings, embedded L1, RPC
//! interface, storage and wallet each live in a crate of their own.

pub mod cli;
