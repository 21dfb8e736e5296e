//! Gas-aware sealing (audit H-1): the sequencer closes a batch before its `submitBatch` would
//! pass a gas budget, and caps the payouts a batch carries. The estimate is made per
//! operation from the costs measured in the README's "L1 gas" section:
//!
//! - [`SUBMIT_FIXED_GAS`] per submission: the measured fixed gas per batch, 305,590 when
//!   the statement had ten public inputs (base transaction, header and proof calldata,
//!   Groth16 verification 249,718 with the payout hash's input at zero, the challenge's
//!   keccak, the operator and queue reads, storage), rounded up; nine inputs since
//!   2026-12-03 cost less, and the estimate keeps its margin.
//! - [`CALLDATA_GAS_PER_BYTE`] for each byte of an operation's pubdata chunk (and of the fee
//!   header): 16 gas, the EIP-2028 price of a non-zero calldata byte, an upper bound on the
//!   measured 186 gas per 14-byte transfer chunk at depth 32; the zero chunks of unused slots
//!   at [`ZERO_BYTE_GAS`].
//! - [`PAYOUT_GAS`] per payout (a withdrawal or a forced exit, honoured or not): its two
//!   Horner steps (the contract evaluates the payouts' polynomial at the challenge), its 96
//!   ABI calldata bytes (hashed into the challenge) and, since 2026-12-03, its payment straight
//!   to the recipient with its `PayoutSent` event, or on failure a fresh `pendingWithdrawals`
//!   slot and its `WithdrawalPending` event. The bound is the worst case with a margin: an
//!   ERC-20 transfer that uses all of its `TOKEN_PAYOUT_GAS` (60,000) and fails, then the
//!   pending slot (22,100), the cold token (2,600), the token list's reads, the event and the
//!   rest, about 90,400; ETH to an address new to the chain costs about 39,000 (the EVM's
//!   25,000 for a new account), to an existing one about 15,000. The submitter also adds it
//!   a payout to the gas limit over its estimate (`submitter::payout_headroom`).
//!
//! A batch published in a blob ([`Publication::Blob`]) pays no calldata gas for its pubdata
//! but [`SUBMIT_BLOB_FIXED_GAS`] per submission: the calldata figure plus the
//! point-evaluation precompile (50,000) and the opening's calldata; `submitBlobBatch`
//! measured 347,126 gas where `submitBatch` of the same two deposits took 294,725 at depth 4,
//! and 359,179 to 359,191 gas for 4 to 16 transfers at depth 32 (README "Blob batches at
//! depth 32").
//!
//! With the default budget of 12,000,000 (under EIP-7825's 2^24 = 16,777,216 transaction cap
//! with room for estimate error) a batch could carry about 130 payouts at the worst case; the
//! default cap of [`DEFAULT_MAX_PAYOUTS`] is below that (a deployment chooses its own with
//! `verity deploy --max-payouts`).

use verity_circuits::circuit::CircuitSize;
use verity_circuits::pubdata::{PubdataLayout, FEE_ENTRY_BYTES};

use crate::publication::Publication;

/// Gas of a `submitBatch` whatever it carries (README "L1 gas": 305,590, rounded up).
pub const SUBMIT_FIXED_GAS: u64 = 310_000;
/// Gas of a `submitBlobBatch` whatever it carries: [`SUBMIT_FIXED_GAS`] plus 55,000 for the
/// precompile and the opening (measured 52,401 more than `submitBatch`, with the pubdata's
/// own calldata and evaluation removed).
pub const SUBMIT_BLOB_FIXED_GAS: u64 = SUBMIT_FIXED_GAS + 55_000;
/// Gas of a non-zero calldata byte (EIP-2028).
pub const CALLDATA_GAS_PER_BYTE: u64 = 16;
/// Gas of a zero calldata byte (EIP-2028): the chunks of unused slots.
pub const ZERO_BYTE_GAS: u64 = 4;
/// Gas of one payout in `submitBatch` at most (its Horner steps, calldata, payment or pending
/// balance, and event).
pub const PAYOUT_GAS: u64 = 95_000;
/// Default gas budget of one `submitBatch`.
pub const DEFAULT_GAS_BUDGET: u64 = 12_000_000;
/// Default most payouts per batch (the Rollup's `maxPayouts()` once the node reads it).
pub const DEFAULT_MAX_PAYOUTS: usize = 48;

