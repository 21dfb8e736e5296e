//! Forced exits and exodus on anvil: a forced exit is honoured by the next batch; with the
//! operator gone, an overdue forced exit lets anyone start exodus, after which a user exits
//! with a Merkle proof against the last verified root (once), and an unconsumed deposit is
//! refunded.

use alloy::primitives::U256;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{Deposit, ForcedExit, PriorityOp};
use verity_l1::contracts::{batch_data, proof_words};

use crate::support::{
    advance_time, assert_reverts, chain, deposit, mined, payouts_sent, prover, submit, Node,
};

const WINDOW: u64 = 600;

#[tokio::test(flavor = "multi_thread")]
async fn forced_exit_then_exodus_without_the_operator() {
    let prover = prover();
    let chain = chain(&prover, WINDOW).await;
    let rollup = &chain.rollup;
    let [_, carol, dave, erin] = [0, 1, 2, 3].map(|i| chain.anvil.addresses()[i]);
    let keys = [
        PrivateKey::from_bytes([3; 32]),
        PrivateKey::from_bytes([4; 32]),
    ];
    let deposits = [
        Deposit {
            pubkey: keys[0].public_key(),
            l1_address: carol,
            token: 0,
            amount: 3 * 10u128.pow(18),
        },
        Deposit {
            pubkey: keys[1].public_key(),
            l1_address: dave,
            token: 0,
            amount: 2 * 10u128.pow(18),
        },
    ];
    for d in &deposits {
        deposit(rollup, d).await;
    }
    let mut node = Node::new(&chain.deployment, 0);
    let (state, batch, proof) = node.prepare(&prover, |b| {
        for d in deposits {
            b.push_priority(&PriorityOp::Deposit(d)).unwrap();
        }
    });
    submit(rollup, &batch, &proof).await;
    node.finalized(state, &batch);

    // Carol forces her exit; the next batch honours it, paying her on L1.
    mined(rollup.requestForcedExit(0, 0).from(carol)).await;
    assert_reverts(
        rollup.requestForcedExit(16, 0).from(carol).call().await,
        "AccountOutOfRange()",
    );
    let exit = ForcedExit {
        account: 0,
        token: 0,
        requester: carol,
    };
    let (state, batch, proof) = node.prepare(&prover, |b| {
        b.push_priority(&PriorityOp::ForcedExit(exit)).unwrap();
    });
    let receipt = mined(rollup.submitBatch(batch_data(&batch), proof_words(&proof))).await;
    node.finalized(state, &batch);
    assert_eq!(payouts_sent(&receipt), [(carol, 0, deposits[0].amount)]);

    // The operator disappears: Dave's forced exit and Erin's deposit are never consumed.
    mined(rollup.requestForcedExit(1, 0).from(dave)).await;
    let erin_deposit = Deposit {
        pubkey: PrivateKey::from_bytes([5; 32]).public_key(),
        l1_address: erin,
        token: 0,
        amount: 7,
    };
    deposit(rollup, &erin_deposit).await;
    assert_reverts(rollup.activateExodus().call().await, "DeadlineNotPassed()");
    assert_reverts(
        rollup
            .exit(1, [U256::ZERO; 2], dave, 0, 0, 0, vec![])
            .call()
            .await,
        "ExodusNotActive()",
    );
    advance_time(&chain.provider, WINDOW + 1).await;
    mined(rollup.activateExodus().from(erin)).await;
    assert!(rollup.exodusMode().call().await.unwrap());
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch), proof_words(&proof))
            .call()
            .await,
        "ExodusActive()",
    );

    // Dave exits with a Merkle proof from the state as of the last verified root.
    let account = *node.state.account(1).unwrap();
    let siblings: Vec<[U256; 3]> = node
        .state
        .proof(1)
        .unwrap()
        .siblings
        .iter()
        .map(|row| row.map(|s| fr_to_u256(&s.0)))
        .collect();
    let pubkey = [
        fr_to_u256(&account.pubkey.0.x()),
        fr_to_u256(&account.pubkey.0.y()),
    ];
    let exit_call = |balance: u128| {
        rollup.exit(
            1,
            pubkey,
            account.l1_address,
            account.token,
            balance,
            account.nonce,
            siblings.clone(),
        )
    };
    assert_reverts(
        exit_call(account.balance + 1).call().await,
        "InvalidMerkleProof()",
    );
    let receipt = mined(exit_call(account.balance).from(dave)).await;
    println!("exodus exit gas: {}", receipt.gas_used);
    assert_eq!(
        rollup.pendingWithdrawals(dave, 0).call().await.unwrap(),
        U256::from(account.balance)
    );
    assert_reverts(exit_call(account.balance).call().await, "AlreadyExited()");
    mined(rollup.withdraw(0).from(dave)).await;

    // Erin's unconsumed deposit comes back to her, once: she shows its fields, and only she
    // may.
    let (x, y) = (
        fr_to_u256(&erin_deposit.pubkey.0.x()),
        fr_to_u256(&erin_deposit.pubkey.0.y()),
    );
    let refund = |amount: u128, x: U256| rollup.refundDeposit(U256::from(4u64), 0, amount, x, y);
    for (amount, key_x, from) in [(8, x, erin), (7, y, erin), (7, x, dave)] {
        assert_reverts(
            refund(amount, key_x).from(from).call().await,
            "NotRefundable()",
        );
    }
    mined(refund(7, x).from(erin)).await;
    assert_eq!(
        rollup.pendingWithdrawals(erin, 0).call().await.unwrap(),
        U256::from(7u64)
    );
    assert_reverts(refund(7, x).from(erin).call().await, "NotRefundable()");
}
