//! The L1 watcher: reads the Rollup contract's token registrations, deposits and forced exits
//! once they are `confirmations` blocks deep, checks each operation against the contract's
//! rolling hash at that block (so an operation the node decoded wrongly, or one from a chain
//! that was reorganised away, is never handed on), and hands them to the sequencer in
//! queue order. L1 errors are transient (an endpoint restarting, a reorg under the scan): the
//! watcher retries them every poll, logging each and showing the last one in the node's
//! health, and never skips a block.

use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::U256;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use verity_circuits::babyjubjub::Point;
use verity_circuits::eddsa::PublicKey;
use verity_circuits::field::fr_from_be_bytes;
use verity_circuits::ops::{Deposit, ForcedExit, PriorityOp};
use verity_circuits::Fr;

use super::health::{Health, Stage};
use super::sequencer::{L1Events, SequencerHandle};
use crate::l1::contracts::{word, Rollup};
use crate::l1::deploy::Deployment;

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

/// An L1 read failed.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The node refused or could not be reached.
    #[error("L1 transport: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A contract call failed.
    #[error("L1 call: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// An event does not decode.
    #[error("L1 event: {0}")]
    Event(String),
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
) -> Result<bool, WatchError> {
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

pub(crate) fn decode(log: &Log, events: &mut L1Events) -> Result<(), WatchError> {
    let bad = |e: alloy::sol_types::Error| WatchError::Event(e.to_string());
    match log.topic0() {
        Some(&Rollup::TokenRegistered::SIGNATURE_HASH) => {
            let event = log.log_decode::<Rollup::TokenRegistered>().map_err(bad)?;
            events.tokens.push((event.inner.id, event.inner.token));
        }
        Some(&Rollup::DepositQueued::SIGNATURE_HASH) => {
            let event = log
                .log_decode::<Rollup::DepositQueued>()
                .map_err(bad)?
                .inner
                .data;
            let point = Point::new(field(event.pubkeyX)?, field(event.pubkeyY)?)
                .map_err(|_| WatchError::Event("deposit key off the curve".into()))?;
            let op = PriorityOp::Deposit(Deposit {
                pubkey: PublicKey(point),
                l1_address: event.depositor,
                token: event.token,
                amount: event.amount,
            });
            events.ops.push((index(event.index)?, op));
        }
        Some(&Rollup::ForcedExitQueued::SIGNATURE_HASH) => {
            let event = log
                .log_decode::<Rollup::ForcedExitQueued>()
                .map_err(bad)?
                .inner
                .data;
            let op = PriorityOp::ForcedExit(ForcedExit {
                account: event.account,
                token: event.token,
                requester: event.requester,
            });
            events.ops.push((index(event.index)?, op));
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn field(value: U256) -> Result<Fr, WatchError> {
    fr_from_be_bytes(&value.to_be_bytes())
        .ok_or_else(|| WatchError::Event("value outside the field".into()))
}

fn index(value: U256) -> Result<u64, WatchError> {
    u64::try_from(value).map_err(|_| WatchError::Event("queue index beyond 2^64".into()))
}

/// Refuses a batch of operations whose rolling hash differs from the contract's at `block`.
async fn check_queue_hashes(
    provider: &DynProvider,
    deployment: &Deployment,
    events: &L1Events,
    block: u64,
) -> Result<(), WatchError> {
    let Some((first, _)) = events.ops.first() else {
        return Ok(());
    };
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let at = BlockId::number(block);
    let mut hash = rollup
        .priorityHashAt(U256::from(*first))
        .block(at)
        .call()
        .await?;
    for (index, op) in &events.ops {
        let expected = rollup
            .priorityHashAt(U256::from(index + 1))
            .block(at)
            .call()
            .await?;
        hash = word(&op.chain(field(hash)?));
        if hash != expected {
            return Err(WatchError::Event(format!(
                "queued operation {index} does not match the contract's rolling hash"
            )));
        }
    }
    Ok(())
}
