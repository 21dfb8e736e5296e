#!/usr/bin/env bash
# Runs every Verity test (after installing what is missing): formatting, the contracts'
# artifacts, the dependency and module-cycle rules, clippy with warnings as errors, and the
# whole workspace's tests, vectors and property tests included, then a check that the binaries
# scripts/verity builds reuse the tests' dependency artifacts.
# Ends with one line totalling the tests cargo ran.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cargo fmt --all -- --check
node verifier-contracts/build.mjs --check
scripts/check-deps.sh
node scripts/check-cycles.mjs sequencer/src sequencer/*/src circuits/src prover/src tests/src benches/src
cargo clippy --workspace --all-targets --locked -- -D warnings
# The crates that build the rules natively only (no R1CS) must build on their own.
cargo check --locked -p verity-wallet -p verity-rpc-api -p verity-storage
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
scripts/check-one-build.sh
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  "$log"
