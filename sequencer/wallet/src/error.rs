//! What can go wrong in a wallet's calls.

use alloy::primitives::{Address, B256};
use verity_circuits::ops::{AccountIndex, TokenId};

/// A wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// An L2 private key is not hex.
    #[error("private key hex: {0}")]
    PrivateKeyHex(#[from] hex::FromHexError),
    /// An L2 private key is not 32 bytes long.
    #[error("a private key has 32 bytes, got {0}")]
    PrivateKeyLength(usize),
    /// An L1 private key does not parse.
    #[error("L1 private key: {0}")]
    L1Key(alloy::signers::local::LocalSignerError),
    /// An RPC URL does not parse.
    #[error("RPC URL {url}: {source}")]
    Url {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// A node's JSON-RPC method failed (the node refused, or could not be reached).
    #[error("{method}: {source}")]
    Rpc {
        /// The method called.
        method: &'static str,
        /// The client's error, with the node's code and message when it answered.
        source: jsonrpsee::core::ClientError,
    },
    /// An L1 contract call failed before a transaction was mined.
    #[error("{call}: {source}")]
    Contract {
        /// The contract function.
        call: &'static str,
        /// alloy's error (boxed: it is large).
        source: Box<alloy::contract::Error>,
    },
    /// An L1 transaction was sent but its receipt never came.
    #[error("{call}: {source}")]
    Pending {
        /// The contract function.
        call: &'static str,
        /// alloy's error.
        source: alloy::providers::PendingTransactionError,
    },
    /// An L1 transaction was mined and reverted.
    #[error("{call} reverted in {tx}")]
    Reverted {
        /// The contract function.
        call: &'static str,
        /// The transaction.
        tx: B256,
    },
    /// Exodus mode is off and cannot start: no queued operation is past its deadline.
    #[error(
        "the rollup is not in exodus mode and cannot enter it yet: no queued operation is past \
         its deadline (the operator is live; use `verity wallet withdraw`, or \
         `requestForcedExit` on L1, paying `forcedExitFee`, and wait for the priority window)"
    )]
    NotInExodus,
    /// `claim` with nothing pending in that token.
    #[error(
        "nothing pending in token {0}: batches pay withdrawals straight to their recipient, and \
         a pending balance exists only where that payment failed (a contract refusing the \
         2,300-gas stipend, a failed token transfer), from exodus or from forced-exit fees"
    )]
    NothingPending(TokenId),
    /// The account's balance already left in exodus mode.
    #[error("account {0} already exited")]
    AlreadyExited(AccountIndex),
    /// A saved account proof is against another root than the contract's last verified one.
    #[error(
        "the saved proof is against batch {proof_batch}, the contract's last verified batch is \
         {verified_batch}: rebuild the state with `verity reconstruct` and use --data-dir"
    )]
    StaleProof {
        /// The batch the proof was taken at.
        proof_batch: u64,
        /// The contract's last verified batch.
        verified_batch: u64,
    },
    /// A saved account proof is of an empty leaf.
    #[error("the saved proof is of an empty leaf: nothing to exit")]
    EmptyLeaf,
    /// A saved account proof's account holds another token than the one exited.
    #[error("the saved proof's account holds token {held}, not {wanted}")]
    WrongToken {
        /// The account's token.
        held: TokenId,
        /// The token asked for.
        wanted: TokenId,
    },
    /// A saved account proof has a malformed number.
    #[error("the saved proof's {field} is not a number: {value}")]
    ProofNumber {
        /// Which field.
        field: &'static str,
        /// Its text.
        value: String,
    },
    /// The owner has nothing to exit.
    #[error("no account owned by {owner} holds token {token} at batch {batch}: nothing to exit")]
    NothingToExit {
        /// The L1 owner.
        owner: Address,
        /// The token.
        token: TokenId,
        /// The batch looked at.
        batch: u64,
    },
}

impl WalletError {
    /// A closure mapping a JSON-RPC client error of `method`.
    pub(crate) fn rpc(method: &'static str) -> impl FnOnce(jsonrpsee::core::ClientError) -> Self {
        move |source| WalletError::Rpc { method, source }
    }

    /// A closure mapping a contract error of `call`.
    pub(crate) fn contract(call: &'static str) -> impl FnOnce(alloy::contract::Error) -> Self {
        move |source| WalletError::Contract {
            call,
            source: Box::new(source),
        }
    }

    /// A closure mapping a pending-transaction error of `call`.
    pub(crate) fn pending(
        call: &'static str,
    ) -> impl FnOnce(alloy::providers::PendingTransactionError) -> Self {
        move |source| WalletError::Pending { call, source }
    }
}
