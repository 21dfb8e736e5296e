//! `verity-bench gas`: on a real EVM (anvil), the gas of `submitBatch` for full batches of
//! transfers at each size, split into proof verification, calldata and the rest (hashing,
//! storage, events), and the L1 gas per transfer projected to 1,024 slots; the same batch
//! published in a blob instead (`submitBlobBatch`, proven for its blob, sent from an anvil
//! snapshot that is then reverted), its execution and blob gas and their projection; then, at the
//! smallest size of two slots or more, what users send to L1 (deposits of ETH and of an ERC-20, a forced-exit
//! request, a claim) and a payout's share of `submitBatch`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use anyhow::{ensure, Context};
use ark_bn254::Bn254;
use ark_groth16::Proof;
use clap::Args;
use serde_json::json;
use verity_circuits::batch::{Batch, BatchBuilder};
use verity_circuits::circuit::{BatchWitness, CircuitSize};
use verity_circuits::eddsa::PrivateKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{Deposit, L2Tx, PriorityOp, Transfer, Withdraw};
use verity_circuits::state::{State, StateConfig};
use verity_circuits::Fr;
use verity_l1::blob::{sidecar, BatchBlob};
use verity_l1::contracts::{
    batch_data, blob_batch_data, proof_words, public_input_words, Groth16Verifier, Rollup,
    StipendRefuser, TestToken,
};
use verity_l1::deploy::{deploy, DeployConfig};
use verity_l1::deployment::Deployment;
use verity_prover::setup;
use verity_prover::BatchProver;
use verity_sequencer::out;

