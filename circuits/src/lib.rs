//! The rules of Verity, written once.
//!
//! This crate owns everything the sequencer and the batch circuit must agree on: the
//! circomlib-compatible cryptography (Poseidon, EdDSA-Poseidon on Baby Jubjub), the account
//! state (a sparse quaternary Poseidon Merkle tree of per-token accounts), the operations and
//! their encodings (canonical binary, compact pubdata, signed messages, priority-queue
//! hashing), the state transition function and the batch statement. Each module holds the
//! native definition; the circuit follows it, never the reverse.

pub mod babyjubjub;
pub mod batch;
pub mod blob;
pub mod circuit;
#[cfg(test)]
mod decoding_fuzz;
#[cfg(all(test, feature = "r1cs"))]
mod determinism;
pub mod eddsa;
pub mod field;
pub mod merkle;
pub mod ops;
pub mod poseidon;
pub mod pubdata;
pub mod state;

pub use ark_bn254::Fr;

#[cfg(any(test, feature = "test-vectors"))]
pub mod test_vectors;
