#!/usr/bin/env bash
# Batch scoring benchmark (not a test): `leadscore-train score` on the demo generator's tables
# at 1,000,000 leads (~30 M events) with the committed model `models/demo.json`, to Parquet and
# to CSV, then once more a week later with `--previous` (the crossings). Wall time and peak RSS of
# each run (GNU time), leads per second, output sizes.
#
#   bash bench/score_scale.sh                 # 1,000,000 leads
#   LEADS=200000 bash bench/score_scale.sh    # a smaller run
#
# The tables are generated with `leadscore-train demo-data --seed 42` into bench/out/scale-N/
# (shared with bench/scale.sh and bench/train_vs_sklearn.sh; reused when present). Prints a
# markdown table and writes it to $OUT/table.md; the runs' outputs are beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

LEADS="${LEADS:-1000000}"
OUT="${OUT:-bench/out/score-scale}"
AS_OF="${AS_OF:-2026-01-01T00:00:00Z}"
LATER="${LATER:-2026-01-08T00:00:00Z}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
B="$CARGO_TARGET_DIR/release/leadscore-train"

say() { printf '== %s\n' "$*" >&2; }

if ! [ -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
say "building leadscore-train (release)"
cargo build --release -p leadscore-train

dir="bench/out/scale-$LEADS"
mkdir -p "$dir" "$OUT"
if ! [ -s "$dir/events.csv" ] || ! [ -s "$dir/outcomes.csv" ]; then
  say "generating $LEADS demo leads into $dir"
  "$B" demo-data --leads "$LEADS" --seed 42 --out "$dir/leads.csv" \
    --events-out "$dir/events.csv" --outcomes-out "$dir/outcomes.csv" >&2
fi
events=$(($(wc -l <"$dir/events.csv") - 1))

# run NAME ARGS...: one timed `score`; its stdout, GNU time's report and a table row.
rows=()
run() {
  local name=$1
  shift
  say "$name"
  rm -f "$OUT/$name".*
  /usr/bin/time -v -o "$OUT/$name.time" "$B" score --model models/demo.json \
    --data "$dir/leads.csv" --events "$dir/events.csv" --target-precision 0.5 "$@" \
    >"$OUT/$name.out" 2>"$OUT/$name.err" || {
    cat "$OUT/$name.err" >&2
    exit 1
  }
  local wall rss secs scored
  wall=$(grep 'Elapsed (wall clock)' "$OUT/$name.time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$OUT/$name.time" | awk '{print $NF}')
  secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  scored=$(grep -o '[0-9]* leads scored' "$OUT/$name.out" | awk '{print $1}')
  rows+=("| $name | $scored | $(awk -v s="$secs" 'BEGIN { printf "%.1f", s }') s | $(awk -v n="$scored" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') | $(awk -v k="$rss" 'BEGIN { printf "%.2f", k / 1048576 }') GiB |")
  cat "$OUT/$name.out" >&2
}

run parquet --as-of "$AS_OF" --out "$OUT/parquet.parquet"
run csv --as-of "$AS_OF" --out "$OUT/csv.csv"
run parquet-week-later --as-of "$LATER" --out "$OUT/parquet-week-later.parquet" \
  --previous "$OUT/parquet.parquet"

{
  echo "measured $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD);" \
    "$(nproc) cores, load average at end $(cut -d' ' -f1-3 /proc/loadavg);" \
    "$LEADS leads, $events events"
  echo
  echo "| run | leads scored | wall | leads/s | peak RSS |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/table.md"
