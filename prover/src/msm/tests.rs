//! The MSM against `ark-ec`'s on the scalars a witness holds and on the corner cases of the
//! bucket accumulation.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn reference_g1(bases: &[G1Affine], values: &[Fr]) -> G1Affine {
    let scalars: Vec<_> = values.iter().map(|v| v.into_bigint()).collect();
    G1Projective::msm_bigint(bases, &scalars).into_affine()
}

fn ours<P: SWCurveConfig>(bases: &[Affine<P>], values: &[Fr]) -> Affine<P> {
    let scalars = Scalars::new(values);
    msm(&QueryPoints::new(bases), scalars.slice(0..values.len())).into_affine()
}

/// Scalars of the kinds a witness holds, one kind per closure.
fn kinds() -> Vec<fn(&mut StdRng, usize) -> Fr> {
    vec![
        |rng, _| Fr::rand(rng),
        |_, _| Fr::ZERO,
        |_, _| Fr::ONE,
        |_, _| -Fr::ONE,
        |rng, i| {
            if i % 2 == 0 {
                Fr::from(rng.gen::<u16>())
            } else {
                -Fr::from(rng.gen::<u8>())
            }
        },
        |rng, i| match i % 4 {
            0 => Fr::rand(rng),
            1 => Fr::ONE,
            2 => -Fr::from(2u64),
            _ => Fr::from(rng.gen::<u64>()),
        },
        // Digits across window edges: 2^15 + i sets bit 15, the top bit of every window size
        // dividing 16 (these sizes use windows of 8 bits or fewer).
        |_, i| Fr::from((1u64 << 15) + i as u64),
        |_, _| Fr::from(2u64).pow([252u64]) - Fr::ONE,
    ]
}

#[test]
fn equals_ark_on_every_kind_of_scalar_and_size() {
    let mut rng = StdRng::seed_from_u64(1);
    for n in [0, 1, 2, 31, 32, 1000, 5000] {
        let mut bases: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
        if n > 4 {
            // A point at infinity, a repeated base and a base's negation: the doubling and
            // cancelling cases of a bucket addition.
            bases[1] = G1Affine::zero();
            bases[2] = bases[3];
            bases[4] = -bases[3];
        }
        for (kind, scalar) in kinds().into_iter().enumerate() {
            let values: Vec<Fr> = (0..n).map(|i| scalar(&mut rng, i)).collect();
            assert_eq!(
                ours(&bases, &values),
                reference_g1(&bases, &values),
                "{n} bases, scalar kind {kind}"
            );
        }
    }
}

#[test]
fn equals_ark_in_g2() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut bases: Vec<G2Affine> = (0..300).map(|_| G2Affine::rand(&mut rng)).collect();
    // Points at infinity, as a B query holds for the variables B never uses.
    for i in (0..300).step_by(7) {
        bases[i] = G2Affine::zero();
    }
    let values: Vec<Fr> = (0..300)
        .map(|i| match i % 3 {
            0 => Fr::from(i as u64),
            1 => -Fr::from(i as u64),
            _ => Fr::rand(&mut rng),
        })
        .collect();
    let scalars: Vec<_> = values.iter().map(|v| v.into_bigint()).collect();
    assert_eq!(
        ours(&bases, &values),
        G2Projective::msm_bigint(&bases, &scalars).into_affine()
    );
}

#[test]
fn query_points_leave_out_infinity_and_keep_each_points_scalar() {
    let mut rng = StdRng::seed_from_u64(6);
    let mut bases: Vec<G1Affine> = (0..10).map(|_| G1Affine::rand(&mut rng)).collect();
    let dense = QueryPoints::new(&bases);
    assert_eq!((dense.coordinates.len(), dense.len()), (10, 10));
    assert!(dense.scalars.is_none());
    bases[0] = G1Affine::zero();
    bases[7] = G1Affine::zero();
    let sparse = QueryPoints::new(&bases);
    assert_eq!((sparse.coordinates.len(), sparse.len()), (8, 10));
    assert_eq!(sparse.scalars, Some(vec![1, 2, 3, 4, 5, 6, 8, 9]));
    // Only the scalars of points at infinity change: the sum stays.
    let values: Vec<Fr> = (0..10).map(|_| Fr::rand(&mut rng)).collect();
    let mut other = values.clone();
    other[0] = Fr::ONE;
    other[7] = -Fr::ONE;
    assert_eq!(ours(&bases, &values), ours(&bases, &other));
    assert_eq!(ours(&bases, &values), reference_g1(&bases, &values));
}

#[test]
fn digits_recompose_every_window_size() {
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..50 {
        let scalars = Scalars::new(&[Fr::rand(&mut rng)]);
        let words = scalars.words[0];
        let magnitude =
            Fr::from_bigint(BigInt([words[0], words[1], words[2], words[3] & !NEGATE])).unwrap();
        for c in 2..=20 {
            let windows = (magnitude_bits(&words) + 1).div_ceil(c);
            let mut sum = Fr::ZERO;
            for w in (0..windows).rev() {
                let d = digit(&words, w, c);
                assert!(d.unsigned_abs() <= 1 << (c - 1), "digit {d} for c = {c}");
                sum = sum * Fr::from(1u64 << c) + Fr::from(d as i64);
            }
            assert_eq!(sum, magnitude, "c = {c}");
        }
    }
}

#[test]
fn negative_scalars_keep_small_magnitudes() {
    let scalars = Scalars::new(&[
        Fr::ZERO,
        Fr::ONE,
        -Fr::ONE,
        -Fr::from(300u64),
        Fr::rand(&mut StdRng::seed_from_u64(4)),
    ]);
    let magnitudes: Vec<_> = scalars.magnitudes().collect();
    assert_eq!(
        &magnitudes[..4],
        &[(0, false), (1, false), (1, true), (9, true)]
    );
    assert!(magnitudes[4].0 > 200);
}

#[test]
fn shared_inversion_inverts_each_value() {
    let mut rng = StdRng::seed_from_u64(5);
    let values: Vec<ark_bn254::Fq> = (0..100).map(|_| ark_bn254::Fq::rand(&mut rng)).collect();
    let mut inverted = values.clone();
    invert_all(&mut inverted, &mut Vec::new());
    for (value, inverse) in values.iter().zip(&inverted) {
        assert_eq!(*value * inverse, ark_bn254::Fq::ONE);
    }
}
