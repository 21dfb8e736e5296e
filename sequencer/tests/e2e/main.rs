//! Verity's end-to-end tests in one test binary (linked once): the `verity` command line,
//! the node on anvil and on the embedded L1, the contracts, the prover fleet on a real
//! nats-server, reconstruction and exits. Each module is one subject; `support` is the
//! test-support library's fixtures (`verity_tests::fixture`), shared with the benchmarks.
//! The largest-batch test has a binary of its own
//! (`largest_batch_anvil.rs`) so that its 50-slot proofs do not starve these tests.

mod circuit_cli;
mod deploy_cli;
mod exodus_anvil;
mod fleet_nats;
mod node_anvil;
mod node_crash;
mod node_embedded;
mod node_failure;
mod poseidon_evm;
mod reconstruct_anvil;
mod rollup_anvil;
mod squatting_anvil;
mod verifier_anvil;
mod wallet_cli;

use verity_tests::fixture as support;
