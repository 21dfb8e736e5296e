//! The data commitment in-circuit: the data hash over the pubdata's elements and the
//! polynomial's value at the challenge, in BLS12-381's scalar field emulated over BN254's.
//!
//! One Horner step `acc' = acc·z + e mod r_bls` is proven as the integer identity
//! `E = acc·z + e − q·r_bls − acc' = 0`, with `acc, acc' < 2^256` and `q < 2^130` as
//! allocated bits, `z < 2^128` and `e < 2^248`, so `|E| < 2^386`. The identity is checked
//! modulo the native modulus `p` (one product of the values reduced mod `p`) and modulo
//! `2^136` (three products of the 68-bit low limbs and a 71-bit carry); as `p·2^136 > 2^389`,
//! both together force `E = 0`. A step costs 463 constraints, 458 of them the bits of `acc'`,
//! `q` and the carry; an element needs one step, whatever else the batch holds.

use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use num_bigint::{BigInt, BigUint};

use super::{BLS_MODULUS, CHALLENGE_BITS, ELEMENTS_PER_HASH, ELEMENT_BYTES};
use crate::field::constraints::{range_bits, UIntVar};
use crate::field::fr_to_biguint;
use crate::poseidon::constraints::poseidon_var;
use crate::Fr;

/// Bits of each of the two low limbs the modulo-`2^136` check multiplies.
const LIMB: usize = 68;
/// Bits of an accumulator.
const WIDE: usize = 256;
/// Bits of a step's quotient.
const QUOTIENT: usize = 130;
/// The carry of the low check is offset by `2^CARRY_OFFSET` to make it non-negative.
const CARRY_OFFSET: usize = 70;
/// Constraints of one [`horner_step`].
pub const STEP_CONSTRAINTS: usize = 463;

/// An integer below `2^256` (a BLS12-381 scalar, not necessarily reduced), held as its
/// little-endian bits; the bits are its range check.
#[derive(Clone, Debug)]
pub struct WideVar {
    bits: Vec<Boolean<Fr>>,
}

impl WideVar {
    /// Allocates the 256 bits of a witness (256 constraints).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        value: impl FnOnce() -> Result<BigUint, SynthesisError>,
    ) -> Result<WideVar, SynthesisError> {
        Ok(WideVar {
            bits: allocate_bits(cs, WIDE, value)?,
        })
    }

    /// The integer of at most 256 little-endian bits (no constraint).
    pub fn from_bits_le(bits: &[Boolean<Fr>]) -> WideVar {
        assert!(bits.len() <= WIDE, "more than 256 bits");
        WideVar {
            bits: bits.to_vec(),
        }
    }

    /// Bits `from..to` as an integer (no constraint; fewer than 254 bits).
    fn limb(&self, from: usize, to: usize) -> Result<FpVar<Fr>, SynthesisError> {
        let to = to.min(self.bits.len());
        if from >= to {
            return Ok(FpVar::zero());
        }
        Boolean::le_bits_to_fp(&self.bits[from..to])
    }

    /// The integer modulo the native modulus (no constraint).
    fn native(&self) -> FpVar<Fr> {
        weighted_sum(&self.bits)
    }

    /// The integer, when assigned.
    fn value(&self) -> Result<BigUint, SynthesisError> {
        bits_value(&self.bits)
    }
}

/// The challenge point: a public input below `2^128`, with its two limbs.
#[derive(Clone, Debug)]
pub struct ChallengeVar {
    native: FpVar<Fr>,
    low: FpVar<Fr>,
    high: FpVar<Fr>,
}

impl ChallengeVar {
    /// Range-checks `value` to [`CHALLENGE_BITS`] bits (129 constraints).
    pub fn checked(value: FpVar<Fr>) -> Result<ChallengeVar, SynthesisError> {
        let bits = range_bits(&value, CHALLENGE_BITS)?;
        Ok(ChallengeVar {
            low: Boolean::le_bits_to_fp(&bits[..LIMB])?,
            high: Boolean::le_bits_to_fp(&bits[LIMB..])?,
            native: value,
        })
    }
}

