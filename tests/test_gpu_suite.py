"""benchmarks/gpu_suite.sh --cpu-smoke runs end to end (issue 17 item 5), so the GPU suite cannot
rot between the sessions that have a GPU. Marked slow: it compiles four VGG-8 programs and the
vmapped estimator (a few minutes on the 2-core VM); ``pytest -m slow tests/test_gpu_suite.py``."""

import json
import math
import os
import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_cpu_smoke_prints_one_table_of_finite_numbers(tmp_path):
    out = tmp_path / "suite.json"
    proc = subprocess.run(["bash", "benchmarks/gpu_suite.sh", "--cpu-smoke", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr[-3000:]
    for row in ("device-aware / bare step", "one epoch", "projected to 256 epochs", "vmapped estimator",
                "hw_full / ideal step", "suite wall time"):
        assert row in proc.stdout, row
    r = json.loads(out.read_text())
    assert r["smoke"] is True
    for value in (r["step"]["ratio"], r["hw"]["ratio"], r["estimator"]["designs_per_s"], r["epoch"]["train_s"]):
        assert math.isfinite(value) and value > 0
    assert r["estimator"]["finite"] == 1.0
