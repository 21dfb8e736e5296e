//! The compact pubdata a batch publishes on L1: enough, with the priority-queue events and
//! the batch's payout list, to rebuild the whole state from L1 alone.
//!
//! A batch's pubdata is a fee header followed by one fixed-size chunk per slot.
//!
//! **Fee header**: `fee_slots` entries of 5 bytes, `used (1 byte: 0 or 1) ‖ account (u32
//! big-endian)`; an unused entry is all zero. At the end of the batch each used fee account
//! is credited with the fees of its token collected in the batch.
//!
//! **Chunk**: `3 + 2·D + 35 + 10` bits for tree depth `D` (112 bits = 14 bytes at D = 32),
//! most significant bit first, zero-padded to whole bytes:
//!
//! | field | bits | Noop | Deposit | ForcedExit | Transfer | Withdraw |
//! |---|---|---|---|---|---|---|
//! | type | 3 | 0 | 1 | 2 | 3 | 4 |
//! | a | D | 0 | account credited | account | from | from |
//! | b | D | 0 | 0 | 0 | to | 0 |
//! | amount | 35 | 0 | 0 | 0 | packed amount | packed amount |
//! | fee | 10 | 0 | 0 | 0 | packed fee | packed fee |
//!
//! What it cannot represent: an amount or fee without an exact packed float (see
//! [`crate::ops::float`]), which the state refuses before such a transaction can exist.
//! What it leaves to other L1 data: a deposit's key, owner, token and amount and a forced
//! exit's token and requester are in the priority-queue events; a withdrawal's recipient and
//! token and a forced exit's amount are in the batch's payout list (bound by its hash).
//! A transfer's token is its sender account's token; nonces advance by one per transaction.

use crate::ops::float::{AMOUNT, FEE};
use crate::ops::{AccountIndex, ExecutedOp, L2Tx, OpType};

/// Bytes of one fee-header entry.
pub const FEE_ENTRY_BYTES: usize = 5;

/// One slot's pubdata, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PubdataOp {
    /// An empty slot.
    Noop,
    /// A deposit credited to `account`.
    Deposit {
        /// The account credited.
        account: AccountIndex,
    },
    /// A forced exit of `account`.
    ForcedExit {
        /// The account.
        account: AccountIndex,
    },
    /// A transfer.
    Transfer {
        /// Sender.
        from: AccountIndex,
        /// Recipient.
        to: AccountIndex,
        /// Amount.
        amount: u128,
        /// Fee.
        fee: u128,
    },
    /// A withdrawal.
    Withdraw {
        /// Account withdrawn from.
        from: AccountIndex,
        /// Amount.
        amount: u128,
        /// Fee.
        fee: u128,
    },
}

/// Pubdata that does not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PubdataError {
    /// The length is not header plus whole chunks.
    #[error("pubdata length {0} is not a fee header plus whole chunks")]
    Length(usize),
    /// Unknown operation type.
    #[error("unknown operation type {0}")]
    UnknownType(u8),
    /// A field the operation does not use is not zero, or padding is not zero.
    #[error("non-zero unused field in a {0:?} chunk")]
    NonZeroUnused(OpType),
    /// A packed amount or fee whose value exceeds 2^128.
    #[error("packed amount out of range")]
    AmountOutOfRange,
    /// A fee-header entry that is neither used nor all zero.
    #[error("malformed fee-header entry {0}")]
    FeeEntry(usize),
}

/// The chunk layout of a tree depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PubdataLayout {
    /// Binary tree depth `D`.
    pub depth: u8,
}

impl PubdataLayout {
    /// Bits of the operation type.
    pub const TYPE_BITS: u32 = 3;

    /// Meaningful bits in a chunk.
    pub fn chunk_bits(&self) -> u32 {
        Self::TYPE_BITS + 2 * u32::from(self.depth) + AMOUNT.bits() + FEE.bits()
    }

