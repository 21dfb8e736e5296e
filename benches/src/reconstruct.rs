//! `verity-bench reconstruct`: on a local anvil, finalizes a chain of proven batches (one of
//! deposits, then full batches of transfers), rebuilds the state from L1 alone with
//! [`Reconstructor`] and reports its speed; then lets the operator vanish, starts exodus and
//! reports the L1 gas of one exit.

use std::path::PathBuf;
use std::time::Instant;

use alloy::primitives::U256;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use anyhow::{ensure, Context};
use clap::Args;
use serde_json::json;
use verity_circuits::circuit::CircuitSize;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{L2Tx, PriorityOp, Transfer};
use verity_circuits::state::{State, StateConfig};
use verity_circuits::Fr;
use verity_l1::contracts::{batch_data, exit_siblings, proof_words, Rollup};
use verity_l1::deploy::{deploy, DeployConfig};
use verity_prover::setup;
use verity_prover::BatchProver;
use verity_reconstruct::{ReconstructConfig, Reconstructor};

use verity_sequencer::out;

use crate::gas::{fund_slots, prove_batch, spawn_anvil};

const PRIORITY_WINDOW: u64 = 60;

/// `verity-bench reconstruct` arguments.
#[derive(Debug, Args)]
pub struct ReconstructArgs {
    /// Slots per batch (every slot is used).
    #[arg(long, default_value_t = 8)]
    slots: usize,
    /// Tree depth.
    #[arg(long, default_value_t = 32)]
    depth: u8,
    /// Batches to finalize (the first one deposits).
    #[arg(long, default_value_t = 30)]
    batches: u64,
    /// The anvil binary (default: $VERITY_ANVIL, then verifier-contracts' pinned anvil, then
    /// `anvil` on the PATH).
    #[arg(long)]
    anvil: Option<PathBuf>,
}

/// Runs `verity-bench reconstruct`; prints JSON.
pub fn run(args: ReconstructArgs) -> anyhow::Result<()> {
    ensure!(
        args.batches >= 2,
        "at least a deposit batch and a transfer batch"
    );
    let size = CircuitSize {
        slots: args.slots,
        fee_slots: 1,
        depth: args.depth,
    };
    eprintln!("setting up {} slots at depth {}", size.slots, size.depth);
    let prover = BatchProver::new(size, setup(size, &mut rand::rngs::OsRng)?)?;
    let anvil = spawn_anvil(args.anvil)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let provider = ProviderBuilder::new()
            .wallet(anvil.wallet().context("anvil's dev accounts")?)
            .connect_http(anvil.endpoint_url())
            .erased();
        let user = anvil.addresses()[1];
        let vk = prover.verifying_key();
        let deployment =
            deploy(&provider, &DeployConfig::single(size, vk, PRIORITY_WINDOW)).await?;
        let rollup = Rollup::new(deployment.rollup, provider.clone());
        let (keys, deposits) = fund_slots(&rollup, size.slots, user).await?;

        let mut state = State::new(StateConfig {
            depth: size.depth,
            domain: deployment.domain(),
        })?;
        let mut priority = Fr::from(0u64);
        let proving = Instant::now();
        for number in 1..=args.batches {
            let accounts = size.slots as u32;
            let fill = |b: &mut verity_circuits::batch::BatchBuilder<'_>| {
                if number == 1 {
                    for d in &deposits {
                        b.push_priority(&PriorityOp::Deposit(*d))
                            .expect("room for the deposits");
                    }
                    return;
                }
                for from in 0..accounts {
                    let tx = Transfer {
                        from,
                        to: (from + 1) % accounts,
                        token: 0,
                        amount: 10u128.pow(15),
                        fee: 10u128.pow(12),
                        nonce: (number - 2) as u32,
                    };
                    b.push_l2(&L2Tx::sign_transfer(
                        tx,
                        &keys[from as usize],
                        &deployment.domain(),
                    ))
                    .expect("a valid transfer");
                }
            };
            let (after, batch, proof) = prove_batch(&prover, &state, &fill, number, priority)?;
            let receipt = rollup
                .submitBatch(batch_data(&batch), proof_words(&proof))
                .send()
                .await?
                .get_receipt()
                .await?;
            ensure!(receipt.status(), "batch {number} reverted");
            state = after;
            priority = batch.header.priority_after;
            eprintln!("batch {number}/{} final", args.batches);
        }
        let proving_seconds = proving.elapsed().as_secs_f64();

        let dir = std::env::temp_dir().join(format!("verity-reconstruct-{}", std::process::id()));
        let mut reconstructor = Reconstructor::open(
            ReconstructConfig::default(),
            provider.clone(),
            deployment.clone(),
            &dir,
        )?;
        let reconstruction = reconstructor.sync().await?;
        ensure!(
            reconstruction.root == format!("{:#066x}", fr_to_u256(&state.root())),
            "the rebuilt root differs from the operator's"
        );

        let exit_gas = exodus_exit_gas(&provider, &rollup, &reconstructor, user).await?;
        drop(reconstructor);
        std::fs::remove_dir_all(&dir)?;
        anyhow::Ok(json!({
            "slots": size.slots,
            "depth": size.depth,
            "batches": args.batches,
            "operations": reconstruction.operations,
            "operator_seconds_to_prove_and_finalize": proving_seconds,
            "reconstruction": reconstruction,
            "exodus_exit_gas": exit_gas,
        }))
    })?;
    out!("{}", serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

/// The operator vanishes: a forced exit waits past its deadline, exodus starts, and account 0
/// exits with its proof from the rebuilt state; the exit's gas.
async fn exodus_exit_gas(
    provider: &DynProvider,
    rollup: &Rollup::RollupInstance<DynProvider>,
    reconstructor: &Reconstructor,
    user: alloy::primitives::Address,
) -> anyhow::Result<u64> {
    let fee = rollup.forcedExitFee().call().await?;
    rollup
        .requestForcedExit(0, 0)
        .from(user)
        .value(fee)
        .send()
        .await?
        .watch()
        .await?;
    let _: U256 = provider
        .raw_request("evm_increaseTime".into(), (PRIORITY_WINDOW + 1,))
        .await?;
    let _: String = provider.raw_request("evm_mine".into(), ()).await?;
    rollup.activateExodus().send().await?.watch().await?;
    let (account, siblings) = {
        let view = reconstructor.view();
        let view = view.read().expect("view lock");
        let account = *view.state.account(0).context("account 0")?;
        (account, exit_siblings(&view.state.proof(0)?))
    };
    let receipt = rollup
        .exit(
            0,
            [
                fr_to_u256(&account.pubkey.0.x()),
                fr_to_u256(&account.pubkey.0.y()),
            ],
            account.l1_address,
            account.token,
            account.balance,
            account.nonce,
            siblings,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "the exit reverted");
    Ok(receipt.gas_used)
}
