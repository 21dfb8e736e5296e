//! Phase 2 of the Groth16 setup for one circuit: the proving key in snarkjs's form
//! ([`Zkey`]) from the setup's secrets. snarkjs's phase 2 fixes γ = 1 (the IC points are not
//! divided by anything) and each contribution multiplies δ; the single-party setup here
//! draws τ, α, β and δ at once, so whoever runs it knows them all (see
//! the warning `keys.json` carries).

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand, Zero};
use ark_groth16::VerifyingKey;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::utils::matrix::Matrix;
use blake2::{Blake2b512, Digest};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use verity_circuits::circuit::CircuitSize;

use crate::ptau::Ptau;
use crate::r1cs::R1cs;
use crate::zkey::{Coefficient, Zkey};
use crate::ProverError;

/// The secrets a setup's points are made of ("toxic waste": whoever knows them can prove
/// anything).
pub struct Secrets {
    /// The point the polynomials are evaluated at.
    pub tau: Fr,
    /// α.
    pub alpha: Fr,
    /// β.
    pub beta: Fr,
    /// δ.
    pub delta: Fr,
}

impl Secrets {
    /// Fresh random secrets.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Secrets {
        Secrets {
            tau: Fr::rand(rng),
            alpha: Fr::rand(rng),
            beta: Fr::rand(rng),
            delta: Fr::rand(rng),
        }
    }
}

/// Keys for `size` from a single-party setup (see the warning `keys.json` carries).
pub fn setup<R: RngCore + CryptoRng>(size: CircuitSize, rng: &mut R) -> Result<Zkey, ProverError> {
    key_from_secrets(&R1cs::of(size)?, &Secrets::random(rng))
}

/// The proving key of `r1cs` for `secrets`, with γ = 1.
pub fn key_from_secrets(r1cs: &R1cs, secrets: &Secrets) -> Result<Zkey, ProverError> {
    let domain = r1cs.domain()?;
    let n = domain.size();
    let doubled = Radix2EvaluationDomain::<Fr>::new(2 * n)
        .ok_or(ProverError::Shape("the constraints fit no FFT domain"))?;
    if doubled.evaluate_vanishing_polynomial(secrets.tau).is_zero() {
        return Err(ProverError::Shape("τ lies in the FFT domain"));
    }
    let lagrange = domain.evaluate_all_lagrange_coefficients(secrets.tau);
    let [a, b, c] = &r1cs.matrices;
    let inputs = r1cs.inputs;
    // u_i(τ), v_i(τ), w_i(τ): each variable's column in the Lagrange basis.
    let column = |matrix: &Matrix<Fr>| {
        let mut values = vec![Fr::zero(); r1cs.variables];
        for (row, terms) in matrix.iter().enumerate() {
            for &(coefficient, variable) in terms {
                values[variable] += lagrange[row] * coefficient;
            }
        }
        values
    };
    let mut u = column(a);
    for (i, value) in u.iter_mut().take(inputs).enumerate() {
        // The rows `input_i · 0 = 0` that keep the public inputs independent.
        *value += lagrange[r1cs.constraints() + i];
    }
    let v = column(b);
    let w = column(c);
    let delta_inverse = secrets.delta.inverse().expect("δ is not zero");
    let combined = |i: usize| secrets.beta * u[i] + secrets.alpha * v[i] + w[i];
    let ic_scalars: Vec<Fr> = (0..inputs).map(combined).collect();
    let c_scalars: Vec<Fr> = (inputs..r1cs.variables)
        .into_par_iter()
        .map(|i| combined(i) * delta_inverse)
        .collect();
    let h_scalars: Vec<Fr> = doubled
        .evaluate_all_lagrange_coefficients(secrets.tau)
        .into_iter()
        .skip(1)
        .step_by(2)
        .map(|l| l * delta_inverse)
        .collect();

    let g1 = G1Projective::generator();
    let g2 = G2Projective::generator();
    let g1_table = BatchMulPreprocessing::new(g1, 3 * r1cs.variables + n);
    let g2_table = BatchMulPreprocessing::new(g2, r1cs.variables);
    let vk = VerifyingKey {
        alpha_g1: (g1 * secrets.alpha).into_affine(),
        beta_g2: (g2 * secrets.beta).into_affine(),
        gamma_g2: g2.into_affine(),
        delta_g2: (g2 * secrets.delta).into_affine(),
        gamma_abc_g1: g1_table.batch_mul(&ic_scalars),
    };
    Ok(Zkey {
        public_inputs: inputs - 1,
        variables: r1cs.variables,
        domain_size: n,
        beta_g1: (g1 * secrets.beta).into_affine(),
        delta_g1: (g1 * secrets.delta).into_affine(),
        vk,
        coefficients: Coefficient::of(r1cs),
        a: g1_table.batch_mul(&u),
        b_g1: g1_table.batch_mul(&v),
        b_g2: g2_table.batch_mul(&v),
        c: g1_table.batch_mul(&c_scalars),
        h: g1_table.batch_mul(&h_scalars),
        contributions: Vec::new(),
    })
}

