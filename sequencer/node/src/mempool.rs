//! Admission rules of the mempool and the refusals a sender sees. Every refusal has a stable
//! JSON-RPC error code (outside JSON-RPC's reserved range) and a message naming the rule;
//! the README lists them.

use verity_circuits::batch::BatchError;
use verity_circuits::ops::{AccountIndex, TokenId};
use verity_circuits::state::TxError;

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
    UnpayableRecipient(alloy::primitives::Address),
}

impl Refusal {
    /// The stable JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Refusal::Rule(rule) => match rule {
                TxError::BadSignature => 1001,
                TxError::WrongNonce { .. } => 1002,
                TxError::NonceExhausted => 1003,
                TxError::InsufficientBalance { .. } => 1004,
                TxError::AmountOutOfRange(_) => 1005,
                TxError::FeeOutOfRange(_) => 1006,
                TxError::BalanceOverflow(_) => 1007,
                TxError::UnknownAccount(_) | TxError::AccountOutOfRange(_) => 1008,
                TxError::UnknownToken(_) => 1009,
                TxError::TokenMismatch { .. } => 1010,
                TxError::NotDepositorsAccount(_) | TxError::TreeFull => 1011,
            },
            Refusal::FeeTokenNotAccepted(_) => 1012,
            Refusal::FeeAccountFull(_) => 1013,
            Refusal::MempoolFull(_) => 1014,
            Refusal::AccountLimit { .. } => 1015,
            Refusal::Unavailable(_) => 1016,
            Refusal::UnpayableRecipient(_) => 1017,
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
