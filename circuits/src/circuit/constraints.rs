//! The batch circuit's constraints: [`BatchCircuit`] synthesises a batch's statement (see
//! [`super`]) over its slots and fee slots, and reports its constraint counts.

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::leaf::LeafVar;
use super::slot::{rule, synthesize_slot, BatchContext, Running, SlotCost};
use super::witness::{BatchWitness, CircuitSize};
use crate::batch::BatchBuilder;
use crate::blob::constraints::{
    data_hash_var, elements_from_be_bits, evaluate_var, halves, ChallengeVar,
};
use crate::field::constraints::{be_bits, AmountVar};
use crate::ops::Domain;
use crate::state::account::constraints::AccountVar;
use crate::state::{State, StateConfig};
use crate::Fr;

/// The batch circuit with its assignment.
#[derive(Clone, Debug)]
pub struct BatchCircuit {
    /// What the circuit is assigned; its size fixes the circuit.
    pub witness: BatchWitness,
}

impl BatchCircuit {
    /// The circuit of `size` assigned an empty batch on an empty tree: what key generation
    /// synthesises (the constraints do not depend on the assignment).
    pub fn blank(size: CircuitSize) -> BatchCircuit {
        let domain = Domain {
            chain_id: 0,
            rollup_address: alloy_primitives::Address::ZERO,
        };
        let mut state = State::new(StateConfig {
            depth: size.depth,
            domain,
        })
        .expect("a valid depth");
        let pre = state.clone();
        let batch = BatchBuilder::new(
            &mut state,
            size.batch_params(),
            0,
            Fr::from(0u64),
            Default::default(),
        )
        .seal();
        BatchCircuit {
            witness: BatchWitness::build(&pre, &batch, size).expect("an empty batch re-executes"),
        }
    }

    /// The public inputs ([`crate::batch::statement`]).
    pub fn public_inputs(&self) -> Vec<Fr> {
        self.witness.public_inputs()
    }
}

/// Where a circuit's constraints go.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConstraintReport {
    /// The circuit.
    pub size: CircuitSize,
    /// All constraints.
    pub total: usize,
    /// One slot (every slot costs the same, whatever its operation).
    pub per_slot: SlotCost,
    /// Crediting the fee slots at the end of the batch.
    pub fee_credits: usize,
    /// The data commitment: the data hash and the evaluation at the challenge over the
    /// pubdata's elements ([`crate::blob`]).
    pub commitment: usize,
    /// Pubdata bytes the data commitment covers.
    pub commitment_preimage_bytes: usize,
    /// Allocations outside the slots (header fields, fee-slot leaves).
    pub other: usize,
    /// The Groth16 FFT domain: the smallest power of two holding a row per constraint and
    /// per instance variable (the constant one and the public inputs).
    pub fft_domain: usize,
}

impl ConstraintReport {
    /// The data commitment's cost spread over the bytes of one slot's chunk: what a slot
    /// adds to it (an estimate: the commitment works in elements of 31 bytes).
    pub fn commitment_per_slot(&self) -> usize {
        let chunk = crate::pubdata::PubdataLayout {
            depth: self.size.depth,
        }
        .chunk_bytes();
        self.commitment * chunk / self.commitment_preimage_bytes
    }

    /// What one operation of any type costs: its slot plus its share of the commitment.
    pub fn per_operation(&self) -> usize {
        self.per_slot.total + self.commitment_per_slot()
    }
}

