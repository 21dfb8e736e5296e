//! The sequencer: one thread that owns the layer-2 state and orders everything that changes
//! it. Transactions arrive from the RPC, L1 priority operations from the watcher; each is
//! executed into the open batch with the native rules, written to RocksDB with a synced
//! write, and only then acknowledged. Arrivals are taken in groups: signatures of a group
//! are verified in parallel, then the group is applied in order and made durable with one
//! synced write (group commit), so disk syncs do not bound throughput.
//!
//! A batch is sealed when its largest circuit is full or `batch_interval` after its first
//! operation; it is sealed into the smallest circuit that holds it, its witness is built,
//! and batch, witness (the proving job) and changed accounts are written atomically.
//! After a crash the state is restored from the accounts of the last sealed batch plus a
//! replay of the open batch's log, which holds exactly the acknowledged operations.
//!
//! A batch is also closed before its `submitBatch` would pass the configured L1 gas budget or
//! payout cap ([`crate::gas`]): a withdrawal that does not fit waits for the next batch, and
//! priority operations stop being taken, in queue order, at the first that does not fit.

use std::collections::{BTreeMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256};
use rayon::prelude::*;
use tokio::sync::{broadcast, oneshot};
use verity_circuits::batch::{BatchBuilder, BatchError};
use verity_circuits::circuit::CircuitSize;
use verity_circuits::eddsa::PublicKey;
use verity_circuits::field::fr_to_u256;
use verity_circuits::merkle::BadDepth;
use verity_circuits::ops::{AccountIndex, Domain, ExecutedOp, L2Tx, PriorityOp, TokenId};
use verity_circuits::state::{Account, SignedTx, State, StateConfig, TxError};
use verity_l1::events::L1Events;
use verity_rpc_api::convert::AccountQuery;
use verity_rpc_api::events::BatchEvent;
use verity_rpc_api::health::Stage;
use verity_storage::{
    ContentsRecord, OpenEntry, SequencerMeta, Store, StoreError, TxRecord, Writer,
};

use crate::gas::{BatchGas, BatchLimits};
use crate::health::Health;
use crate::materializer::{self, MaterializeError};
use crate::mempool::{MempoolConfig, Pending, Refusal};
use crate::publication::Publication;

/// What the sequencer is configured with.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// Circuit sizes with keys, all of one depth and fee-slot count.
    pub sizes: Vec<CircuitSize>,
    /// Longest time a batch stays open after its first operation.
    pub batch_interval: Duration,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// The operator's L2 key: its accounts collect fees (none: only fee-free transactions).
    pub operator: Option<PublicKey>,
    /// Most transactions applied per group commit.
    pub group: usize,
    /// What one batch may cost on L1 (gas budget, payout cap).
    pub limits: BatchLimits,
    /// Where sealed batches' pubdata goes on L1 (the materializer binds it there; the gas
    /// estimate follows).
    pub publication: Publication,
}

