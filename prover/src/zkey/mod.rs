//! Verity's Groth16 proving key, in the shape and file format of snarkjs's `.zkey`, so that
//! a key comes out of (and goes into) the circom ecosystem's ceremony tools unchanged and
//! outside provers (snarkjs, rapidsnark, GPU provers) prove with it.
//!
//! The one difference from `ark-groth16`'s key is the h query: snarkjs's holds the doubled
//! domain's odd Lagrange polynomials at τ, over δ, rather than `τ^i·Z(τ)/δ`, so its scalars
//! are evaluations on a coset (see `Qap::quotient` in the witness map). A group FFT would convert
//! one into the other at the cost of millions of scalar multiplications, so Verity proves
//! in snarkjs's form.

mod file;

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_groth16::VerifyingKey;

use crate::r1cs::R1cs;

pub use file::{read_coefficients, CONTRIBUTIONS_SECTION};

/// A Groth16 proving key for one circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct Zkey {
    /// Public inputs, the constant one excluded.
    pub public_inputs: usize,
    /// Variables, the constant one included.
    pub variables: usize,
    /// The FFT domain's size.
    pub domain_size: usize,
    /// α·G1, β·G2, γ·G2 (the generator: γ = 1), δ·G2 and the IC points.
    pub vk: VerifyingKey<Bn254>,
    /// β·G1.
    pub beta_g1: G1Affine,
    /// δ·G1.
    pub delta_g1: G1Affine,
    /// The non-zeros of A and B, as outside provers read them (empty when the key was read
    /// for proving: Verity's prover takes its matrices from the circuit).
    pub coefficients: Vec<Coefficient>,
    /// `u_i(τ)·G1`, one a variable.
    pub a: Vec<G1Affine>,
    /// `v_i(τ)·G1`, one a variable.
    pub b_g1: Vec<G1Affine>,
    /// `v_i(τ)·G2`, one a variable.
    pub b_g2: Vec<G2Affine>,
    /// `(β·u_i(τ) + α·v_i(τ) + w_i(τ))/δ·G1`, one a witness variable.
    pub c: Vec<G1Affine>,
    /// `L_(2j+1)(τ)/δ·G1` over the doubled domain's Lagrange basis, one a domain point.
    pub h: Vec<G1Affine>,
    /// The contributions section (the ceremony's record), verbatim; empty (and the section
    /// left out of the file) for a key no ceremony made.
    pub contributions: Vec<u8>,
}

/// Which matrix a coefficient is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixId {
    /// A.
    A,
    /// B.
    B,
}

/// A non-zero of A or B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coefficient {
    /// Its matrix.
    pub matrix: MatrixId,
    /// Its row.
    pub constraint: u32,
    /// Its column.
    pub variable: u32,
    /// Its value.
    pub value: Fr,
}

impl Coefficient {
    /// snarkjs's section 4 for `r1cs`: per constraint its A terms then its B terms, each in
    /// the `.r1cs` file's order (by variable), then the rows `input_s · 0 = 0` that keep the
    /// public inputs independent (A's row `constraints + s` takes input `s`, the constant one
    /// included).
    pub fn of(r1cs: &R1cs) -> Vec<Coefficient> {
        let [a, b, _] = &r1cs.matrices;
        let mut coefficients = Vec::new();
        for row in 0..r1cs.constraints() {
            for (matrix, rows) in [(MatrixId::A, a), (MatrixId::B, b)] {
                coefficients.extend(R1cs::sorted(&rows[row]).into_iter().map(
                    |(value, variable)| Coefficient {
                        matrix,
                        constraint: row as u32,
                        variable: variable as u32,
                        value,
                    },
                ));
            }
        }
        coefficients.extend((0..r1cs.inputs).map(|input| Coefficient {
            matrix: MatrixId::A,
            constraint: (r1cs.constraints() + input) as u32,
            variable: input as u32,
            value: Fr::from(1u64),
        }));
        coefficients
    }
}
