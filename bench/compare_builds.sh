#!/usr/bin/env bash
# Training time of two commits side by side (a benchmark, not a test): how much slower or faster a
# change made the whole `leadscore-train train` job, measured in one run on one machine.
#
#   bash bench/compare_builds.sh OLD NEW            # 200k demo leads (~6 M events), 2 runs each
#   RUNS=3 DATASET=xeducation bash bench/compare_builds.sh d438608 HEAD
#
# Each commit's release leadscore-train is built from a git worktree of it (under $WORK, default
# $HOME/.cache/leadscore-compare/<commit>) in one shared target dir ($CARGO_TARGET_DIR, default
# $HOME/.cache/leadscore-release: the dependencies are built once, the workspace crates per
# commit) and copied beside its worktree. The runs alternate OLD, NEW, OLD, NEW... so load on the shared machine falls on both
# alike. Datasets: `200k` (the demo generator's three tables at 200,000 leads, --seed 42, in
# bench/out/scale-200000/, shared with bench/train_vs_sklearn.sh and bench/scale.sh), `1m`, or
# `xeducation` (../shared/datasets/x-education/Leads.csv with the leaky columns excluded).
# Prints a markdown table: wall time per run, the median per stage (`--timings`), holdout ROC AUC
# (from the report's line), and NEW / OLD of the summed wall times.
#
#   JOB=serve RUNS=6 bash bench/compare_builds.sh a10efe3 HEAD
#
# `JOB=serve` compares the two commits' servers instead: each builds leadscore-serve and the bare
# floor (bench/floor), and each run is `bash bench/serve_vs_fastapi.sh` with that commit's
# binaries (`SERVERS="ours floor" MODES=pinned`, `SCENARIOS` default "single:32 single:128",
# `DURATION` default 20s; both serve this checkout's models/demo.json), alternating OLD, NEW.
# Prints, per scenario, ours / the floor of the same run for every run with their mean and
# median, the mean ratio of server CPU a request (ours / floor) and ours' p99 at its worst; each
# run's table is kept in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
  echo "usage: $0 OLD NEW (two commits)" >&2
  exit 2
fi
RUNS="${RUNS:-2}"
JOB="${JOB:-train}"
DATASET="${DATASET:-200k}"
WORK="${WORK:-$HOME/.cache/leadscore-compare}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
OUT="${OUT:-bench/out/compare-builds}"
X_EDUCATION="${X_EDUCATION:-../shared/datasets/x-education/Leads.csv}"
LEAKY=(Tags "Lead Quality" "Lead Profile" "Asymmetrique Activity Index" "Asymmetrique Profile Index"
  "Asymmetrique Activity Score" "Asymmetrique Profile Score")
say() { printf '== %s\n' "$*" >&2; }

declare -A BIN SHORT TREE
for side in old new; do
  rev=$([ "$side" = old ] && echo "$1" || echo "$2")
  sha=$(git rev-parse --short "$rev^{commit}")
  SHORT[$side]=$sha
  tree="$WORK/$sha"
  TREE[$side]=$tree
  if ! [ -f "$tree/Cargo.toml" ]; then
    mkdir -p "$WORK"
    git worktree add --detach "$tree" "$sha" >&2
  fi
  # Cargo would take the other commit's workspace crates as fresh (same names, older sources):
  # clean them first, so each commit's code is what gets built.
  if [ "$JOB" = serve ]; then
    say "building leadscore-serve and serve-floor (release) at $sha"
    (cd "$tree" && cargo clean --release -p leadscore-core -p leadscore-serve \
      -p leadscore-bench-floor >&2 &&
      cargo build --release --locked -p leadscore-serve -p leadscore-bench-floor >&2)
    # A target dir of its own with the two binaries: what serve_vs_fastapi.sh runs (BUILD=0).
    mkdir -p "$WORK/$sha.serve/release"
    cp "$CARGO_TARGET_DIR/release/leadscore-serve" "$CARGO_TARGET_DIR/release/serve-floor" \
      "$WORK/$sha.serve/release/"
    BIN[$side]="$WORK/$sha.serve/release/leadscore-serve"
  else
    say "building leadscore-train (release) at $sha"
    (cd "$tree" && cargo clean --release -p leadscore-core -p leadscore-report -p leadscore-train \
      -p linfa-logistic >&2 && cargo build --release --locked -p leadscore-train >&2)
    cp "$CARGO_TARGET_DIR/release/leadscore-train" "$WORK/$sha.leadscore-train"
    BIN[$side]="$WORK/$sha.leadscore-train"
  fi