/// The pubdata's elements from its bits, most significant first as the bytes are written
/// (`8·ELEMENT_BYTES` bits an element, the last zero-padded at its end).
pub fn elements_from_be_bits(bits: &[Boolean<Fr>]) -> Vec<WideVar> {
    let width = 8 * ELEMENT_BYTES;
    bits.chunks(width)
        .map(|chunk| {
            let mut little_endian: Vec<Boolean<Fr>> = vec![Boolean::FALSE; width - chunk.len()];
            little_endian.extend(chunk.iter().rev().cloned());
            WideVar::from_bits_le(&little_endian)
        })
        .collect()
}

/// The data hash of the pubdata's `elements` and the slots' `payees`, equal to
/// [`super::data_hash`] (79 constraints an element).
pub fn data_hash_var(
    elements: &[WideVar],
    payees: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    let absorbed: Vec<FpVar<Fr>> = elements
        .iter()
        .map(WideVar::native)
        .chain(payees.iter().cloned())
        .collect();
    let mut hash = FpVar::zero();
    for group in absorbed.chunks(ELEMENTS_PER_HASH) {
        let mut inputs = vec![hash];
        inputs.extend_from_slice(group);
        inputs.resize(ELEMENTS_PER_HASH + 1, FpVar::zero());
        hash = poseidon_var(&inputs)?;
    }
    Ok(hash)
}

/// `Σ e_j·z^j mod r_bls` by Horner's rule, equal to [`super::evaluate`] when the result is
/// reduced; the result is below `2^256`, its residue is the value. With no elements, zero.
pub fn evaluate_var(elements: &[WideVar], z: &ChallengeVar) -> Result<WideVar, SynthesisError> {
    let mut rest = elements.iter().rev();
    let Some(first) = rest.next() else {
        return Ok(WideVar::from_bits_le(&[]));
    };
    let mut acc = first.clone();
    for element in rest {
        acc = horner_step(&acc, z, element)?;
    }
    Ok(acc)
}

/// `acc·z + e mod r_bls` (463 constraints; see the module's documentation).
pub fn horner_step(
    acc: &WideVar,
    z: &ChallengeVar,
    e: &WideVar,
) -> Result<WideVar, SynthesisError> {
    let cs = acc.bits.cs().or(z.native.cs()).or(e.bits.cs());
    let modulus = BigUint::from_bytes_be(&BLS_MODULUS.to_be_bytes::<32>());
    // (quotient, remainder) of acc·z + e by r_bls, computed once for both allocations.
    let division = if cs.is_in_setup_mode() {
        None
    } else {
        let total = acc.value()? * fr_to_biguint(&z.native.value()?) + e.value()?;
        Some((&total / &modulus, &total % &modulus))
    };
    let part = |pick: fn((BigUint, BigUint)) -> BigUint| {
        division
            .clone()
            .map(pick)
            .ok_or(SynthesisError::AssignmentMissing)
    };
    let next = WideVar::new_witness(cs.clone(), || part(|(_, remainder)| remainder))?;
    let quotient = WideVar {
        bits: allocate_bits(cs.clone(), QUOTIENT, || part(|(quotient, _)| quotient))?,
    };

    // Modulo p: acc·z = acc' + q·r_bls − e.
    let modulus_native = Fr::from(modulus.clone());
    acc.native().mul_equals(
        &z.native,
        &(next.native() + quotient.native() * modulus_native - e.native()),
    )?;

    // Modulo 2^136: the low two limbs of E, a multiple of 2^136 by the carry.
    let limbs = |value: &WideVar| -> Result<[FpVar<Fr>; 2], SynthesisError> {
        Ok([value.limb(0, LIMB)?, value.limb(LIMB, 2 * LIMB)?])
    };
    let [a0, a1] = limbs(acc)?;
    let [e0, e1] = limbs(e)?;
    let [q0, q1] = limbs(&quotient)?;
    let [b0, b1] = limbs(&next)?;
    let mask = (BigUint::from(1u8) << LIMB) - 1u8;
    let r0 = Fr::from(&modulus & &mask);
    let r1 = Fr::from((&modulus >> LIMB) & &mask);
    let shift = Fr::from(2u64).pow([LIMB as u64]);
    let low = &a0 * &z.low + (&a0 * &z.high + &a1 * &z.low) * shift + e0 + e1 * shift
        - &q0 * r0
        - (&q0 * r1 + &q1 * r0) * shift
        - b0
        - b1 * shift;
    let carry = UIntVar::<{ CARRY_OFFSET + 1 }>::new_witness(cs, || {
        let value = low.value()?;
        // `low` is a multiple of 2^136 in (−2^206, 2^206); read it as a signed integer.
        let modulus_p = BigInt::from(BigUint::from(Fr::MODULUS));
        let mut signed = BigInt::from(fr_to_biguint(&value));
        if signed > &modulus_p / 2 {
            signed -= &modulus_p;
        }
        let carry = (signed >> (2 * LIMB)) + (BigInt::from(1u8) << CARRY_OFFSET);
        Ok(Fr::from(
            carry.to_biguint().ok_or(SynthesisError::Unsatisfiable)?,
        ))
    })?;
    let scale = Fr::from(2u64).pow([2 * LIMB as u64]);
    let offset = Fr::from(2u64).pow([CARRY_OFFSET as u64]);
    low.enforce_equal(&((carry.fp() - FpVar::constant(offset)) * scale))?;
    Ok(next)
}

