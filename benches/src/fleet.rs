//! `verity-bench fleet`: proving throughput of the fleet with 1, 2, … `verity prover`
//! workers, each pinned to its own core (`taskset`, one rayon thread), on the same random
//! full batches: a local nats-server, the jobs queued at once, every proof verified.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use ark_bn254::Bn254;
use ark_groth16::Proof;
use ark_serialize::CanonicalDeserialize;
use async_nats::jetstream;
use clap::Args;
use futures::StreamExt;
use serde_json::json;
use verity_circuits::circuit::BatchWitness;
use verity_circuits::ops::OpType;
use verity_fleet::{ensure_layout, job_subject, JobMessage, QueueConfig, ResultMessage};
use verity_prover::KeyDirectory;

use verity_sequencer::out;
use verity_tests::nats::NatsServer;
use verity_tests::workload::Workload;

/// `verity-bench fleet` arguments.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// A key directory from `verity setup`.
    #[arg(long)]
    keys: PathBuf,
    /// Batches proven in each run.
    #[arg(long, default_value_t = 8)]
    batches: usize,
    /// Worker counts to compare.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    workers: Vec<usize>,
    /// The `verity` binary whose `verity prover` workers are measured (default: the one built
    /// beside this benchmark).
    #[arg(long)]
    verity: Option<PathBuf>,
}

/// Runs `verity-bench fleet`; prints JSON.
pub fn run(args: FleetArgs) -> anyhow::Result<()> {
    let keys = KeyDirectory::new(&args.keys);
    let metadata = keys.metadata()?;
    let verifying_key = keys.verifying_key()?;
    let size = metadata.size;
    let mut workload = Workload::new(size.depth, 64, 7);
    let mut jobs = Vec::new();
    let mut transfers = 0;
    for _ in 0..args.batches {
        let (batch, witness) = workload.next_batch(size)?;
        transfers += batch
            .ops
            .iter()
            .filter(|op| op.op_type() == OpType::Transfer)
            .count();
        jobs.push(witness);
    }
    let operations = args.batches * size.slots;
    let pinned = Command::new("taskset").arg("-V").output().is_ok();
    let verity = match args.verity {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("verity"),
    };
    ensure!(
        verity.is_file(),
        "{} is missing: build the `verity` binary (scripts/verity does) or pass --verity",
        verity.display()
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let mut runs = Vec::new();
    for &workers in &args.workers {
        eprintln!("{workers} worker(s), {} batches", args.batches);
        let seconds = runtime.block_on(prove_all(
            &verity,
            &args.keys,
            &metadata.verifying_key_hash,
            &verifying_key,
            &jobs,
            workers,
            pinned,
        ))?;
        runs.push(json!({
            "workers": workers,
            "seconds": seconds,
            "batches_per_second": args.batches as f64 / seconds,
            "operations_per_second": operations as f64 / seconds,
            "transfers_per_second": transfers as f64 / seconds,
        }));
    }
    let speedup = runs.last().zip(runs.first()).map(|(last, first)| {
        first["seconds"].as_f64().unwrap_or(0.0) / last["seconds"].as_f64().unwrap_or(1.0)
    });
    let report = json!({
        "size": size,
        "batches": args.batches,
        "operations": operations,
        "transfers": transfers,
        "pinned_one_core_each": pinned,
        "runs": runs,
        "speedup_last_over_first": speedup,
    });
    out!("{}", serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

/// Kills the workers when dropped.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `count` `verity prover` workers on a fresh broker, queues every job once they are all pulling,
/// and returns the seconds until every proof came back verified.
async fn prove_all(
    verity: &std::path::Path,
    keys: &std::path::Path,
    key_hash: &str,
    verifying_key: &ark_groth16::VerifyingKey<Bn254>,
    jobs: &[BatchWitness],
    count: usize,
    pinned: bool,
) -> anyhow::Result<f64> {
    let server = NatsServer::start().context("starting nats-server")?;
    let context = jetstream::new(async_nats::connect(&server.url).await?);
    let slots = jobs[0].size.slots;
    let config = QueueConfig {
        ack_wait: Duration::from_secs(120),
        ..QueueConfig::new(server.url.clone())
    };
    let mut layout = ensure_layout(&context, &config, &[slots]).await?;

    let mut workers = Workers(Vec::new());
    for core in 0..count {
        let mut command = if pinned {
            let mut taskset = Command::new("taskset");
            taskset.args(["-c", &core.to_string()]).arg(verity);
            taskset
        } else {
            Command::new(verity)
        };
        command
            .args(["prover", "--nats", &server.url, "--keys"])
            .arg(keys)
            .args(["--name", &format!("bench-{core}")])
            .env("RAYON_NUM_THREADS", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        workers.0.push(command.spawn()?);
    }
    let jobs_consumer = &mut layout.job_consumers[0];
    let deadline = Instant::now() + Duration::from_secs(120);
    while jobs_consumer.info().await?.num_waiting < count {
        ensure!(
            Instant::now() < deadline,
            "the workers did not start pulling"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let started = Instant::now();
    for (index, witness) in jobs.iter().enumerate() {
        let job = JobMessage {
            number: index as u64 + 1,
            attempt: 1,
            verifying_key_hash: key_hash.to_owned(),
            size: witness.size,
            witness: witness.clone(),
        };
        context
            .publish(
                job_subject(slots, job.number),
                serde_json::to_vec(&job)?.into(),
            )
            .await?
            .await?;
    }
    let mut messages = layout.results.messages().await?;
    let mut proven = vec![false; jobs.len()];
    while proven.iter().any(|done| !done) {
        let message = messages.next().await.context("results ended")??;
        let result: ResultMessage = serde_json::from_slice(&message.payload)?;
        let index = (result.number - 1) as usize;
        let proof = Proof::<Bn254>::deserialize_compressed(hex::decode(&result.proof)?.as_slice())?;
        ensure!(
            verity_prover::verify(verifying_key, &proof, &jobs[index].public_inputs()),
            "batch {} came back with an invalid proof",
            result.number
        );
        proven[index] = true;
        message.ack().await.map_err(|e| anyhow::anyhow!(e))?;
    }
    Ok(started.elapsed().as_secs_f64())
}
