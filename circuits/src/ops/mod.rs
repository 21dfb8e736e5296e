//! Operations: the signed layer-2 transactions (`Transfer`, `Withdraw`), the layer-1
//! priority operations (`Deposit`, `ForcedExit`), the payouts a batch makes on L1, and the
//! record of an operation as executed in a batch.

pub mod domain;
pub mod encoding;
pub mod float;
pub mod priority;

use alloy_primitives::Address;
use ark_ff::Field;
use serde::{Deserialize, Serialize};

pub use domain::Domain;
pub use priority::{Deposit, ForcedExit, PriorityOp};

use crate::eddsa::{PrivateKey, Signature};
use crate::field::fr_from_address;
use crate::poseidon::poseidon;
use crate::Fr;

/// Index of an account leaf in the state tree.
pub type AccountIndex = u32;

/// A registered token; 0 is ETH.
pub type TokenId = u32;

/// The operation codes, as written in pubdata and in the binary encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpType {
    /// Pads a batch.
    Noop = 0,
    /// L1 deposit.
    Deposit = 1,
    /// L1 forced exit.
    ForcedExit = 2,
    /// L2 transfer.
    Transfer = 3,
    /// L2 withdrawal.
    Withdraw = 4,
}

impl OpType {
    /// The operation with this code.
    pub fn from_code(code: u8) -> Option<OpType> {
        Some(match code {
            0 => OpType::Noop,
            1 => OpType::Deposit,
            2 => OpType::ForcedExit,
            3 => OpType::Transfer,
            4 => OpType::Withdraw,
            _ => return None,
        })
    }
}

/// Move `amount` of `token` from account `from` to account `to`, paying `fee` to the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Sender account.
    pub from: AccountIndex,
    /// Recipient account (must exist and hold the same token).
    pub to: AccountIndex,
    /// Token of both accounts.
    pub token: TokenId,
    /// Amount moved, in the token's smallest unit.
    #[serde(with = "crate::field::serde_u128")]
    pub amount: u128,
    /// Fee paid to the operator, in the same token.
    #[serde(with = "crate::field::serde_u128")]
    pub fee: u128,
    /// The sender's current nonce.
    pub nonce: u32,
}

/// Take `amount` of `token` out of account `from` to the L1 address `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdraw {
    /// Account withdrawn from.
    pub from: AccountIndex,
    /// Token of the account.
    pub token: TokenId,
    /// Amount paid out on L1.
    #[serde(with = "crate::field::serde_u128")]
    pub amount: u128,
    /// Fee paid to the operator, in the same token.
    #[serde(with = "crate::field::serde_u128")]
    pub fee: u128,
    /// The account's current nonce.
    pub nonce: u32,
    /// The L1 recipient.
    pub to: Address,
}

/// `Poseidon(domain, code, from, to, token, nonce, amount, fee)`: the one layout of every
/// signed message (`to` is the recipient account of a transfer, the L1 address of a
/// withdrawal).
#[allow(clippy::too_many_arguments)]
fn signed_message(
    domain: &Domain,
    code: OpType,
    from: AccountIndex,
    to: Fr,
    token: TokenId,
    nonce: u32,
    amount: u128,
    fee: u128,
) -> Fr {
    poseidon(&[
        domain.hash(),
        Fr::from(code as u8),
        Fr::from(from),
        to,
        Fr::from(token),
        Fr::from(nonce),
        Fr::from(amount),
        Fr::from(fee),
    ])
}

impl Transfer {
    /// The signed message:
    /// `Poseidon(domain, 3, from, to, token, nonce, amount, fee)`.
    pub fn message(&self, domain: &Domain) -> Fr {
        let to = Fr::from(self.to);
        signed_message(
            domain,
            OpType::Transfer,
            self.from,
            to,
            self.token,
            self.nonce,
            self.amount,
            self.fee,
        )
    }
}

impl Withdraw {
    /// The signed message:
    /// `Poseidon(domain, 4, from, to_address, token, nonce, amount, fee)`.
    pub fn message(&self, domain: &Domain) -> Fr {
        let to = fr_from_address(&self.to);
        signed_message(
            domain,
            OpType::Withdraw,
            self.from,
            to,
            self.token,
            self.nonce,
            self.amount,
            self.fee,
        )
    }
}

/// A signed layer-2 transaction, as wallets send it (JSON with a `type` tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum L2Tx {
    /// A signed transfer.
    Transfer {
        /// The transfer.
        #[serde(flatten)]
        tx: Transfer,
        /// EdDSA-Poseidon over [`Transfer::message`], packed.
        signature: Signature,
    },
    /// A signed withdrawal.
    Withdraw {
        /// The withdrawal.
        #[serde(flatten)]
        tx: Withdraw,
        /// EdDSA-Poseidon over [`Withdraw::message`], packed.
        signature: Signature,
    },
}

impl L2Tx {
    /// Signs a transfer.
    pub fn sign_transfer(tx: Transfer, key: &PrivateKey, domain: &Domain) -> L2Tx {
        L2Tx::Transfer {
            signature: key.sign(tx.message(domain)),
            tx,
        }
    }

    /// Signs a withdrawal.
    pub fn sign_withdraw(tx: Withdraw, key: &PrivateKey, domain: &Domain) -> L2Tx {
        L2Tx::Withdraw {
            signature: key.sign(tx.message(domain)),
            tx,
        }
    }

    /// The signed message.
    pub fn message(&self, domain: &Domain) -> Fr {
        match self {
            L2Tx::Transfer { tx, .. } => tx.message(domain),
            L2Tx::Withdraw { tx, .. } => tx.message(domain),
        }
    }

