//! The witness builder: re-executes a sealed batch on the state it started from, with the
//! same native transition functions, and records what the circuit needs for every slot
//! (each leaf before and after, and its Merkle siblings at the moment of the update).
//!
//! Every slot updates two leaves in order, `first` then `second`:
//!
//! | op | first | second |
//! |---|---|---|
//! | Transfer | sender | recipient |
//! | Withdraw | sender | leaf 0, unchanged |
//! | Deposit | account credited | leaf 0, unchanged |
//! | ForcedExit | the named account (unchanged when nullified) | leaf 0, unchanged |
//! | Noop | leaf 0, unchanged | leaf 0, unchanged |
//!
//! then each fee slot credits its operator account (an unused one leaves leaf 0 unchanged).

use crate::babyjubjub::Point;
use crate::batch::{Batch, BatchHeader, BatchParams, FeeSlot};
use crate::blob::DataBinding;
use crate::eddsa::{Scalar, Signature};
use crate::field::fr_from_address;
use crate::merkle::MerkleProof;
use crate::ops::float::{AMOUNT, FEE};
use crate::ops::{AccountIndex, ExecutedOp, L2Tx, Payout};
use crate::state::{Account, Effect, State, TxError};
use crate::Fr;

/// What fixes a batch circuit: its slots, fee slots and tree depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CircuitSize {
    /// Operation slots.
    pub slots: usize,
    /// Fee slots.
    pub fee_slots: usize,
    /// Binary tree depth.
    pub depth: u8,
}

impl CircuitSize {
    /// The batch parameters of this size.
    pub fn batch_params(&self) -> BatchParams {
        BatchParams {
            slots: self.slots,
            fee_slots: self.fee_slots,
        }
    }
}

/// One leaf update.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeafUpdate {
    /// The leaf.
    pub index: AccountIndex,
    /// Before the update (`None`: empty).
    pub before: Option<Account>,
    /// After the update (`None`: still empty).
    pub after: Option<Account>,
    /// Siblings at the time of the update.
    pub proof: MerkleProof,
    /// Fields a dishonest prover claims for the leaf before in place of `before`'s: how the
    /// soundness tests assign aliased leaves.
    #[cfg(all(test, feature = "r1cs"))]
    #[serde(skip)]
    pub claimed_before: Option<crate::state::account::constraints::LeafFields>,
}

impl LeafUpdate {
    /// The fields the circuit is assigned for the leaf before (`None`: empty).
    #[cfg(feature = "r1cs")]
    pub(crate) fn before_fields(&self) -> Option<crate::state::account::constraints::LeafFields> {
        let fields = self
            .before
            .as_ref()
            .map(crate::state::account::constraints::LeafFields::of);
        #[cfg(all(test, feature = "r1cs"))]
        let fields = self.claimed_before.or(fields);
        fields
    }
}

/// The operation's fields as the circuit allocates them (zero where the operation has no
/// such field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpFields {
    /// The operation code (three bits).
    pub code: u8,
    /// The token named by the operation.
    pub token: Fr,
    /// Amount: a transaction's amount, a deposit's amount, a forced exit's payout.
    pub amount: Fr,
    /// A transaction's packed amount.
    pub amount_packed: u64,
    /// A transaction's packed fee.
    pub fee_packed: u64,
    /// Withdrawal recipient, depositor's L1 owner, or forced-exit requester.
    pub l1_address: Fr,
    /// A deposit's public key.
    pub deposit_key: (Fr, Fr),
    /// A transaction's signature (the identity and zero otherwise).
    pub signature: Signature,
}

/// One slot. Serialised without its [`OpFields`], which follow from the operation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "SlotRecord", into = "SlotRecord")]
pub struct SlotWitness {
    /// The operation.
    pub op: ExecutedOp,
    /// Its fields.
    pub fields: OpFields,
    /// The first leaf update.
    pub first: LeafUpdate,
    /// The second leaf update.
    pub second: LeafUpdate,
}

/// A slot as stored and sent to provers.
#[derive(serde::Serialize, serde::Deserialize)]
struct SlotRecord {
    op: ExecutedOp,
    first: LeafUpdate,
    second: LeafUpdate,
}

impl From<SlotRecord> for SlotWitness {
    fn from(record: SlotRecord) -> SlotWitness {
        SlotWitness {
            fields: OpFields::of(&record.op),
            op: record.op,
            first: record.first,
            second: record.second,
        }
    }
}