/// `verity-bench gas` arguments.
#[derive(Debug, Args)]
pub struct GasArgs {
    /// Batch sizes to measure (at least two, for the projection).
    #[arg(long, value_delimiter = ',', default_value = "8,64")]
    slots: Vec<usize>,
    /// Tree depth.
    #[arg(long, default_value_t = 32)]
    depth: u8,
    /// The anvil binary (default: $VERITY_ANVIL, then verifier-contracts' pinned anvil, then
    /// `anvil` on the PATH).
    #[arg(long)]
    anvil: Option<PathBuf>,
    /// Batches of transfers sent together in one `submitBatches` transaction at the largest
    /// size, in calldata and in blobs (one blob each, so at most 6); below 2, none.
    #[arg(long, default_value_t = 4)]
    group: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Starts anvil (`explicit`, else $VERITY_ANVIL, else verifier-contracts' pinned build,
/// else `anvil` on the PATH) with a block gas limit that holds the largest batches.
pub(crate) fn spawn_anvil(explicit: Option<PathBuf>) -> anyhow::Result<AnvilInstance> {
    Ok(Anvil::at(anvil_binary(explicit))
        .arg("--gas-limit")
        .arg("1000000000")
        .try_spawn()?)
}

fn anvil_binary(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| std::env::var_os("VERITY_ANVIL").map(PathBuf::from))
        .or_else(|| {
            let pinned = PathBuf::from(
                "verifier-contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil",
            );
            pinned.is_file().then_some(pinned)
        })
        .unwrap_or_else(|| PathBuf::from("anvil"))
}

/// EIP-2028 calldata cost.
fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// Runs `verity-bench gas`.
pub fn run(args: GasArgs) -> anyhow::Result<()> {
    ensure!(
        args.slots.len() >= 2,
        "measure at least two sizes to project"
    );
    let provers: Vec<BatchProver> = args
        .slots
        .iter()
        .map(|&slots| {
            let size = CircuitSize {
                slots,
                fee_slots: 2,
                depth: args.depth,
            };
            eprintln!("setting up {slots} slots at depth {}", args.depth);
            Ok(BatchProver::new(
                size,
                setup(size, &mut rand::rngs::OsRng)?,
            )?)
        })
        .collect::<anyhow::Result<_>>()?;
    let anvil = spawn_anvil(args.anvil)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let rows = runtime.block_on(async {
        // Nonces are asked for each transaction (no cache): a blob batch is sent from a
        // snapshot that is then reverted.
        let provider = verity_l1::sending_provider(
            anvil.endpoint_url(),
            anvil.wallet().context("anvil's dev accounts")?,
        );
        let mut rows = Vec::new();
        for (at, prover) in provers.iter().enumerate() {
            let group = if at + 1 == provers.len() {
                args.group
            } else {
                0
            };
            rows.push(measure(&provider, prover, anvil.addresses()[1], group).await?);
        }
        // A payout is measured against a transfer between two accounts: at least two slots.
        let smallest = provers
            .iter()
            .find(|p| p.size().slots >= 2)
            .context("user operations need a size of at least two slots")?;
        let users = user_operations(&provider, smallest, anvil.addresses()[1]).await?;
        anyhow::Ok((rows, users))
    })?;
    let (rows, users) = rows;

    let (small, large) = (&rows[0], &rows[rows.len() - 1]);
    let per_slot = (large["total"].as_f64().unwrap() - small["total"].as_f64().unwrap())
        / (large["slots"].as_f64().unwrap() - small["slots"].as_f64().unwrap());
    let fixed = small["total"].as_f64().unwrap() - per_slot * small["slots"].as_f64().unwrap();
    let projected = per_slot + fixed / 1024.0;
    let blob_total = |row: &serde_json::Value| row["blob"]["total"].as_f64().unwrap();
    let blob_per_slot = (blob_total(large) - blob_total(small))
        / (large["slots"].as_f64().unwrap() - small["slots"].as_f64().unwrap());
    let blob_fixed = blob_total(small) - blob_per_slot * small["slots"].as_f64().unwrap();
    let blob_projected = blob_per_slot + blob_fixed / 1024.0;
    // One blob a batch, whatever it holds.
    let blob_gas_projected = large["blob"]["blob_gas"].as_f64().unwrap() / 1024.0;
    let report = json!({
        "depth": args.depth,
        "batches": rows,
        "marginal_gas_per_transfer": per_slot,
        "fixed_gas_per_batch": fixed,
        "projected_gas_per_transfer_at_1024_slots": projected,
        "blob_marginal_gas_per_transfer": blob_per_slot,
        "blob_fixed_gas_per_batch": blob_fixed,
        "blob_projected_gas_per_transfer_at_1024_slots": blob_projected,
        "blob_gas_per_transfer_at_1024_slots": blob_gas_projected,
        "user_operations": users,
    });
    if args.json {
        out!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("projected L1 gas per transfer at 1,024 slots: {projected:.0} (marginal {per_slot:.0}, fixed {fixed:.0})")?;
        out!("in a blob: {blob_projected:.0} execution gas (marginal {blob_per_slot:.0}, fixed {blob_fixed:.0}) and {blob_gas_projected:.0} blob gas per transfer")?;
        out!("user operations (gas): {users}")?;
    }
    Ok(())
}

/// Deploys, fills the tree with one deposit batch, then measures a batch of transfers, and
/// then `group` more sent together (none below two).
async fn measure<P: Provider>(
    provider: &P,
    prover: &BatchProver,
    user: Address,
    group: usize,
) -> anyhow::Result<serde_json::Value> {
    let size = prover.size();
    let config = DeployConfig::single(size, prover.verifying_key(), 3600);
    let deployment = deploy(provider, &config).await?;
    let rollup = Rollup::new(deployment.rollup, provider);
    let (keys, deposits) = fund_slots(&rollup, size.slots, user).await?;
    let (state, batch) = consume_deposits(&rollup, prover, &deployment, &deposits).await?;

    let transfers = |nonce: u32| {
        let keys = &keys;
        let domain = deployment.domain();
        move |b: &mut BatchBuilder<'_>| {
            let accounts = keys.len() as u32;
            for from in 0..accounts {
                let tx = Transfer {
                    from,
                    to: (from + 1) % accounts,
                    token: 0,
                    amount: 10u128.pow(15),
                    fee: 10u128.pow(12),
                    nonce,
                };
                b.push_l2(&L2Tx::sign_transfer(tx, &keys[from as usize], &domain))
                    .expect("a valid transfer");
            }
        }
    };
    let (after, batch, proof) = prove_batch(
        prover,
        &state,
        &transfers(0),
        2,
        batch.header.priority_after,
    )?;
    let blob = measure_blob(provider, &rollup, prover, &state, &batch).await?;
    let call = rollup.submitBatch(batch_data(&batch), proof_words(&proof));
    let calldata = call.calldata().clone();
    let receipt = call.send().await?.get_receipt().await?;
    ensure!(receipt.status(), "the transfer batch reverted");

