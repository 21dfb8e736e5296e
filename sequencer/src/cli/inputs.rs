//! What several commands are given and read the same way: key directories, `deployment.json`,
//! an L1 endpoint with its signing key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use alloy::providers::DynProvider;
use anyhow::Context;
use verity_l1::deployment::Deployment;
use verity_prover::{BatchProver, KeyDirectory};

/// Loads a prover per key directory.
pub fn load_provers(dirs: &[PathBuf]) -> anyhow::Result<HashMap<usize, Arc<BatchProver>>> {
    let mut provers = HashMap::new();
    for dir in dirs {
        let (metadata, key) = KeyDirectory::new(dir)
            .proving_key()
            .with_context(|| format!("loading keys from {}", dir.display()))?;
        let prover = BatchProver::new(metadata.size, key)?;
        provers.insert(metadata.size.slots, Arc::new(prover));
    }
    Ok(provers)
}

/// Reads `deployment.json`.
pub fn read_deployment(path: &Path) -> anyhow::Result<Deployment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// An L1 provider whose wallet is `private_key`.
pub fn l1_provider(url: &str, private_key: &str) -> anyhow::Result<DynProvider> {
    let signer = verity_wallet::parse_l1_signer(private_key)?;
    let url = url.parse().context("L1 RPC URL")?;
    Ok(verity_l1::sending_provider(url, signer))
}
