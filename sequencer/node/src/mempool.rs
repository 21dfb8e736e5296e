//! Admission rules of the mempool (its limits on transactions waiting for L1 finality, counted
//! in [`Pending`]) and the refusals a sender sees. Every refusal has a stable
//! JSON-RPC error code from [`verity_rpc_api::codes`] and a message naming the rule; the
//! README lists them.

use std::collections::HashMap;

use verity_circuits::batch::BatchError;
use verity_circuits::ops::{AccountIndex, L2Tx, TokenId};
use verity_circuits::state::TxError;
use verity_rpc_api::codes;

/// Limits on acknowledged transactions not yet final on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Across all accounts.
    pub max_pending: usize,
    /// Per sending account.
    pub max_per_account: usize,
}

impl Default for MempoolConfig {
    fn default() -> MempoolConfig {
        MempoolConfig {
            max_pending: 200_000,
            max_per_account: 4_096,
        }
    }
}

/// Acknowledged transactions waiting for L1 finality, counted per sending account.
#[derive(Debug, Default)]
pub struct Pending {
    total: usize,
    by_account: HashMap<AccountIndex, usize>,
}

impl Pending {
    /// Counts one more transaction from `account`.
    pub fn add(&mut self, account: AccountIndex) {
        self.total += 1;
        *self.by_account.entry(account).or_default() += 1;
    }

    /// Forgets one transaction from `account` (its batch is final).
    pub fn remove(&mut self, account: AccountIndex) {
        if let Some(count) = self.by_account.get_mut(&account) {
            self.total -= 1;
            *count -= 1;
            if *count == 0 {
                self.by_account.remove(&account);
            }
        }
    }

    /// Transactions waiting, across all accounts.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether `config` lets `tx`'s sender have one more transaction waiting.
    pub fn admit(&self, config: &MempoolConfig, tx: &L2Tx) -> Result<(), Refusal> {
        if self.total >= config.max_pending {
            return Err(Refusal::MempoolFull(self.total));
        }
        let pending = self.by_account.get(&tx.from()).copied().unwrap_or(0);
        if pending >= config.max_per_account {
            return Err(Refusal::AccountLimit {
                account: tx.from(),
                pending,
            });
        }
        Ok(())
    }
}

/// Why a transaction was not acknowledged. Nothing changed.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    /// A rule of the state.
    #[error("{0}")]
    Rule(#[from] TxError),
    /// The fee is in a token the operator takes no fees in.
    #[error("fee in token {0} not accepted: the operator collects no fees in it")]
    FeeTokenNotAccepted(TokenId),
    /// The operator's fee account cannot take more.
    #[error("operator fee account {0} would overflow")]
    FeeAccountFull(AccountIndex),
    /// Too many transactions wait for L1 finality.
    #[error("mempool full: {0} transactions wait for L1 finality")]
    MempoolFull(usize),
    /// The sender has too many transactions waiting for L1 finality.
    #[error("account {account} has {pending} transactions waiting for L1 finality")]
    AccountLimit {
        /// The sender.
        account: AccountIndex,
        /// Its waiting transactions.
        pending: usize,
    },
    /// The node cannot take transactions (shutting down or failed).
    #[error("node unavailable: {0}")]
    Unavailable(String),
    /// A withdrawal to an address that could never take the payout out of the Rollup: the
    /// zero address, or the Rollup itself (contracts audit L-3).
    #[error("withdrawal to {0}: nobody could ever withdraw it from the Rollup")]
    UnpayableRecipient(alloy_primitives::Address),
}

impl Refusal {
    /// The stable JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Refusal::Rule(rule) => match rule {
                TxError::BadSignature => codes::BAD_SIGNATURE,
                TxError::WrongNonce { .. } => codes::WRONG_NONCE,
                TxError::NonceExhausted => codes::NONCE_EXHAUSTED,
                TxError::InsufficientBalance { .. } => codes::INSUFFICIENT_BALANCE,
                TxError::AmountOutOfRange(_) => codes::AMOUNT_OUT_OF_RANGE,
                TxError::FeeOutOfRange(_) => codes::FEE_OUT_OF_RANGE,
                TxError::BalanceOverflow(_) => codes::BALANCE_OVERFLOW,
                TxError::UnknownAccount(_) | TxError::AccountOutOfRange(_) => {
                    codes::UNKNOWN_ACCOUNT
                }
                TxError::UnknownToken(_) => codes::UNKNOWN_TOKEN,
                TxError::TokenMismatch { .. } => codes::TOKEN_MISMATCH,
                TxError::NotDepositorsAccount(_) | TxError::TreeFull => {
                    codes::NOT_DEPOSITORS_ACCOUNT_OR_TREE_FULL
                }
            },
            Refusal::FeeTokenNotAccepted(_) => codes::FEE_TOKEN_NOT_ACCEPTED,
            Refusal::FeeAccountFull(_) => codes::FEE_ACCOUNT_FULL,
            Refusal::MempoolFull(_) => codes::MEMPOOL_FULL,
            Refusal::AccountLimit { .. } => codes::ACCOUNT_LIMIT,
            Refusal::Unavailable(_) => codes::UNAVAILABLE,
            Refusal::UnpayableRecipient(_) => codes::UNPAYABLE_RECIPIENT,
        }
    }

    /// The refusal of a batch-builder error that is not "seal first".
    pub fn from_batch(error: BatchError) -> Option<Refusal> {
        match error {
            BatchError::Full | BatchError::FeeSlotsFull => None,
            BatchError::NoFeeAccount(token) => Some(Refusal::FeeTokenNotAccepted(token)),
            BatchError::FeeAccountOverflow(account) => Some(Refusal::FeeAccountFull(account)),
            BatchError::Tx(rule) => Some(Refusal::Rule(rule)),
        }
    }
}

#[cfg(test)]
mod tests;
