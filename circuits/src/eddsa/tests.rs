use num_bigint::BigUint;

use super::*;
use crate::field::{parse_fr, parse_uint};
use crate::test_vectors;

fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

fn hex64(text: &str) -> [u8; 64] {
    hex::decode(text.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn reproduces_every_circomlibjs_vector() {
    let vectors = test_vectors::load();
    assert!(!vectors.eddsa_poseidon.is_empty());
    for v in &vectors.eddsa_poseidon {
        let key = PrivateKey::from_bytes(hex32(&v.private_key));
        let message = parse_fr(&v.message).unwrap();

        let public = key.public_key();
        assert_eq!(
            public.0.x(),
            parse_fr(&v.public_key.x).unwrap(),
            "{}",
            v.private_key
        );
        assert_eq!(public.0.y(), parse_fr(&v.public_key.y).unwrap());
        assert_eq!(public.pack(), hex32(&v.public_key.packed));
        assert_eq!(
            PublicKey::unpack(&hex32(&v.public_key.packed)),
            Some(public)
        );

        let signature = key.sign(message);
        assert_eq!(signature.r8.x(), parse_fr(&v.signature.r8_x).unwrap());
        assert_eq!(signature.r8.y(), parse_fr(&v.signature.r8_y).unwrap());
        assert_eq!(
            BigUint::from(signature.s.into_bigint()),
            parse_uint(&v.signature.s).unwrap()
        );
        assert_eq!(signature.pack(), hex64(&v.signature.packed));
        assert_eq!(
            Signature::unpack(&hex64(&v.signature.packed)),
            Ok(signature)
        );

        assert_eq!(public.verify(message, &signature), v.valid);
    }
}

#[test]
fn base8_and_curve_constants_match() {
    let vectors = test_vectors::load();
    let base8 = Point::base8();
    assert_eq!(base8.x(), parse_fr(&vectors.babyjub.base8.x).unwrap());
    assert_eq!(base8.y(), parse_fr(&vectors.babyjub.base8.y).unwrap());
    assert_eq!(
        subgroup_order(),
        parse_uint(&vectors.babyjub.subgroup_order).unwrap()
    );
    assert_eq!(vectors.babyjub.a, crate::babyjubjub::COEFF_A.to_string());
    assert_eq!(vectors.babyjub.d, crate::babyjubjub::COEFF_D.to_string());
}

#[test]
fn verify_refuses_tampering() {
    let key = PrivateKey::from_bytes([7u8; 32]);
    let public = key.public_key();
    let message = Fr::from(42u64);
    let signature = key.sign(message);
    assert!(public.verify(message, &signature));

    assert!(!public.verify(message + Fr::from(1u64), &signature));
    let other = PrivateKey::from_bytes([8u8; 32]).public_key();
    assert!(!other.verify(message, &signature));
    let bumped = Signature {
        s: signature.s + Scalar::from(1u64),
        ..signature
    };
    assert!(!public.verify(message, &bumped));
    let moved = Signature {
        r8: signature.r8.add(&Point::base8()),
        ..signature
    };
    assert!(!public.verify(message, &moved));
}

#[test]
fn unpack_refuses_s_at_or_above_the_subgroup_order() {
    let signature = PrivateKey::from_bytes([1u8; 32]).sign(Fr::from(5u64));
    let mut packed = signature.pack();
    let s_plus_l = BigUint::from(signature.s.into_bigint()) + subgroup_order();
    let bytes = s_plus_l.to_bytes_le();
    packed[32..].fill(0);
    packed[32..32 + bytes.len()].copy_from_slice(&bytes);
    assert_eq!(
        Signature::unpack(&packed),
        Err(SignatureError::ScalarOutOfRange)
    );
}

#[test]
fn poseidon_reproduces_every_circomlibjs_vector() {
    let vectors = test_vectors::load();
    assert!(!vectors.poseidon.is_empty());
    for v in &vectors.poseidon {
        let inputs: Vec<Fr> = v.inputs.iter().map(|i| parse_fr(i).unwrap()).collect();
        assert_eq!(
            crate::poseidon::poseidon(&inputs),
            parse_fr(&v.output).unwrap(),
            "{:?}",
            v.inputs
        );
    }
}
