//! `verity circuit-info`, `verity setup` and `verity bench prove` as operators run them;
//! the exported proof verifies in snarkjs 0.7.6 and fails there with a changed input.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use verity_circuits::circuit::{BatchCircuit, CircuitSize};

fn verity(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(args)
        .output()
        .expect("running verity")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("verity printed JSON")
}

fn args<'a>(words: &'a [&'a str]) -> Vec<&'a OsStr> {
    words.iter().map(OsStr::new).collect()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("verity-{name}-{}", std::process::id()))
}

#[test]
fn circuit_info_counts_without_a_setup() {
    let info = json(&verity(&args(&[
        "circuit-info",
        "--slots",
        "3",
        "--depth",
        "32",
        "--json",
    ])));
    let size = CircuitSize {
        slots: 3,
        fee_slots: 2,
        depth: 32,
    };
    let report = BatchCircuit::constraint_report(size).unwrap();
    assert_eq!(info["constraints"], report.total);
    for op in ["noop", "deposit", "forced_exit", "transfer", "withdraw"] {
        assert_eq!(info["per_operation"][op], report.per_operation());
    }
    assert_eq!(info["per_slot"]["total"], report.per_slot.total);
    let refused = verity(&args(&["circuit-info", "--slots", "3", "--depth", "33"]));
    assert!(!refused.status.success());
}

#[test]
fn setup_writes_every_key_file_and_warns() {
    let dir = temp_dir("setup");
    let mut words = args(&[
        "setup",
        "--slots",
        "1",
        "--depth",
        "2",
        "--fee-slots",
        "1",
        "--out",
    ]);
    words.push(dir.as_os_str());
    let output = verity(&words);
    let metadata = json(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("WARNING: single-party setup"));
    for file in [
        "proving_key.bin",
        "verifying_key.bin",
        "verification_key.json",
        "Verifier.sol",
        "keys.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    assert_eq!(metadata["size"]["slots"], 1);
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(dir.join("keys.json")).unwrap()).unwrap();
    assert_eq!(on_disk, metadata);
    std::fs::remove_dir_all(dir).unwrap();
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
fn bench_prove_reports_both_provers_and_exports_a_proof_snarkjs_accepts() {
    let dir = temp_dir("bench");
    let mut words = args(&[
        "bench",
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
    let report = json(&verity(&words));
    for prover in ["verity", "baseline_ark_groth16"] {
        assert!(report[prover]["prove_seconds_median"].as_f64().unwrap() > 0.0);
        assert!(report[prover]["constraints_per_second"].as_f64().unwrap() > 0.0);
    }
    assert!(report["verity_stages_median_seconds"]["msm_c_g1"]
        .as_f64()
        .is_some());
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
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bench_gas_splits_submit_batch_gas_on_anvil() {
    let anvil = verity_tests::anvil_path();
    let mut words = args(&[
        "bench", "gas", "--slots", "1,2", "--depth", "2", "--json", "--anvil",
    ]);
    words.push(anvil.as_os_str());
    let report = json(&verity(&words));
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
}