/// The key snarkjs's `groth16 setup` (`zkey new`) makes for `r1cs` from a prepared `.ptau`:
/// the same bytes, point for point, so that `snarkjs zkey contribute`, `beacon` and `verify`
/// continue from it. δ is still 1, so it is only a start: every proof is forgeable until a
/// contribution multiplies δ.
pub fn key_from_ptau(r1cs: &R1cs, ptau: &Ptau<'_>) -> Result<Zkey, ProverError> {
    let n = r1cs.domain()?.size();
    // The h query holds Lagrange points of the doubled domain.
    if 2 * n > 1 << ptau.power() {
        return Err(ProverError::Format(format!(
            "the circuit's FFT domain is 2^{}: its h query needs the Lagrange points of 2^{}, \
             in a powers-of-tau file of power {} or more; this one has power {}",
            n.trailing_zeros(),
            n.trailing_zeros() + 1,
            n.trailing_zeros() + 1,
            ptau.power()
        )));
    }
    let t = ptau.lagrange_g1(12, n)?;
    let alpha_t = ptau.lagrange_g1(14, n)?;
    let beta_t = ptau.lagrange_g1(15, n)?;
    let t_g2 = ptau.g2_query(13, n - 1, n)?;
    let h = ptau
        .lagrange_g1(12, 2 * n)?
        .into_iter()
        .skip(1)
        .step_by(2)
        .collect();
    let [a, b, c] = &r1cs.matrices;
    // The inputs' rows past the constraints (`input · 1 = 0`, snarkjs's way of making the IC
    // points independent) are in A alone.
    let inputs = r1cs.constraints()..r1cs.constraints() + r1cs.inputs;
    let mut a_t = query(a, &t, r1cs.variables);
    let mut combined = query(a, &beta_t, r1cs.variables);
    for (variable, row) in inputs.enumerate() {
        a_t[variable] += t[row];
        combined[variable] += beta_t[row];
    }
    let b_g2 = G2Projective::normalize_batch(&query(b, &t_g2, r1cs.variables));
    // (β·u_s + α·v_s + w_s)(τ)·G1: IC for the inputs, C for the witness.
    for (sum, term) in
        combined
            .iter_mut()
            .zip(
                query(b, &alpha_t, r1cs.variables)
                    .into_iter()
                    .zip(query(c, &t, r1cs.variables)),
            )
    {
        *sum += term.0 + term.1;
    }
    let combined = G1Projective::normalize_batch(&combined);
    let first = |section| -> Result<G1Affine, ProverError> { Ok(ptau.g1(section, 0, 1)?[0]) };
    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    let mut key = Zkey {
        public_inputs: r1cs.inputs - 1,
        variables: r1cs.variables,
        domain_size: n,
        vk: VerifyingKey {
            alpha_g1: first(4)?,
            beta_g2: ptau.g2(6, 0)?,
            gamma_g2: g2,
            delta_g2: g2,
            gamma_abc_g1: combined[..r1cs.inputs].to_vec(),
        },
        beta_g1: first(5)?,
        delta_g1: g1,
        coefficients: Coefficient::of(r1cs),
        a: G1Projective::normalize_batch(&a_t),
        b_g1: G1Projective::normalize_batch(&query(b, &t, r1cs.variables)),
        b_g2,
        c: combined[r1cs.inputs..].to_vec(),
        h,
        contributions: Vec::new(),
    };
    let mut contributions = circuit_hash(&key, ptau)?.to_vec();
    contributions.extend_from_slice(&0u32.to_le_bytes());
    key.contributions = contributions;
    Ok(key)
}

