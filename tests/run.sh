#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need beyond Rust, then
# runs `cargo test --workspace`.
#
#   bash tests/run.sh            # everything
#   bash tests/run.sh -- NAME    # extra arguments go to `cargo test` (e.g. a test filter)
#
# Beyond the Rust toolchain the tests need:
#   - Debian's chromium and chromium-driver (tests/model_page.rs drives the server's model page);
#   - Debian's default-jre-headless (tests/spark_udf.rs runs PySpark in local mode);
#   - a Python virtual environment with tests/requirements.txt (tests/notebook.rs executes
#     notebooks/feature_weights.ipynb with jupyter nbconvert) and the package of python/
#     (installed on every run: tests/python_package.rs), kept at
#     $LEADSCORE_TEST_VENV (default ~/.cache/leadscore-test-venv) and rebuilt when
#     tests/requirements.txt changes;
#   - the X Education data in ../shared/datasets (tests read real data from there).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leadscore-target}"

if [ ! -f ../shared/datasets/x-education/Leads.csv ]; then
  echo "error: ../shared/datasets/x-education/Leads.csv is missing (the tests read real data from ../shared)" >&2
  exit 1
fi

# Browser: Debian's packages (no download at test time).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "== installing chromium and chromium-driver (apt)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
export LEADSCORE_CHROMIUM="${LEADSCORE_CHROMIUM:-$(command -v chromium)}"
export LEADSCORE_CHROMEDRIVER="${LEADSCORE_CHROMEDRIVER:-$(command -v chromedriver)}"

# Java for PySpark (tests/spark_udf.rs): Debian's headless runtime.
if ! command -v java >/dev/null 2>&1; then
  echo "== installing default-jre-headless (apt)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >/dev/null
fi

# Python: a virtual environment keyed by the requirements' hash.
VENV="${LEADSCORE_TEST_VENV:-$HOME/.cache/leadscore-test-venv}"
WANT="$(sha256sum tests/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)" != "$WANT" ]; then
  echo "== creating the Python environment $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r tests/requirements.txt
  echo "$WANT" >"$VENV/.requirements.sha256"
fi
export LEADSCORE_PYTHON="$VENV/bin/python"

# The Python package (python/, `import leadscore`), built by maturin from this checkout into the
# environment on every run (cargo reuses $CARGO_TARGET_DIR/release; tests/python_package.rs).
echo "== pip install ./python"
"$VENV/bin/python" -m pip install -q ./python

echo "== cargo test --workspace"
if [ "${1:-}" = "--" ]; then shift; fi
cargo test --workspace --locked "$@"
