//! A JavaScript wallet built on circomlibjs 0.1.7, following only the README's description
//! of the signed message, signs Verity transactions that Verity accepts, byte for byte the
//! same as Verity's own signer.

use alloy_primitives::Address;
use serde_json::json;
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_hex;
use verity_circuits::ops::{Deposit, Domain, L2Tx, Transfer, Withdraw};
use verity_circuits::state::{State, StateConfig};
use verity_tests::run_node;

const DOMAIN: Domain = Domain {
    chain_id: 31337,
    rollup_address: Address::new([
        0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67, 0xf0, 0x32, 0xd9, 0x3f, 0x64,
        0x2f, 0x64, 0x18, 0x0a, 0xa3,
    ]),
};

fn key(seed: u8) -> PrivateKey {
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = seed.wrapping_mul(31).wrapping_add(i as u8 * 7);
    }
    PrivateKey::from_bytes(bytes)
}

#[test]
fn circomlibjs_signed_transactions_match_and_are_accepted() {
    let mut state = State::new(StateConfig {
        depth: 8,
        domain: DOMAIN,
    })
    .unwrap();
    let (alice, bob) = (key(1), key(2));
    for (owner, amount) in [(&alice, 10u128.pow(21)), (&bob, 5)] {
        let deposit = Deposit {
            pubkey: owner.public_key(),
            l1_address: Address::repeat_byte(7),
            token: 0,
            amount,
        };
        let effect = state
            .check_deposit(state.next_free_index().unwrap(), &deposit)
            .unwrap();
        state.commit(&effect);
    }

    let ours = [
        L2Tx::sign_transfer(
            Transfer {
                from: 0,
                to: 1,
                token: 0,
                amount: 123_456_789 * 10u128.pow(9),
                fee: 21 * 10u128.pow(12),
                nonce: 0,
            },
            &alice,
            &DOMAIN,
        ),
        L2Tx::sign_withdraw(
            Withdraw {
                from: 0,
                token: 0,
                amount: 10u128.pow(18),
                fee: 0,
                nonce: 1,
                to: Address::repeat_byte(0xbe),
            },
            &alice,
            &DOMAIN,
        ),
        L2Tx::sign_transfer(
            Transfer {
                from: 1,
                to: 0,
                token: 0,
                amount: 5,
                fee: 0,
                nonce: 0,
            },
            &bob,
            &DOMAIN,
        ),
    ];
    let requests: Vec<_> = ours
        .iter()
        .zip([&alice, &alice, &bob])
        .map(|(tx, signer)| {
            let mut unsigned = serde_json::to_value(tx).unwrap();
            unsigned.as_object_mut().unwrap().remove("signature");
            json!({
                "private_key": format!("0x{}", hex::encode(signer.to_bytes())),
                "chain_id": DOMAIN.chain_id.to_string(),
                "rollup": DOMAIN.rollup_address.to_string(),
                "tx": unsigned,
            })
        })
        .collect();
    let theirs = run_node("sign.mjs", &json!(requests));
    let theirs = theirs.as_array().expect("an array");
    assert_eq!(theirs.len(), ours.len());

    for ((tx, signer), js) in ours.iter().zip([&alice, &alice, &bob]).zip(theirs) {
        let js_tx: L2Tx =
            serde_json::from_value(js["tx"].clone()).expect("Verity reads the JS transaction");
        assert_eq!(&js_tx, tx, "circomlibjs and Verity sign identically");
        assert_eq!(js["hash"], fr_to_hex(&tx.hash(&DOMAIN)));
        assert_eq!(
            js["public_key"],
            format!("0x{}", hex::encode(signer.public_key().pack()))
        );
        state
            .apply_l2(&js_tx)
            .expect("the JS-signed transaction is valid");
    }
    assert_eq!(
        state.account(1).unwrap().balance,
        123_456_789 * 10u128.pow(9)
    );
    assert_eq!(state.account(0).unwrap().nonce, 2);
}