/// What one batch may cost on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most gas the batch's `submitBatch` may need, by the estimate.
    pub gas_budget: u64,
    /// Most payouts (withdrawals and forced exits) in one batch.
    pub max_payouts: usize,
}

impl Default for BatchLimits {
    fn default() -> BatchLimits {
        BatchLimits {
            gas_budget: DEFAULT_GAS_BUDGET,
            max_payouts: DEFAULT_MAX_PAYOUTS,
        }
    }
}

/// What the open batch holds, as far as its L1 cost goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchGas {
    /// Operations (every kind).
    pub ops: usize,
    /// Of them, payouts.
    pub payouts: usize,
}

impl BatchGas {
    /// The batch with one more operation.
    pub fn with(self, payout: bool) -> BatchGas {
        BatchGas {
            ops: self.ops + 1,
            payouts: self.payouts + usize::from(payout),
        }
    }

    /// The estimated gas of its submission in a circuit of `size`, its pubdata published as
    /// `publication` says (in calldata, at most `size.slots` are taken as operations; the
    /// rest are zero chunks).
    pub fn estimate(&self, size: CircuitSize, publication: Publication) -> u64 {
        let payouts = self.payouts as u64 * PAYOUT_GAS;
        if publication == Publication::Blob {
            return SUBMIT_BLOB_FIXED_GAS + payouts;
        }
        let chunk = PubdataLayout { depth: size.depth }.chunk_bytes() as u64;
        let ops = self.ops.min(size.slots) as u64;
        let unused = size.slots as u64 - ops;
        let header = (size.fee_slots * FEE_ENTRY_BYTES) as u64;
        SUBMIT_FIXED_GAS
            + (header + ops * chunk) * CALLDATA_GAS_PER_BYTE
            + unused * chunk * ZERO_BYTE_GAS
            + payouts
    }

