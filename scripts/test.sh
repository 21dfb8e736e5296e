#!/usr/bin/env bash
# Runs every Verity test (after installing what is missing): formatting, clippy with
# warnings as errors, and the whole workspace's tests, vectors and property tests included.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
