//! The state transition function. Each operation is first checked against the state
//! without changing it, giving an [`Effect`] (the new leaves, the fee, the L1 payout);
//! committing the effect is then infallible. A refused operation therefore changes nothing,
//! and a batch builder can look at an effect before it commits it.

use crate::eddsa::PublicKey;
use crate::ops::float::{AMOUNT, FEE};
use crate::ops::{AccountIndex, Deposit, ForcedExit, L2Tx, Payout, TokenId, Transfer, Withdraw};

use super::{Account, State, TxError};
use crate::Fr;

/// What an accepted operation does to the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// New leaves, applied in order.
    pub updates: Vec<(AccountIndex, Account)>,
    /// The fee collected for the operator, with its token.
    pub fee: Option<(TokenId, u128)>,
    /// The payment made on L1.
    pub payout: Option<Payout>,
}

/// A transaction whose signature verified under the sender's key: the expensive check,
/// which a node runs for many transactions in parallel before applying them in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedTx {
    tx: L2Tx,
    key: PublicKey,
    message: Fr,
}

impl SignedTx {
    /// The transaction.
    pub fn tx(&self) -> &L2Tx {
        &self.tx
    }

    /// The signed message (the transaction hash), as computed for the verification.
    pub fn message(&self) -> Fr {
        self.message
    }
}

impl State {
    fn existing(&self, index: AccountIndex, token: TokenId) -> Result<Account, TxError> {
        self.check_index(index)?;
        let account = *self.account(index).ok_or(TxError::UnknownAccount(index))?;
        if account.token != token {
            return Err(TxError::TokenMismatch {
                account: index,
                held: account.token,
                named: token,
            });
        }
        Ok(account)
    }

