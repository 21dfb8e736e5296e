//! Packed floats in-circuit: the exponent and mantissa bits of a pubdata amount and the
//! value `mantissa · 10^exponent` they stand for (one constraint per exponent bit and one
//! for the product), held to the one encoding the native encoder gives.

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::FloatFormat;
use crate::field::constraints::range_bits;
use crate::Fr;

/// A packed float as bits.
#[derive(Clone, Debug)]
pub struct FloatVar {
    /// Exponent, little-endian.
    pub exponent: Vec<Boolean<Fr>>,
    /// Mantissa, little-endian.
    pub mantissa: Vec<Boolean<Fr>>,
}

impl FloatVar {
    /// Allocates the bits of the packed word `packed` and enforces that it is the canonical
    /// encoding of its value.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        format: FloatFormat,
        packed: Option<u64>,
    ) -> Result<FloatVar, SynthesisError> {
        let bit = |i: u32| {
            Boolean::new_witness(cs.clone(), || {
                packed
                    .map(|p| (p >> i) & 1 == 1)
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        };
        let mantissa: Vec<Boolean<Fr>> = (0..format.mantissa_bits)
            .map(bit)
            .collect::<Result<_, _>>()?;
        let exponent: Vec<Boolean<Fr>> = (format.mantissa_bits..format.bits())
            .map(bit)
            .collect::<Result<_, _>>()?;
        // One value, one encoding (the smallest exponent): with a non-zero exponent the
        // mantissa is at least `min_scaled_mantissa`, i.e. `mantissa − min` (or `mantissa`
        // itself when the exponent is zero) stays below `2^mantissa_bits`.
        let exponent_zero = !Boolean::kary_or(&exponent)?;
        let min = Fr::from(format.min_scaled_mantissa());
        let shifted = Boolean::le_bits_to_fp(&mantissa)? - min + FpVar::from(exponent_zero) * min;
        range_bits(&shifted, format.mantissa_bits as usize)?;
        Ok(FloatVar { exponent, mantissa })
    }

    /// `mantissa · 10^exponent`.
    pub fn value(&self) -> Result<FpVar<Fr>, SynthesisError> {
        let mut power = FpVar::one();
        let mut factor = Fr::from(10u64);
        for bit in &self.exponent {
            let scale = FpVar::from(bit.clone()) * (factor - Fr::from(1u64)) + Fr::from(1u64);
            power *= scale;
            factor *= factor;
        }
        Ok(Boolean::le_bits_to_fp(&self.mantissa)? * power)
    }

    /// The packed word as an integer (exponent above mantissa).
    pub fn packed(&self) -> Result<FpVar<Fr>, SynthesisError> {
        let bits: Vec<Boolean<Fr>> = self
            .mantissa
            .iter()
            .chain(&self.exponent)
            .cloned()
            .collect();
        Boolean::le_bits_to_fp(&bits)
    }

    /// The packed word's bits, most significant first, as written in pubdata.
    pub fn bits_be(&self) -> Vec<Boolean<Fr>> {
        self.mantissa
            .iter()
            .chain(&self.exponent)
            .rev()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;
    use crate::ops::float::{AMOUNT, FEE};

    #[test]
    fn value_matches_native_decoding() {
        for (format, value) in [
            (AMOUNT, 0u128),
            (AMOUNT, 123_456_789 * 10u128.pow(20)),
            (AMOUNT, (1 << 30) - 1),
            (FEE, 31 * 10u128.pow(31)),
            (FEE, 7),
        ] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let packed = format.encode(value).unwrap();
            let float = FloatVar::new_witness(cs.clone(), format, Some(packed)).unwrap();
            assert_eq!(float.value().unwrap().value().unwrap(), Fr::from(value));
            assert_eq!(float.packed().unwrap().value().unwrap(), Fr::from(packed));
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn refuses_encodings_other_than_the_smallest_exponent() {
        // Each word has a smaller-exponent encoding of the same value; the last two are
        // the canonical encodings at the edge (40 = 4·10 since 40 ≥ 2^5; 2^30·10).
        for (format, packed, canonical) in [
            (AMOUNT, (1 << 30) | 1000, false),
            (AMOUNT, 1 << 30, false),
            (AMOUNT, (3 << 30) | 107_374_182, false),
            (FEE, (1 << 5) | 3, false),
            (FEE, (1 << 5) | 4, true),
            (AMOUNT, (1 << 30) | 107_374_183, true),
        ] {
            assert_eq!(format.decode(packed).is_some(), canonical, "{packed:#x}");
            let cs = ConstraintSystem::<Fr>::new_ref();
            FloatVar::new_witness(cs.clone(), format, Some(packed)).unwrap();
            assert_eq!(cs.is_satisfied().unwrap(), canonical, "{packed:#x}");
        }
    }

    #[test]
    fn a_float_is_determined_by_its_bits() {
        for (format, value) in [(AMOUNT, 10u128.pow(18)), (FEE, 40), (AMOUNT, 7)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let packed = format.encode(value).unwrap();
            let float = FloatVar::new_witness(cs.clone(), format, Some(packed)).unwrap();
            let _value = float.value().unwrap();
            let free = crate::determinism::free_variables(&cs, &[]);
            // With a zero exponent, only the hint of the exponent's zero test is free (it is
            // multiplied by the exponent's bit sum, zero).
            let exponent_zero = packed >> format.mantissa_bits == 0;
            assert_eq!(free.len(), usize::from(exponent_zero), "{value}: {free:?}");
            println!("{format:?}: {} constraints", cs.num_constraints());
        }
    }
}
