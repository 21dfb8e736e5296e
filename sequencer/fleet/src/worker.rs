//! `verity prover`: a stateless worker. It pulls one job at a time for the circuits it holds
//! keys for, checks the job's verifying-key hash against its own, proves while sending
//! in-progress heartbeats (so a long proof is not redelivered), publishes the proof and only
//! then acknowledges the job. Asked to stop, it gives its job back for redelivery at once.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_serialize::CanonicalSerialize;
use async_nats::jetstream::{self, consumer, AckKind};
use futures::StreamExt;
use verity_prover::keys::verifying_key_hash;
use verity_prover::BatchProver;

use crate::metrics::FleetMetrics;
use crate::{
    dead_letter, job_consumer, js, publish_json, FleetError, JobMessage, ResultMessage,
    JOBS_STREAM, RESULTS_SUBJECT,
};

/// A worker's configuration.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The NATS server, `nats://HOST:PORT`.
    pub url: String,
    /// The name its results carry.
    pub name: String,
    /// How long one pull waits for a job.
    pub fetch_wait: Duration,
}

/// A circuit the worker proves, with the consumer of its jobs.
struct Circuit {
    prover: Arc<BatchProver>,
    hash: String,
    consumer: consumer::PullConsumer,
    heartbeat: Duration,
    last_delivery: i64,
}

/// How handling a job ended.
enum Handled {
    /// Proven, given back or given up: pull the next.
    Next,
    /// Asked to stop; the job went back to the queue.
    Stopped,
}

