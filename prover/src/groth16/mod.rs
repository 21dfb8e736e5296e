//! The staged batch prover. Plain `ark-groth16` synthesises the whole constraint system,
//! matrices included, for every proof; this prover compresses A and B once (see
//! [`crate::qap`]), then per proof only computes the assignment (one copy), the QAP witness
//! map and the multi-scalar multiplications with Verity's batch-affine MSM
//! ([`crate::msm`]), timing each stage. `ark-groth16` keeps its assignment-level prover
//! private, so the proof's assembly from the MSMs is written here, mirroring it. A proof made
//! from a witness that breaks a rule does not verify, so callers check every proof with
//! [`BatchProver::verify`] before using it.

use std::time::{Duration, Instant};

use ark_bn254::{g1, g2, Bn254, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::UniformRand;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use serde::Serialize;
use verity_circuits::circuit::{BatchCircuit, BatchWitness, CircuitSize};

use crate::msm::{msm, QueryPoints, Scalars};
use crate::qap::{MatrixProfile, Qap};
use crate::r1cs::R1cs;
use crate::{ProverError, Zkey};

/// Where one proof's time went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ProveTimings {
    /// Witness generation: synthesising the assignment.
    #[serde(with = "seconds")]
    pub synthesis: Duration,
    /// The QAP witness map (three inverse FFTs and three coset FFTs).
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
    /// MSMs for C: `msm_h` and `msm_l` together.
    #[serde(with = "seconds")]
    pub msm_c: Duration,
    /// MSM of the h query (the quotient's coefficients: random-looking scalars).
    #[serde(with = "seconds")]
    pub msm_h: Duration,
    /// MSM of the l query (the witness).
    #[serde(with = "seconds")]
    pub msm_l: Duration,
    /// End to end.
    #[serde(with = "seconds")]
    pub total: Duration,
}

/// A batch assignment's values by magnitude (see [`BatchProver::witness_profile`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct WitnessProfile {
    /// Counts for magnitudes of 0, 1, ≤ 8, ≤ 16, ≤ 32, ≤ 64, ≤ 128 and more bits.
    pub magnitude_bits: [usize; 8],
    /// Values counted by their negation.
    pub negated: usize,
}

