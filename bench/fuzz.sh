#!/usr/bin/env bash
# Fuzzes the two untrusted-input paths with cargo-fuzz (libFuzzer) for a bounded time each:
#   score_body  /v1/score request bytes -> lead::parse_score_body -> Serving::score_each -> api::score_body
#   artifact    model file bytes -> ModelArtifact::from_json (and serde + seal + validate) -> featurize/score
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, both targets)
# Exits non-zero on a crash (panic, failed assertion, overflow, timeout, OOM) and prints the
# reproducer; replay one with `cd fuzz && cargo fuzz run -O -a --sanitizer none TARGET FILE`.
# Runs on stable Rust: `--sanitizer none` needs no nightly flag (see bench/README.md).
set -euo pipefail

SECS="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(score_body artifact)

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/fuzz"
# Its own target folder: the sanitizer-coverage RUSTFLAGS would rebuild the workspace's.
export CARGO_TARGET_DIR="${LEADSCORE_FUZZ_TARGET_DIR:-$HOME/.cache/leadscore-fuzz}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# -O: release (fast); -a: keep debug assertions, so integer overflow is a crash.
FLAGS=(-O -a --sanitizer none)
cargo fuzz build "${FLAGS[@]}"

status=0
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t" logs
    # The model as it is now, in case the committed seeds lag behind its format.
    if [ "$t" = artifact ] && [ -f ../models/demo.json ]; then
        cp ../models/demo.json corpus/artifact/current-demo.json
    fi
    log="logs/$t.log"
    echo "fuzz.sh: $t for ${SECS}s (log fuzz/$log)" >&2
    set +e
    cargo fuzz run "${FLAGS[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    cov=$(grep -aoE 'DONE +cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -1 | sed 's/DONE *//' || true)
    if [ "$rc" -ne 0 ]; then
        status=1
        crash=$(grep -ao 'Test unit written to .*' "$log" | sed 's/Test unit written to //' | tail -1 || true)
        echo "fuzz.sh: $t FAILED (exit $rc) after ${execs:-?} executions" >&2
        grep -a -m1 -A12 -E "panicked at|ERROR: libFuzzer|==ERROR" "$log" >&2 || tail -20 "$log" >&2
        echo "fuzz.sh: crash input: ${crash:-(none written; see fuzz/$log)}" >&2
        summary+=("$t: CRASH after ${execs:-?} execs, input ${crash:-?}")
    else
        summary+=("$t: ok, ${SECS}s, ${execs:-?} execs, ${cov:-}")
    fi
done

echo "---- fuzz summary ----"
printf '%s\n' "${summary[@]}"
exit "$status"
