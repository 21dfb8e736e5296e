//! Helpers of the node tests: clients, accounts, and the payment flow every L1 runs.

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{Deposit, L2Tx, Transfer, Withdraw};
use verity_l1::contracts::{word, Rollup};
use verity_l1::deployment::Deployment;
use verity_node::Node;
use verity_rpc_api::events::BatchStatus;
use verity_rpc_api::{AccountRef, VerityApiClient};

use super::{eventually, mined, Chain};

/// The L2 key made of `byte`.
pub fn key(byte: u8) -> PrivateKey {
    PrivateKey::from_bytes([byte; 32])
}

/// An HTTP client of `node`'s RPC.
pub fn client(node: &Node) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://{}", node.rpc_addr))
        .unwrap()
}

/// `key`'s accounts, by packed public key.
pub fn packed(key: &PrivateKey) -> AccountRef {
    AccountRef::Key(format!("0x{}", hex::encode(key.public_key().pack())))
}

/// The index and balance of `key`'s first account once the node shows one.
pub async fn balance_of(client: &HttpClient, key: &PrivateKey) -> Option<(u32, u128)> {
    let accounts = client.get_account(packed(key)).await.ok()?;
    let account = accounts.first()?;
    Some((account.index, account.balance.parse().unwrap()))
}

/// An ETH deposit of `amount` to `key`'s account, owned by `owner`.
pub fn eth_deposit(key: &PrivateKey, owner: Address, amount: u128) -> Deposit {
    Deposit {
        pubkey: key.public_key(),
        l1_address: owner,
        token: 0,
        amount,
    }
}

/// An L1 account with a provider that signs for it.
pub struct Owner {
    pub address: Address,
    pub provider: DynProvider,
}

impl Owner {
    /// `signer` on the L1 at `url`.
    pub fn new(url: &str, signer: PrivateKeySigner) -> Owner {
        Owner {
            address: signer.address(),
            provider: ProviderBuilder::new()
                .wallet(signer)
                .connect_http(url.parse().unwrap())
                .erased(),
        }
    }

    /// Deposits ETH from this account to `key`'s L2 account.
    pub async fn deposit(&self, deployment: &Deployment, key: &PrivateKey, amount: u128) {
        let rollup = Rollup::new(deployment.rollup, self.provider.clone());
        let call = rollup
            .deposit(
                0,
                word(&key.public_key().0.x()),
                word(&key.public_key().0.y()),
                amount,
            )
            .value(U256::from(amount));
        mined(call).await;
    }
}

/// Deposits on L1 → a transfer and a withdrawal through the node's RPC → proof → final on
/// L1 → the withdrawal claimed on L1: the recipient's balance grew by the amount.
/// `owners` are Alice's and Bob's L1 accounts and the withdrawal's recipient.
pub async fn payment_flow(rpc: &HttpClient, deployment: &Deployment, owners: &[Owner]) {
    let (alice, bob) = (key(1), key(2));
    owners[0].deposit(deployment, &alice, 1_000_000).await;
    owners[1].deposit(deployment, &bob, 5_000).await;
    let (from, _) = eventually(60, "alice's deposit", || balance_of(rpc, &alice)).await;
    let (to, _) = eventually(60, "bob's deposit", || balance_of(rpc, &bob)).await;

    let domain = deployment.domain();
    let transfer = Transfer {
        from,
        to,
        token: 0,
        amount: 250_000,
        fee: 0,
        nonce: 0,
    };
    let hash = rpc
        .send_transaction(L2Tx::sign_transfer(transfer, &alice, &domain))
        .await
        .unwrap();
    assert_eq!(balance_of(rpc, &bob).await, Some((to, 255_000)));
    let recipient = &owners[2];
    let withdraw = Withdraw {
        from: to,
        token: 0,
        amount: 100_000,
        fee: 0,
        nonce: 0,
        to: recipient.address,
    };
    let withdrawal = rpc
        .send_transaction(L2Tx::sign_withdraw(withdraw, &bob, &domain))
        .await
        .unwrap();

    let info = eventually(300, "the withdrawal final on L1", || async {
        let info = rpc.get_transaction(withdrawal).await.ok()?;
        (info.status == BatchStatus::Finalized).then_some(info)
    })
    .await;
    assert!(info.l1_tx_hash.is_some());
    let transfer_info = rpc.get_transaction(hash).await.unwrap();
    assert_eq!(transfer_info.status, BatchStatus::Finalized);
    let batch = rpc.get_batch(info.batch.unwrap()).await.unwrap();
    assert_eq!(batch.status, BatchStatus::Finalized);
    let proof = batch.proof.expect("a finalized batch has its proof");
    assert_eq!(proof.proof["protocol"], "groth16");

    let rollup = Rollup::new(deployment.rollup, recipient.provider.clone());
    let chain_info = rpc.chain_info().await.unwrap();
    let on_chain_root = rollup.stateRoot().call().await.unwrap();
    assert_eq!(chain_info.state_root, format!("{on_chain_root:#066x}"));
    assert!(chain_info.latest_finalized >= info.batch.unwrap());
    let account_proof = rpc.get_account_proof(to).await.unwrap();
    assert_eq!(account_proof.root, chain_info.state_root);
    assert_eq!(account_proof.account.unwrap().balance, "155000");

    let pending = rollup.pendingWithdrawals(recipient.address, 0).call().await;
    assert_eq!(pending.unwrap(), U256::from(100_000u64));
    let before = recipient
        .provider
        .get_balance(recipient.address)
        .await
        .unwrap();
    let receipt = mined(rollup.withdraw(0)).await;
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    let after = recipient
        .provider
        .get_balance(recipient.address)
        .await
        .unwrap();
    assert_eq!(
        after + gas - before,
        U256::from(100_000u64),
        "the L1 balance grew"
    );
}

/// anvil with Verity deployed and a node on it taking L1 events at `confirmations`, sealing
/// batches after `interval_ms`.
pub async fn anvil_node(confirmations: u64, interval_ms: u64) -> (Chain, tempfile::TempDir, Node) {
    let prover = std::sync::Arc::new(super::prover());
    let chain = super::chain(&prover, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let node = super::start_node(
        &chain.deployment,
        chain.provider.clone(),
        prover,
        dir.path(),
        confirmations,
        interval_ms,
    )
    .await;
    (chain, dir, node)
}