/// Each variable's `Σ_row matrix[row][variable] · points[row]`, a row at a time: a row's
/// terms share its point, so a row with many large coefficients (a hash's linear layer) gets
/// a table of its point's multiples, and the rest [`multiple`]'s way. Done by rows in blocks
/// so that the products in flight stay a fraction of the key.
fn query<P: GLVConfig<ScalarField = Fr>>(
    matrix: &Matrix<Fr>,
    points: &[Affine<P>],
    variables: usize,
) -> Vec<Projective<P>> {
    let mut sums = vec![Projective::<P>::zero(); variables];
    for (rows, points) in matrix.chunks(1 << 16).zip(points.chunks(1 << 16)) {
        let products: Vec<Vec<(usize, Projective<P>)>> = rows
            .par_iter()
            .zip(points)
            .map(|(terms, point)| row_products(terms, point))
            .collect();
        for (variable, product) in products.into_iter().flatten() {
            sums[variable] += product;
        }
    }
    sums
}

/// A row's `(variable, coefficient · point)` products. A table of the point's multiples
/// (arkworks' fixed-base preprocessing) costs a few hundred additions and makes each large
/// coefficient ~2× cheaper than GLV: it pays from about 16 of them (most rows of the
/// Poseidon gadget's linear layers have 16 to 64).
fn row_products<P: GLVConfig<ScalarField = Fr>>(
    terms: &[(Fr, usize)],
    point: &Affine<P>,
) -> Vec<(usize, Projective<P>)> {
    let (large, other): (Vec<_>, Vec<_>) = terms
        .iter()
        .partition(|(coefficient, _)| small(*coefficient).is_none());
    let mut products: Vec<_> = other
        .iter()
        .map(|&&(coefficient, variable)| (variable, multiple(point, coefficient)))
        .collect();
    if large.len() >= 16 {
        let table = BatchMulPreprocessing::new(point.into_group(), large.len());
        let scalars: Vec<Fr> = large.iter().map(|(coefficient, _)| *coefficient).collect();
        products.extend(
            large
                .iter()
                .zip(table.batch_mul(&scalars))
                .map(|(&&(_, variable), product)| (variable, product.into_group())),
        );
    } else {
        products.extend(
            large
                .iter()
                .map(|&&(coefficient, variable)| (variable, multiple(point, coefficient))),
        );
    }
    products
}

/// `|coefficient|` when it and its sign fit in a word: (negated, magnitude).
fn small(coefficient: Fr) -> Option<(bool, u64)> {
    let word = |c: Fr| {
        let limbs = c.into_bigint().0;
        limbs[1..].iter().all(|&l| l == 0).then_some(limbs[0])
    };
    word(coefficient)
        .map(|k| (false, k))
        .or_else(|| word(-coefficient).map(|k| (true, k)))
}

/// `coefficient · point`, by the coefficient's size: most of a circuit's coefficients are
/// ±1, powers of two or other small numbers, or their negatives (a few doublings), and the
/// rest (hash constants) take GLV's half-length multiplication.
fn multiple<P: GLVConfig<ScalarField = Fr>>(point: &Affine<P>, coefficient: Fr) -> Projective<P> {
    match small(coefficient) {
        Some((false, k)) => point.mul_bigint([k]),
        Some((true, k)) => -point.mul_bigint([k]),
        None => P::glv_mul_affine(*point, coefficient).into_group(),
    }
}

