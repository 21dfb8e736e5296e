//! The staged batch prover. Plain `ark-groth16` synthesises the whole constraint system,
//! matrices included, for every proof; this prover builds the matrices once, then per proof
//! only computes the assignment, the QAP witness map and the multi-scalar multiplications,
//! timing each stage. `ark-groth16` keeps its assignment-level prover private, so the MSM
//! stage is written here, mirroring it. A proof made from a witness that breaks a rule does
//! not verify, so callers check every proof with [`BatchProver::verify`] before using it.

use std::time::{Duration, Instant};

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{PrimeField, UniformRand};
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use ark_relations::utils::matrix::Matrix;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use serde::Serialize;
use verity_circuits::circuit::{BatchCircuit, BatchWitness, CircuitSize};

use crate::ProverError;

/// Where one proof's time went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ProveTimings {
    /// Witness generation: synthesising the assignment.
    #[serde(with = "seconds")]
    pub synthesis: Duration,
    /// The QAP witness map (three inverse and three forward FFTs).
    #[serde(with = "seconds")]
    pub witness_map: Duration,
    /// MSM for A (G1).
    #[serde(with = "seconds")]
    pub msm_a: Duration,
    /// MSM for B in G1.
    #[serde(with = "seconds")]
    pub msm_b_g1: Duration,
    /// MSM for B in G2.
    #[serde(with = "seconds")]
    pub msm_b_g2: Duration,
    /// MSMs for C (the h and l queries).
    #[serde(with = "seconds")]
    pub msm_c: Duration,
    /// End to end.
    #[serde(with = "seconds")]
    pub total: Duration,
}

mod seconds {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// Keys, matrices and prepared verifying key for one circuit size.
pub struct BatchProver {
    size: CircuitSize,
    proving_key: ProvingKey<Bn254>,
    verifying_key: PreparedVerifyingKey<Bn254>,
    matrices: Vec<Matrix<Fr>>,
    instance_variables: usize,
    witness_variables: usize,
    constraints: usize,
}

/// Keys for `size` from a single-party setup (see [`crate::keys::SINGLE_PARTY_WARNING`]).
pub fn setup<R: RngCore + CryptoRng>(
    size: CircuitSize,
    rng: &mut R,
) -> Result<ProvingKey<Bn254>, ProverError> {
    Ok(Groth16::<Bn254>::generate_random_parameters_with_reduction(
        BatchCircuit::blank(size),
        rng,
    )?)
}

/// Plain `ark-groth16` proving (synthesis with matrices, reduction, MSMs): the baseline.
pub fn prove_baseline<R: RngCore + CryptoRng>(
    proving_key: &ProvingKey<Bn254>,
    witness: BatchWitness,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProverError> {
    Ok(Groth16::<Bn254>::prove(
        proving_key,
        BatchCircuit { witness },
        rng,
    )?)
}

fn msm_g1(bases: &[G1Affine], scalars: &[<Fr as PrimeField>::BigInt]) -> G1Projective {
    G1Projective::msm_bigint(bases, scalars)
}

fn msm_g2(bases: &[G2Affine], scalars: &[<Fr as PrimeField>::BigInt]) -> G2Projective {
    G2Projective::msm_bigint(bases, scalars)
}

impl BatchProver {
    /// A prover for `size` with `proving_key`; synthesises the circuit once for its matrices.
    pub fn new(
        size: CircuitSize,
        proving_key: ProvingKey<Bn254>,
    ) -> Result<BatchProver, ProverError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        BatchCircuit::blank(size).generate_constraints(cs.clone())?;
        cs.finalize();
        let matrices = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .expect("R1CS matrices");
        let witness_variables = cs.num_witness_variables();
        if proving_key.l_query.len() != witness_variables {
            return Err(ProverError::WitnessShape {
                expected: proving_key.l_query.len(),
                found: witness_variables,
            });
        }
        Ok(BatchProver {
            size,
            verifying_key: ark_groth16::prepare_verifying_key(&proving_key.vk),
            instance_variables: cs.num_instance_variables(),
            constraints: cs.num_constraints(),
            witness_variables,
            matrices,
            proving_key,
        })
    }

    /// The circuit size.
    pub fn size(&self) -> CircuitSize {
        self.size
    }

    /// Constraints of the circuit.
    pub fn constraints(&self) -> usize {
        self.constraints
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.proving_key.vk
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.proving_key
    }

    /// Proves one batch.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        witness: BatchWitness,
        rng: &mut R,
    ) -> Result<(Proof<Bn254>, ProveTimings), ProverError> {
        let started = Instant::now();
        let mut timings = ProveTimings::default();

        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        BatchCircuit { witness }.generate_constraints(cs.clone())?;
        let (instance, aux) = {
            let system = cs.borrow().expect("a live constraint system");
            let assignment = (
                system.instance_assignment()?.to_vec(),
                system.witness_assignment()?.to_vec(),
            );
            assignment
        };
        if aux.len() != self.witness_variables || instance.len() != self.instance_variables {
            return Err(ProverError::WitnessShape {
                expected: self.witness_variables,
                found: aux.len(),
            });
        }
        timings.synthesis = started.elapsed();

        let stage = Instant::now();
        let full: Vec<Fr> = [instance.as_slice(), aux.as_slice()].concat();
        let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
            &self.matrices,
            self.instance_variables,
            self.constraints,
            &full,
        )?;
        timings.witness_map = stage.elapsed();

