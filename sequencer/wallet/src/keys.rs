//! Keys as users type them: hex, with or without `0x`.

use alloy::signers::local::PrivateKeySigner;
use verity_circuits::eddsa::PrivateKey;

use crate::WalletError;

/// Parses a 32-byte L2 private key from hex.
pub fn parse_private_key(text: &str) -> Result<PrivateKey, WalletError> {
    let bytes = hex::decode(text.trim().trim_start_matches("0x"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| WalletError::PrivateKeyLength(bytes.len()))?;
    Ok(PrivateKey::from_bytes(bytes))
}

/// Parses an L1 (secp256k1) private key from hex.
pub fn parse_l1_signer(text: &str) -> Result<PrivateKeySigner, WalletError> {
    text.trim().parse().map_err(WalletError::L1Key)
}