    /// Whether the batch may take one more operation (`payout`: one that pays out on L1)
    /// within `limits` in a circuit of at most `size`, published as `publication` says. An
    /// empty batch takes anything, so that every operation fits some batch.
    pub fn admits(
        &self,
        payout: bool,
        limits: &BatchLimits,
        size: CircuitSize,
        publication: Publication,
    ) -> bool {
        if self.ops == 0 {
            return true;
        }
        let next = self.with(payout);
        next.payouts <= limits.max_payouts && next.estimate(size, publication) <= limits.gas_budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLDATA: Publication = Publication::Calldata;

    const LARGE: CircuitSize = CircuitSize {
        slots: 1024,
        fee_slots: 2,
        depth: 32,
    };

    fn filled(ops: usize, payouts: usize) -> BatchGas {
        BatchGas { ops, payouts }
    }

    #[test]
    fn the_estimate_matches_the_measured_batches() {
        // README "L1 gas" (`verity bench gas --slots 4,8,16`, ten public inputs): 306,406 for
        // 4 transfers and 307,018 for 8 at depth 32 (with 2 fee slots): the estimate stays
        // above and within a few thousand gas.
        for (slots, measured) in [(4usize, 306_406u64), (8, 307_018)] {
            let size = CircuitSize {
                slots,
                fee_slots: 2,
                depth: 32,
            };
            let estimate = filled(slots, 0).estimate(size, Publication::Calldata);
            assert!(estimate >= measured, "{slots}: {estimate} < {measured}");
            assert!(estimate - measured < 10_000, "{slots}: {estimate}");
        }
        // README "Batches in blobs": 347,126 for two deposits in a blob (2 slots, depth 4);
        // "Blob batches at depth 32": 359,191 for 8 and for 16 transfers.
        for (slots, depth, measured) in [(2, 4, 347_126u64), (8, 32, 359_191), (16, 32, 359_191)] {
            let size = CircuitSize {
                slots,
                fee_slots: 2,
                depth,
            };
            let blob = filled(slots, 0).estimate(size, Publication::Blob);
            assert!(
                (measured..measured + 30_000).contains(&blob),
                "{slots}: {blob}"
            );
        }
        // A full 1,024-slot batch of transfers costs a fraction of the budget.
        assert!(filled(1024, 0).estimate(LARGE, CALLDATA) < 600_000);
    }

    #[test]
    fn transfers_fill_a_large_circuit_within_the_default_budget() {
        let limits = BatchLimits::default();
        assert!(filled(1023, 0).admits(false, &limits, LARGE, CALLDATA));
    }

    #[test]
    fn in_a_blob_the_pubdata_costs_no_gas_and_payouts_still_do() {
        let blob = Publication::Blob;
        assert_eq!(
            filled(1, 0).estimate(LARGE, blob),
            filled(1024, 0).estimate(LARGE, blob)
        );
        assert!(filled(1024, 0).estimate(LARGE, blob) < filled(1024, 0).estimate(LARGE, CALLDATA));
        assert_eq!(
            filled(10, 3).estimate(LARGE, blob) - filled(10, 0).estimate(LARGE, blob),
            3 * PAYOUT_GAS
        );
    }

    #[test]
    fn the_payout_cap_closes_the_batch() {
        let limits = BatchLimits {
            gas_budget: u64::MAX,
            max_payouts: 3,
        };
        assert!(filled(5, 2).admits(true, &limits, LARGE, CALLDATA));
        assert!(
            !filled(5, 3).admits(true, &limits, LARGE, CALLDATA),
            "a fourth payout"
        );
        assert!(
            filled(5, 3).admits(false, &limits, LARGE, CALLDATA),
            "operations without a payout still fit"
        );
    }

    #[test]
    fn the_gas_budget_closes_the_batch_before_it_passes() {
        let limits = BatchLimits {
            gas_budget: 2_000_000,
            max_payouts: usize::MAX,
        };
        let most = (0..)
            .take_while(|payouts| {
                filled(*payouts, *payouts).estimate(LARGE, CALLDATA) <= limits.gas_budget
            })
            .last()
            .unwrap();
        assert!(filled(most - 1, most - 1).admits(true, &limits, LARGE, CALLDATA));
        assert!(!filled(most, most).admits(true, &limits, LARGE, CALLDATA));
        assert!(filled(most, most).estimate(LARGE, CALLDATA) <= limits.gas_budget);
        assert!(filled(most + 1, most + 1).estimate(LARGE, CALLDATA) > limits.gas_budget);
    }

    #[test]
    fn the_default_budget_stays_under_the_transaction_gas_cap() {
        let limits = BatchLimits::default();
        let most = filled(LARGE.slots, limits.max_payouts);
        assert!(most.estimate(LARGE, CALLDATA) <= limits.gas_budget);
        assert!(limits.gas_budget < 1 << 24);
        // H-1's attack: 90 forced exits in one batch would pass 2^24; the cap admits 48.
        let exits = (0..90).fold(BatchGas::default(), |gas, _| {
            if gas.admits(true, &limits, LARGE, CALLDATA) {
                gas.with(true)
            } else {
                gas
            }
        });
        assert_eq!(exits.payouts, DEFAULT_MAX_PAYOUTS);
    }

    #[test]
    fn an_empty_batch_takes_any_operation() {
        let limits = BatchLimits {
            gas_budget: 0,
            max_payouts: 0,
        };
        assert!(BatchGas::default().admits(true, &limits, LARGE, CALLDATA));
        assert!(!filled(1, 0).admits(false, &limits, LARGE, CALLDATA));
    }
}
