//! The mempool's limits and the refusal codes, each against the documented table.

use alloy_primitives::Address;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Domain, Transfer};

use super::*;

fn from(account: AccountIndex) -> L2Tx {
    let tx = Transfer {
        from: account,
        to: account + 1,
        token: 0,
        amount: 1,
        fee: 0,
        nonce: 0,
    };
    let domain = Domain {
        chain_id: 1,
        rollup_address: Address::ZERO,
    };
    L2Tx::sign_transfer(tx, &PrivateKey::from_bytes([7; 32]), &domain)
}

const LIMITS: MempoolConfig = MempoolConfig {
    max_pending: 3,
    max_per_account: 2,
};

#[test]
fn a_sender_at_its_limit_is_refused_until_one_of_its_transactions_is_final() {
    let mut pending = Pending::default();
    pending.add(1);
    pending.add(1);
    assert_eq!(
        pending.admit(&LIMITS, &from(1)),
        Err(Refusal::AccountLimit {
            account: 1,
            pending: 2
        })
    );
    // Another sender still gets in.
    assert_eq!(pending.admit(&LIMITS, &from(2)), Ok(()));
    pending.remove(1);
    assert_eq!(pending.admit(&LIMITS, &from(1)), Ok(()));
}

#[test]
fn a_full_mempool_refuses_everyone_until_a_batch_is_final() {
    let mut pending = Pending::default();
    for account in [1, 2, 3] {
        pending.add(account);
    }
    assert_eq!(pending.total(), 3);
    assert_eq!(
        pending.admit(&LIMITS, &from(4)),
        Err(Refusal::MempoolFull(3))
    );
    pending.remove(2);
    assert_eq!(pending.total(), 2);
    assert_eq!(pending.admit(&LIMITS, &from(4)), Ok(()));
}

#[test]
fn forgetting_a_transaction_never_counted_changes_nothing() {
    let mut pending = Pending::default();
    pending.add(1);
    pending.remove(9);
    assert_eq!(pending.total(), 1);
    pending.remove(1);
    pending.remove(1);
    assert_eq!(pending.total(), 0);
    assert_eq!(pending.admit(&LIMITS, &from(1)), Ok(()));
}

#[test]
fn every_refusal_has_its_documented_code() {
    let cases = [
        (Refusal::Rule(TxError::BadSignature), 1001),
        (
            Refusal::Rule(TxError::WrongNonce {
                expected: 1,
                got: 0,
            }),
            1002,
        ),
        (Refusal::Rule(TxError::NonceExhausted), 1003),
        (
            Refusal::Rule(TxError::InsufficientBalance {
                balance: 0,
                amount: 1,
                fee: 0,
            }),
            1004,
        ),
        (Refusal::Rule(TxError::AmountOutOfRange(0)), 1005),
        (Refusal::Rule(TxError::FeeOutOfRange(0)), 1006),
        (Refusal::Rule(TxError::BalanceOverflow(0)), 1007),
        (Refusal::Rule(TxError::UnknownAccount(0)), 1008),
        (Refusal::Rule(TxError::AccountOutOfRange(0)), 1008),
        (Refusal::Rule(TxError::UnknownToken(0)), 1009),
        (
            Refusal::Rule(TxError::TokenMismatch {
                account: 0,
                held: 0,
                named: 1,
            }),
            1010,
        ),
        (Refusal::Rule(TxError::NotDepositorsAccount(0)), 1011),
        (Refusal::Rule(TxError::TreeFull), 1011),
        (Refusal::FeeTokenNotAccepted(1), 1012),
        (Refusal::FeeAccountFull(0), 1013),
        (Refusal::MempoolFull(0), 1014),
        (
            Refusal::AccountLimit {
                account: 0,
                pending: 0,
            },
            1015,
        ),
        (Refusal::Unavailable(String::new()), 1016),
        (Refusal::UnpayableRecipient(Address::ZERO), 1017),
    ];
    for (refusal, code) in cases {
        assert_eq!(refusal.code(), code, "{refusal:?}");
    }
}

#[test]
fn a_full_batch_is_no_refusal_but_a_fee_the_operator_cannot_take_is() {
    assert_eq!(Refusal::from_batch(BatchError::Full), None);
    assert_eq!(Refusal::from_batch(BatchError::FeeSlotsFull), None);
    assert_eq!(
        Refusal::from_batch(BatchError::NoFeeAccount(2)),
        Some(Refusal::FeeTokenNotAccepted(2))
    );
    assert_eq!(
        Refusal::from_batch(BatchError::FeeAccountOverflow(5)),
        Some(Refusal::FeeAccountFull(5))
    );
}
