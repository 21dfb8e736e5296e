//! The rollup user's side of L1: deposits, claims of finalized withdrawals, and exits in
//! exodus mode.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::DynProvider;
use verity_circuits::eddsa::PublicKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::TokenId;
use verity_l1::contracts::{Rollup, TestToken};

use crate::exit::{ExitLeaf, Verified};
use crate::{parse_l1_signer, WalletError};

/// The Rollup contract, called by one L1 key.
#[derive(Clone, Debug)]
pub struct L1Wallet {
    rollup: Rollup::RollupInstance<DynProvider>,
    sender: Address,
}

/// A deposit mined on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deposited {
    /// Its L1 transaction.
    pub tx_hash: B256,
    /// The block it is in.
    pub block: Option<u64>,
}

/// An account's balance credited to its L1 owner in exodus mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exited {
    /// The exit's L1 transaction.
    pub tx_hash: B256,
    /// Gas it used.
    pub gas_used: u64,
}

impl L1Wallet {
    /// The Rollup at `rollup` on the L1 at `url`, signing with the L1 key `l1_key` (hex).
    pub fn connect(url: &str, l1_key: &str, rollup: Address) -> Result<L1Wallet, WalletError> {
        let signer = parse_l1_signer(l1_key)?;
        let sender = signer.address();
        let parsed = url.parse().map_err(|source| WalletError::Url {
            url: url.to_owned(),
            source,
        })?;
        let provider = verity_l1::sending_provider(parsed, signer);
        Ok(L1Wallet {
            rollup: Rollup::new(rollup, provider),
            sender,
        })
    }

    /// The address that signs.
    pub fn sender(&self) -> Address {
        self.sender
    }

    /// Queues a deposit of `amount` of `token` to the account of `owner_key` (created on the
    /// first deposit), approving the Rollup for an ERC-20 first.
    pub async fn deposit(
        &self,
        owner_key: &PublicKey,
        token: TokenId,
        amount: u128,
    ) -> Result<Deposited, WalletError> {
        if token != 0 {
            let address = self.rollup.tokens(U256::from(token)).call().await;
            let address = address.map_err(WalletError::contract("tokens"))?;
            let erc20 = TestToken::new(address, self.rollup.provider().clone());
            let approve = erc20.approve(*self.rollup.address(), U256::from(amount));
            send(approve, "approve").await?;
        }
        let call = self.rollup.deposit(
            token,
            fr_to_u256(&owner_key.0.x()),
            fr_to_u256(&owner_key.0.y()),
            amount,
        );
        let call = if token == 0 {
            call.value(U256::from(amount))
        } else {
            call
        };
        let receipt = send(call, "deposit").await?;
        Ok(Deposited {
            tx_hash: receipt.transaction_hash,
            block: receipt.block_number,
        })
    }

    /// Pays out the sender's pending balance of `token` (what a batch could not pay it
    /// directly, an exodus exit or forced-exit fees); [`WalletError::NothingPending`] when
    /// there is none.
    pub async fn claim(&self, token: TokenId) -> Result<B256, WalletError> {
        self.claim_if_pending(token)
            .await?
            .ok_or(WalletError::NothingPending(token))
    }

    /// Claims the sender's pending balance of `token` when it has one.
    pub async fn claim_if_pending(&self, token: TokenId) -> Result<Option<B256>, WalletError> {
        let pending = self
            .rollup
            .pendingWithdrawals(self.sender, token)
            .call()
            .await;
        if pending.map_err(WalletError::contract("pendingWithdrawals"))? == U256::ZERO {
            return Ok(None);
        }
        let receipt = send(self.rollup.withdraw(token), "withdraw").await?;
        Ok(Some(receipt.transaction_hash))
    }

    /// Starts exodus mode if it is off and the deadline of the oldest queued operation has
    /// passed; true when this call started it.
    pub async fn ensure_exodus(&self) -> Result<bool, WalletError> {
        let on = self.rollup.exodusMode().call().await;
        if on.map_err(WalletError::contract("exodusMode"))? {
            return Ok(false);
        }
        if self.rollup.activateExodus().call().await.is_err() {
            return Err(WalletError::NotInExodus);
        }
        send(self.rollup.activateExodus(), "activateExodus").await?;
        Ok(true)
    }

    /// The contract's last verified batch and root.
    pub async fn verified(&self) -> Result<Verified, WalletError> {
        let batch = self.rollup.batchNumber().call().await;
        let root = self.rollup.stateRoot().call().await;
        Ok(Verified {
            batch: batch.map_err(WalletError::contract("batchNumber"))?,
            root: root.map_err(WalletError::contract("stateRoot"))?,
        })
    }

    /// Exits `leaf` against the contract's last verified root, crediting its balance to its
    /// L1 owner; refuses a leaf that already exited.
    pub async fn exit(&self, leaf: &ExitLeaf) -> Result<Exited, WalletError> {
        let exited = self.rollup.exited(U256::from(leaf.index)).call().await;
        if exited.map_err(WalletError::contract("exited"))? {
            return Err(WalletError::AlreadyExited(leaf.index));
        }
        let call = self.rollup.exit(
            leaf.index,
            leaf.pubkey,
            leaf.owner,
            leaf.token,
            leaf.balance,
            leaf.nonce,
            leaf.siblings.clone(),
        );
        let receipt = send(call, "exit").await?;
        Ok(Exited {
            tx_hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
        })
    }
}

/// Sends `call`, waits for its receipt and refuses a revert.
async fn send<D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<&DynProvider, D>,
    name: &'static str,
) -> Result<alloy::rpc::types::TransactionReceipt, WalletError> {
    let pending = call.send().await.map_err(WalletError::contract(name))?;
    let receipt = pending
        .get_receipt()
        .await
        .map_err(WalletError::pending(name))?;
    if !receipt.status() {
        return Err(WalletError::Reverted {
            call: name,
            tx: receipt.transaction_hash,
        });
    }
    Ok(receipt)
}
