//! Batches: the builder that executes operations into a fixed number of slots (the circuit
//! size), collects fees for the operator, and seals the batch with its pubdata and
//! [`statement`]; and [`replay`], which applies published pubdata to rebuild the state.

pub mod replay;
pub mod statement;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use statement::BatchHeader;

use crate::blob::DataBinding;
use crate::ops::{AccountIndex, ExecutedOp, L2Tx, Payout, PriorityOp, TokenId};
use crate::pubdata::{encode_fee_entry, PubdataLayout, PubdataOp};
use crate::state::{Effect, SignedTx, State, TxError};
use crate::Fr;

/// The size of a batch circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchParams {
    /// Operation slots.
    pub slots: usize,
    /// Distinct fee tokens a batch can collect (fee-header entries).
    pub fee_slots: usize,
}

/// Fees of one token collected in a batch for one operator account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSlot {
    /// The token.
    pub token: TokenId,
    /// The operator's account for it.
    pub account: AccountIndex,
    /// Fees collected.
    #[serde(with = "crate::field::serde_u128")]
    pub collected: u128,
}

/// A sealed batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The number and what the statement binds besides the data.
    pub header: BatchHeader,
    /// One entry per slot, padded with `Noop`.
    pub ops: Vec<ExecutedOp>,
    /// Used fee slots, in header order.
    pub fee_slots: Vec<FeeSlot>,
    /// L1 payments, in slot order.
    pub payouts: Vec<Payout>,
    /// The published pubdata (fee header, then one chunk per slot).
    #[serde(with = "hex_bytes")]
    pub pubdata: Vec<u8>,
    /// How the proof binds the pubdata (published in calldata, unless
    /// [`Batch::publish_in_blob`]).
    pub data: DataBinding,
}

impl Batch {
    /// The public inputs of the batch proof.
    pub fn public_inputs(&self) -> Vec<Fr> {
        self.header.public_inputs(&self.data)
    }

    /// Binds the pubdata as published in the blob of `versioned_hash` instead of calldata
    /// (before the witness is built: the challenge moves).
    pub fn publish_in_blob(&mut self, versioned_hash: &[u8; 32]) {
        self.data = DataBinding::new(
            &self.pubdata,
            versioned_hash,
            &payees(&self.ops),
            &self.payouts,
        );
    }
}

/// Each slot's [`Payout::payee`], 0 for a slot that pays nothing: what the data hash absorbs
/// after the pubdata.
pub fn payees(ops: &[ExecutedOp]) -> Vec<Fr> {
    ops.iter()
        .map(|op| op.payout().map_or(Fr::from(0u64), |payout| payout.payee()))
        .collect()
}

pub(crate) mod hex_bytes {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text.trim_start_matches("0x")).map_err(D::Error::custom)
    }
}

/// What a batch executed, before sealing: its operations in order (no padding) and fees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchContents {
    /// The batch number.
    pub number: u64,
    /// Operations, in slot order.
    pub ops: Vec<ExecutedOp>,
    /// Used fee slots.
    pub fee_slots: Vec<FeeSlot>,
    /// The priority queue's rolling hash after the batch.
    #[serde(with = "crate::field::serde_fr")]
    pub priority_after: Fr,
}

/// Why the builder did not take an operation. The state is unchanged.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    /// Every slot is used: seal the batch.
    #[error("batch full")]
    Full,
    /// The fee is in a token beyond the batch's fee slots: seal the batch.
    #[error("no fee slot left for another token")]
    FeeSlotsFull,
    /// The operator has no account collecting this token's fees.
    #[error("operator takes no fees in token {0}")]
    NoFeeAccount(TokenId),
    /// The operation would leave no room for the fees owed to an operator account.
    #[error("fee account {0} would overflow")]
    FeeAccountOverflow(AccountIndex),
    /// The operation breaks a rule of the state.
    #[error(transparent)]
    Tx(#[from] TxError),
}

