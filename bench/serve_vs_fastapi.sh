#!/usr/bin/env bash
# Serving benchmark (not a test): leadscore-serve against FastAPI + uvicorn serving a scikit-learn
# pipeline on the same features (bench/peer/), and against the serving floor (bench/floor/: a bare
# axum server that parses each lead and takes one dot product of the demo model's length, nothing
# else), side by side on this machine, with wrk.
#
#   bash bench/serve_vs_fastapi.sh                        # 15 s a run, after a 3 s warm-up
#   DURATION=30s MODES=pinned bash bench/serve_vs_fastapi.sh
#   BUILD=0 bash bench/serve_vs_fastapi.sh                # the release binaries as they are (no cargo)
#   SERVERS="ours floor" bash bench/serve_vs_fastapi.sh   # leave a server out (default: all three)
#
# Scenarios (SCENARIOS, "body:connections"): one lead a request at 32 and 128 connections, 1,000
# leads a request at 8 connections, factors on (3, the default of both; FACTORS=N sends
# ?factors=N, which ours and the peer read and the floor, which has none, ignores). Modes (MODES):
#   pinned  each server on core 0 (`taskset -c 0`), wrk on core 1; uvicorn with 1 worker
#   shared  nothing pinned, server and wrk share the 2 cores; uvicorn --workers 2, ours with its
#           default runtime
# Runs alternate ours / theirs / floor per scenario, so a slow spell of the machine hits all. Prints
# a markdown table (also in $OUT/table.md; raw wrk output and one JSON line a run beside it) with
# the ratios ours / theirs and ours / floor, and how far our scores and the peer's agree on the
# same leads.
#
# Needs: wrk (installed with apt if missing), the release leadscore-serve and serve-floor (built
# here), the venv
# of bench/peer/requirements.txt at $BENCH_VENV (created here if missing) and the peer model from
# bench/peer/train_sklearn.py (trained here on data/demo if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-3s}"
MODES="${MODES:-pinned shared}"
SCENARIOS="${SCENARIOS:-single:32 single:128 batch_1000:8}"
FACTORS="${FACTORS:-}"
PORT_OURS="${PORT_OURS:-18431}"
PORT_PEER="${PORT_PEER:-18432}"
PORT_FLOOR="${PORT_FLOOR:-18433}"
SERVERS="${SERVERS:-ours theirs floor}"
TARGET_PRECISION="${TARGET_PRECISION:-0.5}"
MODEL="${MODEL:-models/demo.json}"
VENV="${BENCH_VENV:-$HOME/.cache/leadscore-bench-venv}"
OUT="${OUT:-bench/out/serve-vs-fastapi}"
PEER_MODEL_FILE="${PEER_MODEL_FILE:-$OUT/peer-demo.joblib}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
OURS_BIN="$CARGO_TARGET_DIR/release/leadscore-serve"
FLOOR_BIN="$CARGO_TARGET_DIR/release/serve-floor"
PY="$VENV/bin/python"
TIMEFORMAT='%R %U %S'

say() { printf '== %s\n' "$*" >&2; }

# --- tools, builds, model, bodies ------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  say "installing wrk"
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [ "${BUILD:-1}" = 1 ]; then
  say "building leadscore-serve and serve-floor (release)"
  cargo build --release -p leadscore-serve -p leadscore-bench-floor
