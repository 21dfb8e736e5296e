//! The prover's errors.

use std::path::PathBuf;

/// What can go wrong making keys, loading them, or proving.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// Constraint synthesis or the QAP reduction failed.
    #[error("synthesis: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// Reading or writing a key file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key file does not decode.
    #[error("{path}: {source}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: ark_serialize::SerializationError,
    },
    /// `keys.json` does not decode.
    #[error("{path}: {source}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The proving key's hash is not the one recorded at setup.
    #[error("key hash mismatch: keys.json says {expected}, the proving key hashes to {found}")]
    KeyHash {
        /// Recorded.
        expected: String,
        /// Computed.
        found: String,
    },
    /// The witness does not fit the keys.
    #[error("the witness has {found} variables, the keys expect {expected}")]
    WitnessShape {
        /// Expected witness variables.
        expected: usize,
        /// Allocated.
        found: usize,
    },
    /// A key made for another circuit.
    #[error(
        "the key is for {found_variables} variables and an FFT domain of {found_domain}; \
         this circuit has {expected_variables} and {expected_domain}"
    )]
    KeyShape {
        /// The circuit's variables.
        expected_variables: usize,
        /// The circuit's domain.
        expected_domain: usize,
        /// The key's variables.
        found_variables: usize,
        /// The key's domain.
        found_domain: usize,
    },
    /// A ceremony's key does not verify (says what failed).
    #[error("the ceremony's key is refused: {0}")]
    Ceremony(String),
    /// A `.zkey`, `.ptau`, `.r1cs` or `.wtns` file is malformed or does not fit (says how).
    #[error("{0}")]
    Format(String),
    /// The constraint system or the key is not the shape the prover handles (says how).
    #[error("{0}")]
    Shape(&'static str),
}
