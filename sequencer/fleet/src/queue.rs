//! The node's side of the fleet: queues every unproven batch's job, takes the workers'
//! results, verifies each proof against the batch's commitment and stores the valid ones for
//! the submitter; re-queues the job of an invalid proof, up to the attempt bound.

use std::collections::HashMap;
use std::time::Duration;

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use async_nats::jetstream::{self, stream};
use futures::future::BoxFuture;
use futures::StreamExt;
use tokio::sync::broadcast;
use verity_circuits::circuit::{BatchWitness, CircuitSize};
use verity_node::proving::{proof_record, ProvingBackend, ProvingContext, ProvingError};
use verity_prover::keys::verifying_key_hash;
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_storage::Store;

use crate::metrics::FleetMetrics;
use crate::{
    dead_letter, ensure_layout, job_subject, js, publish_json, FleetError, JobMessage, Layout,
    QueueConfig, ResultMessage,
};

/// Proving by `verity prover` workers over NATS JetStream: the node holds only verifying
/// keys and checks every proof.
pub struct FleetProving {
    /// The queue.
    pub queue: QueueConfig,
    /// The verifying key of each circuit size.
    pub verifying_keys: Vec<(CircuitSize, VerifyingKey<Bn254>)>,
    /// The fleet's metrics (served by whoever holds a clone).
    pub metrics: FleetMetrics,
}

impl ProvingBackend for FleetProving {
    fn verifying_keys(&self) -> Vec<(CircuitSize, VerifyingKey<Bn254>)> {
        self.verifying_keys.clone()
    }

    fn run(
        self: Box<Self>,
        context: ProvingContext,
    ) -> BoxFuture<'static, Result<(), ProvingError>> {
        let keys = self
            .verifying_keys
            .into_iter()
            .map(|(size, vk)| (size.slots, vk))
            .collect();
        let queue = JobQueue::new(
            self.queue,
            keys,
            context.store,
            context.events,
            self.metrics,
        );
        // The queue reconnects to the broker by itself and never ends.
        Box::pin(async move {
            queue.run().await;
            Err("the prover queue stopped".into())
        })
    }
}

/// Where a queued batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Queued {
    /// Its job is on the queue at this attempt.
    Attempt(u32),
    /// Given up until the node restarts.
    Dead,
}

/// The node's queue client.
struct JobQueue {
    config: QueueConfig,
    verifying_keys: HashMap<usize, (VerifyingKey<Bn254>, String)>,
    store: Store,
    events: broadcast::Sender<BatchEvent>,
    metrics: FleetMetrics,
    queued: HashMap<u64, Queued>,
}

impl JobQueue {
    /// A queue client for circuits with `verifying_keys` (by slots).
    fn new(
        config: QueueConfig,
        verifying_keys: HashMap<usize, VerifyingKey<Bn254>>,
        store: Store,
        events: broadcast::Sender<BatchEvent>,
        metrics: FleetMetrics,
    ) -> JobQueue {
        let verifying_keys = verifying_keys
            .into_iter()
            .map(|(slots, vk)| {
                let hash = verifying_key_hash(&vk);
                (slots, (vk, hash))
            })
            .collect();
        JobQueue {
            config,
            verifying_keys,
            store,
            events,
            metrics,
            queued: HashMap::new(),
        }
    }

    /// Runs until the task is dropped, reconnecting after broker failures.
    async fn run(mut self) {
        loop {
            if let Err(error) = self.serve().await {
                tracing::warn!(%error, "prover queue; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn serve(&mut self) -> Result<(), FleetError> {
        let client = async_nats::connect(&self.config.url).await?;
        let context = jetstream::new(client);
        let sizes: Vec<usize> = self.verifying_keys.keys().copied().collect();
        let mut layout = ensure_layout(&context, &self.config, &sizes).await?;
        let backlog = layout.results.cached_info().num_pending;
        let mut messages = layout.results.messages().await.map_err(js)?;
        tracing::info!(url = %self.config.url, backlog, "proving through the prover queue");
        // Results that arrived while the node was down come first, so their batches are not
        // queued again.
        for _ in 0..backlog {
            match messages.next().await {
                Some(Ok(message)) => self.take(&context, message).await?,
                Some(Err(error)) => return Err(js(error)),
                None => break,
            }
        }
        let mut tick = tokio::time::interval(self.config.poll);
        let mut last_logged = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    self.queue_new(&context, &layout.jobs).await?;
                    self.refresh_gauges(&mut layout).await?;
                    let now = self.snapshot();
                    if last_logged != Some(now) {
                        self.metrics.log();
                        last_logged = Some(now);
                    }
                }
                message = messages.next() => match message {
                    Some(Ok(message)) => self.take(&context, message).await?,
                    Some(Err(error)) => return Err(js(error)),
                    None => return Err(FleetError::ResultsEnded),
                },
            }
        }
    }

    /// Handles a result message and acknowledges it.
    async fn take(
        &mut self,
        context: &jetstream::Context,
        message: jetstream::Message,
    ) -> Result<(), FleetError> {
        let (message, acker) = message.split();
        self.take_result(context, &message.payload).await?;
        acker.ack().await.map_err(js)
    }