/// Allocates the `count` little-endian bits of `value`.
fn allocate_bits(
    cs: ConstraintSystemRef<Fr>,
    count: usize,
    value: impl FnOnce() -> Result<BigUint, SynthesisError>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let value = if cs.is_in_setup_mode() {
        None
    } else {
        Some(value()?)
    };
    if value
        .as_ref()
        .is_some_and(|value| value.bits() > count as u64)
    {
        return Err(SynthesisError::Unsatisfiable);
    }
    (0..count)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                value
                    .as_ref()
                    .map(|value| value.bit(i as u64))
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect()
}

/// `Σ bit_i·2^i` reduced modulo p (no constraint).
fn weighted_sum(bits: &[Boolean<Fr>]) -> FpVar<Fr> {
    let mut power = Fr::from(1u64);
    let mut sum = FpVar::zero();
    for bit in bits {
        sum += FpVar::from(bit.clone()) * power;
        power.double_in_place();
    }
    sum
}

fn bits_value(bits: &[Boolean<Fr>]) -> Result<BigUint, SynthesisError> {
    let mut value = BigUint::from(0u8);
    for (i, bit) in bits.iter().enumerate() {
        if bit.value()? {
            value.set_bit(i as u64, true);
        }
    }
    Ok(value)
}

/// The evaluation's low and high 128 bits as field elements.
pub fn halves(value: &WideVar) -> Result<[FpVar<Fr>; 2], SynthesisError> {
    Ok([value.limb(0, 128)?, value.limb(128, WIDE)?])
}

#[cfg(test)]
mod tests {
    use ark_relations::gr1cs::ConstraintSystem;

    use alloy_primitives::{Address, U256};

    use super::*;
    use crate::blob::{data_hash, evaluate, DataBinding};
    use crate::field::constraints::{AddressVar, U32Var};
    use crate::field::fr_from_address;
    use crate::ops::{address_shift, Payout};

    fn value_u256(value: &WideVar) -> U256 {
        U256::from_be_slice(&value.value().unwrap().to_bytes_be())
    }

    /// Bytes from a fixed linear congruential sequence.
    fn pubdata(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect()
    }

    fn be_bits(cs: &ConstraintSystemRef<Fr>, bytes: &[u8]) -> Vec<Boolean<Fr>> {
        bytes
            .iter()
            .flat_map(|byte| (0..8).rev().map(move |i| (byte >> i) & 1 == 1))
            .map(|bit| Boolean::new_witness(cs.clone(), || Ok(bit)).unwrap())
            .collect()
    }

    /// Synthesises the commitment of `bytes` at challenge `z`; the value and the hash (of
    /// the bytes and `payees`' recipients and tokens, packed as the circuit packs them).
    fn commit(
        cs: &ConstraintSystemRef<Fr>,
        bytes: &[u8],
        payees: &[Payout],
        z: Fr,
    ) -> (WideVar, FpVar<Fr>) {
        let elements = elements_from_be_bits(&be_bits(cs, bytes));
        let payees: Vec<FpVar<Fr>> = payees
            .iter()
            .map(|payee| {
                let recipient = fr_from_address(&payee.recipient);
                let recipient = AddressVar::new_witness(cs.clone(), || Ok(recipient)).unwrap();
                let token = Fr::from(payee.token);
                let token = U32Var::new_witness(cs.clone(), || Ok(token)).unwrap();
                recipient.fp() + token.fp() * address_shift()
            })
            .collect();
        let challenge =
            ChallengeVar::checked(FpVar::new_input(cs.clone(), || Ok(z)).unwrap()).unwrap();
        (
            evaluate_var(&elements, &challenge).unwrap(),
            data_hash_var(&elements, &payees).unwrap(),
        )
    }

