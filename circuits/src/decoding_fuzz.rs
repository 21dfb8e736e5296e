//! Bad input gets a clear error and never a panic: every decoder of bytes or JSON that comes
//! from outside (the canonical encodings a wallet sends, the pubdata reconstruction reads
//! from L1, the JSON-RPC's transactions) is fed random and mutated input. The test command
//! runs proptest's default 256 cases per property; a longer run is
//! `PROPTEST_CASES=100000 cargo test -p verity-circuits decoding_fuzz`.

use alloy_primitives::Address;
use proptest::prelude::*;

use crate::eddsa::PrivateKey;
use crate::ops::{Deposit, Domain, ForcedExit, L2Tx, PriorityOp, Transfer, Withdraw};
use crate::pubdata::{decode_fee_entry, PubdataLayout, FEE_ENTRY_BYTES};

const DOMAIN: Domain = Domain {
    chain_id: 31337,
    rollup_address: Address::repeat_byte(0x5f),
};

/// A valid transaction of either kind, from a seed.
fn signed(seed: u8, withdraw: bool) -> L2Tx {
    let key = PrivateKey::from_bytes([seed; 32]);
    if withdraw {
        let tx = Withdraw {
            from: u32::from(seed),
            token: 1,
            amount: 12_300,
            fee: 10,
            nonce: 4,
            to: Address::repeat_byte(seed),
        };
        L2Tx::sign_withdraw(tx, &key, &DOMAIN)
    } else {
        let tx = Transfer {
            from: u32::from(seed),
            to: 9,
            token: 0,
            amount: 5_000,
            fee: 0,
            nonce: 1,
        };
        L2Tx::sign_transfer(tx, &key, &DOMAIN)
    }
}

fn priority(seed: u8, exit: bool) -> PriorityOp {
    if exit {
        PriorityOp::ForcedExit(ForcedExit {
            account: u32::from(seed),
            token: 2,
            requester: Address::repeat_byte(seed),
        })
    } else {
        PriorityOp::Deposit(Deposit {
            pubkey: PrivateKey::from_bytes([seed; 32]).public_key(),
            l1_address: Address::repeat_byte(seed),
            token: 0,
            amount: u128::from(seed) << 64,
        })
    }
}

/// `bytes` with byte `at` (modulo its length) xored with `mask`, then cut to `keep` bytes
/// when that is shorter.
fn mutate(mut bytes: Vec<u8>, at: usize, mask: u8, keep: usize) -> Vec<u8> {
    let at = at % bytes.len();
    bytes[at] ^= mask;
    bytes.truncate(keep);
    bytes
}

proptest! {
    #[test]
    fn random_bytes_never_panic_a_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = L2Tx::decode(&bytes);
        let _ = PriorityOp::decode(&bytes);
        for depth in [2u8, 16, 32] {
            let _ = PubdataLayout { depth }.decode(&bytes);
        }
        let _ = decode_fee_entry(0, &bytes);
    }

    #[test]
    fn a_mutated_transaction_is_refused_or_decodes_to_what_it_encodes(
        seed in 1u8..50, withdraw in any::<bool>(), at in any::<usize>(), mask in 1u8..=255,
        keep in 0usize..200,
    ) {
        let bytes = mutate(signed(seed, withdraw).encode(), at, mask, keep);
        if let Ok(tx) = L2Tx::decode(&bytes) {
            prop_assert_eq!(tx.encode(), bytes);
        }
    }

    #[test]
    fn a_mutated_priority_operation_is_refused_or_decodes_to_what_it_encodes(
        seed in 1u8..50, exit in any::<bool>(), at in any::<usize>(), mask in 1u8..=255,
        keep in 0usize..100,
    ) {
        let bytes = mutate(priority(seed, exit).encode(), at, mask, keep);
        if let Ok(op) = PriorityOp::decode(&bytes) {
            prop_assert_eq!(op.encode(), bytes);
        }
    }

    #[test]
    fn a_decoded_pubdata_chunk_encodes_to_a_chunk_that_decodes_the_same(
        depth in prop_oneof![Just(2u8), Just(16), Just(32)],
        bytes in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let layout = PubdataLayout { depth };
        let mut chunk = bytes;
        chunk.resize(layout.chunk_bytes(), 0);
        if let Ok(op) = layout.decode(&chunk) {
            prop_assert_eq!(layout.decode(&layout.encode(&op)), Ok(op));
        }
    }

    #[test]
    fn json_transactions_refuse_garbage_without_panicking(
        seed in 1u8..50, withdraw in any::<bool>(), at in any::<usize>(), mask in 1u8..=127,
        junk in ".{0,64}",
    ) {
        let _ = serde_json::from_str::<L2Tx>(&junk);
        let json = serde_json::to_vec(&signed(seed, withdraw)).unwrap();
        let bytes = mutate(json, at, mask, usize::MAX);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = serde_json::from_str::<L2Tx>(text);
            let _ = serde_json::from_str::<PriorityOp>(text);
        }
    }
}

#[test]
fn a_fee_entry_of_the_wrong_length_is_an_error() {
    for length in [0, 1, FEE_ENTRY_BYTES - 1, FEE_ENTRY_BYTES + 1] {
        assert!(
            decode_fee_entry(0, &vec![1; length]).is_err(),
            "{length} bytes"
        );
    }
}
