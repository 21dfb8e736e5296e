//! EdDSA-Poseidon on Baby Jubjub, bit for bit as circomlibjs `prv2pub`, `signPoseidon`,
//! `verifyPoseidon`, `packSignature` and `unpackSignature`, so any circomlibjs wallet can
//! sign for Verity.
//!
//! `blake-hash` supplies BLAKE-512 (the SHA-3 finalist circomlibjs uses for key and nonce
//! derivation, not BLAKE2).

#[cfg(feature = "r1cs")]
pub mod constraints;

use std::fmt;

use ark_ff::{BigInteger, PrimeField};
use blake_hash::{Blake512, Digest};
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use crate::babyjubjub::{subgroup_order, Point};
use crate::field::{below_by_high_half, fr_to_biguint};
use crate::poseidon::poseidon;
use crate::Fr;

/// Baby Jubjub's prime-subgroup scalar field (integers modulo `l`).
pub type Scalar = ark_ed_on_bn254::Fr;

/// Bits of S: the subgroup order `l` is below 2^251.
pub const S_BITS: u64 = 251;

/// Bits of the challenge, a BN254 field element.
const CHALLENGE_BITS: u64 = Fr::MODULUS_BIT_SIZE as u64;

/// A 32-byte private key, used as circomlibjs uses it (hashed with BLAKE-512).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey([u8; 32]);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(…)")
    }
}

/// A public key: a point of Baby Jubjub, `Base8 · (s >> 3)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PublicKey(pub Point);

/// A signature `(R8, S)` with `S < l`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The nonce point `Base8 · r`.
    pub r8: Point,
    /// `r + H(R8, A, msg) · s mod l`.
    pub s: Scalar,
}

impl PrivateKey {
    /// The key with these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> PrivateKey {
        PrivateKey(bytes)
    }

    /// The 32 bytes of the key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// A fresh random key from the operating system's generator.
    pub fn random<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> PrivateKey {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        PrivateKey(bytes)
    }

    fn expanded(&self) -> [u8; 64] {
        let digest = Blake512::digest(&self.0);
        digest
            .as_slice()
            .try_into()
            .expect("BLAKE-512 gives 64 bytes")
    }

    /// The pruned secret scalar `s` (low 3 bits clear, bit 254 set, bit 255 clear).
    fn secret_scalar(expanded: &[u8; 64]) -> BigUint {
        let mut pruned: [u8; 32] = expanded[..32].try_into().expect("64 bytes");
        pruned[0] &= 0xf8;
        pruned[31] &= 0x7f;
        pruned[31] |= 0x40;
        BigUint::from_bytes_le(&pruned)
    }

    /// circomlibjs `prv2pub`.
    pub fn public_key(&self) -> PublicKey {
        let s = Self::secret_scalar(&self.expanded());
        PublicKey(Point::base8().mul(&(s >> 3u32)))
    }

    /// circomlibjs `signPoseidon(prv, msg)`.
    pub fn sign(&self, message: Fr) -> Signature {
        let expanded = self.expanded();
        let s = Self::secret_scalar(&expanded);
        let public = PublicKey(Point::base8().mul(&(s.clone() >> 3u32)));

        let mut nonce_hasher = Blake512::new();
        nonce_hasher.update(&expanded[32..]);
        nonce_hasher.update(message.into_bigint().to_bytes_le());
        let r = Scalar::from_le_bytes_mod_order(nonce_hasher.finalize().as_slice());
        let r8 = Point::base8().mul(&r.into_bigint().into());

        let challenge = challenge(&r8, &public, message);
        let s_scalar = Scalar::from(s);
        Signature {
            r8,
            s: r + challenge * s_scalar,
        }
    }
}

/// `Poseidon(R8.x, R8.y, A.x, A.y, msg)` reduced modulo `l`.
fn challenge(r8: &Point, public: &PublicKey, message: Fr) -> Scalar {
    Scalar::from(challenge_integer(r8, public, message))
}

