//! The prover fleet with a real nats-server (JetStream) and real `verity prover` processes,
//! against a node on anvil: two workers prove two batches at the same time; a worker killed
//! mid-proof has its job redelivered to another; a garbage proof is rejected and the batch
//! proven again; a node restarted with jobs in flight loses nothing, submits nothing twice
//! and keeps L1 order.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use ark_bn254::Bn254;
use ark_groth16::Proof;
use ark_serialize::CanonicalSerialize;
use async_nats::jetstream;
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use verity_fleet::metrics::FleetMetrics;
use verity_fleet::queue::FleetProving;
use verity_fleet::{job_consumer, JobMessage, QueueConfig, ResultMessage};
use verity_l1::contracts::Rollup;
use verity_node::Node;
use verity_prover::keys::verifying_key_hash;
use verity_prover::{BatchProver, KeyDirectory};
use verity_rpc_api::VerityApiClient;
use verity_tests::nats::NatsServer;

use crate::support::node::*;
use crate::support::*;

/// anvil with Verity deployed for keys written to disk by `verity setup`, and a nats-server.
struct Fleet {
    chain: Chain,
    prover: BatchProver,
    keys: tempfile::TempDir,
    data: tempfile::TempDir,
    nats: NatsServer,
}

async fn fleet() -> Fleet {
    let _ = tracing_subscriber::fmt()
        // Only Verity's: arkworks' spans would format whole constraint systems.
        .with_env_filter("verity_node=info,verity_fleet=info")
        .with_test_writer()
        .try_init();
    let keys = tempfile::tempdir().unwrap();
    let setup = std::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args([
            "setup",
            "--slots",
            "2",
            "--depth",
            "4",
            "--fee-slots",
            "1",
            "--out",
        ])
        .arg(keys.path())
        .output()
        .unwrap();
    assert!(setup.status.success(), "{setup:?}");
    let (metadata, key) = KeyDirectory::new(keys.path()).proving_key().unwrap();
    assert_eq!(metadata.size, SIZE);
    let prover = BatchProver::new(SIZE, key).unwrap();
    let chain = chain(&prover, 3600).await;
    Fleet {
        chain,
        prover,
        keys,
        data: tempfile::tempdir().unwrap(),
        nats: NatsServer::start().expect("nats-server (installed by scripts/setup.sh)"),
    }
}

impl Fleet {
    /// A node proving through the queue; `ack_wait` before a silent worker's job moves on.
    async fn node(&self, ack_wait: Duration, metrics: &FleetMetrics) -> Node {
        let proving = FleetProving {
            queue: QueueConfig {
                ack_wait,
                max_attempts: 3,
                poll: Duration::from_millis(100),
                ..QueueConfig::new(self.nats.url.clone())
            },
            verifying_keys: vec![(SIZE, self.prover.verifying_key().clone())],
            metrics: metrics.clone(),
        };
        start_node_with(
            &self.chain.deployment,
            self.chain.provider.clone(),
            Box::new(proving),
            self.data.path(),
            0,
            300,
        )
        .await
    }

    /// A `verity prover` process named `name`, on `threads` threads.
    fn worker(&self, name: &str, threads: usize) -> Worker {
        Worker::spawn(&self.nats.url, self.keys.path(), name, threads)
    }

    /// Deposits for `count` new accounts (two fill a batch).
    async fn deposits(&self, first_key: u8, count: u8) {
        let owner = self.chain.anvil.addresses()[1];
        for byte in first_key..first_key + count {
            deposit(&self.chain.rollup, &eth_deposit(&key(byte), owner, 1_000)).await;
        }
    }

    /// Waits until every executed batch is final on L1; their count.
    async fn all_final(&self, node: &Node, at_least: u64) -> u64 {
        let rpc = client(node);
        eventually(300, "every batch final on L1", || async {
            let info = rpc.chain_info().await.ok()?;
            (info.latest_executed >= at_least && info.latest_finalized == info.latest_executed)
                .then_some(info.latest_finalized)
        })
        .await
    }

    /// The worker that proved batch `number`.
    async fn prover_of(&self, node: &Node, number: u64) -> String {
        let batch = client(node).get_batch(number).await.unwrap();
        batch.proof.expect("a final batch has its proof").prover
    }
}

/// A worker process and the log lines it writes, with when they arrived.
struct Worker {
    child: tokio::process::Child,
    lines: mpsc::UnboundedReceiver<(Instant, String)>,
    seen: Vec<(Instant, String)>,
}

