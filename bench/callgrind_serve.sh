#!/usr/bin/env bash
# Instruction counts of the release server under callgrind (a benchmark, not a test): unlike
# throughput, they do not depend on the machine's load, so they compare builds on a shared
# machine. The README's "instructions a lead" and "a request" figures come from here.
#
#   bash bench/callgrind_serve.sh batch [BODY] [N]  # score_body over N (5) POSTs of BODY
#                                                   # (bench/wrk/batch_1000.json): instructions a lead
#   LEAD_IDS=1 bash bench/callgrind_serve.sh batch  # the same body with "lead_id": "L000000", ...
#                                                   # added to each lead
#   bash bench/callgrind_serve.sh single            # the whole server under wrk -t1 -c4 for 10 s
#                                                   # with bench/wrk/single.json: instructions a request
#   bash bench/callgrind_serve.sh floor             # the same for the bare floor (bench/floor,
#                                                   # release serve-floor): what single's count
#                                                   # compares with (both in user space only;
#                                                   # the kernel's share of a request is alike)
#
# Every request is scored at as_of 2025-03-28T15:03:43Z with the committed demo model. The
# answers are kept in $OUT (answer.json, for comparing builds byte for byte) with callgrind's
# files (callgrind_annotate --inclusive=yes $OUT/callgrind.out*).
#
# Needs: valgrind, wrk, curl, python3; the release leadscore-serve in $CARGO_TARGET_DIR
# (default $HOME/.cache/leadscore-release; built here unless BUILD=0, which takes the binary as
# it is: how an older build is measured); the bodies under bench/wrk/, which
# bench/serve_vs_fastapi.sh writes (run it once, for example with DURATION=1s WARMUP=1s).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-batch}"
BODY="${2:-bench/wrk/batch_1000.json}"
N="${3:-5}"
PORT="${PORT:-18439}"
OUT="${OUT:-bench/out/callgrind-serve}"
AS_OF="2025-03-28T15:03:43Z"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
BIN="$CARGO_TARGET_DIR/release/leadscore-serve"

for tool in valgrind callgrind_control callgrind_annotate wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "callgrind_serve.sh: needs $tool" >&2; exit 2; }
done
if [ "${BUILD:-1}" = 1 ]; then
  cargo build -q --release -p leadscore-serve -p leadscore-bench-floor
fi
mkdir -p "$OUT"
rm -f "$OUT"/callgrind.out*

case "$MODE" in
  batch)
    [ -f "$BODY" ] || { echo "callgrind_serve.sh: no $BODY (bench/serve_vs_fastapi.sh writes it)" >&2; exit 2; }
    if [ "${LEAD_IDS:-0}" = 1 ]; then
      python3 - "$BODY" "$OUT/body.json" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
for i, lead in enumerate(body["leads"]):
    lead["lead_id"] = "L%06d" % i
json.dump(body, open(sys.argv[2], "w"))
EOF
      BODY="$OUT/body.json"
    fi
    LEADS=$(python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); print(len(b["leads"]) if "leads" in b else 1)' "$BODY")
    TOGGLE=(--toggle-collect='leadscore_serve::api::score_body')
    ;;
  single | floor)
    BODY=bench/wrk/single.json
    [ -f "$BODY" ] || { echo "callgrind_serve.sh: no $BODY (bench/serve_vs_fastapi.sh writes it)" >&2; exit 2; }
    TOGGLE=()
    ;;
  *) echo "usage: bash bench/callgrind_serve.sh batch [BODY] [N] | single | floor" >&2; exit 2 ;;
esac

if [ "$MODE" = floor ]; then
  # The floor answers `score` and `mql` only; its threshold does not change its work.
  SERVER_CMD=("$CARGO_TARGET_DIR/release/serve-floor" --model models/demo.json --threshold 0.3)
else
  SERVER_CMD=("$BIN" --model models/demo.json --target-precision 0.5)
fi
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "${TOGGLE[@]}" \
  "${SERVER_CMD[@]}" --bind "127.0.0.1:$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill -INT $SERVER 2>/dev/null || true; kill -TERM $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.5
done
URL="http://127.0.0.1:$PORT/v1/score?as_of=$AS_OF"
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }

if [ "$MODE" = batch ]; then
  for _ in $(seq 1 "$N"); do
    curl -sf -o "$OUT/answer.json" -H 'content-type: application/json' --data-binary @"$BODY" "$URL"
  done
  kill -INT $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
  T=$(total "$OUT/callgrind.out")
  echo "batch: $T instructions in score_body over $N x $LEADS leads: $((T / (N * LEADS))) a lead ($BODY)"
else
  curl -sf -o "$OUT/answer.json" -H 'content-type: application/json' --data-binary @"$BODY" "$URL"
  # Dumps before and after the run, so that start-up is left out.
  callgrind_control -d "$SERVER" >/dev/null 2>&1
  REQUESTS=$(wrk -t1 -c4 -d10s -s bench/wrk/single.lua "$URL" | awk '/requests in/ { print $1 }')
  callgrind_control -d "$SERVER" >/dev/null 2>&1
  # The floor has no SIGINT handling of its own; under valgrind only TERM stops it.
  if [ "$MODE" = floor ]; then kill -TERM $SERVER; else kill -INT $SERVER; fi
  wait $SERVER 2>/dev/null || true; trap - EXIT
  T=$(total "$OUT/callgrind.out.2")
  echo "$MODE: $T instructions in the whole server over $REQUESTS requests: $((T / REQUESTS)) a request"
fi
