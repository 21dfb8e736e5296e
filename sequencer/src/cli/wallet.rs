//! `verity wallet …`: key generation and offline signing, printing JSON.

use alloy_primitives::Address;
use anyhow::Context;
use clap::{Args, Subcommand};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{AccountIndex, Domain, L2Tx, TokenId, Transfer, Withdraw};

use crate::wallet::{KeygenOutput, SignedTxOutput};

/// The wallet subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Print a key pair as JSON (a fresh random key unless --private-key is given).
    Keygen {
        /// 32-byte private key, hex.
        #[arg(long, env = "VERITY_PRIVATE_KEY")]
        private_key: Option<String>,
    },
    /// Sign a transfer offline and print it as JSON.
    SignTransfer {
        #[command(flatten)]
        signer: Signer,
        /// Sender account index.
        #[arg(long)]
        from: AccountIndex,
        /// Recipient account index.
        #[arg(long)]
        to: AccountIndex,
        #[command(flatten)]
        payment: Payment,
    },
    /// Sign a withdrawal offline and print it as JSON.
    SignWithdraw {
        #[command(flatten)]
        signer: Signer,
        /// Account index withdrawn from.
        #[arg(long)]
        from: AccountIndex,
        /// L1 recipient address.
        #[arg(long = "l1-recipient")]
        l1_recipient: Address,
        #[command(flatten)]
        payment: Payment,
    },
}

/// Who signs, for which deployment.
#[derive(Debug, Args)]
pub struct Signer {
    /// 32-byte private key, hex.
    #[arg(long, env = "VERITY_PRIVATE_KEY")]
    private_key: String,
    /// L1 chain id the Rollup contract lives on.
    #[arg(long)]
    chain_id: u64,
    /// The Rollup contract address.
    #[arg(long)]
    rollup: Address,
}

/// What is paid.
#[derive(Debug, Args)]
pub struct Payment {
    /// Token id (0 is ETH).
    #[arg(long, default_value_t = 0)]
    token: TokenId,
    /// Amount in the token's smallest unit.
    #[arg(long)]
    amount: u128,
    /// Fee in the token's smallest unit.
    #[arg(long, default_value_t = 0)]
    fee: u128,
    /// The account's current nonce.
    #[arg(long)]
    nonce: u32,
}

fn parse_private_key(text: &str) -> anyhow::Result<PrivateKey> {
    let bytes = hex::decode(text.trim().trim_start_matches("0x")).context("private key hex")?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow::anyhow!("a private key has 32 bytes, got {}", b.len()))?;
    Ok(PrivateKey::from_bytes(bytes))
}

impl Signer {
    fn key_and_domain(&self) -> anyhow::Result<(PrivateKey, Domain)> {
        let domain = Domain {
            chain_id: self.chain_id,
            rollup_address: self.rollup,
        };
        Ok((parse_private_key(&self.private_key)?, domain))
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs a wallet subcommand.
pub fn run(command: WalletCommand) -> anyhow::Result<()> {
    match command {
        WalletCommand::Keygen { private_key } => {
            let key = match private_key {
                Some(text) => parse_private_key(&text)?,
                None => PrivateKey::random(&mut rand::rngs::OsRng),
            };
            print_json(&KeygenOutput::new(&key))
        }
        WalletCommand::SignTransfer {
            signer,
            from,
            to,
            payment,
        } => {
            let (key, domain) = signer.key_and_domain()?;
            let tx = Transfer {
                from,
                to,
                token: payment.token,
                amount: payment.amount,
                fee: payment.fee,
                nonce: payment.nonce,
            };
            let signed = L2Tx::sign_transfer(tx, &key, &domain);
            print_json(&SignedTxOutput::new(signed, &key, &domain))
        }
        WalletCommand::SignWithdraw {
            signer,
            from,
            l1_recipient,
            payment,
        } => {
            let (key, domain) = signer.key_and_domain()?;
            let tx = Withdraw {
                from,
                token: payment.token,
                amount: payment.amount,
                fee: payment.fee,
                nonce: payment.nonce,
                to: l1_recipient,
            };
            let signed = L2Tx::sign_withdraw(tx, &key, &domain);
            print_json(&SignedTxOutput::new(signed, &key, &domain))
        }
    }
}
