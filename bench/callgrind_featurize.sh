#!/usr/bin/env bash
# Instructions a lead of featurize + score in process (a benchmark, not a test): the criterion
# bench `featurize_score` run under callgrind, collecting only inside
# `FittedSpec::featurize_values_into` and `Scorer::log_odds`, divided by the calls. Unlike the
# bench's times, the counts do not depend on the machine's load, so they compare builds.
#
#   bash bench/callgrind_featurize.sh                       # no_events and own_events
#   bash bench/callgrind_featurize.sh with_50_events        # any of the bench's cases
#   LEADSCORE_BENCH_MODEL=m.json bash bench/callgrind_featurize.sh   # another model of the demo tables
#
# Prints, per case: instructions a lead (featurize + score) and those of the dot product.
# Needs: valgrind (callgrind_annotate), python3; builds the bench in $CARGO_TARGET_DIR
# (default $HOME/.cache/leadscore-release).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
for tool in valgrind callgrind_annotate python3; do
  command -v "$tool" >/dev/null || { echo "callgrind_featurize.sh: needs $tool" >&2; exit 2; }
done
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(no_events own_events)
BIN=$(cargo bench -p leadscore-core --bench featurize_score --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "featurize_score" and m.get("executable"):
        print(m["executable"])')
[ -x "$BIN" ] || { echo "callgrind_featurize.sh: the bench did not build" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for case in "${CASES[@]}"; do
  # The bench reads the demo files relative to its crate.
  (cd crates/core && valgrind --tool=callgrind \
    --toggle-collect='leadscore_core::fitted::FittedSpec::featurize_values_into' \
    --toggle-collect='leadscore_core::model::Scorer::log_odds' \
    --callgrind-out-file="$OUT/$case.cg" "$BIN" --bench --profile-time 1 "featurize_score/$case\$" \
    >"$OUT/$case.log" 2>&1) || { cat "$OUT/$case.log" >&2; exit 1; }
  callgrind_annotate --tree=caller --threshold=100 "$OUT/$case.cg" 2>/dev/null |
    CASE="$case" python3 -c '
import os, re, sys
a = sys.stdin.read()
total = int(re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", a).group(1).replace(",", ""))
# Each call of featurize_values_into calls featurize_values_noting_unseen once.
calls = sum(int(m.replace(",", "")) for m in
            re.findall(r"<\s+\S*FittedSpec::featurize_values_into \(([\d,]+)x\)", a))
dot = sum(int(m.replace(",", "")) for m in
          re.findall(r"^\s*([\d,]+) \([ \d.]+%\)\s+\*\s+\S*Scorer::log_odds\b", a, re.M))
if not calls:
    sys.exit("callgrind_featurize.sh: no calls of featurize_values_into counted")
print(f"{os.environ['"'"'CASE'"'"']}: {total / calls:,.0f} instructions a lead "
      f"(featurize + score), of which the dot product {dot / calls:,.0f}; {calls:,} leads")'
done
