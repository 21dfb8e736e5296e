//! Bit decompositions in-circuit: range checks (a value below `2^n`, as its `n` bits),
//! canonical 254-bit decompositions of field elements (the integer below r, so a value has
//! exactly one decomposition), and the bounded integers built on them.
//!
//! A circuit value that stands for a bounded integer (token, nonce, address, amount,
//! balance) is a [`UIntVar`]: its only constructors range-check it, so no gadget can take a
//! bare field element for one (audit C-1 was a packed word split into unchecked parts).

use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use num_bigint::BigUint;

use crate::Fr;

/// An integer below `2^BITS` in-circuit (`BITS < 254`). Every constructor proves the bound.
#[derive(Clone, Debug)]
pub struct UIntVar<const BITS: usize> {
    value: FpVar<Fr>,
}

/// A 32-bit integer: a token id, a nonce, an account index.
pub type U32Var = UIntVar<32>;
/// An L1 address as a 160-bit integer.
pub type AddressVar = UIntVar<160>;
/// An amount or a balance (below `2^128`).
pub type AmountVar = UIntVar<128>;

impl<const BITS: usize> UIntVar<BITS> {
    /// Allocates a witness and range-checks it (`BITS + 1` constraints).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        value: impl FnOnce() -> Result<Fr, SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        UIntVar::checked(FpVar::new_witness(cs, value)?)
    }

    /// Range-checks a computed value: a sum that must not pass the bound, say.
    pub fn checked(value: FpVar<Fr>) -> Result<Self, SynthesisError> {
        range_bits(&value, BITS)?;
        Ok(UIntVar { value })
    }

    /// The integer of little-endian bits (no constraint: at most `BITS` booleans are below
    /// `2^BITS`).
    pub fn from_bits_le(bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        assert!(bits.len() <= BITS, "more bits than the bound");
        Ok(UIntVar {
            value: Boolean::le_bits_to_fp(bits)?,
        })
    }

    /// A constant (which must be below the bound).
    pub fn constant(value: u128) -> Self {
        assert!(
            BITS >= 128 || value >> BITS == 0,
            "constant above the bound"
        );
        UIntVar {
            value: FpVar::Constant(Fr::from(value)),
        }
    }

    /// The value as a field element.
    pub fn fp(&self) -> &FpVar<Fr> {
        &self.value
    }
}

impl<const BITS: usize> CondSelectGadget<Fr> for UIntVar<BITS> {
    fn conditionally_select(
        cond: &Boolean<Fr>,
        true_value: &Self,
        false_value: &Self,
    ) -> Result<Self, SynthesisError> {
        Ok(UIntVar {
            value: FpVar::conditionally_select(cond, &true_value.value, &false_value.value)?,
        })
    }
}

/// Enforces `value < 2^bits` and returns its `bits` little-endian bits (`bits + 1`
/// constraints). `bits` must be below 254, where `2^bits < r` keeps the decomposition unique.
pub fn range_bits(value: &FpVar<Fr>, bits: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    assert!(bits < 254, "a range check must stay below the field size");
    Ok(value.to_bits_le_with_top_bits_zero(bits)?.0)
}

/// Enforces [`super::below_by_high_half`] on the integer of the little-endian `bits`
/// (`⌊n/2⌋ + 1` constraints for `n` bits): the upper half `high` must leave
/// `bound_high − 1 − high` in the upper half's width. When `high ≥ bound_high` that
/// difference wraps to within `2^⌊n/2⌋` below r, which no such width holds.
pub fn enforce_below_by_high_half(
    bits: &[Boolean<Fr>],
    bound: &BigUint,
) -> Result<(), SynthesisError> {
    let low = bits.len().div_ceil(2);
    let high_bits = &bits[low..];
    let bound_high = bound >> low;
    assert!(
        bound_high >= BigUint::from(1u8) && bound_high.bits() <= high_bits.len() as u64,
        "the bound must have as many bits as the integer"
    );
    let high = Boolean::le_bits_to_fp(high_bits)?;
    let slack = FpVar::Constant(Fr::from(bound_high - 1u8)) - high;
    range_bits(&slack, high_bits.len())?;
    Ok(())
}

