//! The submitter's decisions that need no L1: which log finalizes a batch, whether L1's
//! batch is this node's, and which proven batches go together (from a RocksDB store).

use alloy::primitives::{Address, LogData};

use super::*;

fn finalized_log(number: u64, tx_hash: Option<B256>) -> Log {
    let event = Rollup::BatchFinalized {
        number,
        newRoot: U256::from(7),
        commitment: U256::from(8),
        priorityOps: U256::ZERO,
    };
    Log {
        inner: alloy::primitives::Log {
            address: Address::repeat_byte(1),
            data: LogData::from(&event),
        },
        transaction_hash: tx_hash,
        ..Log::default()
    }
}

#[test]
fn the_receipt_log_of_a_batch_is_its_own_batch_finalized_event() {
    let ours = finalized_log(5, None);
    let other = finalized_log(4, None);
    let mut unrelated = finalized_log(5, None);
    unrelated.inner.data = LogData::new_unchecked(vec![B256::repeat_byte(3)], Default::default());
    let logs = [unrelated, other, ours.clone()];
    assert_eq!(Submitter::receipt_log(5, &logs).unwrap(), ours);
    assert!(matches!(
        Submitter::receipt_log(6, &logs),
        Err(SubmitError::NoFinalizedEvent(6))
    ));
}

#[test]
fn a_batch_on_l1_with_another_commitment_or_root_is_a_divergence() {
    let tx = B256::repeat_byte(9);
    let ours = [U256::from(1), U256::from(2)];
    assert!(same_batch(3, tx, ours, ours).is_ok());
    for l1 in [[U256::from(5), ours[1]], [ours[0], U256::from(5)]] {
        let error = same_batch(3, tx, l1, ours).unwrap_err();
        assert!(matches!(&error, SubmitError::Diverged(d) if d.number == 3));
        let message = error.to_string();
        assert!(
            message.contains("verity reconstruct") && message.contains("batch 3"),
            "{message}"
        );
    }
}

/// A store holding batches `1..=kinds.len()`, batch `n` of `kinds[n - 1]` (its circuit's
/// slots, whether it is in a blob, and whether it is proven), with `pubdata` bytes of
/// pubdata each when not zero.
fn store_of(dir: &std::path::Path, kinds: &[(usize, bool, bool)], pubdata: usize) -> Store {
    use std::collections::BTreeMap;
    use verity_circuits::batch::BatchBuilder;
    use verity_circuits::circuit::{BatchWitness, CircuitSize};
    use verity_circuits::ops::Domain;
    use verity_circuits::state::StateConfig;
    use verity_circuits::Fr;
    use verity_storage::ProofRecord;

    let size = |slots| CircuitSize {
        slots,
        fee_slots: 1,
        depth: 4,
    };
    let pre = State::new(StateConfig {
        depth: 4,
        domain: Domain {
            chain_id: 1337,
            rollup_address: Address::repeat_byte(0x42),
        },
    })
    .unwrap();
    let mut state = pre.clone();
    let batch = BatchBuilder::new(
        &mut state,
        size(2).batch_params(),
        1,
        Fr::from(0u64),
        BTreeMap::new(),
    )
    .seal();
    let job = BatchWitness::build(&pre, &batch, size(2)).unwrap();
    let store = Store::open(dir).unwrap();
    for (at, &(slots, in_blob, proven)) in kinds.iter().enumerate() {
        let number = at as u64 + 1;
        let mut writer = store.writer();
        let record = BatchRecord {
            size: size(slots),
            batch: verity_circuits::batch::Batch {
                header: verity_circuits::batch::BatchHeader {
                    number,
                    ..batch.header
                },
                pubdata: match pubdata {
                    0 => batch.pubdata.clone(),
                    bytes => vec![1; bytes],
                },
                ..batch.clone()
            },
            blob: in_blob.then_some(B256::repeat_byte(number as u8)),
            sealed_at: 0,
        };
        writer.executed_batch(&record, &job);
        writer.commit(false).unwrap();
        if proven {
            let proof = ProofRecord {
                proof: serde_json::Value::Null,
                words: vec![format!("{number:#x}"); 8],
                proving_seconds: 1.0,
                proven_at: 0,
                prover: "local".into(),
            };
            store.put_proof(number, &proof).unwrap();
        }
    }
    store
}

/// A submitter configuration of these limits.
fn config(max_batches_per_tx: usize, gas_budget: u64) -> SubmitterConfig {
    SubmitterConfig {
        poll: Duration::from_millis(100),
        receipt_timeout: Duration::from_secs(1),
        max_batches_per_tx,
        gas_budget,
    }
}

fn grouped(store: &Store, config: &SubmitterConfig, next: u64) -> Vec<u64> {
    group(store, config, next)
        .unwrap()
        .iter()
        .map(|(record, words)| {
            assert_eq!(words[0], U256::from(record.batch.header.number));
            record.batch.header.number
        })
        .collect()
}

#[test]
fn proven_batches_of_one_size_and_publication_go_together_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    // 1-3 in calldata at 2 slots, 4 in a blob, 5 at 4 slots, 6 and 7 in calldata at 2 slots
    // with 7 not proven yet.
    let store = store_of(
        dir.path(),
        &[
            (2, false, true),
            (2, false, true),
            (2, false, true),
            (2, true, true),
            (4, false, true),
            (2, false, true),
            (2, false, false),
        ],
        0,
    );
    let mut config = config(6, crate::gas::DEFAULT_GAS_BUDGET);
    assert_eq!(grouped(&store, &config, 1), [1, 2, 3]);
    assert_eq!(grouped(&store, &config, 4), [4]);
    assert_eq!(grouped(&store, &config, 5), [5]);
    assert_eq!(grouped(&store, &config, 6), [6]);
    assert!(grouped(&store, &config, 7).is_empty());
    config.max_batches_per_tx = 2;
    assert_eq!(grouped(&store, &config, 1), [1, 2]);
    // A budget for two batches' estimates takes two; one below a batch's still takes one.
    config.max_batches_per_tx = 6;
    let first = store.batch(1).unwrap().unwrap();
    let one = BatchGas {
        ops: first.batch.ops.len(),
        payouts: first.batch.payouts.len(),
    }
    .estimate(first.size, Publication::Calldata);
    config.gas_budget = 2 * one;
    assert_eq!(grouped(&store, &config, 1), [1, 2]);
    config.gas_budget = one - 1;
    assert_eq!(grouped(&store, &config, 1), [1]);
}

#[test]
fn at_most_six_blob_batches_go_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(dir.path(), &[(2, true, true); 8], 0);
    let config = config(10, crate::gas::DEFAULT_GAS_BUDGET);
    assert_eq!(grouped(&store, &config, 1), [1, 2, 3, 4, 5, 6]);
    assert_eq!(grouped(&store, &config, 7), [7, 8]);
}

#[test]
fn a_transaction_of_several_batches_stays_under_the_pools_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(dir.path(), &[(2, false, true); 3], 50_000);
    let config = config(6, u64::MAX);
    assert_eq!(grouped(&store, &config, 1), [1, 2]);
    assert_eq!(grouped(&store, &config, 3), [3]);
}
