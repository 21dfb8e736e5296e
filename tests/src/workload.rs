//! Synthetic workloads: a funded state and random valid batches that mix every operation
//! type (for the proving and fleet benchmarks and the verifier tests), and a populated state
//! with pre-signed transfers (for the native benchmarks).

use std::collections::BTreeMap;

use alloy_primitives::Address;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use verity_circuits::batch::{Batch, BatchBuilder, BatchError};
use verity_circuits::circuit::{BatchWitness, CircuitSize, WitnessError};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{
    AccountIndex, Deposit, Domain, ForcedExit, L2Tx, PriorityOp, TokenId, Transfer, Withdraw,
};
use verity_circuits::state::{State, StateConfig};
use verity_circuits::Fr;

/// The deployment workloads sign for.
pub const DOMAIN: Domain = Domain {
    chain_id: 31337,
    rollup_address: Address::repeat_byte(0x5f),
};

/// A state of funded accounts and the keys that own them.
pub struct Workload {
    state: State,
    keys: Vec<PrivateKey>,
    fee_accounts: BTreeMap<TokenId, AccountIndex>,
    priority_hash: Fr,
    batches: u64,
    rng: StdRng,
}

fn owner(index: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[12..].copy_from_slice(&(index as u64 + 1).to_be_bytes());
    Address::from(bytes)
}

impl Workload {
    /// `users` accounts of ETH (one key each, as many as the tree holds) plus the
    /// operator's fee account 0, at `depth`.
    pub fn new(depth: u8, users: usize, seed: u64) -> Workload {
        let capacity = 1usize.checked_shl(u32::from(depth)).unwrap_or(usize::MAX);
        let users = users.min(capacity - 1).max(1);
        let mut rng = StdRng::seed_from_u64(seed);
        let keys: Vec<PrivateKey> = (0..=users).map(|_| PrivateKey::random(&mut rng)).collect();
        let mut state = State::new(StateConfig {
            depth,
            domain: DOMAIN,
        })
        .expect("a valid depth");
        for (index, key) in keys.iter().enumerate() {
            let deposit = Deposit {
                pubkey: key.public_key(),
                l1_address: owner(index),
                token: 0,
                amount: 10u128.pow(21),
            };
            let effect = state
                .check_deposit(index as AccountIndex, &deposit)
                .expect("a fresh leaf");
            state.commit(&effect);
        }
        Workload {
            state,
            keys,
            fee_accounts: [(0, 0)].into_iter().collect(),
            priority_hash: Fr::from(0u64),
            batches: 0,
            rng,
        }
    }

    /// The state so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    fn random_op(&mut self, state: &State) -> Op {
        let users = self.keys.len() - 1;
        let from = self.rng.gen_range(1..=users);
        let nonce = state.account(from as AccountIndex).map_or(0, |a| a.nonce);
        let amount = u128::from(self.rng.gen_range(1u32..1000)) * 10u128.pow(12);
        let fee = u128::from(self.rng.gen_range(0u32..32)) * 10u128.pow(9);
        match self.rng.gen_range(0..16) {
            0 | 1 => Op::Priority(PriorityOp::Deposit(Deposit {
                pubkey: self.keys[from].public_key(),
                l1_address: owner(from),
                token: 0,
                amount,
            })),
            2 => Op::Priority(PriorityOp::ForcedExit(ForcedExit {
                account: from as AccountIndex,
                token: 0,
                requester: owner(from),
            })),
            3 | 4 => Op::L2(L2Tx::sign_withdraw(
                Withdraw {
                    from: from as AccountIndex,
                    token: 0,
                    amount,
                    fee,
                    nonce,
                    to: owner(from),
                },
                &self.keys[from],
                &DOMAIN,
            )),
            _ => {
                let to = self.rng.gen_range(1..=users);
                Op::L2(L2Tx::sign_transfer(
                    Transfer {
                        from: from as AccountIndex,
                        to: to as AccountIndex,
                        token: 0,
                        amount,
                        fee,
                        nonce,
                    },
                    &self.keys[from],
                    &DOMAIN,
                ))
            }
        }
    }

    /// Executes the next batch, filling every slot, and returns it with its witness.
    pub fn next_batch(&mut self, size: CircuitSize) -> Result<(Batch, BatchWitness), WitnessError> {
        let pre = self.state.clone();
        self.batches += 1;
        let mut state = self.state.clone();
        let mut builder = BatchBuilder::new(
            &mut state,
            size.batch_params(),
            self.batches,
            self.priority_hash,
            self.fee_accounts.clone(),
        );
        let mut queue = Vec::new();
        while !builder.is_full() {
            let op = self.random_op(builder.state());
            let result = match &op {
                Op::L2(tx) => builder.push_l2(tx).map(|_| ()),
                Op::Priority(op) => builder.push_priority(op).map(|_| queue.push(*op)),
            };
            match result {
                Ok(()) | Err(BatchError::Tx(_)) => {}
                Err(other) => panic!("workload batches have room: {other}"),
            }
        }
        let batch = builder.seal();
        self.priority_hash = batch.header.priority_after;
        let witness = BatchWitness::build(&pre, &batch, size)?;
        self.state = state;
        Ok((batch, witness))
    }
}

enum Op {
    L2(L2Tx),
    Priority(PriorityOp),
}

/// A state of `accounts` ETH accounts at `depth`, owned round-robin by `keys` keys
/// (account `i` by key `i % keys`), each holding 10^18.
pub struct Populated {
    /// The state.
    pub state: State,
    /// The owners' keys.
    pub keys: Vec<PrivateKey>,
}

impl Populated {
    /// Builds the state.
    pub fn new(depth: u8, accounts: u32, keys: usize) -> Populated {
        let keys: Vec<PrivateKey> = (0..keys)
            .map(|i| {
                let mut bytes = [0u8; 32];
                bytes[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                PrivateKey::from_bytes(bytes)
            })
            .collect();
        let pubkeys: Vec<_> = keys.iter().map(PrivateKey::public_key).collect();
        let mut state = State::new(StateConfig {
            depth,
            domain: DOMAIN,
        })
        .expect("valid depth");
        for index in 0..accounts {
            let deposit = Deposit {
                pubkey: pubkeys[index as usize % pubkeys.len()],
                l1_address: Address::repeat_byte(1),
                token: 0,
                amount: 10u128.pow(18),
            };
            let effect = state.check_deposit(index, &deposit).expect("fresh account");
            state.commit(&effect);
        }
        Populated { state, keys }
    }

    /// `count` valid transfers, signed in advance, from distinct senders spread over the
    /// tree (sender `i·stride`), each to the next account, at the senders' current nonces.
    /// Each sender appears once, so they stay valid applied in any order.
    pub fn transfers(&self, count: u32, offset: u32) -> Vec<L2Tx> {
        let accounts = self.state.accounts().count() as u32;
        let stride = (accounts / count.max(1)).max(1);
        (0..count)
            .map(|i| {
                let from: AccountIndex = (offset + i * stride) % accounts;
                let sender = self.state.account(from).expect("populated");
                let tx = Transfer {
                    from,
                    to: (from + 1) % accounts,
                    token: 0,
                    amount: 1000,
                    fee: 0,
                    nonce: sender.nonce,
                };
                let key = &self.keys[from as usize % self.keys.len()];
                L2Tx::sign_transfer(tx, key, &DOMAIN)
            })
            .collect()
    }
}
