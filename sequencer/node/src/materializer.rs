//! The materializer: seals the batches the sequencer closed. The sequencer acknowledges on an
//! accounts-only state (no hashing on the acknowledgement path); this thread holds the full
//! state with its tree, re-executes each closed batch in order (signatures verified in
//! parallel, each under its sender's key at its point of the batch), computes roots, pubdata
//! and commitment, binds the pubdata where it will be published (calldata, or a blob whose
//! versioned hash the batch record keeps), builds the witness (the proving job) and writes
//! batch, job and changed accounts in one synced write.

use std::collections::BTreeSet;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tokio::sync::broadcast;
use verity_circuits::batch::{BatchBuilder, BatchError};
use verity_circuits::circuit::{BatchWitness, WitnessError};
use verity_circuits::merkle::BadDepth;
use verity_circuits::ops::{AccountIndex, ExecutedOp, PriorityOp};
use verity_circuits::state::{State, StateConfig, TxError};
use verity_l1::blob::{BatchBlob, BlobError};
use verity_rpc_api::events::{BatchEvent, BatchStatus};
use verity_storage::{BatchRecord, ContentsRecord, Store, StoreError};

use crate::publication::Publication;
use crate::unix_now;

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
        #[source]
        reason: ReexecutionError,
    },
    /// The batch's pubdata cannot be put in a blob (the node checks at start that every
    /// circuit's pubdata fits one).
    #[error("batch {batch}: {source}")]
    Blob {
        /// The batch.
        batch: u64,
        /// Why.
        source: BlobError,
    },
    /// The materializer thread panicked.
    #[error("materializer {0}")]
    Panicked(String),
}

