#!/usr/bin/env bash
# Measures promote/rollback on the demo stack under load: command to traffic switched, to done,
# and failed requests. Prints a Markdown table for the README.
#   ./benches/switch_time.sh      prod on one host
#   ./benches/switch_time.sh 2    prod on two hosts (the demo's --prod-hosts 2: a second dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/build.sh
PROD_HOSTS="${1:-1}" OPSDECK_BIN="$PWD/target/release/opsdeck" cargo bench -q --bench switch
