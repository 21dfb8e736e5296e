//! The Rollup contract on anvil with real Groth16 proofs: deposits of ETH and an ERC-20,
//! a batch consuming them, a withdrawal proven on L2 and paid on L1; and the named reverts
//! of bad proofs, wrong roots, replays, re-randomised proofs, skipped priority operations
//! and malformed points.

use std::collections::BTreeMap;

use alloy::node_bindings::Anvil;
use alloy::primitives::{keccak256, Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use ark_bn254::Bn254;
use ark_groth16::{Groth16, Proof};
use verity_circuits::batch::{Batch, BatchBuilder};
use verity_circuits::circuit::{BatchWitness, CircuitSize};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, Domain, L2Tx, PriorityOp, Withdraw};
use verity_circuits::state::{State, StateConfig};
use verity_circuits::Fr;
use verity_prover::prover::setup;
use verity_prover::BatchProver;
use verity_sequencer::l1::contracts::{
    batch_data, proof_words, verifier_key_words, word, Groth16Verifier, PoseidonT3, PoseidonT5,
    PoseidonT6, Rollup, TestToken,
};

const SIZE: CircuitSize = CircuitSize {
    slots: 2,
    fee_slots: 1,
    depth: 4,
};

fn selector(error: &str) -> String {
    alloy::hex::encode(&keccak256(error.as_bytes())[..4])
}

fn assert_reverts<T: std::fmt::Debug>(result: Result<T, alloy::contract::Error>, error: &str) {
    let message = format!("{:?}", result.expect_err("must revert"));
    assert!(
        message.contains(&selector(error)),
        "expected {error}, got {message}"
    );
}

struct Node {
    state: State,
    prover: BatchProver,
    priority: Fr,
}