/// Works until `shutdown` completes; returns the number of proofs published.
pub async fn run(
    config: WorkerConfig,
    provers: Vec<Arc<BatchProver>>,
    metrics: FleetMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<u64, FleetError> {
    if provers.is_empty() {
        return Err(FleetError::NoProvingKeys);
    }
    let client = async_nats::connect(&config.url).await?;
    let context = jetstream::new(client.clone());
    tokio::pin!(shutdown);
    let found = tokio::select! {
        _ = &mut shutdown => None,
        circuits = circuits(&context, &provers) => Some(circuits),
    };
    let Some(mut circuits) = found else {
        return Ok(0);
    };
    tracing::info!(worker = %config.name, circuits = circuits.len(), "waiting for jobs");
    loop {
        for circuit in &mut circuits {
            let fetched = tokio::select! {
                _ = &mut shutdown => return Ok(metrics.done.get()),
                fetched = circuit
                    .consumer
                    .fetch()
                    .max_messages(1)
                    .expires(config.fetch_wait)
                    .messages() => fetched,
            };
            // The client reconnects by itself; a failed pull is retried, not fatal.
            let mut fetched = match fetched {
                Ok(fetched) => fetched,
                Err(error) => {
                    tracing::warn!(%error, "pulling a job");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            while let Some(message) = fetched.next().await {
                let message = match message {
                    Ok(message) => message,
                    Err(error) => {
                        tracing::warn!(%error, "pulling a job");
                        continue;
                    }
                };
                let handled =
                    handle(&context, &config, circuit, message, &metrics, &mut shutdown).await?;
                metrics.log();
                if let Handled::Stopped = handled {
                    // The give-back is only queued in the client: send it before exiting.
                    client.flush().await.map_err(js)?;
                    return Ok(metrics.done.get());
                }
            }
        }
    }
}

/// The consumers of `provers`' circuits, once a node has created them.
async fn circuits(context: &jetstream::Context, provers: &[Arc<BatchProver>]) -> Vec<Circuit> {
    let mut waiting_logged = false;
    loop {
        match try_circuits(context, provers).await {
            Ok(circuits) => return circuits,
            Err(error) => {
                if !waiting_logged {
                    tracing::info!(%error, "waiting for a node to create the prover queue");
                    waiting_logged = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn try_circuits(
    context: &jetstream::Context,
    provers: &[Arc<BatchProver>],
) -> Result<Vec<Circuit>, FleetError> {
    let jobs = context.get_stream(JOBS_STREAM).await.map_err(js)?;
    let mut circuits = Vec::new();
    for prover in provers {
        let consumer: consumer::PullConsumer = jobs
            .get_consumer(&job_consumer(prover.size().slots))
            .await
            .map_err(js)?;
        let info = consumer.cached_info();
        circuits.push(Circuit {
            hash: verifying_key_hash(prover.verifying_key()),
            prover: prover.clone(),
            heartbeat: info.config.ack_wait / 3,
            last_delivery: info.config.max_deliver,
            consumer: consumer.clone(),
        });
    }
    Ok(circuits)
}

async fn handle(
    context: &jetstream::Context,
    config: &WorkerConfig,
    circuit: &Circuit,
    message: jetstream::Message,
    metrics: &FleetMetrics,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
) -> Result<Handled, FleetError> {
    let delivered = message.info().map_err(js)?.delivered;
    let (message, acker) = message.split();
    let acker = Arc::new(acker);
    let job: JobMessage = match serde_json::from_slice(&message.payload) {
        Ok(job) => job,
        Err(error) => {
            dead_letter(context, 0, format!("undecodable job: {error}"), None).await?;
            acker.ack_with(AckKind::Term).await.map_err(js)?;
            return Ok(Handled::Next);
        }
    };
    let number = job.number;
    if circuit.last_delivery > 0 && delivered >= circuit.last_delivery {
        let reason = format!("{} deliveries without a proof", delivered - 1);
        dead_letter(context, number, reason, Some(job)).await?;
        acker.ack_with(AckKind::Term).await.map_err(js)?;
        return Ok(Handled::Next);
    }
    if job.verifying_key_hash != circuit.hash || job.size != circuit.prover.size() {
        tracing::error!(
            batch = number,
            wanted = %job.verifying_key_hash,
            held = %circuit.hash,
            "the job is for other keys; giving it back"
        );
        acker
            .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
            .await
            .map_err(js)?;
        return Ok(Handled::Next);
    }

    tracing::info!(batch = number, attempt = job.attempt, delivered, "proving");
    metrics.in_flight.set(1);
    let heartbeat = tokio::spawn({
        let (acker, every) = (acker.clone(), circuit.heartbeat);
        async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(error) = acker.ack_with(AckKind::Progress).await {
                    tracing::warn!(%error, "heartbeat");
                }
            }
        }
    });
    let prover = circuit.prover.clone();
    let attempt = job.attempt;
    let proving = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        prover
            .prove(job.witness, &mut rand::rngs::OsRng)
            .map(|(proof, _)| (proof, started.elapsed().as_secs_f64()))
    });
    let outcome = tokio::select! {
        _ = &mut *shutdown => None,
        proven = proving => Some(proven.expect("proving does not panic")),
    };
    heartbeat.abort();
    metrics.in_flight.set(0);
    match outcome {
        None => {
            acker.ack_with(AckKind::Nak(None)).await.map_err(js)?;
            tracing::info!(batch = number, "stopping; the job goes back to the queue");
            Ok(Handled::Stopped)
        }
        Some(Ok((proof, proving_seconds))) => {
            let mut bytes = Vec::new();
            proof
                .serialize_compressed(&mut bytes)
                .expect("writing to a Vec");
            let result = ResultMessage {
                number,
                attempt,
                verifying_key_hash: circuit.hash.clone(),
                proof: hex::encode(bytes),
                proving_seconds,
                worker: config.name.clone(),
            };
            publish_json(context, RESULTS_SUBJECT.into(), &result).await?;
            acker.double_ack().await.map_err(js)?;
            metrics.done.inc();
            metrics.proving_seconds.observe(proving_seconds);
            tracing::info!(batch = number, proving_seconds, "proof published");
            Ok(Handled::Next)
        }
        Some(Err(error)) => {
            metrics.failed.inc();
            tracing::error!(batch = number, %error, "proving failed; giving the job back");
            acker
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await
                .map_err(js)?;
            Ok(Handled::Next)
        }
    }
}
