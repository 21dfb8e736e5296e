//! The QAP witness map in snarkjs's form (the numerator `A·B − C` on a coset, for an h query
//! in the doubled domain's Lagrange basis) from compact constraint matrices.
//!
//! `ark-relations` stores a matrix as a `Vec` per row of `(Fr, usize)`: 40 bytes a non-zero
//! plus a heap allocation a row, ≈ 0.8 GB per million of Verity's constraints for A, B and C.
//! Here A and B are kept in compressed sparse rows, about 3.5 bytes a non-zero: a `u16` index
//! into a table of the distinct coefficients (5,220 at 32 slots), and the variable as a
//! LEB128 difference from the one before it in its row (rows sorted by variable; most
//! differences take one byte, where a `u32` took four). C is not kept at all: on
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

/// Rows whose variables are decoded one after the other from one recorded offset; blocks are
/// decoded in parallel.
const BLOCK_ROWS: usize = 1024;

/// One matrix in compressed sparse rows.
struct SparseMatrix {
    /// Where each row starts in `coefficients`, and one more for the end.
    row_starts: Vec<u32>,
    /// Every non-zero's index into the table of distinct coefficients, row after row.
    coefficients: Vec<u16>,
    /// Every non-zero's variable, row after row, each row's in ascending order and written
    /// as its LEB128 difference from the one before (the first from 0).
    variables: Vec<u8>,
    /// Where each block of [`BLOCK_ROWS`] rows starts in `variables`.
    block_starts: Vec<usize>,
}

