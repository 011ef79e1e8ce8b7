#!/usr/bin/env bash
# Faults (issue 7): leadscore-serve serving from a registry, one fault at a time, each under light
# load (wrk, 16 connections) so that "keeps serving" means zero errors during the fault:
#   a  the CURRENT artifact truncated in place, then a reload
#   b  the artifact overwritten slowly (partial write, pause, rest) while reloads are fired
#   c  the artifact made unreadable: chmod 000 (with the server run as `nobody` when we are root,
#      since root reads through chmod 000), then replaced by a directory, then a dangling symlink (refused as a link)
#   d  CURRENT moved to a copy with another format_version
#   e  the decision log's folder made read-only (a tmpfs remounted ro under load), and a log
#      folder under a regular file
#   f  SIGTERM under load (64 connections) with a 100,000-lead request in flight
# Prints one PASS/FAIL line a case with the evidence (the server's stderr line); exits 1 on any FAIL.
#
#   bash bench/faults.sh            # ~1.5 min
#   BUILD=0 CASES="a d" bash bench/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CASES="${CASES:-a b c d e f}"
PORT0="${PORT0:-19441}"
OUT="${OUT:-bench/out/faults}"
AS_OF="2025-03-28T15:03:43Z"
GRACE_MS=5000
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-release}"
BIN="$CARGO_TARGET_DIR/release/leadscore-serve"
TRAIN="$CARGO_TARGET_DIR/release/leadscore-train"

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

rm -rf "$OUT"; mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
TMP="$(mktemp -d /tmp/leadscore-faults.XXXXXX)"
chmod 755 "$TMP"   # case c runs the server as nobody
PIDS=()
MOUNTS=()
cleanup() {
  local p m
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
  chmod -R u+rwX "$TMP" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- two models ------------------------------------------------------------------------------
id_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["model_id"])' "$1"; }
cp models/demo.json "$TMP/A.json"
ID_A="$(id_of "$TMP/A.json")"
if [ -x "$TRAIN" ] && "$TRAIN" train --data data/demo/leads.csv --events data/demo/events.csv \
     --outcomes data/demo/outcomes.csv --spec data/demo/spec.toml --seed 11 \
     --out "$TMP/B.json" >"$TMP/train.log" 2>&1; then
  ID_B="$(id_of "$TMP/B.json")"
else
  say "no release leadscore-train: case b overwrites the artifact with itself"
  cp models/demo.json "$TMP/B.json"; ID_B="$ID_A"
fi
cp "$BIN" "$TMP/leadscore-serve"; chmod 755 "$TMP/leadscore-serve"
python3 - bench/wrk/reload_single.json "$TMP/batch_100000.json" <<'EOF'
import json, sys
lead = json.load(open(sys.argv[1]))
json.dump({"leads": [lead] * 100000}, open(sys.argv[2], "w"), separators=(",", ":"))
EOF

# --- helpers ---------------------------------------------------------------------------------
FAILS=0
RESULTS=()
result() { # PASS|FAIL|SKIP case text
  local line; line=$(printf '%-4s (%s) %s' "$1" "$2" "$3")
  RESULTS+=("$line"); echo "$line" >>"$OUT/results.txt"; say "$line"
  [ "$1" = FAIL ] && FAILS=$((FAILS + 1))
  return 0
}

