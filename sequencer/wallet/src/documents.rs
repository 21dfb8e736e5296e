//! What the offline wallet commands print, as typed JSON documents, so scripts and tests read
//! the same shapes the README documents.

use serde::{Deserialize, Serialize};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_hex;
use verity_circuits::ops::{Domain, L2Tx};
use verity_rpc_api::PublicKeyJson;

/// Output of `verity wallet keygen`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeygenOutput {
    /// The 32-byte private key, `0x` hex.
    pub private_key: String,
    /// Its public key.
    pub public_key: PublicKeyJson,
}

impl KeygenOutput {
    /// The document for `key`.
    pub fn new(key: &PrivateKey) -> KeygenOutput {
        KeygenOutput {
            private_key: format!("0x{}", hex::encode(key.to_bytes())),
            public_key: PublicKeyJson::from(&key.public_key()),
        }
    }
}

/// A signature in its parts, as circomlibjs returns it from `signPoseidon`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureParts {
    /// R8.x, `0x` hex.
    pub r8_x: String,
    /// R8.y, `0x` hex.
    pub r8_y: String,
    /// S, decimal.
    pub s: String,
}

/// Output of `verity wallet sign-transfer` (and `sign-withdraw`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTxOutput {
    /// The transaction exactly as `verity_sendTransaction` takes it.
    pub tx: L2Tx,
    /// The transaction hash, which is the signed message, `0x` hex.
    pub hash: String,
    /// `Poseidon(chain_id, rollup_address)`, `0x` hex.
    pub domain: String,
    /// The signer's public key.
    pub public_key: PublicKeyJson,
    /// The signature in its parts.
    pub signature: SignatureParts,
}

impl SignedTxOutput {
    /// The document for `tx`, signed by `key` for `domain`.
    pub fn new(tx: L2Tx, key: &PrivateKey, domain: &Domain) -> SignedTxOutput {
        let signature = tx.signature();
        SignedTxOutput {
            hash: fr_to_hex(&tx.hash(domain)),
            domain: fr_to_hex(&domain.hash()),
            public_key: PublicKeyJson::from(&key.public_key()),
            signature: SignatureParts {
                r8_x: fr_to_hex(&signature.r8.x()),
                r8_y: fr_to_hex(&signature.r8.y()),
                s: signature.s_integer().to_string(),
            },
            tx,
        }
    }
}
