//! The batch circuit against the native rules: batches the native code accepts satisfy it
//! with the same roots and commitment; witnesses that break one rule do not.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

use ark_ff::Field;

use super::*;
use crate::batch::{Batch, BatchBuilder};
use crate::blob::{DataBinding, BLS_MODULUS};
use crate::eddsa::PrivateKey;
use crate::ops::Domain;
use crate::ops::{
    Deposit, ExecutedOp, ForcedExit, L2Tx, OpType, Payout, PriorityOp, Transfer, Withdraw,
};
use crate::state::account::constraints::LeafFields;
use crate::state::account::Account;
use crate::state::{State, StateConfig};
use crate::Fr;

const DOMAIN: Domain = Domain {
    chain_id: 31337,
    rollup_address: Address::repeat_byte(0x44),
};
const SIZE: CircuitSize = CircuitSize {
    slots: 4,
    fee_slots: 1,
    depth: 4,
};

fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes([i + 1; 32])
}

fn owner(i: u8) -> Address {
    Address::repeat_byte(0x30 + i)
}

/// The operator (key 0) owns account 0; keys 1 and 2 own accounts 1 and 2; all ETH.
fn genesis() -> State {
    let mut state = State::new(StateConfig {
        depth: SIZE.depth,
        domain: DOMAIN,
    })
    .unwrap();
    for i in 0..3u8 {
        let deposit = Deposit {
            pubkey: key(i).public_key(),
            l1_address: owner(i),
            token: 0,
            amount: 1_000_000,
        };
        let effect = state.check_deposit(u32::from(i), &deposit).unwrap();
        state.commit(&effect);
    }
    state
}

fn fee_accounts() -> BTreeMap<u32, u32> {
    [(0, 0)].into_iter().collect()
}

/// A batch with every operation type: a deposit to a new account, a transfer with a fee,
/// a withdrawal, a forced exit.
fn mixed_batch(state: &mut State) -> Batch {
    let mut builder = BatchBuilder::new(
        state,
        SIZE.batch_params(),
        7,
        Fr::from(0u64),
        fee_accounts(),
    );
    let deposit = Deposit {
        pubkey: key(3).public_key(),
        l1_address: owner(3),
        token: 0,
        amount: 5000,
    };
    builder
        .push_priority(&PriorityOp::Deposit(deposit))
        .unwrap();
    let transfer = Transfer {
        from: 1,
        to: 2,
        token: 0,
        amount: 12_000,
        fee: 30,
        nonce: 0,
    };
    builder
        .push_l2(&L2Tx::sign_transfer(transfer, &key(1), &DOMAIN))
        .unwrap();
    let withdraw = Withdraw {
        from: 2,
        token: 0,
        amount: 400,
        fee: 0,
        nonce: 0,
        to: Address::repeat_byte(0x99),
    };
    builder
        .push_l2(&L2Tx::sign_withdraw(withdraw, &key(2), &DOMAIN))
        .unwrap();
    let exit = ForcedExit {
        account: 1,
        token: 0,
        requester: owner(1),
    };
    builder
        .push_priority(&PriorityOp::ForcedExit(exit))
        .unwrap();
    builder.seal()
}

fn mixed_witness() -> BatchWitness {
    let mut state = genesis();
    let pre = state.clone();
    let batch = mixed_batch(&mut state);
    BatchWitness::build(&pre, &batch, SIZE).unwrap()
}

/// Synthesises and returns (satisfied, constraints, first unsatisfied constraint).
fn run(witness: BatchWitness) -> (bool, usize, Option<String>) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    BatchCircuit { witness }
        .generate_constraints(cs.clone())
        .unwrap();
    let satisfied = cs.is_satisfied().unwrap();
    let first = cs.which_is_unsatisfied().unwrap();
    (satisfied, cs.num_constraints(), first)
}

#[test]
fn witness_round_trips_through_json() {
    let witness = mixed_witness();
    let json = serde_json::to_string(&witness).unwrap();
    let back: BatchWitness = serde_json::from_str(&json).unwrap();
    assert_eq!(back, witness);
}

#[test]
fn a_mixed_batch_satisfies_the_circuit() {
    let witness = mixed_witness();
    let (satisfied, constraints, first) = run(witness);
    println!("batch circuit {SIZE:?}: {constraints} constraints");
    assert!(satisfied, "first unsatisfied: {first:?}");
}

/// Synthesises with constraint tracing and returns the rule (span) of the first
/// unsatisfied constraint, or `None` when satisfied.
fn first_broken_rule(witness: BatchWitness) -> Option<String> {
    use ark_relations::gr1cs::{ConstraintLayer, TracingMode};
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::Registry::default()
        .with(ConstraintLayer::new(TracingMode::OnlyConstraints));
    tracing::subscriber::with_default(subscriber, || {
        let cs = ConstraintSystem::<Fr>::new_ref();
        BatchCircuit { witness }
            .generate_constraints(cs.clone())
            .unwrap();
        cs.which_is_unsatisfied().unwrap()
    })
}