impl From<SlotWitness> for SlotRecord {
    fn from(slot: SlotWitness) -> SlotRecord {
        SlotRecord {
            op: slot.op,
            first: slot.first,
            second: slot.second,
        }
    }
}

/// One fee slot's credit at the end of the batch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeeWitness {
    /// The slot, if used.
    pub slot: Option<FeeSlot>,
    /// The credit (leaf 0 unchanged when unused).
    pub update: LeafUpdate,
}

/// Everything the batch circuit is assigned: what a stateless prover needs (serialisable, so
/// a node can store it as a proving job and send it to remote provers).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchWitness {
    /// The circuit size.
    pub size: CircuitSize,
    /// The number and what the statement binds besides the data.
    pub header: BatchHeader,
    /// Per slot.
    pub slots: Vec<SlotWitness>,
    /// Per fee slot.
    pub fees: Vec<FeeWitness>,
    /// The batch's pubdata.
    #[serde(with = "crate::batch::hex_bytes")]
    pub pubdata: Vec<u8>,
    /// How the proof binds the pubdata and the payouts.
    pub data: DataBinding,
    /// The L1 payouts the contract makes for the batch, in slot order (what `data` binds).
    pub payouts: Vec<Payout>,
}

impl BatchWitness {
    /// The public inputs of the batch proof.
    pub fn public_inputs(&self) -> Vec<Fr> {
        self.header.public_inputs(&self.data)
    }
}

/// A batch that does not re-execute on the given state.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WitnessError {
    /// The batch does not fit the circuit.
    #[error("batch of {slots} slots and {fee_slots} fee slots does not fit the circuit")]
    Size {
        /// Slots in the batch.
        slots: usize,
        /// Fee slots in the batch.
        fee_slots: usize,
    },
    /// The state is not the one the batch started from.
    #[error("the state root is not the batch's old root")]
    WrongState,
    /// An operation no longer applies.
    #[error("slot {slot}: {error}")]
    Rule {
        /// The slot.
        slot: usize,
        /// The rule.
        error: TxError,
    },
    /// Re-execution ended elsewhere than the batch says.
    #[error("re-execution does not reproduce the batch")]
    Diverged,
}

struct Recorder {
    state: State,
}

impl Recorder {
    /// Records an update of `index` to `after` (or leaves it as it is).
    fn update(
        &mut self,
        index: AccountIndex,
        after: Option<Account>,
    ) -> Result<LeafUpdate, TxError> {
        let proof = self.state.proof(index)?;
        let before = self.state.account(index).copied();
        let after = after.or(before);
        if let Some(account) = after.filter(|a| Some(*a) != before) {
            self.state.commit(&Effect {
                updates: vec![(index, account)],
                fee: None,
                payout: None,
            });
        }
        Ok(LeafUpdate {
            index,
            before,
            after,
            proof,
            #[cfg(all(test, feature = "r1cs"))]
            claimed_before: None,
        })
    }

    fn unchanged(&mut self) -> Result<LeafUpdate, TxError> {
        self.update(0, None)
    }
}

