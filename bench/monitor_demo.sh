#!/usr/bin/env bash
# The README's decision-log and monitoring example, end to end: serve models/demo.json with a
# decision log, score the first 2,000 leads of data/demo/leads.csv one request each at its
# created_at (without its events: a CRM asking at creation time), stop the server, print the
# log's first line, then run `leadscore-train monitor` on the log against
# data/demo/outcomes.csv.
#
#   bash bench/monitor_demo.sh          # ~1 min once built (debug binaries)
#   LEADS=500 bash bench/monitor_demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LEADS="${LEADS:-2000}"
PORT="${PORT:-19561}"
OUT="${OUT:-bench/out/monitor-demo}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-target}"
BIN="$CARGO_TARGET_DIR/debug"

cargo build -q -p leadscore-serve -p leadscore-train
rm -rf "$OUT"
mkdir -p "$OUT"

"$BIN/leadscore-serve" --model models/demo.json --target-precision 0.5 \
  --bind "127.0.0.1:$PORT" --decision-log "$OUT/log" >"$OUT/serve.out" 2>"$OUT/serve.err" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q listening "$OUT/serve.out" 2>/dev/null && break
  sleep 0.1
done
grep -q listening "$OUT/serve.out" || { cat "$OUT/serve.err" >&2; exit 1; }

python3 - "$PORT" "$LEADS" <<'EOF'
import csv, json, sys, urllib.parse, urllib.request
port, n = int(sys.argv[1]), int(sys.argv[2])
with open("data/demo/leads.csv", newline="") as f:
    rows = [r for _, r in zip(range(n), csv.DictReader(f))]
for r in rows:
    as_of = r["created_at"].replace(" ", "T") + "Z"
    lead = {k: (v if v != "" else None) for k, v in r.items()}
    url = f"http://127.0.0.1:{port}/v1/score?factors=0&as_of={urllib.parse.quote(as_of)}"
    req = urllib.request.Request(url, json.dumps(lead).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req) as answer:
        assert answer.status == 200, answer.read()
print(f"scored {len(rows)} leads", file=sys.stderr)
EOF

kill -TERM "$PID"
wait "$PID" || true
trap - EXIT

echo "== the decision log's first line"
head -1 "$OUT/log/decisions.jsonl"
echo "== leadscore-train monitor"
"$BIN/leadscore-train" monitor --model models/demo.json --log "$OUT/log" \
  --outcomes data/demo/outcomes.csv --now 2026-01-01T00:00:00Z
