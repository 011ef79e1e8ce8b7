#!/usr/bin/env bash
# Training benchmark (not a test): leadscore-train against "the usual pandas + scikit-learn job"
# (bench/peer/train_sklearn.py) on the same files and the same holdout leads, side by side.
#
#   bash bench/train_vs_sklearn.sh                  # all: xeducation, 200k, 1m
#   bash bench/train_vs_sklearn.sh xeducation       # or 200k, or 1m
#   RUNS=5 bash bench/train_vs_sklearn.sh 200k      # runs a dataset (default 3; 1 for 1m)
#   TABLE_ONLY=1 bash bench/train_vs_sklearn.sh     # re-print the tables of the last runs
#
# Datasets: X Education (../shared/datasets/x-education/Leads.csv, the README's command with the
# leaky columns excluded); the demo generator's three tables at 200,000 leads (~6 M events) and
# 1,000,000 leads (~30 M events), generated with `leadscore-train demo-data --seed 42` into
# bench/out/scale-N/ (shared with bench/scale.sh; reused when present).
#
# Each run: ours (`leadscore-train train ... --holdout-out H --timings`), then the peer holding out
# exactly the leads in H, each under /usr/bin/time (wall, peak RSS of the largest process) and a
# 0.5 s sampler of the summed PSS of the process tree (the peer's cross-validation runs in joblib
# worker processes). Prints a markdown table per dataset (medians over the runs) and writes it to
# $OUT/<dataset>/table.md; raw outputs beside it.
#
# Needs: the release leadscore-train (built here), the venv of bench/peer/requirements.txt at
# $BENCH_VENV (created here if missing), GNU time (installed with apt if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

WHICH="${1:-all}"
VENV="${BENCH_VENV:-$HOME/.cache/leadscore-bench-venv}"
OUT="${OUT:-bench/out/train-vs-sklearn}"
X_EDUCATION="${X_EDUCATION:-../shared/datasets/x-education/Leads.csv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
B="$CARGO_TARGET_DIR/release/leadscore-train"
PY="$VENV/bin/python"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in bench/peer/
LEAKY=(Tags "Lead Quality" "Lead Profile" "Asymmetrique Activity Index" "Asymmetrique Profile Index"
  "Asymmetrique Activity Score" "Asymmetrique Profile Score")

say() { printf '== %s\n' "$*" >&2; }

case "$WHICH" in
  all) DATASETS=(xeducation 200k 1m) ;;
  xeducation | 200k | 1m) DATASETS=("$WHICH") ;;
  *) echo "usage: $0 [xeducation|200k|1m|all]" >&2; exit 2 ;;
esac