    let grouped = if group >= 2 {
        let batches = (1..=group as u32).map(|nonce| transfers(nonce));
        measure_group(provider, &rollup, prover, after, &batch, batches).await?
    } else {
        serde_json::Value::Null
    };

    let verifier = Groth16Verifier::new(deployment.verifiers[0].address, provider);
    let verify_call = verifier.verifyProof(
        proof_words(&proof),
        public_input_words(&batch.public_inputs()),
    );
    let verify_total = verify_call.estimate_gas().await?;
    let verification = verify_total - 21_000 - calldata_gas(verify_call.calldata());
    let total = receipt.gas_used;
    let calldata_cost = calldata_gas(&calldata);
    Ok(json!({
        "slots": size.slots,
        "pubdata_bytes": batch.pubdata.len(),
        "calldata_bytes": calldata.len(),
        "total": total,
        "base_transaction": 21_000,
        "calldata": calldata_cost,
        "proof_verification": verification,
        "hashing_storage_and_events": total - 21_000 - calldata_cost - verification,
        "per_transfer": total as f64 / size.slots as f64,
        "blob": blob,
        "group": grouped,
    }))
}

/// Batches after `last` (each filled by one of `fills`), proven for calldata and, apart, each
/// for a blob of its own, and sent together by `submitBatches` from a snapshot of the chain,
/// restored after each: the gas of the calldata group, of the blob group and its blob gas.
async fn measure_group<P: Provider, F: Fn(&mut BatchBuilder<'_>)>(
    provider: &P,
    rollup: &Rollup::RollupInstance<&P>,
    prover: &BatchProver,
    mut state: State,
    last: &Batch,
    fills: impl Iterator<Item = F>,
) -> anyhow::Result<serde_json::Value> {
    let (mut calldata, mut in_blobs, mut blobs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut number, mut priority) = (last.header.number, last.header.priority_after);
    for fill in fills {
        number += 1;
        let pre = state.clone();
        let (next, batch, proof) = prove_batch(prover, &pre, &fill, number, priority)?;
        let blob = BatchBlob::new(&batch.pubdata)?;
        let mut in_blob = batch.clone();
        in_blob.publish_in_blob(&blob.versioned_hash.0);
        let witness = BatchWitness::build(&pre, &in_blob, prover.size())?;
        let (blob_proof, _) = prover.prove(witness, &mut rand::rngs::OsRng)?;
        priority = batch.header.priority_after;
        calldata.push((batch_data(&batch), proof_words(&proof)));
        let (data, opening) = blob_batch_data(&in_blob, &blob, blobs.len())?;
        in_blobs.push((data, opening, proof_words(&blob_proof)));
        blobs.push(blob);
        state = next;
    }
    let count = calldata.len();
    let (data, words): (Vec<_>, Vec<_>) = calldata.into_iter().unzip();
    let in_calldata =
        from_snapshot(provider, rollup.submitBatches(data, Vec::new(), words)).await?;
    let mut data = Vec::new();
    let mut openings = Vec::new();
    let mut words = Vec::new();
    for (batch, opening, proof) in in_blobs {
        data.push(batch);
        openings.push(opening);
        words.push(proof);
    }
    let call = rollup
        .submitBatches(data, openings, words)
        .sidecar_7594(sidecar(&blobs.iter().collect::<Vec<_>>())?);
    let in_blob = from_snapshot(provider, call).await?;
    let transfers = (count * prover.size().slots) as f64;
    Ok(json!({
        "batches": count,
        "total": in_calldata.gas_used,
        "per_transfer": in_calldata.gas_used as f64 / transfers,
        "blob_total": in_blob.gas_used,
        "blob_gas": in_blob.blob_gas_used,
        "blob_per_transfer": in_blob.gas_used as f64 / transfers,
    }))
}