        let pk = &self.proving_key;
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        let bigints = |values: &[Fr]| {
            values
                .par_iter()
                .map(|v| v.into_bigint())
                .collect::<Vec<_>>()
        };
        // Every variable but the constant one, in query order.
        let assignment = bigints(&full[1..]);

        let stage = Instant::now();
        let a = pk.delta_g1 * r
            + pk.a_query[0]
            + msm_g1(&pk.a_query[1..], &assignment)
            + pk.vk.alpha_g1;
        timings.msm_a = stage.elapsed();

        let stage = Instant::now();
        let b_g1 = pk.delta_g1 * s
            + pk.b_g1_query[0]
            + msm_g1(&pk.b_g1_query[1..], &assignment)
            + pk.beta_g1;
        timings.msm_b_g1 = stage.elapsed();

        let stage = Instant::now();
        let b_g2 = pk.vk.delta_g2 * s
            + pk.b_g2_query[0]
            + msm_g2(&pk.b_g2_query[1..], &assignment)
            + pk.vk.beta_g2;
        timings.msm_b_g2 = stage.elapsed();

        let stage = Instant::now();
        let h_acc = msm_g1(&pk.h_query, &bigints(&h));
        let l_acc = msm_g1(&pk.l_query, &assignment[self.instance_variables - 1..]);
        let c = a * s + b_g1 * r - pk.delta_g1.into_group() * (r * s) + l_acc + h_acc;
        timings.msm_c = stage.elapsed();

        timings.total = started.elapsed();
        Ok((
            Proof {
                a: a.into_affine(),
                b: b_g2.into_affine(),
                c: c.into_affine(),
            },
            timings,
        ))
    }

    /// Proves several batches at once (each proof also uses every core in its MSMs and FFTs;
    /// running them together overlaps one's single-threaded synthesis with another's MSMs).
    pub fn prove_all(
        &self,
        witnesses: Vec<BatchWitness>,
    ) -> Vec<Result<(Proof<Bn254>, ProveTimings), ProverError>> {
        witnesses
            .into_par_iter()
            .map(|witness| self.prove(witness, &mut rand::rngs::OsRng))
            .collect()
    }

    /// Whether `proof` proves the batch with this commitment.
    pub fn verify(&self, proof: &Proof<Bn254>, commitment: Fr) -> bool {
        Groth16::<Bn254>::verify_with_processed_vk(&self.verifying_key, &[commitment], proof)
            .unwrap_or(false)
    }
}

/// Whether `proof` proves the batch with this commitment under `verifying_key`.
pub fn verify(verifying_key: &VerifyingKey<Bn254>, proof: &Proof<Bn254>, commitment: Fr) -> bool {
    Groth16::<Bn254>::verify(verifying_key, &[commitment], proof).unwrap_or(false)
}

#[cfg(test)]
mod tests;
