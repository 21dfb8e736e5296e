//! The batch circuit's constraint system as matrices, and circom's `.r1cs` file of it (the
//! format snarkjs's `zkey new` and `zkey verify` read).
//!
//! Variables keep arkworks' order, which is circom's wire order: the constant one, the
//! public inputs, then the witness. In the file the public inputs are circom's public inputs
//! (no outputs, no private inputs: every other wire is internal) and each wire is its own
//! label.

use std::path::Path;

use ark_bn254::Fr;
use ark_ff::PrimeField;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use ark_relations::utils::matrix::Matrix;
use verity_circuits::circuit::{BatchCircuit, CircuitSize};

use crate::binfile::{field_bytes, BinFileWriter};
use crate::ProverError;

/// One circuit size's constraint system.
pub struct R1cs {
    /// A, B and C: per constraint, its `(coefficient, variable)` terms.
    pub matrices: [Matrix<Fr>; 3],
    /// Instance variables, the constant one included.
    pub inputs: usize,
    /// Variables in all.
    pub variables: usize,
}

impl R1cs {
    /// Synthesises the blank circuit of `size` for its matrices.
    pub fn of(size: CircuitSize) -> Result<R1cs, ProverError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        BatchCircuit::blank(size).generate_constraints(cs.clone())?;
        cs.finalize();
        let inputs = cs.num_instance_variables();
        let variables = inputs + cs.num_witness_variables();
        let matrices = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or(ProverError::Shape("the circuit has no R1CS constraints"))?;
        let matrices: [Matrix<Fr>; 3] = matrices
            .try_into()
            .map_err(|_| ProverError::Shape("the R1CS system does not have three matrices"))?;
        Ok(R1cs {
            matrices,
            inputs,
            variables,
        })
    }

    /// Constraints.
    pub fn constraints(&self) -> usize {
        self.matrices[0].len()
    }

    /// The FFT domain: the smallest power of two holding the constraints and one row per
    /// instance variable (the rows that keep the public inputs independent).
    pub fn domain(&self) -> Result<Radix2EvaluationDomain<Fr>, ProverError> {
        Radix2EvaluationDomain::new(self.constraints() + self.inputs)
            .ok_or(ProverError::Shape("the constraints fit no FFT domain"))
    }

    /// A row's terms by variable, as circom writes a linear combination (and as the `.zkey`'s
    /// coefficients follow the `.r1cs` file).
    pub fn sorted(terms: &[(Fr, usize)]) -> Vec<(Fr, usize)> {
        let mut terms = terms.to_vec();
        terms.sort_unstable_by_key(|&(_, variable)| variable);
        terms
    }

    /// The `.r1cs` file: header (section 1), constraints (2) and the wire-to-label map (3).
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut file = BinFileWriter::new(*b"r1cs", 1);
        let header = file.section(1);
        header.extend_from_slice(&32u32.to_le_bytes());
        header.extend_from_slice(&field_bytes(&Fr::MODULUS));
        header.extend_from_slice(&(self.variables as u32).to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes()); // public outputs
        header.extend_from_slice(&((self.inputs - 1) as u32).to_le_bytes()); // public inputs
        header.extend_from_slice(&0u32.to_le_bytes()); // private inputs
        header.extend_from_slice(&(self.variables as u64).to_le_bytes()); // labels
        header.extend_from_slice(&(self.constraints() as u32).to_le_bytes());
        let constraints = file.section(2);
        for row in 0..self.constraints() {
            for matrix in &self.matrices {
                let terms = &matrix[row];
                constraints.extend_from_slice(&(terms.len() as u32).to_le_bytes());
                for (coefficient, variable) in R1cs::sorted(terms) {
                    constraints.extend_from_slice(&(variable as u32).to_le_bytes());
                    constraints.extend_from_slice(&field_bytes(&coefficient.into_bigint()));
                }
            }
        }
        let labels = file.section(3);
        for wire in 0..self.variables as u64 {
            labels.extend_from_slice(&wire.to_le_bytes());
        }
        file.finish()
    }

    /// Writes the `.r1cs` file to `path`.
    pub fn write(&self, path: &Path) -> Result<(), ProverError> {
        crate::binfile::write(path, &self.to_file_bytes())
    }
}