/// Sends `call` from a snapshot of the chain, which is then restored; its receipt.
async fn from_snapshot<P: Provider, Q: Provider>(
    provider: &P,
    call: alloy::contract::CallBuilder<Q, std::marker::PhantomData<Rollup::submitBatchesCall>>,
) -> anyhow::Result<alloy::rpc::types::TransactionReceipt> {
    let snapshot: U256 = provider.raw_request("evm_snapshot".into(), ()).await?;
    let receipt = call.send().await?.get_receipt().await?;
    let reverted: bool = provider
        .raw_request("evm_revert".into(), (snapshot,))
        .await?;
    ensure!(receipt.status(), "the batches reverted");
    ensure!(reverted, "anvil did not restore its snapshot");
    Ok(receipt)
}

/// `batch` (after `pre`) published in a blob instead: proven for its blob and sent with it
/// from a snapshot of the chain, which is then restored; its execution and blob gas.
async fn measure_blob<P: Provider>(
    provider: &P,
    rollup: &Rollup::RollupInstance<&P>,
    prover: &BatchProver,
    pre: &State,
    batch: &Batch,
) -> anyhow::Result<serde_json::Value> {
    let blob = BatchBlob::new(&batch.pubdata)?;
    let mut in_blob = batch.clone();
    in_blob.publish_in_blob(&blob.versioned_hash.0);
    let witness = BatchWitness::build(pre, &in_blob, prover.size())?;
    let (proof, _) = prover.prove(witness, &mut rand::rngs::OsRng)?;
    let (data, opening) = blob_batch_data(&in_blob, &blob, 0)?;
    let snapshot: U256 = provider.raw_request("evm_snapshot".into(), ()).await?;
    let receipt = rollup
        .submitBlobBatch(data, opening, proof_words(&proof))
        .sidecar_7594(sidecar(&[&blob])?)
        .send()
        .await?
        .get_receipt()
        .await?;
    let reverted: bool = provider
        .raw_request("evm_revert".into(), (snapshot,))
        .await?;
    ensure!(receipt.status(), "the blob batch reverted");
    ensure!(reverted, "anvil did not restore its snapshot");
    let slots = prover.size().slots as f64;
    Ok(json!({
        "total": receipt.gas_used,
        "blob_gas": receipt.blob_gas_used,
        "per_transfer": receipt.gas_used as f64 / slots,
    }))
}

/// Batch 1 of a fresh deployment, consuming `deposits`, proven and finalized: the state after
/// it and the batch.
async fn consume_deposits<P: Provider>(
    rollup: &Rollup::RollupInstance<P>,
    prover: &BatchProver,
    deployment: &Deployment,
    deposits: &[Deposit],
) -> anyhow::Result<(State, Batch)> {
    let genesis = State::new(StateConfig {
        depth: prover.size().depth,
        domain: deployment.domain(),
    })?;
    let (state, batch, proof) = prove_batch(
        prover,
        &genesis,
        &|b| {
            for d in deposits {
                b.push_priority(&PriorityOp::Deposit(*d))
                    .expect("room for the deposits");
            }
        },
        1,
        Fr::from(0u64),
    )?;
    rollup
        .submitBatch(batch_data(&batch), proof_words(&proof))
        .send()
        .await?
        .watch()
        .await?;
    Ok((state, batch))
}