# --- tools ---------------------------------------------------------------------------------------
if ! [ -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
if ! [ -x "$PY" ] || ! "$PY" -c 'import sklearn, pandas, joblib, pyarrow' 2>/dev/null; then
  say "creating the peer venv at $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r bench/peer/requirements.txt
fi
if [ -z "${TABLE_ONLY:-}" ]; then
  say "building leadscore-train (release)"
  cargo build --release -p leadscore-train
fi

# --- measuring -----------------------------------------------------------------------------------
# Summed PSS (KiB) of a process and its descendants.
tree_pss() {
  local pids=("$1") i=0 total=0 p v
  while [ "$i" -lt "${#pids[@]}" ]; do
    # shellcheck disable=SC2207
    pids+=($(pgrep -P "${pids[$i]}" || true))
    i=$((i + 1))
  done
  for p in "${pids[@]}"; do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# measure PREFIX CMD...: runs CMD (stdout -> PREFIX.out, stderr -> PREFIX.err) under GNU time
# (PREFIX.time: "wall_s maxrss_kib") while sampling the tree's PSS (PREFIX.pss: peak KiB).
measure() {
  local prefix=$1 peak=0 v pid
  shift
  /usr/bin/time -f '%e %M' -o "$prefix.time" "$@" >"$prefix.out" 2>"$prefix.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    v=$(tree_pss "$pid")
    if [ "$v" -gt "$peak" ]; then peak=$v; fi
    sleep 0.5
  done
  echo "$peak" >"$prefix.pss"
  if ! wait "$pid"; then
    echo "failed: $*" >&2
    tail -20 "$prefix.err" >&2
    return 1
  fi
}

demo_files() { # leads -> directory with leads.csv, events.csv, outcomes.csv
  local n=$1 dir="bench/out/scale-$1"
  mkdir -p "$dir"
  if ! [ -s "$dir/events.csv" ] || ! [ -s "$dir/outcomes.csv" ]; then
    say "generating $n demo leads into $dir (df: $(df -h --output=avail . | tail -1 | tr -d ' ') free)"
    "$B" demo-data --leads "$n" --seed 42 --out "$dir/leads.csv" \
      --events-out "$dir/events.csv" --outcomes-out "$dir/outcomes.csv" >&2
  fi
  echo "$dir"
}

# table NAME DIR RUNS: the markdown table of a dataset's runs (also DIR/table.md)
table() {
  "$PY" - "$1" "$2" "$3" <<'EOF' | tee "$2/table.md"
import json, re, statistics as st, sys
import pandas as pd
from sklearn.metrics import roc_auc_score

name, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
med = lambda v: st.median(v) if v else float("nan")

def time_of(p):
    wall, rss = open(f"{p}.time").read().split()[-2:]
    return float(wall), int(rss) / 2**20, int(open(f"{p}.pss").read()) / 2**20

ours, peer = [], []
for r in range(1, runs + 1):
    o = {"time": time_of(f"{out}/ours-{r}"), "stages": {}}
    for line in open(f"{out}/ours-{r}.err"):
        m = re.match(r"timing (.+?)\s+([0-9.]+) s$", line.strip())
        if m:
            o["stages"][m.group(1)] = float(m.group(2))
    h = pd.read_csv(f"{out}/ours-{r}.holdout.csv")
    o["auc"] = roc_auc_score(h["label"], h["score"])
    rep = open(f"{out}/ours-{r}.out").read()
    m = re.search(r"train (\d+) (?:leads|examples) \((\d+) converted\)", rep)
    o["train"] = (int(m.group(1)), int(m.group(2))) if m else None
    o["features"] = int(re.search(r"features (\d+)", rep).group(1)) if "features" in rep else None
    ours.append(o)
    s = json.load(open(f"{out}/peer-{r}.json"))
    peer.append({"time": time_of(f"{out}/peer-{r}"), "stages": s["timings"], "auc": s["roc_auc"],
                 "train": (s["train_leads"], s["train_positives"]), "summary": s})

def col(rows, k, i=None):
    return med([(x[k][i] if i is not None else x[k]) for x in rows])

ow, pw = col(ours, "time", 0), col(peer, "time", 0)
orss, prss = col(ours, "time", 1), col(peer, "time", 1)
opss, ppss = col(ours, "time", 2), col(peer, "time", 2)
oa, pa = col(ours, "auc"), col(peer, "auc")
last = peer[-1]["summary"]
print(f"\n### {name}: median of {runs} run{'s' if runs > 1 else ''}\n")
try:
    print(open(f"{out}/context.txt").read().strip() + "\n")
except OSError:
    pass
print(f"holdout {last['holdout_leads']:,} rows ({last['holdout_positives']:,} converted), "
      f"train {ours[-1]['train'][0]:,} rows (ours) / {peer[-1]['train'][0]:,} (theirs); "
      f"features {ours[-1]['features']} (ours) / {last['features']} (theirs)\n")
print("| | ours (leadscore-train) | theirs (pandas + scikit-learn) | ours / theirs |")
print("| --- | ---: | ---: | ---: |")
print(f"| wall time | {ow:.1f} s | {pw:.1f} s | {ow / pw:.2f} |")
print(f"| peak RSS (largest process) | {orss:.2f} GiB | {prss:.2f} GiB | {orss / prss:.2f} |")
print(f"| peak PSS (process tree, sampled) | {opss:.2f} GiB | {ppss:.2f} GiB | {opss / ppss:.2f} |")
print(f"| holdout ROC AUC | {oa:.4f} | {pa:.4f} | {oa / pa:.3f} ({oa - pa:+.4f}) |")
print("\nwall time per run: ours " + ", ".join(f"{x['time'][0]:.1f}" for x in ours)
      + " s; theirs " + ", ".join(f"{x['time'][0]:.1f}" for x in peer) + " s\n")
print("| stage (median s) | ours | theirs |")
print("| --- | ---: | ---: |")
o_st = {k: med([x["stages"].get(k, 0.0) for x in ours]) for k in ours[0]["stages"]}
p_st = {k: med([x["stages"].get(k, 0.0) for x in peer]) for k in peer[0]["stages"]}
rows = [("read", ["read"], ["read (all files)"]),
        ("assemble (ours: reads events + outcomes here)", ["assemble"], ["assemble"]),
        ("featurize", ["featurize"], ["featurize"]),
        ("cross-validate + final fit", ["cross-validate", "fit"], ["cross-validate + fit"]),
        ("evaluate", ["evaluate"], ["evaluate"]),
        ("write", ["write"], ["write"])]
for label, ok, pk in rows:
    print(f"| {label} | {sum(o_st.get(k, 0) for k in ok):.2f} | {sum(p_st.get(k, 0) for k in pk):.2f} |")
print(f"| (cross-validate / fit, ours) | {o_st.get('cross-validate', 0):.2f} / {o_st.get('fit', 0):.2f} | |")
ag = last.get("agreement", {})
ot, pt = ours[-1]["train"], peer[-1]["train"]
print(f"\nsame split: the peer held out leadscore's {ag.get('holdout_leads')} holdout leads "
      + (f"and scored the {ag['holdout_rows']:,} rows of its holdout file (every landmark and "
         "event of each holdout lead) " if "holdout_rows" in ag else "")
      + f"({ag.get('not_used_by_peer')} of them not among the peer's labelled leads); "
      f"label mismatches {ag.get('label_mismatches')}"
      + (f", as_of mismatches {ag['as_of_mismatches']}" if "as_of_mismatches" in ag else "")
      + f"; training leads {'identical counts' if ot == pt else f'DIFFER: ours {ot}, theirs {pt}'}"
      + f" ({pt[0]:,}, {pt[1]:,} converted). Peer C = {last['C']:.4g}, "
      f"convergence warnings {last['convergence_warnings']}.")
EOF
}

run_dataset() {
  local name=$1 runs dir out r
  out="$OUT/$name"
  if [ -n "${TABLE_ONLY:-}" ]; then
    runs=$(find "$out" -name 'peer-*.json' 2>/dev/null | wc -l)
    if [ "$runs" -gt 0 ]; then table "$name" "$out" "$runs"; else say "$name: no runs in $out"; fi
    return
  fi
  mkdir -p "$out"
  rm -f "$out"/ours-* "$out"/peer-*
  context >"$out/context.txt"
  say "$(cat "$out/context.txt")"
  local ours=() peer=()
  case "$name" in
    xeducation)
      runs=${RUNS:-3}
      ours=("$B" train --data "$X_EDUCATION" --label Converted --id "Prospect ID"
        --exclude "Lead Number" "${LEAKY[@]}")
      peer=("$PY" bench/peer/train_sklearn.py --kind flat --data "$X_EDUCATION"
        --label Converted --id "Prospect ID" --exclude "Lead Number" "${LEAKY[@]}")
      ;;
    200k | 1m)
      if [ "$name" = 200k ]; then runs=${RUNS:-3}; dir=$(demo_files 200000); else
        runs=${RUNS:-1}; dir=$(demo_files 1000000); fi
      ours=("$B" train --data "$dir/leads.csv" --events "$dir/events.csv"
        --outcomes "$dir/outcomes.csv" --spec data/demo/spec.toml)
      peer=("$PY" bench/peer/train_sklearn.py --kind demo --data "$dir/leads.csv"
        --events "$dir/events.csv" --outcomes "$dir/outcomes.csv" --spec data/demo/spec.toml)
      ;;
  esac
  for r in $(seq 1 "$runs"); do
    say "$name run $r/$runs: ours"
    measure "$out/ours-$r" "${ours[@]}" --out "$out/ours-model.json" \
      --holdout-out "$out/ours-$r.holdout.csv" --timings
    say "$name run $r/$runs: theirs (pandas + scikit-learn)"
    measure "$out/peer-$r" "${peer[@]}" --holdout-ids "$out/ours-$r.holdout.csv" \
      --model-out "$out/peer-model.joblib" --predictions-out "$out/peer-$r.pred.csv" \
      --summary-out "$out/peer-$r.json"
  done
  table "$name" "$out" "$runs"
}

# When and on what a dataset's runs were measured (the first line of its table).
context() {
  local dirty=""
  if [ -n "$(git status --porcelain -- crates vendor Cargo.toml Cargo.lock 2>/dev/null)" ]; then
    dirty=" plus uncommitted changes (crates/, vendor/, Cargo.*)"
  fi
  echo "measured $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD)$dirty;" \
    "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
}

for d in "${DATASETS[@]}"; do
  run_dataset "$d"
done
