#!/usr/bin/env bash
# Load with reloads (issue 7): wrk at 256 connections against leadscore-serve on loopback while,
# every second, the registry's CURRENT pointer flips between two models, the model is reloaded
# (POST /v1/admin/reload) and the cutoff is changed (PUT /v1/cutoff, target precision alternating).
# Passes only with zero non-2xx answers, zero socket errors and the server's RSS at the end at
# most 1.5x its RSS 10 s into the churn (the first reloads put a second model, its cutoffs and
# its page beside the first: that step is the working set, not a leak; the check is that it
# stays flat after it).
#
#   bash bench/load_reload.sh                       # 60 s under load, after a 5 s warm-up
#   DURATION=20 BUILD=0 bash bench/load_reload.sh   # the release binary as it is (no cargo)
#
# The two models: models/demo.json, and a second one trained on data/demo with another --seed by
# the release leadscore-train when it is built (about 2 s); otherwise a copy of demo.json (the
# swap is still exercised, with one model_id). Prints a markdown table; raw output in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-60}"            # seconds
WARMUP="${WARMUP:-5}"                 # seconds
CONNS="${CONNS:-256}"
PORT="${PORT:-19431}"
TARGETS="${TARGETS:-0.5 0.6}"         # the cutoff alternates between these target precisions
OUT="${OUT:-bench/out/load-reload}"
AS_OF="2025-03-28T15:03:43Z"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
BIN="$CARGO_TARGET_DIR/release/leadscore-serve"
TRAIN="$CARGO_TARGET_DIR/release/leadscore-train"
BASE="http://127.0.0.1:$PORT"

say() { printf '== %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
  say "installing wrk"
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [ "${BUILD:-1}" = 1 ]; then
  say "building leadscore-serve (release; may wait for another build's lock)"
  cargo build --release -p leadscore-serve
fi
[ -x "$BIN" ] || { say "no $BIN (run with BUILD=1)"; exit 1; }

# The request body: the first demo lead with its creation time (the demo model is age-aware),
# written here so that a clean clone can run this script (serve_vs_fastapi.sh writes its own
# bodies for the peer comparison).
python3 - bench/wrk/reload_single.json <<'PY'
import csv, json, sys
row = next(csv.DictReader(open("data/demo/leads.csv", newline="")))
json.dump({k: v for k, v in row.items() if v != ""}, open(sys.argv[1], "w"), separators=(",", ":"))
PY
export BODY=reload_single.json

mkdir -p "$OUT"
TMP="$(mktemp -d /tmp/leadscore-load-reload.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the registry: two models ----------------------------------------------------------------
REG="$TMP/registry"
mkdir -p "$REG"
id_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["model_id"])' "$1"; }
ID_A="$(id_of models/demo.json)"
cp models/demo.json "$REG/$ID_A.json"
SECOND="copy of models/demo.json (no release leadscore-train)"
if [ -x "$TRAIN" ] && "$TRAIN" train --data data/demo/leads.csv --events data/demo/events.csv \
     --outcomes data/demo/outcomes.csv --spec data/demo/spec.toml --seed 11 \
     --out "$TMP/second.json" >"$TMP/train.log" 2>&1; then
  ID_B="$(id_of "$TMP/second.json")"
  mv "$TMP/second.json" "$REG/$ID_B.json"
  SECOND="trained on data/demo with --seed 11"
else
  ID_B="$ID_A-copy"
  cp models/demo.json "$REG/$ID_B.json"
fi
FILES=("$ID_A.json" "$ID_B.json")
printf '%s\n' "${FILES[0]}" >"$REG/CURRENT"
say "registry $REG: ${FILES[*]} (second model: $SECOND)"

# --- the server ------------------------------------------------------------------------------
if curl -s -o /dev/null --max-time 1 "$BASE/"; then say "port $PORT is in use; set PORT"; exit 1; fi
set -- ${TARGETS}
"$BIN" --registry "$REG" --registry-poll-ms 500 --target-precision "$1" --bind "127.0.0.1:$PORT" \
  --shutdown-grace-ms 5000 >"$OUT/server.stdout" 2>"$OUT/server.stderr" &
