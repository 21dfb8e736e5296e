//! Verity's benchmarks: criterion benches of the native rules (`benches/native.rs`) and the
//! `verity-bench` runner (`src/main.rs`, which `scripts/verity bench …` forwards to) with its
//! commands: proving against plain `ark-groth16`, L1 gas, ingestion through the JSON-RPC,
//! reconstruction and exodus, and the prover fleet. Nothing depends on this crate.

pub mod fleet;
pub mod gas;
pub mod ingest;
pub mod memory;
pub mod prove;
pub mod reconstruct;
