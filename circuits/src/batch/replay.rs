//! Rebuilding the state from published data alone: a batch's pubdata, its payout list and
//! the priority operations it consumed (from the Rollup contract's events). Signatures are
//! not published; the batch proof already vouched for them.

use std::collections::BTreeMap;

use crate::ops::{Payout, PriorityOp, TokenId, Transfer, Withdraw};
use crate::pubdata::{decode_fee_entry, PubdataError, PubdataLayout, PubdataOp, FEE_ENTRY_BYTES};
use crate::state::{Effect, State, TxError};

use super::BatchParams;

/// Published data that does not replay onto the state.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplayError {
    /// The pubdata does not decode.
    #[error("pubdata: {0}")]
    Pubdata(#[from] PubdataError),
    /// A deposit or forced-exit slot with no priority operation left, or of the other kind,
    /// or for another account.
    #[error("slot {0} does not match the next priority operation")]
    PriorityMismatch(usize),
    /// The payout list does not match the withdrawals and forced exits.
    #[error("payout list does not match slot {0}")]
    PayoutMismatch(usize),
    /// More payouts were published than the batch made.
    #[error("unused payouts")]
    UnusedPayouts,
    /// A fee in a token without a fee-header entry.
    #[error("fee in token {0} without a fee account")]
    FeeWithoutAccount(TokenId),
    /// An operation breaks a rule: the published batch cannot have been proven.
    #[error("slot {slot}: {error}")]
    Rule {
        /// The slot.
        slot: usize,
        /// The rule.
        error: TxError,
    },
}

/// Applies one published batch to `state`, drawing its deposits and forced exits from
/// `priority` in order. On error the state may be partly updated; rebuild from a copy.
pub fn replay(
    state: &mut State,
    params: BatchParams,
    pubdata: &[u8],
    payouts: &[Payout],
    priority: &mut impl Iterator<Item = PriorityOp>,
) -> Result<(), ReplayError> {
    let layout = PubdataLayout {
        depth: state.depth(),
    };
    let header_len = params.fee_slots * FEE_ENTRY_BYTES;
    if pubdata.len() != header_len + params.slots * layout.chunk_bytes() {
        return Err(PubdataError::Length(pubdata.len()).into());
    }
    let (header, chunks) = pubdata.split_at(header_len);
    let fee_accounts = header
        .chunks(FEE_ENTRY_BYTES)
        .enumerate()
        .map(|(position, entry)| decode_fee_entry(position, entry))
        .collect::<Result<Vec<_>, _>>()?;

    let mut fees: BTreeMap<TokenId, u128> = BTreeMap::new();
    let mut payouts = payouts.iter();
    for (slot, chunk) in chunks.chunks(layout.chunk_bytes()).enumerate() {
        let rule = |error| ReplayError::Rule { slot, error };
        let mut next_payout = || payouts.next().ok_or(ReplayError::PayoutMismatch(slot));
        let effect = match layout.decode(chunk)? {
            PubdataOp::Noop => continue,
            PubdataOp::Deposit { account } => match priority.next() {
                Some(PriorityOp::Deposit(deposit)) => {
                    state.check_deposit(account, &deposit).map_err(rule)?
                }
                _ => return Err(ReplayError::PriorityMismatch(slot)),
            },
            PubdataOp::ForcedExit { account } => match priority.next() {
                Some(PriorityOp::ForcedExit(exit)) if exit.account == account => {
                    let effect = state.forced_exit_effect(&exit);
                    if effect.payout.as_ref() != Some(next_payout()?) {
                        return Err(ReplayError::PayoutMismatch(slot));
                    }
                    effect
                }
                _ => return Err(ReplayError::PriorityMismatch(slot)),
            },
            PubdataOp::Transfer {
                from,
                to,
                amount,
                fee,
            } => {
                let sender = state
                    .account(from)
                    .ok_or(TxError::UnknownAccount(from))
                    .map_err(rule)?;
                let transfer = Transfer {
                    from,
                    to,
                    token: sender.token,
                    amount,
                    fee,
                    nonce: sender.nonce,
                };
                state.check_transfer(&transfer).map_err(rule)?
            }
            PubdataOp::Withdraw { from, amount, fee } => {
                let payout = *next_payout()?;
                let nonce = state
                    .account(from)
                    .ok_or(TxError::UnknownAccount(from))
                    .map_err(rule)?
                    .nonce;
                let withdraw = Withdraw {
                    from,
                    token: payout.token,
                    amount,
                    fee,
                    nonce,
                    to: payout.recipient,
                };
                let effect = state.check_withdraw(&withdraw).map_err(rule)?;
                if effect.payout != Some(payout) {
                    return Err(ReplayError::PayoutMismatch(slot));
                }
                effect
            }
        };
        if let Some((token, fee)) = effect.fee.filter(|(_, fee)| *fee > 0) {
            *fees.entry(token).or_default() += fee;
        }
        state.commit(&effect);
    }
    if payouts.next().is_some() {
        return Err(ReplayError::UnusedPayouts);
    }
    credit_fees(
        state,
        &fee_accounts,
        fees,
        chunks.len() / layout.chunk_bytes(),
    )
}

fn credit_fees(
    state: &mut State,
    fee_accounts: &[Option<u32>],
    mut fees: BTreeMap<TokenId, u128>,
    slot: usize,
) -> Result<(), ReplayError> {
    let rule = |error| ReplayError::Rule { slot, error };
    for account in fee_accounts.iter().flatten() {
        let token = state
            .account(*account)
            .ok_or(TxError::UnknownAccount(*account))
            .map_err(rule)?
            .token;
        let collected = fees.remove(&token).unwrap_or(0);
        let effect: Effect = state
            .check_fee_credit(*account, token, collected)
            .map_err(rule)?;
        state.commit(&effect);
    }
    match fees.into_keys().next() {
        Some(token) => Err(ReplayError::FeeWithoutAccount(token)),
        None => Ok(()),
    }
}
