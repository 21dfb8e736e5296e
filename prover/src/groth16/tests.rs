//! Keys, the staged prover and the baseline on a small circuit.

use std::sync::OnceLock;

use alloy_primitives::Address;
use verity_circuits::batch::BatchBuilder;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, Domain, L2Tx, PriorityOp, Transfer};
use verity_circuits::state::{State, StateConfig};

use super::*;
use crate::keys::KeyDirectory;

const SIZE: CircuitSize = CircuitSize {
    slots: 2,
    fee_slots: 1,
    depth: 4,
};
const DOMAIN: Domain = Domain {
    chain_id: 1337,
    rollup_address: Address::repeat_byte(0x77),
};

/// A prover and the proving key it was made from (which it keeps only in its own form).
fn fixture() -> &'static (BatchProver, ProvingKey<Bn254>) {
    static FIXTURE: OnceLock<(BatchProver, ProvingKey<Bn254>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = setup(SIZE, &mut rand::rngs::OsRng).unwrap();
        (BatchProver::new(SIZE, key.clone()).unwrap(), key)
    })
}

fn prover() -> &'static BatchProver {
    &fixture().0
}

fn proving_key() -> &'static ProvingKey<Bn254> {
    &fixture().1
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
fn staged_and_baseline_proofs_verify_bind_the_commitment_and_agree() {
    use rand::SeedableRng;

    let prover = prover();
    let witness = witness();
    let commitment = witness.commitment;
    let seeded = || rand::rngs::StdRng::seed_from_u64(7);
    let (proof, timings) = prover.prove(witness.clone(), &mut seeded()).unwrap();
    println!("{} constraints, {timings:?}", prover.constraints());
    assert!(prover.verify(&proof, commitment));
    assert!(verify(prover.verifying_key(), &proof, commitment));
    assert!(!prover.verify(&proof, commitment + Fr::from(1u64)));

    // Both draw r then s: with the same randomness, the same proof, point for point (our
    // MSMs and witness map compute exactly what arkworks' do).
    let baseline = prove_baseline(proving_key(), witness, &mut seeded()).unwrap();
    assert_eq!(baseline, proof);
}

#[test]
fn several_batches_at_once() {
    let prover = prover();
    let witnesses = vec![witness(), BatchCircuit::blank(SIZE).witness];
    let commitments: Vec<Fr> = witnesses.iter().map(|w| w.commitment).collect();
    for (result, commitment) in prover.prove_all(witnesses).into_iter().zip(commitments) {
        let (proof, _) = result.unwrap();
        assert!(prover.verify(&proof, commitment));
    }
}

#[test]
fn a_witness_breaking_a_rule_yields_no_valid_proof() {
    let prover = prover();
    let mut witness = witness();
    witness.slots[1].fields.signature = PrivateKey::from_bytes([8; 32]).sign(Fr::from(1u64));
    let commitment = witness.commitment;
    let (proof, _) = prover.prove(witness, &mut rand::rngs::OsRng).unwrap();
    assert!(!prover.verify(&proof, commitment));
}

#[test]
fn key_directory_round_trips_and_checks_the_key_hash() {
    let prover = prover();
    let dir = std::env::temp_dir().join(format!("verity-keys-{}", std::process::id()));
    let keys = KeyDirectory::new(&dir);
    let metadata = keys
        .write(SIZE, prover.constraints(), proving_key())
        .unwrap();
    assert_eq!(keys.metadata().unwrap(), metadata);
    let (loaded_meta, loaded) = keys.proving_key().unwrap();
    assert_eq!(loaded_meta.size, SIZE);
    assert!(loaded == *proving_key());
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
fn witness_map_without_c_equals_libsnarks_reduction_with_it() {
    use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
    use ark_poly::GeneralEvaluationDomain;

    let prover = prover();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    BatchCircuit::blank(SIZE)
        .generate_constraints(cs.clone())
        .unwrap();
    cs.finalize();
    let matrices = cs
        .to_matrices()
        .unwrap()
        .remove(R1CS_PREDICATE_LABEL)
        .unwrap();
    let full = prover.assignment(witness()).unwrap();
    let expected = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
        &matrices,
        cs.num_instance_variables(),
        cs.num_constraints(),
        &full,
    )
    .unwrap();
    assert_eq!(prover.qap.quotient(&full), expected);

    let profile = prover.matrix_profile();
    let nonzeros =
        |m: &ark_relations::utils::matrix::Matrix<Fr>| m.iter().map(Vec::len).sum::<usize>();
    assert_eq!(
        (profile.nonzeros_a, profile.nonzeros_b, profile.nonzeros_c),
        (
            nonzeros(&matrices[0]),
            nonzeros(&matrices[1]),
            nonzeros(&matrices[2])
        )
    );
    assert_eq!(profile.constraints, cs.num_constraints());
    assert_eq!(profile.domain_size, proving_key().h_query.len() + 1);
    assert_eq!(
        profile.domain_size,
        BatchCircuit::constraint_report(SIZE).unwrap().fft_domain
    );
}

#[test]
fn witness_profile_counts_every_value() {
    let prover = prover();
    let profile = prover.witness_profile(witness()).unwrap();
    assert_eq!(
        profile.magnitude_bits.iter().sum::<usize>(),
        prover.instance_variables + prover.witness_variables - 1
    );
    // Range checks allocate bits: most values are 0 or 1.
    assert!(profile.magnitude_bits[0] + profile.magnitude_bits[1] > profile.magnitude_bits[7]);
}
