#!/usr/bin/env bash
# Numeric shapes and the penalty search (not a test): holdout ROC AUC, what was chosen, and wall
# time of `leadscore-train train` on
#   xeducation     the README's X Education command (leaky columns excluded; spec inferred);
#   demo           the README's main command (data/demo/spec.toml: company_size has bins = 10);
#   demo-auto      the same with company_size's bins = "auto";
#   survey-*       `demo-data --survey` (85 columns of answer codes 0-9, 4,600 rows, the label
#                  driven by six of them): the spec `init` infers (auto), then every column's
#                  bins fixed at 0 and at 10.
#
#   bash bench/shapes.sh                          # builds the debug binary and runs all
#   BIN=path/to/leadscore-train bash bench/shapes.sh   # another build (an older commit's)
#   RUNS=3 PROFILE=release bash bench/shapes.sh   # median wall time of 3 runs, release build
#
# A variant the binary cannot train (an older build reading bins = "auto") prints "failed".
# Prints a markdown table and writes it to $OUT/table.md; models and outputs beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-1}"
OUT="${OUT:-bench/out/shapes}"
X_EDUCATION="${X_EDUCATION:-../shared/datasets/x-education/Leads.csv}"
PROFILE="${PROFILE:-debug}"
if [ -z "${BIN:-}" ]; then
  if [ "$PROFILE" = release ]; then
    cargo build --release -q -p leadscore-train
  else
    cargo build -q -p leadscore-train
  fi
  BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/leadscore-train"
fi
mkdir -p "$OUT"
LEAKY=(Tags "Lead Quality" "Lead Profile" "Asymmetrique Activity Index" "Asymmetrique Profile Index"
  "Asymmetrique Activity Score" "Asymmetrique Profile Score")

# The survey table and its specs (the generator is the current build's: `cargo run`).
SURVEY="$OUT/survey.csv"
cargo run -q -p leadscore-train -- demo-data --survey --leads 4600 --seed 42 --out "$SURVEY" 2>/dev/null
cargo run -q -p leadscore-train -- init --data "$SURVEY" --label converted --id respondent_id \
  --out "$OUT/survey-auto.toml" >/dev/null
for b in 0 10; do
  sed "s/^bins = .*/bins = $b/" "$OUT/survey-auto.toml" >"$OUT/survey-$b.toml"
done
sed '/^name = "company_size"/,/^bins/ s/^bins = .*/bins = "auto"/' data/demo/spec.toml \
  >"$OUT/demo-auto.toml"

# run NAME ARGS...: trains RUNS times; prints the table row.
run() {
  local name=$1 r t0 t1 walls=() ok=1
  shift
  for r in $(seq 1 "$RUNS"); do
    t0=$(date +%s.%N)
    if ! "$BIN" train "$@" --out "$OUT/$name.json" --no-report >"$OUT/$name.out" 2>"$OUT/$name.err"; then
      ok=0
      break
    fi
    t1=$(date +%s.%N)
    walls+=("$(python3 -c "print($t1 - $t0)")")
  done
  if [ "$ok" = 0 ]; then
    echo "| $name | failed: $(tail -1 "$OUT/$name.err" | cut -c1-80) | | | | |"
    return
  fi
  python3 - "$OUT/$name.json" "${walls[@]}" <<'EOF'
import json, statistics, sys
a = json.load(open(sys.argv[1]))
p = a["provenance"]
wall = statistics.median(float(w) for w in sys.argv[2:])
b = p.get("bins")
def label(n, spikes):
    return f"{n} with spikes" if spikes else str(n)
bins = "fixed" if b is None else f"{label(b['chosen'], b.get('chosen_spikes'))} (of " + ", ".join(
    f"{label(c['bins'], c.get('spikes'))}: {c['cv_log_loss']:.4f}" for c in b["candidates"]) + ")"
pen = p["penalty"]
ext = f", +{len(pen['extended'])} decades" if pen.get("extended") else ""
edge = ", at edge" if pen.get("at_edge") else ""
print(f"| {sys.argv[1].split('/')[-1][:-5]} | {a['evaluation']['roc_auc']:.4f} | "
      f"{len(a['model']['features'])} | {bins} | {pen['alpha']:.4g}{ext}{edge} | {wall:.1f} s |")
EOF
}

{
  echo "measured $(date -u +%Y-%m-%dT%H:%M:%SZ) with $BIN ($PROFILE) at commit $(git rev-parse --short HEAD);" \
    "$(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg); wall time median of $RUNS"
  echo
  echo "| run | holdout ROC AUC | features | bins chosen (CV log loss per candidate) | alpha | wall |"
  echo "| --- | ---: | ---: | --- | --- | ---: |"
  run xeducation --data "$X_EDUCATION" --label Converted --id "Prospect ID" \
    --exclude "Lead Number" "${LEAKY[@]}"
  run demo --data data/demo/leads.csv --events data/demo/events.csv \
    --outcomes data/demo/outcomes.csv --spec data/demo/spec.toml
  run demo-auto --data data/demo/leads.csv --events data/demo/events.csv \
    --outcomes data/demo/outcomes.csv --spec "$OUT/demo-auto.toml"
  run survey-auto --data "$SURVEY" --label converted --id respondent_id
  for b in 0 10; do
    run "survey-$b" --data "$SURVEY" --spec "$OUT/survey-$b.toml"
  done
} | tee "$OUT/table.md"