fn challenge_integer(r8: &Point, public: &PublicKey, message: Fr) -> BigUint {
    let hash = poseidon(&[r8.x(), r8.y(), public.0.x(), public.0.y(), message]);
    fr_to_biguint(&hash)
}

impl PublicKey {
    /// Whether `8·A` is the identity: any `(S·Base8, S)` verifies under such a key, so
    /// [`PublicKey::verify`] refuses every signature under it (circomlibjs does not).
    pub fn is_low_order(&self) -> bool {
        self.0.mul(&BigUint::from(8u8)) == Point::IDENTITY
    }

    /// circomlibjs `verifyPoseidon(msg, sig, A)`: `Base8·S == R8 + A·(8·H)`, with the
    /// challenge multiplied as an integer, exactly as circomlibjs does, except that keys of
    /// small order verify nothing, and that S and H must lie below `l` and r by their upper
    /// halves ([`below_by_high_half`]), as the circuit checks them. That refuses a share
    /// below 2^-124 of circomlibjs's signatures, which neither a signer nor anyone else can
    /// aim at: S and H are hash-derived, so hitting the sliver takes about 2^125 tries.
    pub fn verify(&self, message: Fr, signature: &Signature) -> bool {
        if self.is_low_order() {
            return false;
        }
        let hm = challenge_integer(&signature.r8, self, message);
        let s: BigUint = signature.s.into_bigint().into();
        let r: BigUint = Fr::MODULUS.into();
        if !below_by_high_half(&s, &subgroup_order(), S_BITS)
            || !below_by_high_half(&hm, &r, CHALLENGE_BITS)
        {
            return false;
        }
        let left = Point::base8().mul(&signature.s.into_bigint().into());
        let right = signature.r8.add(&self.0.mul(&(hm << 3u32)));
        left == right
    }

    /// circomlibjs `packPoint` of the key.
    pub fn pack(&self) -> [u8; 32] {
        self.0.pack()
    }

    /// The key packed as circomlibjs packs it, if the bytes name a point.
    pub fn unpack(packed: &[u8; 32]) -> Option<PublicKey> {
        Point::unpack(packed).map(PublicKey)
    }
}

/// A signature could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The R8 half names no point.
    #[error("R8 is not a point of Baby Jubjub")]
    BadPoint,
    /// S is not below the subgroup order.
    #[error("S is not below the subgroup order")]
    ScalarOutOfRange,
}

impl Signature {
    /// The signature from R8 and the integer S, refusing `S ≥ l`.
    pub fn new(r8: Point, s: &BigUint) -> Result<Signature, SignatureError> {
        if s >= &subgroup_order() {
            return Err(SignatureError::ScalarOutOfRange);
        }
        Ok(Signature {
            r8,
            s: Scalar::from(s.clone()),
        })
    }

    /// S as an integer.
    pub fn s_integer(&self) -> BigUint {
        self.s.into_bigint().into()
    }

    /// circomlibjs `packSignature`: packed R8, then S in 32 little-endian bytes.
    pub fn pack(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r8.pack());
        let s = self.s.into_bigint().to_bytes_le();
        out[32..32 + s.len()].copy_from_slice(&s);
        out
    }

    /// circomlibjs `unpackSignature`, refusing a bad R8 or `S ≥ l`.
    pub fn unpack(packed: &[u8; 64]) -> Result<Signature, SignatureError> {
        let r8_bytes: [u8; 32] = packed[..32].try_into().expect("64 bytes");
        let r8 = Point::unpack(&r8_bytes).ok_or(SignatureError::BadPoint)?;
        Signature::new(r8, &BigUint::from_bytes_le(&packed[32..]))
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("0x{}", hex::encode(self.pack())))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(deserializer)?;
        let bytes = hex::decode(text.trim_start_matches("0x")).map_err(D::Error::custom)?;
        let packed: [u8; 64] = bytes
            .try_into()
            .map_err(|_| D::Error::custom("a packed signature has 64 bytes"))?;
        Signature::unpack(&packed).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests;
