//! One account leaf: a key's balance of one token (one leaf per account and token, as in
//! Hermez), and the leaf hash the tree stores.

#[cfg(feature = "r1cs")]
pub mod constraints;

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use crate::eddsa::PublicKey;
use crate::field::fr_from_address;
use crate::ops::TokenId;
use crate::poseidon::poseidon;
use crate::Fr;

/// Bits of a balance (and of any amount): every balance is below `2^128`, so a sum of two
/// never wraps in the ~2^254 field.
pub const BALANCE_BITS: u32 = 128;

/// Bits of a nonce.
pub const NONCE_BITS: u32 = 32;

/// An account leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The key that signs for the account.
    pub pubkey: PublicKey,
    /// The L1 owner, paid by a forced exit.
    pub l1_address: Address,
    /// The account's only token.
    pub token: TokenId,
    /// Balance in the token's smallest unit.
    #[serde(with = "crate::field::serde_u128")]
    pub balance: u128,
    /// Number of transactions the account has sent.
    pub nonce: u32,
}

impl Account {
    /// `token + nonce·2^32 + l1_address·2^64`: three small fields in one element
    /// (224 bits), which keeps the leaf hash at four inputs.
    pub fn packed_fields(&self) -> Fr {
        Fr::from(self.token)
            + Fr::from(self.nonce) * Fr::from(1u64 << 32)
            + fr_from_address(&self.l1_address) * Fr::from(1u128 << 64)
    }

    /// The leaf: `Poseidon(pubkey.x, pubkey.y, balance, packed_fields)`.
    pub fn leaf_hash(&self) -> Fr {
        poseidon(&[
            self.pubkey.0.x(),
            self.pubkey.0.y(),
            Fr::from(self.balance),
            self.packed_fields(),
        ])
    }
}
