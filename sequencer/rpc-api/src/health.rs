//! The health of a node's pipeline stages as `verity_chainInfo` reports it. The node keeps
//! and updates it; these are only its wire form.

use serde::{Deserialize, Serialize};

/// A stage of the node's pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The sequencer thread (acknowledges transactions, closes batches).
    Sequencer,
    /// The materializer thread (seals closed batches, builds proving jobs).
    Materializer,
    /// The proving pipeline (local pool or the fleet's queue).
    Prover,
    /// The L1 watcher (deposits, forced exits, tokens).
    Watcher,
    /// The L1 submitter.
    Submitter,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 5] = [
        Stage::Sequencer,
        Stage::Materializer,
        Stage::Prover,
        Stage::Watcher,
        Stage::Submitter,
    ];

    /// How logs and messages name it.
    pub fn name(&self) -> &'static str {
        match self {
            Stage::Sequencer => "sequencer",
            Stage::Materializer => "materializer",
            Stage::Prover => "proving pipeline",
            Stage::Watcher => "L1 watcher",
            Stage::Submitter => "L1 submitter",
        }
    }
}

/// What a stage is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// Working.
    Running,
    /// Its last attempt failed with a transient error; it tries again.
    Retrying,
    /// Not run by this node (e.g. local proving turned off).
    Off,
    /// It stopped for good; the node stops.
    Failed,
}

/// One stage's health as `verity_chainInfo` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageHealth {
    /// What it is doing.
    pub status: StageStatus,
    /// The last error (kept while `retrying` or `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Consecutive failed attempts (0 once it succeeds again).
    #[serde(default)]
    pub failures: u64,
    /// When the status last changed, seconds since the Unix epoch.
    pub since: u64,
}
