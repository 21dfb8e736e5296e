//! The health of the node's pipeline stages. Every stage reports here; `verity_chainInfo`
//! serves a snapshot. A stage that cannot go on (the sequencer or the materializer failing,
//! the proving pipeline losing its database or failing one batch again and again, any stage's
//! task ending or panicking) makes the node *fail*: the first failure is kept, logged at
//! error level, and whoever runs the node ([`crate::Node::failure`]) stops the process with
//! it. A stage that meets a transient error (an L1 endpoint down) keeps retrying and shows
//! `retrying` with its last error until it succeeds again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use verity_rpc_api::health::{Stage, StageHealth, StageStatus};

use crate::unix_now;

/// A stage's health, `status` from now on.
fn stage_health(status: StageStatus) -> StageHealth {
    StageHealth {
        status,
        error: None,
        failures: 0,
        since: unix_now(),
    }
}

/// Why the node stopped: the first stage that failed, with its error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The stage.
    pub stage: Stage,
    /// Its error.
    pub error: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.stage.name(), self.error)
    }
}

impl std::error::Error for Failure {}

/// The stages' health, shared by every stage and the RPC.
#[derive(Clone, Debug)]
pub struct Health {
    stages: Arc<Mutex<BTreeMap<Stage, StageHealth>>>,
    failure: watch::Sender<Option<Failure>>,
}

impl Default for Health {
    fn default() -> Health {
        Health::new()
    }
}

impl Health {
    /// Every stage running.
    pub fn new() -> Health {
        let stages = Stage::ALL
            .into_iter()
            .map(|stage| (stage, stage_health(StageStatus::Running)))
            .collect();
        Health {
            stages: Arc::new(Mutex::new(stages)),
            failure: watch::channel(None).0,
        }
    }

    fn update(&self, stage: Stage, change: impl FnOnce(&mut StageHealth)) {
        let mut stages = self.stages.lock().unwrap_or_else(|e| e.into_inner());
        let health = stages
            .entry(stage)
            .or_insert_with(|| stage_health(StageStatus::Running));
        let before = health.status;
        change(health);
        if health.status != before {
            health.since = unix_now();
        }
    }

    /// `stage` made progress (or at least its last attempt succeeded).
    pub fn running(&self, stage: Stage) {
        self.update(stage, |health| {
            if health.status == StageStatus::Retrying {
                tracing::info!(stage = stage.name(), "recovered");
            }
            if health.status != StageStatus::Failed {
                health.status = StageStatus::Running;
                health.error = None;
                health.failures = 0;
            }
        });
    }

    /// `stage` is not run by this node.
    pub fn off(&self, stage: Stage) {
        self.update(stage, |health| health.status = StageStatus::Off);
    }

    /// `stage` met a transient error and tries again; returns its consecutive failures.
    pub fn retrying(&self, stage: Stage, error: impl std::fmt::Display) -> u64 {
        let mut failures = 0;
        self.update(stage, |health| {
            if health.status != StageStatus::Failed {
                health.status = StageStatus::Retrying;
                health.error = Some(error.to_string());
                health.failures += 1;
                failures = health.failures;
            }
        });
        failures
    }

    /// `stage` cannot go on: the node stops. Only the first failure is kept as the node's.
    pub fn failed(&self, stage: Stage, error: impl std::fmt::Display) {
        let error = error.to_string();
        tracing::error!(stage = stage.name(), %error, "stage failed; the node stops");
        self.update(stage, |health| {
            health.status = StageStatus::Failed;
            health.error = Some(error.clone());
            health.failures += 1;
        });
        self.failure.send_if_modified(|failure| {
            if failure.is_some() {
                return false;
            }
            *failure = Some(Failure { stage, error });
            true
        });
    }

    /// Every stage's health.
    pub fn snapshot(&self) -> BTreeMap<Stage, StageHealth> {
        self.stages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The failure that stopped the node, if one did.
    pub fn failure(&self) -> Option<Failure> {
        self.failure.borrow().clone()
    }

    /// Completes when a stage fails, with the first failure.
    pub async fn failed_with(&self) -> Failure {
        let mut receiver = self.failure.subscribe();
        let failure = receiver
            .wait_for(Option::is_some)
            .await
            .expect("the sender lives in self");
        failure.clone().expect("waited for a failure")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_is_the_nodes_and_a_failed_stage_stays_failed() {
        let health = Health::new();
        assert_eq!(health.retrying(Stage::Watcher, "connection refused"), 1);
        assert_eq!(health.retrying(Stage::Watcher, "connection refused"), 2);
        let watcher = &health.snapshot()[&Stage::Watcher];
        assert_eq!(watcher.status, StageStatus::Retrying);
        assert_eq!(watcher.error.as_deref(), Some("connection refused"));
        health.running(Stage::Watcher);
        assert_eq!(health.snapshot()[&Stage::Watcher].failures, 0);
        assert!(health.failure().is_none());

        health.failed(Stage::Materializer, "batch 2: diverged");
        health.failed(Stage::Prover, "later");
        health.running(Stage::Materializer);
        let failure = health.failure().unwrap();
        assert_eq!(failure.stage, Stage::Materializer);
        assert_eq!(
            failure.to_string(),
            "materializer failed: batch 2: diverged"
        );
        assert_eq!(
            health.snapshot()[&Stage::Materializer].status,
            StageStatus::Failed
        );
        let json = serde_json::to_value(health.snapshot()).unwrap();
        assert_eq!(json["materializer"]["status"], "failed");
        assert_eq!(json["sequencer"]["status"], "running");
        assert!(json["sequencer"].get("error").is_none());
    }

    #[tokio::test]
    async fn failed_with_completes_on_the_first_failure() {
        let health = Health::new();
        let waiting = tokio::spawn({
            let health = health.clone();
            async move { health.failed_with().await }
        });
        tokio::task::yield_now().await;
        health.failed(Stage::Sequencer, "disk full");
        let failure = waiting.await.unwrap();
        assert_eq!(failure.stage, Stage::Sequencer);
    }
}
