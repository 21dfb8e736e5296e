//! Layer 1: Rust bindings to Verity's contracts, generated with alloy's `sol!` from the
//! committed artifacts in `verifier-contracts/artifacts`, conversions from the prover's
//! types to their calldata, deployment, and the embedded L1 (revm) the devnet runs on.

pub mod contracts;
pub mod deploy;
pub mod embedded;

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
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(wallet.into())
        .connect_http(url)
        .erased()
}
