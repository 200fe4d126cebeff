#!/usr/bin/env bash
# Measures promote/rollback on the demo stack under load: command to traffic switched, to done,
# and failed requests. Prints a Markdown table for the README.
#   ./benches/switch_time.sh      prod on one host
#   ./benches/switch_time.sh 2    prod on two hosts (the demo's --prod-hosts 2: a second dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/test.sh --install-only
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release -p opsdeck-demo-service --target x86_64-unknown-linux-gnu
export OPSDECK_DEMO_BINARY="$PWD/target/x86_64-unknown-linux-gnu/release/demo-service"
cargo build -q --release -p opsdeck
PROD_HOSTS="${1:-1}" OPSDECK_BIN="$PWD/target/release/opsdeck" cargo bench -q --bench switch
