//! `verity-bench prove`: sets up a circuit, proves random valid batches with Verity's staged
//! prover and with plain `ark-groth16` in the same run, verifies every proof, and reports
//! time, throughput, where the time goes and peak memory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Args;
use serde_json::json;
use verity_circuits::circuit::{BatchCircuit, BatchWitness};
use verity_prover::keys::KeyDirectory;
use verity_prover::{baseline_setup, prove_baseline, setup};
use verity_prover::{snarkjs, BatchProver, ProveTimings};

use verity_sequencer::cli::circuit::SizeArgs;
use verity_sequencer::out;
use verity_tests::workload::Workload;

use crate::memory::{peak_rss_bytes, reset_peak_rss};

/// `prove`'s arguments.
#[derive(Debug, Args)]
pub struct ProveArgs {
    #[command(flatten)]
    size: SizeArgs,
    /// Batches to prove with each prover.
    #[arg(long, default_value_t = 2)]
    batches: usize,
    /// Write the keys (proving_key.zkey, verification_key.json, ...), the last batch's
    /// witness as witness.wtns and its proof as snarkjs proof.json and public.json into this
    /// directory.
    #[arg(long)]
    export: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn median_timings(all: &[ProveTimings]) -> serde_json::Value {
    let field = |get: fn(&ProveTimings) -> Duration| {
        median(all.iter().map(|t| get(t).as_secs_f64()).collect())
    };
    json!({
        "synthesis": field(|t| t.synthesis),
        "witness_map_fft": field(|t| t.witness_map),
        "msm_a_g1": field(|t| t.msm_a),
        "msm_b_g1": field(|t| t.msm_b_g1),
        "msm_b_g2": field(|t| t.msm_b_g2),
        "msm_c_g1": field(|t| t.msm_c),
        "msm_h_g1": field(|t| t.msm_h),
        "msm_l_g1": field(|t| t.msm_l),
        "total": field(|t| t.total),
    })
}

fn prover_figures(
    seconds: &[f64],
    constraints: usize,
    slots: usize,
    peak: Option<u64>,
) -> serde_json::Value {
    let median_seconds = median(seconds.to_vec());
    json!({
        "prove_seconds": seconds,
        "prove_seconds_median": median_seconds,
        "constraints_per_second": constraints as f64 / median_seconds,
        "operations_per_second": slots as f64 / median_seconds,
        "peak_memory_bytes": peak,
        "peak_memory_bytes_per_million_constraints": peak.map(|p| p as f64 / (constraints as f64 / 1e6)),
    })
}

/// Runs `verity-bench prove`.
pub fn run(args: ProveArgs) -> anyhow::Result<()> {
    prove(args.size, args.batches, args.export, args.json)
}

/// Sets up `size`, proves `batches` random batches with each prover and reports.
fn prove(
    size: SizeArgs,
    batches: usize,
    export: Option<PathBuf>,
    as_json: bool,
) -> anyhow::Result<()> {
    let size = size.size()?;
    ensure!(batches > 0, "prove at least one batch");

    let started = Instant::now();
    let key = setup(size, &mut rand::rngs::OsRng)?;
    let setup_seconds = started.elapsed().as_secs_f64();

    let key_dir = match &export {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("verity-bench-keys-{}", std::process::id())),
    };
    let keys = KeyDirectory::new(&key_dir);
    let constraints = BatchCircuit::constraint_report(size)?.total;
    let started = Instant::now();
    keys.write(size, constraints, &key)?;
    let key_directory_write_seconds = started.elapsed().as_secs_f64();
    drop(key);
    // The prover starts as the node's does, from the key directory, so that its memory is
    // what a node's would be.
    let started = Instant::now();
    let (_, key) = keys.proving_key()?;
    let key_load_seconds = started.elapsed().as_secs_f64();
    let prover = BatchProver::new(size, key)?;
    ensure!(
        prover.constraints() == constraints,
        "the prover's matrices and the constraint report disagree"
    );
    let key_bytes = std::fs::metadata(key_dir.join(verity_prover::keys::PROVING_KEY))?.len();

