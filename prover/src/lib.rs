//! Verity's Groth16 prover over BN254 for the batch circuit of `verity-circuits`: key
//! generation and the key directory, a staged prover (witness synthesis, QAP witness map,
//! multi-scalar multiplications, each timed) that reuses compact constraint matrices across
//! proofs and proves several batches at once, its batch-affine MSM, verification, and the
//! snarkjs JSON and Solidity verifier exports that L1 and other tools consume.

pub mod error;
mod groth16;
pub mod keys;
pub mod msm;
pub mod qap;
pub mod snarkjs;
pub mod solidity;

pub use error::ProverError;
pub use groth16::{prove_baseline, setup, verify, BatchProver, ProveTimings, WitnessProfile};
pub use keys::{KeyDirectory, KeyMetadata};
