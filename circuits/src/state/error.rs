//! Why the state refused an operation. Every refusal leaves the state exactly as it was.

use crate::ops::{AccountIndex, TokenId};

/// A broken rule.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum TxError {
    /// The signature does not verify under the sender's key for this deployment.
    #[error("bad signature")]
    BadSignature,
    /// The nonce is not the account's current nonce.
    #[error("wrong nonce: account expects {expected}, transaction has {got}")]
    WrongNonce {
        /// The account's nonce.
        expected: u32,
        /// The transaction's nonce.
        got: u32,
    },
    /// The account's nonce cannot grow further.
    #[error("nonce exhausted")]
    NonceExhausted,
    /// The balance does not cover amount plus fee.
    #[error("insufficient balance: {balance} < amount {amount} + fee {fee}")]
    InsufficientBalance {
        /// The sender's balance.
        balance: u128,
        /// The amount.
        amount: u128,
        /// The fee.
        fee: u128,
    },
    /// The amount has no exact packed form (see `ops::float`).
    #[error("amount {0} out of range: not representable as mantissa(30 bits)·10^exponent(5 bits)")]
    AmountOutOfRange(u128),
    /// The fee has no exact packed form.
    #[error("fee {0} out of range: not representable as mantissa(5 bits)·10^exponent(5 bits)")]
    FeeOutOfRange(u128),
    /// A credit would take a balance to 2^128 or more.
    #[error("balance of account {0} would overflow 2^128")]
    BalanceOverflow(AccountIndex),
    /// No account at that index.
    #[error("unknown account {0}")]
    UnknownAccount(AccountIndex),
    /// The index lies outside the tree.
    #[error("account index {0} outside the tree")]
    AccountOutOfRange(AccountIndex),
    /// The token is not registered.
    #[error("unknown token {0}")]
    UnknownToken(TokenId),
    /// The account holds another token.
    #[error("token mismatch: account {account} holds token {held}, operation names {named}")]
    TokenMismatch {
        /// The account.
        account: AccountIndex,
        /// Its token.
        held: TokenId,
        /// The operation's token.
        named: TokenId,
    },
    /// A deposit aimed at an occupied leaf of another key or token.
    #[error("account {0} belongs to another key or token")]
    NotDepositorsAccount(AccountIndex),
    /// Every leaf is taken.
    #[error("state tree full")]
    TreeFull,
}