/// The 254 little-endian bits of a hash output, below r by their upper half
/// ([`super::below_by_high_half`]; 383 constraints where the exact decomposition costs
/// 640). Only for values no one can choose: an output in the refused sliver takes about
/// `2^126` tries to find.
pub fn hash_bits_le(value: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let cs = value.cs();
    let integer = value.value().map(|v| v.into_bigint());
    let bits = (0..Fr::MODULUS_BIT_SIZE as usize)
        .map(|i| Boolean::new_witness(cs.clone(), || integer.map(|v| v.get_bit(i))))
        .collect::<Result<Vec<_>, _>>()?;
    // `Boolean::le_bits_to_fp` would add the exact in-field check for 254 bits: sum by hand.
    let mut power = Fr::ONE;
    let mut sum = FpVar::Constant(Fr::ZERO);
    for bit in &bits {
        sum += FpVar::from(bit.clone()) * power;
        power.double_in_place();
    }
    sum.enforce_equal(value)?;
    enforce_below_by_high_half(&bits, &Fr::MODULUS.into())?;
    Ok(bits)
}

/// The canonical 256-bit big-endian decomposition of a field element (two leading zeros,
/// then the 254 bits of the integer below r), as it is written in 32 bytes.
pub fn canonical_bits_be(value: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let mut bits = value.to_bits_le()?;
    bits.resize(256, Boolean::FALSE);
    bits.reverse();
    Ok(bits)
}

/// `bits` (little-endian) as a big-endian sequence of exactly `width` bits.
pub fn be_bits(bits_le: &[Boolean<Fr>], width: usize) -> Vec<Boolean<Fr>> {
    assert!(bits_le.len() <= width);
    let mut bits = bits_le.to_vec();
    bits.resize(width, Boolean::FALSE);
    bits.reverse();
    bits
}

#[cfg(test)]
mod tests {
    use ark_ff::Field;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;

    fn in_range(value: Fr, bits: usize) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let var = FpVar::new_witness(cs.clone(), || Ok(value)).unwrap();
        range_bits(&var, bits).unwrap();
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn range_checks_hold_at_the_edges() {
        let two = |k: u64| Fr::from(2u64).pow([k]);
        assert!(in_range(two(128) - Fr::from(1u64), 128));
        assert!(!in_range(two(128), 128));
        assert!(!in_range(-Fr::from(1u64), 128));
        assert!(!in_range(-two(128), 128));
        assert!(in_range(Fr::from(0u64), 32));
        assert!(!in_range(two(32), 32));
    }

