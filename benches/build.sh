# Sourced by the benchmark scripts: installs and starts the components, builds the static demo
# service (exported as OPSDECK_DEMO_BINARY) and the release console.
./scripts/test.sh --install-only
[ -n "${OPSDECK_DEMO_BINARY:-}" ] || {
    RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release -p opsdeck-demo-service --target x86_64-unknown-linux-gnu
    export OPSDECK_DEMO_BINARY="$PWD/target/x86_64-unknown-linux-gnu/release/demo-service"
}
cargo build -q --release -p opsdeck
