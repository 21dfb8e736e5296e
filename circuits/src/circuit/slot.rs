//! One slot of the batch circuit: any operation, held to exactly the native rules of
//! `state::transition`. Every slot runs the same constraints; the operation type (three
//! bits) switches which rules bind, so the circuit's shape never depends on the batch.

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::leaf::LeafVar;
use super::witness::SlotWitness;
use crate::babyjubjub::constraints::PointVar;
use crate::babyjubjub::Point;
use crate::eddsa::constraints::{verify_var, SignatureVar};
use crate::field::constraints::{be_bits, AddressVar, AmountVar, U32Var};
use crate::ops::address_shift;
use crate::ops::float::constraints::FloatVar;
use crate::ops::float::{AMOUNT, FEE};
use crate::ops::priority::account_shift;
use crate::poseidon::constraints::poseidon_var;
use crate::pubdata::PubdataLayout;
use crate::state::account::constraints::AccountVar;
use crate::Fr;

/// The running values a slot reads and moves on.
pub(crate) struct Running {
    /// The state root.
    pub root: FpVar<Fr>,
    /// The priority-queue rolling hash.
    pub priority: FpVar<Fr>,
    /// The payouts' polynomial so far, at the challenge (from 1).
    pub payout: FpVar<Fr>,
    /// Each slot's payee so far (0 for a slot that pays nothing), for the data hash.
    pub payees: Vec<FpVar<Fr>>,
    /// Fees collected per fee slot.
    pub fees: Vec<FpVar<Fr>>,
}

/// The batch-wide values every slot uses.
pub(crate) struct BatchContext {
    /// `Poseidon(chain_id, rollup_address)`.
    pub domain: FpVar<Fr>,
    /// Per fee slot: whether used, and the token of its operator account.
    pub fee_slots: Vec<(Boolean<Fr>, U32Var)>,
    /// Tree depth.
    pub depth: u8,
    /// The challenge point, at which the payouts' polynomial is evaluated.
    pub challenge: FpVar<Fr>,
}

/// The one-hot operation flags decoded from the three type bits.
struct OpFlags {
    bits: [Boolean<Fr>; 3],
    noop: Boolean<Fr>,
    deposit: Boolean<Fr>,
    forced_exit: Boolean<Fr>,
    transfer: Boolean<Fr>,
    withdraw: Boolean<Fr>,
    l2: Boolean<Fr>,
    priority: Boolean<Fr>,
}

impl OpFlags {
    /// Type `t0 + 2·t1 + 4·t2` must be at most 4: `t2` excludes `t0` and `t1`.
    fn new(cs: &ConstraintSystemRef<Fr>, code: u8) -> Result<OpFlags, SynthesisError> {
        let bit = |i: u8| Boolean::new_witness(cs.clone(), || Ok((code >> i) & 1 == 1));
        let [t0, t1, t2] = [bit(0)?, bit(1)?, bit(2)?];
        (&t2 & &t0).enforce_equal(&Boolean::FALSE)?;
        (&t2 & &t1).enforce_equal(&Boolean::FALSE)?;
        let transfer = &t0 & &t1;
        let deposit = &t0 & &!&t1;
        let forced_exit = &!&t0 & &t1;
        let withdraw = t2.clone();
        let noop = !&(&(&t0 | &t1) | &t2);
        Ok(OpFlags {
            l2: &transfer | &withdraw,
            priority: &deposit | &forced_exit,
            bits: [t0, t1, t2],
            noop,
            deposit,
            forced_exit,
            transfer,
            withdraw,
        })
    }

    fn code(&self) -> Result<FpVar<Fr>, SynthesisError> {
        Boolean::le_bits_to_fp(&self.bits)
    }
}

fn fp(bit: &Boolean<Fr>) -> FpVar<Fr> {
    FpVar::from(bit.clone())
}