mod seconds {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// Keys, compact constraint matrices and prepared verifying key for one circuit size.
pub struct BatchProver {
    size: CircuitSize,
    points: ProvingPoints,
    verifying_key: PreparedVerifyingKey<Bn254>,
    qap: Qap,
    instance_variables: usize,
    witness_variables: usize,
}

/// The proving key as the prover reads it: each query as [`QueryPoints`] (no points at
/// infinity, no infinity flags), the constant variable's points apart, and the verifying
/// key. For the 32-slot circuit the queries take 471 MB, where `ProvingKey`'s vectors
/// take 628 MB: 72 bytes a G1 point and 136 a G2 point there, 64 and 128 (plus a 4-byte
/// scalar index in a query with points at infinity) here, and B's 523k points at infinity
/// are gone.
struct ProvingPoints {
    vk: VerifyingKey<Bn254>,
    beta_g1: G1Affine,
    delta_g1: G1Affine,
    /// The constant one's points in the A, B (G1) and B (G2) queries.
    one: (G1Affine, G1Affine, G2Affine),
    /// The other variables' points, in variable order.
    a: QueryPoints<g1::Config>,
    b_g1: QueryPoints<g1::Config>,
    b_g2: QueryPoints<g2::Config>,
    /// One point an odd point of the doubled domain (see [`Zkey::h`]).
    h: QueryPoints<g1::Config>,
    /// One point a witness variable.
    l: QueryPoints<g1::Config>,
}

impl ProvingPoints {
    /// Takes `key` apart query by query, so that at most one query is held twice.
    fn new(mut key: Zkey) -> ProvingPoints {
        let one = (key.a[0], key.b_g1[0], key.b_g2[0]);
        let take = |query: &mut Vec<G1Affine>, skip: usize| {
            let points = QueryPoints::new(&query[skip..]);
            *query = Vec::new();
            points
        };
        let a = take(&mut key.a, 1);
        let b_g1 = take(&mut key.b_g1, 1);
        let h = take(&mut key.h, 0);
        let l = take(&mut key.c, 0);
        let b_g2 = QueryPoints::new(&key.b_g2[1..]);
        ProvingPoints {
            one,
            vk: key.vk,
            beta_g1: key.beta_g1,
            delta_g1: key.delta_g1,
            a,
            b_g1,
            b_g2,
            h,
            l,
        }
    }
}

/// Keys for `size` from `ark-groth16`'s own single-party setup, for [`prove_baseline`] (its
/// h query is not snarkjs's, so [`BatchProver`] does not take it).
pub fn baseline_setup<R: RngCore + CryptoRng>(
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

impl BatchProver {
    /// A prover for `size` with `key`; synthesises the circuit once for its matrices and
    /// refuses a key made for another circuit's shape.
    pub fn new(size: CircuitSize, key: Zkey) -> Result<BatchProver, ProverError> {
        // Before the prover's large vectors are made (see `crate::heap`).
        crate::heap::map_large_blocks();
        let r1cs = R1cs::of(size)?;
        let (instance_variables, variables) = (r1cs.inputs, r1cs.variables);
        let witness_variables = variables - instance_variables;
        let qap = Qap::new(&r1cs.matrices, instance_variables, variables)?;
        drop(r1cs);
        let shape = (key.variables, key.public_inputs + 1, key.domain_size);
        let expected = (variables, instance_variables, qap.profile().domain_size);
        let lengths = [key.a.len(), key.b_g1.len(), key.b_g2.len()];
        if shape != expected
            || lengths != [variables; 3]
            || key.c.len() != witness_variables
            || key.h.len() != key.domain_size
            || key.vk.gamma_abc_g1.len() != instance_variables
        {
            return Err(ProverError::KeyShape {
                expected_variables: expected.0,
                expected_domain: expected.2,
                found_variables: key.variables,
                found_domain: key.domain_size,
            });
        }
        let prover = BatchProver {
            size,
            verifying_key: ark_groth16::prepare_verifying_key(&key.vk),
            instance_variables,
            witness_variables,
            qap,
            points: ProvingPoints::new(key),
        };
        // The synthesis and the key's own form are gone: their pages go back to the system
        // instead of staying resident for the prover's life (see `crate::heap`).
        crate::heap::release_free_pages();
        Ok(prover)
    }

    /// The circuit size.
    pub fn size(&self) -> CircuitSize {
        self.size
    }

    /// Constraints of the circuit.
    pub fn constraints(&self) -> usize {
        self.qap.profile().constraints
    }

    /// Sizes of the constraint matrices.
    pub fn matrix_profile(&self) -> MatrixProfile {
        self.qap.profile()
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.points.vk
    }

    /// The full assignment (the constant one, the public input, the witness) of a batch, as
    /// a `.wtns` file holds it.
    pub fn assignment(&self, witness: BatchWitness) -> Result<Vec<Fr>, ProverError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        BatchCircuit { witness }.generate_constraints(cs.clone())?;
        let system = cs.into_inner().ok_or(ProverError::Shape(
            "the constraint system is still referenced after synthesis",
        ))?;
        let instance = system.assignments.instance_assignment;
        let mut full = system.assignments.witness_assignment;
        if full.len() != self.witness_variables || instance.len() != self.instance_variables {
            return Err(ProverError::WitnessShape {
                expected: self.witness_variables,
                found: full.len(),
            });
        }
        // In place: the witness is by far the larger part.
        full.splice(0..0, instance);
        Ok(full)
    }

    /// How many of a batch's assignment values (the constant one excluded) have each
    /// magnitude, a value `k` above `r / 2` counted as `r − k`: `[zero, one bit, up to 8, 16,
    /// 32, 64, 128, more]`, and how many were such negations.
    pub fn witness_profile(&self, witness: BatchWitness) -> Result<WitnessProfile, ProverError> {
        let full = self.assignment(witness)?;
        let mut profile = WitnessProfile::default();
        for (bits, negated) in Scalars::new(&full[1..]).magnitudes() {
            let class = match bits {
                0 => 0,
                1 => 1,
                2..=8 => 2,
                9..=16 => 3,
                17..=32 => 4,
                33..=64 => 5,
                65..=128 => 6,
                _ => 7,
            };
            profile.magnitude_bits[class] += 1;
            profile.negated += usize::from(negated);
        }
        Ok(profile)
    }

    /// Proves one batch.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        witness: BatchWitness,
        rng: &mut R,
    ) -> Result<(Proof<Bn254>, ProveTimings), ProverError> {
        let started = Instant::now();
        let mut timings = ProveTimings::default();
        let full = self.assignment(witness)?;
        timings.synthesis = started.elapsed();

        let stage = Instant::now();
        let h = Scalars::from_vec(self.qap.quotient(&full));
        timings.witness_map = stage.elapsed();

        let pk = &self.points;
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);

