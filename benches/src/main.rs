//! `verity-bench`: Verity's benchmark commands, apart from the `verity` binary so that no
//! benchmark or test harness ships in the product. `scripts/verity bench …` runs it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use verity_benches::{fleet, gas, ingest, prove, reconstruct};

/// Verity's benchmarks.
#[derive(Debug, Parser)]
#[command(name = "verity-bench", version, about)]
struct Cli {
    /// Which benchmark.
    #[command(subcommand)]
    command: Command,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
enum Command {
    /// Prove random batches with Verity's prover and plain ark-groth16 and compare.
    Prove(prove::ProveArgs),
    /// L1 gas of submitBatch on anvil, split by part, and per transfer at 1,024 slots.
    Gas(gas::GasArgs),
    /// Signed transfers acknowledged per second through a node's JSON-RPC.
    Ingest(ingest::IngestArgs),
    /// Rebuilding the state from a local anvil's L1 data (batches and operations per second),
    /// and the L1 gas of one exodus exit.
    Reconstruct(reconstruct::ReconstructArgs),
    /// Proving throughput of the prover fleet with 1, 2, … workers, one core each.
    Fleet(fleet::FleetArgs),
}

fn main() -> ExitCode {
    // As the `verity` command does (see `verity_prover::heap`).
    verity_prover::heap::map_large_blocks();
    let result = match Cli::parse().command {
        Command::Prove(args) => prove::run(args),
        Command::Gas(args) => gas::run(args),
        Command::Ingest(args) => ingest::run(args),
        Command::Reconstruct(args) => reconstruct::run(args),
        Command::Fleet(args) => fleet::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever read the output stopped reading: nothing is left to say.
        Err(error) if verity_sequencer::cli::is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:?}");
            ExitCode::FAILURE
        }
    }
}
