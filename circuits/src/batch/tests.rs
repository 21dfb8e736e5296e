//! The batch builder, and property tests of the whole native state machine: supply is
//! conserved, refused operations change nothing, pubdata decodes back to the operations, and
//! replaying a batch's published data reproduces its new root.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use proptest::prelude::*;

use super::replay::{replay, ReplayError};
use super::*;
use crate::eddsa::PrivateKey;
use crate::ops::{Deposit, Domain, ForcedExit, Transfer, Withdraw};
use crate::state::{Account, StateConfig};

const DOMAIN: Domain = Domain {
    chain_id: 5,
    rollup_address: Address::repeat_byte(0x11),
};
const PARAMS: BatchParams = BatchParams {
    slots: 12,
    fee_slots: 2,
};
const TOKENS: u32 = 3;
const KEYS: u8 = 4;

fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes([i + 1; 32])
}

fn owner(i: u8) -> Address {
    Address::repeat_byte(0x20 + i)
}

/// Accounts: key `i` holds token `t` in account `i·TOKENS + t`; the operator (key 0)
/// collects fees of token `t` in account `t`.
fn genesis(balance: u128) -> (State, BTreeMap<TokenId, AccountIndex>) {
    let mut state = State::new(StateConfig {
        depth: 6,
        domain: DOMAIN,
    })
    .unwrap();
    for _ in 1..TOKENS {
        state.register_token();
    }
    for i in 0..KEYS {
        for token in 0..TOKENS {
            let deposit = Deposit {
                pubkey: key(i).public_key(),
                l1_address: owner(i),
                token,
                amount: balance,
            };
            let index = state.next_free_index().unwrap();
            let effect = state.check_deposit(index, &deposit).unwrap();
            state.commit(&effect);
        }
    }
    (state, (0..TOKENS).map(|t| (t, t)).collect())
}

fn snapshot(state: &State) -> (Fr, Vec<(AccountIndex, Account)>) {
    (
        state.root(),
        state.accounts().map(|(i, a)| (i, *a)).collect(),
    )
}

/// Key 1 pays 100 from account 3 to account 6 with a fee of 7.
fn transfer_with_fee() -> L2Tx {
    let tx = Transfer {
        from: 3,
        to: 6,
        token: 0,
        amount: 100,
        fee: 7,
        nonce: 0,
    };
    L2Tx::sign_transfer(tx, &key(1), &DOMAIN)
}

#[test]
fn sealing_into_a_smaller_circuit_pads_to_its_size() {
    let (mut state, fee_accounts) = genesis(1000);
    let mut builder = BatchBuilder::new(&mut state, PARAMS, 1, Fr::from(0u64), fee_accounts);
    builder.push_l2(&transfer_with_fee()).unwrap();
    assert_eq!(builder.fee_slots_used(), 1);
    let small = BatchParams {
        slots: 2,
        fee_slots: 2,
    };
    let batch = builder.seal_as(small);
    assert_eq!(batch.ops.len(), 2);
    assert_eq!(batch.header.new_root, state.root());
    let layout = PubdataLayout { depth: 6 };
    assert_eq!(batch.pubdata.len(), 2 * 5 + 2 * layout.chunk_bytes());
}

#[test]
fn an_accounts_only_state_executes_the_same_batch_without_hashing() {
    let (mut state, fee_accounts) = genesis(1000);
    let mut fast = state.clone().accounts_only();
    let root_before = fast.root();
    let txs: Vec<L2Tx> = (0..3)
        .map(|nonce| {
            let tx = Transfer {
                from: 3,
                to: 6,
                token: 0,
                amount: 10,
                fee: 1,
                nonce,
            };
            L2Tx::sign_transfer(tx, &key(1), &DOMAIN)
        })
        .collect();
    let mut builder = BatchBuilder::new(&mut fast, PARAMS, 1, Fr::from(0u64), fee_accounts.clone());
    for tx in &txs {
        builder.push_l2(tx).unwrap();
    }
    let contents = builder.close();
    let mut builder = BatchBuilder::new(&mut state, PARAMS, 1, Fr::from(0u64), fee_accounts);
    for tx in &txs {
        builder.push_l2(tx).unwrap();
    }
    let batch = builder.seal();
    assert_eq!(contents.ops[..], batch.ops[..3]);
    assert_eq!(contents.fee_slots, batch.fee_slots);
    assert_eq!(snapshot(&fast).1, snapshot(&state).1);
    assert_eq!(fast.root(), root_before, "nothing was hashed");
    assert_ne!(state.root(), root_before);
}

