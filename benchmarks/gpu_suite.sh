#!/usr/bin/env bash
# The GPU benchmark suite (benchmarks/gpu_suite.py): one table, under 8 minutes on one GPU.
#   bash benchmarks/gpu_suite.sh              # on a GPU machine (pip install -e '.[cuda]')
#   bash benchmarks/gpu_suite.sh --cpu-smoke  # toy sizes on a CPU (run by the test suite)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" benchmarks/gpu_suite.py "$@"
