//! Layer-1 priority operations and the rolling hash that the Rollup contract keeps over its
//! queue and the circuit recomputes, so that every queued operation is consumed in order and
//! none is skipped.
//!
//! `h_0 = 0`, and `tag = type + token·2^8 + l1_address·2^40` (200 bits):
//! - Deposit: `h_{i+1} = Poseidon(h_i, tag, pubkey.x, pubkey.y, amount)`;
//! - ForcedExit: `h_{i+1} = Poseidon(h_i, tag + account·2^200)`: its fields fit one element,
//!   so the contract's queue step is a two-input hash.

use alloy_primitives::Address;
use ark_ff::Field;
use serde::{Deserialize, Serialize};

use super::{AccountIndex, OpType, TokenId};
use crate::eddsa::PublicKey;
use crate::field::fr_from_address;
use crate::poseidon::poseidon;
use crate::Fr;

/// Credit `amount` of `token` to the account of `pubkey` (creating it, owned on L1 by
/// `l1_address`, when the sequencer puts it in an empty leaf).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deposit {
    /// The L2 key that will control the account.
    pub pubkey: PublicKey,
    /// The L1 owner: where a forced exit of a new account pays.
    pub l1_address: Address,
    /// A registered token.
    pub token: TokenId,
    /// Amount locked in the Rollup contract.
    #[serde(with = "crate::field::serde_u128")]
    pub amount: u128,
}

/// Withdraw the whole balance of `account` to its L1 owner, without the sequencer's
/// consent. Nullified (consumed, nothing paid) unless `requester` owns the account and
/// `token` is its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ForcedExit {
    /// The account to empty.
    pub account: AccountIndex,
    /// Its token.
    pub token: TokenId,
    /// Who asked on L1; must be the account's `l1_address`.
    pub requester: Address,
}

/// A queued L1 operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PriorityOp {
    /// A deposit.
    Deposit(Deposit),
    /// A forced exit.
    ForcedExit(ForcedExit),
}

fn tag(op: OpType, token: TokenId, address: &Address) -> Fr {
    Fr::from(op as u8)
        + Fr::from(token) * Fr::from(1u64 << 8)
        + fr_from_address(address) * Fr::from(1u64 << 40)
}

/// 2^200: the weight of a forced exit's account above its tag.
pub fn account_shift() -> Fr {
    Fr::from(2u64).pow([200])
}

impl PriorityOp {
    /// The rolling queue hash after this operation.
    pub fn chain(&self, previous: Fr) -> Fr {
        match self {
            PriorityOp::Deposit(d) => poseidon(&[
                previous,
                tag(OpType::Deposit, d.token, &d.l1_address),
                d.pubkey.0.x(),
                d.pubkey.0.y(),
                Fr::from(d.amount),
            ]),
            PriorityOp::ForcedExit(e) => poseidon(&[
                previous,
                tag(OpType::ForcedExit, e.token, &e.requester)
                    + Fr::from(e.account) * account_shift(),
            ]),
        }
    }
}

/// The rolling hash after `ops`, starting from `start`.
pub fn chain_all<'a>(start: Fr, ops: impl IntoIterator<Item = &'a PriorityOp>) -> Fr {
    ops.into_iter().fold(start, |hash, op| op.chain(hash))
}
