//! The Rollup contract on anvil with real Groth16 proofs: deposits of ETH and an ERC-20, a
//! batch consuming them, withdrawals proven on L2 and paid on L1; and the named reverts of
//! bad proofs, wrong roots, replays, re-randomised proofs, skipped priority operations,
//! malformed points and a re-entered withdrawal; and the guards: operators and the
//! inactivity fallback, top-level submission, small-order keys, the forced-exit fee, the
//! payout cap, and withdrawals to another address or for another owner; the caps on open
//! forced exits and on deposits (no more than the tree has leaves); batches must consume
//! the queue once its oldest operation has waited half the window. Batches in blobs: final
//! when the blob opens to the proof's value at the challenge, refused otherwise. Several
//! batches in one transaction, in calldata and in blobs: final together, or none of them.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use ark_bn254::Bn254;
use ark_ff::Field;
use ark_groth16::Groth16;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{Deposit, ForcedExit, L2Tx, PriorityOp, Transfer, Withdraw};
use verity_circuits::Fr;
use verity_l1::blob::{decode, BatchBlob};
use verity_l1::contracts::{
    batch_data, blob_batch_data, proof_words, BatchRelayer, ReentrantWithdrawer, Rollup,
    StipendRefuser, TestToken,
};
use verity_l1::deploy::RollupParams;

use crate::support::{
    advance_time, assert_reverts, chain, chain_with, deposit, mined, payouts_sent, prover, submit,
    with_blob, with_blobs, Node,
};

