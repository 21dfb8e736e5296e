//! `verity circuit-info`, `verity setup` and a trusted-setup ceremony (`verity setup --ptau`,
//! snarkjs, `verity import-zkey`) as operators run them.

use std::ffi::OsStr;
use std::process::{Command, Output};

use serde_json::Value;
use verity_circuits::circuit::{BatchCircuit, CircuitSize};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, PriorityOp};

use crate::support;

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
        "proving_key.zkey",
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

/// snarkjs with its output, asserting success.
fn snarkjs(words: &[&OsStr]) -> String {
    let (ok, output) = verity_tests::snarkjs(words);
    assert!(ok, "snarkjs {words:?} failed: {output}");
    output
}

/// `support::SIZE` as the command line gives it.
const SIZE_WORDS: [&str; 6] = ["--slots", "2", "--depth", "4", "--fee-slots", "1"];

/// Phase 2's start for `support::SIZE` in `dir` (created): a test `.ptau` with a random τ,
/// α and β, then `verity setup --ptau`; the `.ptau`'s path.
fn start_phase2(dir: &std::path::Path) -> std::path::PathBuf {
    use ark_ff::UniformRand;

    std::fs::create_dir_all(dir).unwrap();
    let domain = BatchCircuit::constraint_report(support::SIZE)
        .unwrap()
        .fft_domain;
    let mut rng = rand::rngs::OsRng;
    let ptau = dir.join("test.ptau");
    let [tau, alpha, beta] = [(); 3].map(|()| verity_circuits::Fr::rand(&mut rng));
    std::fs::write(
        &ptau,
        verity_tests::ptau::insecure_ptau(domain, tau, alpha, beta),
    )
    .unwrap();
    let mut words = args(&["setup"]);
    words.extend(args(&SIZE_WORDS));
    words.extend([
        OsStr::new("--ptau"),
        ptau.as_os_str(),
        OsStr::new("--out"),
        dir.as_os_str(),
    ]);
    let output = verity(&words);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    ptau
}

