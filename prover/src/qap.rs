//! The QAP witness map in snarkjs's form (the numerator `A·B − C` on a coset, for an h query
//! in the doubled domain's Lagrange basis) from compact constraint matrices.
//!
//! `ark-relations` stores a matrix as a `Vec` per row of `(Fr, usize)`: 40 bytes a non-zero
//! plus a heap allocation a row, ≈ 0.8 GB per million of Verity's constraints for A, B and C.
//! Here A and B are kept in compressed sparse rows, 6 bytes a non-zero (a `u16` index into a
//! table of the distinct coefficients, 4,689 in the circuit, and a `u32` variable), and C is
//! not kept at all: on
//! every row of the domain `C·z = (A·z)∘(B·z)` for a satisfying assignment (and both sides are
//! zero on the rows that carry the public inputs), so `c` is computed from `a` and `b`. For an
//! assignment that breaks a rule the resulting proof fails verification, as it does with C:
//! the key, not the prover, binds C, and every proof is verified before it is used.

use std::collections::HashMap;

use ark_bn254::Fr;
use ark_ff::{FftField, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::utils::matrix::Matrix;
use rayon::prelude::*;
use serde::Serialize;

use crate::ProverError;

/// The coefficient table's index of 1, which needs no multiplication.
const ONE: u16 = 0;

/// One matrix in compressed sparse rows.
struct SparseMatrix {
    /// Where each row starts in `coefficients` and `variables`, and one more for the end.
    row_starts: Vec<u32>,
    /// Every non-zero's index into the table of distinct coefficients, row after row.
    coefficients: Vec<u16>,
    /// Every non-zero's variable, row after row.
    variables: Vec<u32>,
}

impl SparseMatrix {
    /// Row `i` times the assignment `z`.
    fn row_times(&self, i: usize, z: &[Fr], table: &[Fr]) -> Fr {
        let row = self.row_starts[i] as usize..self.row_starts[i + 1] as usize;
        self.coefficients[row.clone()]
            .iter()
            .zip(&self.variables[row])
            .map(|(&coefficient, &variable)| {
                let value = z[variable as usize];
                if coefficient == ONE {
                    value
                } else {
                    value * table[coefficient as usize]
                }
            })
            .sum()
    }
}

/// Sizes of the constraint matrices, for the prover's report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MatrixProfile {
    /// Constraints (rows).
    pub constraints: usize,
    /// Variables (columns), the constant one included.
    pub variables: usize,
    /// Non-zeros of A.
    pub nonzeros_a: usize,
    /// Non-zeros of B.
    pub nonzeros_b: usize,
    /// Non-zeros of C (counted at setup, not kept).
    pub nonzeros_c: usize,
    /// Distinct coefficients of A and B.
    pub distinct_coefficients: usize,
    /// Variables no row of A uses (for a witness variable, its A-query point is at infinity;
    /// public inputs also occur in the reduction's extra rows).
    pub variables_absent_from_a: usize,
    /// Variables no row of B uses: their B-query points are at infinity.
    pub variables_absent_from_b: usize,
    /// FFT domain size.
    pub domain_size: usize,
}

/// A and B of one circuit, and its FFT domain.
pub struct Qap {
    a: SparseMatrix,
    b: SparseMatrix,
    coefficients: Vec<Fr>,
    inputs: usize,
    domain: Radix2EvaluationDomain<Fr>,
    profile: MatrixProfile,
}

