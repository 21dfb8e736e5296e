//! JSON-RPC parameters from outside: a key parameter that is not a packed curve point, and
//! any JSON for an account reference, get an error with a code, never a panic
//! (`PROPTEST_CASES=100000 cargo test -p verity-rpc-api` for a longer run).

use proptest::prelude::*;
use verity_circuits::eddsa::PrivateKey;

use super::*;

#[test]
fn a_packed_key_parses_and_anything_else_is_an_invalid_value() {
    let key = PrivateKey::from_bytes([3; 32]).public_key();
    let packed = format!("0x{}", hex::encode(key.pack()));
    assert_eq!(parse_key(&packed).unwrap(), key);
    for bad in ["", "0x", "0x00", "zz", &packed[..packed.len() - 2]] {
        assert_eq!(
            parse_key(bad).unwrap_err().code(),
            codes::INVALID_VALUE,
            "{bad}"
        );
    }
}

proptest! {
    #[test]
    fn random_parameters_are_refused_without_panicking(
        text in ".{0,80}", bytes in proptest::array::uniform32(any::<u8>()),
    ) {
        let _ = parse_key(&text);
        let packed = format!("0x{}", hex::encode(bytes));
        if let Err(error) = parse_key(&packed) {
            prop_assert_eq!(error.code(), codes::INVALID_VALUE);
        }
        if let Ok(account) = serde_json::from_str::<AccountRef>(&text) {
            let _ = account_query(account);
        }
        let _ = serde_json::from_str::<crate::TxInfo>(&text);
    }
}
