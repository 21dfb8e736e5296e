#!/usr/bin/env bash
# Installs, idempotently, what Verity's build and tests need on a fresh Debian machine with
# the Rust toolchain: Node.js/npm, libclang and nats-server (from apt when missing) and the pinned npm packages, from
# their lock files: the JavaScript tools the tests drive (tests/js) and solc and anvil
# (verifier-contracts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

command -v cargo >/dev/null || { echo "setup: cargo not found (install Rust with rustup)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
# libclang for the rocksdb crate's bindgen; nats-server for the prover-fleet tests.
apt_install libclang-dev nats-server

# npm ci only when the lock file changed since the last install.
npm_ci() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in ${dir#"$root"/}"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}
npm_ci "$root/tests/js"
npm_ci "$root/verifier-contracts"
