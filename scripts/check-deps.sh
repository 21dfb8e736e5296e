#!/usr/bin/env bash
# Fails if the dependency graph breaks the layering rules (normal dependencies only;
# dev-dependencies may break them). Each crate's `//!` docs say what it may depend on; the
# rules checked here are the ones that keep heavy or far-reaching things out:
#   - the rules and the prover are pure computation: no async runtime, storage, networking
#     or L1 client;
#   - a wallet speaks the RPC interface and the L1 bindings without linking RocksDB, the
#     node, reconstruction or the prover, and with storage and the RPC types builds the rules
#     natively only (no R1CS: verity-circuits without `r1cs`, verity-l1 without `prover`);
#   - storage knows no runtime, L1 or RPC; the L1 bindings no storage or RPC server;
#   - the embedded L1 uses no Verity crate; the node never the fleet, reconstruction, the
#     embedded L1 or the command line; reconstruction never the node or the fleet;
#   - the `verity` binary ships no benchmark or test harness (test support, criterion). It
#     does turn on alloy's `node-bindings` feature, uncalled, so that its build reuses the
#     tests' dependency artifacts (see sequencer/Cargo.toml).
# Run by scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rule() { # crate, forbidden dependencies (an extended regex over crate names)
  local crate=$1 forbidden=$2 tree found
  tree=$(cargo tree -p "$crate" -e normal --prefix none --locked) # a failure here fails the check
  found=$(echo "$tree" | sed 's/ v.*//' | sort -u | grep -E "^($forbidden)$" | grep -vx "$crate" || true)
  if [ -n "$found" ]; then
    echo "check-deps: $crate depends on $(echo "$found" | tr '\n' ' ')(see: cargo tree -p $crate -e normal -i <crate>)" >&2
    status=1
  fi
}
status=0
compute='tokio|librocksdb-sys|rocksdb|alloy|jsonrpsee|async-nats|revm|reqwest|hyper'
rule verity-circuits "$compute"
rule verity-prover "$compute"
r1cs='ark-relations|ark-r1cs-std|ark-crypto-primitives'
rule verity-rpc-api "librocksdb-sys|rocksdb|revm|alloy|async-nats|verity-prover|verity-storage|verity-l1|verity-node|$r1cs"
rule verity-wallet "librocksdb-sys|rocksdb|revm|async-nats|verity-storage|verity-node|verity-prover|verity-reconstruct|$r1cs"
rule verity-storage "tokio|alloy|jsonrpsee|async-nats|revm|verity-prover|verity-l1|verity-rpc-api|verity-node|$r1cs"
rule verity-l1 'librocksdb-sys|rocksdb|jsonrpsee|async-nats|verity-storage|verity-rpc-api|verity-node'
rule verity-devchain 'verity-.*'
rule verity-node 'async-nats|clap|anyhow|verity-fleet|verity-reconstruct|verity-devchain|verity-sequencer'
rule verity-reconstruct 'async-nats|verity-node|verity-fleet|verity-devchain'
rule verity-sequencer 'verity-tests|verity-benches|criterion|proptest'
[ "$status" -eq 0 ] && echo "check-deps: every crate keeps its layering rules"
exit "$status"