/// A sequencer failure: the node stops.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored accounts cannot form a tree of the deployment's depth.
    #[error("cannot restore the state: {0}")]
    Restore(#[from] BadDepth),
    /// A closed batch not yet final is missing from the database.
    #[error("cannot restore the state: closed batch {0} missing")]
    MissingClosedBatch(u64),
    /// The open batch's log names a queued operation the database does not hold.
    #[error("cannot restore the state: open batch log: queued operation {0} missing")]
    MissingQueuedOperation(u64),
    /// An operation of the open batch's log no longer applies.
    #[error("cannot restore the state: open batch log: {0}")]
    OpenLogDiverged(#[source] BatchError),
    /// A closed batch could not be sealed.
    #[error(transparent)]
    Materialize(#[from] MaterializeError),
    /// The sequencer thread panicked.
    #[error("sequencer {0}")]
    Panicked(String),
}

/// The sequencer's position as the RPC reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerStatus {
    /// The last closed batch.
    pub closed: u64,
    /// Operations in the open batch.
    pub open: usize,
    /// Acknowledged transactions not final on L1.
    pub pending: usize,
    /// Registered tokens.
    pub tokens: Vec<Address>,
    /// The last L1 block whose events were taken.
    pub l1_scanned: u64,
}

/// A request to the sequencer thread.
pub enum Command {
    /// Acknowledge a transaction.
    Submit {
        /// It.
        tx: L2Tx,
        /// Its hash, or why it was refused.
        reply: oneshot::Sender<Result<B256, Refusal>>,
    },
    /// Read accounts with every acknowledged operation applied.
    Accounts {
        /// Which.
        query: AccountQuery,
        /// The answer.
        reply: oneshot::Sender<Vec<(AccountIndex, Account)>>,
    },
    /// New L1 events.
    L1(L1Events),
    /// A batch became final on L1.
    Finalized(u64),
    /// Report the position.
    Status(oneshot::Sender<SequencerStatus>),
    /// Seal the open batch now (if it holds anything).
    Seal,
    /// Seal what the open batch holds and stop.
    Stop,
}

/// The sending side, which RPC handlers and the other components hold.
#[derive(Clone)]
pub struct SequencerHandle {
    sender: Sender<Command>,
}

impl SequencerHandle {
    /// A handle on the thread reading `receiver`.
    pub fn new(sender: Sender<Command>) -> SequencerHandle {
        SequencerHandle { sender }
    }

    fn send(&self, command: Command) -> bool {
        self.sender.send(command).is_ok()
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        if !self.send(make(reply)) {
            return None;
        }
        answer.await.ok()
    }

    /// Submits a transaction; answers once it is durable.
    pub async fn submit(&self, tx: L2Tx) -> Result<B256, Refusal> {
        self.ask(|reply| Command::Submit { tx, reply })
            .await
            .unwrap_or_else(|| Err(Refusal::Unavailable("the sequencer stopped".into())))
    }

    /// Accounts with every acknowledged operation applied.
    pub async fn accounts(&self, query: AccountQuery) -> Option<Vec<(AccountIndex, Account)>> {
        self.ask(|reply| Command::Accounts { query, reply }).await
    }

    /// The sequencer's position.
    pub async fn status(&self) -> Option<SequencerStatus> {
        self.ask(Command::Status).await
    }

    /// Hands over L1 events.
    pub fn l1_events(&self, events: L1Events) -> bool {
        self.send(Command::L1(events))
    }

    /// Reports a finalized batch.
    pub fn finalized(&self, batch: u64) -> bool {
        self.send(Command::Finalized(batch))
    }

    /// Seals the open batch now.
    pub fn seal(&self) -> bool {
        self.send(Command::Seal)
    }

    /// Stops the sequencer after sealing what it holds.
    pub fn stop(&self) -> bool {
        self.send(Command::Stop)
    }
}

/// The part of the sequencer that outlives each batch.
struct Sequencer {
    config: SequencerConfig,
    store: Store,
    domain: Domain,
    meta: SequencerMeta,
    pending: Pending,
    /// The open batch's transactions, in order.
    open_txs: Vec<(L2Tx, B256)>,
    /// Priority operations the open batch consumed.
    open_priority: u64,
    /// Payouts (withdrawals and forced exits) in the open batch.
    open_payouts: usize,
    /// The open batch can take no more priority operations within its L1 limits.
    priority_blocked: bool,
    opened_at: Option<Instant>,
    /// Commands held over for the next batch.
    carry: VecDeque<(Command, Verified)>,
    seal_requested: bool,
    stopping: bool,
    /// Signalled after each close.
    wake: Sender<()>,
}

/// Starts the sequencer, and the materializer that seals what it closes, on `store`, each
/// in a thread of its own. The sequencer's state is restored from the accounts of the last
/// materialized batch plus the closed batches after it and the open batch's log. Either
/// thread failing (an error or a panic) is reported to `health` at once, which stops the
/// node.
pub fn spawn(
    config: SequencerConfig,
    store: Store,
    state_config: StateConfig,
    receiver: Receiver<Command>,
    events: broadcast::Sender<BatchEvent>,
    health: Health,
) -> Result<std::thread::JoinHandle<Result<(), SequencerError>>, SequencerError> {
    let meta = store.sequencer_meta()?.unwrap_or_else(|| SequencerMeta {
        tokens: vec![Address::ZERO],
        ..SequencerMeta::default()
    });
    let full = State::restore(state_config, meta.tokens.len() as u32, store.accounts()?)?;
    let mut state = full.clone().accounts_only();
    let mut pending = Pending::default();
    let finalized = store.finalized_meta()?.batch;
    let executed = store.executed()?;
    for number in finalized.min(executed) + 1..=meta.closed {
        let record = store
            .contents(number)?
            .ok_or(SequencerError::MissingClosedBatch(number))?;
        if number > finalized {
            for op in &record.contents.ops {
                if let ExecutedOp::L2 { tx } = op {
                    pending.add(tx.from());
                }
            }
        }
        if number > executed {
            materializer::register_tokens(&mut state, &record);
            let pre = state.clone();
            materializer::execute(&mut state, &pre, &record)?.close();
        }
    }
    let (wake, wakeup) = std::sync::mpsc::channel();
    let materializer = std::thread::Builder::new()
        .name("materializer".into())
        .spawn({
            let (store, events, health) = (store.clone(), events.clone(), health.clone());
            move || {
                let publication = config.publication;
                let run = AssertUnwindSafe(|| {
                    materializer::run(store, full, wakeup, events, publication)
                });
                let result = std::panic::catch_unwind(run).unwrap_or_else(|panic| {
                    Err(MaterializeError::Panicked(crate::panic_message(&*panic)))
                });
                if let Err(error) = &result {
                    health.failed(Stage::Materializer, error);
                }
                result
            }
        })
        .expect("the materializer thread starts");
    let sequencer = Sequencer {
        domain: state_config.domain,
        config,
        store,
        meta,
        pending,
        open_txs: Vec::new(),
        open_priority: 0,
        open_payouts: 0,
        priority_blocked: false,
        opened_at: None,
        carry: VecDeque::new(),
        seal_requested: false,
        stopping: false,
        wake,
    };
    Ok(std::thread::Builder::new()
        .name("sequencer".into())
        .spawn(move || {
            let run = AssertUnwindSafe(|| sequencer.run(state, receiver));
            let sequenced = std::panic::catch_unwind(run).unwrap_or_else(|panic| {
                Err(SequencerError::Panicked(crate::panic_message(&*panic)))
            });
            if let Err(error) = &sequenced {
                health.failed(Stage::Sequencer, error);
            }
            let materialized = materializer
                .join()
                .expect("the materializer catches its panics");
            sequenced?;
            Ok(materialized?)
        })
        .expect("the sequencer thread starts"))
}

/// Whether a priority operation pays out on L1 (a forced exit always does, a zero payout when
/// nullified).
fn pays_out(op: &PriorityOp) -> bool {
    matches!(op, PriorityOp::ForcedExit(_))
}

/// Whether a transaction pays out on L1 (a withdrawal).
fn pays_out_l2(tx: &L2Tx) -> bool {
    matches!(tx, L2Tx::Withdraw { .. })
}

/// A submission's signature check, kept with it when it waits for the next batch.
type Verified = Option<Result<SignedTx, TxError>>;

/// What became of one command of a group.
enum Outcome {
    Done,
    /// The open batch must be sealed before this command.
    SealFirst(Box<(Command, Verified)>),
}

impl Sequencer {
    fn largest(&self) -> CircuitSize {
        *self.config.sizes.last().expect("at least one circuit size")
    }

    fn fee_accounts(&self, state: &State) -> BTreeMap<TokenId, AccountIndex> {
        let Some(operator) = self.config.operator else {
            return BTreeMap::new();
        };
        (0..state.token_count())
            .filter_map(|token| {
                state
                    .accounts_of(&operator, token)
                    .first()
                    .map(|index| (token, *index))
            })
            .collect()
    }

    fn run(mut self, mut state: State, receiver: Receiver<Command>) -> Result<(), SequencerError> {
        let mut replay = self.store.open_entries()?;
        while !self.stopping {
            let fee_accounts = self.fee_accounts(&state);
            let tokens = state.token_count();
            let mut builder = BatchBuilder::new(
                &mut state,
                self.largest().batch_params(),
                self.meta.closed + 1,
                self.meta.priority_hash,
                fee_accounts.clone(),
            );
            self.open_txs.clear();
            self.open_priority = 0;
            self.open_payouts = 0;
            self.priority_blocked = false;
            self.opened_at = None;
            for entry in std::mem::take(&mut replay) {
                self.replay(&mut builder, entry)?;
            }
            self.fill(&mut builder, &receiver)?;
            if builder.is_empty() {
                continue;
            }
            let size = self.smallest_fitting(builder.len(), builder.fee_slots_used());
            let tokens = tokens.max(builder.state().token_count());
            let record = ContentsRecord {
                size,
                priority_before: self.meta.priority_hash,
                contents: builder.close(),
                fee_accounts,
                tokens,
            };
            self.close(record)?;
        }
        Ok(())
    }

    fn smallest_fitting(&self, slots: usize, fee_slots: usize) -> CircuitSize {
        *self
            .config
            .sizes
            .iter()
            .find(|size| size.slots >= slots && size.fee_slots >= fee_slots)
            .expect("the largest size holds whatever the builder took")
    }

    /// Re-executes one logged operation after a restart.
    fn replay(
        &mut self,
        builder: &mut BatchBuilder<'_>,
        entry: OpenEntry,
    ) -> Result<(), SequencerError> {
        match entry {
            OpenEntry::L2 { tx } => {
                builder
                    .push_l2(&tx)
                    .map_err(SequencerError::OpenLogDiverged)?;
                self.open_payouts += usize::from(pays_out_l2(&tx));
                self.pending.add(tx.from());
                self.open_txs.push((tx, tx.tx_hash(&self.domain)));
            }
            OpenEntry::Priority { index } => {
                let (found, op) = self
                    .store
                    .queue_from(index)?
                    .into_iter()
                    .next()
                    .filter(|(found, _)| *found == index)
                    .ok_or(SequencerError::MissingQueuedOperation(index))?;
                debug_assert_eq!(found, index);
                builder
                    .push_priority(&op)
                    .map_err(SequencerError::OpenLogDiverged)?;
                self.open_priority += 1;
                self.open_payouts += usize::from(pays_out(&op));
            }
        }
        self.opened_at.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// Takes commands into the open batch until it must be sealed.
    fn fill(
        &mut self,
        builder: &mut BatchBuilder<'_>,
        receiver: &Receiver<Command>,
    ) -> Result<(), SequencerError> {
        loop {
            let mut writer = self.store.writer();
            let mut replies = Vec::new();
            self.include_priority(builder, &mut writer)?;
            let seal_now = builder.is_full() || self.priority_blocked || self.interval_passed();
            if seal_now {
                writer.commit(true)?;
                return Ok(());
            }
            let group = self.next_group(receiver);
            let group = self.verify_signatures(builder.state(), group);
            let mut seal = false;
            let mut commands = group.into_iter();
            for (command, signature) in commands.by_ref() {
                match self.apply(builder, command, signature, &mut writer, &mut replies)? {
                    Outcome::Done => {}
                    Outcome::SealFirst(held) => {
                        self.carry.push_back(*held);
                        seal = true;
                        break;
                    }
                }
            }
            self.carry.extend(commands);
            writer.sequencer_meta(&self.meta);
            writer.commit(true)?;
            for (reply, answer) in replies {
                let _ = reply.send(answer);
            }
            if seal || self.stopping || std::mem::take(&mut self.seal_requested) {
                return Ok(());
            }
        }
    }

    fn interval_passed(&self) -> bool {
        self.opened_at
            .is_some_and(|at| at.elapsed() >= self.config.batch_interval)
    }

    /// Held-over commands first, then whatever arrived, waiting at most until the open batch
    /// is due.
    fn next_group(&mut self, receiver: &Receiver<Command>) -> Vec<(Command, Verified)> {
        let mut group: Vec<(Command, Verified)> = Vec::new();
        let mut txs = 0;
        while txs < self.config.group {
            let Some(held) = self.carry.pop_front() else {
                break;
            };
            txs += usize::from(matches!(held.0, Command::Submit { .. }));
            group.push(held);
        }
        if group.is_empty() {
            let wait = match self.opened_at {
                Some(at) => self.config.batch_interval.saturating_sub(at.elapsed()),
                None => Duration::from_millis(500),
            };
            match receiver.recv_timeout(wait) {
                Ok(command) => group.push((command, None)),
                Err(RecvTimeoutError::Timeout) => return group,
                Err(RecvTimeoutError::Disconnected) => {
                    self.stopping = true;
                    return group;
                }
            }
        }
        while txs < self.config.group {
            match receiver.try_recv() {
                Ok(command) => {
                    txs += usize::from(matches!(command, Command::Submit { .. }));
                    group.push((command, None));
                }
                Err(_) => break,
            }
        }
        group
    }

    /// Verifies, in parallel, the signatures of the group's submissions not verified yet.
    fn verify_signatures(
        &self,
        state: &State,
        group: Vec<(Command, Verified)>,
    ) -> Vec<(Command, Verified)> {
        group
            .into_par_iter()
            .map(|(command, verified)| {
                let verified = match (&command, verified) {
                    (Command::Submit { tx, .. }, None) => Some(state.verify_signature(tx)),
                    (_, verified) => verified,
                };
                (command, verified)
            })
            .collect()
    }

    #[allow(clippy::type_complexity)]
    fn apply(
        &mut self,
        builder: &mut BatchBuilder<'_>,
        command: Command,
        signature: Verified,
        writer: &mut Writer,
        replies: &mut Vec<(
            oneshot::Sender<Result<B256, Refusal>>,
            Result<B256, Refusal>,
        )>,
    ) -> Result<Outcome, SequencerError> {
        match command {
            Command::Submit { tx, reply } => {
                let signed = match signature.expect("submissions are verified") {
                    Ok(signed) => signed,
                    Err(rule) => {
                        replies.push((reply, Err(Refusal::Rule(rule))));
                        return Ok(Outcome::Done);
                    }
                };
                if let Err(refusal) = self.pending.admit(&self.config.mempool, &tx) {
                    replies.push((reply, Err(refusal)));
                    return Ok(Outcome::Done);
                }
                let payout = pays_out_l2(&tx);
                if !self.gas(builder).admits(
                    payout,
                    &self.config.limits,
                    self.largest(),
                    self.config.publication,
                ) {
                    // Past the gas budget or payout cap: it waits for the next batch.
                    let command = Command::Submit { tx, reply };
                    return Ok(Outcome::SealFirst(Box::new((command, Some(Ok(signed))))));
                }
                match builder.push_signed(&signed) {
                    Ok(_) => {
                        self.open_payouts += usize::from(payout);
                        let hash = B256::from(fr_to_u256(&signed.message()));
                        writer.open_entry(self.meta.next_open, &OpenEntry::L2 { tx });
                        writer.tx(&hash, &TxRecord { tx, batch: None });
                        for account in tx.accounts() {
                            writer.history(account, self.meta.next_open, &hash);
                        }
                        self.meta.next_open += 1;
                        self.pending.add(tx.from());
                        self.open_txs.push((tx, hash));
                        self.opened_at.get_or_insert_with(Instant::now);
                        replies.push((reply, Ok(hash)));
                    }
                    Err(error) => match Refusal::from_batch(error) {
                        Some(refusal) => replies.push((reply, Err(refusal))),
                        None => {
                            let command = Command::Submit { tx, reply };
                            return Ok(Outcome::SealFirst(Box::new((command, Some(Ok(signed))))));
                        }
                    },
                }
            }
            Command::Accounts { query, reply } => {
                let _ = reply.send(query.resolve(builder.state()));
            }
            Command::L1(events) => self.take_l1(builder, events, writer),
            Command::Finalized(number) => self.finalized(number)?,
            Command::Status(reply) => {
                let _ = reply.send(SequencerStatus {
                    closed: self.meta.closed,
                    open: builder.len(),
                    pending: self.pending.total(),
                    tokens: self.meta.tokens.clone(),
                    l1_scanned: self.meta.l1_scanned,
                });
            }
            Command::Seal => self.seal_requested = !builder.is_empty(),
            Command::Stop => self.stopping = true,
        }
        Ok(Outcome::Done)
    }

    fn take_l1(&mut self, builder: &mut BatchBuilder<'_>, events: L1Events, writer: &mut Writer) {
        for (id, address) in events.tokens {
            if id as usize == self.meta.tokens.len() {
                builder.register_token();
                self.meta.tokens.push(address);
            }
        }
        for (index, op) in events.ops {
            if index == self.meta.priority_received {
                writer.queued(index, &op);
                self.meta.priority_received += 1;
            }
        }
        self.meta.l1_scanned = self.meta.l1_scanned.max(events.scanned_to);
    }

    /// What the open batch holds, for its L1 cost.
    fn gas(&self, builder: &BatchBuilder<'_>) -> BatchGas {
        BatchGas {
            ops: builder.len(),
            payouts: self.open_payouts,
        }
    }

    /// Executes queued priority operations, in queue order, while the batch has room within
    /// its L1 limits; the first that does not fit, and every one after it, waits for the next
    /// batch (none is skipped), and the batch is sealed.
    fn include_priority(
        &mut self,
        builder: &mut BatchBuilder<'_>,
        writer: &mut Writer,
    ) -> Result<(), SequencerError> {
        let next = self.meta.priority_consumed + self.open_priority;
        if next >= self.meta.priority_received || builder.is_full() || self.priority_blocked {
            return Ok(());
        }
        for (index, op) in self.store.queue_from(next)? {
            let payout = pays_out(&op);
            if !self.gas(builder).admits(
                payout,
                &self.config.limits,
                self.largest(),
                self.config.publication,
            ) {
                tracing::debug!(
                    index,
                    "L1 limits reached: the queue waits for the next batch"
                );
                self.priority_blocked = true;
                break;
            }
            match builder.push_priority(&op) {
                Ok(_) => {
                    writer.open_entry(self.meta.next_open, &OpenEntry::Priority { index });
                    self.meta.next_open += 1;
                    self.open_priority += 1;
                    self.open_payouts += usize::from(payout);
                    self.opened_at.get_or_insert_with(Instant::now);
                }
                Err(BatchError::Full) => break,
                Err(error) => {
                    tracing::error!(index, %error, "queued L1 operation cannot be executed");
                    break;
                }
            }
        }
        writer.sequencer_meta(&self.meta);
        Ok(())
    }

    fn finalized(&mut self, number: u64) -> Result<(), SequencerError> {
        if let Some(record) = self.store.batch(number)? {
            for op in &record.batch.ops {
                if let ExecutedOp::L2 { tx } = op {
                    self.pending.remove(tx.from());
                }
            }
        }
        Ok(())
    }

    /// Writes a closed batch with the position, atomically, and wakes the materializer.
    fn close(&mut self, record: ContentsRecord) -> Result<(), SequencerError> {
        let number = record.contents.number;
        let mut writer = self.store.writer();
        for (tx, hash) in &self.open_txs {
            writer.tx(
                hash,
                &TxRecord {
                    tx: *tx,
                    batch: Some(number),
                },
            );
        }
        writer.contents(&record);
        self.meta.closed = number;
        self.meta.priority_consumed += self.open_priority;
        self.meta.priority_hash = record.contents.priority_after;
        writer.clear_open(self.meta.next_open);
        writer.sequencer_meta(&self.meta);
        writer.commit(true)?;
        let _ = self.wake.send(());
        tracing::debug!(
            batch = number,
            ops = record.contents.ops.len(),
            "batch closed"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use verity_circuits::eddsa::PrivateKey;
    use verity_circuits::ops::{Deposit, ForcedExit, Withdraw};

    use super::*;
    use crate::mempool::MempoolConfig;

    const SIZE: CircuitSize = CircuitSize {
        slots: 8,
        fee_slots: 1,
        depth: 4,
    };

    fn domain() -> Domain {
        Domain {
            chain_id: 1337,
            rollup_address: Address::repeat_byte(7),
        }
    }

    type Thread = std::thread::JoinHandle<Result<(), SequencerError>>;

    fn start(dir: &Path, limits: BatchLimits) -> (SequencerHandle, Store, Health, Thread) {
        let store = Store::open(dir).unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let config = SequencerConfig {
            sizes: vec![SIZE],
            batch_interval: Duration::from_millis(300),
            mempool: MempoolConfig::default(),
            operator: None,
            group: 64,
            limits,
            publication: Publication::Calldata,
        };
        let state = StateConfig {
            depth: SIZE.depth,
            domain: domain(),
        };
        let health = Health::new();
        let events = broadcast::channel(64).0;
        let thread = spawn(
            config,
            store.clone(),
            state,
            receiver,
            events,
            health.clone(),
        );
        (SequencerHandle::new(sender), store, health, thread.unwrap())
    }

    async fn closed(store: &Store, batches: u64) -> Vec<Vec<ExecutedOp>> {
        for _ in 0..100 {
            let meta = store.sequencer_meta().unwrap().unwrap_or_default();
            if meta.closed >= batches {
                return (1..=meta.closed)
                    .map(|n| store.contents(n).unwrap().unwrap().contents.ops)
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{batches} batches were not closed");
    }

    fn deposit(key: &PrivateKey, owner: Address) -> PriorityOp {
        PriorityOp::Deposit(Deposit {
            pubkey: key.public_key(),
            l1_address: owner,
            token: 0,
            amount: 1_000_000,
        })
    }

    /// Forced exits (always a payout) and withdrawals past the payout cap wait for the next
    /// batch; priority operations keep their queue order, none skipped.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payouts_past_the_cap_wait_for_the_next_batch_in_queue_order() {
        let dir = tempfile::tempdir().unwrap();
        let limits = BatchLimits {
            gas_budget: u64::MAX,
            max_payouts: 2,
        };
        let (handle, store, health, thread) = start(dir.path(), limits);
        let (alice, bob) = (
            PrivateKey::from_bytes([1; 32]),
            PrivateKey::from_bytes([2; 32]),
        );
        let owner = Address::repeat_byte(1);
        let exit = PriorityOp::ForcedExit(ForcedExit {
            account: 0,
            token: 0,
            requester: owner,
        });
        let mut ops = vec![(0, deposit(&alice, owner))];
        ops.extend((1..=5).map(|index| (index, exit)));
        ops.push((6, deposit(&bob, Address::repeat_byte(2))));
        assert!(handle.l1_events(L1Events {
            tokens: Vec::new(),
            ops: ops.clone(),
            scanned_to: 1,
        }));
        let batches = closed(&store, 3).await;
        let kinds = |batch: &[ExecutedOp]| -> Vec<&'static str> {
            batch
                .iter()
                .map(|op| match op {
                    ExecutedOp::Deposit { .. } => "deposit",
                    ExecutedOp::ForcedExit { .. } => "exit",
                    ExecutedOp::L2 {
                        tx: L2Tx::Withdraw { .. },
                    } => "withdraw",
                    _ => "other",
                })
                .collect()
        };
        assert_eq!(kinds(&batches[0]), ["deposit", "exit", "exit"]);
        assert_eq!(kinds(&batches[1]), ["exit", "exit"]);
        assert_eq!(kinds(&batches[2]), ["exit", "deposit"]);

        // Bob (account 1) withdraws three times in a row: the third waits for the next batch.
        let withdraw = |nonce| {
            let tx = Withdraw {
                from: 1,
                token: 0,
                amount: 1_000,
                fee: 0,
                nonce,
                to: Address::repeat_byte(3),
            };
            L2Tx::sign_withdraw(tx, &bob, &domain())
        };
        for nonce in 0..3 {
            handle.submit(withdraw(nonce)).await.unwrap();
        }
        let batches = closed(&store, 5).await;
        assert_eq!(kinds(&batches[3]), ["withdraw", "withdraw"]);
        assert_eq!(kinds(&batches[4]), ["withdraw"]);
        assert!(handle.stop());
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(health.failure(), None, "every batch materialized");
        assert_eq!(store.executed().unwrap(), 5);
    }
}