#[test]
fn builder_collects_fees_into_the_operator_account_at_seal() {
    let (mut state, fee_accounts) = genesis(1000);
    let mut builder = BatchBuilder::new(&mut state, PARAMS, 1, Fr::from(0u64), fee_accounts);
    builder.push_l2(&transfer_with_fee()).unwrap();
    assert_eq!(builder.state().account(0).unwrap().balance, 1000);
    let batch = builder.seal();
    assert_eq!(state.account(0).unwrap().balance, 1007);
    assert_eq!(state.account(3).unwrap().balance, 893);
    assert_eq!(state.account(6).unwrap().balance, 1100);
    assert_eq!(batch.ops.len(), PARAMS.slots);
    assert_eq!(
        batch.fee_slots,
        vec![FeeSlot {
            token: 0,
            account: 0,
            collected: 7
        }]
    );
    assert_eq!(batch.header.new_root, state.root());
    assert_eq!(
        batch.data,
        crate::blob::DataBinding::of_calldata(
            &batch.pubdata,
            &crate::batch::payees(&batch.ops),
            &batch.payouts,
        )
    );
}

#[test]
fn builder_refuses_without_changing_anything() {
    let (mut state, mut fee_accounts) = genesis(1000);
    fee_accounts.remove(&2);
    let before = snapshot(&state);
    let params = BatchParams {
        slots: 2,
        fee_slots: 1,
    };
    let mut builder = BatchBuilder::new(&mut state, params, 1, Fr::from(0u64), fee_accounts);
    let pay = |from, token, fee, nonce| {
        let tx = Transfer {
            from,
            to: from + 3,
            token,
            amount: 1,
            fee,
            nonce,
        };
        L2Tx::sign_transfer(tx, &key((from / TOKENS) as u8), &DOMAIN)
    };
    assert_eq!(
        builder.push_l2(&pay(5, 2, 1, 0)),
        Err(BatchError::NoFeeAccount(2))
    );
    builder.push_l2(&pay(3, 0, 1, 0)).unwrap();
    assert_eq!(
        builder.push_l2(&pay(4, 1, 1, 0)),
        Err(BatchError::FeeSlotsFull)
    );
    builder.push_l2(&pay(4, 1, 0, 0)).unwrap();
    assert_eq!(builder.push_l2(&pay(3, 0, 1, 1)), Err(BatchError::Full));
    builder.seal();
    let params = BatchParams {
        slots: 2,
        fee_slots: 1,
    };
    let (mut fresh, fee_accounts) = genesis(1000);
    assert_eq!(snapshot(&fresh), before);
    let mut builder = BatchBuilder::new(&mut fresh, params, 1, Fr::from(0u64), fee_accounts);
    assert!(matches!(
        builder.push_l2(&pay(3, 0, 1, 5)),
        Err(BatchError::Tx(_))
    ));
    builder.seal();
    assert_eq!(fresh.root(), before.0);
}

#[test]
fn fee_account_overflow_is_refused_before_it_can_happen() {
    let (mut state, fee_accounts) = genesis(1000);
    let whale = Deposit {
        pubkey: key(0).public_key(),
        l1_address: owner(0),
        token: 0,
        amount: u128::MAX - 1020,
    };
    let mut builder = BatchBuilder::new(&mut state, PARAMS, 1, Fr::from(0u64), fee_accounts);
    let executed = builder.push_priority(&PriorityOp::Deposit(whale)).unwrap();
    assert_eq!(
        executed,
        ExecutedOp::Deposit {
            account: 0,
            deposit: whale
        }
    );
    let tx = Transfer {
        from: 3,
        to: 6,
        token: 0,
        amount: 0,
        fee: 20,
        nonce: 0,
    };
    builder
        .push_l2(&L2Tx::sign_transfer(tx, &key(1), &DOMAIN))
        .unwrap();
    // The operator account now holds MAX − 20 with 20 owed: a deposit onto it must move
    // to a fresh account, and a transfer into it is refused.
    let top_up = Deposit { amount: 1, ..whale };
    let executed = builder.push_priority(&PriorityOp::Deposit(top_up)).unwrap();
    assert_eq!(
        executed,
        ExecutedOp::Deposit {
            account: 12,
            deposit: top_up
        }
    );
    let tx = Transfer {
        from: 3,
        to: 0,
        token: 0,
        amount: 1,
        fee: 0,
        nonce: 1,
    };
    let refused = builder.push_l2(&L2Tx::sign_transfer(tx, &key(1), &DOMAIN));
    assert_eq!(refused, Err(BatchError::FeeAccountOverflow(0)));
    builder.seal();
    assert_eq!(state.account(0).unwrap().balance, u128::MAX);
}