    /// Bytes of a chunk.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk_bits().div_ceil(8) as usize
    }

    fn padding_bits(&self) -> u32 {
        8 * self.chunk_bytes() as u32 - self.chunk_bits()
    }

    /// The chunk of `op`, amounts in their canonical packed form.
    ///
    /// # Panics
    /// When an amount or fee has no packed form: the state refuses such transactions, so
    /// an executed operation always has one.
    pub fn encode(&self, op: &PubdataOp) -> Vec<u8> {
        let pack = |value: u128, format: crate::ops::float::FloatFormat| {
            u128::from(format.encode(value).expect("executed amounts are packable"))
        };
        let (kind, a, b, amount, fee) = match *op {
            PubdataOp::Noop => (OpType::Noop, 0, 0, 0, 0),
            PubdataOp::Deposit { account } => (OpType::Deposit, account, 0, 0, 0),
            PubdataOp::ForcedExit { account } => (OpType::ForcedExit, account, 0, 0, 0),
            PubdataOp::Transfer {
                from,
                to,
                amount,
                fee,
            } => (
                OpType::Transfer,
                from,
                to,
                pack(amount, AMOUNT),
                pack(fee, FEE),
            ),
            PubdataOp::Withdraw { from, amount, fee } => (
                OpType::Withdraw,
                from,
                0,
                pack(amount, AMOUNT),
                pack(fee, FEE),
            ),
        };
        let depth = u32::from(self.depth);
        let mut word = kind as u128;
        word = (word << depth) | u128::from(a);
        word = (word << depth) | u128::from(b);
        word = (word << AMOUNT.bits()) | amount;
        word = (word << FEE.bits()) | fee;
        word <<= self.padding_bits();
        word.to_be_bytes()[16 - self.chunk_bytes()..].to_vec()
    }

    /// Decodes one chunk, refusing unknown types and non-zero unused fields.
    pub fn decode(&self, chunk: &[u8]) -> Result<PubdataOp, PubdataError> {
        if chunk.len() != self.chunk_bytes() {
            return Err(PubdataError::Length(chunk.len()));
        }
        let mut bytes = [0u8; 16];
        bytes[16 - chunk.len()..].copy_from_slice(chunk);
        let mut word = u128::from_be_bytes(bytes);
        let mut take = |bits: u32| {
            let value = word & ((1u128 << bits) - 1);
            word >>= bits;
            value
        };
        let padding = take(self.padding_bits());
        let fee = take(FEE.bits()) as u64;
        let amount = take(AMOUNT.bits()) as u64;
        let depth = u32::from(self.depth);
        let b = take(depth) as AccountIndex;
        let a = take(depth) as AccountIndex;
        let code = take(Self::TYPE_BITS) as u8;
        let kind = OpType::from_code(code).ok_or(PubdataError::UnknownType(code))?;
        let unused_zero = |fields: &[u64]| {
            if padding == 0 && fields.iter().all(|f| *f == 0) {
                Ok(())
            } else {
                Err(PubdataError::NonZeroUnused(kind))
            }
        };
        let unpack = |packed: u64, format: crate::ops::float::FloatFormat| {
            format.decode(packed).ok_or(PubdataError::AmountOutOfRange)
        };
        Ok(match kind {
            OpType::Noop => {
                unused_zero(&[a.into(), b.into(), amount, fee])?;
                PubdataOp::Noop
            }
            OpType::Deposit => {
                unused_zero(&[b.into(), amount, fee])?;
                PubdataOp::Deposit { account: a }
            }
            OpType::ForcedExit => {
                unused_zero(&[b.into(), amount, fee])?;
                PubdataOp::ForcedExit { account: a }
            }
            OpType::Transfer => {
                unused_zero(&[])?;
                PubdataOp::Transfer {
                    from: a,
                    to: b,
                    amount: unpack(amount, AMOUNT)?,
                    fee: unpack(fee, FEE)?,
                }
            }
            OpType::Withdraw => {
                unused_zero(&[b.into()])?;
                PubdataOp::Withdraw {
                    from: a,
                    amount: unpack(amount, AMOUNT)?,
                    fee: unpack(fee, FEE)?,
                }
            }
        })
    }
}

