//! The layer-2 state: account leaves in a sparse Poseidon Merkle tree, the registered
//! tokens, and the deployment domain that signatures bind. The transition function lives
//! in [`transition`].

pub mod account;
pub mod error;
pub mod transition;

use std::collections::{BTreeMap, HashMap};

pub use account::Account;
pub use error::TxError;
pub use transition::{Effect, SignedTx};

use crate::eddsa::PublicKey;
use crate::merkle::{BadDepth, MerkleProof, SparseMerkleTree};
use crate::ops::{AccountIndex, Domain, TokenId};
use crate::Fr;

/// What fixes a state at genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateConfig {
    /// Binary depth of the account tree (`2^depth` leaves, even).
    pub depth: u8,
    /// The deployment that signatures bind.
    pub domain: Domain,
}

/// The whole layer-2 state.
#[derive(Clone, Debug)]
pub struct State {
    domain: Domain,
    domain_hash: Fr,
    tree: SparseMerkleTree,
    accounts: BTreeMap<AccountIndex, Account>,
    by_key: HashMap<(PublicKey, TokenId), Vec<AccountIndex>>,
    tokens: u32,
    /// Whether writes update the tree (see [`State::accounts_only`]).
    hashing: bool,
}

impl State {
    /// An empty state with ETH (token 0) registered.
    pub fn new(config: StateConfig) -> Result<State, BadDepth> {
        Ok(State {
            domain: config.domain,
            domain_hash: config.domain.hash(),
            tree: SparseMerkleTree::new(config.depth)?,
            accounts: BTreeMap::new(),
            by_key: HashMap::new(),
            tokens: 1,
            hashing: true,
        })
    }

    /// A state holding `accounts` with `tokens` registered tokens (ETH included), as a node
    /// restores it from its database; the tree is rebuilt from the leaves in one pass.
    pub fn restore(
        config: StateConfig,
        tokens: u32,
        accounts: impl IntoIterator<Item = (AccountIndex, Account)>,
    ) -> Result<State, BadDepth> {
        let accounts: BTreeMap<AccountIndex, Account> = accounts.into_iter().collect();
        let tree = SparseMerkleTree::from_leaves(
            config.depth,
            accounts
                .iter()
                .map(|(index, account)| (u64::from(*index), account.leaf_hash())),
        )?;
        let mut by_key: HashMap<(PublicKey, TokenId), Vec<AccountIndex>> = HashMap::new();
        for (index, account) in &accounts {
            by_key
                .entry((account.pubkey, account.token))
                .or_default()
                .push(*index);
        }
        Ok(State {
            domain: config.domain,
            domain_hash: config.domain.hash(),
            tree,
            accounts,
            by_key,
            tokens: tokens.max(1),
            hashing: true,
        })
    }

    /// This state without its tree: writes change accounts only, so every rule is checked
    /// as before but nothing is hashed, and [`State::root`] and [`State::proof`] stay as they
    /// were. A sequencer acknowledges transactions on such a state and leaves the hashing to
    /// whoever seals the batches.
    pub fn accounts_only(mut self) -> State {
        self.hashing = false;
        self
    }

    /// The state root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The deployment domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// `Poseidon(chain_id, rollup_address)`, computed once.
    pub fn domain_hash(&self) -> Fr {
        self.domain_hash
    }

    /// Binary depth of the tree.
    pub fn depth(&self) -> u8 {
        self.tree.depth()
    }

    /// The account at `index`.
    pub fn account(&self, index: AccountIndex) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// Every account, by index.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountIndex, &Account)> {
        self.accounts.iter().map(|(i, a)| (*i, a))
    }

    /// The accounts of `pubkey` holding `token`.
    pub fn accounts_of(&self, pubkey: &PublicKey, token: TokenId) -> &[AccountIndex] {
        self.by_key
            .get(&(*pubkey, token))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The Merkle proof of the leaf at `index`.
    pub fn proof(&self, index: AccountIndex) -> Result<MerkleProof, TxError> {
        self.check_index(index)?;
        Ok(self.tree.proof(u64::from(index)))
    }

    /// Number of registered tokens; tokens are `0..token_count()`.
    pub fn token_count(&self) -> u32 {
        self.tokens
    }

    /// Registers the next token (as the Rollup contract's registry does) and returns its id.
    pub fn register_token(&mut self) -> TokenId {
        self.tokens += 1;
        self.tokens - 1
    }

    /// The total balance of `token` over all accounts.
    pub fn supply(&self, token: TokenId) -> u128 {
        self.accounts
            .values()
            .filter(|a| a.token == token)
            .map(|a| a.balance)
            .sum()
    }

    /// The lowest index above every account, where the next new account goes.
    pub fn next_free_index(&self) -> Result<AccountIndex, TxError> {
        let next = self
            .accounts
            .last_key_value()
            .map_or(0, |(index, _)| u64::from(*index) + 1);
        if next >= self.tree.capacity() {
            return Err(TxError::TreeFull);
        }
        Ok(next as AccountIndex)
    }

    pub(crate) fn check_index(&self, index: AccountIndex) -> Result<(), TxError> {
        if u64::from(index) >= self.tree.capacity() {
            return Err(TxError::AccountOutOfRange(index));
        }
        Ok(())
    }

    pub(crate) fn check_token(&self, token: TokenId) -> Result<(), TxError> {
        if token >= self.tokens {
            return Err(TxError::UnknownToken(token));
        }
        Ok(())
    }

    fn write(&mut self, index: AccountIndex, account: Account) {
        if self.hashing {
            self.tree.set(u64::from(index), account.leaf_hash());
        }
        if self.accounts.insert(index, account).is_none() {
            self.by_key
                .entry((account.pubkey, account.token))
                .or_default()
                .push(index);
        }
    }
}