done

if cmp -s "${BIN[old]}" "${BIN[new]}" && [ -n "$(git diff --name-only "${SHORT[old]}" "${SHORT[new]}" -- crates vendor)" ]; then
  echo "error: the two builds are the same binary, but the commits' code differs" >&2
  exit 1
fi

mkdir -p "$OUT"
if [ "$JOB" = serve ]; then
  rm -rf "$OUT"/old-* "$OUT"/new-*
  context="measured $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq 1 "$RUNS"); do
    for side in old new; do
      say "run $r/$RUNS: $side (${SHORT[$side]})"
      # OUT is this run's own directory: serve_vs_fastapi.sh reads OUT too, and with the
      # caller's OUT exported every run wrote the same table.
      CARGO_TARGET_DIR="$(dirname "$(dirname "${BIN[$side]}")")" BUILD=0 SERVERS="ours floor" \
        MODES=pinned SCENARIOS="${SCENARIOS:-single:32 single:128}" DURATION="${DURATION:-20s}" \
        OUT="$OUT/$side-$r" bash bench/serve_vs_fastapi.sh >"$OUT/$side-$r.log" 2>&1
      cp "$OUT/$side-$r/table.md" "$OUT/$side-$r.md"
    done
  done
  python3 - "$OUT" "$RUNS" "${SHORT[old]}" "${SHORT[new]}" "$context" <<'PY' | tee "$OUT/table.md"
import statistics as st, sys
out, runs, old, new, context = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def side(s):
    # Per scenario: ours / floor (requests/s) per run, CPU a request ours / floor, ours' p99.
    rows = {}
    for r in range(1, runs + 1):
        scenario = None
        for line in open(f"{out}/{s}-{r}.md"):
            if not line.startswith("|") or line.startswith("| ---"):
                continue
            c = cells(line)
            if len(c) < 10:
                continue
            if c[1]:
                scenario = c[1]
            d = rows.setdefault(scenario, {"ratio": [], "cpu": [], "p99": []})
            if c[2] == "leadscore-serve":
                d["p99"].append(c[6])
            elif c[2] == "ours / floor":
                d["ratio"].append(float(c[3].rstrip("x")))
                d["cpu"].append(float(c[9].rstrip("x")))
    return {k: v for k, v in rows.items() if v["ratio"]}


def runs_text(d):
    v = d["ratio"]
    each = " / ".join(f"{x:.3f}" for x in v)
    return f"{each} (mean {st.mean(v):.3f}, median {st.median(v):.3f})"


def worst_p99(d):
    ms = [float(p.split()[0]) for p in d["p99"] if p.endswith("ms")]
    return f"{max(ms):.2f} ms" if ms else "?"


o, n = side("old"), side("new")
print(f"\n### Serving: {old} (old) against {new} (new), {runs} alternating runs each\n")
print(context + "\n")
print("Each cell: ours / the floor of the same run.\n")
print(f"| scenario | {old} | {new} |")
print("| --- | ---: | ---: |")
for sc in dict.fromkeys([*o, *n]):
    a, b = o.get(sc), n.get(sc)
    print(f"| {sc}, requests/s | {runs_text(a) if a else '-'} | {runs_text(b) if b else '-'} |")
    ca = f"{st.mean(a['cpu']):.2f}x" if a else "-"
    cb = f"{st.mean(b['cpu']):.2f}x" if b else "-"
    print(f"| {sc}, server CPU a request (mean) | {ca} | {cb} |")
    print(f"| {sc}, ours' p99 at worst | {worst_p99(a) if a else '-'} | {worst_p99(b) if b else '-'} |")
