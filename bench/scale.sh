#!/usr/bin/env bash
# Scale benchmark (not a test): the whole training job on the demo generator's three tables at
# 1,000,000 leads and ~30,000,000 events, with wall time per stage and peak memory.
#
#   bash bench/scale.sh                 # 1M leads (about 1.3 GB of CSV under bench/out/scale-1000000)
#   LEADS=200000 bash bench/scale.sh    # a smaller run
#
# Prints the per-stage timings from `train --timings` and /usr/bin/time's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
LEADS="${LEADS:-1000000}"
OUT="${OUT:-bench/out/scale-$LEADS}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
if ! [ -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
# The same package set as bench/age_promise.sh: building leadscore-train alone unifies the
# dependencies' features differently and rebuilds polars (20+ minutes here).
cargo build --release -p leadscore-train -p leadscore-serve
B="$CARGO_TARGET_DIR/release/leadscore-train"
mkdir -p "$OUT"
if ! [ -s "$OUT/events.csv" ]; then
  /usr/bin/time -f "generate: %e s wall, %M KiB peak RSS" \
    "$B" demo-data --leads "$LEADS" --seed 42 \
      --out "$OUT/leads.csv" --events-out "$OUT/events.csv" --outcomes-out "$OUT/outcomes.csv"
fi
ls -l "$OUT"/*.csv
/usr/bin/time -f "train: %e s wall, %M KiB peak RSS, %P CPU" \
  "$B" train --data "$OUT/leads.csv" --events "$OUT/events.csv" --outcomes "$OUT/outcomes.csv" \
    --spec data/demo/spec.toml --out "$OUT/model.json" --timings >"$OUT/report.txt" 2>"$OUT/timings.txt" || {
  cat "$OUT/timings.txt"; exit 1; }
cat "$OUT/timings.txt"
sed -n '1,12p' "$OUT/report.txt"
grep -E "ROC AUC 0" "$OUT/report.txt" | tail -1
