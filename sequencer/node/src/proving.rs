//! How the node's batches are proven: one [`ProvingBackend`] per node. [`LocalProving`] takes
//! sealed batches' jobs from the database in order, proves up to `parallel` of them at once on
//! the local pool (rayon inside each proof as well), verifies every proof against the batch's
//! commitment, and stores it for the submitter. A batch whose proof fails is proven again, up
//! to [`MAX_ATTEMPTS`] times; then, as on a database error or a missing proving key, proving
//! fails and the node stops (see [`crate::health`]). The fleet (`verity-fleet`) is the other
//! backend.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::Bn254;
use ark_groth16::{Proof, VerifyingKey};
use futures::future::BoxFuture;
use tokio::sync::broadcast;
use verity_circuits::circuit::{BatchWitness, CircuitSize};
use verity_l1::contracts::proof_words;
use verity_prover::BatchProver;
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_rpc_api::health::Stage;
use verity_storage::{ProofRecord, Store, StoreError};

use crate::health::Health;
use crate::unix_now;

/// What a backend proves with: the node's database (jobs in, proofs out), its batch events
/// and its health.
#[derive(Clone)]
pub struct ProvingContext {
    /// The database: sealed batches' jobs, and where verified proofs go.
    pub store: Store,
    /// Where `proven` events go.
    pub events: broadcast::Sender<BatchEvent>,
    /// The node's health (the backend reports as [`Stage::Prover`]).
    pub health: Health,
    /// How often to look for new jobs.
    pub poll: Duration,
}

/// Why proving stopped for good: the node stops with it.
pub type ProvingError = Box<dyn std::error::Error + Send + Sync>;

/// A way of proving the node's sealed batches. Every backend stores only proofs it has
/// verified against the batch's public inputs, so the submitter never sends L1 a bad one.
pub trait ProvingBackend: Send {
    /// The verifying key of each circuit size it proves (the node checks each against the
    /// deployment's verifier before starting).
    fn verifying_keys(&self) -> Vec<(CircuitSize, VerifyingKey<Bn254>)>;

    /// Proves every unproven batch from now on. Ends with `Ok` only when the backend does not
    /// prove at all (then it reports [`Stage::Prover`] off), otherwise only with the error
    /// that stops the node.
    fn run(
        self: Box<Self>,
        context: ProvingContext,
    ) -> BoxFuture<'static, Result<(), ProvingError>>;
}

/// Proving on this machine.
#[derive(Clone)]
pub struct LocalProving {
    /// A prover per circuit size (by slots).
    pub provers: HashMap<usize, Arc<BatchProver>>,
    /// Batches proven at the same time (0: none, the node only sequences).
    pub parallel: usize,
}

impl ProvingBackend for LocalProving {
    fn verifying_keys(&self) -> Vec<(CircuitSize, VerifyingKey<Bn254>)> {
        self.provers
            .values()
            .map(|p| (p.size(), p.verifying_key().clone()))
            .collect()
    }

    fn run(
        self: Box<Self>,
        context: ProvingContext,
    ) -> BoxFuture<'static, Result<(), ProvingError>> {
        if self.parallel == 0 {
            // Off from the moment the node starts, not from the task's first poll.
            context.health.off(Stage::Prover);
            return Box::pin(std::future::ready(Ok(())));
        }
        Box::pin(async move { Ok(run(*self, context).await?) })
    }
}

/// Attempts at proving one batch before local proving gives up on it.
pub const MAX_ATTEMPTS: u32 = 3;

/// Why local proving stopped: the node stops.
#[derive(Debug, thiserror::Error)]
pub enum LocalProvingError {
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
async fn run(config: LocalProving, context: ProvingContext) -> Result<(), LocalProvingError> {
    let ProvingContext {
        store,
        events,
        health,
        poll,
    } = context;
    let mut attempts: HashMap<u64, u32> = HashMap::new();
    loop {
        let from = store.finalized_meta()?.batch + 1;
        let ready: Vec<u64> = store
            .unproven_from(from)?
            .into_iter()
            .take(config.parallel.max(1))
            .collect();
        if ready.is_empty() {
            tokio::time::sleep(poll).await;
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
                Ok(panic) => LocalProvingError::Panicked(crate::panic_message(&*panic)),
                Err(e) => LocalProvingError::Panicked(e.to_string()),
            })?;
        for (number, outcome) in proven {
            let record = match outcome {
                Proven::Verified(record) => record,
                Proven::NoKey(slots) => {
                    return Err(LocalProvingError::NoKey {
                        batch: number,
                        slots,
                    })
                }
                Proven::Failed(error) => {
                    let tried = attempts.entry(number).or_default();
                    *tried += 1;
                    if *tried >= MAX_ATTEMPTS {
                        return Err(LocalProvingError::Unprovable {
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
fn prove(config: &LocalProving, jobs: Vec<(u64, BatchWitness)>) -> Vec<(u64, Proven)> {
    use rayon::prelude::*;
    jobs.into_par_iter()
        .map(|(number, job)| {
            let Some(prover) = config.provers.get(&job.size.slots) else {
                return (number, Proven::NoKey(job.size.slots));
            };
            let public_inputs = job.public_inputs();
            let started = Instant::now();
            let (proof, _) = match prover.prove(job, &mut rand::rngs::OsRng) {
                Ok(proven) => proven,
                Err(error) => {
                    tracing::error!(batch = number, %error, "proving failed; proving again");
                    return (number, Proven::Failed(error.to_string()));
                }
            };
            let proving_seconds = started.elapsed().as_secs_f64();
            if !prover.verify(&proof, &public_inputs) {
                tracing::error!(batch = number, "proof does not verify; proving again");
                return (number, Proven::Failed("the proof does not verify".into()));
            }
            tracing::info!(batch = number, proving_seconds, "batch proven");
            let record = proof_record(&proof, proving_seconds, "local".into());
            (number, Proven::Verified(record))
        })
        .collect()
}

/// The stored form of a verified proof made by `prover` (`local`, or a fleet worker's name).
pub fn proof_record(proof: &Proof<Bn254>, proving_seconds: f64, prover: String) -> ProofRecord {
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
