//! Layer 1: Rust bindings to Verity's contracts, generated with alloy's `sol!` from the
//! committed artifacts in `verifier-contracts/artifacts`, conversions to their calldata, the
//! deployment document (`deployment.json`), the Rollup's events decoded, and batch pubdata
//! as an EIP-4844 blob with its KZG commitment and openings (`blob`). With the
//! `prover` feature, also proofs and verifying keys as calldata and deployment itself.
//!
//! Depends on the rules (`verity-circuits`, natively) and alloy, and with `prover` on the
//! prover's Groth16 types. Never on storage, the node or a JSON-RPC server: every stage that
//! talks to L1 (node, reconstruction, wallet, deployment) shares this crate, and a wallet
//! takes it without `prover`, so without R1CS.

pub mod blob;
pub mod contracts;
#[cfg(feature = "prover")]
pub mod deploy;
pub mod deployment;
pub mod events;

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};

/// A provider that signs with `wallet`, for an L1 sender that sends one transaction at a time
/// (the node's submitter). Each nonce is the account's pending transaction count, asked for
/// every transaction: alloy's default cached nonces are taken even when the transaction then
/// fails its gas estimate (a submission L1 refuses, say), which leaves a gap that no later
/// transaction of the sender can pass.
pub fn sending_provider(
    url: alloy::transports::http::reqwest::Url,
    wallet: impl Into<EthereumWallet>,
) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_blob_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(wallet.into())
        .connect_http(url)
        .erased()
}