SERVER=$!; PIDS+=("$SERVER")
for i in $(seq 1 300); do
  curl -sf -o /dev/null "$BASE/healthz" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.stderr" >&2; say "server exited"; exit 1; }
  sleep 0.1
done
for t in ${TARGETS}; do # reachable by the first model (a refusal for the second shows in the table)
  curl -sf -o /dev/null "$BASE/v1/cutoff?target_precision=$t" || { say "target $t not attainable"; exit 1; }
done

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
URL="$BASE/v1/score?as_of=$AS_OF"
WRK=(wrk -t1 -c"$CONNS" --timeout 5s -s bench/wrk/reload.lua)

say "warm-up: ${WARMUP}s at $CONNS connections"
"${WRK[@]}" -d "${WARMUP}s" "$URL" >"$OUT/warmup.txt"
sleep 1
RSS_START="$(rss)"
say "RSS after warm-up: $RSS_START KiB; load ${DURATION}s with a reload and a cutoff change every second"

# --- the churn: every second, flip CURRENT, reload, change the cutoff; RSS every 10 s --------
churn() {
  local i=0 code t f start tick
  start=$(date +%s)
  : >"$OUT/churn.log"
  echo "0 $(rss)" >"$OUT/rss.log"
  while [ -e "$TMP/churn.on" ]; do
    sleep 1 & tick=$!
    i=$((i + 1))
    f="${FILES[$((i % 2))]}"
    printf '%s\n' "$f" >"$REG/CURRENT.tmp" && mv "$REG/CURRENT.tmp" "$REG/CURRENT"
    code=$(curl -s -o "$TMP/reload.json" -w '%{http_code} %{time_total}' -X POST "$BASE/v1/admin/reload" || echo "000 0")
    echo "reload $f $code $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("model_id", "-"))' "$TMP/reload.json" 2>/dev/null || echo -)" >>"$OUT/churn.log"
    t=$(echo ${TARGETS} | tr ' ' '\n' | sed -n "$(( (i % $(echo ${TARGETS} | wc -w)) + 1 ))p")
    code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -X PUT "$BASE/v1/cutoff" \
      -H 'content-type: application/json' -d "{\"target_precision\": $t}" || echo "000 0")
    echo "cutoff $t $code" >>"$OUT/churn.log"
    if [ $((i % 10)) = 0 ]; then echo "$(( $(date +%s) - start )) $(rss)" >>"$OUT/rss.log"; fi
    wait "$tick"
  done
}
touch "$TMP/churn.on"
churn &
CHURN=$!; PIDS+=("$CHURN")
T0=$(date +%s.%N)
"${WRK[@]}" -d "${DURATION}s" --latency "$URL" >"$OUT/wrk.txt"
RSS_END="$(rss)"
rm -f "$TMP/churn.on"
wait "$CHURN" || true
echo "end $RSS_END" >>"$OUT/rss.log"
kill -0 "$SERVER" 2>/dev/null || { say "the server died during the run"; cat "$OUT/server.stderr" >&2; exit 1; }
CPU_TICKS=$(sed 's/^.*) //' "/proc/$SERVER/stat" | awk '{print $12 + $13}')
THREADS=$(ls "/proc/$SERVER/task" | wc -l)

