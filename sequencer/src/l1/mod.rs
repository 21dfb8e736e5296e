//! Layer 1: Rust bindings to Verity's contracts, generated with alloy's `sol!` from the
//! committed artifacts in `verifier-contracts/artifacts`, conversions from the prover's
//! types to their calldata, deployment, and the embedded L1 (revm) the devnet runs on.

pub mod contracts;
pub mod deploy;
pub mod embedded;