impl BatchWitness {
    /// Re-executes `batch` on `pre_state` (the state before it) and records the witness.
    pub fn build(
        pre_state: &State,
        batch: &Batch,
        size: CircuitSize,
    ) -> Result<BatchWitness, WitnessError> {
        if batch.ops.len() != size.slots
            || batch.fee_slots.len() > size.fee_slots
            || pre_state.depth() != size.depth
        {
            return Err(WitnessError::Size {
                slots: batch.ops.len(),
                fee_slots: batch.fee_slots.len(),
            });
        }
        if pre_state.root() != batch.header.old_root {
            return Err(WitnessError::WrongState);
        }
        let mut recorder = Recorder {
            state: pre_state.clone(),
        };
        let mut slots = Vec::with_capacity(size.slots);
        for (slot, op) in batch.ops.iter().enumerate() {
            let rule = |error| WitnessError::Rule { slot, error };
            let effect = match op {
                ExecutedOp::Noop => None,
                ExecutedOp::L2 { tx } => Some(recorder.state.check_l2(tx).map_err(rule)?),
                ExecutedOp::Deposit { account, deposit } => Some(
                    recorder
                        .state
                        .check_deposit(*account, deposit)
                        .map_err(rule)?,
                ),
                ExecutedOp::ForcedExit { exit, amount } => {
                    let effect = recorder.state.forced_exit_effect(exit);
                    if effect.payout.map(|p| p.amount) != Some(*amount) {
                        return Err(WitnessError::Diverged);
                    }
                    Some(effect)
                }
            };
            let updates = effect.map(|e| e.updates).unwrap_or_default();
            let after = |index: AccountIndex, position: usize| {
                updates
                    .get(position)
                    .filter(|(i, _)| *i == index)
                    .map(|(_, account)| *account)
            };
            let (first, second) = match op {
                ExecutedOp::Noop => (recorder.unchanged(), recorder.unchanged()),
                ExecutedOp::L2 {
                    tx: L2Tx::Transfer { tx, .. },
                } => {
                    let first = recorder.update(tx.from, after(tx.from, 0));
                    (first, recorder.update(tx.to, after(tx.to, 1)))
                }
                ExecutedOp::L2 {
                    tx: L2Tx::Withdraw { tx, .. },
                } => (
                    recorder.update(tx.from, after(tx.from, 0)),
                    recorder.unchanged(),
                ),
                ExecutedOp::Deposit { account, .. } => (
                    recorder.update(*account, after(*account, 0)),
                    recorder.unchanged(),
                ),
                ExecutedOp::ForcedExit { exit, .. } => (
                    recorder.update(exit.account, after(exit.account, 0)),
                    recorder.unchanged(),
                ),
            };
            let rule = |error| WitnessError::Rule { slot, error };
            slots.push(SlotWitness {
                op: *op,
                fields: OpFields::of(op),
                first: first.map_err(rule)?,
                second: second.map_err(rule)?,
            });
        }
        let mut fees = Vec::with_capacity(size.fee_slots);
        for position in 0..size.fee_slots {
            let slot = batch.fee_slots.get(position).copied();
            let update = match slot {
                Some(fee) => {
                    let effect = recorder
                        .state
                        .check_fee_credit(fee.account, fee.token, fee.collected)
                        .map_err(|error| WitnessError::Rule {
                            slot: size.slots,
                            error,
                        })?;
                    recorder.update(fee.account, Some(effect.updates[0].1))
                }
                None => recorder.unchanged(),
            }
            .map_err(|error| WitnessError::Rule {
                slot: size.slots,
                error,
            })?;
            fees.push(FeeWitness { slot, update });
        }
        if recorder.state.root() != batch.header.new_root {
            return Err(WitnessError::Diverged);
        }
        Ok(BatchWitness {
            size,
            header: batch.header,
            slots,
            fees,
            pubdata: batch.pubdata.clone(),
            data: batch.data,
            payouts: batch.payouts.clone(),
        })
    }
}

impl OpFields {
    /// The fields of an executed operation.
    pub fn of(op: &ExecutedOp) -> OpFields {
        let blank = OpFields {
            code: op.op_type() as u8,
            token: Fr::from(0u64),
            amount: Fr::from(0u64),
            amount_packed: 0,
            fee_packed: 0,
            l1_address: Fr::from(0u64),
            deposit_key: (Fr::from(0u64), Fr::from(0u64)),
            signature: Signature {
                r8: Point::IDENTITY,
                s: Scalar::from(0u64),
            },
        };
        let packed = |amount, fee| {
            (
                AMOUNT
                    .encode(amount)
                    .expect("executed amounts are packable"),
                FEE.encode(fee).expect("executed fees are packable"),
            )
        };
        match op {
            ExecutedOp::Noop => blank,
            ExecutedOp::Deposit { deposit, .. } => OpFields {
                token: Fr::from(deposit.token),
                amount: Fr::from(deposit.amount),
                l1_address: fr_from_address(&deposit.l1_address),
                deposit_key: (deposit.pubkey.0.x(), deposit.pubkey.0.y()),
                ..blank
            },
            ExecutedOp::ForcedExit { exit, amount } => OpFields {
                token: Fr::from(exit.token),
                amount: Fr::from(*amount),
                l1_address: fr_from_address(&exit.requester),
                ..blank
            },
            ExecutedOp::L2 { tx: l2 } => {
                let (token, amount, fee, recipient) = match l2 {
                    L2Tx::Transfer { tx, .. } => (tx.token, tx.amount, tx.fee, Fr::from(0u64)),
                    L2Tx::Withdraw { tx, .. } => {
                        (tx.token, tx.amount, tx.fee, fr_from_address(&tx.to))
                    }
                };
                let (amount_packed, fee_packed) = packed(amount, fee);
                OpFields {
                    token: Fr::from(token),
                    amount: Fr::from(amount),
                    amount_packed,
                    fee_packed,
                    l1_address: recipient,
                    signature: *l2.signature(),
                    ..blank
                }
            }
        }
    }
}
