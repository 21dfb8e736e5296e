//! EdDSA-Poseidon verification in-circuit, the same equation as circomlibjs
//! `verifyPoseidon`: `Base8·S == R8 + (8·A)·H(R8, A, msg)`, with `S < l` enforced and the
//! challenge decomposed below r, both by their upper halves
//! ([`crate::field::below_by_high_half`], which the native verifier applies too), so the
//! circuit accepts exactly the signatures the native verifier accepts.
//!
//! Cost (the tests assert it): 4,652 constraints with the two points' curve checks, of which
//! S's bits and bound 377, the challenge hash 321 and its bits 383, `8·A` 15, `H·(8·A)` in
//! two-bit windows 2,789, `S·Base8` in three-bit windows of constants 748 (5,910 in all
//! before those windows and the half-width bounds).

use ark_ff::{BigInteger, Field, PrimeField};
use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};

use super::{Signature, S_BITS};
use crate::babyjubjub::constraints::PointVar;
use crate::babyjubjub::{subgroup_order, Point};
use crate::field::constraints::{enforce_below_by_high_half, hash_bits_le};
use crate::poseidon::constraints::poseidon_var;
use crate::Fr;

/// A signature in-circuit: R8 on the curve, S as 251 little-endian bits below `l` by their
/// upper half.
#[derive(Clone, Debug)]
pub struct SignatureVar {
    /// The nonce point.
    pub r8: PointVar,
    /// S, little-endian.
    pub s_bits: Vec<Boolean<Fr>>,
}

impl AllocVar<Signature, Fr> for SignatureVar {
    fn new_variable<T: std::borrow::Borrow<Signature>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let signature = f().map(|s| *s.borrow());
        let r8 = PointVar::new_variable(cs.clone(), || signature.map(|s| s.r8), mode)?;
        let s_value = signature.map(|s| s.s.into_bigint());
        let s_bits = (0..S_BITS as usize)
            .map(|i| Boolean::new_variable(cs.clone(), || s_value.map(|s| s.get_bit(i)), mode))
            .collect::<Result<Vec<_>, _>>()?;
        enforce_below_by_high_half(&s_bits, &subgroup_order())?;
        Ok(SignatureVar { r8, s_bits })
    }
}

/// Enforces, when `enabled`, that `signature` signs `message` under `public_key`.
///
/// `public_key` must be a point of the curve (callers substitute a fixed point in slots
/// that verify nothing, so that every slot stays satisfiable); when enabled it must not be of
/// small order.
pub fn verify_var(
    public_key: &PointVar,
    message: &FpVar<Fr>,
    signature: &SignatureVar,
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    let challenge = poseidon_var(&[
        signature.r8.x.clone(),
        signature.r8.y.clone(),
        public_key.x.clone(),
        public_key.y.clone(),
        message.clone(),
    ])?;
    let challenge_bits = hash_bits_le(&challenge)?;
    // A key of small order (8·A = O, the points with x(8·A) = 0) would accept any
    // `(S·Base8, S)`: when enabled, x(8·A) must have an inverse.
    let a8 = public_key.times_cofactor()?;
    let inverse = FpVar::new_witness(a8.x.cs(), || {
        let inverse = a8.x.value()?.inverse().unwrap_or_default();
        Ok(if enabled.value()? {
            inverse
        } else {
            Fr::from(0u64)
        })
    })?;
    (&a8.x * &inverse).enforce_equal(&FpVar::from(enabled.clone()))?;
    let right = signature.r8.add(&a8.scalar_mul_le(&challenge_bits)?);
    let left = PointVar::fixed_base_mul_le(&Point::base8(), &signature.s_bits)?;
    left.conditional_enforce_equal(&right, enabled)
}

#[cfg(test)]
mod tests {
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;
    use crate::eddsa::{PrivateKey, PublicKey, Scalar};
    use crate::field::parse_fr;
    use crate::test_vectors;

