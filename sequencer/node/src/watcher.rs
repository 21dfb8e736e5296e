//! The L1 watcher: reads the Rollup contract's token registrations, deposits and forced exits
//! once they are `confirmations` blocks deep, checks each operation against the contract's
//! rolling hash at that block (so an operation the node decoded wrongly, or one from a chain
//! that was reorganised away, is never handed on), and hands them to the sequencer in
//! queue order. L1 errors are transient (an endpoint restarting, a reorg under the scan): the
//! watcher retries them every poll, logging each and showing the last one in the node's
//! health, and never skips a block.

use std::time::Duration;

use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use verity_l1::contracts::Rollup;
use verity_l1::deployment::Deployment;
use verity_l1::events::{check_queue_hashes, decode, EventError, L1Events};
use verity_rpc_api::health::Stage;

use crate::health::Health;
use crate::sequencer::SequencerHandle;

/// The watcher's configuration.
#[derive(Clone, Debug)]
pub struct WatcherConfig {
    /// Blocks an event must be under the head before it counts.
    pub confirmations: u64,
    /// How often to poll the head.
    pub poll: Duration,
    /// Most blocks per log query.
    pub max_range: u64,
}

/// Watches until the sequencer stops.
pub async fn run(
    config: WatcherConfig,
    provider: DynProvider,
    deployment: Deployment,
    sequencer: SequencerHandle,
    health: Health,
) {
    loop {
        match poll(&config, &provider, &deployment, &sequencer).await {
            Ok(true) => health.running(Stage::Watcher),
            Ok(false) => return,
            Err(error) => {
                let failures = health.retrying(Stage::Watcher, &error);
                tracing::warn!(%error, failures, "L1 watcher; retrying");
            }
        }
        tokio::time::sleep(config.poll).await;
    }
}

/// One round; false when the sequencer is gone.
async fn poll(
    config: &WatcherConfig,
    provider: &DynProvider,
    deployment: &Deployment,
    sequencer: &SequencerHandle,
) -> Result<bool, EventError> {
    let Some(status) = sequencer.status().await else {
        return Ok(false);
    };
    let head = provider.get_block_number().await?;
    let confirmed = head.saturating_sub(config.confirmations);
    let from = status
        .l1_scanned
        .max(deployment.deployment_block.saturating_sub(1))
        + 1;
    if confirmed < from {
        return Ok(true);
    }
    let to = confirmed.min(from + config.max_range - 1);
    let filter = Filter::new()
        .address(deployment.rollup)
        .from_block(from)
        .to_block(to)
        .event_signature(vec![
            Rollup::TokenRegistered::SIGNATURE_HASH,
            Rollup::DepositQueued::SIGNATURE_HASH,
            Rollup::ForcedExitQueued::SIGNATURE_HASH,
        ]);
    let logs = provider.get_logs(&filter).await?;
    let mut events = L1Events {
        scanned_to: to,
        ..L1Events::default()
    };
    for log in &logs {
        decode(log, &mut events)?;
    }
    events.ops.sort_by_key(|(index, _)| *index);
    events.tokens.sort_by_key(|(id, _)| *id);
    check_queue_hashes(provider, deployment, &events, to).await?;
    Ok(sequencer.l1_events(events))
}