/// Appends `value` in LEB128: seven bits a byte, low bits first, the high bit set on every
/// byte but the last.
fn write_leb128(bytes: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        bytes.push(value as u8 | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// Reads one LEB128 value at `*at` and moves past it. Written here rather than taken from
/// a varint crate so that the witness map's inner loop inlines it, reading a slice the
/// encoder made without a fallible reader or a bounds result per value.
#[inline]
fn read_leb128(bytes: &[u8], at: &mut usize) -> u32 {
    let mut value = 0u32;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

impl SparseMatrix {
    /// Compresses `matrix`, adding its new coefficients to `table`; also returns which
    /// variables it uses.
    fn new(
        matrix: &Matrix<Fr>,
        variables: usize,
        table: &mut CoefficientTable,
    ) -> Result<(SparseMatrix, Vec<bool>), ProverError> {
        let mut used = vec![false; variables];
        let nonzeros = matrix.iter().map(Vec::len).sum();
        let mut row_starts = Vec::with_capacity(matrix.len() + 1);
        let mut indices = Vec::with_capacity(nonzeros);
        let mut encoded = Vec::with_capacity(2 * nonzeros);
        let mut block_starts = Vec::with_capacity(matrix.len().div_ceil(BLOCK_ROWS));
        let mut row = Vec::new();
        row_starts.push(0);
        for (i, entries) in matrix.iter().enumerate() {
            if i % BLOCK_ROWS == 0 {
                block_starts.push(encoded.len());
            }
            row.clear();
            for &(coefficient, variable) in entries {
                *used
                    .get_mut(variable)
                    .ok_or(ProverError::Shape("a matrix names a variable out of range"))? = true;
                row.push((variable as u32, table.index(coefficient)?));
            }
            row.sort_unstable_by_key(|&(variable, _)| variable);
            let mut previous = 0;
            for &(variable, index) in &row {
                write_leb128(&mut encoded, variable - previous);
                previous = variable;
                indices.push(index);
            }
            row_starts.push(
                u32::try_from(indices.len())
                    .map_err(|_| ProverError::Shape("2^32 non-zeros or more in a matrix"))?,
            );
        }
        encoded.shrink_to_fit();
        Ok((
            SparseMatrix {
                row_starts,
                coefficients: indices,
                variables: encoded,
                block_starts,
            },
            used,
        ))
    }

    /// Bytes it holds.
    fn bytes(&self) -> usize {
        4 * self.row_starts.len()
            + 2 * self.coefficients.len()
            + self.variables.len()
            + std::mem::size_of::<usize>() * self.block_starts.len()
    }

    /// For each constraint row `i`, `f(&mut out[i], row_i · z)`; `out` has at least one entry
    /// a row.
    fn rows_times(&self, z: &[Fr], table: &[Fr], out: &mut [Fr], f: impl Fn(&mut Fr, Fr) + Sync) {
        let rows = self.row_starts.len() - 1;
        out[..rows]
            .par_chunks_mut(BLOCK_ROWS)
            .zip(&self.block_starts)
            .enumerate()
            .for_each(|(block, (out, &start))| {
                let mut at = start;
                for (offset, value) in out.iter_mut().enumerate() {
                    let i = block * BLOCK_ROWS + offset;
                    let entries = self.row_starts[i] as usize..self.row_starts[i + 1] as usize;
                    let mut variable = 0;
                    let mut sum = Fr::zero();
                    for &coefficient in &self.coefficients[entries] {
                        variable += read_leb128(&self.variables, &mut at) as usize;
                        let value = z[variable];
                        sum += if coefficient == ONE {
                            value
                        } else {
                            value * table[coefficient as usize]
                        };
                    }
                    f(value, sum);
                }
            });
    }
}

/// The distinct coefficients of A and B, each with its `u16` index.
struct CoefficientTable {
    indices: HashMap<Fr, u16>,
    values: Vec<Fr>,
}

impl CoefficientTable {
    /// A table holding 1 at [`ONE`].
    fn new() -> CoefficientTable {
        CoefficientTable {
            indices: HashMap::from([(Fr::one(), ONE)]),
            values: vec![Fr::one()],
        }
    }

    /// The index of `coefficient`, added if new.
    fn index(&mut self, coefficient: Fr) -> Result<u16, ProverError> {
        if let Some(&index) = self.indices.get(&coefficient) {
            return Ok(index);
        }
        let index = u16::try_from(self.values.len())
            .map_err(|_| ProverError::Shape("2^16 distinct matrix coefficients or more"))?;
        self.values.push(coefficient);
        self.indices.insert(coefficient, index);
        Ok(index)
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
    /// Bytes the prover keeps for A and B (their rows, coefficient indices, variables and
    /// coefficient table).
    pub stored_bytes: usize,
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
        let mut table = CoefficientTable::new();
        let (a, used_a) = SparseMatrix::new(a, variables, &mut table)?;
        let (b, used_b) = SparseMatrix::new(b, variables, &mut table)?;
        let absent = |used: &[bool]| used.iter().filter(|&&u| !u).count();
        let profile = MatrixProfile {
            constraints,
            variables,
            nonzeros_a: a.coefficients.len(),
            nonzeros_b: b.coefficients.len(),
            nonzeros_c: c.iter().map(Vec::len).sum(),
            distinct_coefficients: table.values.len(),
            stored_bytes: a.bytes() + b.bytes() + 32 * table.values.len(),
            variables_absent_from_a: absent(&used_a),
            variables_absent_from_b: absent(&used_b),
            domain_size: domain.size(),
        };
        Ok(Qap {
            a,
            b,
            coefficients: table.values,
            inputs,
            domain,
            profile,
        })
    }

    /// Sizes of the matrices.
    pub fn profile(&self) -> MatrixProfile {
        self.profile
    }

    /// `matrix · z` over the domain: its constraint rows, and zero on the other entries
    /// (libsnark's extra rows `input_i · 0 = 0`, which keep the public inputs independent,
    /// are filled by the caller on the A side).
    fn evaluations(&self, matrix: &SparseMatrix, z: &[Fr]) -> Vec<Fr> {
        let mut values = vec![Fr::zero(); self.domain.size()];
        matrix.rows_times(z, &self.coefficients, &mut values, |value, row| {
            *value = row
        });
        values
    }

    /// `a = A·z` over the domain for the full assignment `z` (the constant one, the public
    /// inputs, then the witness); the input rows carry the inputs.
    fn a_evaluations(&self, z: &[Fr]) -> Vec<Fr> {
        let mut a = self.evaluations(&self.a, z);
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
        let mut b = self.evaluations(&self.b, z);
        to_coset(&mut b);
        p.par_iter_mut().zip(&b).for_each(|(a, b)| *a *= b);
        drop(b);
        let mut c = self.evaluations(&self.a, z);
        self.b
            .rows_times(z, &self.coefficients, &mut c, |ab, b| *ab *= b);
        to_coset(&mut c);
        p.par_iter_mut().zip(c).for_each(|(ab, c)| *ab -= c);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_at_every_width() {
        let values = [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            0x1f_ffff,
            0x20_0000,
            u32::MAX,
        ];
        let mut bytes = Vec::new();
        for value in values {
            write_leb128(&mut bytes, value);
        }
        assert_eq!(bytes.len(), 1 + 1 + 1 + 2 + 2 + 3 + 3 + 4 + 5);
        let mut at = 0;
        for value in values {
            assert_eq!(read_leb128(&bytes, &mut at), value);
        }
        assert_eq!(at, bytes.len());
    }

    #[test]
    fn rows_times_is_the_matrix_product_across_blocks() {
        // More rows than two blocks, each with its variables out of order and far apart (up
        // to three-byte differences), and coefficients other than one.
        let variables = 300_000;
        let z: Vec<Fr> = (0..variables as u64).map(|i| Fr::from(7 * i + 3)).collect();
        let matrix: Matrix<Fr> = (0..2 * BLOCK_ROWS + 5)
            .map(|i| {
                vec![
                    (Fr::from(5u64), (i * 7919) % variables),
                    (Fr::one(), variables - 1 - i),
                    (-Fr::from(i as u64), i % 3),
                ]
            })
            .collect();
        let mut table = CoefficientTable::new();
        let (sparse, used) = SparseMatrix::new(&matrix, variables, &mut table).unwrap();
        assert!(used[variables - 1] && used.iter().filter(|&&u| u).count() < variables);
        let mut out = vec![Fr::zero(); matrix.len() + 3];
        sparse.rows_times(&z, &table.values, &mut out, |value, row| *value = row);
        for (i, row) in matrix.iter().enumerate() {
            let expected: Fr = row.iter().map(|&(c, v)| c * z[v]).sum();
            assert_eq!(out[i], expected, "row {i}");
        }
        assert!(out[matrix.len()..].iter().all(Zero::is_zero));
        sparse.rows_times(&z, &table.values, &mut out, |value, row| *value *= row);
        let first: Fr = matrix[1].iter().map(|&(c, v)| c * z[v]).sum();
        assert_eq!(out[1], first * first);
    }
}