impl Node {
    /// Executes `fill` as the next batch and proves it; the state moves on only with `commit`.
    fn batch(
        &self,
        number: u64,
        fill: impl FnOnce(&mut BatchBuilder<'_>),
    ) -> (State, Batch, Proof<Bn254>) {
        let mut state = self.state.clone();
        let mut builder = BatchBuilder::new(
            &mut state,
            SIZE.batch_params(),
            number,
            self.priority,
            BTreeMap::new(),
        );
        fill(&mut builder);
        let batch = builder.seal();
        let witness = BatchWitness::build(&self.state, &batch, SIZE).unwrap();
        let (proof, _) = self.prover.prove(witness, &mut rand::rngs::OsRng).unwrap();
        assert!(self.prover.verify(&proof, batch.commitment));
        (state, batch, proof)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deposit_prove_finalize_withdraw_and_named_reverts() {
    let anvil = Anvil::at(verity_tests::anvil_path()).spawn();
    let provider = ProviderBuilder::new()
        .wallet(anvil.wallet().expect("anvil's dev accounts"))
        .connect_http(anvil.endpoint_url());
    let user = anvil.addresses()[1];

    let prover = BatchProver::new(SIZE, setup(SIZE, &mut rand::rngs::OsRng).unwrap()).unwrap();
    let verifier = Groth16Verifier::deploy(&provider, verifier_key_words(prover.verifying_key()))
        .await
        .unwrap();
    let hashes = [
        *PoseidonT3::deploy(&provider).await.unwrap().address(),
        *PoseidonT5::deploy(&provider).await.unwrap().address(),
        *PoseidonT6::deploy(&provider).await.unwrap().address(),
    ];
    let genesis = State::new(StateConfig {
        depth: SIZE.depth,
        domain: Domain {
            chain_id: 0,
            rollup_address: Address::ZERO,
        },
    })
    .unwrap()
    .root();
    let rollup = Rollup::deploy(
        &provider,
        SIZE.depth,
        U256::from(SIZE.fee_slots),
        U256::from(3600u64),
        word(&genesis),
        hashes,
        vec![U256::from(SIZE.slots)],
        vec![*verifier.address()],
    )
    .await
    .unwrap();
    let domain = Domain {
        chain_id: anvil.chain_id(),
        rollup_address: *rollup.address(),
    };
    assert_eq!(rollup.domain().call().await.unwrap(), word(&domain.hash()));

    let token = TestToken::deploy(&provider).await.unwrap();
    token
        .mint(user, U256::from(10u128.pow(21)))
        .send()
        .await
        .unwrap()
        .watch()
        .await
        .unwrap();
    token
        .approve(*rollup.address(), U256::MAX)
        .from(user)
        .send()
        .await
        .unwrap()
        .watch()
        .await
        .unwrap();
    rollup
        .registerToken(*token.address())
        .send()
        .await
        .unwrap()
        .watch()
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
        let call = rollup
            .deposit(
                d.token,
                word(&d.pubkey.0.x()),
                word(&d.pubkey.0.y()),
                d.amount,
            )
            .from(user);
        let call = if d.token == 0 {
            call.value(U256::from(d.amount))
        } else {
            call
        };
        call.send().await.unwrap().watch().await.unwrap();
    }
    let bad_key = rollup
        .deposit(0, U256::from(1u64), U256::from(1u64), 5)
        .from(user)
        .value(U256::from(5u64));
    assert_reverts(bad_key.call().await, "NotOnCurve()");

    let mut state = State::new(StateConfig {
        depth: SIZE.depth,
        domain,
    })
    .unwrap();
    state.register_token();
    let mut node = Node {
        state,
        prover,
        priority: Fr::from(0u64),
    };

    // A batch that skips the first deposit is refused.
    let (_, skipping, proof) = node.batch(1, |b| {
        b.push_priority(&PriorityOp::Deposit(erc20)).unwrap();
    });
    assert_reverts(
        rollup
            .submitBatch(batch_data(&skipping), proof_words(&proof))
            .call()
            .await,
        "InvalidProof()",
    );

    // Batch 1 consumes both deposits in queue order.
    let (after_one, batch_one, proof) = node.batch(1, |b| {
        b.push_priority(&PriorityOp::Deposit(eth)).unwrap();
        b.push_priority(&PriorityOp::Deposit(erc20)).unwrap();
    });
    let proof_one = proof_words(&proof);
    let mut tampered = proof_one;
    tampered.swap(0, 6);
    tampered.swap(1, 7);
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch_one), tampered)
            .call()
            .await,
        "InvalidProof()",
    );
    let mut off_curve = proof_one;
    off_curve[0] = U256::from(1u64);
    off_curve[1] = U256::from(3u64);
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch_one), off_curve)
            .call()
            .await,
        "PrecompileFailed()",
    );
    let mut wrong_root = batch_data(&batch_one);
    wrong_root.oldRoot += U256::from(1u64);
    assert_reverts(
        rollup.submitBatch(wrong_root, proof_one).call().await,
        "WrongOldRoot()",
    );

    let receipt = rollup
        .submitBatch(batch_data(&batch_one), proof_one)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    println!(
        "submitBatch gas, {} slots with two deposits: {}",
        SIZE.slots, receipt.gas_used
    );
    assert_eq!(
        rollup.stateRoot().call().await.unwrap(),
        word(&batch_one.header.new_root)
    );
    assert_eq!(
        rollup.priorityHead().call().await.unwrap(),
        U256::from(2u64)
    );
    node.state = after_one;
    node.priority = batch_one.header.priority_after;

    // Replays of the final batch, even with a re-randomised proof, are refused.
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch_one), proof_one)
            .call()
            .await,
        "WrongBatchNumber(uint64,uint64)",
    );
    let rerandomized = Groth16::<Bn254>::rerandomize_proof(
        node.prover.verifying_key(),
        &proof,
        &mut rand::rngs::OsRng,
    );
    assert!(node.prover.verify(&rerandomized, batch_one.commitment));
    assert_reverts(
        rollup
            .submitBatch(batch_data(&batch_one), proof_words(&rerandomized))
            .call()
            .await,
        "WrongBatchNumber(uint64,uint64)",
    );

    // Batch 2: Alice withdraws 0.4 ETH to the user's L1 address; the user pulls it.
    let withdrawal = Withdraw {
        from: 0,
        token: 0,
        amount: 4 * 10u128.pow(17),
        fee: 0,
        nonce: 0,
        to: user,
    };
    let (after_two, batch_two, proof_two) = node.batch(2, |b| {
        b.push_l2(&L2Tx::sign_withdraw(withdrawal, &alice, &domain))
            .unwrap();
    });
    rollup
        .submitBatch(batch_data(&batch_two), proof_words(&proof_two))
        .send()
        .await
        .unwrap()
        .watch()
        .await
        .unwrap();
    node.state = after_two;
    assert_eq!(
        rollup.pendingWithdrawals(user, 0).call().await.unwrap(),
        U256::from(withdrawal.amount)
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
    let after = provider.get_balance(user).await.unwrap();
    assert_eq!(after + fee - before, U256::from(withdrawal.amount));
    assert_reverts(
        rollup.withdraw(0).from(user).call().await,
        "NothingPending()",
    );
    assert_eq!(node.state.account(0).unwrap().balance, 6 * 10u128.pow(17));

    // The operator cannot start exodus while nothing is overdue.
    assert_reverts(rollup.activateExodus().call().await, "DeadlineNotPassed()");
}
