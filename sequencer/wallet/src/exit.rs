//! Leaves to exit in exodus mode, from a rebuilt state or from a proof saved earlier from
//! `verity_getAccountProof`, checked against the contract's last verified root.

use alloy::primitives::{Address, U256};
use verity_circuits::field::fr_to_u256;
use verity_circuits::merkle::MerkleProof;
use verity_circuits::ops::{AccountIndex, TokenId};
use verity_circuits::state::Account;
use verity_l1::contracts::exit_siblings;
use verity_rpc_api::AccountProof;

use crate::WalletError;

/// The contract's last verified batch and root, which exits prove against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The batch.
    pub batch: u64,
    /// Its state root.
    pub root: U256,
}

/// A leaf as `Rollup.exit` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitLeaf {
    /// The account's index.
    pub index: AccountIndex,
    /// Its public key (x, y).
    pub pubkey: [U256; 2],
    /// Its L1 owner, who is paid.
    pub owner: Address,
    /// Its token.
    pub token: TokenId,
    /// Its balance.
    pub balance: u128,
    /// Its nonce.
    pub nonce: u32,
    /// Per level from the leaf up, the three siblings.
    pub siblings: Vec<[U256; 3]>,
}

impl ExitLeaf {
    /// The leaf of `account` at `index` with its Merkle `proof` (from a rebuilt state).
    pub fn new(index: AccountIndex, account: &Account, proof: &MerkleProof) -> ExitLeaf {
        ExitLeaf {
            index,
            pubkey: [
                fr_to_u256(&account.pubkey.0.x()),
                fr_to_u256(&account.pubkey.0.y()),
            ],
            owner: account.l1_address,
            token: account.token,
            balance: account.balance,
            nonce: account.nonce,
            siblings: exit_siblings(proof),
        }
    }

    /// The leaf of a saved `verity_getAccountProof` answer, which must hold `token` and be
    /// against the contract's last verified root.
    pub fn from_saved(
        saved: &AccountProof,
        token: TokenId,
        verified: &Verified,
    ) -> Result<ExitLeaf, WalletError> {
        let root = number(&saved.root, "root")?;
        if root != verified.root {
            return Err(WalletError::StaleProof {
                proof_batch: saved.batch,
                verified_batch: verified.batch,
            });
        }
        let account = saved.account.as_ref().ok_or(WalletError::EmptyLeaf)?;
        if account.token != token {
            return Err(WalletError::WrongToken {
                held: account.token,
                wanted: token,
            });
        }
        Ok(ExitLeaf {
            index: account.index,
            pubkey: [
                number(&account.public_key.x, "public key x")?,
                number(&account.public_key.y, "public key y")?,
            ],
            owner: account.l1_address,
            token: account.token,
            balance: account
                .balance
                .parse()
                .map_err(|_| WalletError::ProofNumber {
                    field: "balance",
                    value: account.balance.clone(),
                })?,
            nonce: account.nonce,
            siblings: exit_siblings(&saved.proof),
        })
    }
}

/// A 256-bit number of a saved proof (decimal or `0x` hex).
fn number(text: &str, field: &'static str) -> Result<U256, WalletError> {
    text.parse().map_err(|_| WalletError::ProofNumber {
        field,
        value: text.to_owned(),
    })
}
