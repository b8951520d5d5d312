#!/bin/sh
# The notebooks-export checks that `make test` runs:
#   1. pytest on ttcg_results.py (the tests make their own small results file with ttcg run);
#   2. both notebooks, headless, against a small sweep (tests/small.yaml), failing if a cell
#      raises or an expected figure is missing or empty;
#   3. the sweep explorer again with other axes, a market and a seed chosen by EXPLORER_*.
#
# Needs TTCG_BIN (the ttcg binary) and a Python with notebooks-export/requirements.txt
# (TTCG_PYTHON, default .venv/bin/python at the repository root).
#   TTCG_BIN=$(swift build -c release --show-bin-path)/ttcg sh notebooks-export/test.sh
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=${TTCG_PYTHON:-$ROOT/.venv/bin/python}

if [ -z "${TTCG_BIN:-}" ] || [ ! -x "$TTCG_BIN" ]; then
    echo "notebooks-export/test.sh: set TTCG_BIN to the ttcg binary, e.g." >&2
    echo "  TTCG_BIN=\$(swift build -c release --show-bin-path)/ttcg sh notebooks-export/test.sh" >&2
    exit 2
fi
if [ ! -x "$PY" ]; then
    echo "notebooks-export/test.sh: no Python at $PY; run \`make venv\` or set TTCG_PYTHON" >&2
    exit 2
fi
export TTCG_BIN

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttcg-notebooks.XXXXXX")
ok=0
trap 'if [ "$ok" = 1 ]; then rm -rf "$WORK"; else echo "notebooks-export/test.sh: FAILED; outputs kept in $WORK" >&2; fi' EXIT

echo "== notebooks-export: pytest"
"$PY" -m pytest -q -p no:cacheprovider "$HERE/tests"

echo "== notebooks-export: small sweep"
"$TTCG_BIN" run "$HERE/tests/small.yaml" --out "$WORK/small.h5" --force >"$WORK/run.log" 2>&1 \
    || { cat "$WORK/run.log" >&2; exit 1; }

echo "== notebooks-export: notebooks (headless)"
"$PY" "$HERE/run_notebooks.py" --results "$WORK/small.h5" --out "$WORK/out" 2>"$WORK/kernel.log" \
    || { cat "$WORK/kernel.log" >&2; exit 1; }

echo "== notebooks-export: sweep explorer with other axes"
EXPLORER_MARKET=aime/majority EXPLORER_VAR=welfare_eq EXPLORER_X=margin EXPLORER_HUE=alpha \
EXPLORER_SEED=1 EXPLORER_HEATMAP=beta,margin EXPLORER_PROVIDER_VAR=eq_profile \
    "$PY" "$HERE/run_notebooks.py" --only explorer --results "$WORK/small.h5" --out "$WORK/out-explorer" \
    2>"$WORK/kernel2.log" || { cat "$WORK/kernel2.log" >&2; exit 1; }

ok=1
echo "notebooks-export: all checks passed"