/// Asserts the witness is refused, first by a constraint of `rule`.
fn refused_by(witness: BatchWitness, rule: &str) {
    let trace = first_broken_rule(witness).expect("the circuit must refuse this witness");
    assert!(
        trace.contains(&format!("::{rule}\n")),
        "expected rule {rule}, first failure in:\n{trace}"
    );
}

/// A richer genesis for the rule tests (token 1 registered):
/// 0: operator, token 0 · 1: key 1, token 0 · 2: key 2, token 0 · 3: key 2, token 1 ·
/// 4: key 3, token 0, balance 2^128 − 20000 · 5: operator, token 1.
fn rich_genesis() -> State {
    let mut state = State::new(StateConfig {
        depth: SIZE.depth,
        domain: DOMAIN,
    })
    .unwrap();
    state.register_token();
    let accounts = [
        (0u8, 0u32, 1_000_000u128),
        (1, 0, 1_000_000),
        (2, 0, 1_000_000),
        (2, 1, 1_000_000),
        (3, 0, u128::MAX - 19_999),
        (0, 1, 0),
    ];
    for (index, (k, token, amount)) in accounts.into_iter().enumerate() {
        let deposit = Deposit {
            pubkey: key(k).public_key(),
            l1_address: owner(k),
            token,
            amount,
        };
        let effect = state.check_deposit(index as u32, &deposit).unwrap();
        state.commit(&effect);
    }
    state
}

