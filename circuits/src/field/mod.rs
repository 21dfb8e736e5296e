//! BN254 scalar-field helpers: parsing and printing field elements the way wallets and
//! circomlibjs write them (decimal or `0x` hex), and exact conversions from integers.

#[cfg(feature = "r1cs")]
pub mod constraints;

use alloy_primitives::Address;
use ark_ff::{BigInteger, PrimeField};
use num_bigint::BigUint;

use crate::Fr;

/// A field element could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FieldError {
    /// Neither decimal nor `0x`-prefixed hexadecimal.
    #[error("not a decimal or 0x-hex number: {0:?}")]
    Malformed(String),
    /// The number is not below the BN254 scalar modulus r.
    #[error("not below the field modulus: {0}")]
    NotCanonical(String),
}

/// Parses a decimal or `0x` hex string into a field element, refusing values ≥ r.
pub fn parse_fr(text: &str) -> Result<Fr, FieldError> {
    let value = parse_uint(text)?;
    fr_from_biguint(&value).ok_or_else(|| FieldError::NotCanonical(text.to_owned()))
}

/// Parses a decimal or `0x` hex string into an unbounded unsigned integer.
pub fn parse_uint(text: &str) -> Result<BigUint, FieldError> {
    let malformed = || FieldError::Malformed(text.to_owned());
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() => BigUint::parse_bytes(hex.as_bytes(), 16),
        Some(_) => None,
        None if !text.is_empty() => BigUint::parse_bytes(text.as_bytes(), 10),
        None => None,
    };
    parsed.ok_or_else(malformed)
}

/// The field element equal to `value`, or `None` when `value` ≥ r.
pub fn fr_from_biguint(value: &BigUint) -> Option<Fr> {
    let modulus: BigUint = Fr::MODULUS.into();
    (value < &modulus).then(|| Fr::from(value.clone()))
}

/// The canonical integer of a field element.
pub fn fr_to_biguint(value: &Fr) -> BigUint {
    value.into_bigint().into()
}

/// Whether `value`, an integer of at most `width` bits, lies below `bound` by its upper half:
/// `value >> low < bound >> low`, with `low = ⌈width / 2⌉`. That is `value < bound` except
/// for the fewer than `2^low` integers whose upper half equals `bound`'s. The circuit checks
/// exactly this ([`constraints::enforce_below_by_high_half`]) where the exact comparison
/// would cost about three times as much; it is used only for integers no one can steer into
/// that sliver (a hash output, a signature's S), where hitting it takes about `2^125` tries.
pub fn below_by_high_half(value: &BigUint, bound: &BigUint, width: u64) -> bool {
    let low = width.div_ceil(2);
    value.bits() <= width && (value >> low) < (bound >> low)
}

/// 32 big-endian bytes of the canonical integer.
pub fn fr_to_be_bytes(value: &Fr) -> [u8; 32] {
    let bytes = value.into_bigint().to_bytes_be();
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(&bytes);
    out
}

/// Interprets 32 big-endian bytes as a field element, refusing values ≥ r.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    fr_from_biguint(&BigUint::from_bytes_be(bytes))
}

/// The canonical integer as a 256-bit word (how L1 contracts take a field element).
pub fn fr_to_u256(value: &Fr) -> alloy_primitives::U256 {
    alloy_primitives::U256::from_be_bytes(fr_to_be_bytes(value))
}

/// `0x` followed by 64 hex digits of the canonical integer.
pub fn fr_to_hex(value: &Fr) -> String {
    format!("0x{}", hex::encode(fr_to_be_bytes(value)))
}

/// The decimal form of the canonical integer (what circomlibjs prints).
pub fn fr_to_decimal(value: &Fr) -> String {
    fr_to_biguint(value).to_str_radix(10)
}

/// An L1 address as the field element of its 160-bit big-endian integer.
pub fn fr_from_address(address: &Address) -> Fr {
    Fr::from_be_bytes_mod_order(address.as_slice())
}

/// Serde adapter writing a field element as a `0x` hex string and reading decimal or hex.
pub mod serde_fr {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use super::{fr_to_hex, parse_fr};
    use crate::Fr;

    /// Writes `0x` + 64 hex digits.
    pub fn serialize<S: Serializer>(value: &Fr, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&fr_to_hex(value))
    }

    /// Reads decimal or `0x` hex, refusing values ≥ r.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Fr, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_fr(&text).map_err(D::Error::custom)
    }
}

/// Serde adapter for `u128` amounts as decimal strings (JSON numbers lose precision past 2^53).
pub mod serde_u128 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes the decimal string.
    pub fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_hex_and_refuses_r() {
        assert_eq!(parse_fr("0x10").unwrap(), Fr::from(16u64));
        assert_eq!(parse_fr("16").unwrap(), Fr::from(16u64));
        let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        assert!(matches!(parse_fr(r), Err(FieldError::NotCanonical(_))));
        assert!(matches!(parse_fr("0x"), Err(FieldError::Malformed(_))));
        assert!(matches!(parse_fr("12a"), Err(FieldError::Malformed(_))));
        let minus_one = parse_fr(&r.replace("617", "616")).unwrap();
        assert_eq!(minus_one, -Fr::from(1u64));
        assert_eq!(parse_fr(&fr_to_hex(&minus_one)).unwrap(), minus_one);
    }
}
