//! The prover fleet over NATS JetStream: the node publishes each sealed batch's proving job
//! (the witness and the verifying-key hash, everything a stateless worker needs) to a
//! work-queue stream; `verity prover` workers pull one job at a time, send in-progress
//! heartbeats while proving, publish the proof to a results stream and only then acknowledge
//! the job; the node verifies every proof, stores the valid ones for the submitter (which
//! keeps L1 order) and re-queues the job of an invalid one.
//!
//! Layout on the broker (created by the node, idempotently):
//!
//! | stream | subjects | retention | consumer |
//! |---|---|---|---|
//! | `VERITY_JOBS` | `verity.jobs.<slots>.<batch>` | work queue | `provers-<slots>` (pull, explicit ack, `max_deliver` = attempts + 1) |
//! | `VERITY_RESULTS` | `verity.results` | work queue | `node` (pull, explicit ack) |
//! | `VERITY_DEAD` | `verity.dead.<batch>` | limits | none: operators read it |
//!
//! One subject per batch lets a restarted node see which jobs the stream still holds (queued or
//! in flight) and queue only the others. A job goes to the dead-letter subject after `max_attempts` deliveries without a proof
//! (workers that died or timed out), or after `max_attempts` invalid proofs; a restarted node
//! queues every unproven batch again.
//!
//! Depends on the node for the [`verity_node::proving::ProvingBackend`] it implements
//! ([`queue::FleetProving`]), on storage, the prover and async-nats. The node never depends on
//! it: whoever starts a node hands it the fleet as its backend.

pub mod metrics;
pub mod queue;
pub mod worker;

use std::time::Duration;

use ark_bn254::Bn254;
use ark_groth16::Proof;
use ark_serialize::CanonicalDeserialize;
use async_nats::jetstream::{self, consumer, stream};
use serde::{Deserialize, Serialize};
use verity_circuits::circuit::{BatchWitness, CircuitSize};

/// The jobs stream.
pub const JOBS_STREAM: &str = "VERITY_JOBS";
/// The results stream.
pub const RESULTS_STREAM: &str = "VERITY_RESULTS";
/// The dead-letter stream.
pub const DEAD_STREAM: &str = "VERITY_DEAD";
/// Where results are published.
pub const RESULTS_SUBJECT: &str = "verity.results";
/// The node's durable consumer of results.
pub const RESULTS_CONSUMER: &str = "node";

/// The subject of batch `number`'s job, proven by a circuit of `slots` slots.
pub fn job_subject(slots: usize, number: u64) -> String {
    format!("verity.jobs.{slots}.{number}")
}

/// The durable consumer that workers with `slots`-slot keys share.
pub fn job_consumer(slots: usize) -> String {
    format!("provers-{slots}")
}

/// The dead-letter subject of batch `number`.
pub fn dead_subject(number: u64) -> String {
    format!("verity.dead.{number}")
}

/// How the node uses the queue.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// The NATS server, `nats://HOST:PORT`.
    pub url: String,
    /// How long a delivered job may go without a heartbeat or an acknowledgement before it
    /// is delivered to another worker (workers heartbeat every third of it).
    pub ack_wait: Duration,
    /// Deliveries, and separately invalid proofs, a job may have before it is dead-lettered.
    pub max_attempts: u32,
    /// How often the node looks for new jobs and reads the queue's state.
    pub poll: Duration,
}

impl QueueConfig {
    /// The defaults for a broker at `url`.
    pub fn new(url: impl Into<String>) -> QueueConfig {
        QueueConfig {
            url: url.into(),
            ack_wait: Duration::from_secs(30),
            max_attempts: 5,
            poll: Duration::from_millis(200),
        }
    }
}

/// A proving job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobMessage {
    /// The batch.
    pub number: u64,
    /// How many times the node queued it (1 first; more after invalid proofs).
    pub attempt: u32,
    /// SHA-256 of the verifying key the proof must verify under (as `keys.json` records it).
    pub verifying_key_hash: String,
    /// The circuit.
    pub size: CircuitSize,
    /// The witness inputs.
    pub witness: BatchWitness,
}

/// A worker's proof of a job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResultMessage {
    /// The batch.
    pub number: u64,
    /// The job's attempt.
    pub attempt: u32,
    /// The verifying key the worker proved for.
    pub verifying_key_hash: String,
    /// The Groth16 proof, arkworks compressed encoding, hex.
    pub proof: String,
    /// Seconds the proof took.
    pub proving_seconds: f64,
    /// Which worker proved it.
    pub worker: String,
}