#[test]
fn priority_hash_follows_the_queue() {
    let (mut state, fee_accounts) = genesis(10);
    let before = Fr::from(99u64);
    let ops = [
        PriorityOp::Deposit(Deposit {
            pubkey: key(1).public_key(),
            l1_address: owner(1),
            token: 1,
            amount: 5,
        }),
        PriorityOp::ForcedExit(ForcedExit {
            account: 4,
            token: 1,
            requester: owner(1),
        }),
    ];
    let mut builder = BatchBuilder::new(&mut state, PARAMS, 3, before, fee_accounts);
    for op in &ops {
        builder.push_priority(op).unwrap();
    }
    let batch = builder.seal();
    assert_eq!(batch.header.priority_before, before);
    assert_eq!(
        batch.header.priority_after,
        crate::ops::priority::chain_all(before, &ops)
    );
    assert_eq!(state.account(4).unwrap().balance, 0);
    assert_eq!(batch.payouts[0].amount, 15);
}

#[test]
fn replay_refuses_a_skipped_priority_operation() {
    let (mut state, fee_accounts) = genesis(10);
    let pre = state.clone();
    let exit = ForcedExit {
        account: 4,
        token: 1,
        requester: owner(1),
    };
    let deposit = Deposit {
        pubkey: key(2).public_key(),
        l1_address: owner(2),
        token: 0,
        amount: 1,
    };
    let mut builder = BatchBuilder::new(&mut state, PARAMS, 1, Fr::from(0u64), fee_accounts);
    builder
        .push_priority(&PriorityOp::ForcedExit(exit))
        .unwrap();
    let batch = builder.seal();
    let mut copy = pre.clone();
    let mut queue = [PriorityOp::Deposit(deposit), PriorityOp::ForcedExit(exit)].into_iter();
    let result = replay(
        &mut copy,
        PARAMS,
        &batch.pubdata,
        &batch.payouts,
        &mut queue,
    );
    assert_eq!(result, Err(ReplayError::PriorityMismatch(0)));
    let mut copy = pre;
    let mut queue = [PriorityOp::ForcedExit(exit)].into_iter();
    replay(
        &mut copy,
        PARAMS,
        &batch.pubdata,
        &batch.payouts,
        &mut queue,
    )
    .unwrap();
    assert_eq!(copy.root(), batch.header.new_root);
}

/// One randomly drawn operation; most are valid, some break a rule.
#[derive(Clone, Debug)]
enum Action {
    Transfer {
        signer: u8,
        from_key: u8,
        to_key: u8,
        token: u32,
        amount: u128,
        fee: u128,
        nonce_skew: u32,
    },
    Withdraw {
        from_key: u8,
        token: u32,
        amount: u128,
        fee: u128,
        nonce_skew: u32,
    },
    Deposit {
        key: u8,
        token: u32,
        amount: u128,
    },
    ForcedExit {
        key: u8,
        token: u32,
        requester: u8,
    },
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        4 => 0u128..400,
        1 => (1u128..1 << 30, 0u32..3).prop_map(|(m, e)| m * 10u128.pow(e)),
        1 => (1u128 << 30)..(1u128 << 31),
    ]
}

fn fee() -> impl Strategy<Value = u128> {
    prop_oneof![3 => 0u128..32, 1 => Just(0u128), 1 => 32u128..40]
}

fn skew() -> impl Strategy<Value = u32> {
    prop_oneof![8 => Just(0u32), 1 => 1u32..3]
}

fn action() -> impl Strategy<Value = Action> {
    let key = 0..KEYS;
    let token = prop_oneof![9 => 0..TOKENS, 1 => Just(TOKENS)];
    prop_oneof![
        6 => (prop_oneof![9 => Just(None), 1 => key.clone().prop_map(Some)], key.clone(), key.clone(), token.clone(), amount(), fee(), skew())
            .prop_map(|(signer, from_key, to_key, token, amount, fee, nonce_skew)| Action::Transfer {
                signer: signer.unwrap_or(from_key), from_key, to_key, token, amount, fee, nonce_skew }),
        2 => (key.clone(), token.clone(), amount(), fee(), skew())
            .prop_map(|(from_key, token, amount, fee, nonce_skew)| Action::Withdraw { from_key, token, amount, fee, nonce_skew }),
        1 => (key.clone(), 0..TOKENS, 0u128..1000).prop_map(|(key, token, amount)| Action::Deposit { key, token, amount }),
        1 => (key.clone(), 0..TOKENS, key).prop_map(|(key, token, requester)| Action::ForcedExit { key, token, requester }),
    ]
}

fn account_of(key: u8, token: u32) -> AccountIndex {
    u32::from(key) * TOKENS + token.min(TOKENS - 1)
}

enum Drawn {
    L2(L2Tx),
    Priority(PriorityOp),
}

