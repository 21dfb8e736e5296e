//! The submitter's decisions that need no L1: which log finalizes a batch, and whether L1's
//! batch is this node's.

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
