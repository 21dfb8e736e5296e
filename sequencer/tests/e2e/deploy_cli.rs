//! `verity deploy` against anvil: every contract is on chain, wired as deployment.json says.

use std::process::Command;
use verity_circuits::field::fr_to_u256;

use alloy::node_bindings::Anvil;
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use verity_l1::contracts::Rollup;
use verity_l1::deployment::Deployment;
use verity_prover::KeyDirectory;

#[tokio::test(flavor = "multi_thread")]
async fn deploy_writes_a_deployment_that_matches_the_chain() {
    let dir = std::env::temp_dir().join(format!("verity-deploy-{}", std::process::id()));
    let keys = dir.join("keys");
    let setup = Command::new(env!("CARGO_BIN_EXE_verity"))
        .args([
            "setup",
            "--slots",
            "1",
            "--depth",
            "2",
            "--fee-slots",
            "1",
            "--out",
        ])
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );

    let anvil = Anvil::at(verity_tests::anvil_path()).spawn();
    let out = dir.join("deployment.json");
    let deploy = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_verity"))
            .args([
                "deploy",
                "--rpc",
                &anvil.endpoint(),
                "--priority-window",
                "60",
                "--private-key",
            ])
            .arg(alloy::hex::encode(anvil.keys()[0].to_bytes()))
            .arg("--keys")
            .arg(&keys)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    // A window below 14 days needs the explicit development flag.
    let refused = deploy(&[]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--development"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let deployed = deploy(&["--development", "--forced-exit-fee", "7"]);
    assert!(
        deployed.status.success(),
        "{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    let deployment: Deployment = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let printed: Deployment = serde_json::from_slice(&deployed.stdout).unwrap();
    assert_eq!(printed, deployment);

    let provider = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    assert_eq!(deployment.chain_id, anvil.chain_id());
    assert!(!provider
        .get_code_at(deployment.rollup)
        .await
        .unwrap()
        .is_empty());
    let rollup = Rollup::new(deployment.rollup, &provider);
    assert_eq!(
        rollup.domain().call().await.unwrap(),
        fr_to_u256(&deployment.domain().hash())
    );
    assert_eq!(
        rollup.stateRoot().call().await.unwrap(),
        fr_to_u256(&deployment.genesis_root)
    );
    assert_eq!(
        rollup.verifiers(U256::from(1u64)).call().await.unwrap(),
        deployment.verifiers[0].address
    );
    assert_eq!(
        rollup.priorityWindow().call().await.unwrap(),
        U256::from(60u64)
    );
    assert!(deployment.development);
    assert!(rollup.development().call().await.unwrap());
    let deployer = anvil.addresses()[0];
    assert_eq!(rollup.governor().call().await.unwrap(), deployer);
    assert_eq!(deployment.operators, vec![deployer]);
    assert!(rollup.isOperator(deployer).call().await.unwrap());
    assert_eq!(
        rollup.forcedExitFee().call().await.unwrap(),
        U256::from(7u64)
    );
    assert_eq!(
        rollup.maxPayouts().call().await.unwrap(),
        U256::from(deployment.max_payouts)
    );
    assert_eq!(
        rollup.inactivityInterval().call().await.unwrap(),
        U256::from(7 * 24 * 3600u64)
    );
    let metadata = KeyDirectory::new(&keys).metadata().unwrap();
    assert_eq!(
        deployment.verifiers[0].verifying_key_hash,
        metadata.verifying_key_hash
    );
    std::fs::remove_dir_all(dir).unwrap();
}