/// Executes operations into a batch on a state, then seals it.
#[derive(Debug)]
pub struct BatchBuilder<'s> {
    state: &'s mut State,
    params: BatchParams,
    fee_accounts: BTreeMap<TokenId, AccountIndex>,
    number: u64,
    old_root: Fr,
    priority_before: Fr,
    priority_hash: Fr,
    ops: Vec<ExecutedOp>,
    fee_slots: Vec<FeeSlot>,
    payouts: Vec<Payout>,
}

impl<'s> BatchBuilder<'s> {
    /// Starts batch `number` on `state`, whose priority queue has been consumed up to
    /// `priority_hash`; `fee_accounts` names the operator's account for each fee token.
    pub fn new(
        state: &'s mut State,
        params: BatchParams,
        number: u64,
        priority_hash: Fr,
        fee_accounts: BTreeMap<TokenId, AccountIndex>,
    ) -> BatchBuilder<'s> {
        BatchBuilder {
            old_root: state.root(),
            state,
            params,
            fee_accounts,
            number,
            priority_before: priority_hash,
            priority_hash,
            ops: Vec::with_capacity(params.slots),
            fee_slots: Vec::new(),
            payouts: Vec::new(),
        }
    }

    /// The state as executed so far.
    pub fn state(&self) -> &State {
        self.state
    }

    /// Registers the next token on the state (as the Rollup contract's registry did).
    pub fn register_token(&mut self) -> TokenId {
        self.state.register_token()
    }

    /// Whether every slot is used.
    pub fn is_full(&self) -> bool {
        self.ops.len() >= self.params.slots
    }

    /// Operations executed so far.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was executed yet.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Fee slots with the fee of `effect` added, or why that cannot be.
    fn fee_slots_with(&self, effect: &Effect) -> Result<Vec<FeeSlot>, BatchError> {
        let mut slots = self.fee_slots.clone();
        let Some((token, fee)) = effect.fee.filter(|(_, fee)| *fee > 0) else {
            return Ok(slots);
        };
        let full = slots.len() >= self.params.fee_slots;
        match slots.iter_mut().find(|slot| slot.token == token) {
            Some(slot) => {
                slot.collected = slot
                    .collected
                    .checked_add(fee)
                    .ok_or(BatchError::FeeAccountOverflow(slot.account))?;
            }
            None if full => return Err(BatchError::FeeSlotsFull),
            None => {
                let account = *self
                    .fee_accounts
                    .get(&token)
                    .ok_or(BatchError::NoFeeAccount(token))?;
                match self.state.account(account) {
                    Some(found) if found.token == token => {}
                    _ => return Err(BatchError::NoFeeAccount(token)),
                }
                slots.push(FeeSlot {
                    token,
                    account,
                    collected: fee,
                });
            }
        }
        Ok(slots)
    }

    /// Checks that every fee account can still take its collected fees once `effect` is
    /// applied, so sealing never overflows.
    fn check_fee_room(&self, effect: &Effect, slots: &[FeeSlot]) -> Result<(), BatchError> {
        for slot in slots {
            let balance = effect
                .updates
                .iter()
                .rev()
                .find(|(index, _)| *index == slot.account)
                .map(|(_, account)| account.balance)
                .or_else(|| self.state.account(slot.account).map(|a| a.balance))
                .unwrap_or(0);
            if balance.checked_add(slot.collected).is_none() {
                return Err(BatchError::FeeAccountOverflow(slot.account));
            }
        }
        Ok(())
    }

    fn record(&mut self, effect: &Effect, slots: Vec<FeeSlot>, op: ExecutedOp) {
        self.state.commit(effect);
        self.fee_slots = slots;
        self.payouts.extend(effect.payout);
        self.ops.push(op);
    }

    /// Executes a signed transaction in the next slot.
    pub fn push_l2(&mut self, tx: &L2Tx) -> Result<Effect, BatchError> {
        if self.is_full() {
            return Err(BatchError::Full);
        }
        let signed = self.state.verify_signature(tx)?;
        self.push_signed(&signed)
    }

    /// Executes, in the next slot, a transaction whose signature was verified already.
    pub fn push_signed(&mut self, signed: &SignedTx) -> Result<Effect, BatchError> {
        if self.is_full() {
            return Err(BatchError::Full);
        }
        let effect = self.state.check_signed(signed)?;
        let slots = self.fee_slots_with(&effect)?;
        self.check_fee_room(&effect, &slots)?;
        self.record(&effect, slots, ExecutedOp::L2 { tx: *signed.tx() });
        Ok(effect)
    }

    /// Executes the next priority operation in the next slot. Priority operations are
    /// never refused by the rules (a forced exit that does not apply is nullified); only a
    /// full batch or a full tree stops one.
    pub fn push_priority(&mut self, op: &PriorityOp) -> Result<ExecutedOp, BatchError> {
        if self.is_full() {
            return Err(BatchError::Full);
        }
        let (effect, executed) = match op {
            PriorityOp::Deposit(deposit) => {
                let mut account = self.state.deposit_target(deposit)?;
                let mut effect = self.state.check_deposit(account, deposit)?;
                if self.check_fee_room(&effect, &self.fee_slots).is_err() {
                    account = self.state.next_free_index()?;
                    effect = self.state.check_deposit(account, deposit)?;
                }
                let executed = ExecutedOp::Deposit {
                    account,
                    deposit: *deposit,
                };
                (effect, executed)
            }
            PriorityOp::ForcedExit(exit) => {
                let effect = self.state.forced_exit_effect(exit);
                let amount = effect.payout.map_or(0, |p| p.amount);
                (
                    effect,
                    ExecutedOp::ForcedExit {
                        exit: *exit,
                        amount,
                    },
                )
            }
        };
        self.priority_hash = op.chain(self.priority_hash);
        let slots = self.fee_slots.clone();
        self.record(&effect, slots, executed);
        Ok(executed)
    }

    /// Fee slots used so far.
    pub fn fee_slots_used(&self) -> usize {
        self.fee_slots.len()
    }

    fn credit_fees(&mut self) {
        for slot in &self.fee_slots {
            let effect = self
                .state
                .check_fee_credit(slot.account, slot.token, slot.collected)
                .expect("fee room is checked before every operation");
            self.state.commit(&effect);
        }
    }

    /// Credits the collected fees and returns what was executed, without pubdata, roots or
    /// data binding: how a sequencer on an accounts-only state closes a batch, leaving the
    /// sealing to whoever holds the tree.
    pub fn close(mut self) -> BatchContents {
        self.credit_fees();
        BatchContents {
            number: self.number,
            ops: self.ops,
            fee_slots: self.fee_slots,
            priority_after: self.priority_hash,
        }
    }

    /// Credits the collected fees, pads the remaining slots with `Noop`, and computes the
    /// pubdata and its binding.
    pub fn seal(self) -> Batch {
        let params = self.params;
        self.seal_as(params)
    }

    /// Seals into a circuit of size `params`, which must hold what was executed (a node
    /// builds into its largest circuit and seals into the smallest that fits).
    ///
    /// # Panics
    /// When `params` has fewer slots or fee slots than the batch uses.
    pub fn seal_as(mut self, params: BatchParams) -> Batch {
        assert!(
            params.slots >= self.ops.len() && params.fee_slots >= self.fee_slots.len(),
            "the batch does not fit {params:?}"
        );
        self.params = params;
        self.credit_fees();
        self.ops.resize(self.params.slots, ExecutedOp::Noop);

        let layout = PubdataLayout {
            depth: self.state.depth(),
        };
        let mut pubdata = Vec::new();
        for position in 0..self.params.fee_slots {
            let account = self.fee_slots.get(position).map(|slot| slot.account);
            pubdata.extend_from_slice(&encode_fee_entry(account));
        }
        for op in &self.ops {
            pubdata.extend_from_slice(&layout.encode(&PubdataOp::from(op)));
        }
        let header = BatchHeader {
            number: self.number,
            domain: self.state.domain_hash(),
            old_root: self.old_root,
            new_root: self.state.root(),
            priority_before: self.priority_before,
            priority_after: self.priority_hash,
        };
        Batch {
            data: DataBinding::of_calldata(&pubdata, &payees(&self.ops), &self.payouts),
            header,
            ops: self.ops,
            fee_slots: self.fee_slots,
            payouts: self.payouts,
            pubdata,
        }
    }
}

#[cfg(test)]
mod tests;
