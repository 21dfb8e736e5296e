//! The canonical binary encoding of transactions and priority operations: big-endian
//! fixed-width fields after a one-byte operation code, in the order below. One value has one
//! encoding; decoding refuses trailing bytes, unknown codes, points off the curve and
//! signature scalars ≥ l.
//!
//! | op | layout (bytes) |
//! |---|---|
//! | Transfer (3) | code 1, from 4, to 4, token 4, amount 16, fee 16, nonce 4, signature 64 = 113 |
//! | Withdraw (4) | code 1, from 4, token 4, amount 16, fee 16, nonce 4, to 20, signature 64 = 129 |
//! | Deposit (1) | code 1, packed pubkey 32, l1_address 20, token 4, amount 16 = 73 |
//! | ForcedExit (2) | code 1, account 4, token 4, requester 20 = 29 |

use alloy_primitives::Address;

use super::{Deposit, ForcedExit, L2Tx, OpType, PriorityOp, Transfer, Withdraw};
use crate::eddsa::{PublicKey, Signature, SignatureError};

/// Bytes that are not a canonical encoding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the layout needs.
    #[error("truncated")]
    Truncated,
    /// Bytes left after the operation.
    #[error("{0} trailing bytes")]
    Trailing(usize),
    /// An operation code this decoder does not take here.
    #[error("unexpected operation code {0}")]
    UnexpectedCode(u8),
    /// The public key is not a point.
    #[error("public key is not a point of Baby Jubjub")]
    BadPublicKey,
    /// The signature is malformed.
    #[error("signature: {0}")]
    BadSignature(#[from] SignatureError),
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        if self.bytes.len() < N {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        Ok(head.try_into().expect("length checked"))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        self.take().map(u32::from_be_bytes)
    }

    fn u128(&mut self) -> Result<u128, DecodeError> {
        self.take().map(u128::from_be_bytes)
    }

    fn address(&mut self) -> Result<Address, DecodeError> {
        self.take::<20>().map(Address::from)
    }

    fn signature(&mut self) -> Result<Signature, DecodeError> {
        Ok(Signature::unpack(&self.take::<64>()?)?)
    }

    fn finish(self) -> Result<(), DecodeError> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(DecodeError::Trailing(n)),
        }
    }
}

impl L2Tx {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(129);
        match self {
            L2Tx::Transfer { tx, signature } => {
                out.push(OpType::Transfer as u8);
                out.extend_from_slice(&tx.from.to_be_bytes());
                out.extend_from_slice(&tx.to.to_be_bytes());
                out.extend_from_slice(&tx.token.to_be_bytes());
                out.extend_from_slice(&tx.amount.to_be_bytes());
                out.extend_from_slice(&tx.fee.to_be_bytes());
                out.extend_from_slice(&tx.nonce.to_be_bytes());
                out.extend_from_slice(&signature.pack());
            }
            L2Tx::Withdraw { tx, signature } => {
                out.push(OpType::Withdraw as u8);
                out.extend_from_slice(&tx.from.to_be_bytes());
                out.extend_from_slice(&tx.token.to_be_bytes());
                out.extend_from_slice(&tx.amount.to_be_bytes());
                out.extend_from_slice(&tx.fee.to_be_bytes());
                out.extend_from_slice(&tx.nonce.to_be_bytes());
                out.extend_from_slice(tx.to.as_slice());
                out.extend_from_slice(&signature.pack());
            }
        }
        out
    }

    /// Decodes a canonical encoding.
    pub fn decode(bytes: &[u8]) -> Result<L2Tx, DecodeError> {
        let mut r = Reader { bytes };
        let [code] = r.take::<1>()?;
        let tx = match OpType::from_code(code) {
            Some(OpType::Transfer) => L2Tx::Transfer {
                tx: Transfer {
                    from: r.u32()?,
                    to: r.u32()?,
                    token: r.u32()?,
                    amount: r.u128()?,
                    fee: r.u128()?,
                    nonce: r.u32()?,
                },
                signature: r.signature()?,
            },
            Some(OpType::Withdraw) => L2Tx::Withdraw {
                tx: Withdraw {
                    from: r.u32()?,
                    token: r.u32()?,
                    amount: r.u128()?,
                    fee: r.u128()?,
                    nonce: r.u32()?,
                    to: r.address()?,
                },
                signature: r.signature()?,
            },
            _ => return Err(DecodeError::UnexpectedCode(code)),
        };
        r.finish()?;
        Ok(tx)
    }
}

impl PriorityOp {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(73);
        match self {
            PriorityOp::Deposit(d) => {
                out.push(OpType::Deposit as u8);
                out.extend_from_slice(&d.pubkey.pack());
                out.extend_from_slice(d.l1_address.as_slice());
                out.extend_from_slice(&d.token.to_be_bytes());
                out.extend_from_slice(&d.amount.to_be_bytes());
            }
            PriorityOp::ForcedExit(e) => {
                out.push(OpType::ForcedExit as u8);
                out.extend_from_slice(&e.account.to_be_bytes());
                out.extend_from_slice(&e.token.to_be_bytes());
                out.extend_from_slice(e.requester.as_slice());
            }
        }
        out
    }

    /// Decodes a canonical encoding.
    pub fn decode(bytes: &[u8]) -> Result<PriorityOp, DecodeError> {
        let mut r = Reader { bytes };
        let [code] = r.take::<1>()?;
        let op = match OpType::from_code(code) {
            Some(OpType::Deposit) => PriorityOp::Deposit(Deposit {
                pubkey: PublicKey::unpack(&r.take::<32>()?).ok_or(DecodeError::BadPublicKey)?,
                l1_address: r.address()?,
                token: r.u32()?,
                amount: r.u128()?,
            }),
            Some(OpType::ForcedExit) => PriorityOp::ForcedExit(ForcedExit {
                account: r.u32()?,
                token: r.u32()?,
                requester: r.address()?,
            }),
            _ => return Err(DecodeError::UnexpectedCode(code)),
        };
        r.finish()?;
        Ok(op)
    }
}