/// Opens a span naming the rule whose constraints follow, so a failing constraint can be
/// traced to the rule it enforces.
macro_rules! rule {
    ($name:literal) => {
        tracing::info_span!(target: "gr1cs", $name).entered()
    };
}
pub(crate) use rule;

/// Constraints of one slot, by part (every slot costs the same, whatever its operation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SlotCost {
    /// Type flags, index bits, operation fields, range checks and packed floats.
    pub operation_fields: usize,
    /// The first leaf's rules, two leaf hashes and two Merkle paths.
    pub first_leaf: usize,
    /// The second leaf's rules, two leaf hashes and two Merkle paths.
    pub second_leaf: usize,
    /// The message hash and EdDSA-Poseidon verification.
    pub signature: usize,
    /// The priority-queue and payout hashes.
    pub queue_and_payout: usize,
    /// Fee-slot matching.
    pub fees: usize,
    /// All of the above.
    pub total: usize,
}

/// Synthesises one slot, moving `running` on, and returns the slot's pubdata bits and
/// constraint cost.
pub(crate) fn synthesize_slot(
    cs: &ConstraintSystemRef<Fr>,
    context: &BatchContext,
    witness: &SlotWitness,
    running: &mut Running,
) -> Result<(Vec<Boolean<Fr>>, SlotCost), SynthesisError> {
    let start = cs.num_constraints();
    let mut mark = start;
    let mut cost = SlotCost::default();
    let mut since_mark = || {
        let now = cs.num_constraints();
        let spent = now - mark;
        mark = now;
        spent
    };
    let values = &witness.fields;
    let zero = FpVar::zero();
    let flags = {
        let _rule = rule!("op_type");
        OpFlags::new(cs, values.code)?
    };

    let first = LeafVar::new_witness(cs.clone(), &witness.first, context.depth)?;
    let second = LeafVar::new_witness(cs.clone(), &witness.second, context.depth)?;
    let from = first.index()?;
    let to = second.index()?;
    {
        let _rule = rule!("unused_indices_zero");
        from.fp().conditional_enforce_equal(&zero, &flags.noop)?;
        to.fp()
            .conditional_enforce_equal(&zero, &!&flags.transfer)?;
    }

    // The operation's fields, range-checked.
    let (token, l1_address) = {
        let _rule = rule!("field_ranges");
        (
            U32Var::new_witness(cs.clone(), || Ok(values.token))?,
            AddressVar::new_witness(cs.clone(), || Ok(values.l1_address))?,
        )
    };
    let amount = {
        let _rule = rule!("amount_range");
        AmountVar::new_witness(cs.clone(), || Ok(values.amount))?
    };
    let deposit_x = FpVar::new_witness(cs.clone(), || Ok(values.deposit_key.0))?;
    let deposit_y = FpVar::new_witness(cs.clone(), || Ok(values.deposit_key.1))?;
    let amount_float = FloatVar::new_witness(cs.clone(), AMOUNT, Some(values.amount_packed))?;
    let fee_float = FloatVar::new_witness(cs.clone(), FEE, Some(values.fee_packed))?;
    let fee = fee_float.value()?;
    {
        let _rule = rule!("packed_amounts");
        amount
            .fp()
            .conditional_enforce_equal(&amount_float.value()?, &flags.l2)?;
        let not_l2 = !&flags.l2;
        amount_float
            .packed()?
            .conditional_enforce_equal(&zero, &not_l2)?;
        fee_float
            .packed()?
            .conditional_enforce_equal(&zero, &not_l2)?;
    }

    // First leaf: the sender of a transaction, the account a deposit credits, the account
    // a forced exit empties.
    cost.operation_fields = since_mark();
    let a = &first.before;
    let a_empty = &first.empty;
    {
        let _rule = rule!("sender_exists_and_token");
        (&flags.l2 & a_empty).enforce_equal(&Boolean::FALSE)?;
        a.token
            .fp()
            .conditional_enforce_equal(token.fp(), &flags.l2)?;
    }
    let create = &flags.deposit & a_empty;
    {
        // A deposit tops up only an account of the same key, token and L1 owner (audit
        // C-2: forced exits and exodus pay the owner, so a top-up must never cross owners).
        let _rule = rule!("deposit_target");
        let top_up = &flags.deposit & &!a_empty;
        // Outside a deposit the key is unused: zero, so no witness value is left free.
        let not_deposit = !&flags.deposit;
        deposit_x.conditional_enforce_equal(&zero, &not_deposit)?;
        deposit_y.conditional_enforce_equal(&zero, &not_deposit)?;
        a.pubkey_x.conditional_enforce_equal(&deposit_x, &top_up)?;
        a.pubkey_y.conditional_enforce_equal(&deposit_y, &top_up)?;
        a.token
            .fp()
            .conditional_enforce_equal(token.fp(), &top_up)?;
        a.l1_address
            .fp()
            .conditional_enforce_equal(l1_address.fp(), &top_up)?;
    }
    let exit_amount = {
        let _rule = rule!("forced_exit");
        let owned = &a.token.fp().is_eq(token.fp())? & &a.l1_address.fp().is_eq(l1_address.fp())?;
        let applies = &(&flags.forced_exit & &!a_empty) & &owned;
        let exit_amount =
            AmountVar::conditionally_select(&applies, &a.balance, &AmountVar::constant(0))?;
        amount
            .fp()
            .conditional_enforce_equal(exit_amount.fp(), &flags.forced_exit)?;
        exit_amount
    };
    let create_fp = fp(&create);
    let balance = {
        let _rule = rule!("sender_balance");
        AmountVar::checked(
            a.balance.fp() + fp(&flags.deposit) * amount.fp()
                - fp(&flags.l2) * (amount.fp() + &fee)
                - exit_amount.fp(),
        )?
    };
    let nonce = {
        let _rule = rule!("sender_nonce");
        U32Var::checked(a.nonce.fp() + fp(&flags.l2))?
    };
    let a_after = AccountVar {
        pubkey_x: &a.pubkey_x + &create_fp * &deposit_x,
        pubkey_y: &a.pubkey_y + &create_fp * &deposit_y,
        l1_address: AddressVar::conditionally_select(&create, &l1_address, &a.l1_address)?,
        token: U32Var::conditionally_select(&create, &token, &a.token)?,
        balance,
        nonce,
    };
    {
        let _rule = rule!("sender_merkle");
        let a_empty_after = fp(a_empty) - &create_fp;
        running.root = first.update(&running.root, &a_after, &a_empty_after)?;
    }

    cost.first_leaf = since_mark();

    // Second leaf: the recipient of a transfer; leaf 0, unchanged, otherwise.
    let b = &second.before;
    {
        let _rule = rule!("recipient_exists_and_token");
        (&flags.transfer & &second.empty).enforce_equal(&Boolean::FALSE)?;
        b.token
            .fp()
            .conditional_enforce_equal(token.fp(), &flags.transfer)?;
    }
    let b_after = {
        let _rule = rule!("recipient_balance");
        AccountVar {
            balance: AmountVar::checked(b.balance.fp() + fp(&flags.transfer) * amount.fp())?,
            ..b.clone()
        }
    };
    {
        let _rule = rule!("recipient_merkle");
        running.root = second.update(&running.root, &b_after, &fp(&second.empty))?;
    }

    cost.second_leaf = since_mark();

    // The signature of a transaction, under the sender's key for this deployment, over
    // the sender's current nonce.
    let code = flags.code()?;
    {
        let _rule = rule!("signature");
        let message = poseidon_var(&[
            context.domain.clone(),
            code.clone(),
            from.fp().clone(),
            to.fp() + fp(&flags.withdraw) * l1_address.fp(),
            token.fp().clone(),
            a.nonce.fp().clone(),
            amount.fp().clone(),
            fee.clone(),
        ])?;
        let base8 = Point::base8();
        let signer = PointVar::from_coordinates(
            FpVar::conditionally_select(&flags.l2, &a.pubkey_x, &FpVar::constant(base8.x()))?,
            FpVar::conditionally_select(&flags.l2, &a.pubkey_y, &FpVar::constant(base8.y()))?,
        );
        signer.enforce_on_curve()?;
        let signature = SignatureVar::new_witness(cs.clone(), || Ok(values.signature))?;
        verify_var(&signer, &message, &signature, &flags.l2)?;
    }

    cost.signature = since_mark();

    // Priority operations are consumed from the queue in order.
    {
        let _rule = rule!("priority_queue");
        let tag = &code + token.fp() * Fr::from(1u64 << 8) + l1_address.fp() * Fr::from(1u64 << 40);
        let deposited = poseidon_var(&[
            running.priority.clone(),
            tag.clone(),
            deposit_x.clone(),
            deposit_y.clone(),
            amount.fp().clone(),
        ])?;
        // A forced exit's fields are range-checked parts (8 + 32 + 160 + 32 bits) below 2^232,
        // so the packed word names one request; the contract hashes it with a two-input hash.
        let exited = poseidon_var(&[running.priority.clone(), tag + from.fp() * account_shift()])?;
        let queued = FpVar::conditionally_select(&flags.forced_exit, &exited, &deposited)?;
        running.priority =
            FpVar::conditionally_select(&flags.priority, &queued, &running.priority)?;
    }

    // Withdrawals and forced exits pay out on L1: one Horner step of the payouts'
    // polynomial (`crate::ops::Payout::term`), and the payee for the data hash, which must
    // fix it before the challenge is drawn (a withdrawal's recipient is not in the pubdata).
    // Four constraints and a quarter of a data-hash call where a Poseidon hash took 264.
    {
        let _rule = rule!("payout");
        let pays = &flags.withdraw | &flags.forced_exit;
        // Both parts are range-checked (160 and 32 bits), so the packed word is below 2^192
        // and names one (recipient, token) pair.
        let z = &context.challenge;
        let payee = l1_address.fp() + token.fp() * address_shift();
        let paid = (&running.payout * z + &payee) * z + amount.fp();
        running.payout = FpVar::conditionally_select(&pays, &paid, &running.payout)?;
        running
            .payees
            .push(FpVar::conditionally_select(&pays, &payee, &zero)?);
    }

    cost.queue_and_payout = since_mark();

    // The fee goes to the one fee slot of its token; no slot, no fee.
    {
        let _rule = rule!("fee");
        let mut matched = Vec::with_capacity(context.fee_slots.len());
        for (used, fee_token) in &context.fee_slots {
            matched.push(&(&flags.l2 & used) & &token.fp().is_eq(fee_token.fp())?);
        }
        let matches = matched.iter().fold(FpVar::zero(), |sum, m| sum + fp(m));
        (&matches * (&matches - Fr::from(1u64))).enforce_equal(&zero)?;
        ((FpVar::one() - &matches) * &fee).enforce_equal(&zero)?;
        for (collected, m) in running.fees.iter_mut().zip(&matched) {
            *collected += fp(m) * &fee;
        }
    }

    cost.fees = since_mark();
    cost.total = cs.num_constraints() - start;

    let layout = PubdataLayout {
        depth: context.depth,
    };
    let mut chunk = be_bits(&flags.bits, PubdataLayout::TYPE_BITS as usize);
    chunk.extend(be_bits(&first.index_bits, usize::from(context.depth)));
    chunk.extend(be_bits(&second.index_bits, usize::from(context.depth)));
    chunk.extend(amount_float.bits_be());
    chunk.extend(fee_float.bits_be());
    chunk.resize(8 * layout.chunk_bytes(), Boolean::FALSE);
    Ok((chunk, cost))
}
