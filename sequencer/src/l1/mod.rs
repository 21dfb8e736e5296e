//! Layer 1: Rust bindings to Verity's contracts, generated with alloy's `sol!` from the
//! committed artifacts in `verifier-contracts/artifacts`, conversions from the prover's
//! types to their calldata, and deployment.

pub mod contracts;
pub mod deploy;
