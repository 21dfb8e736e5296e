//! Audit C-2 on anvil: an attacker deposits 1 wei to a victim's L2 key before the victim's
//! own deposit, then forces the exit of the account it opened. The victim's deposit lands in
//! an account of the victim's own, and the attacker's exit pays it only its own wei.

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use verity_l1::contracts::Rollup;
use verity_rpc_api::VerityApiClient;

use crate::support::node::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_squatted_key_never_takes_the_victims_deposit() {
    let (chain, _dir, node) = anvil_node(0, 300).await;
    let rpc = client(&node);
    let url = chain.anvil.endpoint();
    let owner = |i: usize| {
        let bytes = alloy::primitives::B256::from_slice(&chain.anvil.keys()[i].to_bytes());
        Owner::new(&url, PrivateKeySigner::from_bytes(&bytes).unwrap())
    };
    let (attacker, victim) = (owner(1), owner(2));
    let victims_key = key(7);

    attacker.deposit(&chain.deployment, &victims_key, 1).await;
    victim
        .deposit(&chain.deployment, &victims_key, 1_000_000)
        .await;
    let accounts = eventually(60, "both deposits credited", || async {
        let accounts = rpc.get_account(packed(&victims_key)).await.ok()?;
        (accounts.len() == 2).then_some(accounts)
    })
    .await;
    let squatted = accounts
        .iter()
        .find(|a| a.l1_address == attacker.address)
        .expect("the attacker's account");
    let own = accounts
        .iter()
        .find(|a| a.l1_address == victim.address)
        .expect("the victim's account");
    assert_eq!(squatted.balance, "1");
    assert_eq!(own.balance, "1000000");
    assert_ne!(squatted.index, own.index);

    let rollup = Rollup::new(chain.deployment.rollup, attacker.provider.clone());
    let fee = rollup.forcedExitFee().call().await.unwrap();
    mined(rollup.requestForcedExit(squatted.index, 0).value(fee)).await;
    let paid = eventually(300, "the forced exit paid on L1", || async {
        let paid = paid_to(&rollup, attacker.address, 0).await;
        (paid > 0).then_some(paid)
    })
    .await;
    assert_eq!(paid, 1, "only its own wei");
    let pending = rollup.pendingWithdrawals(attacker.address, 0).call().await;
    assert_eq!(pending.unwrap(), U256::ZERO);
    let own = rpc.get_account(packed(&victims_key)).await.unwrap();
    let own = own.iter().find(|a| a.l1_address == victim.address).unwrap();
    assert_eq!(
        own.balance, "1000000",
        "the victim's deposit is the victim's"
    );
    node.stop().await.unwrap();
}
