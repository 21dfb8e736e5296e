//! The materializer: seals the batches the sequencer closed. The sequencer acknowledges on an
//! accounts-only state (no hashing on the acknowledgement path); this thread holds the full
//! state with its tree, re-executes each closed batch in order (signatures verified in
//! parallel), computes roots, pubdata and commitment, builds the witness (the proving job)
//! and writes batch, job and changed accounts in one synced write.

use std::collections::BTreeSet;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tokio::sync::broadcast;
use verity_circuits::batch::{BatchBuilder, BatchError};
use verity_circuits::circuit::{BatchWitness, WitnessError};
use verity_circuits::ops::{ExecutedOp, PriorityOp};
use verity_circuits::state::State;

use super::events::{BatchEvent, BatchStatus};
use super::store::{BatchRecord, ContentsRecord, Store, StoreError};
use super::unix_now;

/// Why materializing stopped: the node must stop.
#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A closed batch does not re-execute as the sequencer executed it.
    #[error("batch {batch}: {reason}")]
    Diverged {
        /// The batch.
        batch: u64,
        /// What differs.
        reason: String,
    },
}

fn diverged(batch: u64, reason: impl ToString) -> MaterializeError {
    MaterializeError::Diverged {
        batch,
        reason: reason.to_string(),
    }
}

/// Re-executes a closed batch on `state` (signatures verified in parallel against `pre`, the
/// state before it) and returns the builder, ready to seal or finish.
pub fn execute<'s>(
    state: &'s mut State,
    pre: &State,
    record: &ContentsRecord,
) -> Result<BatchBuilder<'s>, MaterializeError> {
    let contents = &record.contents;
    let number = contents.number;
    let signatures: Vec<_> = contents
        .ops
        .par_iter()
        .map(|op| match op {
            ExecutedOp::L2 { tx } => Some(pre.verify_signature(tx)),
            _ => None,
        })
        .collect();
    let mut builder = BatchBuilder::new(
        state,
        record.size.batch_params(),
        number,
        record.priority_before,
        record.fee_accounts.clone(),
    );
    for (op, signature) in contents.ops.iter().zip(signatures) {
        let pushed: Result<ExecutedOp, BatchError> = match (op, signature) {
            (ExecutedOp::L2 { tx }, Some(signed)) => {
                let signed = signed.map_err(|e| diverged(number, e))?;
                builder
                    .push_signed(&signed)
                    .map(|_| ExecutedOp::L2 { tx: *tx })
            }
            (ExecutedOp::Deposit { deposit, .. }, _) => {
                builder.push_priority(&PriorityOp::Deposit(*deposit))
            }
            (ExecutedOp::ForcedExit { exit, .. }, _) => {
                builder.push_priority(&PriorityOp::ForcedExit(*exit))
            }
            (other, _) => return Err(diverged(number, format!("unexpected {other:?}"))),
        };
        let executed = pushed.map_err(|e| diverged(number, e))?;
        if executed != *op {
            return Err(diverged(number, format!("{op:?} executed as {executed:?}")));
        }
    }
    Ok(builder)
}

/// Registers the tokens a closed batch may use.
pub fn register_tokens(state: &mut State, record: &ContentsRecord) {
    while state.token_count() < record.tokens {
        state.register_token();
    }
}

/// Re-executes a closed batch on `state` and seals it; returns the batch record and its
/// witness.
pub fn materialize(
    state: &mut State,
    record: &ContentsRecord,
) -> Result<(BatchRecord, BatchWitness), MaterializeError> {
    let number = record.contents.number;
    register_tokens(state, record);
    let pre_state = state.clone();
    let batch = execute(state, &pre_state, record)?.seal_as(record.size.batch_params());
    if batch.fee_slots != record.contents.fee_slots
        || batch.header.priority_after != record.contents.priority_after
    {
        return Err(diverged(number, "fees or priority queue differ"));
    }
    let witness = BatchWitness::build(&pre_state, &batch, record.size)
        .map_err(|e: WitnessError| diverged(number, e))?;
    Ok((
        BatchRecord {
            size: record.size,
            batch,
            sealed_at: unix_now(),
        },
        witness,
    ))
}

/// Materializes closed batches as they come; `wake` is signalled after each close.
pub fn run(
    store: Store,
    mut state: State,
    wake: Receiver<()>,
    events: broadcast::Sender<BatchEvent>,
) -> Result<(), MaterializeError> {
    loop {
        let next = store.materialized()? + 1;
        let Some(record) = store.contents(next)? else {
            match wake.recv_timeout(Duration::from_millis(500)) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        };
        let started = Instant::now();
        let (batch, witness) = materialize(&mut state, &record)?;
        let mut touched = BTreeSet::new();
        for slot in &witness.slots {
            touched.extend([slot.first.index, slot.second.index]);
        }
        touched.extend(witness.fees.iter().map(|fee| fee.update.index));
        let mut writer = store.writer();
        for index in touched {
            if let Some(account) = state.account(index) {
                writer.account(index, account);
            }
        }
        writer.sealed(&batch, &witness);
        writer.materialized(next);
        writer.commit(true)?;
        let ops = record.contents.ops.len();
        tracing::info!(
            batch = next,
            slots = record.size.slots,
            ops,
            seal_ms = started.elapsed().as_millis() as u64,
            "batch executed"
        );
        let _ = events.send(BatchEvent {
            number: next,
            status: BatchStatus::Executed,
            proving_seconds: None,
            l1_tx_hash: None,
        });
    }
}