    fn check(
        public: &PublicKey,
        message: Fr,
        signature: &Signature,
        enabled: bool,
    ) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let pk = PointVar::new_witness(cs.clone(), || Ok(public.0)).unwrap();
        let msg = FpVar::new_witness(cs.clone(), || Ok(message)).unwrap();
        let sig = SignatureVar::new_witness(cs.clone(), || Ok(*signature)).unwrap();
        let on = Boolean::new_witness(cs.clone(), || Ok(enabled)).unwrap();
        verify_var(&pk, &msg, &sig, &on).unwrap();
        assert_eq!(
            sig.r8.value().unwrap(),
            (signature.r8.x(), signature.r8.y())
        );
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn accepts_every_circomlibjs_vector_in_circuit() {
        for v in test_vectors::load().eddsa_poseidon {
            let key_bytes: [u8; 32] = hex::decode(&v.private_key[2..])
                .unwrap()
                .try_into()
                .unwrap();
            let key = PrivateKey::from_bytes(key_bytes);
            let message = parse_fr(&v.message).unwrap();
            let signature = key.sign(message);
            assert_eq!(signature.r8.x(), parse_fr(&v.signature.r8_x).unwrap());
            let (satisfied, constraints) = check(&key.public_key(), message, &signature, true);
            assert_eq!(satisfied, v.valid);
            // 5,910 before the windowed multiplications and the half-width bounds.
            assert_eq!(constraints, 4652, "EdDSA-Poseidon verification");
        }
    }

    #[test]
    fn refuses_forgeries_when_enabled_only() {
        let key = PrivateKey::from_bytes([5u8; 32]);
        let message = Fr::from(77u64);
        let signature = key.sign(message);
        let other = PrivateKey::from_bytes([6u8; 32]).public_key();
        assert!(!check(&other, message, &signature, true).0);
        assert!(
            !check(
                &key.public_key(),
                message + Fr::from(1u64),
                &signature,
                true
            )
            .0
        );
        let bumped = Signature {
            s: signature.s + Scalar::from(1u64),
            ..signature
        };
        assert!(!check(&key.public_key(), message, &bumped, true).0);
        assert!(check(&other, message, &signature, false).0);
    }

    /// Keys of small order (8·A = O): every "signature" `(S·Base8, S)` satisfies the group
    /// equation under them, so they must be refused natively and in-circuit.
    fn low_order_keys() -> Vec<PublicKey> {
        [
            (Fr::from(0u64), Fr::from(1u64)),
            (Fr::from(0u64), -Fr::from(1u64)),
        ]
        .into_iter()
        .map(|(x, y)| PublicKey(Point::new(x, y).unwrap()))
        .collect()
    }

    #[test]
    fn refuses_low_order_keys_natively_and_in_circuit() {
        let s = Scalar::from(12345u64);
        let forged = Signature {
            r8: Point::base8().mul(&s.into_bigint().into()),
            s,
        };
        for key in low_order_keys() {
            assert!(!key.verify(Fr::from(9u64), &forged));
            assert!(!check(&key, Fr::from(9u64), &forged, true).0);
            assert!(check(&key, Fr::from(9u64), &forged, false).0);
        }
    }

    #[test]
    fn refuses_s_at_or_above_the_subgroup_order() {
        // S + l satisfies the group equation (Base8 has order l) but is not canonical.
        let key = PrivateKey::from_bytes([5u8; 32]);
        let message = Fr::from(77u64);
        let signature = key.sign(message);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let pk = PointVar::new_witness(cs.clone(), || Ok(key.public_key().0)).unwrap();
        let msg = FpVar::new_witness(cs.clone(), || Ok(message)).unwrap();
        let r8 = PointVar::new_witness(cs.clone(), || Ok(signature.r8)).unwrap();
        let s_plus_l = num_bigint::BigUint::from(signature.s.into_bigint())
            + crate::babyjubjub::subgroup_order();
        let s_bits = (0..S_BITS)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(s_plus_l.bit(i))).unwrap())
            .collect::<Vec<_>>();
        enforce_below_by_high_half(&s_bits, &subgroup_order()).unwrap();
        let sig = SignatureVar { r8, s_bits };
        verify_var(&pk, &msg, &sig, &Boolean::TRUE).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn a_signature_check_leaves_nothing_free_given_key_and_message() {
        let key = PrivateKey::from_bytes([5u8; 32]);
        let message = Fr::from(77u64);
        let signature = key.sign(message);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let ((), hashes) = crate::poseidon::constraints::record_hashes(|| {
            let pk = PointVar::new_input(cs.clone(), || Ok(key.public_key().0)).unwrap();
            let msg = FpVar::new_input(cs.clone(), || Ok(message)).unwrap();
            let sig = SignatureVar::new_witness(cs.clone(), || Ok(signature)).unwrap();
            verify_var(&pk, &msg, &sig, &Boolean::TRUE).unwrap();
        });
        let free = crate::determinism::free_variables(&cs, &hashes);
        assert!(free.is_empty(), "{free:?}");
    }
}
