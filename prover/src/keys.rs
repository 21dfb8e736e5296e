//! The key directory `verity setup` writes and provers load:
//!
//! | file | contents |
//! |---|---|
//! | `proving_key.zkey` | the Groth16 proving key as snarkjs's `.zkey` (see [`crate::zkey`]), which snarkjs, rapidsnark and GPU provers read as it is |
//! | `verifying_key.bin` | the verifying key, same encoding |
//! | `verification_key.json` | the verifying key in snarkjs's format |
//! | `Verifier.sol`, `Groth16Verifier.sol` | the Solidity verifier of this key, and the implementation it fixes the key of |
//! | `keys.json` | the circuit size, constraint count and key hashes |
//!
//! The key hash (SHA-256 of `proving_key.zkey`) names a setup: the node and every prover
//! worker check it, so no proof is made or accepted under another setup's keys.

use std::fs;
use std::path::{Path, PathBuf};

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use verity_circuits::circuit::CircuitSize;

use crate::ceremony::ContributionRecord;
use crate::{snarkjs, solidity, ProverError, Zkey};

/// Proving key file.
pub const PROVING_KEY: &str = "proving_key.zkey";
/// Verifying key file.
pub const VERIFYING_KEY: &str = "verifying_key.bin";
/// snarkjs verifying key file.
pub const SNARKJS_VERIFYING_KEY: &str = "verification_key.json";
/// Solidity verifier file.
pub const VERIFIER_SOL: &str = "Verifier.sol";
/// The Solidity verifier implementation it imports.
pub const GROTH16_VERIFIER_FILE: &str = "Groth16Verifier.sol";
/// Metadata file.
pub const METADATA: &str = "keys.json";

/// Said wherever keys are made or described.
pub const SINGLE_PARTY_WARNING: &str = "single-party setup: whoever ran it can forge proofs; \
     do not secure real funds with these keys (use a multi-party ceremony)";

/// `keys.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMetadata {
    /// The circuit the keys are for.
    pub size: CircuitSize,
    /// Its constraints.
    pub constraints: usize,
    /// SHA-256 of `proving_key.zkey`, hex.
    pub key_hash: String,
    /// SHA-256 of `verifying_key.bin`, hex.
    pub verifying_key_hash: String,
    /// How the keys were made.
    pub setup: String,
    /// For keys from a ceremony, its contributions in order (absent for a single-party
    /// setup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<Vec<ContributionRecord>>,
}

/// A key directory.
#[derive(Clone, Debug)]
pub struct KeyDirectory {
    path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProverError + '_ {
    move |source| ProverError::Io {
        path: path.to_owned(),
        source,
    }
}

fn encode(value: &impl CanonicalSerialize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(value.uncompressed_size());
    value
        .serialize_uncompressed(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The verifying-key hash `keys.json` records: SHA-256 of its uncompressed encoding.
pub fn verifying_key_hash(vk: &VerifyingKey<Bn254>) -> String {
    sha256_hex(&encode(vk))
}

impl KeyDirectory {
    /// The directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> KeyDirectory {
        KeyDirectory { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes every file of a single-party setup and returns the metadata.
    pub fn write(
        &self,
        size: CircuitSize,
        constraints: usize,
        proving_key: &Zkey,
    ) -> Result<KeyMetadata, ProverError> {
        self.write_files(size, constraints, proving_key, None)
    }

    /// Writes every file of a key a ceremony made (checked by [`crate::ceremony::import`])
    /// and returns the metadata, which records the contributions.
    pub fn write_ceremony(
        &self,
        size: CircuitSize,
        constraints: usize,
        proving_key: &Zkey,
        contributions: Vec<ContributionRecord>,
    ) -> Result<KeyMetadata, ProverError> {
        self.write_files(size, constraints, proving_key, Some(contributions))
    }

    fn write_files(
        &self,
        size: CircuitSize,
        constraints: usize,
        proving_key: &Zkey,
        ceremony: Option<Vec<ContributionRecord>>,
    ) -> Result<KeyMetadata, ProverError> {
        fs::create_dir_all(&self.path).map_err(io(&self.path))?;
        let pk_bytes = proving_key.to_file_bytes();
        let vk_bytes = encode(&proving_key.vk);
        let metadata = KeyMetadata {
            size,
            constraints,
            key_hash: sha256_hex(&pk_bytes),
            verifying_key_hash: sha256_hex(&vk_bytes),
            setup: match &ceremony {
                None => SINGLE_PARTY_WARNING.to_owned(),
                Some(contributions) => format!(
                    "multi-party ceremony: phase 2 from a powers-of-tau file and {} \
                     contributions (sound if one contributor kept their secret)",
                    contributions.len()
                ),
            },
            ceremony,
        };
        let files: [(&str, Vec<u8>); 6] = [
            (PROVING_KEY, pk_bytes),
            (VERIFYING_KEY, vk_bytes),
            (
                SNARKJS_VERIFYING_KEY,
                serde_json::to_vec_pretty(&snarkjs::verifying_key(&proving_key.vk))
                    .expect("JSON of plain data"),
            ),
            (
                VERIFIER_SOL,
                solidity::verifier(&proving_key.vk).into_bytes(),
            ),
            (
                GROTH16_VERIFIER_FILE,
                solidity::GROTH16_VERIFIER_SOURCE.as_bytes().to_vec(),
            ),
            (
                METADATA,
                serde_json::to_vec_pretty(&metadata).expect("JSON of plain data"),
            ),
        ];
        for (name, bytes) in files {
            let path = self.file(name);
            fs::write(&path, bytes).map_err(io(&path))?;
        }
        Ok(metadata)
    }

    /// Reads `keys.json`.
    pub fn metadata(&self) -> Result<KeyMetadata, ProverError> {
        let path = self.file(METADATA);
        let bytes = fs::read(&path).map_err(io(&path))?;
        serde_json::from_slice(&bytes).map_err(|source| ProverError::Metadata { path, source })
    }

    /// Loads the proving key (without its coefficients, which the prover takes from the
    /// circuit), checking it against the recorded key hash. The points are read without curve
    /// checks (fast); the hash is what vouches for the file.
    pub fn proving_key(&self) -> Result<(KeyMetadata, Zkey), ProverError> {
        let metadata = self.metadata()?;
        let path = self.file(PROVING_KEY);
        let bytes = fs::read(&path).map_err(io(&path))?;
        let found = sha256_hex(&bytes);
        if found != metadata.key_hash {
            return Err(ProverError::KeyHash {
                expected: metadata.key_hash,
                found,
            });
        }
        let key = Zkey::from_file_bytes(&bytes, false)
            .map_err(|error| ProverError::Format(format!("{}: {error}", path.display())))?;
        Ok((metadata, key))
    }

    /// Loads the verifying key, with full curve and subgroup checks.
    pub fn verifying_key(&self) -> Result<VerifyingKey<Bn254>, ProverError> {
        let path = self.file(VERIFYING_KEY);
        let bytes = fs::read(&path).map_err(io(&path))?;
        VerifyingKey::deserialize_uncompressed(bytes.as_slice())
            .map_err(|source| ProverError::Decode { path, source })
    }
}