/// snarkjs's circuit hash (`csHash`) of a key fresh from [`key_from_ptau`]: BLAKE2b-512 of
/// α1, β1, β2, γ2, δ1, δ2, then each query with its point count (a big-endian `u32`): IC,
/// H in its classical form `τ^i·Z(τ)·G1` (from the raw powers of section 2), C, A, B1, B2.
/// Points are hashed uncompressed, big-endian, in normal form (G2 as `x.c1, x.c0, y.c1,
/// y.c0`), infinity as zeros. Every contribution's transcript starts from it, and `snarkjs
/// zkey verify` recomputes it.
fn circuit_hash(key: &Zkey, ptau: &Ptau<'_>) -> Result<[u8; 64], ProverError> {
    let n = key.domain_size;
    let mut hasher = Blake2b512::new();
    hash_g1(&mut hasher, &key.vk.alpha_g1);
    hash_g1(&mut hasher, &key.beta_g1);
    hash_g2(&mut hasher, &key.vk.beta_g2);
    hash_g2(&mut hasher, &key.vk.gamma_g2);
    hash_g1(&mut hasher, &key.delta_g1);
    hash_g2(&mut hasher, &key.vk.delta_g2);
    hasher.update((key.vk.gamma_abc_g1.len() as u32).to_be_bytes());
    key.vk
        .gamma_abc_g1
        .iter()
        .for_each(|p| hash_g1(&mut hasher, p));
    // snarkjs hashes the H points in chunks of min(n − 1, 16384) and never shortens the last
    // chunk: from n = 32768 on it hashes n points, though it states n − 1, and the last one,
    // τ^(n−1)·Z(τ)·G1, needs the power τ^(2n−1), which a file of power log2(n) lacks.
    let chunk = (n - 1).clamp(1, 16384);
    let hashed = (n - 1).div_ceil(chunk) * chunk;
    // Section 2 holds τ^0 … τ^(2^(power+1) − 2).
    let powers = (1usize << (ptau.power() + 1)) - 1;
    if hashed + n > powers {
        return Err(ProverError::Format(format!(
            "snarkjs's circuit hash for an FFT domain of 2^{} needs a powers-of-tau file of power \
             {} or more; this one has power {}",
            n.trailing_zeros(),
            n.trailing_zeros() + 1,
            ptau.power()
        )));
    }
    let tau = ptau.g1(2, 0, hashed + n)?;
    hasher.update(((n - 1) as u32).to_be_bytes());
    let classical = G1Projective::normalize_batch(
        &(0..hashed)
            .into_par_iter()
            .map(|i| tau[i + n].into_group() - tau[i])
            .collect::<Vec<_>>(),
    );
    classical.iter().for_each(|p| hash_g1(&mut hasher, p));
    for (points, _) in [(&key.c, 0), (&key.a, 1), (&key.b_g1, 2)] {
        hasher.update((points.len() as u32).to_be_bytes());
        points.iter().for_each(|p| hash_g1(&mut hasher, p));
    }
    hasher.update((key.b_g2.len() as u32).to_be_bytes());
    key.b_g2.iter().for_each(|p| hash_g2(&mut hasher, p));
    Ok(hasher.finalize().into())
}

/// A G1 point as snarkjs hashes it.
pub(crate) fn hash_g1(hasher: &mut Blake2b512, point: &G1Affine) {
    match point.xy() {
        Some((x, y)) => {
            hasher.update(x.into_bigint().to_bytes_be());
            hasher.update(y.into_bigint().to_bytes_be());
        }
        None => hasher.update([0; 64]),
    }
}

/// A G2 point as snarkjs hashes it.
pub(crate) fn hash_g2(hasher: &mut Blake2b512, point: &G2Affine) {
    match point.xy() {
        Some((x, y)) => {
            for c in [x.c1, x.c0, y.c1, y.c0] {
                hasher.update(c.into_bigint().to_bytes_be());
            }
        }
        None => hasher.update([0; 128]),
    }
}