fn draw(state: &State, action: &Action) -> Drawn {
    let nonce = |index| state.account(index).map_or(0, |a| a.nonce);
    match *action {
        Action::Transfer {
            signer,
            from_key,
            to_key,
            token,
            amount,
            fee,
            nonce_skew,
        } => {
            let from = account_of(from_key, token);
            let tx = Transfer {
                from,
                to: account_of(to_key, token),
                token,
                amount,
                fee,
                nonce: nonce(from) + nonce_skew,
            };
            Drawn::L2(L2Tx::sign_transfer(tx, &key(signer), &DOMAIN))
        }
        Action::Withdraw {
            from_key,
            token,
            amount,
            fee,
            nonce_skew,
        } => {
            let from = account_of(from_key, token);
            let tx = Withdraw {
                from,
                token,
                amount,
                fee,
                nonce: nonce(from) + nonce_skew,
                to: owner(from_key),
            };
            Drawn::L2(L2Tx::sign_withdraw(tx, &key(from_key), &DOMAIN))
        }
        Action::Deposit {
            key: k,
            token,
            amount,
        } => Drawn::Priority(PriorityOp::Deposit(Deposit {
            pubkey: key(k).public_key(),
            l1_address: owner(k),
            token,
            amount,
        })),
        Action::ForcedExit {
            key,
            token,
            requester,
        } => Drawn::Priority(PriorityOp::ForcedExit(ForcedExit {
            account: account_of(key, token),
            token,
            requester: owner(requester),
        })),
    }
}

fn supplies(state: &State) -> Vec<u128> {
    (0..TOKENS).map(|t| state.supply(t)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn batches_conserve_supply_refusals_change_nothing_and_replay_reproduces_the_root(
        actions in proptest::collection::vec(action(), 1..16),
    ) {
        let (mut state, fee_accounts) = genesis(500);
        let pre = state.clone();
        let supply_before = supplies(&state);
        let mut deposited = vec![0u128; TOKENS as usize];
        let mut queue = Vec::new();
        let mut builder = BatchBuilder::new(&mut state, PARAMS, 1, Fr::from(0u64), fee_accounts);
        for action in &actions {
            let before = snapshot(builder.state());
            match draw(builder.state(), action) {
                Drawn::L2(tx) => {
                    if builder.push_l2(&tx).is_err() {
                        prop_assert_eq!(snapshot(builder.state()), before);
                    }
                }
                Drawn::Priority(op) => {
                    if builder.push_priority(&op).is_ok() {
                        queue.push(op);
                        if let PriorityOp::Deposit(d) = op {
                            deposited[d.token as usize] += d.amount;
                        }
                    }
                }
            }
        }
        let batch = builder.seal();

        // Supply: what was there plus deposits equals what is there plus what left to L1.
        for token in 0..TOKENS {
            let paid: u128 = batch.payouts.iter().filter(|p| p.token == token).map(|p| p.amount).sum();
            let t = token as usize;
            prop_assert_eq!(supply_before[t] + deposited[t], state.supply(token) + paid);
        }

        // Pubdata: each chunk decodes back to its operation.
        let layout = crate::pubdata::PubdataLayout { depth: state.depth() };
        let chunks = &batch.pubdata[PARAMS.fee_slots * crate::pubdata::FEE_ENTRY_BYTES..];
        for (op, chunk) in batch.ops.iter().zip(chunks.chunks(layout.chunk_bytes())) {
            prop_assert_eq!(layout.decode(chunk), Ok(PubdataOp::from(op)));
        }

        // Replay from published data reproduces the root and every account.
        let mut rebuilt = pre;
        let mut priority = queue.into_iter();
        replay(&mut rebuilt, PARAMS, &batch.pubdata, &batch.payouts, &mut priority).unwrap();
        prop_assert!(priority.next().is_none());
        prop_assert_eq!(rebuilt.root(), batch.header.new_root);
        prop_assert_eq!(snapshot(&rebuilt), snapshot(&state));
    }

    #[test]
    fn encodings_round_trip(action in action()) {
        let (state, _) = genesis(500);
        match draw(&state, &action) {
            Drawn::L2(tx) => {
                prop_assert_eq!(L2Tx::decode(&tx.encode()), Ok(tx));
                let json = serde_json::to_string(&tx).unwrap();
                prop_assert_eq!(serde_json::from_str::<L2Tx>(&json).unwrap(), tx);
            }
            Drawn::Priority(op) => {
                prop_assert_eq!(PriorityOp::decode(&op.encode()), Ok(op));
                let json = serde_json::to_string(&op).unwrap();
                prop_assert_eq!(serde_json::from_str::<PriorityOp>(&json).unwrap(), op);
            }
        }
    }
}
