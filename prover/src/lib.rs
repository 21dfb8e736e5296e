//! Verity's Groth16 prover over BN254 for the batch circuit of `verity-circuits`: key
//! generation and the key directory, a staged prover (witness synthesis, QAP witness map,
//! multi-scalar multiplications, each timed) that reuses compact constraint matrices across
//! proofs and proves several batches at once, its batch-affine MSM, verification, and the
//! snarkjs JSON and Solidity verifier exports that L1 and other tools consume.

pub mod binfile;
pub mod ceremony;
pub mod error;
mod groth16;
pub mod heap;
pub mod keys;
pub mod msm;
pub mod phase2;
pub mod ptau;
pub mod qap;
pub mod r1cs;
pub mod snarkjs;
pub mod solidity;
pub mod wtns;
pub mod zkey;

pub use error::ProverError;
pub use groth16::{
    baseline_setup, prove_baseline, verify, BatchProver, ProveTimings, WitnessProfile,
};
pub use keys::{KeyDirectory, KeyMetadata};
pub use phase2::setup;
pub use zkey::Zkey;
