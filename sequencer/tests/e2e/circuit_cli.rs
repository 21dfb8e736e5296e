//! `verity circuit-info` and `verity setup` as operators run them.

use std::ffi::OsStr;
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
    assert_eq!(info["fft_domain"], report.fft_domain);
    assert!(report.fft_domain.is_power_of_two() && report.fft_domain / 2 < report.total + 2);
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