/// A chain of beacons alone is refused: a beacon's factor follows from its public hash, so
/// such a key's δ is public and anyone could forge proofs.
#[test]
fn a_key_of_beacons_alone_is_refused() {
    let dir = temp_dir("beacons");
    let ptau = start_phase2(&dir);
    let beaconed = dir.join("beaconed.zkey");
    snarkjs(&[
        OsStr::new("zkey"),
        OsStr::new("beacon"),
        dir.join("circuit_0000.zkey").as_os_str(),
        beaconed.as_os_str(),
        OsStr::new("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
        OsStr::new("10"),
        OsStr::new("-n=Only a beacon"),
    ]);
    let keys = dir.join("keys");
    let mut words = args(&["import-zkey"]);
    words.extend(args(&SIZE_WORDS));
    words.extend([
        OsStr::new("--zkey"),
        beaconed.as_os_str(),
        OsStr::new("--ptau"),
        ptau.as_os_str(),
        OsStr::new("--out"),
        keys.as_os_str(),
    ]);
    let output = verity(&words);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("only beacons"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A three-party ceremony as a deployment runs it: Verity starts phase 2 from a `.ptau`, two
/// snarkjs contributions and a beacon follow, `snarkjs zkey verify` accepts the chain, Verity
/// imports it (and refuses the start, a broken contribution and another circuit size), and
/// a batch proven with the imported key is accepted by the Rollup on anvil.
#[tokio::test(flavor = "multi_thread")]
async fn a_ceremony_from_a_ptau_through_snarkjs_contributions_imports_and_proves() {
    let dir = temp_dir("ceremony");
    let size = support::SIZE;
    let size_words = SIZE_WORDS;
    let ptau = start_phase2(&dir);
    let file = |name: &str| dir.join(name);
    let r1cs = file("circuit.r1cs");

    // Two contributions and a beacon; snarkjs recomputes phase 2's start from the .r1cs and
    // the .ptau (the same sections and circuit hash as Verity's) and checks the chain.
    let mut printed = String::new();
    for (from, to, name) in [
        ("circuit_0000.zkey", "circuit_0001.zkey", "Alice"),
        ("circuit_0001.zkey", "circuit_0002.zkey", "Bob"),
    ] {
        printed += &snarkjs(&[
            OsStr::new("zkey"),
            OsStr::new("contribute"),
            file(from).as_os_str(),
            file(to).as_os_str(),
            OsStr::new(&format!("--name={name}")),
            OsStr::new(&format!("-e={name}'s entropy")),
        ]);
    }
    printed += &snarkjs(&[
        OsStr::new("zkey"),
        OsStr::new("beacon"),
        file("circuit_0002.zkey").as_os_str(),
        file("circuit_final.zkey").as_os_str(),
        OsStr::new("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
        OsStr::new("10"),
        OsStr::new("-n=Final beacon"),
    ]);
    let verified = snarkjs(&[
        OsStr::new("zkey"),
        OsStr::new("verify"),
        r1cs.as_os_str(),
        ptau.as_os_str(),
        file("circuit_final.zkey").as_os_str(),
    ]);
    assert!(verified.contains("ZKey Ok!"), "{verified}");

    // Verity checks the same chain and records each contribution's hash as snarkjs printed it.
    let keys = dir.join("keys");
    let import = |zkey: &std::path::Path, size_words: &[&str]| {
        let mut words = args(&["import-zkey"]);
        words.extend(args(size_words));
        words.extend([
            OsStr::new("--zkey"),
            zkey.as_os_str(),
            OsStr::new("--ptau"),
            ptau.as_os_str(),
            OsStr::new("--out"),
            keys.as_os_str(),
        ]);
        verity(&words)
    };
    let metadata = json(&import(&file("circuit_final.zkey"), &size_words));
    let contributions = metadata["ceremony"].as_array().unwrap();
    let names: Vec<&str> = contributions
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alice", "Bob", "Final beacon"]);
    assert_eq!(contributions[2]["kind"], "beacon");
    let printed: String = printed.chars().filter(char::is_ascii_hexdigit).collect();
    for c in contributions {
        assert!(
            printed.contains(c["hash"].as_str().unwrap()),
            "snarkjs did not print {c}"
        );
    }
    assert!(metadata["setup"]
        .as_str()
        .unwrap()
        .starts_with("multi-party ceremony"));

    // Refused: the start (δ = 1), a contribution whose transcript was changed, another size.
    let refusal = |output: Output, expected: &str| {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !output.status.success() && stderr.contains(expected),
            "{stderr}"
        );
    };
    refusal(
        import(&file("circuit_0000.zkey"), &size_words),
        "no one has contributed",
    );
    let mut broken = std::fs::read(file("circuit_0002.zkey")).unwrap();
    // Section 10 ends the file: Bob's record ends with his transcript, its type, the
    // parameters' length and his name's parameter (type, length and "Bob": 5 bytes).
    let transcript_end = broken.len() - 5 - 8;
    broken[transcript_end - 1] ^= 1;
    std::fs::write(file("broken.zkey"), broken).unwrap();
    refusal(
        import(&file("broken.zkey"), &size_words),
        "contribution 2: its transcript",
    );
    refusal(
        import(
            &file("circuit_final.zkey"),
            &["--slots", "1", "--depth", "4", "--fee-slots", "1"],
        ),
        "the key is for",
    );

    // A deposit's batch proven with the imported key is accepted by the Rollup on anvil.
    let directory = verity_prover::KeyDirectory::new(&keys);
    let (loaded, key) = directory.proving_key().unwrap();
    assert_eq!(loaded.size, size);
    let prover = verity_prover::BatchProver::new(size, key).unwrap();
    let chain = support::chain(&prover, 3600).await;
    let node = support::Node::new(&chain.deployment, 0);
    let deposit = Deposit {
        pubkey: PrivateKey::from_bytes([1; 32]).public_key(),
        l1_address: chain.anvil.addresses()[1],
        token: 0,
        amount: 10u128.pow(18),
    };
    support::deposit(&chain.rollup, &deposit).await;
    let (_, batch, proof) = node.prepare(&prover, |b| {
        b.push_priority(&PriorityOp::Deposit(deposit)).unwrap();
    });
    assert!(verity_prover::verify(
        &directory.verifying_key().unwrap(),
        &proof,
        &batch.public_inputs()
    ));
    support::submit(&chain.rollup, &batch, &proof).await;
    assert_eq!(
        chain.rollup.stateRoot().call().await.unwrap(),
        verity_circuits::field::fr_to_u256(&batch.header.new_root)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