    fn snapshot(&self) -> (i64, i64, u64, u64, i64) {
        let m = &self.metrics;
        (
            m.queued.get(),
            m.in_flight.get(),
            m.done.get(),
            m.failed.get(),
            m.dead.get(),
        )
    }

    /// Queues the job of every unproven batch not queued yet, unless the stream still holds
    /// one (queued before a restart).
    async fn queue_new(
        &mut self,
        context: &jetstream::Context,
        jobs: &stream::Stream,
    ) -> Result<(), FleetError> {
        let from = self.store.finalized_meta()?.batch + 1;
        self.queued.retain(|number, _| *number >= from);
        for number in self.store.unproven_from(from)? {
            if self.queued.contains_key(&number) {
                continue;
            }
            let Some(witness) = self.store.job(number)? else {
                continue;
            };
            let subject = job_subject(witness.size.slots, number);
            if let Ok(held) = jobs.get_last_raw_message_by_subject(&subject).await {
                let attempt = serde_json::from_slice::<JobMessage>(&held.payload)
                    .map_or(1, |job| job.attempt);
                self.queued.insert(number, Queued::Attempt(attempt));
                continue;
            }
            self.publish(context, number, 1, witness).await?;
        }
        Ok(())
    }

    async fn publish(
        &mut self,
        context: &jetstream::Context,
        number: u64,
        attempt: u32,
        witness: BatchWitness,
    ) -> Result<(), FleetError> {
        let Some((_, hash)) = self.verifying_keys.get(&witness.size.slots) else {
            tracing::error!(batch = number, size = ?witness.size, "no verifying key for this size");
            self.queued.insert(number, Queued::Dead);
            return Ok(());
        };
        let job = JobMessage {
            number,
            attempt,
            verifying_key_hash: hash.clone(),
            size: witness.size,
            witness,
        };
        publish_json(context, job_subject(job.size.slots, number), &job).await?;
        tracing::info!(batch = number, attempt, "job queued");
        self.queued.insert(number, Queued::Attempt(attempt));
        Ok(())
    }

    /// Verifies a result; stores its proof, or re-queues (or gives up) its job.
    async fn take_result(
        &mut self,
        context: &jetstream::Context,
        payload: &[u8],
    ) -> Result<(), FleetError> {
        let result: ResultMessage = match serde_json::from_slice(payload) {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(%error, "undecodable result dropped");
                self.metrics.failed.inc();
                return Ok(());
            }
        };
        let number = result.number;
        if self.store.proof(number)?.is_some() {
            return Ok(());
        }
        let Some(witness) = self.store.job(number)? else {
            return Ok(());
        };
        let Some((vk, hash)) = self.verifying_keys.get(&witness.size.slots) else {
            return Ok(());
        };
        let proof = result.proof().filter(|proof| {
            result.verifying_key_hash == *hash
                && verity_prover::verify(vk, proof, &witness.public_inputs())
        });
        if let Some(proof) = proof {
            let record = proof_record(&proof, result.proving_seconds, result.worker.clone());
            self.store.put_proof(number, &record)?;
            self.queued.remove(&number);
            self.metrics.done.inc();
            self.metrics.proving_seconds.observe(result.proving_seconds);
            tracing::info!(
                batch = number,
                worker = %result.worker,
                proving_seconds = result.proving_seconds,
                "proof verified"
            );
            let _ = self.events.send(BatchEvent {
                number,
                status: BatchStatus::Proven,
                proving_seconds: Some(result.proving_seconds),
                l1_tx_hash: None,
            });
            return Ok(());
        }

        self.metrics.failed.inc();
        tracing::warn!(batch = number, worker = %result.worker, attempt = result.attempt, "invalid proof rejected");
        // Act once per attempt: a late result of an older attempt was already answered.
        let current = match self.queued.get(&number) {
            Some(Queued::Attempt(attempt)) => *attempt,
            Some(Queued::Dead) => return Ok(()),
            None => result.attempt,
        };
        if result.attempt != current {
            return Ok(());
        }
        if current >= self.config.max_attempts {
            self.queued.insert(number, Queued::Dead);
            let job = JobMessage {
                number,
                attempt: current,
                verifying_key_hash: hash.clone(),
                size: witness.size,
                witness,
            };
            return dead_letter(
                context,
                number,
                format!("{current} invalid proofs"),
                Some(job),
            )
            .await;
        }
        self.publish(context, number, current + 1, witness).await
    }

    /// Reads queued, in-flight and dead-lettered counts from the broker.
    async fn refresh_gauges(&self, layout: &mut Layout) -> Result<(), FleetError> {
        let (mut queued, mut in_flight) = (0, 0);
        for consumer in &mut layout.job_consumers {
            let info = consumer.info().await.map_err(js)?;
            queued += info.num_pending as i64;
            in_flight += info.num_ack_pending as i64;
        }
        self.metrics.queued.set(queued);
        self.metrics.in_flight.set(in_flight);
        let messages = layout.dead.info().await.map_err(js)?.state.messages;
        self.metrics.dead.set(messages as i64);
        Ok(())
    }
}
