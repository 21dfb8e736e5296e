//! Every error code of the `verity` namespace, in one table. Codes are an interface wallets
//! and scripts match on: a code keeps its meaning forever, and a new refusal gets a new code.
//! 1001–1099 are refusals of `verity_sendTransaction` (nothing changed); 1100–1199 are errors
//! of the other methods. The README lists them with their messages.

/// The signature does not verify against the sender's key.
pub const BAD_SIGNATURE: i32 = 1001;
/// The nonce is not the sender's next one.
pub const WRONG_NONCE: i32 = 1002;
/// The sender's nonce cannot grow any more.
pub const NONCE_EXHAUSTED: i32 = 1003;
/// The sender cannot pay the amount and the fee.
pub const INSUFFICIENT_BALANCE: i32 = 1004;
/// The amount is not a valid packed amount.
pub const AMOUNT_OUT_OF_RANGE: i32 = 1005;
/// The fee is not a valid packed fee.
pub const FEE_OUT_OF_RANGE: i32 = 1006;
/// The recipient's balance would overflow.
pub const BALANCE_OVERFLOW: i32 = 1007;
/// No such account (or an index outside the tree).
pub const UNKNOWN_ACCOUNT: i32 = 1008;
/// No such token.
pub const UNKNOWN_TOKEN: i32 = 1009;
/// The accounts hold different tokens.
pub const TOKEN_MISMATCH: i32 = 1010;
/// The operation names an account of another depositor, or the tree is full.
pub const NOT_DEPOSITORS_ACCOUNT_OR_TREE_FULL: i32 = 1011;
/// The fee is in a token the operator takes no fees in.
pub const FEE_TOKEN_NOT_ACCEPTED: i32 = 1012;
/// The operator's fee account cannot take more.
pub const FEE_ACCOUNT_FULL: i32 = 1013;
/// Too many transactions wait for L1 finality.
pub const MEMPOOL_FULL: i32 = 1014;
/// The sender has too many transactions waiting for L1 finality.
pub const ACCOUNT_LIMIT: i32 = 1015;
/// The node cannot take transactions (shutting down or failed).
pub const UNAVAILABLE: i32 = 1016;
/// A withdrawal to an address that could never take the payout out of the Rollup.
pub const UNPAYABLE_RECIPIENT: i32 = 1017;

/// No such transaction, batch or account.
pub const NOT_FOUND: i32 = 1100;
/// A parameter is well-formed JSON but not a valid value.
pub const INVALID_VALUE: i32 = 1101;
/// The node failed internally.
pub const INTERNAL: i32 = 1102;
/// A read-only node (`verity reconstruct --rpc-addr`) does not serve the method.
pub const READ_ONLY: i32 = 1103;
