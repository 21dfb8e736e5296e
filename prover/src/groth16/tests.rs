//! Keys, the staged prover and the baseline on a small circuit.

use std::sync::OnceLock;

use alloy_primitives::Address;
use verity_circuits::batch::BatchBuilder;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, Domain, L2Tx, PriorityOp, Transfer};
use verity_circuits::state::{State, StateConfig};

use ark_ff::{AdditiveGroup, UniformRand};

use super::*;
use crate::keys::KeyDirectory;
use crate::r1cs::R1cs;

const SIZE: CircuitSize = CircuitSize {
    slots: 2,
    fee_slots: 1,
    depth: 4,
};
const DOMAIN: Domain = Domain {
    chain_id: 1337,
    rollup_address: Address::repeat_byte(0x77),
};

/// A prover, the key it was made from (which it keeps only in its own form), and
/// `ark-groth16`'s key from the same secrets (τ, α, β, δ; γ = 1; the standard generators).
struct Fixture {
    prover: BatchProver,
    key: Zkey,
    arkworks_key: ProvingKey<Bn254>,
}

fn fixture() -> &'static Fixture {
    use ark_ec::PrimeGroup;
    use rand::SeedableRng;

    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // ark-groth16 draws τ from its rng, first thing: the same seed gives the same τ.
        let seeded = || rand::rngs::StdRng::seed_from_u64(11);
        let mut rng = rand::rngs::OsRng;
        let secrets = crate::phase2::Secrets {
            tau: Fr::rand(&mut seeded()),
            alpha: Fr::rand(&mut rng),
            beta: Fr::rand(&mut rng),
            delta: Fr::rand(&mut rng),
        };
        let key = crate::phase2::key_from_secrets(&R1cs::of(SIZE).unwrap(), &secrets).unwrap();
        let arkworks_key = Groth16::<Bn254>::generate_parameters_with_qap(
            BatchCircuit::blank(SIZE),
            secrets.alpha,
            secrets.beta,
            Fr::from(1u64),
            secrets.delta,
            ark_bn254::G1Projective::generator(),
            ark_bn254::G2Projective::generator(),
            &mut seeded(),
        )
        .unwrap();
        Fixture {
            prover: BatchProver::new(SIZE, key.clone()).unwrap(),
            key,
            arkworks_key,
        }
    })
}

fn prover() -> &'static BatchProver {
    &fixture().prover
}

/// A deposit then a transfer from the new account to itself.
fn witness() -> BatchWitness {
    let key = PrivateKey::from_bytes([9; 32]);
    let mut state = State::new(StateConfig {
        depth: SIZE.depth,
        domain: DOMAIN,
    })
    .unwrap();
    let pre = state.clone();
    let mut builder = BatchBuilder::new(
        &mut state,
        SIZE.batch_params(),
        1,
        Fr::from(0u64),
        Default::default(),
    );
    let deposit = Deposit {
        pubkey: key.public_key(),
        l1_address: Address::repeat_byte(1),
        token: 0,
        amount: 100,
    };
    builder
        .push_priority(&PriorityOp::Deposit(deposit))
        .unwrap();
    let transfer = Transfer {
        from: 0,
        to: 0,
        token: 0,
        amount: 60,
        fee: 0,
        nonce: 0,
    };
    builder
        .push_l2(&L2Tx::sign_transfer(transfer, &key, &DOMAIN))
        .unwrap();
    let batch = builder.seal();
    BatchWitness::build(&pre, &batch, SIZE).unwrap()
}

#[test]
fn staged_and_baseline_proofs_verify_bind_the_public_inputs_and_agree() {
    use rand::SeedableRng;

    let prover = prover();
    let witness = witness();
    let inputs = witness.public_inputs();
    let seeded = || rand::rngs::StdRng::seed_from_u64(7);
    let (proof, timings) = prover.prove(witness.clone(), &mut seeded()).unwrap();
    println!("{} constraints, {timings:?}", prover.constraints());
    assert!(prover.verify(&proof, &inputs));
    assert!(verify(prover.verifying_key(), &proof, &inputs));
    for position in 0..inputs.len() {
        let mut other = inputs.clone();
        other[position] += Fr::from(1u64);
        assert!(!prover.verify(&proof, &other), "input {position}");
    }

    // Both draw r then s: with keys from the same secrets and the same randomness, the same
    // proof, point for point. The h queries differ in form (snarkjs's Lagrange points on
    // the doubled domain, arkworks' powers of τ) but both sum to h(τ)·Z(τ)/δ.
    assert_eq!(fixture().arkworks_key.vk, *prover.verifying_key());
    let baseline = prove_baseline(&fixture().arkworks_key, witness, &mut seeded()).unwrap();
    assert_eq!(baseline, proof);
}

#[test]
fn several_batches_at_once() {
    let prover = prover();
    let witnesses = vec![witness(), BatchCircuit::blank(SIZE).witness];
    let inputs: Vec<Vec<Fr>> = witnesses.iter().map(|w| w.public_inputs()).collect();
    for (result, inputs) in prover.prove_all(witnesses).into_iter().zip(inputs) {
        let (proof, _) = result.unwrap();
        assert!(prover.verify(&proof, &inputs));
    }
}