# --- the table -------------------------------------------------------------------------------
python3 - "$OUT" "$RSS_START" "$RSS_END" "$DURATION" "$CONNS" "$ID_A" "$ID_B" >"$OUT/table.md" <<'EOF'
import json, re, sys
out, rss_start, rss_end, duration, conns, id_a, id_b = sys.argv[1:8]
rss_start, rss_end = int(rss_start), int(rss_end)
w = json.loads(re.search(r"^RELOADJSON (.*)$", open(f"{out}/wrk.txt").read(), re.M).group(1))
churn = [l.split() for l in open(f"{out}/churn.log")]
reloads = [c for c in churn if c[0] == "reload"]
cutoffs = [c for c in churn if c[0] == "cutoff"]
ok_reloads = [c for c in reloads if c[2] == "200"]
ok_cutoffs = [c for c in cutoffs if c[2] == "200"]
served = sorted({c[4] for c in ok_reloads})
rss = [int(l.split()[1]) for l in open(f"{out}/rss.log")] + [rss_start]
socket = w["connect"] + w["read"] + w["write"] + w["timeout"]
secs = w["duration_us"] / 1e6
ms = lambda us: f"{us / 1e3:.2f} ms" if us < 1e4 else f"{us / 1e3:.0f} ms"
rl = sorted(float(c[3]) for c in ok_reloads) or [0.0]
print("| figure | value |")
print("| --- | ---: |")
print(f"| connections / duration | {conns} / {secs:.1f} s |")
print(f"| requests (1 lead each) | {w['requests']:,} |")
print(f"| requests/s | {w['requests'] / secs:,.0f} |")
print(f"| latency p50 / p99 / max | {ms(w['p50_us'])} / {ms(w['p99_us'])} / {ms(w['max_us'])} |")
print(f"| non-2xx | {w['non2xx']}{' ' + json.dumps(w['statuses']) if w['statuses'] else ''} |")
print(f"| socket errors (connect / read / write / timeout) | {socket} ({w['connect']} / {w['read']} / {w['write']} / {w['timeout']}) |")
print(f"| reloads done (200) / tried | {len(ok_reloads)} / {len(reloads)} |")
print(f"| reload time p50 / max (curl) | {rl[len(rl) // 2] * 1e3:.0f} ms / {rl[-1] * 1e3:.0f} ms |")
print(f"| models served after reloads | {', '.join(served)} |")
print(f"| cutoff changes done (200) / tried | {len(ok_cutoffs)} / {len(cutoffs)} |")
print(f"| RSS after warm-up / end / max | {rss_start / 1024:.1f} / {rss_end / 1024:.1f} / {max(rss) / 1024:.1f} MiB |")
print(f"| RSS samples (every 10 s, KiB) | {' '.join(l.split()[1] for l in open(f'{out}/rss.log'))} |")
verdict = []
if w["non2xx"]: verdict.append(f"{w['non2xx']} non-2xx")
if socket: verdict.append(f"{socket} socket errors")
samples = [l.split() for l in open(f"{out}/rss.log") if l.strip()]
in_churn = [int(v) for t, v in samples if t not in ("0", "end")]
rss_churn = in_churn[0] if in_churn else rss_start
print(f"| RSS 10 s into the churn / end | {rss_churn / 1024:.1f} / {rss_end / 1024:.1f} MiB ({rss_end / rss_churn:.2f}x) |")
if rss_end > 1.5 * rss_churn: verdict.append(f"RSS grew {rss_end / rss_churn:.2f}x after the first 10 s of reloads")
if len(ok_reloads) != len(reloads): verdict.append(f"{len(reloads) - len(ok_reloads)} reloads refused")
if len(ok_cutoffs) != len(cutoffs): verdict.append(f"{len(cutoffs) - len(ok_cutoffs)} cutoff changes refused")
print(f"\nverdict: {'PASS' if not verdict else 'FAIL: ' + '; '.join(verdict)}")
EOF
{
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' + uncommitted changes in crates/')"
  echo "Machine: $(nproc) cores, load average at end $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$CONNS --timeout 5s, ${WARMUP}s warm-up, ${DURATION}s run; server CPU over the whole life $(awk -v t="$CPU_TICKS" -v h="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", t/h}') s, $THREADS threads"
  echo "Models: $ID_A (models/demo.json) and $ID_B ($SECOND); targets: ${TARGETS}"
  echo "Server log: $(grep -c 'reloaded model' "$OUT/server.stderr") 'reloaded model' lines, $(grep -c 'cutoff changed' "$OUT/server.stderr") 'cutoff changed', $(grep -c 'failed' "$OUT/server.stderr" || true) 'failed'"
} >"$OUT/header.txt"
echo; cat "$OUT/header.txt"; echo; cat "$OUT/table.md"
grep -q '^verdict: PASS' "$OUT/table.md"