impl From<&ExecutedOp> for PubdataOp {
    fn from(op: &ExecutedOp) -> PubdataOp {
        match op {
            ExecutedOp::Noop => PubdataOp::Noop,
            ExecutedOp::Deposit { account, .. } => PubdataOp::Deposit { account: *account },
            ExecutedOp::ForcedExit { exit, .. } => PubdataOp::ForcedExit {
                account: exit.account,
            },
            ExecutedOp::L2 {
                tx: L2Tx::Transfer { tx, .. },
            } => PubdataOp::Transfer {
                from: tx.from,
                to: tx.to,
                amount: tx.amount,
                fee: tx.fee,
            },
            ExecutedOp::L2 {
                tx: L2Tx::Withdraw { tx, .. },
            } => PubdataOp::Withdraw {
                from: tx.from,
                amount: tx.amount,
                fee: tx.fee,
            },
        }
    }
}

/// A fee-header entry: the operator account credited with one token's fees.
pub fn encode_fee_entry(account: Option<AccountIndex>) -> [u8; FEE_ENTRY_BYTES] {
    let mut entry = [0u8; FEE_ENTRY_BYTES];
    if let Some(account) = account {
        entry[0] = 1;
        entry[1..].copy_from_slice(&account.to_be_bytes());
    }
    entry
}

/// Decodes a fee-header entry.
pub fn decode_fee_entry(
    position: usize,
    entry: &[u8],
) -> Result<Option<AccountIndex>, PubdataError> {
    let [flag, account @ ..] =
        <[u8; FEE_ENTRY_BYTES]>::try_from(entry).map_err(|_| PubdataError::Length(entry.len()))?;
    let account = AccountIndex::from_be_bytes(account);
    match flag {
        0 if account == 0 => Ok(None),
        1 => Ok(Some(account)),
        _ => Err(PubdataError::FeeEntry(position)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_is_fourteen_bytes_at_depth_32() {
        let layout = PubdataLayout { depth: 32 };
        assert_eq!(layout.chunk_bits(), 112);
        assert_eq!(layout.chunk_bytes(), 14);
        let op = PubdataOp::Transfer {
            from: u32::MAX,
            to: 7,
            amount: 123_456_789 * 10u128.pow(12),
            fee: 25 * 10u128.pow(9),
        };
        let chunk = layout.encode(&op);
        assert_eq!(chunk.len(), 14);
        assert_eq!(chunk[0] >> 5, OpType::Transfer as u8);
        assert_eq!(layout.decode(&chunk), Ok(op));
    }

    #[test]
    fn refuses_garbage_in_unused_fields_and_padding() {
        let layout = PubdataLayout { depth: 6 };
        assert_eq!(layout.chunk_bits(), 60);
        let mut chunk = layout.encode(&PubdataOp::Deposit { account: 5 });
        let last = chunk.len() - 1;
        chunk[last] |= 1;
        assert_eq!(
            layout.decode(&chunk),
            Err(PubdataError::NonZeroUnused(OpType::Deposit))
        );
        let mut chunk = layout.encode(&PubdataOp::Noop);
        chunk[0] = 7 << 5;
        assert_eq!(layout.decode(&chunk), Err(PubdataError::UnknownType(7)));
    }

    #[test]
    fn fee_entries() {
        assert_eq!(decode_fee_entry(0, &encode_fee_entry(Some(9))), Ok(Some(9)));
        assert_eq!(decode_fee_entry(0, &encode_fee_entry(None)), Ok(None));
        assert_eq!(
            decode_fee_entry(3, &[0, 0, 0, 0, 1]),
            Err(PubdataError::FeeEntry(3))
        );
    }
}