/// Builds the witness of a batch made by `fill` on the rich genesis (fee slot: account 0).
fn witness_of(fill: impl FnOnce(&mut BatchBuilder<'_>)) -> (State, BatchWitness) {
    witness_on(rich_genesis(), fee_accounts(), fill)
}

/// Builds the witness of a batch made by `fill` on `pre` with the fee accounts `fees`.
fn witness_on(
    pre: State,
    fees: BTreeMap<u32, u32>,
    fill: impl FnOnce(&mut BatchBuilder<'_>),
) -> (State, BatchWitness) {
    let mut state = pre.clone();
    let mut builder = BatchBuilder::new(&mut state, SIZE.batch_params(), 1, Fr::from(0u64), fees);
    fill(&mut builder);
    let batch = builder.seal();
    (
        pre.clone(),
        BatchWitness::build(&pre, &batch, SIZE).unwrap(),
    )
}

fn transfer(from: u32, to: u32, token: u32, amount: u128, fee: u128, nonce: u32) -> Transfer {
    Transfer {
        from,
        to,
        token,
        amount,
        fee,
        nonce,
    }
}

fn signed(tx: Transfer, signer: u8) -> L2Tx {
    L2Tx::sign_transfer(tx, &key(signer), &DOMAIN)
}

/// Slot 0 carries `tx` instead (fields and signature; leaf updates untouched).
fn replace_tx(witness: &mut BatchWitness, tx: Transfer, signer: u8) {
    let signed = signed(tx, signer);
    let slot = &mut witness.slots[0];
    slot.fields.amount = Fr::from(tx.amount);
    slot.fields.amount_packed = crate::ops::float::AMOUNT.encode(tx.amount).unwrap();
    slot.fields.fee_packed = crate::ops::float::FEE.encode(tx.fee).unwrap();
    slot.fields.token = Fr::from(tx.token);
    slot.fields.signature = *signed.signature();
}

/// The leaf update of `index` on `state`, leaving it as it is.
fn update_on(state: &State, index: u32) -> witness::LeafUpdate {
    let before = state.account(index).copied();
    witness::LeafUpdate {
        index,
        before,
        after: before,
        proof: state.proof(index).unwrap(),
        claimed_before: None,
    }
}

/// The state after slot 0's first leaf update.
fn after_first(pre: &State, witness: &BatchWitness) -> State {
    let mut state = pre.clone();
    let first = &witness.slots[0].first;
    if let Some(account) = first.after {
        state.commit(&crate::state::Effect {
            updates: vec![(first.index, account)],
            fee: None,
            payout: None,
        });
    }
    state
}

fn a_transfer() -> (State, BatchWitness) {
    witness_of(|b| {
        b.push_l2(&signed(transfer(1, 2, 0, 10_000, 30, 0), 1))
            .unwrap();
    })
}

#[test]
fn the_rule_test_batches_are_valid() {
    assert_eq!(first_broken_rule(a_transfer().1), None);
    assert_eq!(first_broken_rule(mixed_witness()), None);
}

#[test]
fn bad_signature() {
    let (_, mut w) = a_transfer();
    w.slots[0].fields.signature = *signed(transfer(1, 2, 0, 10_000, 30, 0), 2).signature();
    refused_by(w, "signature");
}

#[test]
fn wrong_nonce() {
    let (_, mut w) = a_transfer();
    replace_tx(&mut w, transfer(1, 2, 0, 10_000, 30, 1), 1);
    refused_by(w, "signature");
}

#[test]
fn overspend() {
    let (_, mut w) = a_transfer();
    replace_tx(&mut w, transfer(1, 2, 0, 2_000_000, 30, 0), 1);
    refused_by(w, "sender_balance");
}

#[test]
fn fee_overspend() {
    let (_, mut w) = a_transfer();
    replace_tx(&mut w, transfer(1, 2, 0, 990_000, 31 * 10u128.pow(3), 0), 1);
    refused_by(w, "sender_balance");
}

#[test]
fn amounts_out_of_range_near_two_to_the_128_and_p_minus_one() {
    for amount in [
        Fr::from(2u64).pow([128]),
        -Fr::from(1u64),
        -Fr::from(2u64).pow([128]),
    ] {
        let (_, mut w) = witness_of(|b| {
            let deposit = Deposit {
                pubkey: key(3).public_key(),
                l1_address: owner(3),
                token: 0,
                amount: 5,
            };
            b.push_priority(&PriorityOp::Deposit(deposit)).unwrap();
        });
        w.slots[0].fields.amount = amount;
        refused_by(w, "amount_range");
    }
}

#[test]
fn recipient_balance_out_of_range() {
    let (_, mut w) = witness_of(|b| {
        b.push_l2(&signed(transfer(1, 4, 0, 10_000, 0, 0), 1))
            .unwrap();
    });
    replace_tx(&mut w, transfer(1, 4, 0, 30_000, 0, 0), 1);
    refused_by(w, "recipient_balance");
}

#[test]
fn sender_holds_another_token() {
    let (pre, mut w) = a_transfer();
    w.slots[0].first = update_on(&pre, 3);
    replace_tx(&mut w, transfer(3, 2, 0, 10_000, 30, 0), 2);
    refused_by(w, "sender_exists_and_token");
}

#[test]
fn recipient_holds_another_token_or_does_not_exist() {
    for to in [3u32, 9] {
        let (pre, mut w) = a_transfer();
        let middle = after_first(&pre, &w);
        w.slots[0].second = update_on(&middle, to);
        replace_tx(&mut w, transfer(1, to, 0, 10_000, 30, 0), 1);
        refused_by(w, "recipient_exists_and_token");
    }
}

#[test]
fn wrong_merkle_sibling() {
    let (_, mut w) = a_transfer();
    w.slots[0].first.proof.siblings[1][0].0 += Fr::from(1u64);
    refused_by(w, "sender_merkle");
    let (_, mut w) = a_transfer();
    w.slots[0].second.proof.siblings[0][2].0 += Fr::from(1u64);
    refused_by(w, "recipient_merkle");
}

/// Recomputes the data binding after the pubdata was changed, as a prover claiming that
/// pubdata would.
fn recommit(w: &mut BatchWitness) {
    w.data = DataBinding::of_calldata(&w.pubdata, &payees(w), &w.payouts);
}

/// The slots' payees as the circuit takes them from the slots' fields (what a prover
/// claiming those fields would hash).
fn payees(w: &BatchWitness) -> Vec<Fr> {
    w.slots
        .iter()
        .map(|slot| {
            let fields = &slot.fields;
            let pays = [OpType::Withdraw as u8, OpType::ForcedExit as u8].contains(&fields.code);
            let payee = fields.l1_address + fields.token * crate::ops::address_shift();
            if pays {
                payee
            } else {
                Fr::from(0u64)
            }
        })
        .collect()
}

#[test]
fn wrong_new_root() {
    let (_, mut w) = a_transfer();
    w.header.new_root += Fr::from(1u64);
    recommit(&mut w);
    refused_by(w, "commitment");
}

#[test]
fn wrong_data_hash() {
    let (_, mut w) = a_transfer();
    w.data.hash += Fr::from(1u64);
    refused_by(w, "commitment");
}

#[test]
fn wrong_evaluation() {
    let (_, mut w) = a_transfer();
    w.data.evaluation = w.data.evaluation.add_mod(U256::from(1u64), BLS_MODULUS);
    refused_by(w, "commitment");
}

#[test]
fn evaluation_at_another_challenge() {
    // The challenge and the evaluation both moved, consistently: the circuit still holds
    // the polynomial fixed by the data hash, so any point's value is accepted, and the
    // contract is what fixes the point (from the data hash and the published data).
    let (_, mut w) = a_transfer();
    w.data.challenge ^= 1;
    w.data.evaluation = crate::blob::evaluate(&w.pubdata, w.data.challenge);
    assert_eq!(first_broken_rule(w), None);
}

#[test]
fn payouts_other_than_the_circuits() {
    // The contract's payouts as a prover claiming them would bind them: another amount,
    // recipient or token, one left out, one more, or the two in the other order.
    let w = mixed_witness();
    assert_eq!(w.payouts.len(), 2);
    assert_eq!(first_broken_rule(w.clone()), None);
    let mut lists = vec![w.payouts.clone(); 6];
    lists[0][0].amount += 1;
    lists[1][0].recipient = Address::repeat_byte(0x98);
    lists[2][1].token = 1;
    lists[3].pop();
    let again = lists[4][1];
    lists[4].push(again);
    lists[5].swap(0, 1);
    for payouts in lists {
        let mut other = w.clone();
        other.payouts = payouts;
        recommit(&mut other);
        refused_by(other, "commitment");
    }
    let mut off = w;
    off.data.payouts += Fr::from(1u64);
    refused_by(off, "commitment");
}

#[test]
fn a_withdrawal_recipient_chosen_after_the_challenge() {
    // A withdrawal's recipient is signed, not published. Unless the data hash fixes it
    // before the contract draws the challenge, a prover signing withdrawals can choose their
    // recipients after seeing the challenge and solve the payouts' polynomial for any list
    // the contract pays. Here the prover committed to one recipient, then paid another at
    // the challenge drawn for the first.
    let withdraw = withdrawal_of_token_1;
    let (_, mut w) = witness_of(|b| {
        let tx = L2Tx::sign_withdraw(withdraw(Address::repeat_byte(0x99)), &key(2), &DOMAIN);
        b.push_l2(&tx).unwrap();
    });
    assert_eq!(first_broken_rule(w.clone()), None);
    let chosen = Payout {
        recipient: Address::repeat_byte(0x77),
        ..w.payouts[0]
    };
    let tx = L2Tx::sign_withdraw(withdraw(chosen.recipient), &key(2), &DOMAIN);
    w.slots[0].op = ExecutedOp::L2 { tx };
    w.slots[0].fields = witness::OpFields::of(&w.slots[0].op);
    w.payouts = vec![chosen];
    w.data.payouts = Payout::term(&w.payouts, Fr::from(w.data.challenge));
    refused_by(w, "commitment");
}

#[test]
fn payouts_at_another_challenge() {
    // As with the data, the circuit takes any point at which the values agree with what it
    // made; the contract is what fixes the point (from the published data and the payouts).
    let mut w = mixed_witness();
    w.data.challenge ^= 1;
    w.data.evaluation = crate::blob::evaluate(&w.pubdata, w.data.challenge);
    w.data.payouts = Payout::term(&w.payouts, Fr::from(w.data.challenge));
    assert_eq!(first_broken_rule(w), None);
}

#[test]
fn altered_pubdata_byte() {
    let (_, mut w) = a_transfer();
    let last = w.pubdata.len() - 1;
    w.pubdata[last] ^= 0x80;
    recommit(&mut w);
    refused_by(w, "commitment");
}

#[test]
fn skipped_or_reordered_priority_operations() {
    let first = PriorityOp::Deposit(Deposit {
        pubkey: key(3).public_key(),
        l1_address: owner(3),
        token: 0,
        amount: 5,
    });
    let second = PriorityOp::Deposit(Deposit {
        pubkey: key(1).public_key(),
        l1_address: owner(1),
        token: 0,
        amount: 7,
    });
    let queue = crate::ops::priority::chain_all(Fr::from(0u64), &[first, second]);
    // Reordered: the batch consumes the queue's two operations the other way round.
    let (_, mut w) = witness_of(|b| {
        b.push_priority(&second).unwrap();
        b.push_priority(&first).unwrap();
    });
    w.header.priority_after = queue;
    recommit(&mut w);
    refused_by(w, "commitment");
    // Skipped: the batch consumes the second while the contract's queue starts with the first.
    let (_, mut w) = witness_of(|b| {
        b.push_priority(&second).unwrap();
    });
    w.header.priority_after = first.chain(Fr::from(0u64));
    recommit(&mut w);
    refused_by(w, "commitment");
}

#[test]
fn fee_credited_to_an_account_of_another_token() {
    let (_, mut w) = a_transfer();
    let mut end = rich_genesis();
    for slot in &w.slots {
        for update in [&slot.first, &slot.second] {
            if let Some(account) = update.after {
                end.commit(&crate::state::Effect {
                    updates: vec![(update.index, account)],
                    fee: None,
                    payout: None,
                });
            }
        }
    }
    w.fees[0].update = update_on(&end, 5);
    refused_by(w, "fee");
}

#[test]
fn a_fee_counted_in_two_fee_slots() {
    let size = CircuitSize {
        fee_slots: 2,
        ..SIZE
    };
    let mut state = rich_genesis();
    let pre = state.clone();
    let mut builder = BatchBuilder::new(
        &mut state,
        size.batch_params(),
        1,
        Fr::from(0u64),
        fee_accounts(),
    );
    builder
        .push_l2(&signed(transfer(1, 2, 0, 10_000, 30, 0), 1))
        .unwrap();
    let batch = builder.seal();
    let mut w = BatchWitness::build(&pre, &batch, size).unwrap();
    assert_eq!(first_broken_rule(w.clone()), None);
    w.fees[1].slot = w.fees[0].slot;
    w.fees[1].update = w.fees[0].update.clone();
    refused_by(w, "fee");
}

#[test]
fn unknown_operation_types() {
    for code in 5..8 {
        let (_, mut w) = a_transfer();
        w.slots[1].fields.code = code;
        refused_by(w, "op_type");
    }
}

#[test]
fn forced_exit_pays_exactly_the_owners_balance() {
    let exit = ForcedExit {
        account: 1,
        token: 0,
        requester: owner(1),
    };
    let (_, mut w) = witness_of(|b| {
        b.push_priority(&PriorityOp::ForcedExit(exit)).unwrap();
    });
    w.slots[0].fields.amount -= Fr::from(1u64);
    refused_by(w, "forced_exit");
    let stranger = ForcedExit {
        requester: owner(2),
        ..exit
    };
    let (_, mut w) = witness_of(|b| {
        b.push_priority(&PriorityOp::ForcedExit(stranger)).unwrap();
    });
    assert_eq!(w.slots[0].fields.amount, Fr::from(0u64));
    w.slots[0].fields.amount = Fr::from(1_000_000u64);
    refused_by(w, "forced_exit");
}

/// A forced exit is bound to the queue as one packed word (type, token, requester, account):
/// a batch that executes another account's, token's or requester's exit than the one queued
/// reaches another queue hash, so its commitment is not the contract's.
#[test]
fn forced_exit_other_than_queued() {
    let queued = ForcedExit {
        account: 1,
        token: 0,
        requester: owner(1),
    };
    let queue = PriorityOp::ForcedExit(queued).chain(Fr::from(0u64));
    for executed in [
        ForcedExit {
            account: 2,
            ..queued
        },
        ForcedExit { token: 1, ..queued },
        ForcedExit {
            requester: owner(2),
            ..queued
        },
    ] {
        let (_, mut w) = witness_of(|b| {
            b.push_priority(&PriorityOp::ForcedExit(executed)).unwrap();
        });
        w.header.priority_after = queue;
        recommit(&mut w);
        refused_by(w, "commitment");
    }
}

#[test]
fn deposit_into_someone_elses_account() {
    let deposit = Deposit {
        pubkey: key(1).public_key(),
        l1_address: owner(1),
        token: 0,
        amount: 5,
    };
    let (_, mut w) = witness_of(|b| {
        b.push_priority(&PriorityOp::Deposit(deposit)).unwrap();
    });
    assert_eq!(w.slots[0].first.index, 1);
    let intruder = key(3).public_key();
    w.slots[0].fields.deposit_key = (intruder.0.x(), intruder.0.y());
    refused_by(w, "deposit_target");
}

#[test]
fn nonce_past_two_to_the_32() {
    let mut pre = rich_genesis();
    let mut sender = *pre.account(1).unwrap();
    sender.nonce = u32::MAX;
    pre.commit(&crate::state::Effect {
        updates: vec![(1, sender)],
        fee: None,
        payout: None,
    });
    let mut state = pre.clone();
    let builder = BatchBuilder::new(
        &mut state,
        SIZE.batch_params(),
        1,
        Fr::from(0u64),
        fee_accounts(),
    );
    let empty = builder.seal();
    let mut w = BatchWitness::build(&pre, &empty, SIZE).unwrap();
    // Slot 0 becomes a transfer from the exhausted account; its leaves are proven on `pre`.
    let tx = transfer(1, 2, 0, 10, 0, u32::MAX);
    w.slots[0].fields = witness::OpFields::of(&ExecutedOp::L2 { tx: signed(tx, 1) });
    w.slots[0].first = update_on(&pre, 1);
    w.slots[0].second = update_on(&pre, 2);
    refused_by(w, "sender_nonce");
}

/// The state after every slot's leaf updates (before the fee credits).
fn after_slots(pre: &State, witness: &BatchWitness) -> State {
    let mut state = pre.clone();
    for slot in &witness.slots {
        for update in [&slot.first, &slot.second] {
            if let Some(account) = update.after {
                state.commit(&crate::state::Effect {
                    updates: vec![(update.index, account)],
                    fee: None,
                    payout: None,
                });
            }
        }
    }
    state
}

// Audit C-1: a leaf opened with other fields that pack to the same word. Each witness below
// ends on the honest-looking root and commitment a dishonest prover would publish.

/// Account 3 (key 2, token 1) withdraws 500,000 to `to`.
fn withdrawal_of_token_1(to: Address) -> Withdraw {
    Withdraw {
        from: 3,
        token: 1,
        amount: 500_000,
        fee: 0,
        nonce: 0,
        to,
    }
}

#[test]
fn c1_withdrawal_of_eth_from_an_account_of_another_token() {
    let to = Address::repeat_byte(0x99);
    let honest = withdrawal_of_token_1(to);
    let (pre, mut w) = witness_of(|b| {
        b.push_l2(&L2Tx::sign_withdraw(honest, &key(2), &DOMAIN))
            .unwrap();
    });
    let stolen = Withdraw { token: 0, ..honest };
    let tx = L2Tx::sign_withdraw(stolen, &key(2), &DOMAIN);
    w.slots[0].fields = witness::OpFields::of(&ExecutedOp::L2 { tx });
    w.slots[0].first.claimed_before = Some(LeafFields::aliased(pre.account(3).unwrap(), 0, 0));
    w.payouts = vec![Payout {
        recipient: to,
        token: 0,
        amount: 500_000,
    }];
    recommit(&mut w);
    refused_by(w, "leaf_ranges");
}

#[test]
fn c1_replayed_old_signature() {
    let mut pre = rich_genesis();
    let old = signed(transfer(1, 2, 0, 10_000, 30, 0), 1);
    pre.apply_l2(&old).unwrap();
    let (pre, mut w) = witness_on(pre, fee_accounts(), |b| {
        b.push_l2(&signed(transfer(1, 2, 0, 10_000, 30, 1), 1))
            .unwrap();
    });
    assert_eq!(first_broken_rule(w.clone()), None);
    w.slots[0].fields.signature = *old.signature();
    w.slots[0].first.claimed_before = Some(LeafFields::aliased(pre.account(1).unwrap(), 0, 0));
    refused_by(w, "leaf_ranges");
}

#[test]
fn c1_recipient_leaf_aliased() {
    // The recipient opened with another nonce and owner that pack alike: the same root.
    let (pre, mut w) = a_transfer();
    let recipient = pre.account(2).unwrap();
    w.slots[0].second.claimed_before = Some(LeafFields::aliased(recipient, 0, 7));
    refused_by(w, "leaf_ranges");
}

#[test]
fn c1_fee_slot_aliased_to_another_token() {
    // Token-1 fees credited to the operator's ETH account 0, claimed to hold token 1.
    let fees = [(1, 5)].into_iter().collect();
    let (pre, mut w) = witness_on(rich_genesis(), fees, |b| {
        let tx = transfer(3, 5, 1, 10_000, 30, 0);
        b.push_l2(&signed(tx, 2)).unwrap();
    });
    assert_eq!(first_broken_rule(w.clone()), None);
    let mut end = after_slots(&pre, &w);
    let operator = *end.account(0).unwrap();
    w.fees[0].update = update_on(&end, 0);
    w.fees[0].update.claimed_before = Some(LeafFields::aliased(&operator, 1, 0));
    end.commit(&crate::state::Effect {
        updates: vec![(
            0,
            Account {
                balance: operator.balance + 30,
                ..operator
            },
        )],
        fee: None,
        payout: None,
    });
    w.header.new_root = end.root();
    w.pubdata[1..5].copy_from_slice(&0u32.to_be_bytes());
    recommit(&mut w);
    refused_by(w, "leaf_ranges");
}

#[test]
fn c1_cancelled_forced_exit() {
    // The owner's exit is consumed from the queue but nullified: the leaf is claimed to hold
    // token 1, so it is not the exited token and nothing is paid.
    let exit = ForcedExit {
        account: 1,
        token: 0,
        requester: owner(1),
    };
    let stranger = ForcedExit {
        requester: owner(2),
        ..exit
    };
    let (pre, mut w) = witness_of(|b| {
        b.push_priority(&PriorityOp::ForcedExit(stranger)).unwrap();
    });
    w.slots[0].fields.l1_address = crate::field::fr_from_address(&owner(1));
    w.slots[0].first.claimed_before = Some(LeafFields::aliased(pre.account(1).unwrap(), 1, 0));
    w.header.priority_after = PriorityOp::ForcedExit(exit).chain(Fr::from(0u64));
    w.payouts = vec![Payout {
        recipient: owner(1),
        token: 0,
        amount: 0,
    }];
    recommit(&mut w);
    refused_by(w, "leaf_ranges");
}

#[test]
fn c2_a_deposit_never_tops_up_an_account_of_another_l1_owner() {
    let attacker = Address::repeat_byte(0xaa);
    let squat = Deposit {
        pubkey: key(1).public_key(),
        l1_address: attacker,
        token: 1,
        amount: 1,
    };
    let victim = Deposit {
        l1_address: owner(1),
        amount: 1_000_000,
        ..squat
    };
    let exit = ForcedExit {
        account: 6,
        token: 1,
        requester: attacker,
    };
    // Natively the victim's deposit opens account 7, owned by the victim; the attacker's
    // forced exit takes back only its own unit.
    let (pre, w) = witness_of(|b| {
        b.push_priority(&PriorityOp::Deposit(squat)).unwrap();
        b.push_priority(&PriorityOp::Deposit(victim)).unwrap();
        b.push_priority(&PriorityOp::ForcedExit(exit)).unwrap();
    });
    assert_eq!(first_broken_rule(w.clone()), None);
    assert_eq!(w.slots[1].first.index, 7);
    assert_eq!(w.slots[2].fields.amount, Fr::from(1u64));
    let mut squatted = pre.clone();
    squatted.commit(&squatted.check_deposit(6, &squat).unwrap());
    assert!(squatted.check_deposit(6, &victim).is_err());
    // In-circuit: the victim's queued deposit credited to the attacker's account 6.
    let own_top_up = Deposit {
        l1_address: attacker,
        ..victim
    };
    let (_, mut w) = witness_of(|b| {
        b.push_priority(&PriorityOp::Deposit(squat)).unwrap();
        b.push_priority(&PriorityOp::Deposit(own_top_up)).unwrap();
    });
    assert_eq!(w.slots[1].first.index, 6);
    w.slots[1].fields.l1_address = crate::field::fr_from_address(&owner(1));
    w.header.priority_after = crate::ops::priority::chain_all(
        Fr::from(0u64),
        &[PriorityOp::Deposit(squat), PriorityOp::Deposit(victim)],
    );
    recommit(&mut w);
    refused_by(w, "deposit_target");
}

/// Freedoms the determinism check may find in a batch circuit, each with why moving it
/// changes no output. Matched against the span path of the variable's first constraint.
const HARMLESS_FREEDOMS: &[(&str, &str)] = &[(
    "/is_neq",
    "the inverse hint of an equality test whose two sides are equal: is_neq's constraints \
     multiply it by their difference, zero, so no other value depends on it",
)];

/// Runs the determinism check on the one-slot, depth-4 circuit of the batch `fill` makes on
/// the rich genesis; returns the free variables that no entry of the allowlist explains.
fn unexplained_freedoms(fill: impl FnOnce(&mut BatchBuilder<'_>)) -> Vec<String> {
    use ark_relations::gr1cs::{ConstraintLayer, TracingMode};
    use tracing_subscriber::layer::SubscriberExt;
    let size = CircuitSize {
        slots: 1,
        fee_slots: 1,
        depth: 4,
    };
    let mut state = rich_genesis();
    let pre = state.clone();
    let mut builder = BatchBuilder::new(
        &mut state,
        size.batch_params(),
        1,
        Fr::from(0u64),
        fee_accounts(),
    );
    fill(&mut builder);
    let witness = BatchWitness::build(&pre, &builder.seal(), size).unwrap();
    let subscriber = tracing_subscriber::Registry::default()
        .with(ConstraintLayer::new(TracingMode::OnlyConstraints));
    let cs = ConstraintSystem::<Fr>::new_ref();
    let ((), hashes) = crate::poseidon::constraints::record_hashes(|| {
        tracing::subscriber::with_default(subscriber, || {
            BatchCircuit { witness }
                .generate_constraints(cs.clone())
                .unwrap();
        })
    });
    let started = std::time::Instant::now();
    let free = crate::determinism::free_variables(&cs, &hashes);
    println!(
        "determinism check: {} constraints, {} witness variables, {} free, {:?}",
        cs.num_constraints(),
        cs.num_witness_variables(),
        free.len(),
        started.elapsed()
    );
    free.into_iter()
        .filter(|f| {
            !HARMLESS_FREEDOMS
                .iter()
                .any(|(rule, _)| f.rules.contains(rule))
        })
        .map(|f| format!("{f:?}"))
        .collect()
}

/// What fills a test batch.
type Fill = dyn FnOnce(&mut BatchBuilder<'_>);

#[test]
fn determinism_of_one_slot_batches_of_every_operation() {
    let deposit = |l1_address| Deposit {
        pubkey: key(1).public_key(),
        l1_address,
        token: 0,
        amount: 5000,
    };
    let exit = |requester| ForcedExit {
        account: 1,
        token: 0,
        requester,
    };
    let withdraw = Withdraw {
        from: 2,
        token: 0,
        amount: 400,
        fee: 20,
        nonce: 0,
        to: Address::repeat_byte(0x99),
    };
    let batches: Vec<(&str, Box<Fill>)> = vec![
        ("noop", Box::new(|_| {})),
        (
            "transfer",
            Box::new(|b| {
                b.push_l2(&signed(transfer(1, 2, 0, 10_000, 30, 0), 1))
                    .unwrap();
            }),
        ),
        (
            "withdraw",
            Box::new(move |b| {
                b.push_l2(&L2Tx::sign_withdraw(withdraw, &key(2), &DOMAIN))
                    .unwrap();
            }),
        ),
        (
            "top-up",
            Box::new(move |b| {
                b.push_priority(&PriorityOp::Deposit(deposit(owner(1))))
                    .unwrap();
            }),
        ),
        (
            "new account",
            Box::new(move |b| {
                b.push_priority(&PriorityOp::Deposit(deposit(owner(9))))
                    .unwrap();
            }),
        ),
        (
            "forced exit",
            Box::new(move |b| {
                b.push_priority(&PriorityOp::ForcedExit(exit(owner(1))))
                    .unwrap();
            }),
        ),
        (
            "nullified forced exit",
            Box::new(move |b| {
                b.push_priority(&PriorityOp::ForcedExit(exit(owner(2))))
                    .unwrap();
            }),
        ),
    ];
    for (name, fill) in batches {
        let unexplained = unexplained_freedoms(fill);
        assert!(
            unexplained.is_empty(),
            "{name}: unexplained freedoms: {unexplained:?}"
        );
    }
}

#[test]
fn no_witness_variable_is_left_out_of_every_constraint() {
    let cs = ConstraintSystem::<Fr>::new_ref();
    BatchCircuit {
        witness: mixed_witness(),
    }
    .generate_constraints(cs.clone())
    .unwrap();
    cs.finalize();
    let matrices = cs.to_matrices().unwrap();
    let instance = cs.num_instance_variables();
    let witnesses = cs.num_witness_variables();
    let mut used = vec![false; instance + witnesses];
    for matrix in matrices.values().flatten() {
        for row in matrix {
            for (_, column) in row {
                used[*column] = true;
            }
        }
    }
    let unused: Vec<usize> = (instance..instance + witnesses)
        .filter(|v| !used[*v])
        .collect();
    assert!(
        unused.is_empty(),
        "{} of {witnesses} witness variables in no constraint: {:?}",
        unused.len(),
        &unused[..unused.len().min(10)]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 6, ..Default::default() })]

    /// Random batches mixing every operation type: whatever the native builder accepts
    /// satisfies the circuit, whose commitment (binding the new root, the queue, the payouts
    /// and the pubdata) is then the native one.
    #[test]
    fn random_native_batches_satisfy_the_circuit(
        actions in proptest::collection::vec((0u8..4, 0u8..4, 0u8..4, 0u32..3_000_000), 4..10),
    ) {
        let (_, w) = witness_of(|b| {
            for (kind, x, y, value) in actions {
                let account = |k: u8| u32::from(k % 3);
                let amount = u128::from(value / 100 * 100);
                let _ = match kind {
                    0 => b.push_priority(&PriorityOp::Deposit(Deposit {
                        pubkey: key(x).public_key(), l1_address: owner(x), token: u32::from(y % 2), amount,
                    })).map(|_| ()),
                    1 => {
                        let from = account(x);
                        let nonce = b.state().account(from).map_or(0, |a| a.nonce);
                        let tx = transfer(from, account(y), 0, amount, u128::from(value % 3) * 10, nonce);
                        b.push_l2(&signed(tx, from as u8)).map(|_| ())
                    }
                    2 => {
                        let from = account(x);
                        let nonce = b.state().account(from).map_or(0, |a| a.nonce);
                        let tx = Withdraw { from, token: 0, amount, fee: u128::from(value % 2) * 20, nonce, to: owner(y) };
                        b.push_l2(&L2Tx::sign_withdraw(tx, &key(from as u8), &DOMAIN)).map(|_| ())
                    }
                    _ => b.push_priority(&PriorityOp::ForcedExit(ForcedExit {
                        account: account(x), token: 0, requester: owner(y % 3),
                    })).map(|_| ()),
                };
            }
        });
        proptest::prop_assert_eq!(first_broken_rule(w.clone()), None);
        let circuit = BatchCircuit { witness: w.clone() };
        proptest::prop_assert_eq!(circuit.public_inputs(), w.header.public_inputs(&DataBinding::of_calldata(&w.pubdata, &payees(&w), &w.payouts)));
    }
}

#[test]
fn constraint_report_adds_up() {
    for depth in [4u8, 32] {
        let size = CircuitSize {
            slots: 2,
            fee_slots: 1,
            depth,
        };
        let report = BatchCircuit::constraint_report(size).unwrap();
        let slot = report.per_slot;
        assert_eq!(
            slot.total,
            slot.operation_fields
                + slot.first_leaf
                + slot.second_leaf
                + slot.signature
                + slot.queue_and_payout
                + slot.fees
        );
        assert_eq!(
            report.total,
            report.other + report.fee_credits + report.commitment + 2 * slot.total
        );
        println!(
            "{size:?}: {report:#?}\nper operation: {}",
            report.per_operation()
        );
    }
}
