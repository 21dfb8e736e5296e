//! The `verity` command line: argument definitions and dispatch.

/// `println!` that returns an [`OutputError`] instead of panicking, so that a closed pipe
/// (`verity … | head`) ends the command quietly ([`is_closed_pipe`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

pub mod circuit;
mod deploy;
mod devnet;
mod inputs;
pub mod node;
mod prover;
mod reconstruct;
mod wallet;
mod wallet_exit;
mod wallet_rpc;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Verity: a zero-knowledge validity rollup for payments on Ethereum.
#[derive(Debug, Parser)]
#[command(name = "verity", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Keys and signed transactions.
    #[command(subcommand)]
    Wallet(wallet::WalletCommand),
    /// Make proving and verifying keys for a circuit size (single-party setup: not for real
    /// funds), or with --ptau start a multi-party ceremony's phase 2 from a powers-of-tau file.
    Setup {
        /// The circuit size.
        #[command(flatten)]
        size: circuit::SizeArgs,
        /// Directory to write the keys, verification_key.json and Verifier.sol into; with
        /// --ptau, circuit_0000.zkey and circuit.r1cs.
        #[arg(long)]
        out: PathBuf,
        /// A powers-of-tau file in snarkjs's format, prepared for phase 2: write phase 2's
        /// first key (what `snarkjs groth16 setup` makes, before any contribution) instead of
        /// a single-party key directory.
        #[arg(long)]
        ptau: Option<PathBuf>,
    },
    /// Print a circuit size's constraint counts, without a setup.
    CircuitInfo {
        /// The circuit size.
        #[command(flatten)]
        size: circuit::SizeArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a ceremony's final .zkey (every contribution, against the circuit and the
    /// powers-of-tau file phase 2 started from) and write a key directory from it.
    ImportZkey {
        /// The circuit size.
        #[command(flatten)]
        size: circuit::SizeArgs,
        /// The ceremony's final key (after its contributions and beacon).
        #[arg(long)]
        zkey: PathBuf,
        /// The powers-of-tau file phase 2 started from.
        #[arg(long)]
        ptau: PathBuf,
        /// Directory to write the keys, verification_key.json and Verifier.sol into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a circuit size's constraint system as circom's .r1cs (what snarkjs's `zkey new`
    /// and `zkey verify` read; the key directory's proving_key.zkey is the matching key).
    ExportR1cs {
        /// The circuit size.
        #[command(flatten)]
        size: circuit::SizeArgs,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Deploy the contracts to an L1 and write deployment.json.
    Deploy(deploy::DeployArgs),
    /// Run a node: sequencer, JSON-RPC, proving and L1 submission.
    Node(node::NodeArgs),
    /// Run a prover-fleet worker: pull proving jobs from a node's NATS JetStream queue.
    Prover(prover::ProverArgs),
    /// Run everything in one process on an embedded L1, with demo accounts and optional load.
    Devnet(devnet::DevnetArgs),
    /// Rebuild the layer-2 state from L1 data alone (and optionally serve it read-only).
    Reconstruct(reconstruct::ReconstructArgs),
}

/// Parses the process arguments and runs the command.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Wallet(command) => wallet::run(command),
        Command::Setup { size, out, ptau } => match ptau {
            None => circuit::setup(size, out),
            Some(ptau) => circuit::start_phase2(size, &ptau, out),
        },
        Command::CircuitInfo { size, json } => circuit::info(size, json),
        Command::ExportR1cs { size, out } => circuit::export_r1cs(size, out),
        Command::ImportZkey {
            size,
            zkey,
            ptau,
            out,
        } => circuit::import_zkey(size, &zkey, &ptau, out),
        Command::Deploy(args) => deploy::run(args),
        Command::Node(args) => node::run(args),
        Command::Prover(args) => prover::run(args),
        Command::Devnet(args) => devnet::run(args),
        Command::Reconstruct(args) => reconstruct::run(args),
    }
}

/// Writing a command's output to stdout failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Its reader has gone (`verity … | head`).
    #[error("stdout closed by its reader")]
    Closed,
    /// Another failure.
    #[error("writing to stdout: {0}")]
    Write(std::io::Error),
}

/// Writes one line of a command's output ([`out!`]).
pub fn write_line(line: std::fmt::Arguments<'_>) -> Result<(), OutputError> {
    use std::io::Write as _;
    writeln!(std::io::stdout().lock(), "{line}").map_err(|error| match error.kind() {
        std::io::ErrorKind::BrokenPipe => OutputError::Closed,
        _ => OutputError::Write(error),
    })
}

/// Whether `error` is a command's stdout closed by its reader (`verity … | head`): not a
/// failure of the command, so `main` exits quietly with success. Only the output's own
/// writes count: a broken L1 or RPC connection is a failure like any other.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| matches!(cause.downcast_ref(), Some(OutputError::Closed)))
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
fn init_tracing() {
    init_tracing_at("info");
}

/// Logs to stderr, filtered by `RUST_LOG` (default `level`), never arkworks' `gr1cs` spans.
pub fn init_tracing_at(level: &str) {
    // arkworks' gadgets open `gr1cs` spans whose fields Debug-format the whole constraint
    // system: enabled, they turn loading a prover's keys from seconds into minutes.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level))
        .add_directive("gr1cs=off".parse().expect("a valid directive"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted,
        _ = terminate.recv() => Ok(()),
    }
}
