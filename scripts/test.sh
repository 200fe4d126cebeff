#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine (Docker Engine, the
# CNCF registry, HAProxy, Alertmanager, OpenSSH server, the sqlite3 shell), starts dockerd when
# nothing answers, builds the static demo service once, and runs every test against the real
# components.
#   ./scripts/test.sh                 install, start, build, test
#   ./scripts/test.sh --install-only  install and start, nothing else
# Extra arguments after `--` go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# openssl makes the private registry's CA and certificate; openssh-client is ssh for ssh:// hosts;
# iproute2 (`ip`) makes the second engine's bridge (src/stack/engine.rs).
PACKAGES=(docker.io docker-registry haproxy prometheus-alertmanager openssh-server openssh-client openssl sqlite3 iproute2)

say() { printf '==> %s\n' "$*" >&2; }

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

docker_answers() {
    timeout 5 /usr/bin/docker version >/dev/null 2>&1
}

start_dockerd() {
    docker_answers && return 0
    say "starting dockerd (log: /tmp/opsdeck-dockerd.log)"
    nohup dockerd >/tmp/opsdeck-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        docker_answers && return 0
        sleep 0.5
    done
    say "dockerd did not answer within 30 s; see /tmp/opsdeck-dockerd.log"
    tail -20 /tmp/opsdeck-dockerd.log >&2 || true
    return 1
}

# A test run killed part-way (a timeout, a lost session) leaves its demo's containers on the
# engine, and every later demo would wait on them: remove demos whose folder is a test's temporary
# one (tests/support's `opsdeck-demo-*`), never a demo a person started elsewhere.
remove_stale_test_demos() {
    local tmp="${TMPDIR:-/tmp}"
    local dir
    for dir in $(/usr/bin/docker ps -a --filter label=opsdeck.demo --format '{{.Label "opsdeck.demo"}}' | sort -u); do
        case "$dir" in "${tmp%/}"/opsdeck-demo-*) ;; *) continue ;; esac
        say "removing a demo a killed test run left behind ($dir)"
        [ -x target/debug/opsdeck ] && timeout 120 target/debug/opsdeck demo down --dir "$dir" >/dev/null 2>&1 || true
        /usr/bin/docker service ls -q --filter "label=opsdeck.demo=$dir" 2>/dev/null | xargs -r /usr/bin/docker service rm >/dev/null || true
        /usr/bin/docker ps -aq --filter "label=opsdeck.demo=$dir" | xargs -r /usr/bin/docker rm -f >/dev/null
    done
}

install_missing
start_dockerd
if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi
[ "${1:-}" = "--" ] && shift

say "building the static demo service"
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release -p opsdeck-demo-service --target x86_64-unknown-linux-gnu
export OPSDECK_DEMO_BINARY="$PWD/target/x86_64-unknown-linux-gnu/release/demo-service"

say "building opsdeck and its tests"
cargo build -q --workspace --all-targets
remove_stale_test_demos
say "running the tests"
cargo test -q --workspace "$@"