/// Executes batch `number` on a copy of `pre` with `fill` (the operator's fee account is
/// account 0) and proves it: the state after, the batch and its proof.
pub(crate) fn prove_batch(
    prover: &BatchProver,
    pre: &State,
    fill: &dyn Fn(&mut BatchBuilder<'_>),
    number: u64,
    priority: Fr,
) -> anyhow::Result<(State, Batch, Proof<Bn254>)> {
    let mut next = pre.clone();
    let mut builder = BatchBuilder::new(
        &mut next,
        prover.size().batch_params(),
        number,
        priority,
        BTreeMap::from([(0, 0)]),
    );
    fill(&mut builder);
    let batch = builder.seal();
    let witness = BatchWitness::build(pre, &batch, prover.size())?;
    let (proof, _) = prover.prove(witness, &mut rand::rngs::OsRng)?;
    Ok((next, batch, proof))
}

/// One key per slot, each credited 1 ETH by a deposit `user` makes on L1: the keys and the
/// deposits, in queue order.
pub(crate) async fn fund_slots<P: Provider>(
    rollup: &Rollup::RollupInstance<P>,
    slots: usize,
    user: Address,
) -> anyhow::Result<(Vec<PrivateKey>, Vec<Deposit>)> {
    let (keys, deposits, _) = fund_slots_metered(rollup, slots, user).await?;
    Ok((keys, deposits))
}

/// [`fund_slots`], with the gas of each deposit.
async fn fund_slots_metered<P: Provider>(
    rollup: &Rollup::RollupInstance<P>,
    slots: usize,
    user: Address,
) -> anyhow::Result<(Vec<PrivateKey>, Vec<Deposit>, Vec<u64>)> {
    let keys: Vec<PrivateKey> = (0..slots)
        .map(|i| PrivateKey::from_bytes([i as u8 + 1; 32]))
        .collect();
    let deposits: Vec<Deposit> = keys
        .iter()
        .map(|k| Deposit {
            pubkey: k.public_key(),
            l1_address: user,
            token: 0,
            amount: 10u128.pow(18),
        })
        .collect();
    let mut gas = Vec::with_capacity(deposits.len());
    for d in &deposits {
        let receipt = rollup
            .deposit(
                0,
                fr_to_u256(&d.pubkey.0.x()),
                fr_to_u256(&d.pubkey.0.y()),
                d.amount,
            )
            .from(user)
            .value(U256::from(d.amount))
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "a deposit reverted");
        gas.push(receipt.gas_used);
    }
    Ok((keys, deposits, gas))
}

fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

