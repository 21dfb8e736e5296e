//! A powers-of-tau file with a known τ, for tests only: whoever knows τ can forge every proof
//! of every key made from it. Real deployments start phase 2 from a public ceremony's file.
//!
//! Made here rather than with `snarkjs powersoftau` because snarkjs's `prepare phase2` takes
//! minutes from power 12 on, and the smallest batch circuit needs power 19. The file has the
//! full layout of a prepared file of power `log2(domain) + 1` (the h query reads the Lagrange
//! points of the doubled domain, and snarkjs's circuit hash powers of τ up to 2·domain), but
//! only the points phase 2 for that one domain reads are
//! set (by `snarkjs groth16 setup` and `zkey verify`, and Verity's
//! `phase2::key_from_ptau`): τ^i·G1 for `i < 2·domain`, the first point of each other power
//! section, β·G2, and the Lagrange blocks of the domain (and of its double in section 12).
//! Every other point is at infinity.

use ark_bn254::{Fq, Fr, G1Projective, G2Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{Field, PrimeField};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use verity_prover::binfile::{field_bytes, put_g1, put_g2, BinFileWriter};

/// The file's bytes for FFT domains up to `domain` (a power of two) and secrets τ, α, β.
pub fn insecure_ptau(domain: usize, tau: Fr, alpha: Fr, beta: Fr) -> Vec<u8> {
    assert!(domain.is_power_of_two() && domain >= 2);
    let log = domain.trailing_zeros();
    let power = log + 1;
    let g1 = G1Projective::generator();
    let g2 = G2Projective::generator();
    let g1_table = BatchMulPreprocessing::new(g1, 8 * domain);
    let powers: Vec<Fr> = (0..2 * domain as u64).map(|i| tau.pow([i])).collect();
    let lagrange = |size: usize| {
        Radix2EvaluationDomain::<Fr>::new(size)
            .expect("a power of two")
            .evaluate_all_lagrange_coefficients(tau)
    };
    let scaled = |values: &[Fr], by: Fr| values.iter().map(|v| *v * by).collect::<Vec<_>>();
    let g1_points = |out: &mut Vec<u8>, scalars: &[Fr], total: usize| {
        for point in g1_table.batch_mul(scalars) {
            put_g1(out, &point);
        }
        out.resize(out.len() + 64 * (total - scalars.len()), 0);
    };

    let mut file = BinFileWriter::new(*b"ptau", 1);
    let header = file.section(1);
    header.extend_from_slice(&32u32.to_le_bytes());
    header.extend_from_slice(&field_bytes(&Fq::MODULUS));
    header.extend_from_slice(&power.to_le_bytes());
    header.extend_from_slice(&power.to_le_bytes());
    let full = 1usize << power;
    g1_points(file.section(2), &powers, 2 * full - 1);
    let tau_g2 = file.section(3);
    put_g2(tau_g2, &g2.into_affine());
    tau_g2.resize(128 * full, 0);
    g1_points(file.section(4), &[alpha], full);
    g1_points(file.section(5), &[beta], full);
    put_g2(file.section(6), &(g2 * beta).into_affine());
    file.section(7).extend_from_slice(&0u32.to_le_bytes());
    let small = lagrange(domain);
    let large = lagrange(2 * domain);
    // Block k of a Lagrange section starts at point 2^k − 1; section 12 has one block more.
    let blocks = |out: &mut Vec<u8>, last: u32, fill: &dyn Fn(&mut Vec<u8>, u32)| {
        for k in 0..=last {
            fill(out, k);
        }
    };
    blocks(file.section(12), power + 1, &|out, k| match k {
        k if k == log => g1_points(out, &small, domain),
        k if k == log + 1 => g1_points(out, &large, 2 * domain),
        k => out.resize(out.len() + 64 * (1 << k), 0),
    });
    blocks(file.section(13), power, &|out, k| {
        if k == log {
            let table = BatchMulPreprocessing::new(g2, domain);
            for point in table.batch_mul(&small) {
                put_g2(out, &point);
            }
        } else {
            out.resize(out.len() + 128 * (1 << k), 0);
        }
    });
    for (section, secret) in [(14, alpha), (15, beta)] {
        blocks(file.section(section), power, &|out, k| {
            if k == log {
                g1_points(out, &scaled(&small, secret), domain);
            } else {
                out.resize(out.len() + 64 * (1 << k), 0);
            }
        });
    }
    file.finish()
}