impl Worker {
    fn spawn(url: &str, keys: &Path, name: &str, threads: usize) -> Worker {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_verity"))
            .args(["prover", "--nats", url, "--name", name, "--keys"])
            .arg(keys)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env("RAYON_NUM_THREADS", threads.to_string())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let (sender, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                // Shown when a test fails.
                eprintln!("[worker] {line}");
                if sender.send((Instant::now(), line)).is_err() {
                    return;
                }
            }
        });
        Worker {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Takes the lines written so far.
    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }

    /// Waits for a log line containing `text`; when it arrived.
    async fn wait_for(&mut self, text: &str) -> Instant {
        if let Some((at, _)) = self.seen.iter().find(|(_, line)| line.contains(text)) {
            return *at;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        loop {
            let (at, line) = tokio::time::timeout_at(deadline, self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("the worker never logged {text:?}"))
                .unwrap_or_else(|| panic!("the worker exited before logging {text:?}"));
            self.seen.push((at, line.clone()));
            if line.contains(text) {
                return at;
            }
        }
    }
}

/// `GET /metrics` from `metrics` served on a free port.
async fn scrape(metrics: &FleetMetrics) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = metrics.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: verity\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// Every `BatchFinalized` on L1, in log order.
async fn finalized_on_l1(chain: &Chain) -> Vec<u64> {
    let filter = Filter::new()
        .address(chain.deployment.rollup)
        .from_block(0)
        .event_signature(Rollup::BatchFinalized::SIGNATURE_HASH);
    chain
        .provider
        .get_logs(&filter)
        .await
        .unwrap()
        .iter()
        .map(|log| {
            log.log_decode::<Rollup::BatchFinalized>()
                .unwrap()
                .inner
                .number
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_prove_two_batches_at_the_same_time() {
    let fleet = fleet().await;
    let metrics = FleetMetrics::default();
    let node = fleet.node(Duration::from_secs(30), &metrics).await;
    let mut workers = [fleet.worker("a", 1), fleet.worker("b", 1)];
    for worker in &mut workers {
        worker.wait_for("waiting for jobs").await;
    }
    fleet.deposits(1, 4).await;
    let batches = fleet.all_final(&node, 2).await;

    let mut provers = Vec::new();
    for number in 1..=batches {
        provers.push(fleet.prover_of(&node, number).await);
    }
    assert!(
        provers.contains(&"a".to_owned()) && provers.contains(&"b".to_owned()),
        "{provers:?}"
    );
    let [a, b] = &mut workers;
    let (a_start, a_end) = (
        a.wait_for("proving").await,
        a.wait_for("proof published").await,
    );
    let (b_start, b_end) = (
        b.wait_for("proving").await,
        b.wait_for("proof published").await,
    );
    assert!(
        a_start < b_end && b_start < a_end,
        "the two proofs overlapped in time"
    );
    assert_eq!(metrics.done.get(), batches);
    assert_eq!(metrics.failed.get(), 0);
    assert_eq!(
        finalized_on_l1(&fleet.chain).await,
        (1..=batches).collect::<Vec<_>>()
    );
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_proof_has_its_job_redelivered() {
    let fleet = fleet().await;
    let metrics = FleetMetrics::default();
    let node = fleet.node(Duration::from_secs(2), &metrics).await;
    let mut doomed = fleet.worker("doomed", 1);
    doomed.wait_for("waiting for jobs").await;
    fleet.deposits(1, 2).await;
    doomed.wait_for("proving").await;
    doomed.child.kill().await.unwrap();

    // The killed worker's job comes back to the survivor as its second delivery.
    let mut survivor = fleet.worker("survivor", 2);
    survivor
        .wait_for("proving batch=1 attempt=1 delivered=2")
        .await;
    let batches = fleet.all_final(&node, 1).await;
    assert_eq!(fleet.prover_of(&node, 1).await, "survivor");
    assert_eq!(
        finalized_on_l1(&fleet.chain).await,
        (1..=batches).collect::<Vec<_>>()
    );
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_proof_is_rejected_and_the_batch_proven_again() {
    let fleet = fleet().await;
    let metrics = FleetMetrics::default();
    let node = fleet.node(Duration::from_secs(30), &metrics).await;
    fleet.deposits(1, 2).await;

    // A dishonest worker takes the job and answers with a well-formed proof of nothing.
    let context = jetstream::new(async_nats::connect(&fleet.nats.url).await.unwrap());
    let consumer: jetstream::consumer::PullConsumer = eventually(60, "the jobs consumer", || {
        let context = context.clone();
        async move {
            let stream = context.get_stream("VERITY_JOBS").await.ok()?;
            stream.get_consumer(&job_consumer(SIZE.slots)).await.ok()
        }
    })
    .await;
    let message = eventually(60, "a job", || async {
        let mut fetched = consumer.fetch().max_messages(1).messages().await.ok()?;
        fetched.next().await?.ok()
    })
    .await;
    let job: JobMessage = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(
        job.verifying_key_hash,
        verifying_key_hash(fleet.prover.verifying_key())
    );
    let mut garbage = Vec::new();
    Proof::<Bn254>::default()
        .serialize_compressed(&mut garbage)
        .unwrap();
    let result = ResultMessage {
        number: job.number,
        attempt: job.attempt,
        verifying_key_hash: job.verifying_key_hash.clone(),
        proof: hex::encode(garbage),
        proving_seconds: 0.1,
        worker: "liar".into(),
    };
    context
        .publish(
            "verity.results",
            serde_json::to_vec(&result).unwrap().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    message.double_ack().await.unwrap();
    eventually(60, "the garbage proof rejected", || async {
        (metrics.failed.get() == 1).then_some(())
    })
    .await;
    let scraped = scrape(&metrics).await;
    assert!(
        scraped.contains("verity_fleet_jobs_failed_total 1"),
        "{scraped}"
    );

    let mut honest = fleet.worker("honest", 2);
    let batches = fleet.all_final(&node, 1).await;
    honest.wait_for("attempt=2").await;
    assert_eq!(fleet.prover_of(&node, job.number).await, "honest");
    assert_eq!(
        finalized_on_l1(&fleet.chain).await,
        (1..=batches).collect::<Vec<_>>()
    );
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_with_jobs_in_flight_loses_nothing_and_keeps_l1_order() {
    let fleet = fleet().await;
    let metrics = FleetMetrics::default();
    let node = fleet.node(Duration::from_secs(30), &metrics).await;
    let mut worker = fleet.worker("w", 1);
    worker.wait_for("waiting for jobs").await;
    fleet.deposits(1, 2).await;
    worker.wait_for("proving").await;
    node.stop().await.unwrap();

    // While the node is down the proof lands in the results stream and more deposits queue
    // on L1.
    worker.wait_for("proof published").await;
    fleet.deposits(3, 2).await;
    let metrics = FleetMetrics::default();
    let node = fleet.node(Duration::from_secs(30), &metrics).await;
    let batches = fleet.all_final(&node, 2).await;
    assert_eq!(
        finalized_on_l1(&fleet.chain).await,
        (1..=batches).collect::<Vec<_>>()
    );
    let rollup = &fleet.chain.rollup;
    assert_eq!(rollup.batchNumber().call().await.unwrap(), batches);
    let rpc = client(&node);
    for byte in 1..=4 {
        assert_eq!(balance_of(&rpc, &key(byte)).await.unwrap().1, 1_000);
    }
    // The proof made while the node was down was used, not made again.
    worker.drain();
    assert_eq!(
        worker
            .seen
            .iter()
            .filter(|(_, line)| line.contains("proving batch=1 "))
            .count(),
        1
    );
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_by_sigterm_gives_its_job_back_at_once() {
    let fleet = fleet().await;
    let metrics = FleetMetrics::default();
    // A long acknowledgement wait: only the worker's own give-back can bring the job back soon.
    let node = fleet.node(Duration::from_secs(120), &metrics).await;
    let mut leaving = fleet.worker("leaving", 1);
    leaving.wait_for("waiting for jobs").await;
    fleet.deposits(1, 2).await;
    leaving.wait_for("proving batch=1 ").await;
    let pid = leaving.child.id().unwrap().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::time::timeout(Duration::from_secs(10), leaving.child.wait())
        .await
        .expect("the worker exits promptly")
        .unwrap();
    assert!(status.success(), "{status:?}");
    leaving.wait_for("the job goes back to the queue").await;

    let mut next = fleet.worker("next", 2);
    tokio::time::timeout(
        Duration::from_secs(60),
        next.wait_for("proving batch=1 attempt=1 delivered=2"),
    )
    .await
    .expect("redelivered long before the acknowledgement wait");
    fleet.all_final(&node, 1).await;
    assert_eq!(fleet.prover_of(&node, 1).await, "next");
    node.stop().await.unwrap();
}
