#!/usr/bin/env bash
# Fails if the dependency graph breaks the layering rules: the rules and the prover are pure
# computation, so neither may pull in an async runtime, storage, networking or L1 clients
# (normal dependencies; dev-dependencies may). Run by scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
forbidden='^(tokio|librocksdb-sys|rocksdb|alloy|jsonrpsee|async-nats|revm|reqwest|hyper)$'
status=0
for crate in verity-circuits verity-prover; do
  found=$(cargo tree -p "$crate" -e normal --prefix none --locked | sed 's/ v.*//' | sort -u | grep -E "$forbidden" || true)
  if [ -n "$found" ]; then
    echo "check-deps: $crate depends on $(echo "$found" | tr '\n' ' ')(see: cargo tree -p $crate -e normal -i <crate>)" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "check-deps: verity-circuits and verity-prover pull in no runtime, storage, network or L1 client"
exit "$status"
