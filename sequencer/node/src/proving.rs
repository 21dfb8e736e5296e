//! The proving pipeline: takes sealed batches' jobs from the database in order, proves up to
//! `parallel` of them at once on the local pool (rayon inside each proof as well), verifies
//! every proof against the batch's commitment, and stores it for the submitter. A batch whose
//! proof fails is proven again, up to [`MAX_ATTEMPTS`] times; then, as on a database error or a
//! missing proving key, the pipeline fails and the node stops (see [`super::health`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::Bn254;
use ark_groth16::Proof;
use tokio::sync::broadcast;
use verity_circuits::circuit::BatchWitness;
use verity_prover::BatchProver;

use super::events::{BatchEvent, BatchStatus};
use super::health::{Health, Stage};
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

/// Attempts at proving one batch before the pipeline gives up on it.
pub const MAX_ATTEMPTS: u32 = 3;

/// Why the pipeline stopped: the node stops.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A batch's circuit size has no proving key here.
    #[error("batch {batch}: no proving key for {slots} slots")]
    NoKey {
        /// The batch.
        batch: u64,
        /// Its circuit size.
        slots: usize,
    },
    /// A batch failed to prove [`MAX_ATTEMPTS`] times.
    #[error("batch {batch}: proving failed {attempts} times, last: {error}", attempts = MAX_ATTEMPTS)]
    Unprovable {
        /// The batch.
        batch: u64,
        /// The last failure.
        error: String,
    },
    /// The proving threads panicked.
    #[error("proving panicked: {0}")]
    Panicked(String),
}

/// What became of one job.
enum Proven {
    Verified(ProofRecord),
    Failed(String),
    NoKey(usize),
}

/// Proves jobs until the task is dropped or a batch cannot be proven.
pub async fn run(
    config: PipelineConfig,
    store: Store,
    events: broadcast::Sender<BatchEvent>,
    health: Health,
) -> Result<(), PipelineError> {
    let mut attempts: HashMap<u64, u32> = HashMap::new();
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
            .map_err(|e| match e.try_into_panic() {
                Ok(panic) => PipelineError::Panicked(super::panic_message(&*panic)),
                Err(e) => PipelineError::Panicked(e.to_string()),
            })?;
        for (number, outcome) in proven {
            let record = match outcome {
                Proven::Verified(record) => record,
                Proven::NoKey(slots) => {
                    return Err(PipelineError::NoKey {
                        batch: number,
                        slots,
                    })
                }
                Proven::Failed(error) => {
                    let tried = attempts.entry(number).or_default();
                    *tried += 1;
                    if *tried >= MAX_ATTEMPTS {
                        return Err(PipelineError::Unprovable {
                            batch: number,
                            error,
                        });
                    }
                    health.retrying(Stage::Prover, format!("batch {number}: {error}"));
                    continue;
                }
            };
            attempts.remove(&number);
            health.running(Stage::Prover);
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

/// Proves and verifies `jobs` together.
fn prove(config: &PipelineConfig, jobs: Vec<(u64, BatchWitness)>) -> Vec<(u64, Proven)> {
    use rayon::prelude::*;
    jobs.into_par_iter()
        .map(|(number, job)| {
            let Some(prover) = config.provers.get(&job.size.slots) else {
                return (number, Proven::NoKey(job.size.slots));
            };
            let commitment = job.commitment;
            let started = Instant::now();
            let (proof, _) = match prover.prove(job, &mut rand::rngs::OsRng) {
                Ok(proven) => proven,
                Err(error) => {
                    tracing::error!(batch = number, %error, "proving failed; proving again");
                    return (number, Proven::Failed(error.to_string()));
                }
            };
            let proving_seconds = started.elapsed().as_secs_f64();
            if !prover.verify(&proof, commitment) {
                tracing::error!(batch = number, "proof does not verify; proving again");
                return (number, Proven::Failed("the proof does not verify".into()));
            }
            tracing::info!(batch = number, proving_seconds, "batch proven");
            let record = proof_record(&proof, proving_seconds, "local".into());
            (number, Proven::Verified(record))
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
