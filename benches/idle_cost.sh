#!/usr/bin/env bash
# Measures what watching costs, on the demo stack with 100 extra idle containers on the engine:
# over 30 s, the console's CPU and RSS, and the Docker daemon's (dockerd + containerd) CPU with and
# without the console running, and the same for oxker in the same run when it is installed
# (`cargo install oxker`; found on PATH or in OXKER). A measurement, not a gate: it prints figures
# for the README.
#   ./benches/idle_cost.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-30}"
HZ=$(getconf CLK_TCK)
DIR=$(mktemp -d /tmp/opsdeck-bench-XXXX)
BIN="${OPSDECK_BIN:-target/release/opsdeck}"

cleanup() {
    tmux kill-session -t opsdeck-bench 2>/dev/null || true
    tmux kill-session -t oxker-bench 2>/dev/null || true
    docker ps -aq --filter label=opsdeck.bench=idle | xargs -r docker rm -f >/dev/null
    "$BIN" demo down --dir "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

ticks() { # utime + stime of the given pids, in clock ticks
    local total=0
    for pid in "$@"; do
        read -r -a f < "/proc/$pid/stat"
        total=$((total + f[13] + f[14]))
    done
    echo "$total"
}
cpu_pct() { # pct over SECS of the given pids
    local before after
    before=$(ticks "$@"); sleep "$SECS"; after=$(ticks "$@")
    awk -v d=$((after - before)) -v hz="$HZ" -v s="$SECS" 'BEGIN { printf "%.2f", 100 * d / hz / s }'
}

rss() { # RSS, and how much of it is the program's own heap and stacks (anon) or mapped files
    awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s %.1f MiB  ", $1, $2 / 1024 } /^Threads:/ { printf "threads %s", $2 }' "/proc/$1/status"
}

. benches/prepare.sh
image=$(docker ps --filter "label=opsdeck.demo=$DIR" --format '{{.Image}}' | head -1)
echo "starting 100 idle containers of $image" >&2
for i in $(seq 1 100); do
    # Their HEALTHCHECK runs as real services' do, at Docker's default interval (the image's own
    # 2 s is the demo's, for quick tests).
    docker run -d --health-interval 30s --label opsdeck.bench=idle "$image" >/dev/null
done
sleep 5
daemon_pids=$(pgrep -x dockerd; pgrep -x containerd || true)
echo "containers on the engine: $(docker ps -q | wc -l)"
echo "dockerd+containerd CPU without the console: $(cpu_pct $daemon_pids)% of one core over ${SECS}s"

# Runs "NAME COMMAND" in a 160x48 tmux window and prints its CPU and RSS and the daemon's CPU,
# both over the same window of SECS.
watch_cost() {
    local name=$1 cmd=$2 pid
    tmux new-session -d -s "$name-bench" -x 160 -y 48 "$cmd"
    sleep 5
    pid=$(pgrep -f "^$cmd" | head -1)
    cpu_pct $daemon_pids > "$DIR/daemon_with_$name" &
    local cpu
    cpu=$(cpu_pct "$pid")
    wait
    echo "$name CPU: ${cpu}% of one core over ${SECS}s"
    echo "dockerd+containerd CPU with $name: $(cat "$DIR/daemon_with_$name")% of one core over ${SECS}s"
    echo "$name RSS: $(rss "$pid")"
    tmux kill-session -t "$name-bench"
}

watch_cost opsdeck "$BIN --config $DIR/opsdeck.toml"
OXKER="${OXKER:-$(command -v oxker || true)}"
if [ -z "$OXKER" ]; then
    echo "oxker not installed (cargo install oxker): no figure beside it"
    exit 0
fi
echo "dockerd+containerd CPU without either, again: $(cpu_pct $daemon_pids)% of one core over ${SECS}s"
echo "oxker: $("$OXKER" --version 2>/dev/null | head -1)"
watch_cost oxker "$OXKER"
