//! The `verity` command line: argument definitions and dispatch.

mod wallet;

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
}

/// Parses the process arguments and runs the command.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Wallet(command) => wallet::run(command),
    }
}
