//! The batch circuit against the native rules: batches the native code accepts satisfy it
//! with the same roots and commitment; witnesses that break one rule do not.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

use super::*;
use crate::batch::Batch;
use crate::eddsa::PrivateKey;
use crate::ops::{Deposit, ForcedExit, L2Tx, PriorityOp, Transfer, Withdraw};

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
    let mut builder = BatchBuilder::new(state, SIZE.batch_params(), 7, Fr::from(0u64), fee_accounts());
    let deposit = Deposit {
        pubkey: key(3).public_key(),
        l1_address: owner(3),
        token: 0,
        amount: 5000,
    };
    builder.push_priority(&PriorityOp::Deposit(deposit)).unwrap();
    let transfer = Transfer {
        from: 1,
        to: 2,
        token: 0,
        amount: 12_000,
        fee: 30,
        nonce: 0,
    };
    builder.push_l2(&L2Tx::sign_transfer(transfer, &key(1), &DOMAIN)).unwrap();
    let withdraw = Withdraw {
        from: 2,
        token: 0,
        amount: 400,
        fee: 0,
        nonce: 0,
        to: Address::repeat_byte(0x99),
    };
    builder.push_l2(&L2Tx::sign_withdraw(withdraw, &key(2), &DOMAIN)).unwrap();
    let exit = ForcedExit {
        account: 1,
        token: 0,
        requester: owner(1),
    };
    builder.push_priority(&PriorityOp::ForcedExit(exit)).unwrap();
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
    BatchCircuit { witness }.generate_constraints(cs.clone()).unwrap();
    let satisfied = cs.is_satisfied().unwrap();
    let first = cs.which_is_unsatisfied().unwrap();
    (satisfied, cs.num_constraints(), first)
}

#[test]
fn a_mixed_batch_satisfies_the_circuit() {
    let witness = mixed_witness();
    let (satisfied, constraints, first) = run(witness);
    println!("batch circuit {SIZE:?}: {constraints} constraints");
    assert!(satisfied, "first unsatisfied: {first:?}");
}
