//! `verity wallet …` as a user runs it: the printed JSON is what the library and the
//! circomlibjs vectors say it must be, bad input fails with a message, and a closed pipe
//! ends it quietly.

use std::process::{Command, Output};

use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Domain, L2Tx, Transfer, Withdraw};
use verity_circuits::test_vectors;
use verity_wallet::{KeygenOutput, SignedTxOutput};

fn verity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(args)
        .env_remove("VERITY_PRIVATE_KEY")
        .output()
        .expect("running verity")
}

fn json<T: serde::de::DeserializeOwned>(output: Output) -> T {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("verity printed JSON")
}

#[test]
fn keygen_reproduces_the_circomlibjs_public_keys() {
    for vector in test_vectors::load().eddsa_poseidon {
        let printed: KeygenOutput = json(verity(&[
            "wallet",
            "keygen",
            "--private-key",
            &vector.private_key,
        ]));
        assert_eq!(printed.private_key, vector.private_key);
        assert_eq!(printed.public_key.x, vector.public_key.x);
        assert_eq!(printed.public_key.y, vector.public_key.y);
        assert_eq!(printed.public_key.packed, vector.public_key.packed);
    }
}

#[test]
fn keygen_without_a_key_makes_a_fresh_one() {
    let first: KeygenOutput = json(verity(&["wallet", "keygen"]));
    let second: KeygenOutput = json(verity(&["wallet", "keygen"]));
    assert_ne!(first.private_key, second.private_key);
    let bytes: [u8; 32] = hex::decode(&first.private_key[2..])
        .unwrap()
        .try_into()
        .unwrap();
    let again = KeygenOutput::new(&PrivateKey::from_bytes(bytes));
    assert_eq!(again, first);
}

const KEY: &str = "0x0001020304050607080900010203040506070809000102030405060708090001";
const ROLLUP: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

fn domain() -> Domain {
    Domain {
        chain_id: 31337,
        rollup_address: ROLLUP.parse().unwrap(),
    }
}

fn key() -> PrivateKey {
    PrivateKey::from_bytes(hex::decode(&KEY[2..]).unwrap().try_into().unwrap())
}

#[test]
fn sign_transfer_prints_the_signed_transaction() {
    let printed: SignedTxOutput = json(verity(&[
        "wallet",
        "sign-transfer",
        "--private-key",
        KEY,
        "--chain-id",
        "31337",
        "--rollup",
        ROLLUP,
        "--from",
        "0",
        "--to",
        "1",
        "--token",
        "0",
        "--amount",
        "1000",
        "--fee",
        "10",
        "--nonce",
        "0",
    ]));
    let tx = Transfer {
        from: 0,
        to: 1,
        token: 0,
        amount: 1000,
        fee: 10,
        nonce: 0,
    };
    let expected = L2Tx::sign_transfer(tx, &key(), &domain());
    assert_eq!(printed, SignedTxOutput::new(expected, &key(), &domain()));
    assert!(key()
        .public_key()
        .verify(expected.message(&domain()), expected.signature()));
}

#[test]
fn sign_withdraw_prints_the_signed_transaction() {
    let recipient = "0x00000000000000000000000000000000000000be";
    let printed: SignedTxOutput = json(verity(&[
        "wallet",
        "sign-withdraw",
        "--private-key",
        KEY,
        "--chain-id",
        "31337",
        "--rollup",
        ROLLUP,
        "--from",
        "3",
        "--l1-recipient",
        recipient,
        "--amount",
        "5000",
        "--nonce",
        "7",
    ]));
    let tx = Withdraw {
        from: 3,
        token: 0,
        amount: 5000,
        fee: 0,
        nonce: 7,
        to: recipient.parse().unwrap(),
    };
    let expected = L2Tx::sign_withdraw(tx, &key(), &domain());
    assert_eq!(printed.tx, expected);
}

#[test]
fn bad_input_fails_with_a_message() {
    let short = verity(&["wallet", "keygen", "--private-key", "0x0102"]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("32 bytes"));
    let missing = verity(&[
        "wallet",
        "sign-transfer",
        "--private-key",
        KEY,
        "--from",
        "0",
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--chain-id"));
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    // `verity wallet keygen | head -0`, without the race: the reader is gone before the
    // command writes.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["wallet", "keygen"])
        .stdout(writer)
        .output()
        .expect("running verity");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(stderr.is_empty(), "{stderr}");
}
