#!/usr/bin/env bash
# Measures keys to screen in the real console watching 30 services x 3 environments x 2 slots
# (180 containers) on the local engine, through a pseudo-terminal. Prints a Markdown row.
#   ./benches/keys_latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/test.sh --install-only
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release -p opsdeck-demo-service --target x86_64-unknown-linux-gnu
export OPSDECK_DEMO_BINARY="$PWD/target/x86_64-unknown-linux-gnu/release/demo-service"
cargo build -q --release -p opsdeck
OPSDECK_BIN="$PWD/target/release/opsdeck" cargo bench -q --bench keys