    /// Debits `amount + fee` and bumps the nonce: the sender side of a transfer or withdrawal.
    fn debit(
        &self,
        index: AccountIndex,
        token: TokenId,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> Result<Account, TxError> {
        self.check_token(token)?;
        let mut sender = self.existing(index, token)?;
        if !AMOUNT.represents(amount) {
            return Err(TxError::AmountOutOfRange(amount));
        }
        if !FEE.represents(fee) {
            return Err(TxError::FeeOutOfRange(fee));
        }
        if nonce != sender.nonce {
            return Err(TxError::WrongNonce {
                expected: sender.nonce,
                got: nonce,
            });
        }
        let insufficient = TxError::InsufficientBalance {
            balance: sender.balance,
            amount,
            fee,
        };
        let total = amount.checked_add(fee).ok_or(insufficient.clone())?;
        sender.balance = sender.balance.checked_sub(total).ok_or(insufficient)?;
        sender.nonce = sender.nonce.checked_add(1).ok_or(TxError::NonceExhausted)?;
        Ok(sender)
    }

    /// Checks a transfer's rules except its signature.
    pub fn check_transfer(&self, tx: &Transfer) -> Result<Effect, TxError> {
        let sender = self.debit(tx.from, tx.token, tx.amount, tx.fee, tx.nonce)?;
        let mut recipient = if tx.to == tx.from {
            sender
        } else {
            self.existing(tx.to, tx.token)?
        };
        recipient.balance = recipient
            .balance
            .checked_add(tx.amount)
            .ok_or(TxError::BalanceOverflow(tx.to))?;
        Ok(Effect {
            updates: vec![(tx.from, sender), (tx.to, recipient)],
            fee: Some((tx.token, tx.fee)),
            payout: None,
        })
    }

    /// Checks a withdrawal's rules except its signature.
    pub fn check_withdraw(&self, tx: &Withdraw) -> Result<Effect, TxError> {
        let sender = self.debit(tx.from, tx.token, tx.amount, tx.fee, tx.nonce)?;
        Ok(Effect {
            updates: vec![(tx.from, sender)],
            fee: Some((tx.token, tx.fee)),
            payout: Some(Payout {
                recipient: tx.to,
                token: tx.token,
                amount: tx.amount,
            }),
        })
    }

    /// Checks a transaction's signature under the sender's key for this deployment.
    pub fn verify_signature(&self, tx: &L2Tx) -> Result<SignedTx, TxError> {
        let sender = self.sender(tx)?;
        let message = tx.message(&self.domain);
        if !sender.pubkey.verify(message, tx.signature()) {
            return Err(TxError::BadSignature);
        }
        Ok(SignedTx {
            tx: *tx,
            key: sender.pubkey,
            message,
        })
    }

    fn sender(&self, tx: &L2Tx) -> Result<Account, TxError> {
        let (from, token) = match tx {
            L2Tx::Transfer { tx, .. } => (tx.from, tx.token),
            L2Tx::Withdraw { tx, .. } => (tx.from, tx.token),
        };
        self.check_token(token)?;
        self.existing(from, token)
    }

    /// Checks the rules of a transaction whose signature verified, which still requires the
    /// sender's key to be the one it verified under.
    pub fn check_signed(&self, signed: &SignedTx) -> Result<Effect, TxError> {
        if self.sender(&signed.tx)?.pubkey != signed.key {
            return Err(TxError::BadSignature);
        }
        match &signed.tx {
            L2Tx::Transfer { tx, .. } => self.check_transfer(tx),
            L2Tx::Withdraw { tx, .. } => self.check_withdraw(tx),
        }
    }

    /// Checks a signed transaction: its signature under the sender's key for this
    /// deployment, then its rules.
    pub fn check_l2(&self, tx: &L2Tx) -> Result<Effect, TxError> {
        self.check_signed(&self.verify_signature(tx)?)
    }

    /// Checks crediting `deposit` to `account`: an empty leaf becomes the depositor's new
    /// account; an occupied one must be the depositor's key, token and L1 owner and must not
    /// overflow.
    pub fn check_deposit(
        &self,
        account: AccountIndex,
        deposit: &Deposit,
    ) -> Result<Effect, TxError> {
        self.check_index(account)?;
        self.check_token(deposit.token)?;
        let credited = match self.account(account) {
            None => Account {
                pubkey: deposit.pubkey,
                l1_address: deposit.l1_address,
                token: deposit.token,
                balance: deposit.amount,
                nonce: 0,
            },
            Some(existing) => {
                // The owner too: forced exits and exodus pay the account's L1 owner, so a
                // deposit credited to another owner's account could be taken (audit C-2).
                if existing.pubkey != deposit.pubkey
                    || existing.token != deposit.token
                    || existing.l1_address != deposit.l1_address
                {
                    return Err(TxError::NotDepositorsAccount(account));
                }
                let balance = existing
                    .balance
                    .checked_add(deposit.amount)
                    .ok_or(TxError::BalanceOverflow(account))?;
                Account {
                    balance,
                    ..*existing
                }
            }
        };
        Ok(Effect {
            updates: vec![(account, credited)],
            fee: None,
            payout: None,
        })
    }

    /// Where the sequencer credits a deposit: the depositor's existing account for the
    /// key, token and L1 owner with room for the amount, or else the next free leaf.
    pub fn deposit_target(&self, deposit: &Deposit) -> Result<AccountIndex, TxError> {
        let existing = self
            .accounts_of(&deposit.pubkey, deposit.token)
            .iter()
            .find(|index| self.check_deposit(**index, deposit).is_ok());
        match existing {
            Some(index) => Ok(*index),
            None => self.next_free_index(),
        }
    }

    /// A forced exit never fails: it empties the account when the requester owns it and
    /// the token matches, and is otherwise nullified (no change, a zero payout).
    pub fn forced_exit_effect(&self, exit: &ForcedExit) -> Effect {
        let honoured = self
            .existing(exit.account, exit.token)
            .ok()
            .filter(|account| account.l1_address == exit.requester);
        let (updates, amount) = match honoured {
            Some(account) => (
                vec![(
                    exit.account,
                    Account {
                        balance: 0,
                        ..account
                    },
                )],
                account.balance,
            ),
            None => (Vec::new(), 0),
        };
        Effect {
            updates,
            fee: None,
            payout: Some(Payout {
                recipient: exit.requester,
                token: exit.token,
                amount,
            }),
        }
    }

    /// Writes an effect's leaves.
    pub fn commit(&mut self, effect: &Effect) {
        for (index, account) in &effect.updates {
            self.write(*index, *account);
        }
    }

    /// Checks and applies a signed transaction.
    pub fn apply_l2(&mut self, tx: &L2Tx) -> Result<Effect, TxError> {
        let effect = self.check_l2(tx)?;
        self.commit(&effect);
        Ok(effect)
    }

    /// Credits a fee to the operator's account (at the end of a batch).
    pub fn check_fee_credit(
        &self,
        account: AccountIndex,
        token: TokenId,
        amount: u128,
    ) -> Result<Effect, TxError> {
        let mut operator = self.existing(account, token)?;
        operator.balance = operator
            .balance
            .checked_add(amount)
            .ok_or(TxError::BalanceOverflow(account))?;
        Ok(Effect {
            updates: vec![(account, operator)],
            fee: None,
            payout: None,
        })
    }
}

#[cfg(test)]
mod tests;
