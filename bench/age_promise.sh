#!/usr/bin/env bash
# The MQL promise replayed through time (issue 11, item 6): trains a fresh model on the demo's
# three tables (release build), then replays its holdout leads day by day, ages 0..90 after
# created_at, through the real leadscore-serve with tests/age_promise.rs (the one implementation
# of the replay; this script only points it at the fresh model through LEADSCORE_REPLAY_*).
# Prints the markdown table with the command, date and commit (also in bench/out/age-promise/
# report.md). Exits with the test's status: non-zero (cargo test's 101) when the promise is broken
# (precision at first crossing below the target, or below 0.40 at an age with >= 50 MQLs).
#
#   bash bench/age_promise.sh                       # target 0.5
#   TARGET=0.6 bash bench/age_promise.sh            # another target
#   bash bench/age_promise.sh --seed 11             # extra arguments go to `leadscore-train train`
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${TARGET:-0.5}"
OUT="${OUT:-bench/out/age-promise}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
TRAIN="$CARGO_TARGET_DIR/release/leadscore-train"

say() { printf '== %s\n' "$*" >&2; }

say "building leadscore-train and leadscore-serve (release; may wait for another build's lock)"
cargo build --release -p leadscore-train -p leadscore-serve
# The test builds the server alone (`-p leadscore-serve`), which unifies the dependencies'
# features differently from the build above: done here, the first time (about 2 minutes of the
# server's dependencies) shows up as a build, not inside the test; afterwards it is a no-op.
cargo build --release -p leadscore-serve
rm -rf "$OUT"; mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

TRAIN_CMD=("$TRAIN" train --data data/demo/leads.csv --events data/demo/events.csv
  --outcomes data/demo/outcomes.csv --spec data/demo/spec.toml --out "$OUT/model.json"
  --holdout-out "$OUT/holdout.csv" --no-report "$@")
say "training: ${TRAIN_CMD[*]}"
"${TRAIN_CMD[@]}" >"$OUT/train.txt"
grep -E "^  (model |train [0-9]|point in time)|^    leads [0-9]+:|^  ROC AUC" "$OUT/train.txt" >&2 || true

say "replaying the holdout through leadscore-serve (cargo test --release --test age_promise)"
status=0
LEADSCORE_REPLAY_MODEL="$OUT/model.json" LEADSCORE_REPLAY_HOLDOUT="$OUT/holdout.csv" \
  LEADSCORE_REPLAY_TARGET="$TARGET" LEADSCORE_REPLAY_OUT="$OUT/table.md" \
  cargo test --release --test age_promise -- --nocapture >"$OUT/test.txt" 2>&1 || status=$?
if ! [ -s "$OUT/table.md" ]; then
  cat "$OUT/test.txt"
  say "the replay wrote no table (status $status)"
  exit 1
fi

COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates tests data 2>/dev/null || echo '+changes')"
{
  echo "### Age promise: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT"
  echo
  echo "\`TARGET=$TARGET bash bench/age_promise.sh${*:+ $*}\` (train: \`leadscore-train train --data data/demo/leads.csv --events data/demo/events.csv --outcomes data/demo/outcomes.csv --spec data/demo/spec.toml${*:+ $*}\`)"
  echo
  cat "$OUT/table.md"
  echo
  if [ "$status" = 0 ]; then
    echo "Result: the promise holds."
  else
    echo "Result: **the promise is broken**:"
    echo
    grep -E '^  (precision at first crossing|realized precision is below)' "$OUT/test.txt" | sed 's/^  /- /' || true
  fi
} | tee "$OUT/report.md"
say "wrote $OUT/report.md; the test's output is in $OUT/test.txt"
exit "$status"
