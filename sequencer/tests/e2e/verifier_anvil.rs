//! The Solidity verifier (the committed `Groth16Verifier` artifact, deployed on anvil with a
//! real verifying key) and the Rust verifier agree, accepting and refusing, on the same
//! valid and corrupted proofs, one at a time and checked together; malformed inputs revert
//! with their custom errors.

use alloy::node_bindings::Anvil;
use alloy::primitives::U256;
use alloy::providers::ProviderBuilder;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_groth16::{Groth16, Proof};
use verity_circuits::batch::statement::PUBLIC_INPUTS;
use verity_circuits::circuit::CircuitSize;
use verity_l1::contracts::{proof_words, public_input_words, verifier_key_words, Groth16Verifier};
use verity_prover::setup;
use verity_prover::BatchProver;
use verity_tests::workload::Workload;

const SIZE: CircuitSize = CircuitSize {
    slots: 2,
    fee_slots: 1,
    depth: 2,
};
const Q: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";
const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";

#[tokio::test(flavor = "multi_thread")]
async fn solidity_and_rust_verifiers_agree() {
    let prover = BatchProver::new(SIZE, setup(SIZE, &mut rand::rngs::OsRng).unwrap()).unwrap();
    let mut workload = Workload::new(SIZE.depth, 3, 1);
    let (batch, witness) = workload.next_batch(SIZE).unwrap();
    let (proof, _) = prover.prove(witness, &mut rand::rngs::OsRng).unwrap();
    let inputs = batch.public_inputs();
    let mut other = inputs.clone();
    other[6] += Fr::from(1u64);

    let anvil = Anvil::at(verity_tests::anvil_path()).spawn();
    let provider = ProviderBuilder::new()
        .wallet(anvil.wallet().expect("anvil's dev accounts"))
        .connect_http(anvil.endpoint_url());
    let verifier = Groth16Verifier::deploy(&provider, verifier_key_words(prover.verifying_key()))
        .await
        .expect("deploys");

    let rerandomized =
        Groth16::<Bn254>::rerandomize_proof(prover.verifying_key(), &proof, &mut rand::rngs::OsRng);
    let shifted = Proof {
        a: (proof.a.into_group() + G1Projective::from(G1Affine::generator())).into_affine(),
        ..proof.clone()
    };
    let swapped = Proof {
        a: proof.c,
        c: proof.a,
        ..proof.clone()
    };
    let cases = [
        ("valid", proof.clone(), inputs.clone(), true),
        ("re-randomized", rerandomized, inputs.clone(), true),
        ("other public input", proof.clone(), other.clone(), false),
        ("A moved", shifted, inputs.clone(), false),
        ("A and C swapped", swapped, inputs.clone(), false),
    ];
    for (name, case, input, expected) in cases {
        assert_eq!(
            prover.verify(&case, &input),
            expected,
            "Rust verifier, {name}"
        );
        let on_chain = verifier
            .verifyProof(proof_words(&case), public_input_words(&input))
            .call()
            .await
            .unwrap();
        assert_eq!(on_chain, expected, "Solidity verifier, {name}");
    }
    let gas = verifier
        .verifyProof(proof_words(&proof), public_input_words(&inputs))
        .estimate_gas()
        .await
        .unwrap();
    println!("verifyProof transaction gas (including the 21,000 base and calldata): {gas}");

    // Checked together: each false proof among true ones is found, wherever it stands.
    let (next_batch, next_witness) = workload.next_batch(SIZE).unwrap();
    let (next, _) = prover.prove(next_witness, &mut rand::rngs::OsRng).unwrap();
    let next_inputs = next_batch.public_inputs();
    assert!(prover.verify(&next, &next_inputs));
    let together = |cases: &[(&Proof<Bn254>, &Vec<Fr>)]| {
        let verifier = &verifier;
        let proofs = cases
            .iter()
            .map(|(p, _)| proof_words(p))
            .collect::<Vec<_>>();
        let inputs = cases
            .iter()
            .map(|(_, i)| public_input_words(i))
            .collect::<Vec<_>>();
        async move { verifier.verifyProofs(proofs, inputs).call().await }
    };
    type Group<'a> = (&'a str, Vec<(&'a Proof<Bn254>, &'a Vec<Fr>)>, bool);
    let groups: [Group; 6] = [
        (
            "two valid",
            vec![(&proof, &inputs), (&next, &next_inputs)],
            true,
        ),
        ("one valid", vec![(&next, &next_inputs)], true),
        (
            "second false",
            vec![(&proof, &inputs), (&next, &other)],
            false,
        ),
        (
            "first false",
            vec![(&proof, &other), (&next, &next_inputs)],
            false,
        ),
        (
            "proofs swapped",
            vec![(&next, &inputs), (&proof, &next_inputs)],
            false,
        ),
        (
            "the same valid proof thrice, then a false one",
            vec![
                (&proof, &inputs),
                (&proof, &inputs),
                (&proof, &inputs),
                (&next, &inputs),
            ],
            false,
        ),
    ];
    for (name, cases, expected) in groups {
        assert_eq!(
            together(&cases).await.unwrap(),
            expected,
            "verifyProofs, {name}"
        );
    }
    let proofs = vec![proof_words(&proof), proof_words(&next)];
    let rows = vec![
        public_input_words(&inputs),
        public_input_words(&next_inputs),
    ];
    let gas_two = verifier
        .verifyProofs(proofs.clone(), rows.clone())
        .estimate_gas()
        .await
        .unwrap();
    println!("verifyProofs transaction gas for two proofs: {gas_two}");
    for (proofs, rows) in [(Vec::new(), Vec::new()), (proofs[..1].to_vec(), rows)] {
        let message = format!(
            "{:?}",
            verifier
                .verifyProofs(proofs, rows)
                .call()
                .await
                .expect_err("must revert")
        );
        let selector =
            alloy::hex::encode(&alloy::primitives::keccak256("ProofCountMismatch()")[..4]);
        assert!(
            message.contains(&selector),
            "expected ProofCountMismatch, got {message}"
        );
    }

    let q: U256 = Q.parse().unwrap();
    let r: U256 = R.parse().unwrap();
    let reverts = |result: Result<bool, alloy::contract::Error>, error: &str| {
        let message = format!("{:?}", result.expect_err("must revert"));
        let selector = alloy::hex::encode(&alloy::primitives::keccak256(error.as_bytes())[..4]);
        assert!(
            message.contains(&selector),
            "expected {error}, got {message}"
        );
    };
    let words = public_input_words(&inputs);
    let call = |proof: [U256; 8], inputs: [U256; PUBLIC_INPUTS]| {
        let verifier = &verifier;
        async move { verifier.verifyProof(proof, inputs).call().await }
    };
    let last = PUBLIC_INPUTS - 1;
    for (position, value) in [(0, r), (last, words[last] + r)] {
        let mut bad = words;
        bad[position] = value;
        reverts(
            call(proof_words(&proof), bad).await,
            "PublicInputNotInField()",
        );
    }
    let mut out_of_field = proof_words(&proof);
    out_of_field[0] = q;
    reverts(call(out_of_field, words).await, "CoordinateNotInField()");
    let mut off_curve = proof_words(&proof);
    off_curve[0] = U256::from(1u64);
    off_curve[1] = U256::from(3u64);
    reverts(call(off_curve, words).await, "PrecompileFailed()");
}