PY
  exit 0
fi
case "$DATASET" in
  200k | 1m)
    n=$([ "$DATASET" = 200k ] && echo 200000 || echo 1000000)
    dir="bench/out/scale-$n"
    mkdir -p "$dir"
    if ! [ -s "$dir/events.csv" ] || ! [ -s "$dir/outcomes.csv" ]; then
      say "generating $n demo leads into $dir"
      "${BIN[new]}" demo-data --leads "$n" --seed 42 --out "$dir/leads.csv" \
        --events-out "$dir/events.csv" --outcomes-out "$dir/outcomes.csv" >&2
    fi
    # Each commit trains with its own demo spec (the job as it was at that commit).
    args=(--data "$dir/leads.csv" --events "$dir/events.csv" --outcomes "$dir/outcomes.csv")
    spec=(--spec data/demo/spec.toml)
    ;;
  xeducation)
    args=(--data "$X_EDUCATION" --label Converted --id "Prospect ID" --exclude "Lead Number"
      "${LEAKY[@]}")
    spec=()
    ;;
  *) echo "DATASET must be 200k, 1m or xeducation" >&2; exit 2 ;;
esac

rm -f "$OUT"/old-* "$OUT"/new-*
context="measured $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
  for side in old new; do
    say "run $r/$RUNS: $side (${SHORT[$side]})"
    start=$(date +%s.%N)
    spec_of=()
    if [ ${#spec[@]} -gt 0 ]; then spec_of=(--spec "${TREE[$side]}/${spec[1]}"); fi
    "${BIN[$side]}" train "${args[@]}" "${spec_of[@]}" --out "$OUT/$side-model.json" --no-report --timings \
      >"$OUT/$side-$r.out" 2>"$OUT/$side-$r.err"
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' >"$OUT/$side-$r.wall"
  done
done

python3 - "$OUT" "$RUNS" "${SHORT[old]}" "${SHORT[new]}" "$DATASET" "$context" <<'EOF' | tee "$OUT/table.md"
import re, statistics as st, sys
out, runs, old, new, dataset, context = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def side(s):
    walls, stages, auc = [], {}, None
    for r in range(1, runs + 1):
        walls.append(float(open(f"{out}/{s}-{r}.wall").read()))
        for line in open(f"{out}/{s}-{r}.err"):
            m = re.match(r"timing (.+?)\s+([0-9.]+) s$", line.strip())
            if m:
                stages.setdefault(m.group(1), []).append(float(m.group(2)))
        m = re.findall(r"ROC AUC ([0-9.]+)\s+PR AUC", open(f"{out}/{s}-{r}.out").read())
        auc = m[-1] if m else "?"
    return walls, {k: st.median(v) for k, v in stages.items()}, auc
ow, ost, oa = side("old")
nw, nst, na = side("new")
print(f"\n### {dataset}: {old} (old) against {new} (new), {runs} alternating runs each\n")
print(context + "\n")
print(f"| | {old} | {new} | new / old |")
print("| --- | ---: | ---: | ---: |")
print(f"| wall time, sum of {runs} runs | {sum(ow):.1f} s | {sum(nw):.1f} s | {sum(nw) / sum(ow):.2f} |")
print(f"| wall time per run | {', '.join(f'{w:.1f}' for w in ow)} | {', '.join(f'{w:.1f}' for w in nw)} | |")
for k in list(dict.fromkeys([*ost, *nst])):
    a, b = ost.get(k), nst.get(k)
    fa = f"{a:.2f}" if a is not None else "-"
    fb = f"{b:.2f}" if b is not None else "-"
    ratio = f"{b / a:.2f}" if a and b else ""
    print(f"| stage {k} (median s) | {fa} | {fb} | {ratio} |")
print(f"| holdout ROC AUC | {oa} | {na} | |")
EOF
