//! A wallet: keys, signed transactions and their documents, and the client side of a rollup
//! user's life: paying and reading through a node's JSON-RPC ([`NodeClient`]), depositing and
//! claiming on L1, and, when the operator is gone, exiting in exodus mode ([`L1Wallet`]).
//!
//! Depends on the rules (built natively, without R1CS), the RPC interface and the L1
//! bindings without the prover: never on storage, the node or the prover, so a wallet links
//! neither RocksDB nor arkworks' constraint systems (`scripts/check-deps.sh` checks it).
//! Reading a state rebuilt by `verity reconstruct` (RocksDB) is the command line's part: it
//! hands this crate the leaf and its Merkle proof ([`ExitLeaf::new`]).

mod documents;
mod error;
mod exit;
mod keys;
mod l1;
mod node;

pub use documents::{KeygenOutput, SignatureParts, SignedTxOutput};
pub use error::WalletError;
pub use exit::{ExitLeaf, Verified};
pub use keys::{parse_l1_signer, parse_private_key};
pub use l1::{Deposited, Exited, L1Wallet};
pub use node::{NodeClient, Payment};

#[cfg(test)]
mod tests;
