#!/usr/bin/env bash
# Build time (a benchmark, not a test): a clean release build of the whole workspace, then of the
# server alone, each in an empty target dir, with wall and CPU time (user + system, children
# included) from GNU time. Dependencies are fetched first so downloads are not counted.
#
#   bash bench/build_time.sh              # both
#   WHAT=serve bash bench/build_time.sh   # or workspace
#
# The empty target dirs go under $BUILD_TMP (default: a fresh directory in /tmp, removed at the
# end; ~4 GiB free needed). Prints a markdown table and writes it to $OUT/table.md. The figure to
# read is wall time on a quiet machine: the load average at start and end is printed with it.
set -euo pipefail
cd "$(dirname "$0")/.."

WHAT="${WHAT:-all}"
OUT="${OUT:-bench/out/build-time}"
say() { printf '== %s\n' "$*" >&2; }

if ! [ -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
case "$WHAT" in
  all) BUILDS=(workspace serve) ;;
  workspace | serve) BUILDS=("$WHAT") ;;
  *) echo "WHAT must be all, workspace or serve" >&2; exit 2 ;;
esac

mkdir -p "$OUT"
TMP="${BUILD_TMP:-$(mktemp -d /tmp/leadscore-build-time.XXXXXX)}"
trap 'rm -rf "$TMP"' EXIT
say "fetching dependencies"
cargo fetch --locked >&2

rows=()
for b in "${BUILDS[@]}"; do
  case "$b" in
    workspace) args=(--workspace) ;;
    serve) args=(-p leadscore-serve) ;;
  esac
  target="$TMP/$b"
  rm -rf "$target"
  load_start=$(cut -d' ' -f1-3 /proc/loadavg)
  say "clean release build: cargo build --release --locked ${args[*]} (target $target)"
  CARGO_TARGET_DIR="$target" CARGO_INCREMENTAL=0 /usr/bin/time -f '%e %U %S' -o "$OUT/$b.time" \
    cargo build --release --locked "${args[@]}" >"$OUT/$b.log" 2>&1 || {
    tail -20 "$OUT/$b.log" >&2
    exit 1
  }
  load_end=$(cut -d' ' -f1-3 /proc/loadavg)
  read -r wall user sys <"$OUT/$b.time"
  crates=$(grep -c '^ *Compiling ' "$OUT/$b.log" || true)
  rows+=("$(awk -v b="$b" -v a="${args[*]}" -v w="$wall" -v u="$user" -v s="$sys" -v c="$crates" \
    -v l0="$load_start" -v l1="$load_end" 'BEGIN {
      printf "| %s (`%s`) | %d min %02d s | %.1f min | %d | %s / %s |", b, a, int(w / 60), w % 60,
        (u + s) / 60, c, l0, l1 }')")
  rm -rf "$target"
done

{
  echo
  echo "measured $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD); $(nproc) cores; $(rustc --version)"
  echo
  echo "| clean release build | wall | CPU (user + system) | crates compiled | load average at start / end |"
  echo "| --- | ---: | ---: | ---: | --- |"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/table.md"
