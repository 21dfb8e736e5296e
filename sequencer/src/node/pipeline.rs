//! The proving pipeline: takes sealed batches' jobs from the database in order, proves up to
//! `parallel` of them at once on the local pool (rayon inside each proof as well), verifies
//! every proof against the batch's commitment, and stores it for the submitter.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::Bn254;
use ark_groth16::Proof;
use tokio::sync::broadcast;
use verity_circuits::circuit::BatchWitness;
use verity_prover::BatchProver;

use super::events::{BatchEvent, BatchStatus};
use super::store::{ProofRecord, Store, StoreError};
use super::unix_now;
use crate::l1::contracts::proof_words;

/// The pipeline's configuration.
#[derive(Clone)]
pub struct PipelineConfig {
    /// A prover per circuit size (by slots).
    pub provers: HashMap<usize, Arc<BatchProver>>,
    /// Batches proven at the same time.
    pub parallel: usize,
    /// How often to look for new jobs.
    pub poll: Duration,
}

/// Proves jobs until the task is dropped.
pub async fn run(
    config: PipelineConfig,
    store: Store,
    events: broadcast::Sender<BatchEvent>,
) -> Result<(), StoreError> {
    loop {
        let from = store.finalized_meta()?.batch + 1;
        let ready: Vec<u64> = store
            .unproven_from(from)?
            .into_iter()
            .take(config.parallel.max(1))
            .collect();
        if ready.is_empty() {
            tokio::time::sleep(config.poll).await;
            continue;
        }
        let mut jobs = Vec::with_capacity(ready.len());
        for number in ready {
            if let Some(job) = store.job(number)? {
                jobs.push((number, job));
            }
        }
        let config = config.clone();
        let proven = tokio::task::spawn_blocking(move || prove(&config, jobs))
            .await
            .expect("proving does not panic");
        for (number, record) in proven {
            store.put_proof(number, &record)?;
            let _ = events.send(BatchEvent {
                number,
                status: BatchStatus::Proven,
                proving_seconds: Some(record.proving_seconds),
                l1_tx_hash: None,
            });
        }
    }
}

/// Proves and verifies `jobs` together; returns the verified proofs.
fn prove(config: &PipelineConfig, jobs: Vec<(u64, BatchWitness)>) -> Vec<(u64, ProofRecord)> {
    use rayon::prelude::*;
    jobs.into_par_iter()
        .filter_map(|(number, job)| {
            let Some(prover) = config.provers.get(&job.size.slots) else {
                tracing::error!(
                    batch = number,
                    slots = job.size.slots,
                    "no proving key for this size"
                );
                return None;
            };
            let commitment = job.commitment;
            let started = Instant::now();
            let (proof, _) = match prover.prove(job, &mut rand::rngs::OsRng) {
                Ok(proven) => proven,
                Err(error) => {
                    tracing::error!(batch = number, %error, "proving failed");
                    return None;
                }
            };
            let proving_seconds = started.elapsed().as_secs_f64();
            if !prover.verify(&proof, commitment) {
                tracing::error!(batch = number, "proof does not verify; proving again");
                return None;
            }
            tracing::info!(batch = number, proving_seconds, "batch proven");
            Some((
                number,
                proof_record(&proof, proving_seconds, "local".into()),
            ))
        })
        .collect()
}

/// The stored form of a verified proof made by `prover`.
pub(crate) fn proof_record(
    proof: &Proof<Bn254>,
    proving_seconds: f64,
    prover: String,
) -> ProofRecord {
    ProofRecord {
        proof: verity_prover::snarkjs::proof(proof),
        words: proof_words(proof)
            .iter()
            .map(|w| format!("{w:#x}"))
            .collect(),
        proving_seconds,
        proven_at: unix_now(),
        prover,
    }
}
