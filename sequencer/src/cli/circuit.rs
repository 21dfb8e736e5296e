//! `verity setup` and `verity circuit-info`: keys and constraint counts for a circuit size.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::json;
use verity_circuits::circuit::{BatchCircuit, CircuitSize};
use verity_prover::keys::{KeyDirectory, SINGLE_PARTY_WARNING};

/// A circuit size on the command line.
#[derive(Debug, Clone, Copy, Args)]
pub struct SizeArgs {
    /// Operation slots per batch.
    #[arg(long)]
    pub slots: usize,
    /// Binary depth of the account tree (even, at most 32).
    #[arg(long)]
    pub depth: u8,
    /// Distinct fee tokens a batch can collect.
    #[arg(long, default_value_t = 2)]
    pub fee_slots: usize,
}

impl SizeArgs {
    /// The size, refusing depths the tree cannot have.
    pub fn size(&self) -> anyhow::Result<CircuitSize> {
        verity_circuits::merkle::SparseMerkleTree::new(self.depth)?;
        anyhow::ensure!(self.slots > 0, "a batch has at least one slot");
        Ok(CircuitSize {
            slots: self.slots,
            fee_slots: self.fee_slots,
            depth: self.depth,
        })
    }
}

/// `verity setup`.
pub fn setup(size: SizeArgs, out: PathBuf) -> anyhow::Result<()> {
    let size = size.size()?;
    eprintln!("WARNING: {SINGLE_PARTY_WARNING}");
    let started = Instant::now();
    let key = verity_prover::setup(size, &mut rand::rngs::OsRng)?;
    let constraints = BatchCircuit::constraint_report(size)?.total;
    let metadata = KeyDirectory::new(&out).write(size, constraints, &key)?;
    eprintln!(
        "wrote keys for {} slots, depth {} ({constraints} constraints) to {} in {:.1}s",
        size.slots,
        size.depth,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    out!("{}", serde_json::to_string_pretty(&metadata)?)?;
    Ok(())
}

/// `verity circuit-info`.
pub fn info(size: SizeArgs, as_json: bool) -> anyhow::Result<()> {
    let size = size.size()?;
    let report = BatchCircuit::constraint_report(size)?;
    let per_operation = report.per_operation();
    let document = json!({
        "slots": size.slots,
        "depth": size.depth,
        "fee_slots": size.fee_slots,
        "constraints": report.total,
        "per_operation": {
            "noop": per_operation,
            "deposit": per_operation,
            "forced_exit": per_operation,
            "transfer": per_operation,
            "withdraw": per_operation,
        },
        "per_slot": report.per_slot,
        "commitment_per_slot": report.commitment_per_slot(),
        "fee_credits": report.fee_credits,
        "commitment": report.commitment,
        "commitment_preimage_bytes": report.commitment_preimage_bytes,
        "other": report.other,
        "fft_domain": report.fft_domain,
        "fft_domain_fill": report.total as f64 / report.fft_domain as f64,
    });
    if as_json {
        out!("{}", serde_json::to_string_pretty(&document)?)?;
    } else {
        out!(
            "{} slots, depth {}, {} fee slots: {} constraints ({:.0}% of an FFT domain of 2^{}); \
             each operation (any type) {} ({} in its slot, {} its share of the SHA-256 commitment)",
            size.slots,
            size.depth,
            size.fee_slots,
            report.total,
            100.0 * report.total as f64 / report.fft_domain as f64,
            report.fft_domain.trailing_zeros(),
            per_operation,
            report.per_slot.total,
            report.commitment_per_slot()
        )?;
    }
    Ok(())
}
