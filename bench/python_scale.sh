#!/usr/bin/env bash
# The Python package and Spark local mode scoring the demo generator's tables (a benchmark, not
# a test): leads/s through `leadscore` alone (pandas reads, the package joins, featurizes and
# scores) and through PySpark `local[2]` (Spark reads and groups the events, mapInPandas calls
# the package per partition), on models/demo.json at target precision 0.5.
#
#   bash bench/python_scale.sh                 # 1,000,000 leads (~30 M events)
#   LEADS=200000 bash bench/python_scale.sh    # a smaller run
#
# Uses the test environment of tests/run.sh ($LEADSCORE_TEST_VENV, default
# ~/.cache/leadscore-test-venv: pandas, pyarrow, pyspark; run `bash tests/run.sh` once first),
# installs ./python into it, and needs a Java runtime (tests/run.sh installs one). The tables are
# generated into bench/out/scale-N/ when missing (shared with bench/scale.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

LEADS="${LEADS:-1000000}"
AS_OF="${AS_OF:-2025-12-01T00:00:00Z}"
VENV="${LEADSCORE_TEST_VENV:-$HOME/.cache/leadscore-test-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
OUT="${OUT:-bench/out/python-scale}"
mkdir -p "$OUT"

dir="bench/out/scale-$LEADS"
if ! [ -s "$dir/events.csv" ]; then
  cargo build --release -p leadscore-train
  mkdir -p "$dir"
  "$CARGO_TARGET_DIR/release/leadscore-train" demo-data --leads "$LEADS" --seed 42 \
    --out "$dir/leads.csv" --events-out "$dir/events.csv" --outcomes-out "$dir/outcomes.csv" >&2
fi
"$VENV/bin/python" -m pip install -q ./python
{
  echo "measured $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD); $(nproc) cores;" \
    "$LEADS demo leads, $(($(wc -l <"$dir/events.csv") - 1)) events, as of $AS_OF"
  echo
  echo "| run | leads | wall | leads/s |"
  echo "| --- | ---: | ---: | ---: |"
  "$VENV/bin/python" bench/python_scale.py "$dir" "$AS_OF" 2> "$OUT/stderr.log"
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/table.md"
