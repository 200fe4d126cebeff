#!/usr/bin/env bash
# Memory over hours, compressed: the console on the demo stack with every interval divided by
# FACTOR (20: health probes every 250 ms, HAProxy polled every 100 ms, the registry every 1.5 s),
# so MINUTES of it stand for FACTOR x MINUTES of a console left open. Its RSS is sampled every
# 30 s; flat is what bounded rings and caches look like. A measurement, not a gate.
#   ./benches/soak.sh [MINUTES] [FACTOR]      (default 24 minutes x 20 = 8 hours)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-24}"
FACTOR="${2:-20}"
DIR=$(mktemp -d /tmp/opsdeck-soak-XXXX)
BIN=target/release/opsdeck

cleanup() {
    tmux kill-session -t opsdeck-soak 2>/dev/null || true
    "$BIN" demo down --dir "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

. benches/prepare.sh
ms() { echo "$(( $1 / FACTOR ))ms"; }
cat >> "$DIR/opsdeck.toml" <<TOML

[intervals]
reconcile = "$(ms 60000)"
health = "$(ms 5000)"
haproxy = "$(ms 2000)"
registry = "$(ms 30000)"
alerts = "$(ms 10000)"
TOML

tmux new-session -d -s opsdeck-soak -x 160 -y 48 "$BIN --config $DIR/opsdeck.toml"
sleep 5
console=$(pgrep -f "^$BIN --config $DIR/opsdeck.toml" | head -1)
echo "| minute | stands for | RSS |"
echo "| --- | --- | --- |"
for ((m = 0; m <= MINUTES * 2; m++)); do
    rss=$(awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$console/status")
    echo "| $(awk -v m="$m" 'BEGIN { printf "%.1f", m / 2 }') | $(awk -v m="$m" -v f="$FACTOR" 'BEGIN { printf "%.1f h", m / 2 * f / 60 }') | $rss |"
    # Someone at the keyboard now and then: move between panes.
    tmux send-keys -t opsdeck-soak Tab
    sleep 30
done