impl BatchCircuit {
    /// Counts the constraints of `size` by part, synthesising without an assignment check.
    pub fn constraint_report(size: CircuitSize) -> Result<ConstraintReport, SynthesisError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
        BatchCircuit::blank(size).synthesize(cs)
    }

    fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<ConstraintReport, SynthesisError> {
        let w = &self.witness;
        let size = w.size;
        let inputs = w.public_inputs();
        let [domain, old_root, new_root, priority_before, priority_after, data, challenge, evaluation_low, evaluation_high] =
            std::array::from_fn(|i| inputs[i]);
        let input = |value: Fr| FpVar::new_input(cs.clone(), || Ok(value));
        let domain = input(domain)?;
        let old_root = input(old_root)?;
        let new_root = input(new_root)?;
        let priority_before = input(priority_before)?;
        let priority_after = input(priority_after)?;
        let data = input(data)?;
        let challenge = input(challenge)?;
        let evaluation = [input(evaluation_low)?, input(evaluation_high)?];

        // Fee slots are credited after the last slot, but their tokens are needed by every
        // slot; a leaf's token never changes once it exists.
        let mut fee_leaves = Vec::with_capacity(size.fee_slots);
        let mut fee_slots = Vec::with_capacity(size.fee_slots);
        for fee in &w.fees {
            let used = Boolean::new_witness(cs.clone(), || Ok(fee.slot.is_some()))?;
            let leaf = LeafVar::new_witness(cs.clone(), &fee.update, size.depth)?;
            fee_slots.push((used.clone(), leaf.before.token.clone()));
            fee_leaves.push((used, leaf));
        }
        let context = BatchContext {
            domain: domain.clone(),
            fee_slots,
            depth: size.depth,
            challenge: challenge.clone(),
        };

        let mut running = Running {
            root: old_root.clone(),
            priority: priority_before.clone(),
            payout: FpVar::one(),
            payees: Vec::with_capacity(size.slots),
            fees: vec![FpVar::zero(); size.fee_slots],
        };
        let mut chunks = Vec::new();
        let mut per_slot = SlotCost::default();
        for slot in &w.slots {
            let (chunk, cost) = synthesize_slot(&cs, &context, slot, &mut running)?;
            chunks.extend(chunk);
            per_slot = cost;
        }
        let before_fees = cs.num_constraints();

        let mut fee_header = Vec::with_capacity(40 * size.fee_slots);
        let fee_credit = rule!("fee_credit");
        for ((used, leaf), collected) in fee_leaves.iter().zip(&running.fees) {
            (used & &leaf.empty).enforce_equal(&Boolean::FALSE)?;
            leaf.index()?
                .fp()
                .conditional_enforce_equal(&FpVar::zero(), &!used)?;
            let credited = AccountVar {
                balance: AmountVar::checked(leaf.before.balance.fp() + collected)?,
                ..leaf.before.clone()
            };
            running.root =
                leaf.update(&running.root, &credited, &FpVar::from(leaf.empty.clone()))?;
            fee_header.extend(be_bits(std::slice::from_ref(used), 8));
            fee_header.extend(be_bits(&leaf.index_bits, 32));
        }

        drop(fee_credit);
        let before_commitment = cs.num_constraints();

        let _commitment = rule!("commitment");
        running.root.enforce_equal(&new_root)?;
        running.priority.enforce_equal(&priority_after)?;
        let mut pubdata_bits = fee_header;
        pubdata_bits.extend(chunks);
        let pubdata_bytes = pubdata_bits.len() / 8;
        let elements = elements_from_be_bits(&pubdata_bits);
        (data_hash_var(&elements, &running.payees)? + &running.payout).enforce_equal(&data)?;
        let value = evaluate_var(&elements, &ChallengeVar::checked(challenge)?)?;
        for (half, public) in halves(&value)?.iter().zip(&evaluation) {
            half.enforce_equal(public)?;
        }

        let total = cs.num_constraints();
        let fee_credits = before_commitment - before_fees;
        let commitment = total - before_commitment;
        Ok(ConstraintReport {
            size,
            total,
            fft_domain: (total + cs.num_instance_variables()).next_power_of_two(),
            per_slot,
            fee_credits,
            commitment,
            commitment_preimage_bytes: pubdata_bytes,
            other: total - commitment - fee_credits - per_slot.total * size.slots,
        })
    }
}

impl ConstraintSynthesizer<Fr> for BatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}