# new_case NAME PORT: a fresh folder with a registry (A and B, CURRENT -> A)
new_case() {
  CASE="$1"; PORT="$2"; BASE="http://127.0.0.1:$PORT"
  DIR="$TMP/$CASE"; REG="$DIR/registry"; LOG="$OUT/$CASE.server.stderr"
  mkdir -p "$REG"; chmod 755 "$DIR" "$REG"
  cp "$TMP/A.json" "$REG/$ID_A.json"; cp "$TMP/B.json" "$REG/$ID_B.json"
  chmod 644 "$REG"/*.json
  printf '%s\n' "$ID_A.json" >"$REG/CURRENT"; chmod 644 "$REG/CURRENT"
  if curl -s -o /dev/null --max-time 1 "$BASE/"; then say "port $PORT in use; set PORT0"; exit 1; fi
}

# start_server [runner words --] [extra flags...]
start_server() {
  local runner=()
  if [ "${1:-}" = "--as-nobody" ]; then runner=(setpriv --reuid=nobody --regid=nogroup --clear-groups); shift; fi
  local bin="$BIN"; [ ${#runner[@]} -gt 0 ] && bin="$TMP/leadscore-serve"
  "${runner[@]}" "$bin" --registry "$REG" --registry-poll-ms 200 --target-precision 0.5 \
    --bind "127.0.0.1:$PORT" --shutdown-grace-ms "$GRACE_MS" "$@" >"$OUT/$CASE.server.stdout" 2>"$LOG" &
  SERVER=$!; PIDS+=("$SERVER")
  local i
  for i in $(seq 1 300); do
    curl -sf -o /dev/null "$BASE/healthz" && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$LOG" >&2; say "server exited at start"; return 1; }
    sleep 0.1
  done
  say "server not up"; return 1
}

stop_server() { # -> SERVER_RC
  kill -TERM "$SERVER" 2>/dev/null || true
  SERVER_RC=0; wait "$SERVER" || SERVER_RC=$?
}

load_start() { # connections seconds
  wrk -t1 -c"$1" -d"$2s" --timeout 5s -s bench/wrk/reload.lua "$BASE/v1/score?as_of=$AS_OF" \
    >"$OUT/$CASE.wrk.txt" 2>&1 &
  WRK=$!; PIDS+=("$WRK")
  sleep 1
}

# load_end: waits for wrk; sets W_REQ W_NON2XX W_SOCK W_CONNECT W_OTHER and W_TEXT
load_end() {
  wait "$WRK" || true
  read -r W_REQ W_NON2XX W_CONNECT W_OTHER W_TEXT < <(python3 - "$OUT/$CASE.wrk.txt" <<'EOF'
import json, re, sys
m = re.search(r"^RELOADJSON (.*)$", open(sys.argv[1]).read(), re.M)
if not m:
    print(0, 1, 0, 1, "no-wrk-summary"); sys.exit()
w = json.loads(m.group(1))
other = w["read"] + w["write"] + w["timeout"]
text = (f"wrk: {w['requests']} requests, non-2xx {w['non2xx']}{json.dumps(w['statuses']) if w['statuses'] else ''}, "
        f"socket errors connect {w['connect']} read {w['read']} write {w['write']} timeout {w['timeout']}")
print(w["requests"], w["non2xx"], w["connect"], other, text.replace(" ", "\u00a0"))
EOF
)
  W_TEXT="${W_TEXT//$'\u00a0'/ }"
  W_SOCK=$((W_CONNECT + W_OTHER))
}

reload() { # -> RELOAD_CODE, body in $DIR/reload.json
  RELOAD_CODE=$(curl -s -o "$DIR/reload.json" -w '%{http_code}' -X POST "$BASE/v1/admin/reload" || echo 000)
}

json_get() { # file python-expression-on-d
  python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "?"
}

model_now() { curl -s "$BASE/v1/model" >"$DIR/model.json"; json_get "$DIR/model.json" 'd["model_id"]'; }

score_model() { # the model_id a /v1/score answer names, or the status on an error
  local code
  code=$(curl -s -o "$DIR/score.json" -w '%{http_code}' "$BASE/v1/score?as_of=$AS_OF" \
    -H 'content-type: application/json' --data-binary @bench/wrk/reload_single.json || echo 000)
  if [ "$code" = 200 ]; then json_get "$DIR/score.json" 'd["model_id"]'; else echo "status-$code"; fi
}

# the first stderr line matching a pattern (the evidence), or empty
evidence() { grep -m1 -E "$1" "$LOG" || true; }

# a single "failed reload keeps serving" check: after the fault, POST reload must be 422, A still
# served, /v1/model's last_reload_error naming the file, and stderr a line naming file and reason.
check_refused() { # label file_pattern reason_pattern -> appends problems to PROBLEMS, evidence to EVID
  local label=$1 file=$2 reason=$3 served line
  reload
  [ "$RELOAD_CODE" = 422 ] && grep -q reload_failed "$DIR/reload.json" ||
    PROBLEMS+="$label: reload answered $RELOAD_CODE $(head -c 300 "$DIR/reload.json"); "
  served=$(model_now)
  [ "$served" = "$ID_A" ] || PROBLEMS+="$label: /v1/model serves $served, not $ID_A; "
  local lre; lre=$(json_get "$DIR/model.json" 'd["last_reload_error"]["file"] + " | " + d["last_reload_error"]["reason"]')
  echo "$lre" | grep -qE "$file" && echo "$lre" | grep -qiE "$reason" ||
    PROBLEMS+="$label: last_reload_error is '$lre'; "
  [ "$(score_model)" = "$ID_A" ] || PROBLEMS+="$label: /v1/score not answered by $ID_A; "
  line=$(grep -E "reload of .*$file.* failed, still serving model $ID_A" "$LOG" | grep -iE "$reason" | head -1 || true)
  [ -n "$line" ] || PROBLEMS+="$label: no stderr line naming $file and /$reason/; "
  EVID+="[$label] ${line:-none}; "
}

finish_case() { # label: wrk must be clean, then PASS/FAIL
  load_end
  [ "$W_NON2XX" = 0 ] && [ "$W_SOCK" = 0 ] || PROBLEMS+="$W_TEXT; "
  kill -0 "$SERVER" 2>/dev/null || PROBLEMS+="the server died; "
  stop_server
  [ "$SERVER_RC" = 0 ] || PROBLEMS+="exit code $SERVER_RC on SIGTERM; "
  if [ -z "$PROBLEMS" ]; then result PASS "$1" "$W_TEXT. Evidence: $EVID"
  else result FAIL "$1" "$PROBLEMS Evidence: $EVID"; fi
}

# --- a: truncated in place -------------------------------------------------------------------
case_a() {
  new_case a $((PORT0 + 0)); PROBLEMS=""; EVID=""
  start_server || { result FAIL "a truncated" "server did not start"; return; }
  load_start 16 6
  truncate -s 40000 "$REG/$ID_A.json"   # 111 KB -> 40 KB, in place (same inode)
  check_refused truncated "$ID_A.json" "not valid JSON|EOF|parse|invalid|trailing|expected"
  finish_case "a truncated in place"
}

# --- b: overwritten mid-reload ---------------------------------------------------------------
case_b() {
  new_case b $((PORT0 + 1)); PROBLEMS=""; EVID=""
  start_server || { result FAIL "b overwritten" "server did not start"; return; }
  load_start 16 9
  # Reloads every 100 ms and a probe /v1/score while B's bytes go into A's file in three slow
  # parts (open with truncation, 1/3, fsync, 1.5 s, 1/3, fsync, 1.5 s, the rest).
  : >"$DIR/probe.log"
  touch "$DIR/probing"
  ( mid() { grep -o '"model_id":"[0-9a-f]*"' "$1" | head -1 | cut -d'"' -f4; }
    while [ -e "$DIR/probing" ]; do
      code=$(curl -s -o "$DIR/probe-reload.json" -w '%{http_code}' -X POST "$BASE/v1/admin/reload" || echo 000)
      echo "reload $code $(mid "$DIR/probe-reload.json")" >>"$DIR/probe.log"
      code=$(curl -s -o "$DIR/probe-score.json" -w '%{http_code}' "$BASE/v1/score?as_of=$AS_OF" \
        -H 'content-type: application/json' --data-binary @bench/wrk/reload_single.json || echo 000)
      if [ "$code" = 200 ]; then echo "score $(mid "$DIR/probe-score.json")"; else echo "score status-$code"; fi >>"$DIR/probe.log"
      sleep 0.05
    done ) &
  local prober=$!; PIDS+=("$prober")
  python3 - "$TMP/B.json" "$REG/$ID_A.json" <<'EOF'
import os, sys, time
data = open(sys.argv[1], "rb").read()
n = len(data)
with open(sys.argv[2], "wb") as f:
    for part in (data[: n // 3], data[n // 3 : 2 * n // 3], data[2 * n // 3 :]):
        f.write(part); f.flush(); os.fsync(f.fileno())
        if part is not data[2 * n // 3 :]:
            time.sleep(1.5)
EOF
  sleep 1
  rm -f "$DIR/probing"; wait "$prober" || true
  reload
  local final; final=$(model_now)
  local refused ok bad_scores served_models
  refused=$(grep -c '^reload 422' "$DIR/probe.log" || true)
  ok=$(grep -c '^reload 200' "$DIR/probe.log" || true)
  bad_scores=$(grep '^score' "$DIR/probe.log" | grep -vcE "score ($ID_A|$ID_B)$" || true)
  served_models=$(grep '^score' "$DIR/probe.log" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
  grep '^reload' "$DIR/probe.log" | grep -vqE '^reload (200|422) ' &&
    PROBLEMS+="reload answers other than 200/422: $(grep '^reload' "$DIR/probe.log" | grep -vE '^reload (200|422) ' | sort | uniq -c | tr '\n' ','); "
  grep '^reload 200' "$DIR/probe.log" | grep -vqE "^reload 200 ($ID_A|$ID_B)$" && PROBLEMS+="a reload installed an unknown model; "
  [ "$bad_scores" = 0 ] || PROBLEMS+="$bad_scores probe scores not from $ID_A/$ID_B ($served_models); "
  [ "$final" = "$ID_B" ] || PROBLEMS+="after the write completed, serving $final, not $ID_B; "
  [ "$refused" -gt 0 ] || PROBLEMS+="no reload saw the partial file (timing?); "
  EVID="$((refused + ok)) reloads during the write: $refused refused (422), $ok accepted; probe scores by model: $served_models final model $final; "
  EVID+="[stderr] $(evidence "reload of .*$ID_A.json failed" | cut -c1-240); [stderr] $(evidence "reloaded model $ID_B")"
  finish_case "b overwritten mid-reload"
}

# --- c: unreadable ---------------------------------------------------------------------------
case_c() {
  new_case c $((PORT0 + 2)); PROBLEMS=""; EVID=""
  local as=() how="chmod 000 (the server runs as this user)"
  if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null; then
      as=(--as-nobody); how="chmod 000 with the server run as nobody (we are root, and root reads through chmod 000)"
    else
      how="root without setpriv: chmod 000 skipped (root reads through it)"
    fi
  fi
  start_server "${as[@]}" || { result FAIL "c unreadable" "server did not start"; return; }
  load_start 16 8
  if [ "$(id -u)" != 0 ] || [ ${#as[@]} -gt 0 ]; then
    chmod 000 "$REG/$ID_A.json"
    check_refused "chmod 000" "$ID_A.json" "permission denied"
  fi
  rm -f "$REG/$ID_A.json"; mkdir "$REG/$ID_A.json"
  check_refused "a directory" "$ID_A.json" "directory|not a (regular|plain) file"
  rmdir "$REG/$ID_A.json"; ln -s "$DIR/does-not-exist.json" "$REG/$ID_A.json"
  # Registry files are never read through a link (README, "Serving from a registry").
  check_refused "dangling symlink" "$ID_A.json" "symbolic link"
  EVID="$how; $EVID"
  finish_case "c unreadable"
}

# --- d: another format version ---------------------------------------------------------------
case_d() {
  new_case d $((PORT0 + 3)); PROBLEMS=""; EVID=""
  start_server || { result FAIL "d format version" "server did not start"; return; }
  load_start 16 6
  python3 - "$TMP/B.json" "$REG/future.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["format_version"] = 99  # a version this build does not read; model_id (the content hash) is left as it was: now stale too
json.dump(d, open(sys.argv[2], "w"))
EOF
  printf 'future.json\n' >"$REG/CURRENT.tmp"; mv "$REG/CURRENT.tmp" "$REG/CURRENT"
  sleep 0.6   # the watcher (200 ms) sees the pointer move first
  check_refused "format_version 99" "future.json" "format_version 99 is not supported"
  EVID+="(future.json keeps model_id $ID_B, which no longer matches its content, sha256 $(sha256sum "$REG/future.json" | cut -c1-16); the format version is checked first); "
  EVID+="[watcher] $(evidence "registry: reload of .*future.json failed" | cut -c1-200)"
  finish_case "d another format version"
}

# --- e: decision log folder read-only --------------------------------------------------------
metric() { # name{labels} -> value or 0
  curl -s "$BASE/metrics" | awk -v k="$1" '$1 == k {print $2; f = 1} END {if (!f) print 0}'
}
case_e() {
  if ! "$BIN" --help | grep -q -- '--decision-log'; then
    result SKIP "e log read-only" "--decision-log not available in this build"; return
  fi
  # e1: the log folder on a tmpfs mounted read-only (a tmpfs cannot be remounted ro while the
  # server holds decisions.jsonl open for writing: EBUSY), then remounted read-write under load.
  new_case e1 $((PORT0 + 4)); PROBLEMS=""; EVID=""
  local mnt="$DIR/logmnt"; mkdir -p "$mnt"
  if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64m tmpfs "$mnt" 2>/dev/null; then
    MOUNTS+=("$mnt")
    mkdir -p "$mnt/log"
    mount -o remount,ro "$mnt" || PROBLEMS+="could not remount ro; "
    start_server --decision-log "$mnt/log" || { result FAIL "e1 log read-only" "server did not start: $(tail -1 "$LOG")"; return; }
    load_start 16 8
    sleep 2
    local ro lost w0; ro=$(metric 'leadscore_decision_log_errors_total{kind="read_only"}')
    lost=$(metric leadscore_decision_log_lost_total); w0=$(metric leadscore_decision_log_written_total)
    mount -o remount,rw "$mnt" || PROBLEMS+="could not remount rw; "
    sleep 2
    local w1; w1=$(metric leadscore_decision_log_written_total)
    [ "${ro%.*}" -gt 0 ] 2>/dev/null || PROBLEMS+="errors_total{kind=read_only} is $ro ($(curl -s "$BASE/metrics" | grep decision_log_errors | tr '\n' ' ')); "
    [ "${lost%.*}" -gt 0 ] 2>/dev/null || PROBLEMS+="lost_total is $lost; "
    awk -v a="$w1" -v b="$w0" 'BEGIN {exit !(a > b)}' || PROBLEMS+="written_total did not grow after remount rw ($w0 -> $w1); "
    EVID="/metrics while read-only: errors_total{kind=read_only} $ro, lost_total $lost, written_total $w0; after remount rw: written_total $w1 (retried, recovered); [stderr] $(evidence 'decision log' | cut -c1-240)"
    finish_case "e1 log folder read-only (tmpfs ro), then rw again under load"
    umount "$mnt" 2>/dev/null || true
  else
    result SKIP "e1 log read-only" "cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)"
  fi
  # e2: the log folder under a regular file (cannot be created).
  new_case e2 $((PORT0 + 5)); PROBLEMS=""; EVID=""
  : >"$DIR/a-file"
  if ! start_server --decision-log "$DIR/a-file/log"; then
    result FAIL "e2 log folder under a file" "server did not start: $(tail -1 "$LOG")"; return
  fi
  load_start 16 5
  local nd; nd=$(metric 'leadscore_decision_log_errors_total{kind="not_a_directory"}')
  local lost2; lost2=$(metric leadscore_decision_log_lost_total)
  [ "${nd%.*}" -gt 0 ] 2>/dev/null || PROBLEMS+="errors_total{kind=not_a_directory} is $nd ($(curl -s "$BASE/metrics" | grep decision_log_errors | tr '\n' ' ')); "
  EVID="/metrics: errors_total{kind=not_a_directory} $nd, lost_total $lost2; [stderr] $(evidence 'decision log' | cut -c1-240)"
  finish_case "e2 log folder under a regular file"
}

# --- f: SIGTERM under load -------------------------------------------------------------------
case_f() {
  new_case f $((PORT0 + 6)); PROBLEMS=""; EVID=""
  start_server --max-batch 100000 --max-body-bytes 67108864 || { result FAIL "f SIGTERM" "server did not start"; return; }
  load_start 64 60
  sleep 1
  # A 100,000-lead request (17 MB) in flight across the signal: sent, then SIGTERM 0.2 s later.
  local t_big t0 t1 rc
  t_big=$(date +%s.%N)
  curl -s -o "$DIR/big.json" -w '%{http_code} %{time_total}' "$BASE/v1/score?as_of=$AS_OF" \
    -H 'content-type: application/json' --data-binary @"$TMP/batch_100000.json" >"$DIR/big.code" &
  local big=$!
  # Wait until curl is connected (under load it can take longer than 0.2 s just to start, and
  # a signal before it connects tests nothing: the drain has closed the listener), then 0.2 s.
  local k
  for k in $(seq 1 100); do
    ss -tnpH state established "( dport = :$PORT )" 2>/dev/null | grep -q "pid=$big," && break
    sleep 0.05
  done
  sleep 0.2
  t0=$(date +%s.%N)
  kill -TERM "$SERVER"
  rc=0; wait "$SERVER" || rc=$?
  t1=$(date +%s.%N)
  wait "$big" || true
  sleep 1
  kill -INT "$WRK" 2>/dev/null || true
  load_end
  local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
  local bigcode bign big_end; bigcode=$(cat "$DIR/big.code"); bign=$(json_get "$DIR/big.json" 'len(d["leads"])')
  big_end=$(awk -v s="$t_big" -v d="${bigcode##* }" -v t="$t0" 'BEGIN {printf "%.2f", s + d - t}')
  [ "$rc" = 0 ] || PROBLEMS+="exit code $rc; "
  awk -v s="$secs" -v g="$GRACE_MS" 'BEGIN {exit !(s * 1000 < g)}' || PROBLEMS+="took ${secs}s, grace ${GRACE_MS} ms; "
  [ "${bigcode%% *}" = 200 ] && [ "$bign" = 100000 ] || PROBLEMS+="the 100,000-lead request in flight got $bigcode ($bign leads); "
  [ "$W_NON2XX" = 0 ] || PROBLEMS+="non-2xx during shutdown; "
  # wrk's reconnects to a closed port fail on the first write (non-blocking connect), so refusals
  # after the exit show up as write errors; read errors are requests wrk had sent on a keep-alive
  # connection that the server closed without answering; timeouts are unanswered requests.
  local reads timeouts; reads=$(sed -n 's/^RELOADJSON .*"read":\([0-9]*\).*/\1/p' "$OUT/$CASE.wrk.txt")
  timeouts=$(sed -n 's/^RELOADJSON .*"timeout":\([0-9]*\).*/\1/p' "$OUT/$CASE.wrk.txt")
  [ "${reads:-1}" = 0 ] && [ "${timeouts:-1}" = 0 ] ||
    PROBLEMS+="$reads read errors + $timeouts timeouts: requests sent on open keep-alive connections were dropped at shutdown (64 connections); "
  local line; line=$(evidence 'shutting down')
  [ -n "$line" ] || PROBLEMS+="no 'shutting down' line; "
  EVID="exit $rc ${secs}s after SIGTERM (grace ${GRACE_MS} ms); 100,000-lead request sent 0.2 s before the signal: status/seconds $bigcode, $bign leads back, finished ${big_end}s after the signal$(awk -v e="$big_end" 'BEGIN {if (e <= 0) print " (before it: in-flight check inconclusive)"}'); refusals after the exit (wrk write+connect errors over 1 s of retrying): $((W_SOCK - ${reads:-0} - ${timeouts:-0})); [stderr] $line | last line: $(tail -1 "$LOG")"
  if [ -z "$PROBLEMS" ]; then result PASS "f SIGTERM under load" "$W_TEXT. Evidence: $EVID"
  else result FAIL "f SIGTERM under load" "$PROBLEMS $W_TEXT. Evidence: $EVID"; fi
}

{
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' + uncommitted changes in crates/'); models $ID_A (models/demo.json) and $ID_B (B)"
} >"$OUT/header.txt"
: >"$OUT/results.txt"
set +e   # a case reports its own failures; one failing command must not end the run silently
for c in $CASES; do
  say "case $c"
  "case_$c"
done
echo
cat "$OUT/header.txt"
printf '%s\n' "${RESULTS[@]}"
[ "$FAILS" = 0 ]