    /// The transaction hash: the signed message, which names the transaction independently
    /// of its (re-randomisable) signature.
    pub fn hash(&self, domain: &Domain) -> Fr {
        self.message(domain)
    }

    /// [`L2Tx::hash`] as the RPC names a transaction: a 32-byte word.
    pub fn tx_hash(&self, domain: &Domain) -> alloy_primitives::B256 {
        alloy_primitives::B256::from(crate::field::fr_to_u256(&self.hash(domain)))
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        match self {
            L2Tx::Transfer { signature, .. } | L2Tx::Withdraw { signature, .. } => signature,
        }
    }

    /// The sending account.
    pub fn from(&self) -> AccountIndex {
        match self {
            L2Tx::Transfer { tx, .. } => tx.from,
            L2Tx::Withdraw { tx, .. } => tx.from,
        }
    }

    /// The accounts it moves: the sender, and a transfer's recipient (once, if it is the
    /// sender).
    pub fn accounts(&self) -> Vec<AccountIndex> {
        match self {
            L2Tx::Transfer { tx, .. } if tx.to != tx.from => vec![tx.from, tx.to],
            _ => vec![self.from()],
        }
    }

    /// The sender's nonce the transaction uses.
    pub fn nonce(&self) -> u32 {
        match self {
            L2Tx::Transfer { tx, .. } => tx.nonce,
            L2Tx::Withdraw { tx, .. } => tx.nonce,
        }
    }
}

/// 2^160: the weight of a token id packed above an L1 address in one field element.
pub fn address_shift() -> Fr {
    Fr::from(2u64).pow([160])
}

/// A payment the Rollup contract makes on L1 when a batch is accepted (straight to the
/// recipient, or into its pending balance if that payment fails), from a withdrawal or a
/// forced exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// L1 recipient.
    pub recipient: Address,
    /// Token paid.
    pub token: TokenId,
    /// Amount paid (0 for a forced exit that was nullified).
    #[serde(with = "crate::field::serde_u128")]
    pub amount: u128,
}

impl Payout {
    /// The payout's two field elements: its [`Payout::payee`] and its amount.
    pub fn elements(&self) -> [Fr; 2] {
        [self.payee(), Fr::from(self.amount)]
    }

    /// Whom and in what the payout pays, as one field element: `recipient + token·2^160`
    /// (the recipient's 160 bits and the token's 32). The data hash absorbs it, one a slot
    /// (the blob module's `data_hash`).
    pub fn payee(&self) -> Fr {
        fr_from_address(&self.recipient) + Fr::from(self.token) * address_shift()
    }

    /// The payouts' term in the batch statement (its data input): their elements
    /// as the coefficients of a polynomial with a leading 1, evaluated at `z` by Horner's rule
    /// (`q = 1`, then `q = (q·z + e_0)·z + e_1` a payout). The leading 1 makes lists of other
    /// lengths other polynomials, so two lists agree at a point drawn after both are fixed
    /// only by chance (at most `2·len / 2^128` for the contract's challenge).
    pub fn term(payouts: &[Payout], z: Fr) -> Fr {
        payouts.iter().fold(Fr::from(1u64), |q, payout| {
            let [packed, amount] = payout.elements();
            (q * z + packed) * z + amount
        })
    }

    /// keccak256 of the payouts as the Rollup contract reads them from its calldata: three
    /// 32-byte big-endian words a payout (recipient, token, amount), with nothing between.
    pub fn digest(payouts: &[Payout]) -> [u8; 32] {
        let mut words = Vec::with_capacity(96 * payouts.len());
        for payout in payouts {
            words.extend_from_slice(&[0; 12]);
            words.extend_from_slice(payout.recipient.as_slice());
            words.extend_from_slice(&[0; 28]);
            words.extend_from_slice(&payout.token.to_be_bytes());
            words.extend_from_slice(&[0; 16]);
            words.extend_from_slice(&payout.amount.to_be_bytes());
        }
        alloy_primitives::keccak256(words).0
    }
}

/// An operation as it was executed in a batch slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecutedOp {
    /// An empty slot.
    Noop,
    /// A deposit credited to `account`.
    Deposit {
        /// The account credited (created when it was empty).
        account: AccountIndex,
        /// The L1 request.
        deposit: Deposit,
    },
    /// A forced exit, paying `amount` (0 when nullified).
    ForcedExit {
        /// The L1 request.
        exit: ForcedExit,
        /// The amount paid out.
        #[serde(with = "crate::field::serde_u128")]
        amount: u128,
    },
    /// A layer-2 transaction.
    L2 {
        /// The transaction.
        tx: L2Tx,
    },
}

impl ExecutedOp {
    /// What the operation pays on L1: a withdrawal its amount to its recipient, a forced
    /// exit what it emptied (0 when nullified) to its requester.
    pub fn payout(&self) -> Option<Payout> {
        match self {
            ExecutedOp::ForcedExit { exit, amount } => Some(Payout {
                recipient: exit.requester,
                token: exit.token,
                amount: *amount,
            }),
            ExecutedOp::L2 {
                tx: L2Tx::Withdraw { tx, .. },
            } => Some(Payout {
                recipient: tx.to,
                token: tx.token,
                amount: tx.amount,
            }),
            _ => None,
        }
    }

    /// The operation code.
    pub fn op_type(&self) -> OpType {
        match self {
            ExecutedOp::Noop => OpType::Noop,
            ExecutedOp::Deposit { .. } => OpType::Deposit,
            ExecutedOp::ForcedExit { .. } => OpType::ForcedExit,
            ExecutedOp::L2 {
                tx: L2Tx::Transfer { .. },
            } => OpType::Transfer,
            ExecutedOp::L2 {
                tx: L2Tx::Withdraw { .. },
            } => OpType::Withdraw,
        }
    }
}