/// What differs when a closed batch re-executes.
#[derive(Debug, thiserror::Error)]
pub enum ReexecutionError {
    /// The accounts-only state for the accounts the batch's deposits create cannot be made.
    #[error("the accounts its deposits create: {0}")]
    Depth(#[from] BadDepth),
    /// A deposit that creates an account is refused.
    #[error("deposit to account {account}: {source}")]
    Deposit {
        /// The account.
        account: AccountIndex,
        /// Why.
        source: TxError,
    },
    /// A signature does not verify under the sender's key at its point of the batch.
    #[error("signature: {0}")]
    Signature(TxError),
    /// An operation is refused.
    #[error(transparent)]
    Operation(#[from] BatchError),
    /// A record holds what no closed batch holds.
    #[error("unexpected {0:?}")]
    Unexpected(Box<ExecutedOp>),
    /// An operation executes otherwise than recorded.
    #[error("{recorded:?} executed as {executed:?}")]
    Executed {
        /// As the sequencer recorded it.
        recorded: Box<ExecutedOp>,
        /// As it executes now.
        executed: Box<ExecutedOp>,
    },
    /// The sealed batch's fee slots or queue position differ from the record.
    #[error("fees or priority queue differ")]
    FeesOrQueue,
    /// The witness cannot be built.
    #[error("witness: {0}")]
    Witness(#[from] WitnessError),
}

fn diverged(batch: u64, reason: impl Into<ReexecutionError>) -> MaterializeError {
    MaterializeError::Diverged {
        batch,
        reason: reason.into(),
    }
}

/// The accounts a batch's deposits create, in an accounts-only state of `pre`'s deployment
/// (nothing hashed): where the senders that do not exist in `pre` find their keys. `None`
/// when every sender exists in `pre`.
///
/// A sender's key at its point of the batch is its key in `pre` if it had an account there
/// (an account's key never changes), and otherwise the key of the deposit that created its
/// account earlier in the batch: accounts only appear in a batch through deposits. A
/// transaction that names an account created only later in the batch verifies here but is
/// refused when it is applied (the account does not exist yet), as it must be.
fn created_accounts(pre: &State, ops: &[ExecutedOp]) -> Result<Option<State>, ReexecutionError> {
    let unknown_sender = ops.iter().any(|op| match op {
        ExecutedOp::L2 { tx } => pre.account(tx.from()).is_none(),
        _ => false,
    });
    if !unknown_sender {
        return Ok(None);
    }
    let config = StateConfig {
        depth: pre.depth(),
        domain: *pre.domain(),
    };
    let mut created = State::new(config)?.accounts_only();
    while created.token_count() < pre.token_count() {
        created.register_token();
    }
    for op in ops {
        if let ExecutedOp::Deposit { account, deposit } = op {
            if pre.account(*account).is_none() && created.account(*account).is_none() {
                // An empty leaf: the deposit creates the account with its key.
                let effect = created.check_deposit(*account, deposit).map_err(|source| {
                    ReexecutionError::Deposit {
                        account: *account,
                        source,
                    }
                })?;
                created.commit(&effect);
            }
        }
    }
    Ok(Some(created))
}

/// Re-executes a closed batch on `state` (`pre`: the state before it) and returns the
/// builder, ready to seal or close. Signatures are verified in parallel, each under its
/// sender's key at its point of the batch: the key in `pre`, or that of the deposit earlier in
/// the batch that created the sender's account.
pub fn execute<'s>(
    state: &'s mut State,
    pre: &State,
    record: &ContentsRecord,
) -> Result<BatchBuilder<'s>, MaterializeError> {
    let contents = &record.contents;
    let number = contents.number;
    let created = created_accounts(pre, &contents.ops).map_err(|e| diverged(number, e))?;
    let signatures: Vec<_> = contents
        .ops
        .par_iter()
        .map(|op| match op {
            ExecutedOp::L2 { tx } => {
                let keys = match &created {
                    Some(created) if pre.account(tx.from()).is_none() => created,
                    _ => pre,
                };
                Some(keys.verify_signature(tx))
            }
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
                let signed =
                    signed.map_err(|e| diverged(number, ReexecutionError::Signature(e)))?;
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
            (other, _) => {
                let other = Box::new(*other);
                return Err(diverged(number, ReexecutionError::Unexpected(other)));
            }
        };
        let executed = pushed.map_err(|e| diverged(number, e))?;
        if executed != *op {
            let reason = ReexecutionError::Executed {
                recorded: Box::new(*op),
                executed: Box::new(executed),
            };
            return Err(diverged(number, reason));
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

/// Re-executes a closed batch on `state` and seals it, its pubdata bound for `publication`;
/// returns the batch record and its witness.
pub fn materialize(
    state: &mut State,
    record: &ContentsRecord,
    publication: Publication,
) -> Result<(BatchRecord, BatchWitness), MaterializeError> {
    let number = record.contents.number;
    register_tokens(state, record);
    let pre_state = state.clone();
    let mut batch = execute(state, &pre_state, record)?.seal_as(record.size.batch_params());
    if batch.fee_slots != record.contents.fee_slots
        || batch.header.priority_after != record.contents.priority_after
    {
        return Err(diverged(number, ReexecutionError::FeesOrQueue));
    }
    let blob = match publication {
        Publication::Calldata => None,
        Publication::Blob => {
            let blob = BatchBlob::new(&batch.pubdata).map_err(|source| MaterializeError::Blob {
                batch: number,
                source,
            })?;
            batch.publish_in_blob(&blob.versioned_hash.0);
            Some(blob.versioned_hash)
        }
    };
    let witness = BatchWitness::build(&pre_state, &batch, record.size)
        .map_err(|e: WitnessError| diverged(number, e))?;
    Ok((
        BatchRecord {
            size: record.size,
            batch,
            blob,
            sealed_at: unix_now(),
        },
        witness,
    ))
}

/// Materializes closed batches as they come, for `publication`; `wake` is signalled after
/// each close.
pub fn run(
    store: Store,
    mut state: State,
    wake: Receiver<()>,
    events: broadcast::Sender<BatchEvent>,
    publication: Publication,
) -> Result<(), MaterializeError> {
    loop {
        let next = store.executed()? + 1;
        let Some(record) = store.contents(next)? else {
            match wake.recv_timeout(Duration::from_millis(500)) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        };
        let started = Instant::now();
        let (batch, witness) = materialize(&mut state, &record, publication)?;
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
        writer.executed_batch(&batch, &witness);
        writer.executed(next);
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alloy::primitives::Address;
    use verity_circuits::circuit::CircuitSize;
    use verity_circuits::eddsa::PrivateKey;
    use verity_circuits::ops::{Deposit, Domain, L2Tx, Transfer, Withdraw};
    use verity_circuits::Fr;

    use super::*;

    const SIZE: CircuitSize = CircuitSize {
        slots: 4,
        fee_slots: 1,
        depth: 4,
    };

    fn domain() -> Domain {
        Domain {
            chain_id: 1337,
            rollup_address: Address::repeat_byte(0x42),
        }
    }

    fn deposit(key: &PrivateKey, amount: u128) -> Deposit {
        Deposit {
            pubkey: key.public_key(),
            l1_address: Address::repeat_byte(1),
            token: 0,
            amount,
        }
    }

    fn transfer(from: u32, to: u32, nonce: u32, key: &PrivateKey) -> L2Tx {
        let tx = Transfer {
            from,
            to,
            token: 0,
            amount: 1_000,
            fee: 0,
            nonce,
        };
        L2Tx::sign_transfer(tx, key, &domain())
    }

    /// A state where `bob` owns account 0.
    fn genesis(bob: &PrivateKey) -> State {
        let mut state = State::new(StateConfig {
            depth: SIZE.depth,
            domain: domain(),
        })
        .unwrap();
        let effect = state.check_deposit(0, &deposit(bob, 10_000)).unwrap();
        state.commit(&effect);
        state
    }

    fn record(contents: verity_circuits::batch::BatchContents) -> ContentsRecord {
        ContentsRecord {
            size: SIZE,
            contents,
            fee_accounts: BTreeMap::new(),
            priority_before: Fr::from(0u64),
            tokens: 1,
        }
    }

    /// The error, if any, of materializing batch 1 of `ops` on `pre`.
    fn batch_one_error(pre: &State, ops: Vec<ExecutedOp>) -> Option<MaterializeError> {
        let contents = verity_circuits::batch::BatchContents {
            number: 1,
            ops,
            fee_slots: Vec::new(),
            priority_after: Fr::from(0u64),
        };
        execute(&mut pre.clone(), pre, &record(contents)).err()
    }

    #[test]
    fn a_sender_created_by_a_deposit_of_the_same_batch_is_verified_under_its_key() {
        let (alice, bob) = (
            PrivateKey::from_bytes([1; 32]),
            PrivateKey::from_bytes([2; 32]),
        );
        let pre = genesis(&bob);
        let mut sequenced = pre.clone();
        let mut builder = BatchBuilder::new(
            &mut sequenced,
            SIZE.batch_params(),
            1,
            Fr::from(0u64),
            BTreeMap::new(),
        );
        builder
            .push_priority(&PriorityOp::Deposit(deposit(&alice, 5_000)))
            .unwrap();
        builder.push_l2(&transfer(1, 0, 0, &alice)).unwrap();
        builder.push_l2(&transfer(0, 1, 0, &bob)).unwrap();
        let withdraw = Withdraw {
            from: 1,
            token: 0,
            amount: 2_000,
            fee: 0,
            nonce: 1,
            to: Address::repeat_byte(9),
        };
        builder
            .push_l2(&L2Tx::sign_withdraw(withdraw, &alice, &domain()))
            .unwrap();
        let record = record(builder.close());

        let mut state = pre.clone();
        let (batch, _) = materialize(&mut state, &record, Publication::Calldata)
            .expect("the batch materializes");
        assert_eq!(batch.batch.ops[..4], record.contents.ops[..]);
        assert_eq!(state.account(1).unwrap().balance, 3_000);
        assert_eq!(state.root(), batch.batch.header.new_root);
    }

    #[test]
    fn a_sender_created_only_later_in_the_batch_diverges() {
        let (alice, bob) = (
            PrivateKey::from_bytes([1; 32]),
            PrivateKey::from_bytes([2; 32]),
        );
        let pre = genesis(&bob);
        let error = batch_one_error(
            &pre,
            vec![
                ExecutedOp::L2 {
                    tx: transfer(1, 0, 0, &alice),
                },
                ExecutedOp::Deposit {
                    account: 1,
                    deposit: deposit(&alice, 5_000),
                },
            ],
        );
        assert!(
            matches!(
                &error,
                Some(MaterializeError::Diverged {
                    batch: 1,
                    reason: ReexecutionError::Operation(_)
                })
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_signature_by_another_key_than_the_creating_deposits_diverges() {
        let (alice, bob) = (
            PrivateKey::from_bytes([1; 32]),
            PrivateKey::from_bytes([2; 32]),
        );
        let mallory = PrivateKey::from_bytes([3; 32]);
        let pre = genesis(&bob);
        let error = batch_one_error(
            &pre,
            vec![
                ExecutedOp::Deposit {
                    account: 1,
                    deposit: deposit(&alice, 5_000),
                },
                ExecutedOp::L2 {
                    tx: transfer(1, 0, 0, &mallory),
                },
            ],
        );
        assert!(
            matches!(
                &error,
                Some(MaterializeError::Diverged {
                    batch: 1,
                    reason: ReexecutionError::Signature(_)
                })
            ),
            "{error:?}"
        );
    }
}
