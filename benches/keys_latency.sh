#!/usr/bin/env bash
# Measures keys to screen in the real console watching 30 services x 3 environments x 2 slots
# (180 containers) on the local engine, through a pseudo-terminal. Prints a Markdown row.
#   ./benches/keys_latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/build.sh
OPSDECK_BIN="$PWD/target/release/opsdeck" cargo bench -q --bench keys