fi
[ -x "$OURS_BIN" ] || { say "no $OURS_BIN (run with BUILD=1)"; exit 1; }
has() { case " $SERVERS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
has ours || { say "SERVERS must include ours (the cutoff and every ratio come from it)"; exit 2; }
if has floor && ! [ -x "$FLOOR_BIN" ]; then say "no $FLOOR_BIN (run with BUILD=1)"; exit 1; fi
mkdir -p "$OUT/raw"
if has theirs; then
if ! [ -x "$PY" ]; then
  say "creating the peer venv at $VENV"
  python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import fastapi, uvicorn, orjson, sklearn, pandas, joblib' 2>/dev/null; then
  "$PY" -m pip install -q -r bench/peer/requirements.txt
fi
# The peer model: data/demo, holding out the leads our models/demo.json held out. Retrained when
# the peer's code or the data is newer than it.
stale=0
for f in bench/peer/features.py bench/peer/train_sklearn.py data/demo/*.csv models/demo.holdout.csv; do
  [ "$f" -nt "$PEER_MODEL_FILE" ] && stale=1
done
if ! [ -s "$PEER_MODEL_FILE" ] || [ "$stale" = 1 ]; then
  say "training the peer model on data/demo -> $PEER_MODEL_FILE"
  "$PY" bench/peer/train_sklearn.py --holdout-ids models/demo.holdout.csv --model-out "$PEER_MODEL_FILE"
fi
fi

# Request bodies from data/demo (deterministic): the first lead without events; the first 1,000
# leads without events; the first 200 leads with their events (agreement check only). Leads are
# the CSV fields minus lead_id, created_at in RFC 3339 (the demo model scores a lead by its age,
# so it needs it), company_size a number, empty as null (as the criterion benches). Prints the as_of of the batch and of the agreement body.
read -r AS_OF AGREE_AS_OF < <(python3 - data/demo/leads.csv data/demo/events.csv bench/wrk <<'EOF'
import csv, json, sys
from datetime import datetime, timedelta

leads_csv, events_csv, out = sys.argv[1:4]
rows = list(csv.DictReader(open(leads_csv, newline="")))
parse = lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
rfc3339 = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")

def lead(row, events=()):
    d = {}
    for k, v in row.items():
        if k == "lead_id":
            continue
        if k == "created_at":
            d[k] = rfc3339(parse(v))
        elif v == "":
            d[k] = None
        elif k == "company_size":
            x = float(v)
            d[k] = int(x) if x.is_integer() else x
        else:
            d[k] = v
    if events:
        d["events"] = [{"event_type": t, "occurred_at": at} for t, at in events]
    return d

def write(name, obj):
    with open(f"{out}/{name}", "w") as f:
        f.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))

batch, agree = rows[:1000], rows[:200]
as_of = max(parse(r["created_at"]) for r in batch) + timedelta(days=7)
agree_as_of = max(parse(r["created_at"]) for r in agree) + timedelta(days=7)
ids = {r["lead_id"] for r in agree}
events = {}
for e in csv.DictReader(open(events_csv, newline="")):
    if e["lead_id"] in ids and parse(e["occurred_at"]) <= agree_as_of:
        events.setdefault(e["lead_id"], []).append((e["event_type"], rfc3339(parse(e["occurred_at"]))))
write("single.json", lead(rows[0]))
write("batch_1000.json", {"leads": [lead(r) for r in batch]})
write("agree_200_events.json", {"leads": [lead(r, events.get(r["lead_id"], ())) for r in agree]})
print(rfc3339(as_of), rfc3339(agree_as_of))
EOF
)
ls -l bench/wrk/*.json >&2

# --- servers ---------------------------------------------------------------------------------
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
on_signal() { exit 130; }
trap on_signal INT TERM

wait_up() { # url pid log
  local i
  for i in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; say "server exited (log above)"; exit 1; }
    sleep 0.1
  done
  cat "$3" >&2; say "server not up after 30 s: $1"; exit 1
}

stop() { # pid: SIGTERM, then SIGKILL after 10 s (uvicorn finishes queued requests first)
  local i
  kill "$1" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

port_free() { # port
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; then
    say "port $1 is already in use (another server left running?); set PORT_OURS / PORT_PEER"
    exit 1
  fi
}

start_ours() { # mode
  local pin=(); [ "$1" = pinned ] && pin=(taskset -c 0)
  port_free "$PORT_OURS"
  "${pin[@]}" "$OURS_BIN" --model "$MODEL" --target-precision "$TARGET_PRECISION" \
    --bind "127.0.0.1:$PORT_OURS" --shutdown-grace-ms 1000 >"$OUT/ours-$1.log" 2>&1 &
  OURS_PID=$!; PIDS+=("$OURS_PID")
  wait_up "http://127.0.0.1:$PORT_OURS/healthz" "$OURS_PID" "$OUT/ours-$1.log"
}

start_peer() { # mode
  local pin=() workers=2; [ "$1" = pinned ] && pin=(taskset -c 0) && workers=1
  port_free "$PORT_PEER"
  PEER_MODEL="$PEER_MODEL_FILE" PEER_THRESHOLD="$THRESHOLD" "${pin[@]}" "$PY" -m uvicorn \
    --app-dir bench/peer serve_fastapi:app --host 127.0.0.1 --port "$PORT_PEER" \
    --workers "$workers" --log-level warning --no-access-log >"$OUT/peer-$1.log" 2>&1 &
  PEER_PID=$!; PIDS+=("$PEER_PID")
  wait_up "http://127.0.0.1:$PORT_PEER/healthz" "$PEER_PID" "$OUT/peer-$1.log"
}

# CPU time (clock ticks) of a process, its threads and its child processes (uvicorn's workers).
cpu_ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
rss_kib() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(ps -o rss= -p "$p" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# Busy CPU time (clock ticks) of the whole machine, all cores: what others use shows up here.
machine_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
threads() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(ls "/proc/$p/task" 2>/dev/null | wc -l)))
  done
  echo "$t"
}
TICK="$(getconf CLK_TCK)"

# When wrk stops, the requests it had in flight are still queued in the server; uvicorn works
# through them (up to connections x the time of one request) even though nobody reads the
# answers. Wait until the server is idle (under 2 clock ticks in 0.5 s) so that this work does not
# land in the next run, up to 5 minutes.
drain() { # pid
  local i a b
  for i in $(seq 1 600); do
    a=$(cpu_ticks "$1"); sleep 0.5; b=$(cpu_ticks "$1")
    [ $((b - a)) -lt 2 ] && return 0
  done
  say "server $1 still busy after 5 minutes"
}

start_floor() { # mode
  local pin=(); [ "$1" = pinned ] && pin=(taskset -c 0)
  port_free "$PORT_FLOOR"
  "${pin[@]}" "$FLOOR_BIN" --model "$MODEL" --threshold "$THRESHOLD" \
    --bind "127.0.0.1:$PORT_FLOOR" >"$OUT/floor-$1.log" 2>&1 &
  FLOOR_PID=$!; PIDS+=("$FLOOR_PID")
  wait_up "http://127.0.0.1:$PORT_FLOOR/healthz" "$FLOOR_PID" "$OUT/floor-$1.log"
}

# Every server answers the benchmark bodies with 200 and sensible content before it is timed
# (the floor has no factors: only its scores are checked).
check_answers() { # base_url name
  python3 - "$1" "$2" "$AS_OF" <<'EOF'
import json, sys, urllib.request
base, name, as_of = sys.argv[1:4]
def post(body_file):
    req = urllib.request.Request(f"{base}/v1/score?as_of={as_of}", data=open(body_file, "rb").read(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200, (name, body_file, r.status)
        return json.load(r)
def sensible(lead, where):
    assert 0.0 <= lead["score"] <= 1.0 and isinstance(lead["mql"], bool), (name, where, lead)
    if name == "floor":
        return
    f = lead["factors"]
    assert f["positive"] or f["negative"], (name, where, "no factors")
    assert all(x["contribution"] > 0 for x in f["positive"]), (name, where, f)
    assert all(x["contribution"] < 0 for x in f["negative"]), (name, where, f)
one = post("bench/wrk/single.json")
sensible(one, "single")
many = post("bench/wrk/batch_1000.json")["leads"]
assert len(many) == 1000, (name, len(many))
for i, lead in enumerate(many):
    sensible(lead, f"batch[{i}]")
assert abs(many[0]["score"] - one["score"]) < 1e-12, (name, "first of batch != single")
top = next((x.get("factor", x.get("feature")) for x in one.get("factors", {}).get("positive", [])), "-")
print(f"   {name}: 200, single score {one['score']:.4f} (top factor {top!r}), batch of {len(many)} "
      f"scored, MQL share {sum(l['mql'] for l in many) / len(many):.3f}", file=sys.stderr)
EOF
}

# Scores of the same leads from both servers: the peer's features approximate ours.
agreement() {
  python3 - "http://127.0.0.1:$PORT_OURS" "http://127.0.0.1:$PORT_PEER" "$AS_OF" "$AGREE_AS_OF" <<'EOF'
import json, sys, urllib.request
ours, peer, as_of, agree_as_of = sys.argv[1:5]
def scores(base, body_file, at):
    req = urllib.request.Request(f"{base}/v1/score?as_of={at}", data=open(body_file, "rb").read(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["leads"]
def ranks(xs):
    order = sorted(range(len(xs)), key=xs.__getitem__)
    r = [0.0] * len(xs)
    for k, i in enumerate(order):
        r[i] = float(k)
    return r
def pearson(a, b):
    n = len(a); ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va = sum((x - ma) ** 2 for x in a); vb = sum((y - mb) ** 2 for y in b)
    return cov / (va * vb) ** 0.5
print("| leads | Pearson r | Spearman rho | median abs diff | max abs diff | same MQL decision | mean score ours / theirs |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for label, body, at in [("first 1,000, no events", "bench/wrk/batch_1000.json", as_of),
                        ("first 200 with their events", "bench/wrk/agree_200_events.json", agree_as_of)]:
    a, b = scores(ours, body, at), scores(peer, body, at)
    sa, sb = [x["score"] for x in a], [x["score"] for x in b]
    d = sorted(abs(x - y) for x, y in zip(sa, sb))
    same = sum(x["mql"] == y["mql"] for x, y in zip(a, b)) / len(a)
    print(f"| {label} | {pearson(sa, sb):.3f} | {pearson(ranks(sa), ranks(sb)):.3f} | "
          f"{d[len(d) // 2]:.4f} | {d[-1]:.4f} | {same:.1%} | {sum(sa) / len(sa):.3f} / {sum(sb) / len(sb):.3f} |")
    if body.endswith("events.json"):
        i = max(range(len(a)), key=lambda i: sa[i])
        show = lambda x: ", ".join(f"{f.get('factor', f.get('feature'))} {f['contribution']:+.2f}" for f in x["factors"]["positive"])
        print(f"\nTop lead of the 200 (ours {sa[i]:.3f}, theirs {sb[i]:.3f}); positive factors, ours: "
              f"{show(a[i])}; theirs: {show(b[i])}")
EOF
}

# --- runs ------------------------------------------------------------------------------------
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
rm -f "$OUT/agreement.md"

run() { # mode server pid port scenario conns
  local mode=$1 server=$2 pid=$3 port=$4 scenario=$5 conns=$6
  local url="http://127.0.0.1:$port/v1/score?${FACTORS:+factors=$FACTORS&}as_of=$AS_OF"
  local cmd=(wrk -t1 -c"$conns" --timeout 10s -s "bench/wrk/$scenario.lua")
  [ "$mode" = pinned ] && cmd=(taskset -c 1 "${cmd[@]}")
  local raw="$OUT/raw/$mode-$scenario-c$conns-$server.txt"
  "${cmd[@]}" -d "$WARMUP" "$url" >"$raw.warmup"
  drain "$pid"
  local c0 c1 m0 m1 wall user sys
  c0=$(cpu_ticks "$pid"); m0=$(machine_busy_ticks)
  { time "${cmd[@]}" -d "$DURATION" --latency "$url" >"$raw"; } 2>"$raw.time"
  c1=$(cpu_ticks "$pid"); m1=$(machine_busy_ticks)
  read -r wall user sys <"$raw.time"
  drain "$pid"
  local summary; summary=$(sed -n 's/^WRKJSON //p' "$raw")
  [ -n "$summary" ] || { cat "$raw" >&2; say "no summary from wrk"; exit 1; }
  printf '{"mode":"%s","server":"%s","scenario":"%s","conns":%d,"server_cpu_s":%s,"machine_cpu_s":%s,"client_cpu_s":%s,"wall_s":%s,"server_rss_kib":%d,"server_threads":%d,"wrk":%s}\n' \
    "$mode" "$server" "$scenario" "$conns" "$(awk -v t=$((c1 - c0)) -v h="$TICK" 'BEGIN{print t/h}')" \
    "$(awk -v t=$((m1 - m0)) -v h="$TICK" 'BEGIN{print t/h}')" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" "$wall" "$(rss_kib "$pid")" "$(threads "$pid")" "$summary" >>"$RESULTS"
  say "$mode $scenario c=$conns $server: $(grep -E 'Requests/sec|Non-2xx|Socket errors' "$raw" | tr -s ' ' | tr '\n' ';')"
}

COMMIT="$(git rev-parse --short HEAD)"
if ! git diff --quiet HEAD -- crates Cargo.toml Cargo.lock; then
  COMMIT="$COMMIT + uncommitted changes in crates/ (diff sha256 $(git diff HEAD -- crates Cargo.toml Cargo.lock | sha256sum | cut -c1-12))"
fi
{
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT"
  echo "Machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/Mem:/{print $2}') GiB; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk -t1 --timeout 10s, $WARMUP warm-up + $DURATION a run; model $MODEL (ours) and $(basename "$PEER_MODEL_FILE") (theirs); target precision $TARGET_PRECISION; factors ${FACTORS:-3 (the default)}"
} >"$OUT/header.txt"

THRESHOLD=""
for mode in $MODES; do
  start_ours "$mode"
  if [ -z "$THRESHOLD" ]; then
    THRESHOLD=$(curl -sf "http://127.0.0.1:$PORT_OURS/v1/cutoff?target_precision=$TARGET_PRECISION" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["in_force"]["threshold"])')
    say "MQL cutoff from leadscore-serve at precision $TARGET_PRECISION: $THRESHOLD (the peer uses it too)"
  fi
  has theirs && start_peer "$mode"
  has floor && start_floor "$mode"
  say "$mode: checking answers"
  check_answers "http://127.0.0.1:$PORT_OURS" leadscore-serve
  has theirs && check_answers "http://127.0.0.1:$PORT_PEER" fastapi
  has floor && check_answers "http://127.0.0.1:$PORT_FLOOR" floor
  if has theirs && ! [ -s "$OUT/agreement.md" ]; then agreement >"$OUT/agreement.md"; fi
  for sc in $SCENARIOS; do
    run "$mode" ours "$OURS_PID" "$PORT_OURS" "${sc%%:*}" "${sc##*:}"
    has theirs && run "$mode" theirs "$PEER_PID" "$PORT_PEER" "${sc%%:*}" "${sc##*:}"
    has floor && run "$mode" floor "$FLOOR_PID" "$PORT_FLOOR" "${sc%%:*}" "${sc##*:}"
  done
  stop "$OURS_PID"
  has theirs && stop "$PEER_PID"
  has floor && stop "$FLOOR_PID"
done
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/header.txt"

# --- table -----------------------------------------------------------------------------------
python3 - "$RESULTS" >"$OUT/table.md" <<'EOF'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
SETUP = {"pinned": "pinned: server on core 0, wrk on core 1", "shared": "shared: 2 cores, nothing pinned"}
NAME = {"ours": "leadscore-serve", "theirs": "FastAPI + scikit-learn", "floor": "floor: bare axum, one dot product"}
LEADS = {"single": 1, "batch_1000": 1000}
def stats(r):
    w = r["wrk"]
    secs = w["duration_us"] / 1e6
    ok = w["requests"] - w["status"]
    done = w["requests"] > 0
    errors = {k: w[k] for k in ("connect", "read", "write", "timeout", "status") if w[k]}
    return {"rps": ok / secs, "lps": ok * LEADS[r["scenario"]] / secs,
            "p50": w["p50_us"] / 1e3 if done else None, "p99": w["p99_us"] / 1e3 if done else None, "errors": errors, "cpu": r["server_cpu_s"] / r["wall_s"],
            "wrk_cpu": r["client_cpu_s"] / r["wall_s"],
            "us_per_lead": r["server_cpu_s"] * 1e6 / (ok * LEADS[r["scenario"]]) if ok else None, "rss": r["server_rss_kib"] / 1024,
            "others": max(0.0, r["machine_cpu_s"] - r["server_cpu_s"] - r["client_cpu_s"]) / r["wall_s"]}
def num(x):
    if x == 0:
        return "0"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 10 else f"{x:.2f}"
def ms(x):
    if x is None:
        return "-"
    return f"{x:,.0f} ms" if x >= 100 else f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"
def us(x):
    if x is None:
        return "-"
    return f"{x / 1e3:,.1f} ms" if x >= 1e4 else f"{x:,.0f} µs" if x >= 100 else f"{x:.1f} µs"
def err(e):
    if not e:
        return "0"
    names = {"status": "non-2xx"}
    return f"{sum(e.values()):,} (" + ", ".join(f"{names.get(k, k)} {v:,}" for k, v in e.items()) + ")"
print("| setup | scenario | server | requests/s | leads/s | p50 | p99 | errors | server CPU (cores) | server CPU a lead | wrk CPU | others' CPU | server RSS |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
keys = []
for r in runs:
    k = (r["mode"], r["scenario"], r["conns"])
    if k not in keys:
        keys.append(k)
for mode, scenario, conns in keys:
    pair = {r["server"]: stats(r) for r in runs if (r["mode"], r["scenario"], r["conns"]) == (mode, scenario, conns)}
    label = f"{'1 lead' if scenario == 'single' else '1,000 leads'} a request, {conns} connections"
    first = True
    for side in ("ours", "theirs", "floor"):
        if side not in pair:
            continue
        s = pair[side]
        print(f"| {SETUP[mode] if first else ''} | {label if first else ''} | {NAME[side]} | {num(s['rps'])} | "
              f"{num(s['lps'])} | {ms(s['p50'])} | {ms(s['p99'])} | {err(s['errors'])} | {s['cpu']:.2f} | {us(s['us_per_lead'])} | "
              f"{s['wrk_cpu']:.2f} | {s['others']:.2f} | {s['rss']:.0f} MiB |")
        first = False
    ratio = lambda a, b: (f"{a / b:,.0f}x" if a / b >= 100 else f"{a / b:.3g}x") if a and b else "-"
    for other, label in (("theirs", "ours / theirs"), ("floor", "ours / floor")):
        if "ours" in pair and other in pair:
            o, t = pair["ours"], pair[other]
            print(f"| | | {label} | {ratio(o['rps'], t['rps'])} | {ratio(o['lps'], t['lps'])} | "
                  f"{ratio(o['p50'], t['p50'])} | {ratio(o['p99'], t['p99'])} | | | {ratio(o['us_per_lead'], t['us_per_lead'])} | | | |")
EOF

echo
cat "$OUT/header.txt"
echo
cat "$OUT/table.md"
echo
if [ -s "$OUT/agreement.md" ]; then
  echo "Score agreement (same leads, same as_of; the peer's features approximate ours):"
  echo
  cat "$OUT/agreement.md"
fi