    #[test]
    fn hash_and_evaluation_equal_the_native_ones() {
        for (len, seed) in [(1, 1), (31, 2), (32, 3), (100, 4), (250, 5)] {
            let bytes = pubdata(len, seed);
            // Payees of 192 bits and none, as slots that pay and that do not.
            let slots: Vec<Payout> = (0..seed)
                .map(|i| Payout {
                    recipient: Address::repeat_byte((i % 2 * (0x40 + i)) as u8),
                    token: (i % 2 * (u32::MAX as u64 - i)) as u32,
                    amount: 0,
                })
                .collect();
            let payees: Vec<Fr> = slots.iter().map(Payout::payee).collect();
            let binding = DataBinding::of_calldata(&bytes, &payees, &[]);
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (value, hash) = commit(&cs, &bytes, &slots, Fr::from(binding.challenge));
            assert!(cs.is_satisfied().unwrap(), "{len} bytes");
            assert_eq!(value_u256(&value), binding.evaluation);
            assert_eq!(hash.value().unwrap(), data_hash(&bytes, &payees));
            assert_eq!(hash.value().unwrap(), binding.hash);
            let [low, high] = halves(&value).unwrap();
            assert_eq!(
                [low.value().unwrap(), high.value().unwrap()],
                binding.evaluation_halves()
            );
        }
        // The largest challenge and elements of all ones: every bound at its edge.
        let bytes = vec![0xff; 124];
        let z = u128::MAX;
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (value, _) = commit(&cs, &bytes, &[], Fr::from(z));
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(value_u256(&value), evaluate(&bytes, z));
    }

    #[test]
    fn a_changed_element_is_refused() {
        let bytes = pubdata(100, 7);
        let binding = DataBinding::of_calldata(&bytes, &[], &[]);
        for position in [0, 40, 99] {
            let mut changed = bytes.clone();
            changed[position] ^= 0x01;
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (value, hash) = commit(&cs, &changed, &[], Fr::from(binding.challenge));
            let [low, high] = halves(&value).unwrap();
            let [expected_low, expected_high] = binding.evaluation_halves();
            low.enforce_equal(&FpVar::constant(expected_low)).unwrap();
            high.enforce_equal(&FpVar::constant(expected_high)).unwrap();
            assert!(!cs.is_satisfied().unwrap(), "byte {position}");
            assert_ne!(hash.value().unwrap(), binding.hash);
        }
    }

    #[test]
    fn a_challenge_of_129_bits_is_refused() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let z = Fr::from(2u64).pow([128]);
        ChallengeVar::checked(FpVar::new_input(cs.clone(), || Ok(z)).unwrap()).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn constraint_counts() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let bytes = pubdata(3 * ELEMENT_BYTES, 9);
        let binding = DataBinding::of_calldata(&bytes, &[], &[]);
        let elements = elements_from_be_bits(&be_bits(&cs, &bytes));
        let challenge = ChallengeVar::checked(
            FpVar::new_input(cs.clone(), || Ok(Fr::from(binding.challenge))).unwrap(),
        )
        .unwrap();
        let before = cs.num_constraints();
        let acc = horner_step(&elements[2], &challenge, &elements[1]).unwrap();
        let one_step = cs.num_constraints() - before;
        horner_step(&acc, &challenge, &elements[0]).unwrap();
        assert_eq!(cs.num_constraints() - before, 2 * one_step);
        let before = cs.num_constraints();
        let _hash = data_hash_var(&elements, &[]).unwrap();
        let hash = cs.num_constraints() - before;
        println!("one Horner step: {one_step} constraints; a data hash call: {hash}");
        assert_eq!(one_step, STEP_CONSTRAINTS);
        assert!(cs.is_satisfied().unwrap());
    }
}