#[tokio::test(flavor = "multi_thread")]
async fn deposit_prove_finalize_withdraw_and_named_reverts() {
    let prover = prover();
    let chain = chain(&prover, 3600).await;
    let (provider, rollup) = (&chain.provider, &chain.rollup);
    let user = chain.anvil.addresses()[1];
    let domain = chain.deployment.domain();
    assert_eq!(
        rollup.domain().call().await.unwrap(),
        fr_to_u256(&domain.hash())
    );

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
    // Published data other than the proof's (one byte, in the first and the last element),
    // and another data hash, are refused: the challenge moves and the evaluations differ.
    for position in [0, batch.pubdata.len() - 1] {
        let mut altered = batch_data(&batch);
        let mut pubdata = altered.pubdata.to_vec();
        pubdata[position] ^= 1;
        altered.pubdata = pubdata.into();
        assert_reverts(
            rollup.submitBatch(altered, words).call().await,
            "InvalidProof()",
        );
    }
    let mut other_hash = batch_data(&batch);
    other_hash.dataHash += U256::from(1u64);
    assert_reverts(
        rollup.submitBatch(other_hash, words).call().await,
        "InvalidProof()",
    );
    let mut wrong_root = batch_data(&batch);
    wrong_root.oldRoot += U256::from(1u64);
    assert_reverts(
        rollup.submitBatch(wrong_root, words).call().await,
        "WrongOldRoot()",
    );

    let receipt = mined(rollup.submitBatch(batch_data(&batch), words)).await;
    println!(
        "submitBatch gas, 2 slots, two deposits: {}",
        receipt.gas_used
    );
    assert_eq!(
        rollup.stateRoot().call().await.unwrap(),
        fr_to_u256(&batch.header.new_root)
    );
    assert_eq!(rollup.priorityHead().call().await.unwrap(), 2u64);
    node.finalized(state, &batch);

    // Replays of the final batch, even with a re-randomised proof, are refused.
    assert_reverts(
        rollup.submitBatch(batch_data(&batch), words).call().await,
        "WrongBatchNumber(uint64,uint64)",
    );
    let rerandomized =
        Groth16::<Bn254>::rerandomize_proof(prover.verifying_key(), &proof, &mut rand::rngs::OsRng);
    assert!(prover.verify(&rerandomized, &batch.public_inputs()));
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
    // Both are paid straight to the user, who claims nothing.
    let before = provider.get_balance(user).await.unwrap();
    let token_before = token.balanceOf(user).call().await.unwrap();
    let receipt = mined(rollup.submitBatch(batch_data(&batch), proof_words(&proof))).await;
    node.finalized(state, &batch);
    assert_eq!(
        payouts_sent(&receipt),
        [(user, 0, eth_out.amount), (user, 1, token_out.amount)]
    );
    assert_eq!(
        provider.get_balance(user).await.unwrap() - before,
        U256::from(eth_out.amount)
    );
    assert_eq!(
        token.balanceOf(user).call().await.unwrap() - token_before,
        U256::from(token_out.amount)
    );
    for token in [0, 1] {
        assert_reverts(
            rollup.withdraw(token).from(user).call().await,
            "NothingPending()",
        );
    }

    // Batch 3: Alice withdraws to a contract that re-enters withdraw from its receive hook.
    // The 2,300-gas stipend cannot run it, so the payment waits as a pending balance.
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

#[tokio::test(flavor = "multi_thread")]
async fn operators_top_level_calls_keys_fees_payout_cap_and_withdrawals_for_others() {
    const FEE: u128 = 1_000_000_000_000_000;
    const INACTIVITY: u64 = 3600;
    let prover = prover();
    let params = RollupParams {
        inactivity_interval_seconds: INACTIVITY,
        forced_exit_fee: FEE,
        max_payouts: 1,
        ..RollupParams::development()
    };
    let chain = chain_with(&prover, 3600, &params).await;
    let (provider, rollup) = (&chain.provider, &chain.rollup);
    let accounts = chain.anvil.addresses();
    let (governor, user, stranger, delegated) =
        (accounts[0], accounts[1], accounts[2], accounts[3]);
    assert!(rollup.development().call().await.unwrap());
    assert_eq!(rollup.governor().call().await.unwrap(), governor);
    assert!(rollup.isOperator(governor).call().await.unwrap());
    assert_eq!(rollup.maxPayouts().call().await.unwrap(), U256::from(1u64));

    // Only the governor appoints operators.
    assert_reverts(
        rollup
            .setOperator(stranger, true)
            .from(stranger)
            .call()
            .await,
        "NotGovernor()",
    );
    mined(rollup.setOperator(user, true)).await;
    assert!(rollup.isOperator(user).call().await.unwrap());
    mined(rollup.setOperator(user, false)).await;
    assert!(!rollup.isOperator(user).call().await.unwrap());

    // Small-order keys are refused: the identity, the order-2 point, an order-4 and an
    // order-8 point.
    let order4_x = Fr::from(168_700u64).inverse().unwrap().sqrt().unwrap();
    let minus_one = fr_to_u256(&-Fr::from(1u64));
    let order8: [U256; 2] = [
        "4342719913949491028786768530115087822524712248835451589697801404893164183326",
        "17061719626832259898845741003733890968968767993363194771977168648564009544074",
    ]
    .map(|n| n.parse().unwrap());
    for (x, y) in [
        (U256::ZERO, U256::from(1u64)),
        (U256::ZERO, minus_one),
        (fr_to_u256(&order4_x), U256::ZERO),
        (order8[0], order8[1]),
    ] {
        let call = rollup
            .deposit(0, x, y, 5)
            .from(user)
            .value(U256::from(5u64));
        assert_reverts(call.call().await, "LowOrderKey()");
    }

    let ([alice, bob], deposits) = two_eth_deposits(rollup, user).await;
    let mut node = Node::new(&chain.deployment, 0);
    let (state, batch, proof) = node.prepare(&prover, |b| {
        for d in &deposits {
            b.push_priority(&PriorityOp::Deposit(*d)).unwrap();
        }
    });
    let submit_call = || rollup.submitBatch(batch_data(&batch), proof_words(&proof));

    // Not through a contract, nor from an EIP-7702 delegated account.
    let relayer = BatchRelayer::deploy(provider, *rollup.address())
        .await
        .unwrap();
    let calldata = Rollup::submitBatchCall {
        batch: batch_data(&batch),
        proof: proof_words(&proof),
    }
    .abi_encode();
    assert_reverts(
        relayer.relay(calldata.into()).call().await,
        "NotTopLevelCall()",
    );
    let mut designator = vec![0xef, 0x01, 0x00];
    designator.extend_from_slice(relayer.address().as_slice());
    provider
        .raw_request::<_, ()>(
            "anvil_setCode".into(),
            (delegated, alloy::hex::encode_prefixed(&designator)),
        )
        .await
        .unwrap();
    assert_reverts(
        submit_call().from(delegated).call().await,
        "NotTopLevelCall()",
    );

    // A stranger may submit only once no batch was finalized for the inactivity interval.
    assert_reverts(submit_call().from(stranger).call().await, "NotOperator()");
    advance_time(provider, INACTIVITY).await;
    mined(submit_call().from(stranger)).await;
    node.finalized(state, &batch);
    assert_eq!(rollup.batchNumber().call().await.unwrap(), 1);

    // Forced exits pay exactly the fee, which the governor can withdraw.
    assert_reverts(
        rollup.requestForcedExit(1, 0).from(user).call().await,
        "WrongForcedExitFee(uint256)",
    );
    mined(
        rollup
            .requestForcedExit(1, 0)
            .from(user)
            .value(U256::from(FEE)),
    )
    .await;
    assert_eq!(
        rollup.pendingWithdrawals(governor, 0).call().await.unwrap(),
        U256::from(FEE)
    );
    assert_eq!(
        rollup.openForcedExits().call().await.unwrap(),
        U256::from(1u64)
    );

    // Batch 2 (the stranger is locked out again): more payouts than the cap are refused; one
    // withdrawal to a contract that refuses the 2,300-gas stipend is accepted, waits as its
    // pending balance, and anyone pays it out.
    let domain = chain.deployment.domain();
    let cold = Address::repeat_byte(0x77);
    let refuser = *StipendRefuser::deploy(provider).await.unwrap().address();
    let withdraw = |from, to| Withdraw {
        from,
        token: 0,
        amount: 10u128.pow(17),
        fee: 0,
        nonce: 0,
        to,
    };
    let (_, two, two_proof) = node.prepare(&prover, |b| {
        b.push_l2(&L2Tx::sign_withdraw(withdraw(0, cold), &alice, &domain))
            .unwrap();
        b.push_l2(&L2Tx::sign_withdraw(withdraw(1, cold), &bob, &domain))
            .unwrap();
    });
    assert_reverts(
        rollup
            .submitBatch(batch_data(&two), proof_words(&two_proof))
            .call()
            .await,
        "TooManyPayouts()",
    );
    let (_, transfer, transfer_proof) = node.prepare(&prover, |b| {
        let tx = Transfer {
            from: 0,
            to: 1,
            token: 0,
            amount: 10u128.pow(17),
            fee: 0,
            nonce: 0,
        };
        b.push_l2(&L2Tx::sign_transfer(tx, &alice, &domain))
            .unwrap();
    });
    let (state, batch, proof) = node.prepare(&prover, |b| {
        b.push_l2(&L2Tx::sign_withdraw(withdraw(0, refuser), &alice, &domain))
            .unwrap();
    });
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch), proof_words(&proof))
            .from(stranger)
            .call()
            .await,
        "NotOperator()",
    );
    // Payouts other than the proof's are refused: another recipient, token or amount, or the
    // payout left out. Each moves the challenge and the payouts' value at it.
    let honest = batch_data(&batch);
    let mut others = vec![honest.clone(); 4];
    others[0].payouts[0].recipient = stranger;
    others[1].payouts[0].token = 1;
    others[2].payouts[0].amount += 1;
    others[3].payouts.clear();
    for other in others {
        assert_reverts(
            rollup.submitBatch(other, proof_words(&proof)).call().await,
            "InvalidProof()",
        );
    }
    // A data hash at or above r would reach the verifier reduced: refused before.
    let mut unreduced = honest;
    unreduced.dataHash += minus_one + U256::from(1u64);
    assert_reverts(
        rollup
            .submitBatch(unreduced, proof_words(&proof))
            .call()
            .await,
        "NotInField()",
    );
    // The gas of one payout to a fresh pending balance (the direct payment refused first): the
    // same batch with a transfer instead.
    let with_payout = rollup
        .submitBatch(batch_data(&batch), proof_words(&proof))
        .estimate_gas()
        .await
        .unwrap();
    let without = rollup
        .submitBatch(batch_data(&transfer), proof_words(&transfer_proof))
        .estimate_gas()
        .await
        .unwrap();
    println!(
        "submitBatch gas: {with_payout} with one payout, {without} without: {} per payout",
        with_payout - without
    );
    let receipt = mined(rollup.submitBatch(batch_data(&batch), proof_words(&proof))).await;
    node.finalized(state, &batch);
    assert!(payouts_sent(&receipt).is_empty());
    assert_eq!(provider.get_balance(refuser).await.unwrap(), U256::ZERO);
    mined(rollup.withdrawFor(refuser, 0).from(stranger)).await;
    assert_eq!(
        provider.get_balance(refuser).await.unwrap(),
        U256::from(10u128.pow(17))
    );

    // Batch 3 consumes the forced exit: Bob's account pays its balance straight to its owner.
    // The governor has its fee paid to another address.
    let exit = ForcedExit {
        requester: user,
        account: 1,
        token: 0,
    };
    let (state, batch, proof) = node.prepare(&prover, |b| {
        b.push_priority(&PriorityOp::ForcedExit(exit)).unwrap();
    });
    let receipt = mined(rollup.submitBatch(batch_data(&batch), proof_words(&proof))).await;
    node.finalized(state, &batch);
    assert_eq!(rollup.openForcedExits().call().await.unwrap(), U256::ZERO);
    assert_eq!(payouts_sent(&receipt), [(user, 0, 10u128.pow(18))]);
    let recipient = Address::repeat_byte(0x78);
    mined(rollup.withdrawTo(0, recipient).from(governor)).await;
    assert_eq!(
        provider.get_balance(recipient).await.unwrap(),
        U256::from(FEE)
    );
    for owner in [user, governor] {
        assert_reverts(
            rollup.withdrawFor(owner, 0).from(stranger).call().await,
            "NothingPending()",
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forced_exits_and_deposits_are_capped_so_the_queue_never_stalls() {
    const WINDOW: u64 = 7200;
    let prover = prover();
    let chain = chain(&prover, WINDOW).await;
    let rollup = &chain.rollup;
    let requester = chain.anvil.addresses()[0];
    let cap: u64 = rollup.MAX_OPEN_FORCED_EXITS().call().await.unwrap().to();
    assert_eq!(cap, 1024);

    // `cap` forced exits may wait at once, not one more. Sent without waiting for each
    // receipt; anvil mines them in order, so the last one's receipt follows them all. Each
    // has its nonce set here: taken from the pending count while anvil mined the one before,
    // a nonce was sometimes reused and the new request, at a higher fee, replaced the other.
    let first = chain
        .provider
        .get_transaction_count(requester)
        .pending()
        .await
        .unwrap();
    for i in 0..cap - 1 {
        let account = (i % (1 << crate::support::SIZE.depth)) as u32;
        let _sent = rollup
            .requestForcedExit(account, 0)
            .nonce(first + i)
            .send()
            .await
            .unwrap();
    }
    mined(rollup.requestForcedExit(0, 0).nonce(first + cap - 1)).await;
    assert_eq!(
        rollup.openForcedExits().call().await.unwrap(),
        U256::from(cap)
    );
    assert_reverts(
        rollup.requestForcedExit(0, 0).call().await,
        "TooManyForcedExits()",
    );

    // A batch consuming the first two (their accounts are empty: zero payouts) opens two places.
    let mut node = Node::new(&chain.deployment, 0);
    let (state, batch, proof) = node.prepare(&prover, |b| {
        for account in 0..2 {
            let exit = ForcedExit {
                requester,
                account,
                token: 0,
            };
            b.push_priority(&PriorityOp::ForcedExit(exit)).unwrap();
        }
    });
    submit(rollup, &batch, &proof).await;
    node.finalized(state, &batch);
    assert_eq!(
        rollup.openForcedExits().call().await.unwrap(),
        U256::from(cap - 2)
    );
    mined(rollup.requestForcedExit(0, 0)).await;

    // A batch may skip the queue while its oldest operation is young. Once it has waited more
    // than half the window, a submitter of the fallback (the inactivity interval, an hour, has
    // passed too) must consume some, so skipping cannot run the clock out into exodus; an
    // operator's batch, sealed before and late to L1, still lands.
    let (state, empty, empty_proof) = node.prepare(&prover, |_| {});
    submit(rollup, &empty, &empty_proof).await;
    node.finalized(state, &empty);
    let (state, empty, empty_proof) = node.prepare(&prover, |_| {});
    advance_time(&chain.provider, WINDOW / 2 + 1).await;
    let stranger = chain.anvil.addresses()[2];
    assert_reverts(
        rollup
            .submitBatch(batch_data(&empty), proof_words(&empty_proof))
            .from(stranger)
            .call()
            .await,
        "PriorityOpsDue()",
    );
    submit(rollup, &empty, &empty_proof).await;
    node.finalized(state, &empty);

    // Only deposits open accounts, so the Rollup takes as many as the tree has leaves (forced
    // exits do not count) and refuses the next: no deposit ever waits for a free leaf.
    let leaves = 1u32 << crate::support::SIZE.depth;
    let user = chain.anvil.addresses()[1];
    let keys: Vec<PrivateKey> = (0..=leaves)
        .map(|i| PrivateKey::from_bytes([i as u8 + 1; 32]))
        .collect();
    let to = |key: &PrivateKey| Deposit {
        pubkey: key.public_key(),
        l1_address: user,
        token: 0,
        amount: 1,
    };
    for key in &keys[..leaves as usize] {
        deposit(rollup, &to(key)).await;
    }
    let last = to(&keys[leaves as usize]);
    assert_reverts(
        rollup
            .deposit(
                0,
                fr_to_u256(&last.pubkey.0.x()),
                fr_to_u256(&last.pubkey.0.y()),
                1,
            )
            .from(user)
            .value(U256::from(1u64))
            .call()
            .await,
        "TreeFull()",
    );
    mined(rollup.requestForcedExit(1, 0)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_batches_are_final_when_the_blob_opens_to_the_proofs_value() {
    let prover = prover();
    let chain = chain(&prover, 3600).await;
    let (provider, rollup) = (&chain.provider, &chain.rollup);
    let user = chain.anvil.addresses()[1];
    let domain = chain.deployment.domain();
    let ([alice, bob], deposits) = two_eth_deposits(rollup, user).await;
    let mut node = Node::new(&chain.deployment, 0);

    // Batch 1, in a blob: both deposits.
    let (state, batch, proof, blob) = node.prepare_blob(&prover, |b| {
        for d in &deposits {
            b.push_priority(&PriorityOp::Deposit(*d)).unwrap();
        }
    });
    let (data, opening) = blob_batch_data(&batch, &blob, 0).unwrap();
    let words = proof_words(&proof);

    // Another value than the blob's at the challenge: the precompile refuses it. A blob of
    // other data, opened correctly at its own challenge: the proof's data has another value
    // there.
    let mut wrong_value = opening.clone();
    wrong_value.evaluation += U256::from(1u64);
    let mut other_pubdata = batch.pubdata.clone();
    other_pubdata[0] ^= 1;
    let other = BatchBlob::new(&other_pubdata).unwrap();
    let mut other_batch = batch.clone();
    other_batch.publish_in_blob(&other.versioned_hash.0);
    let opened = other.opening(other_batch.data.challenge).unwrap();
    let other_opening = Rollup::BlobOpening {
        evaluation: opened.evaluation,
        commitment: other.commitment.to_vec().into(),
        proof: opened.proof.to_vec().into(),
        ..opening.clone()
    };
    for (opening, blob, error) in [
        (wrong_value, &blob, "InvalidBlobOpening()"),
        (other_opening, &other, "InvalidProof()"),
    ] {
        let call = rollup.submitBlobBatch(data.clone(), opening, words);
        assert_reverts(with_blob(call, blob).call().await, error);
    }
    // No blob at the index, pubdata in calldata too, or the proof sent as a calldata batch.
    assert_reverts(
        rollup
            .submitBlobBatch(data.clone(), opening.clone(), words)
            .call()
            .await,
        "NoBlob(uint256)",
    );
    let mut both = data.clone();
    both.pubdata = batch.pubdata.clone().into();
    assert_reverts(
        with_blob(rollup.submitBlobBatch(both, opening.clone(), words), &blob)
            .call()
            .await,
        "MalformedPubdata()",
    );
    assert_reverts(
        rollup.submitBatch(batch_data(&batch), words).call().await,
        "InvalidProof()",
    );

    let receipt = mined(with_blob(
        rollup.submitBlobBatch(data, opening, words),
        &blob,
    ))
    .await;
    println!(
        "submitBlobBatch gas, 2 slots: {} (blob gas {:?})",
        receipt.gas_used, receipt.blob_gas_used
    );
    assert_eq!(
        rollup.stateRoot().call().await.unwrap(),
        fr_to_u256(&batch.header.new_root)
    );
    // The blob L1 keeps is the one sent, and holds the batch's pubdata.
    let blobs: Vec<alloy::eips::eip4844::Blob> = provider
        .raw_request(
            "anvil_getBlobsByTransactionHash".into(),
            (receipt.transaction_hash,),
        )
        .await
        .unwrap();
    assert_eq!(blobs.len(), 1);
    assert_eq!(
        decode(&blobs[0], batch.pubdata.len()).unwrap(),
        batch.pubdata
    );
    node.finalized(state, &batch);

    // Batch 2, in a blob: a transfer and a withdrawal, paid on L1.
    let transfer = Transfer {
        from: 0,
        to: 1,
        token: 0,
        amount: 10u128.pow(17),
        fee: 0,
        nonce: 0,
    };
    let out = Withdraw {
        from: 1,
        token: 0,
        amount: 3 * 10u128.pow(17),
        fee: 0,
        nonce: 0,
        to: user,
    };
    let (state, batch, proof, blob) = node.prepare_blob(&prover, |b| {
        b.push_l2(&L2Tx::sign_transfer(transfer, &alice, &domain))
            .unwrap();
        b.push_l2(&L2Tx::sign_withdraw(out, &bob, &domain)).unwrap();
    });
    let (data, opening) = blob_batch_data(&batch, &blob, 0).unwrap();
    let receipt = mined(with_blob(
        rollup.submitBlobBatch(data, opening, proof_words(&proof)),
        &blob,
    ))
    .await;
    node.finalized(state, &batch);
    assert_eq!(rollup.batchNumber().call().await.unwrap(), 2);
    assert_eq!(payouts_sent(&receipt), [(user, 0, out.amount)]);

    // Reconstruction from L1 alone reads both blobs and reaches the contract's root.
    let report = rebuilt_from_l1(&chain).await;
    assert_eq!((report.batch, report.operations), (2, 4));
    assert_eq!(report.root, report.contract_root);
}

#[tokio::test(flavor = "multi_thread")]
async fn several_batches_in_one_transaction_are_final_together_or_not_at_all() {
    let prover = prover();
    let chain = chain(&prover, 3600).await;
    let (provider, rollup) = (&chain.provider, &chain.rollup);
    let user = chain.anvil.addresses()[1];
    let domain = chain.deployment.domain();
    let ([alice, bob], deposits) = two_eth_deposits(rollup, user).await;
    let mut node = Node::new(&chain.deployment, 0);
    let transfer = |nonce| Transfer {
        from: 0,
        to: 1,
        token: 0,
        amount: 10u128.pow(16),
        fee: 0,
        nonce,
    };

    // Batches 1 and 2 in calldata: the deposits, then a transfer.
    let (state, first, first_proof) = node.prepare(&prover, |b| {
        for d in &deposits {
            b.push_priority(&PriorityOp::Deposit(*d)).unwrap();
        }
    });
    node.finalized(state, &first);
    let (state, second, second_proof) = node.prepare(&prover, |b| {
        b.push_l2(&L2Tx::sign_transfer(transfer(0), &alice, &domain))
            .unwrap();
    });
    node.finalized(state, &second);
    let data = vec![batch_data(&first), batch_data(&second)];
    let words = vec![proof_words(&first_proof), proof_words(&second_proof)];

    // Refused, and nothing final: the second batch's proof swapped for the first's (each
    // valid for its own batch), the proofs in the other order, the batches in the other
    // order, a proof missing, and blob openings for batches in calldata.
    let submit_batches = |data: Vec<Rollup::BatchData>, words: Vec<[U256; 8]>| {
        rollup.submitBatches(data, Vec::new(), words)
    };
    let swapped = vec![words[0], words[0]];
    let reversed = vec![words[1], words[0]];
    for (proofs, error) in [(swapped, "InvalidProof()"), (reversed, "InvalidProof()")] {
        assert_reverts(submit_batches(data.clone(), proofs).call().await, error);
    }
    assert_reverts(
        submit_batches(vec![data[1].clone(), data[0].clone()], words.clone())
            .call()
            .await,
        "WrongBatchNumber(uint64,uint64)",
    );
    assert_reverts(
        submit_batches(data.clone(), words[..1].to_vec())
            .call()
            .await,
        "BatchCountMismatch()",
    );
    assert_reverts(
        submit_batches(Vec::new(), Vec::new()).call().await,
        "BatchCountMismatch()",
    );
    assert_eq!(rollup.batchNumber().call().await.unwrap(), 0);
    // Once the operators were idle for the inactivity interval, anyone may submit, but one
    // batch at a time, as before.
    advance_time(provider, chain.deployment.inactivity_interval_seconds + 1).await;
    assert_reverts(
        submit_batches(data.clone(), words.clone())
            .from(user)
            .call()
            .await,
        "NotOperator()",
    );
    rollup
        .submitBatch(data[0].clone(), words[0])
        .from(user)
        .call()
        .await
        .expect("one batch from anyone after the interval");

    let receipt = mined(submit_batches(data, words)).await;
    println!(
        "submitBatches gas, two 2-slot batches in calldata: {}",
        receipt.gas_used
    );
    let finalized: Vec<u64> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|log| log.log_decode::<Rollup::BatchFinalized>().ok())
        .map(|event| event.inner.data.number)
        .collect();
    assert_eq!(finalized, [1, 2]);
    assert_eq!(rollup.batchNumber().call().await.unwrap(), 2);
    assert_eq!(
        rollup.stateRoot().call().await.unwrap(),
        fr_to_u256(&second.header.new_root)
    );

    // Batches 3 and 4, each in a blob of the same transaction: a transfer, then a withdrawal
    // paid on L1.
    let out = Withdraw {
        from: 1,
        token: 0,
        amount: 3 * 10u128.pow(17),
        fee: 0,
        nonce: 0,
        to: user,
    };
    let (state, third, third_proof, third_blob) = node.prepare_blob(&prover, |b| {
        b.push_l2(&L2Tx::sign_transfer(transfer(1), &alice, &domain))
            .unwrap();
    });
    node.finalized(state, &third);
    let (state, fourth, fourth_proof, fourth_blob) = node.prepare_blob(&prover, |b| {
        b.push_l2(&L2Tx::sign_withdraw(out, &bob, &domain)).unwrap();
    });
    node.finalized(state, &fourth);
    let (third_data, third_opening) = blob_batch_data(&third, &third_blob, 0).unwrap();
    let (fourth_data, fourth_opening) = blob_batch_data(&fourth, &fourth_blob, 1).unwrap();
    let data = vec![third_data, fourth_data];
    let words = vec![proof_words(&third_proof), proof_words(&fourth_proof)];
    let blobs = [&third_blob, &fourth_blob];

    // The second batch opened against the first blob (not the blob its data is in), and one
    // opening for two batches, are refused.
    let mut same_blob = fourth_opening.clone();
    same_blob.index = U256::ZERO;
    assert_reverts(
        with_blobs(
            rollup.submitBatches(
                data.clone(),
                vec![third_opening.clone(), same_blob],
                words.clone(),
            ),
            &blobs,
        )
        .call()
        .await,
        "InvalidBlobOpening()",
    );
    assert_reverts(
        with_blobs(
            rollup.submitBatches(data.clone(), vec![third_opening.clone()], words.clone()),
            &blobs,
        )
        .call()
        .await,
        "BatchCountMismatch()",
    );
    let receipt = mined(with_blobs(
        rollup.submitBatches(data, vec![third_opening, fourth_opening], words),
        &blobs,
    ))
    .await;
    println!(
        "submitBatches gas, two 2-slot batches in blobs: {} (blob gas {:?})",
        receipt.gas_used, receipt.blob_gas_used
    );
    assert_eq!(receipt.blob_gas_used, Some(2 * 131_072));
    assert_eq!(rollup.batchNumber().call().await.unwrap(), 4);
    assert_eq!(payouts_sent(&receipt), [(user, 0, out.amount)]);

    // Reconstruction from L1 alone finds each batch in its transaction and its blob.
    let report = rebuilt_from_l1(&chain).await;
    assert_eq!((report.batch, report.operations), (4, 5));
    assert_eq!(report.root, report.contract_root);
}

/// The state rebuilt from `chain`'s L1 alone, into a temporary directory.
async fn rebuilt_from_l1(chain: &crate::support::Chain) -> verity_reconstruct::SyncReport {
    let dir = tempfile::tempdir().unwrap();
    let mut rebuilt = verity_reconstruct::Reconstructor::open(
        Default::default(),
        chain.provider.clone(),
        chain.deployment.clone(),
        dir.path(),
    )
    .unwrap();
    rebuilt.sync().await.unwrap()
}

/// Alice's and Bob's keys and their deposits of 1 ETH each from `user`, queued on L1.
async fn two_eth_deposits(
    rollup: &Rollup::RollupInstance<alloy::providers::DynProvider>,
    user: Address,
) -> ([PrivateKey; 2], [Deposit; 2]) {
    let keys = [
        PrivateKey::from_bytes([1; 32]),
        PrivateKey::from_bytes([2; 32]),
    ];
    let deposits = keys.each_ref().map(|key| Deposit {
        pubkey: key.public_key(),
        l1_address: user,
        token: 0,
        amount: 10u128.pow(18),
    });
    for d in &deposits {
        deposit(rollup, d).await;
    }
    (keys, deposits)
}
