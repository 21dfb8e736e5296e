//! `verity setup`, `verity export-r1cs` and `verity circuit-info`: keys, the constraint system
//! and constraint counts for a circuit size.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
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

/// `verity setup --ptau`: phase 2's first key and the constraint system, for a ceremony.
pub fn start_phase2(size: SizeArgs, ptau: &std::path::Path, out: PathBuf) -> anyhow::Result<()> {
    let size = size.size()?;
    let started = Instant::now();
    let bytes = std::fs::read(ptau).with_context(|| format!("reading {}", ptau.display()))?;
    let ptau = verity_prover::ptau::Ptau::parse(&bytes)?;
    let r1cs = verity_prover::r1cs::R1cs::of(size)?;
    let key = verity_prover::phase2::key_from_ptau(&r1cs, &ptau)?;
    drop(bytes);
    std::fs::create_dir_all(&out)?;
    let (zkey, r1cs_file) = (out.join(PHASE2_START), out.join(R1CS_FILE));
    key.write(&zkey)?;
    r1cs.write(&r1cs_file)?;
    eprintln!(
        "wrote {} and {} ({} constraints, FFT domain 2^{}) in {:.1}s. The key is not usable \
         yet: contribute (snarkjs zkey contribute, then snarkjs zkey beacon), check (snarkjs \
         zkey verify), then import it (README, \"Trusted setup\")",
        zkey.display(),
        r1cs_file.display(),
        r1cs.constraints(),
        key.domain_size.trailing_zeros(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `verity import-zkey`.
pub fn import_zkey(
    size: SizeArgs,
    zkey: &std::path::Path,
    ptau: &std::path::Path,
    out: PathBuf,
) -> anyhow::Result<()> {
    let size = size.size()?;
    let started = Instant::now();
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))
    };
    let (zkey_bytes, ptau_bytes) = (read(zkey)?, read(ptau)?);
    let ptau = verity_prover::ptau::Ptau::parse(&ptau_bytes)?;
    let r1cs = verity_prover::r1cs::R1cs::of(size)?;
    let (key, contributions) = verity_prover::ceremony::import(&zkey_bytes, &r1cs, &ptau)?;
    drop((zkey_bytes, ptau_bytes));
    for (i, c) in contributions.iter().enumerate() {
        eprintln!(
            "contribution {} ({}{}): {}",
            i + 1,
            c.kind,
            c.name
                .as_ref()
                .map(|n| format!(", {n}"))
                .unwrap_or_default(),
            c.hash
        );
    }
    let metadata =
        KeyDirectory::new(&out).write_ceremony(size, r1cs.constraints(), &key, contributions)?;
    eprintln!(
        "the key and its {} contributions verify; wrote keys to {} in {:.1}s",
        metadata.ceremony.as_ref().map_or(0, Vec::len),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    out!("{}", serde_json::to_string_pretty(&metadata)?)?;
    Ok(())
}

/// Phase 2's first key, as `verity setup --ptau` names it.
pub const PHASE2_START: &str = "circuit_0000.zkey";
/// The constraint system, as `verity setup --ptau` names it.
pub const R1CS_FILE: &str = "circuit.r1cs";

/// `verity export-r1cs`.
pub fn export_r1cs(size: SizeArgs, out: PathBuf) -> anyhow::Result<()> {
    let size = size.size()?;
    let started = Instant::now();
    let r1cs = verity_prover::r1cs::R1cs::of(size)?;
    r1cs.write(&out)?;
    eprintln!(
        "wrote {} ({} constraints, {} wires, 1 public input) in {:.1}s",
        out.display(),
        r1cs.constraints(),
        r1cs.variables,
        started.elapsed().as_secs_f64()
    );
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
             each operation (any type) {} ({} in its slot, {} its share of the data commitment)",
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