    let mut workload = Workload::new(size.depth, (4 * size.slots).max(8), 7);
    let witnesses: Vec<BatchWitness> = (0..batches)
        .map(|_| workload.next_batch(size).map(|(_, witness)| witness))
        .collect::<Result<_, _>>()?;

    let witness_profile = prover.witness_profile(witnesses[0].clone())?;

    // The last batch's witness as circom's .wtns, what an outside prover takes per batch.
    let started = Instant::now();
    let assignment = prover.assignment(witnesses[batches - 1].clone())?;
    let wtns_assignment_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    verity_prover::wtns::write(&key_dir.join("witness.wtns"), &assignment)?;
    let wtns_write_seconds = started.elapsed().as_secs_f64();
    drop(assignment);

    // What the bench made and freed before (the profile, the .wtns export) would otherwise
    // stay resident under glibc and count as the prover's.
    verity_prover::heap::release_free_pages();
    reset_peak_rss();
    let mut ours = Vec::with_capacity(batches);
    let mut timings = Vec::with_capacity(batches);
    let mut last = None;
    for witness in &witnesses {
        let (proof, timing) = prover.prove(witness.clone(), &mut rand::rngs::OsRng)?;
        ensure!(
            prover.verify(&proof, &witness.public_inputs()),
            "Verity's proof does not verify"
        );
        ours.push(timing.total.as_secs_f64());
        timings.push(timing);
        last = Some((proof, witness.public_inputs()));
    }
    let ours_peak = peak_rss_bytes();

    // ark-groth16 proves with a key of its own form (its h query differs from snarkjs's), made
    // by its own setup for the same circuit after Verity's runs, so that neither prover's
    // peak counts the other's key.
    let started = Instant::now();
    let key = baseline_setup(size, &mut rand::rngs::OsRng)?;
    let baseline_setup_seconds = started.elapsed().as_secs_f64();
    reset_peak_rss();
    let mut baseline = Vec::with_capacity(batches);
    for witness in &witnesses {
        let started = Instant::now();
        let proof = prove_baseline(&key, witness.clone(), &mut rand::rngs::OsRng)?;
        baseline.push(started.elapsed().as_secs_f64());
        ensure!(
            verity_prover::verify(&key.vk, &proof, &witness.public_inputs()),
            "the baseline proof does not verify"
        );
    }
    let baseline_peak = peak_rss_bytes();

    if let (Some(dir), Some((proof, public_inputs))) = (&export, &last) {
        std::fs::write(
            dir.join("proof.json"),
            serde_json::to_vec_pretty(&snarkjs::proof(proof))?,
        )?;
        std::fs::write(
            dir.join("public.json"),
            serde_json::to_vec_pretty(&snarkjs::public_signals(public_inputs))?,
        )?;
    } else {
        std::fs::remove_dir_all(&key_dir)?;
    }

    let report = json!({
        "slots": size.slots,
        "depth": size.depth,
        "fee_slots": size.fee_slots,
        "batches": batches,
        "constraints": constraints,
        "setup_seconds": setup_seconds,
        "baseline_setup_seconds": baseline_setup_seconds,
        "key_directory_write_seconds": key_directory_write_seconds,
        "wtns_export_seconds": {"assignment": wtns_assignment_seconds, "write": wtns_write_seconds},
        "proving_key_bytes": key_bytes,
        "proving_key_load_seconds": key_load_seconds,
        "verity": prover_figures(&ours, constraints, size.slots, ours_peak),
        "verity_stages_median_seconds": median_timings(&timings),
        "matrices": prover.matrix_profile(),
        "witness_magnitudes": witness_profile,
        "baseline_ark_groth16": prover_figures(&baseline, constraints, size.slots, baseline_peak),
        "speedup_vs_baseline": median(baseline.clone()) / median(ours.clone()),
        "threads": rayon::current_num_threads(),
    });
    if as_json {
        out!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!(
            "{} constraints; Verity {:.2}s per batch ({:.0} constraints/s), ark-groth16 {:.2}s ({:.2}x)",
            constraints,
            median(ours.clone()),
            constraints as f64 / median(ours.clone()),
            median(baseline.clone()),
            median(baseline) / median(ours)
        )?;
    }
    Ok(())
}
