//! Verity's Groth16 prover over BN254: proving and verifying keys for each batch-circuit
//! size, proving on every core, and verification. It builds on `verity-circuits`.
