//! `verity wallet …`: key generation and offline signing, and (in [`wallet_rpc`]) the
//! commands that talk to a node or the L1; all print JSON.

use alloy_primitives::Address;
use clap::{Args, Subcommand};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::ops::{AccountIndex, Domain, L2Tx, TokenId, Transfer, Withdraw};
use verity_rpc_api::AccountRef;
use verity_wallet::{parse_private_key, KeygenOutput, SignedTxOutput};

use super::{wallet_exit, wallet_rpc};

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
    /// Deposit on L1 to the account of an L2 key (created on first deposit).
    Deposit {
        #[command(flatten)]
        l1: wallet_rpc::L1Args,
        /// The L2 private key whose account is credited, hex.
        #[arg(long, env = "VERITY_PRIVATE_KEY")]
        private_key: String,
        /// Token id (0 is ETH).
        #[arg(long, default_value_t = 0)]
        token: TokenId,
        /// Amount in the token's smallest unit.
        #[arg(long)]
        amount: u128,
    },
    /// Send a transfer through a node.
    Transfer {
        #[command(flatten)]
        send: wallet_rpc::SendArgs,
        /// Recipient account index.
        #[arg(long)]
        to: AccountIndex,
    },
    /// Send a withdrawal to L1 through a node (claim it on L1 once final).
    Withdraw {
        #[command(flatten)]
        send: wallet_rpc::SendArgs,
        /// L1 recipient address.
        #[arg(long = "l1-recipient")]
        l1_recipient: Address,
    },
    /// Pay out on L1 the L1 key's pending balance: what a batch could not pay it directly
    /// (batches pay withdrawals straight to their recipient), an exodus exit or forced-exit fees.
    Claim {
        #[command(flatten)]
        l1: wallet_rpc::L1Args,
        /// Token id (0 is ETH).
        #[arg(long, default_value_t = 0)]
        token: TokenId,
    },
    /// In exodus mode, exit the owner's accounts against the last verified root and claim
    /// the funds on L1, without the operator.
    Exit(wallet_exit::ExitArgs),
    /// Print accounts by index or packed public key.
    Balance {
        #[command(flatten)]
        rpc: wallet_rpc::RpcArgs,
        /// Account index.
        #[arg(long, conflicts_with = "public_key")]
        account: Option<AccountIndex>,
        /// Packed public key, 0x hex (every account of the key).
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Print a page of the transactions an account sent or received, oldest first.
    History {
        #[command(flatten)]
        rpc: wallet_rpc::RpcArgs,
        /// Account index.
        #[arg(long)]
        account: AccountIndex,
        /// Where the page starts: the `next` of the page before (default: the first).
        #[arg(long)]
        cursor: Option<u64>,
        /// Most transactions in the page (1 to 500; default 50).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Print a transaction's status, or the chain's without --tx.
    Status {
        #[command(flatten)]
        rpc: wallet_rpc::RpcArgs,
        /// Transaction hash.
        #[arg(long)]
        tx: Option<alloy::primitives::B256>,
        /// With `--tx`: print each status as it happens, one JSON line each, until finalized
        /// (over the node's WebSocket).
        #[arg(long, requires = "tx")]
        follow: bool,
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
    out!("{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(f)
}

/// Runs a wallet subcommand.
pub fn run(command: WalletCommand) -> anyhow::Result<()> {
    match command {
        WalletCommand::Deposit {
            l1,
            private_key,
            token,
            amount,
        } => block_on(wallet_rpc::deposit(l1, private_key, token, amount)),
        WalletCommand::Transfer { send, to } => block_on(wallet_rpc::transfer(send, to)),
        WalletCommand::Withdraw { send, l1_recipient } => {
            block_on(wallet_rpc::withdraw(send, l1_recipient))
        }
        WalletCommand::Claim { l1, token } => block_on(wallet_rpc::claim(l1, token)),
        WalletCommand::History {
            rpc,
            account,
            cursor,
            limit,
        } => block_on(wallet_rpc::history(rpc, account, cursor, limit)),
        WalletCommand::Exit(args) => block_on(wallet_exit::run(args)),
        WalletCommand::Balance {
            rpc,
            account,
            public_key,
        } => {
            let account = match (account, public_key) {
                (Some(index), _) => AccountRef::Index(index),
                (None, Some(key)) => AccountRef::Key(key),
                (None, None) => anyhow::bail!("give --account or --public-key"),
            };
            block_on(wallet_rpc::balance(rpc, account))
        }
        WalletCommand::Status { rpc, tx, follow } => block_on(wallet_rpc::status(rpc, tx, follow)),
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
