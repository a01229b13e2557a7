"""``cimjax estimate`` and the estimate's files: report, JSON/CSV/PNG, NeuroSim rows, traces from runs."""

import json
import os

import numpy as np
import pytest

from cimjax import cli
from cimjax.config import ConfigError, apply_overrides, load_config, replace
from cimjax.build import trace_from_run
from cimjax.errors import InputError
from cimjax.estimate import estimate_config
from cimjax import trace as trace_lib
from cimjax.report.files import NEUROSIM_OUTPUT_HEADER, breakdown_rows, neurosim_output_row

MLP = ["model.name=mlp", "model.hidden=64", "data.name=synthetic"]


@pytest.fixture(scope="module")
def small():
    config = apply_overrides(load_config("configs/synthetic_smoke.py"), MLP)
    est, layers, images = estimate_config(config)
    return config, est, layers, images


def test_estimate_of_a_small_network(small):
    config, est, layers, images = small
    assert len(layers) == 2 and images == 1000.0  # 20 full batches of 50 synthetic images
    row = neurosim_output_row(est)
    assert len(row) == len(NEUROSIM_OUTPUT_HEADER) == 20
    assert all(np.isfinite(row)) and all(v >= 0 for v in row)
    assert row[NEUROSIM_OUTPUT_HEADER.index("fw_energy_j")] > 0
    rows = breakdown_rows(est, ["fc1", "fc2"])
    assert [r[0] for r in rows] == ["row", "area_m2", "fc1", "fc2", "total"]
    assert len(rows[2]) == len(rows[0]) == len(rows[4])
    # The total row's FW latency is the sum of the layers' (layer-by-layer mode).
    i = rows[0].index("fw_latency_s")
    assert rows[4][i] == pytest.approx(rows[2][i] + rows[3][i], rel=1e-5)


def test_cli_estimate_writes_report_and_files(tmp_path, capsys):
    out = tmp_path / "est"
    argv = ["estimate", "--config", "configs/synthetic_smoke.py", "--out", str(out)]
    for o in MLP:
        argv += ["--set", o]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    for needle in ("chip area", "area bucket", "phase", "FW", "WG", "component", "dram", "TOPS/W"):
        assert needle in text, needle
    summary = json.loads((out / "estimate.json").read_text())
    assert summary["area"]["total"] > 0 and set(summary["phases"]) == {"fw", "ag", "wg", "wu"}
    assert set(summary["layers"]) == {"layer1", "layer2"}
    assert (out / "estimate_layers.csv").read_text().startswith("row,")
    assert (out / "estimate.png").stat().st_size > 10_000


def _write_run(run_dir, trace_rows, fields=trace_lib.Trace._fields[:7]):  # runs before the written-cell statistics
    os.makedirs(run_dir, exist_ok=True)
    header = ["epoch"] + [f"{f}_{n}" for f in fields for n in ("fc1", "fc2")]
    lines = [",".join(header)] + [",".join(repr(float(v)) for v in r) for r in trace_rows]
    (run_dir / "hardware_trace.csv").write_text("\n".join(lines) + "\n")


def test_trace_from_run_reads_the_requested_epoch(tmp_path):
    e0 = [0, 0.3, 0.2, 0.5, 0.5, 3, 4, 10, 12, 0.1, 0.2, 0.05, 0.06, 0.9, 0.8]
    e1 = [1, 0.4, 0.1, 0.6, 0.4, 5, 6, 11, 13, 0.3, 0.4, 0.07, 0.08, 0.7, 0.6]
    _write_run(tmp_path, [e0, e1])
    last = trace_from_run(str(tmp_path), 2)
    np.testing.assert_allclose(np.asarray(last.input_activity), [0.4, 0.1], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(last.col_write_activity), [0.07, 0.08], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(last.read_occupancy), [0.7, 0.6], rtol=1e-6)
    first = trace_from_run(str(tmp_path), 2, epoch=0)
    np.testing.assert_allclose(np.asarray(first.write_pulses), [3, 4])
    np.testing.assert_allclose(np.asarray(first.read_occupancy), [0.9, 0.8], rtol=1e-6)
    with pytest.raises(ConfigError, match="epoch 5"):
        trace_from_run(str(tmp_path), 2, epoch=5)
    with pytest.raises(ConfigError, match="per layer"):
        trace_from_run(str(tmp_path), 3)
    with pytest.raises(FileNotFoundError, match="input_activity.csv"):
        trace_from_run(str(tmp_path / "nothing"), 2)


def test_trace_from_run_reads_runs_before_the_read_occupancy(tmp_path):
    """hardware_trace.csv of earlier runs has 6 fields per layer: read_occupancy is 1."""
    old = trace_lib.Trace._fields[:6]
    _write_run(tmp_path, [[0, 0.3, 0.2, 0.5, 0.5, 3, 4, 10, 12, 0.1, 0.2, 0.05, 0.06]], fields=old)
    t = trace_from_run(str(tmp_path), 2)
    np.testing.assert_allclose(np.asarray(t.input_activity), [0.3, 0.2], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(t.col_write_activity), [0.05, 0.06], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(t.read_occupancy), [1.0, 1.0])
    # Not 9, 7 or 6 fields per layer, or an occupancy out of range: a ConfigError naming it.
    _write_run(tmp_path, [[0, 0.3, 0.2, 0.5, 0.5, 3, 4, 10, 12, 0.1, 0.2]], fields=old[:5])
    with pytest.raises(ConfigError, match="expected 9 per layer .or 7"):
        trace_from_run(str(tmp_path), 2)
    # A row shorter than its header: an InputError naming the row.
    _write_run(tmp_path, [[0, 0.3, 0.2, 0.5, 0.5, 3, 4, 10, 12, 0.1]], fields=old)
    with pytest.raises(InputError, match="row 2 has 10 values, expected 13"):
        trace_from_run(str(tmp_path), 2)
    _write_run(tmp_path, [[0, 0.3, 0.2, 0.5, 0.5, 3, 4, 10, 12, 0.1, 0.2, 0.05, 0.06, 1.5, 0.8]])
    with pytest.raises(ConfigError, match="read_occupancy"):
        trace_from_run(str(tmp_path), 2)


def test_run_trace_changes_the_estimate(small, tmp_path):
    config, est, layers, _ = small
    _write_run(tmp_path, [[0, 0.9, 0.9, 0.5, 0.5, 40, 40, 500, 500, 0.5, 0.5, 0.3, 0.3, 1.0, 1.0]])
    busy, _, _ = estimate_config(config, trace_from_run(str(tmp_path), 2), layers=layers)
    assert float(busy.fw.energy) > float(est.fw.energy)  # more active input rows
    assert float(busy.wu.energy) > 10 * float(est.wu.energy)  # pulses to write (the idle case moves only the deltas)


def test_sram_is_estimated(small):
    """An SRAM config builds with estimate_each_epoch and estimates: one bit per 160F² cell, so
    a larger array than the RRAM chip's, and finite figures throughout."""
    config, est, layers, _ = small
    sram_config = replace(config, hardware={"cell_type": "sram"})
    assert sram_config.run.estimate_each_epoch
    sram_est, sram_layers, _ = estimate_config(sram_config)
    assert sram_layers == layers
    row = neurosim_output_row(sram_est)
    assert all(np.isfinite(row)) and all(v >= 0 for v in row)
    assert float(sram_est.area.array) > 10 * float(est.area.array)
    assert float(sram_est.fw.energy) > 0 and float(sram_est.wu.energy) > 0
