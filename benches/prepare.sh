# Sourced by the benchmark scripts: installs and starts the components, builds the release
# console and the static demo service, and starts a demo in $DIR (the caller sets DIR and BIN).
./scripts/test.sh --install-only
cargo build -q --release -p opsdeck
[ -n "${OPSDECK_DEMO_BINARY:-}" ] || {
    RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release -p opsdeck-demo-service --target x86_64-unknown-linux-gnu
    export OPSDECK_DEMO_BINARY="$PWD/target/x86_64-unknown-linux-gnu/release/demo-service"
}
"$BIN" demo up --dir "$DIR" >/dev/null