/// What users send to L1, and a payout's share of `submitBatch`, on a fresh deployment of
/// `prover`'s size: deposits of ETH (one per slot; the first into an empty queue also writes
/// its counters and a word of queue records from zero, so it is reported apart from the median
/// of the rest) and of an ERC-20 (the first makes the Rollup's balance of the token, the
/// second is ordinary), a
/// payout (a batch with one withdrawal against the same batch with a transfer instead, both
/// proven): paid straight to an account without code, and to a contract that refuses the
/// stipend, where it waits as a pending balance; that balance's claim (`withdrawFor`); and a
/// forced-exit request.
async fn user_operations<P: Provider>(
    provider: &P,
    prover: &BatchProver,
    user: Address,
) -> anyhow::Result<serde_json::Value> {
    let size = prover.size();
    let config = DeployConfig::single(size, prover.verifying_key(), 3600);
    let deployment = deploy(provider, &config).await?;
    let domain = deployment.domain();
    let rollup = Rollup::new(deployment.rollup, provider);
    let (keys, deposits, eth_gas) = fund_slots_metered(&rollup, size.slots, user).await?;

    let token = TestToken::deploy(provider).await?;
    token
        .mint(user, U256::from(10u128.pow(21)))
        .send()
        .await?
        .watch()
        .await?;
    token
        .approve(*rollup.address(), U256::MAX)
        .from(user)
        .send()
        .await?
        .watch()
        .await?;
    rollup
        .registerToken(*token.address())
        .send()
        .await?
        .watch()
        .await?;
    let mut erc20_gas = Vec::new();
    for key in &keys[..2] {
        let pubkey = key.public_key();
        let receipt = rollup
            .deposit(
                1,
                fr_to_u256(&pubkey.0.x()),
                fr_to_u256(&pubkey.0.y()),
                10u128.pow(18),
            )
            .from(user)
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "an ERC-20 deposit reverted");
        erc20_gas.push(receipt.gas_used);
    }

    let (state, batch) = consume_deposits(&rollup, prover, &deployment, &deposits).await?;
    let priority = batch.header.priority_after;
    let amount = 10u128.pow(17);
    // A batch of one withdrawal of `amount` ETH from account 0, of `nonce`, to `to`.
    let withdrawal_batch = |pre: &State, nonce: u32, to: Address, number: u64| {
        let tx = Withdraw {
            from: 0,
            token: 0,
            amount,
            fee: 0,
            nonce,
            to,
        };
        let signed = L2Tx::sign_withdraw(tx, &keys[0], &domain);
        let fill = |b: &mut BatchBuilder<'_>| {
            b.push_l2(&signed).expect("a valid withdrawal");
        };
        prove_batch(prover, pre, &fill, number, priority)
    };
    let (after_withdrawal, withdrawal, withdrawal_proof) = withdrawal_batch(&state, 0, user, 2)?;
    let (_, transfer, transfer_proof) = prove_batch(
        prover,
        &state,
        &|b| {
            let tx = Transfer {
                from: 0,
                to: 1,
                token: 0,
                amount,
                fee: 0,
                nonce: 0,
            };
            b.push_l2(&L2Tx::sign_transfer(tx, &keys[0], &domain))
                .expect("a valid transfer");
        },
        2,
        priority,
    )?;
    let with_payout = rollup
        .submitBatch(batch_data(&withdrawal), proof_words(&withdrawal_proof))
        .estimate_gas()
        .await?;
    let without = rollup
        .submitBatch(batch_data(&transfer), proof_words(&transfer_proof))
        .estimate_gas()
        .await?;
    let receipt = rollup
        .submitBatch(batch_data(&withdrawal), proof_words(&withdrawal_proof))
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "the withdrawal batch reverted");
    ensure!(
        rollup.pendingWithdrawals(user, 0).call().await? == U256::ZERO,
        "the withdrawal was paid straight to its recipient"
    );
    let refuser = StipendRefuser::deploy(provider).await?;
    let (_, to_refuser, to_refuser_proof) =
        withdrawal_batch(&after_withdrawal, 1, *refuser.address(), 3)?;
    let submit_to_refuser =
        rollup.submitBatch(batch_data(&to_refuser), proof_words(&to_refuser_proof));
    let pending_payout = submit_to_refuser.estimate_gas().await?;
    let receipt = submit_to_refuser.send().await?.get_receipt().await?;
    ensure!(receipt.status(), "the batch paying the contract reverted");
    ensure!(
        rollup
            .pendingWithdrawals(*refuser.address(), 0)
            .call()
            .await?
            == U256::from(amount),
        "the payment the contract refused is pending"
    );
    let claim = rollup
        .withdrawFor(*refuser.address(), 0)
        .from(user)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(claim.status(), "the claim reverted");
    let forced_exit = rollup
        .requestForcedExit(1, 0)
        .from(user)
        .value(rollup.forcedExitFee().call().await?)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(forced_exit.status(), "the forced-exit request reverted");
    Ok(json!({
        "deposit_eth_first": eth_gas[0],
        "deposit_eth": median(&eth_gas[1..]),
        "deposit_erc20_first": erc20_gas[0],
        "deposit_erc20": erc20_gas[1],
        "submit_batch_with_one_withdrawal": with_payout,
        "submit_batch_with_one_transfer": without,
        "payout_share": with_payout.saturating_sub(without),
        "submit_batch_with_one_pending_payout": pending_payout,
        "payout_share_pending": pending_payout.saturating_sub(without),
        "claim_eth": claim.gas_used,
        "forced_exit_request": forced_exit.gas_used,
    }))
}
