#!/usr/bin/env bash
# Fails if building the binaries scripts/verity builds compiles any dependency again after
# `cargo test --workspace`: both README commands share one build profile and, through
# feature unification (sequencer/Cargo.toml), one set of dependency artifacts, so RocksDB's
# C++, arkworks, revm and alloy compile once on a fresh machine. Only Verity's own crates may
# rebuild (their features differ: the tests turn on test vectors). Run by scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
for target in "verity-sequencer --bin verity" "verity-benches --bin verity-bench"; do
  # shellcheck disable=SC2086 # the package and its binary are two words
  log=$(cargo build --locked -p $target 2>&1) || { echo "$log" >&2; exit 1; }
  # Cargo prints `Compiling name vX (/path)` for workspace crates and no path for dependencies.
  rebuilt=$(echo "$log" | grep -E '^ *Compiling ' | grep -v ' (/' || true)
  if [ -n "$rebuilt" ]; then
    echo "check-one-build: building $target after the tests compiled dependencies again:" >&2
    echo "$rebuilt" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "check-one-build: the binaries reuse every dependency the tests built"
exit "$status"
