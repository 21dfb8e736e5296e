//! The Verity node and its command line: today the wallet tools (key generation and
//! transaction signing), circuit setup and information, and the proving benchmark; the
//! sequencer, its RPC, storage and L1 integration grow here.

pub mod cli;
pub mod l1;
pub mod wallet;
pub mod workload;
