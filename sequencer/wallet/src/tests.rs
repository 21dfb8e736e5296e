//! The wallet's checks on what users hand it: keys, and saved account proofs for an exodus
//! exit (a stale, empty, wrong-token or malformed proof is refused with its reason; a good
//! one gives the very leaf a rebuilt state gives).

use alloy::primitives::{Address, U256};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{Deposit, Domain};
use verity_circuits::state::{State, StateConfig};
use verity_rpc_api::convert::account_proof;

use super::*;

fn funded_state() -> State {
    let mut state = State::new(StateConfig {
        depth: 4,
        domain: Domain {
            chain_id: 1,
            rollup_address: Address::repeat_byte(9),
        },
    })
    .unwrap();
    let deposit = Deposit {
        pubkey: PrivateKey::from_bytes([5; 32]).public_key(),
        l1_address: Address::repeat_byte(7),
        token: 0,
        amount: 1_000,
    };
    let effect = state.check_deposit(3, &deposit).unwrap();
    state.commit(&effect);
    state
}

fn verified(state: &State) -> Verified {
    Verified {
        batch: 12,
        root: fr_to_u256(&state.root()),
    }
}

#[test]
fn a_saved_proof_gives_the_leaf_a_rebuilt_state_gives() {
    let state = funded_state();
    let saved = account_proof(&state, 12, 3).unwrap();
    let leaf = ExitLeaf::from_saved(&saved, 0, &verified(&state)).unwrap();
    let account = state.account(3).unwrap();
    assert_eq!(leaf, ExitLeaf::new(3, account, &state.proof(3).unwrap()));
    assert_eq!(leaf.balance, 1_000);
    assert_eq!(leaf.owner, Address::repeat_byte(7));
}

#[test]
fn a_saved_proof_against_another_root_is_stale() {
    let state = funded_state();
    let saved = account_proof(&state, 11, 3).unwrap();
    let newer = Verified {
        batch: 12,
        root: U256::from(1),
    };
    assert!(matches!(
        ExitLeaf::from_saved(&saved, 0, &newer),
        Err(WalletError::StaleProof {
            proof_batch: 11,
            verified_batch: 12
        })
    ));
}

#[test]
fn an_empty_leaf_or_another_token_has_nothing_to_exit() {
    let state = funded_state();
    let empty = account_proof(&state, 12, 4).unwrap();
    assert!(matches!(
        ExitLeaf::from_saved(&empty, 0, &verified(&state)),
        Err(WalletError::EmptyLeaf)
    ));
    let saved = account_proof(&state, 12, 3).unwrap();
    assert!(matches!(
        ExitLeaf::from_saved(&saved, 1, &verified(&state)),
        Err(WalletError::WrongToken { held: 0, wanted: 1 })
    ));
}

#[test]
fn a_malformed_number_in_a_saved_proof_is_named() {
    let state = funded_state();
    let mut saved = account_proof(&state, 12, 3).unwrap();
    saved.account.as_mut().unwrap().balance = "1e3".into();
    assert!(matches!(
        ExitLeaf::from_saved(&saved, 0, &verified(&state)),
        Err(WalletError::ProofNumber {
            field: "balance",
            ..
        })
    ));
    saved.root = "root".into();
    assert!(matches!(
        ExitLeaf::from_saved(&saved, 0, &verified(&state)),
        Err(WalletError::ProofNumber { field: "root", .. })
    ));
}

#[test]
fn keys_parse_from_hex_with_or_without_0x_and_nothing_else() {
    let key = PrivateKey::from_bytes([5; 32]);
    let hex = hex::encode([5; 32]);
    for text in [hex.clone(), format!("0x{hex}"), format!(" {hex}\n")] {
        assert_eq!(parse_private_key(&text).unwrap().to_bytes(), key.to_bytes());
    }
    assert!(matches!(
        parse_private_key("0xzz"),
        Err(WalletError::PrivateKeyHex(_))
    ));
    assert!(matches!(
        parse_private_key(&hex[..62]),
        Err(WalletError::PrivateKeyLength(31))
    ));
    assert!(parse_l1_signer(&format!("0x{hex}")).is_ok());
    assert!(matches!(
        parse_l1_signer("0x01"),
        Err(WalletError::L1Key(_))
    ));
}

#[test]
fn an_l1_wallet_refuses_a_bad_url_before_any_request() {
    let key = format!("0x{}", hex::encode([5; 32]));
    assert!(matches!(
        L1Wallet::connect("not a url", &key, Address::ZERO),
        Err(WalletError::Url { .. })
    ));
}
