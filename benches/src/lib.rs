//! Fixtures shared by Verity's benchmarks: populated states and signed transactions.

use alloy_primitives::Address;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{AccountIndex, Deposit, Domain, L2Tx, Transfer};
use verity_circuits::state::{State, StateConfig};

/// The deployment the fixtures sign for.
pub const DOMAIN: Domain = Domain {
    chain_id: 31337,
    rollup_address: Address::repeat_byte(0x5f),
};

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