#[test]
fn a_witness_breaking_a_rule_yields_no_valid_proof() {
    let prover = prover();
    let mut witness = witness();
    witness.slots[1].fields.signature = PrivateKey::from_bytes([8; 32]).sign(Fr::from(1u64));
    let inputs = witness.public_inputs();
    let (proof, _) = prover.prove(witness, &mut rand::rngs::OsRng).unwrap();
    assert!(!prover.verify(&proof, &inputs));
}

#[test]
fn key_directory_round_trips_and_checks_the_key_hash() {
    let prover = prover();
    let dir = std::env::temp_dir().join(format!("verity-keys-{}", std::process::id()));
    let keys = KeyDirectory::new(&dir);
    let metadata = keys
        .write(SIZE, prover.constraints(), &fixture().key)
        .unwrap();
    assert_eq!(keys.metadata().unwrap(), metadata);
    let (loaded_meta, loaded) = keys.proving_key().unwrap();
    assert_eq!(loaded_meta.size, SIZE);
    // Read for proving: everything but the coefficients.
    let expected = Zkey {
        coefficients: Vec::new(),
        ..fixture().key.clone()
    };
    assert!(loaded == expected);
    assert_eq!(keys.verifying_key().unwrap(), *prover.verifying_key());
    let sol = std::fs::read_to_string(dir.join(crate::keys::VERIFIER_SOL)).unwrap();
    assert!(sol.contains("contract Verifier is Groth16Verifier"));
    let implementation =
        std::fs::read_to_string(dir.join(crate::keys::GROTH16_VERIFIER_FILE)).unwrap();
    assert!(implementation.contains("function verifyProof"));

    let mut bytes = std::fs::read(dir.join(crate::keys::PROVING_KEY)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.join(crate::keys::PROVING_KEY), bytes).unwrap();
    assert!(matches!(
        keys.proving_key(),
        Err(ProverError::KeyHash { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn witness_map_is_h_times_z_on_the_odd_points_of_the_doubled_domain() {
    use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
    use ark_poly::{EvaluationDomain, GeneralEvaluationDomain, Radix2EvaluationDomain};

    let prover = prover();
    let r1cs = R1cs::of(SIZE).unwrap();
    let full = prover.assignment(witness()).unwrap();
    // libsnark's reduction (with C) gives h's coefficients; on the doubled domain's odd
    // points ω^(2j+1), Z(X) = X^n − 1 is −2, so p = h·Z is −2·h there.
    let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
        &r1cs.matrices,
        r1cs.inputs,
        r1cs.constraints(),
        &full,
    )
    .unwrap();
    let n = h.len();
    let odd_points = Radix2EvaluationDomain::<Fr>::new(n)
        .unwrap()
        .get_coset(
            Radix2EvaluationDomain::<Fr>::new(2 * n)
                .unwrap()
                .group_gen(),
        )
        .unwrap();
    let expected: Vec<Fr> = odd_points
        .fft(&h)
        .into_iter()
        .map(|value| -value.double())
        .collect();
    assert_eq!(prover.qap.quotient(&full), expected);

    let profile = prover.matrix_profile();
    let nonzeros =
        |m: &ark_relations::utils::matrix::Matrix<Fr>| m.iter().map(Vec::len).sum::<usize>();
    assert_eq!(
        (profile.nonzeros_a, profile.nonzeros_b, profile.nonzeros_c),
        (
            nonzeros(&r1cs.matrices[0]),
            nonzeros(&r1cs.matrices[1]),
            nonzeros(&r1cs.matrices[2])
        )
    );
    assert_eq!(profile.constraints, r1cs.constraints());
    assert_eq!(profile.domain_size, fixture().key.h.len());
    assert_eq!(
        profile.domain_size,
        BatchCircuit::constraint_report(SIZE).unwrap().fft_domain
    );
}

#[test]
fn a_key_for_another_circuit_is_refused() {
    let other = CircuitSize { slots: 1, ..SIZE };
    assert!(matches!(
        BatchProver::new(other, fixture().key.clone()),
        Err(ProverError::KeyShape { .. })
    ));
}

#[test]
fn witness_profile_counts_every_value() {
    let prover = prover();
    let profile = prover.witness_profile(witness()).unwrap();
    assert_eq!(
        profile.magnitude_bits.iter().sum::<usize>(),
        prover.instance_variables + prover.witness_variables - 1
    );
    // Hash states, curve points and Merkle nodes are full-size; range checks and pubdata
    // allocate bits (0 or 1), over a fifth of the values even without SHA-256's.
    let total: usize = profile.magnitude_bits.iter().sum();
    assert!(5 * (profile.magnitude_bits[0] + profile.magnitude_bits[1]) > total);
    assert!(profile.magnitude_bits[7] > total / 2);
}
