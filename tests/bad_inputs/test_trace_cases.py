"""A training run's ``hardware_trace.csv``, damaged: ``cimjax estimate --trace RUN`` stops with one
line naming the file, the row and the column, exit status 2, and writes no estimate. An estimate
that comes out non-finite anyway fails (exit 1) naming the figure, and nothing is written."""

import shutil
from pathlib import Path

import jax.numpy as jnp
import pytest
from bad_inputs.corpus import Case, check

from cimjax.config import load_config, save_config
from cimjax.errors import RunError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "estimate_golden" / "smoke_hardware_trace.csv"
# the fixture's columns: epoch, input_activity_fc1/2, weight_level_fc1/2, write_pulses_fc1/2, cell_pulses_fc1/2, ...
COLUMNS = FIXTURE.read_text().splitlines()[0].split(",")


def run_dir(tmp: Path) -> Path:
    """A run directory of configs/synthetic_smoke.py with the golden trace (one epoch, row 2)."""
    run = tmp / "run"
    run.mkdir()
    save_config(load_config(ROOT / "configs" / "synthetic_smoke.py"), run / "config.json")
    shutil.copy(FIXTURE, run / "hardware_trace.csv")
    return run


def with_cell(column: str, value: str):
    """A ``prepare`` putting ``value`` in row 2, column ``column`` of the trace."""
    def prepare(tmp: Path):
        run = run_dir(tmp)
        lines = (run / "hardware_trace.csv").read_text().splitlines()
        cells = lines[1].split(",")
        cells[COLUMNS.index(column)] = value
        lines[1] = ",".join(cells)
        (run / "hardware_trace.csv").write_text("\n".join(lines) + "\n")
        return estimate(run, tmp)
    return prepare


def with_bytes(data: bytes):
    def prepare(tmp: Path):
        run = run_dir(tmp)
        (run / "hardware_trace.csv").write_bytes(data)
        return estimate(run, tmp)
    return prepare


def estimate(run: Path, tmp: Path) -> list[str]:
    return ["estimate", "--config", str(run), "--trace", str(run), "--out", str(tmp / "est")]


ROW2 = ("hardware_trace.csv", "row 2")
CASES = [
    # The three: NaN in write_pulses (row 2, column 6), inf in cell_pulses, 1e300 write pulses.
    Case("nan-write-pulses", prepare=with_cell("write_pulses_fc1", "nan"), words=ROW2 + ("column write_pulses_fc1", "not a finite")),
    Case("inf-cell-pulses", prepare=with_cell("cell_pulses_fc2", "inf"), words=ROW2 + ("column cell_pulses_fc2", "not a finite")),
    Case("huge-write-pulses", prepare=with_cell("write_pulses_fc2", "1e300"), words=ROW2 + ("column write_pulses_fc2", "outside")),
    Case("negative-activity", prepare=with_cell("input_activity_fc1", "-0.1"), words=ROW2 + ("column input_activity_fc1", "[0, 1]")),
    Case("activity-above-one", prepare=with_cell("read_occupancy_fc2", "1.5"), words=ROW2 + ("column read_occupancy_fc2",)),
    Case("word-in-cell", prepare=with_cell("weight_level_fc1", "abc"), words=ROW2 + ("column weight_level_fc1", "not a number")),
    Case("empty-cell", prepare=with_cell("weight_level_fc2", ""), words=ROW2 + ("column weight_level_fc2", "not a number")),
    Case("underscore-number", prepare=with_cell("cell_pulses_fc1", "1_219"), words=ROW2 + ("column cell_pulses_fc1",)),
    Case("empty-file", prepare=with_bytes(b""), words=("hardware_trace.csv", "empty")),
    Case("binary-file", prepare=with_bytes(bytes(range(256)) * 8), words=("hardware_trace.csv", "binary")),
    Case("text-garbage", prepare=with_bytes(b"Lorem ipsum dolor sit amet\nconsectetur, adipiscing elit\n"),
         words=("hardware_trace.csv", "row 1", "header")),
    Case("header-only", prepare=with_bytes(FIXTURE.read_bytes().splitlines()[0] + b"\n"),
         words=("hardware_trace.csv", "no finished epoch")),
    Case("ragged-row", prepare=with_bytes(FIXTURE.read_bytes() + b"1,0.5,0.5\n"), words=("hardware_trace.csv", "row 3", "3 values")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case, tmp_path, capsys):
    check(case, tmp_path, capsys, inputs=[tmp_path / "run" / "hardware_trace.csv"])
    assert not (tmp_path / "est" / "estimate.json").exists()


def test_a_nonfinite_estimate_is_never_written(tmp_path, capsys, monkeypatch):
    """Valid inputs, but the estimator returns a NaN (a model bug): the command fails with exit
    status 1 naming the figure, and no estimate file is written."""
    import cimjax.estimate as estimate_lib

    real = estimate_lib.estimate_build
    monkeypatch.setattr(estimate_lib, "estimate_build", lambda b: real(b)._replace(tops_per_w=jnp.float32(jnp.nan)))
    err = check(Case("nan-figure", prepare=lambda tmp: estimate(run_dir(tmp), tmp), code=1,
                     words=("estimate.json", "tops_per_w", "not finite")), tmp_path, capsys)
    assert "unexpected" not in err
    assert not (tmp_path / "est" / "estimate.json").exists() and not (tmp_path / "est" / "estimate_layers.csv").exists()


def test_estimate_writers_refuse_nonfinite_figures():
    """Every estimate writer goes through the guard: the NeuroSim_Output.csv row of a training
    epoch and the breakdown file, as well as estimate.json."""
    from cimjax import build as build_lib
    from cimjax.estimate import estimate_build
    from cimjax.report.files import breakdown_rows, neurosim_output_row

    est = estimate_build(build_lib.build(load_config(ROOT / "configs" / "synthetic_smoke.py")))
    assert len(neurosim_output_row(est)) == 20  # a finite estimate passes
    bad = est._replace(fw=est.fw._replace(energy=jnp.float32(jnp.inf)))
    with pytest.raises(RunError, match="fw_energy_j"):
        neurosim_output_row(bad)
    with pytest.raises(RunError, match="total.fw_energy_j"):
        breakdown_rows(bad, ["fc1", "fc2"])