impl Qap {
    /// Compresses `[A, B, C]` of a circuit with `inputs` instance variables (the constant one
    /// included) and `variables` variables in all.
    pub fn new(
        matrices: &[Matrix<Fr>],
        inputs: usize,
        variables: usize,
    ) -> Result<Qap, ProverError> {
        let [a, b, c] = matrices else {
            return Err(ProverError::Shape(
                "the R1CS system does not have three matrices",
            ));
        };
        let constraints = a.len();
        let domain = Radix2EvaluationDomain::<Fr>::new(constraints + inputs)
            .ok_or(ProverError::Shape("the constraints fit no FFT domain"))?;
        if variables > u32::MAX as usize {
            return Err(ProverError::Shape("2^32 variables or more"));
        }
        let mut table = HashMap::from([(Fr::one(), ONE)]);
        let mut coefficients = vec![Fr::one()];
        let mut compress = |matrix: &Matrix<Fr>| -> Result<(SparseMatrix, Vec<bool>), ProverError> {
            let mut used = vec![false; variables];
            let nonzeros = matrix.iter().map(Vec::len).sum();
            let mut row_starts = Vec::with_capacity(matrix.len() + 1);
            let mut indices = Vec::with_capacity(nonzeros);
            let mut columns = Vec::with_capacity(nonzeros);
            row_starts.push(0);
            for row in matrix {
                for &(coefficient, variable) in row {
                    let index = match table.get(&coefficient) {
                        Some(&index) => index,
                        None => {
                            let index = u16::try_from(coefficients.len()).map_err(|_| {
                                ProverError::Shape("2^16 distinct matrix coefficients or more")
                            })?;
                            coefficients.push(coefficient);
                            table.insert(coefficient, index);
                            index
                        }
                    };
                    *used
                        .get_mut(variable)
                        .ok_or(ProverError::Shape("a matrix names a variable out of range"))? =
                        true;
                    indices.push(index);
                    columns.push(variable as u32);
                }
                row_starts.push(
                    u32::try_from(columns.len())
                        .map_err(|_| ProverError::Shape("2^32 non-zeros or more in a matrix"))?,
                );
            }
            Ok((
                SparseMatrix {
                    row_starts,
                    coefficients: indices,
                    variables: columns,
                },
                used,
            ))
        };
        let (a, used_a) = compress(a)?;
        let (b, used_b) = compress(b)?;
        let absent = |used: &[bool]| used.iter().filter(|&&u| !u).count();
        let profile = MatrixProfile {
            constraints,
            variables,
            nonzeros_a: a.variables.len(),
            nonzeros_b: b.variables.len(),
            nonzeros_c: c.iter().map(Vec::len).sum(),
            distinct_coefficients: coefficients.len(),
            variables_absent_from_a: absent(&used_a),
            variables_absent_from_b: absent(&used_b),
            domain_size: domain.size(),
        };
        Ok(Qap {
            a,
            b,
            coefficients,
            inputs,
            domain,
            profile,
        })
    }

    /// Sizes of the matrices.
    pub fn profile(&self) -> MatrixProfile {
        self.profile
    }

    /// A vector over the domain whose constraint rows are `row(i)` and whose other entries
    /// are zero (libsnark's extra rows `input_i · 0 = 0`, which keep the public inputs
    /// independent, are filled by the caller on the A side).
    fn evaluations(&self, row: impl Fn(usize) -> Fr + Sync) -> Vec<Fr> {
        let constraints = self.profile.constraints;
        let mut values = vec![Fr::zero(); self.domain.size()];
        values[..constraints]
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, value)| *value = row(i));
        values
    }

    /// `a = A·z` over the domain for the full assignment `z` (the constant one, the public
    /// inputs, then the witness); the input rows carry the inputs.
    fn a_evaluations(&self, z: &[Fr]) -> Vec<Fr> {
        let mut a = self.evaluations(|i| self.a.row_times(i, z, &self.coefficients));
        let constraints = self.profile.constraints;
        a[constraints..constraints + self.inputs].copy_from_slice(&z[..self.inputs]);
        a
    }

    /// The evaluations of `p(X) = A(X)·B(X) − C(X)` on the coset `ω·D` of the domain `D`,
    /// `ω` a primitive root of unity of twice its size: `p(ω^(2j+1))` for each `j`, the odd
    /// points of the doubled domain, which are the scalars of the h query in snarkjs's form
    /// (see [`crate::zkey::Zkey::h`]). `p` vanishes on `D` (the even points) and has degree
    /// below `2|D|`, so `p(τ) = Σ_j p(ω^(2j+1))·L_(2j+1)(τ)` over the doubled domain's Lagrange
    /// basis, and `p(τ) = h(τ)·Z(τ)` is what the proof needs: no division by `Z` and no
    /// inverse FFT of the product, six FFTs where libsnark's reduction takes seven, with
    /// `c = a∘b` on the domain instead of a product by C. At most two vectors of the domain's
    /// size are alive at once: `a` and `b` go to the coset and are multiplied there, then `c`
    /// is made from a second pass over the rows (`(A·z)_i · (B·z)_i`, both zero on the input
    /// rows) into `b`'s place.
    pub fn quotient(&self, z: &[Fr]) -> Vec<Fr> {
        let shift = Fr::get_root_of_unity(2 * self.domain.size() as u64)
            .expect("the scalar field has roots of unity of twice the domain's size");
        let coset = self
            .domain
            .get_coset(shift)
            .expect("a root of unity spans a coset");
        let to_coset = |values: &mut Vec<Fr>| {
            self.domain.ifft_in_place(values);
            coset.fft_in_place(values);
        };
        let mut p = self.a_evaluations(z);
        to_coset(&mut p);
        let mut b = self.evaluations(|i| self.b.row_times(i, z, &self.coefficients));
        to_coset(&mut b);
        p.par_iter_mut().zip(&b).for_each(|(a, b)| *a *= b);
        drop(b);
        let mut c = self.evaluations(|i| {
            self.a.row_times(i, z, &self.coefficients) * self.b.row_times(i, z, &self.coefficients)
        });
        to_coset(&mut c);
        p.par_iter_mut().zip(c).for_each(|(ab, c)| *ab -= c);
        p
    }
}
