# Sourced by the benchmark scripts: builds what they need (build.sh) and starts a demo in $DIR
# (the caller sets DIR and BIN).
. benches/build.sh
"$BIN" demo up --dir "$DIR" >/dev/null