    #[test]
    fn canonical_decomposition_is_the_integer_below_r() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let var = FpVar::new_witness(cs.clone(), || Ok(-Fr::from(1u64))).unwrap();
        let bits = canonical_bits_be(&var).unwrap();
        assert!(cs.is_satisfied().unwrap());
        let bytes: Vec<u8> = bits
            .chunks(8)
            .map(|byte| {
                byte.iter()
                    .fold(0u8, |acc, b| (acc << 1) | b.value().unwrap() as u8)
            })
            .collect();
        assert_eq!(bytes, crate::field::fr_to_be_bytes(&-Fr::from(1u64)));
    }

    #[test]
    fn a_decomposition_of_value_plus_r_is_refused() {
        // 5 + r still fits in 254 bits and sums to 5 in the field: only the in-field
        // check rules it out.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let r: num_bigint::BigUint = <Fr as ark_ff::PrimeField>::MODULUS.into();
        let alias = r + 5u32;
        let bits: Vec<Boolean<Fr>> = (0..254)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(alias.bit(i))).unwrap())
            .collect();
        let sum = Boolean::le_bits_to_fp(&bits).unwrap();
        assert_eq!(sum.value().unwrap(), Fr::from(5u64));
        Boolean::enforce_in_field_le(&bits).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    /// The gadget and the native predicate agree at the edges: the bound's upper half minus
    /// one passes, the bound's own upper half (even below the bound) and anything above it
    /// fail, and so does the alias `value + r` of a hash output.
    #[test]
    fn below_by_high_half_agrees_with_native_at_the_edges() {
        let check = |value: &BigUint, bound: &BigUint, width: usize| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let bits: Vec<Boolean<Fr>> = (0..width)
                .map(|i| Boolean::new_witness(cs.clone(), || Ok(value.bit(i as u64))).unwrap())
                .collect();
            enforce_below_by_high_half(&bits, bound).unwrap();
            let satisfied = cs.is_satisfied().unwrap();
            assert_eq!(
                satisfied,
                crate::field::below_by_high_half(value, bound, width as u64),
                "{value} against {bound}"
            );
            satisfied
        };
        let r: BigUint = Fr::MODULUS.into();
        let l = crate::babyjubjub::subgroup_order();
        for (bound, width) in [(&r, 254usize), (&l, 251)] {
            let low = width.div_ceil(2);
            let sliver_start = (bound >> low) << low;
            assert!(check(&(&sliver_start - 1u8), bound, width));
            assert!(check(&BigUint::from(0u8), bound, width));
            assert!(!check(&sliver_start, bound, width), "the sliver is refused");
            assert!(
                !check(&(bound - 1u8), bound, width),
                "the sliver is refused"
            );
            assert!(!check(bound, bound, width));
            assert!(!check(&((BigUint::from(1u8) << width) - 1u8), bound, width));
        }
        assert!(!check(&(&r + 5u8), &r, 254), "value + r is refused");
    }

    #[test]
    fn hash_bits_compose_the_value_and_cost_383() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let value = crate::poseidon::poseidon(&[Fr::from(3u64)]);
        let var = FpVar::new_input(cs.clone(), || Ok(value)).unwrap();
        let bits = hash_bits_le(&var).unwrap();
        assert_eq!(cs.num_constraints(), 383);
        let integer = bits.iter().rev().fold(BigUint::from(0u8), |acc, b| {
            (acc << 1u8) + b.value().unwrap() as u8
        });
        assert_eq!(Fr::from(integer), value);
        assert!(cs.is_satisfied().unwrap());
        assert!(crate::determinism::free_variables(&cs, &[]).is_empty());
    }

    #[test]
    fn bounded_integers_hold_exactly_their_range_and_are_determined_by_their_bits() {
        fn allocate<const BITS: usize>(value: Fr) -> (bool, usize, usize) {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let var = UIntVar::<BITS>::new_witness(cs.clone(), || Ok(value)).unwrap();
            assert_eq!(var.fp().value().unwrap(), value);
            let satisfied = cs.is_satisfied().unwrap();
            let free = if satisfied {
                crate::determinism::free_variables(&cs, &[]).len()
            } else {
                0
            };
            (satisfied, cs.num_constraints(), free)
        }
        let two = |k: u64| Fr::from(2u64).pow([k]);
        assert_eq!(allocate::<32>(Fr::from(u32::MAX)), (true, 33, 0));
        assert!(!allocate::<32>(two(32)).0);
        assert_eq!(allocate::<160>(two(160) - Fr::from(1u64)), (true, 161, 0));
        assert!(!allocate::<160>(two(160)).0);
        assert_eq!(allocate::<128>(two(128) - Fr::from(1u64)), (true, 129, 0));
        assert!(!allocate::<128>(-Fr::from(1u64)).0);
        assert_eq!(
            UIntVar::<32>::constant(7).fp().value().unwrap(),
            Fr::from(7u64)
        );
    }
}