        // The h query first, so that its scalars are gone before the G2 query's larger
        // buckets are made: the proof's peak memory is then the witness map's.
        let stage = Instant::now();
        let h_acc = msm(&pk.h, h.slice(0..pk.h.len()));
        drop(h);
        timings.msm_h = stage.elapsed();

        // Prepared in place: every variable but the constant one, in query order; the l
        // query takes the witness.
        let variables = full.len();
        let assignment = Scalars::from_vec(full);
        let every_variable = assignment.slice(1..variables);
        let witness_variables = assignment.slice(self.instance_variables..variables);

        let stage = Instant::now();
        let a = pk.delta_g1 * r + pk.one.0 + msm(&pk.a, every_variable) + pk.vk.alpha_g1;
        timings.msm_a = stage.elapsed();

        let stage = Instant::now();
        let b_g1 = pk.delta_g1 * s + pk.one.1 + msm(&pk.b_g1, every_variable) + pk.beta_g1;
        timings.msm_b_g1 = stage.elapsed();

        let stage = Instant::now();
        let b_g2 = pk.vk.delta_g2 * s + pk.one.2 + msm(&pk.b_g2, every_variable) + pk.vk.beta_g2;
        timings.msm_b_g2 = stage.elapsed();

        let stage = Instant::now();
        let l_acc = msm(&pk.l, witness_variables);
        timings.msm_l = stage.elapsed();
        timings.msm_c = timings.msm_h + timings.msm_l;
        let c = a * s + b_g1 * r - pk.delta_g1.into_group() * (r * s) + l_acc + h_acc;
        drop(assignment);
        // The proof's vectors are freed; without this glibc keeps most of them resident
        // between proofs, and the next proof's allocations fragment around them (at 32 slots
        // a second proof peaked 20 MB above the first).
        crate::heap::release_free_pages();

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

    /// Whether `proof` proves the batch statement with these public inputs.
    pub fn verify(&self, proof: &Proof<Bn254>, public_inputs: &[Fr]) -> bool {
        Groth16::<Bn254>::verify_with_processed_vk(&self.verifying_key, public_inputs, proof)
            .unwrap_or(false)
    }
}

/// Whether `proof` proves the batch statement with these public inputs under
/// `verifying_key`.
pub fn verify(
    verifying_key: &VerifyingKey<Bn254>,
    proof: &Proof<Bn254>,
    public_inputs: &[Fr],
) -> bool {
    Groth16::<Bn254>::verify(verifying_key, public_inputs, proof).unwrap_or(false)
}

#[cfg(test)]
mod tests;
