//! `verity-bench prove` and `verity-bench gas` as `scripts/verity bench …` runs them: the
//! exported proof verifies in snarkjs 0.7.6 and fails there with a changed input, snarkjs
//! proves the exported .zkey and .wtns into a proof Verity's Rust and Solidity verifiers
//! accept (and refuse with a changed input); the gas
//! report's parts add up on anvil.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bench(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verity-bench"))
        .args(args)
        .output()
        .expect("running verity-bench")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("verity-bench printed JSON")
}

fn args<'a>(words: &'a [&'a str]) -> Vec<&'a OsStr> {
    words.iter().map(OsStr::new).collect()
}

fn snarkjs_verify(dir: &Path, public: &str) -> (bool, String) {
    verity_tests::snarkjs(&[
        OsStr::new("groth16"),
        OsStr::new("verify"),
        dir.join("verification_key.json").as_os_str(),
        dir.join(public).as_os_str(),
        dir.join("proof.json").as_os_str(),
    ])
}

#[test]
fn prove_reports_both_provers_and_exports_a_proof_snarkjs_accepts() {
    let dir = std::env::temp_dir().join(format!("verity-bench-{}", std::process::id()));
    let mut words = args(&[
        "prove",
        "--slots",
        "2",
        "--depth",
        "2",
        "--fee-slots",
        "1",
        "--batches",
        "1",
        "--json",
        "--export",
    ]);
    words.push(dir.as_os_str());
    let report = json(&bench(&words));
    for prover in ["verity", "baseline_ark_groth16"] {
        assert!(report[prover]["prove_seconds_median"].as_f64().unwrap() > 0.0);
        assert!(report[prover]["constraints_per_second"].as_f64().unwrap() > 0.0);
    }
    let stages = &report["verity_stages_median_seconds"];
    let (c, h, l) = (
        stages["msm_c_g1"].as_f64().unwrap(),
        stages["msm_h_g1"].as_f64().unwrap(),
        stages["msm_l_g1"].as_f64().unwrap(),
    );
    assert!((c - (h + l)).abs() < 1e-6, "msm_c_g1 is the h and l MSMs");
    let matrices = &report["matrices"];
    assert_eq!(matrices["constraints"], report["constraints"]);
    assert!(matrices["nonzeros_a"].as_u64().unwrap() > 0);
    assert!(matrices["domain_size"].as_u64().unwrap() > report["constraints"].as_u64().unwrap());
    let counted: u64 = report["witness_magnitudes"]["magnitude_bits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted + 1, matrices["variables"].as_u64().unwrap());
    assert!(report["speedup_vs_baseline"].as_f64().is_some());

    let (accepted, output) = snarkjs_verify(&dir, "public.json");
    assert!(
        accepted && output.contains("OK"),
        "snarkjs refused the proof: {output}"
    );
    let public: Vec<String> =
        serde_json::from_slice(&std::fs::read(dir.join("public.json")).unwrap()).unwrap();
    let changed =
        verity_circuits::field::parse_fr(&public[0]).unwrap() + verity_circuits::Fr::from(1u64);
    let changed = vec![verity_circuits::field::fr_to_decimal(&changed)];
    std::fs::write(
        dir.join("public_changed.json"),
        serde_json::to_vec(&changed).unwrap(),
    )
    .unwrap();
    let (accepted, output) = snarkjs_verify(&dir, "public_changed.json");
    assert!(
        !accepted && output.contains("Invalid proof"),
        "snarkjs accepted a changed input: {output}"
    );

    // Another prover (snarkjs) proves the same batch from Verity's .zkey and .wtns; Verity's
    // verifier accepts that proof, and refuses it with the changed input.
    let (proved, output) = verity_tests::snarkjs(&[
        OsStr::new("groth16"),
        OsStr::new("prove"),
        dir.join("proving_key.zkey").as_os_str(),
        dir.join("witness.wtns").as_os_str(),
        dir.join("snarkjs_proof.json").as_os_str(),
        dir.join("snarkjs_public.json").as_os_str(),
    ]);
    assert!(proved, "snarkjs could not prove: {output}");
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    };
    assert_eq!(read("snarkjs_public.json"), read("public.json"));
    let proof = verity_prover::snarkjs::parse_proof(&read("snarkjs_proof.json")).unwrap();
    let verifying_key = verity_prover::KeyDirectory::new(&dir)
        .verifying_key()
        .unwrap();
    let inputs: Vec<verity_circuits::Fr> = public
        .iter()
        .map(|input| verity_circuits::field::parse_fr(input).unwrap())
        .collect();
    let mut changed = inputs.clone();
    changed[6] += verity_circuits::Fr::from(1u64);
    assert!(verity_prover::verify(&verifying_key, &proof, &inputs));
    assert!(!verity_prover::verify(&verifying_key, &proof, &changed));
    // And the Solidity verifier of that key, on anvil.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use alloy::providers::ProviderBuilder;
        use verity_l1::contracts::{proof_words, verifier_key_words, Groth16Verifier};
        let anvil = alloy::node_bindings::Anvil::at(verity_tests::anvil_path()).spawn();
        let provider = ProviderBuilder::new()
            .wallet(anvil.wallet().expect("anvil's dev accounts"))
            .connect_http(anvil.endpoint_url());
        let verifier = Groth16Verifier::deploy(&provider, verifier_key_words(&verifying_key))
            .await
            .unwrap();
        for (input, expected) in [(&inputs, true), (&changed, false)] {
            let accepted = verifier
                .verifyProof(
                    proof_words(&proof),
                    verity_l1::contracts::public_input_words(input),
                )
                .call()
                .await
                .unwrap();
            assert_eq!(accepted, expected);
        }
    });
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gas_splits_submit_batch_gas_on_anvil() {
    let anvil = verity_tests::anvil_path();
    let mut words = args(&["gas", "--slots", "1,2", "--depth", "2", "--json", "--anvil"]);
    words.push(anvil.as_os_str());
    let report = json(&bench(&words));
    let batches = report["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2);
    for batch in batches {
        let total = batch["total"].as_u64().unwrap();
        let parts = [
            "base_transaction",
            "calldata",
            "proof_verification",
            "hashing_storage_and_events",
        ];
        assert_eq!(
            parts
                .iter()
                .map(|p| batch[p].as_u64().unwrap())
                .sum::<u64>(),
            total
        );
        assert!(batch["proof_verification"].as_u64().unwrap() > 181_000);
    }
    assert!(
        report["projected_gas_per_transfer_at_1024_slots"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let users = &report["user_operations"];
    let gas = |field: &str| users[field].as_u64().unwrap();
    for field in [
        "deposit_eth_first",
        "deposit_eth",
        "deposit_erc20_first",
        "deposit_erc20",
        "claim_eth",
        "forced_exit_request",
    ] {
        assert!(gas(field) > 21_000, "{field}: {users}");
    }
    assert_eq!(
        gas("payout_share"),
        gas("submit_batch_with_one_withdrawal") - gas("submit_batch_with_one_transfer")
    );
    // Paid straight to the user: at least the value transfer's 9,000, and no storage word.
    assert!(
        (9_000..20_000).contains(&gas("payout_share")),
        "a direct payment: {users}"
    );
    assert_eq!(
        gas("payout_share_pending"),
        gas("submit_batch_with_one_pending_payout") - gas("submit_batch_with_one_transfer")
    );
    assert!(
        gas("payout_share_pending") > gas("payout_share") + 20_000,
        "a refused payment and then a fresh pending balance: {users}"
    );
}
