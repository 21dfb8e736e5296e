//! The Rollup contract's events, decoded: token registrations, deposits and forced exits, each
//! operation checked against the contract's rolling queue hash before anyone acts on it. The
//! node's L1 watcher and the reconstruction both read L1 through these.

use alloy::eips::BlockId;
use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use verity_circuits::babyjubjub::Point;
use verity_circuits::eddsa::PublicKey;
use verity_circuits::field::fr_from_be_bytes;
use verity_circuits::field::fr_to_u256;
use verity_circuits::ops::{Deposit, ForcedExit, PriorityOp, TokenId};
use verity_circuits::Fr;

use crate::contracts::Rollup;
use crate::deployment::Deployment;

/// The Rollup's queue events of a block range: what the node's watcher hands the sequencer and
/// what reconstruction replays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct L1Events {
    /// Tokens registered, in id order.
    pub tokens: Vec<(TokenId, Address)>,
    /// Priority operations, in queue order.
    pub ops: Vec<(u64, PriorityOp)>,
    /// The last block scanned.
    pub scanned_to: u64,
}

/// Reading or decoding the Rollup's events failed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The node refused or could not be reached.
    #[error("L1 transport: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A contract call failed.
    #[error("L1 call: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// An event does not decode.
    #[error("L1 event: {0}")]
    Decode(#[from] alloy::sol_types::Error),
    /// A deposit's key is not a point of the curve.
    #[error("L1 event: deposit key off the curve")]
    KeyOffCurve,
    /// A contract word is not below the field's modulus.
    #[error("L1 event: value outside the field")]
    OutsideField,
    /// A queue index does not fit 64 bits.
    #[error("L1 event: queue index beyond 2^64")]
    IndexTooLarge,
    /// A queued operation, as decoded, does not give the contract's rolling hash.
    #[error("L1 event: queued operation {0} does not match the contract's rolling hash")]
    QueueHashMismatch(u64),
    /// The queue's operations do not follow each other.
    #[error("L1 event: queue index {got} where {expected} was next")]
    QueueGap {
        /// The index read.
        got: u64,
        /// The index expected.
        expected: u64,
    },
}

/// Adds `log` to `events` if it is a token registration, deposit or forced exit; other logs
/// are ignored.
pub fn decode(log: &Log, events: &mut L1Events) -> Result<(), EventError> {
    match log.topic0() {
        Some(&Rollup::TokenRegistered::SIGNATURE_HASH) => {
            let event = log.log_decode::<Rollup::TokenRegistered>()?;
            events.tokens.push((event.inner.id, event.inner.token));
        }
        Some(&Rollup::DepositQueued::SIGNATURE_HASH) => {
            let event = log.log_decode::<Rollup::DepositQueued>()?.inner.data;
            let point = Point::new(field(event.pubkeyX)?, field(event.pubkeyY)?)
                .map_err(|_| EventError::KeyOffCurve)?;
            let op = PriorityOp::Deposit(Deposit {
                pubkey: PublicKey(point),
                l1_address: event.depositor,
                token: event.token,
                amount: event.amount,
            });
            events.ops.push((index(event.index)?, op));
        }
        Some(&Rollup::ForcedExitQueued::SIGNATURE_HASH) => {
            let event = log.log_decode::<Rollup::ForcedExitQueued>()?.inner.data;
            let op = PriorityOp::ForcedExit(ForcedExit {
                account: event.account,
                token: event.token,
                requester: event.requester,
            });
            events.ops.push((index(event.index)?, op));
        }
        _ => {}
    }
    Ok(())
}

/// A contract word as a field element, refused when it is not below the modulus.
pub fn field(value: U256) -> Result<Fr, EventError> {
    fr_from_be_bytes(&value.to_be_bytes()).ok_or(EventError::OutsideField)
}

fn index(value: U256) -> Result<u64, EventError> {
    u64::try_from(value).map_err(|_| EventError::IndexTooLarge)
}

/// Refuses a batch of operations whose rolling hash differs from the contract's at `block`.
pub async fn check_queue_hashes(
    provider: &DynProvider,
    deployment: &Deployment,
    events: &L1Events,
    block: u64,
) -> Result<(), EventError> {
    let Some((first, _)) = events.ops.first() else {
        return Ok(());
    };
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let at = BlockId::number(block);
    let mut hash = rollup
        .priorityHashAt(U256::from(*first))
        .block(at)
        .call()
        .await?;
    for (index, op) in &events.ops {
        let expected = rollup
            .priorityHashAt(U256::from(index + 1))
            .block(at)
            .call()
            .await?;
        hash = fr_to_u256(&op.chain(field(hash)?));
        if hash != expected {
            return Err(EventError::QueueHashMismatch(*index));
        }
    }
    Ok(())
}