impl ResultMessage {
    /// The proof, if it decodes (hex, then arkworks' compressed encoding with its points
    /// checked on their curves and subgroups); `None` for anything else.
    pub fn proof(&self) -> Option<Proof<Bn254>> {
        let bytes = hex::decode(&self.proof).ok()?;
        Proof::deserialize_compressed(bytes.as_slice()).ok()
    }
}

/// A dead-lettered job: the job and why it was given up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Why.
    pub reason: String,
    /// The job (absent when it did not decode).
    pub job: Option<JobMessage>,
}

/// The fleet failed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// Connecting to NATS.
    #[error("NATS connect: {0}")]
    Connect(#[from] async_nats::ConnectError),
    /// A JetStream request failed (async-nats has one error type per call: kept as its
    /// source, boxed).
    #[error("JetStream: {0}")]
    JetStream(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The results stream ended while the node waited on it.
    #[error("JetStream: the results stream ended")]
    ResultsEnded,
    /// The node's database.
    #[error("database: {0}")]
    Store(#[from] verity_storage::StoreError),
    /// A worker was given no proving keys.
    #[error("no proving keys")]
    NoProvingKeys,
}

/// Any JetStream error, its source kept (async-nats has one error type per call).
fn js<E: Into<Box<dyn std::error::Error + Send + Sync>>>(error: E) -> FleetError {
    FleetError::JetStream(error.into())
}

/// The jobs consumer configuration for `slots`.
fn jobs_consumer_config(slots: usize, config: &QueueConfig) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(job_consumer(slots)),
        filter_subject: format!("verity.jobs.{slots}.>"),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: config.ack_wait,
        max_deliver: i64::from(config.max_attempts) + 1,
        ..Default::default()
    }
}

/// The broker's side of the fleet, as [`ensure_layout`] found or made it.
pub struct Layout {
    /// The jobs stream.
    pub jobs: stream::Stream,
    /// The jobs consumer of each size, in the order the sizes were given.
    pub job_consumers: Vec<consumer::PullConsumer>,
    /// The node's consumer of results.
    pub results: consumer::PullConsumer,
    /// The dead-letter stream.
    pub dead: stream::Stream,
}

/// Creates (or finds) the three streams and the consumers for `sizes`.
pub async fn ensure_layout(
    context: &jetstream::Context,
    config: &QueueConfig,
    sizes: &[usize],
) -> Result<Layout, FleetError> {
    let jobs = context
        .get_or_create_stream(stream::Config {
            name: JOBS_STREAM.into(),
            subjects: vec!["verity.jobs.>".into()],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(js)?;
    let mut job_consumers = Vec::new();
    for slots in sizes {
        let consumer = jobs
            .get_or_create_consumer(&job_consumer(*slots), jobs_consumer_config(*slots, config))
            .await
            .map_err(js)?;
        job_consumers.push(consumer);
    }
    let results = context
        .get_or_create_stream(stream::Config {
            name: RESULTS_STREAM.into(),
            subjects: vec![RESULTS_SUBJECT.into()],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(js)?;
    let results = results
        .get_or_create_consumer(
            RESULTS_CONSUMER,
            consumer::pull::Config {
                durable_name: Some(RESULTS_CONSUMER.into()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(60),
                ..Default::default()
            },
        )
        .await
        .map_err(js)?;
    let dead = context
        .get_or_create_stream(stream::Config {
            name: DEAD_STREAM.into(),
            subjects: vec!["verity.dead.>".into()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(js)?;
    Ok(Layout {
        jobs,
        job_consumers,
        results,
        dead,
    })
}

/// Waits for the ack of a JetStream publish.
async fn publish_json(
    context: &jetstream::Context,
    subject: String,
    value: &impl Serialize,
) -> Result<(), FleetError> {
    let payload = serde_json::to_vec(value).expect("messages serialise");
    context
        .publish(subject, payload.into())
        .await
        .map_err(js)?
        .await
        .map_err(js)?;
    Ok(())
}

/// Sends a job to the dead-letter subject.
async fn dead_letter(
    context: &jetstream::Context,
    number: u64,
    reason: String,
    job: Option<JobMessage>,
) -> Result<(), FleetError> {
    tracing::error!(batch = number, %reason, "job dead-lettered");
    publish_json(context, dead_subject(number), &DeadLetter { reason, job }).await
}

#[cfg(test)]
mod tests;
