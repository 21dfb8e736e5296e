//! The Rollup contract on anvil with real Groth16 proofs: deposits of ETH and an ERC-20, a
//! batch consuming them, withdrawals proven on L2 and paid on L1; and the named reverts of
//! bad proofs, wrong roots, replays, re-randomised proofs, skipped priority operations,
//! malformed points and a re-entered withdrawal.

mod support;

use alloy::primitives::U256;
use alloy::providers::Provider;
use ark_bn254::Bn254;
use ark_groth16::Groth16;
use support::{assert_reverts, chain, deposit, mined, prover, submit, Node};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, L2Tx, PriorityOp, Withdraw};
use verity_sequencer::l1::contracts::{
    batch_data, proof_words, word, ReentrantWithdrawer, TestToken,
};

#[tokio::test(flavor = "multi_thread")]
async fn deposit_prove_finalize_withdraw_and_named_reverts() {
    let prover = prover();
    let chain = chain(&prover, 3600).await;
    let (provider, rollup) = (&chain.provider, &chain.rollup);
    let user = chain.anvil.addresses()[1];
    let domain = chain.deployment.domain();
    assert_eq!(rollup.domain().call().await.unwrap(), word(&domain.hash()));

    let token = TestToken::deploy(provider).await.unwrap();
    mined(token.mint(user, U256::from(10u128.pow(21)))).await;
    mined(token.approve(*rollup.address(), U256::MAX).from(user)).await;
    mined(rollup.registerToken(*token.address())).await;
    let attacker = ReentrantWithdrawer::deploy(provider, *rollup.address())
        .await
        .unwrap();

    // Two deposits on L1.
    let (alice, bob) = (
        PrivateKey::from_bytes([1; 32]),
        PrivateKey::from_bytes([2; 32]),
    );
    let eth = Deposit {
        pubkey: alice.public_key(),
        l1_address: user,
        token: 0,
        amount: 10u128.pow(18),
    };
    let erc20 = Deposit {
        pubkey: bob.public_key(),
        l1_address: user,
        token: 1,
        amount: 5 * 10u128.pow(20),
    };
    for d in [eth, erc20] {
        deposit(rollup, &d).await;
    }
    let bad_key = rollup
        .deposit(0, U256::from(1u64), U256::from(1u64), 5)
        .from(user)
        .value(U256::from(5u64));
    assert_reverts(bad_key.call().await, "NotOnCurve()");

    let mut node = Node::new(&chain.deployment, 1);

    // A batch that skips the first deposit, or takes them in the other order, is refused.
    for order in [vec![erc20], vec![erc20, eth]] {
        let (_, batch, proof) = node.prepare(&prover, |b| {
            for d in &order {
                b.push_priority(&PriorityOp::Deposit(*d)).unwrap();
            }
        });
        assert_reverts(
            rollup
                .submitBatch(batch_data(&batch), proof_words(&proof))
                .call()
                .await,
            "InvalidProof()",
        );
    }

    // Batch 1 consumes both deposits in queue order.
    let (state, batch, proof) = node.prepare(&prover, |b| {
        b.push_priority(&PriorityOp::Deposit(eth)).unwrap();
        b.push_priority(&PriorityOp::Deposit(erc20)).unwrap();
    });
    let words = proof_words(&proof);
    let mut swapped = words;
    swapped.swap(0, 6);
    swapped.swap(1, 7);
    assert_reverts(
        rollup.submitBatch(batch_data(&batch), swapped).call().await,
        "InvalidProof()",
    );
    let mut off_curve = words;
    off_curve[0] = U256::from(1u64);
    off_curve[1] = U256::from(3u64);
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch), off_curve)
            .call()
            .await,
        "PrecompileFailed()",
    );
    let mut wrong_root = batch_data(&batch);
    wrong_root.oldRoot += U256::from(1u64);
    assert_reverts(
        rollup.submitBatch(wrong_root, words).call().await,
        "WrongOldRoot()",
    );

    let receipt = rollup
        .submitBatch(batch_data(&batch), words)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    println!(
        "submitBatch gas, 2 slots, two deposits: {}",
        receipt.gas_used
    );
    assert_eq!(
        rollup.stateRoot().call().await.unwrap(),
        word(&batch.header.new_root)
    );
    assert_eq!(
        rollup.priorityHead().call().await.unwrap(),
        U256::from(2u64)
    );
    node.finalized(state, &batch);

    // Replays of the final batch, even with a re-randomised proof, are refused.
    assert_reverts(
        rollup.submitBatch(batch_data(&batch), words).call().await,
        "WrongBatchNumber(uint64,uint64)",
    );
    let rerandomized =
        Groth16::<Bn254>::rerandomize_proof(prover.verifying_key(), &proof, &mut rand::rngs::OsRng);
    assert!(prover.verify(&rerandomized, batch.commitment));
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch), proof_words(&rerandomized))
            .call()
            .await,
        "WrongBatchNumber(uint64,uint64)",
    );

    // Batch 2: Alice withdraws 0.4 ETH to the user, Bob 2e20 of the token to the attacker.
    let eth_out = Withdraw {
        from: 0,
        token: 0,
        amount: 4 * 10u128.pow(17),
        fee: 0,
        nonce: 0,
        to: user,
    };
    let token_out = Withdraw {
        from: 1,
        token: 1,
        amount: 2 * 10u128.pow(20),
        fee: 0,
        nonce: 0,
        to: user,
    };
    let (state, batch, proof) = node.prepare(&prover, |b| {
        b.push_l2(&L2Tx::sign_withdraw(eth_out, &alice, &domain))
            .unwrap();
        b.push_l2(&L2Tx::sign_withdraw(token_out, &bob, &domain))
            .unwrap();
    });
    submit(rollup, &batch, &proof).await;
    node.finalized(state, &batch);
    assert_eq!(
        rollup.pendingWithdrawals(user, 0).call().await.unwrap(),
        U256::from(eth_out.amount)
    );

    let before = provider.get_balance(user).await.unwrap();
    let receipt = rollup
        .withdraw(0)
        .from(user)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        provider.get_balance(user).await.unwrap() + fee - before,
        U256::from(eth_out.amount)
    );
    assert_reverts(
        rollup.withdraw(0).from(user).call().await,
        "NothingPending()",
    );
    let token_before = token.balanceOf(user).call().await.unwrap();
    mined(rollup.withdraw(1).from(user)).await;
    assert_eq!(
        token.balanceOf(user).call().await.unwrap() - token_before,
        U256::from(token_out.amount)
    );

    // Batch 3: Alice withdraws to a contract that re-enters withdraw from its receive hook.
    let to_attacker = Withdraw {
        from: 0,
        token: 0,
        amount: 10u128.pow(17),
        fee: 0,
        nonce: 1,
        to: *attacker.address(),
    };
    let (state, batch, proof) = node.prepare(&prover, |b| {
        b.push_l2(&L2Tx::sign_withdraw(to_attacker, &alice, &domain))
            .unwrap();
    });
    submit(rollup, &batch, &proof).await;
    node.finalized(state, &batch);
    assert_reverts(attacker.attack().call().await, "Reentrancy()");
    assert_eq!(
        rollup
            .pendingWithdrawals(*attacker.address(), 0)
            .call()
            .await
            .unwrap(),
        U256::from(to_attacker.amount)
    );

    assert_reverts(rollup.activateExodus().call().await, "DeadlineNotPassed()");
}
