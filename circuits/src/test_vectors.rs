//! The circomlibjs test vectors of `../shared/vectors/circomlibjs.json`, which the project
//! must reproduce natively and in-circuit. `VERITY_VECTORS` overrides the path.

use std::path::PathBuf;

use serde::Deserialize;

/// The whole vector file.
#[derive(Debug, Deserialize)]
pub struct Vectors {
    /// `poseidon(inputs) = output`.
    pub poseidon: Vec<PoseidonVector>,
    /// Key derivation, signing and packing.
    pub eddsa_poseidon: Vec<EddsaVector>,
    /// Curve constants.
    pub babyjub: BabyJubVector,
}

/// One Poseidon hash.
#[derive(Debug, Deserialize)]
pub struct PoseidonVector {
    /// Decimal inputs.
    pub inputs: Vec<String>,
    /// Hex output.
    pub output: String,
}

/// One EdDSA-Poseidon key and signature.
#[derive(Debug, Deserialize)]
pub struct EddsaVector {
    /// 32 bytes, hex.
    pub private_key: String,
    /// The signed field element, decimal.
    pub message: String,
    /// `prv2pub`.
    pub public_key: PackedPoint,
    /// `signPoseidon`.
    pub signature: SignatureVector,
    /// Whether `verifyPoseidon` accepts.
    pub valid: bool,
}

/// A point and its packed form.
#[derive(Debug, Deserialize)]
pub struct PackedPoint {
    /// Hex.
    pub x: String,
    /// Hex.
    pub y: String,
    /// Hex of the 32 packed bytes.
    pub packed: String,
}

/// A signature and its packed form.
#[derive(Debug, Deserialize)]
pub struct SignatureVector {
    /// Hex.
    pub r8_x: String,
    /// Hex.
    pub r8_y: String,
    /// Decimal.
    pub s: String,
    /// Hex of the 64 packed bytes.
    pub packed: String,
}

/// Baby Jubjub constants.
#[derive(Debug, Deserialize)]
pub struct BabyJubVector {
    /// Base8.
    pub base8: BasePoint,
    /// Decimal.
    pub subgroup_order: String,
    /// Decimal.
    pub a: String,
    /// Decimal.
    pub d: String,
}

/// An affine point.
#[derive(Debug, Deserialize)]
pub struct BasePoint {
    /// Hex.
    pub x: String,
    /// Hex.
    pub y: String,
}

/// Where the vector file is.
pub fn path() -> PathBuf {
    std::env::var_os("VERITY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/circomlibjs.json")
        })
}

/// Loads the vectors.
///
/// # Panics
/// When the file is missing or malformed: the tests that call this must not pass silently.
pub fn load() -> Vectors {
    let path = path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading test vectors {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}
