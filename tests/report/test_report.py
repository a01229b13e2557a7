"""``cimjax.report``: the unit and axis choice of plots and tables, the one CSV / JSON writer,
design labels of the Pareto plot."""

import json
import os

import numpy as np
import pytest

from cimjax.report import files, plots
from cimjax.report.units import AxisScale, axis_for, axis_scale, prefix, si


@pytest.mark.parametrize("lo, hi, unit, want", [
    (86.0, 98.0, "J", AxisScale(1.0, "J", False)),  # the adc_subarray sweep's energy: linear, J
    (2.4e-5, 7.2e-4, "m²", AxisScale(1e-6, "mm²", True)),  # 24–720 mm²: 30×, log
    (2.4e-5, 3.2e-5, "m²", AxisScale(1e-6, "mm²", False)),
    (92.0, 370.0, "s", AxisScale(1.0, "s", False)),  # 4×: linear
    (2e-4, 5e-2, "s", AxisScale(1e-3, "ms", True)),  # 250×: log, prefix by the largest value
    (5e-4, 4e-3, "J", AxisScale(1e-3, "mJ", False)),
    (6e-7, 85.0, "J", AxisScale(1.0, "J", True)),
    (1.2e3, 9e3, "J·s", AxisScale(1e3, "kJ·s", False)),
    (0.0, 5e-6, "W", AxisScale(1e-6, "µW", False)),  # a zero: never log
    (-3.0, 40.0, "J", AxisScale(1.0, "J", False)),
    (1.0, 10.0, "J", AxisScale(1.0, "J", True)),  # exactly 10×: log
    (0.5, 80.0, "%", AxisScale(1.0, "%", True)),  # no prefix for % or plain numbers
    (3.0, 900.0, "", AxisScale(1.0, "", True)),
    (1e-18, 2e-17, "J", AxisScale(1e-15, "fJ", True)),  # below femto: femto
])
def test_axis_scale(lo, hi, unit, want):
    assert axis_scale(lo, hi, unit) == want


def test_axis_for_ignores_non_finite_values():
    assert axis_for([np.nan, 3e-3, np.inf, 5e-3], "s") == AxisScale(1e-3, "ms", False)
    assert axis_for([np.nan], "s") == AxisScale(1.0, "s", False)


def test_si_text():
    assert si(0.02683, "s") == "26.83 ms"
    assert si(84.74, "J") == "84.74 J"
    assert si(12345.0, "J") == "12.35 kJ"
    assert si(6.016e-7, "J", 3) == "602 nJ"
    assert si(0.0, "s") == "0 s"
    assert si(5.4e-5, "m²") == "54 mm²"
    assert prefix(0.0, "J") == (1.0, "J")


def test_metric_axis_labels_in_units_people_read():
    assert plots.metric_axis("area", [2.4e-5, 3.2e-5]) == (AxisScale(1e-6, "mm²", False), "chip area (mm²)")
    assert plots.metric_axis("energy", [86.0, 98.0]) == (AxisScale(1.0, "J", False), "energy per epoch (J)")
    assert plots.metric_axis("tops_per_w", [0.5, 20.0]) == (AxisScale(1.0, "", True), "TOPS/W")
    assert plots.metric_axis("step", [1, 200]) == (AxisScale(1.0, "", False), "step")  # not a metric: linear


def test_design_label_names_the_design_and_merges_ties():
    points = {"adc_bits": np.array([3.0, 3.0, 5.0]), "cell_type": np.array(["rram", "fefet", "rram"], object)}
    assert plots.design_label(points, [2], ["adc_bits", "cell_type"]) == "adc_bits=5\ncell_type=rram"
    assert plots.design_label(points, [0, 1], ["adc_bits", "cell_type"], ", ") == "adc_bits=3, cell_type=rram/fefet"


def test_write_csv_reads_back_exactly(tmp_path):
    path = tmp_path / "a.csv"
    x = 0.1 + 0.2
    files.write_csv(str(path), [["name", "n", "x", "y"], ["a", np.int64(3), x, np.float32(0.5)], ["b", 4, 1e-300, True]])
    text = path.read_text()
    assert text == f"name,n,x,y\na,3,{x!r},0.5\nb,4,1e-300,True\n"
    assert float(text.splitlines()[1].split(",")[2]) == x
    assert not list(tmp_path.glob(".*tmp*"))  # written through a renamed temporary file


def test_epoch_csv_resumes_byte_identically(tmp_path):
    path = str(tmp_path / "log.csv")
    with pytest.raises(ValueError, match="first column"):
        files.EpochCsv(path, ["loss"])
    full = files.EpochCsv(path, ["epoch", "loss"])
    for e, v in enumerate([2.5, 1.0 / 3.0, 0.125]):
        full.append(e, [v])
    want = open(path).read()
    resumed = files.EpochCsv(path, ["epoch", "loss"])
    resumed.load(before_epoch=2)  # epoch 2 is repeated after a resume
    assert resumed.column("epoch") == [0, 1]
    resumed.append(2, [0.125])
    assert open(path).read() == want
    with pytest.raises(ValueError, match="2 values for 1 columns"):
        resumed.append(3, [1.0, 2.0])


def test_write_json(tmp_path):
    files.write_json(str(tmp_path / "a.json"), {"a": [1, 2.5]})
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1, 2.5]}


def test_write_optimize_files(tmp_path):
    """optimize.json, trajectory.csv (one row per step and start) and trajectory.png of a
    made-up result (no estimator compile)."""
    from types import SimpleNamespace

    steps, starts = 4, 2
    res = SimpleNamespace(
        objective="edp", constraints=[SimpleNamespace(metric="area", bound=1e-4, upper=True, text="area<=1.0x")],
        best={"adc_bits": 5.0}, best_metrics={"edp": 9.3e3, "area": 6e-5}, feasible=True,
        base_metrics={"edp": 1.1e4, "area": 9e-5}, names=("adc_bits",), candidates=3, evaluations=11,
        timing={"total_s": 1.0}, trajectory_x=np.full((steps, starts, 1), 5.0),
        trajectory_obj=np.linspace(1.3e4, 9.8e3, steps * starts).reshape(steps, starts),
        trajectory_cons=np.full((steps, starts, 1), 6e-5))
    paths = files.write_optimize(str(tmp_path), res)
    assert json.loads(open(paths[0]).read())["best_metrics"] == {"edp": 9.3e3, "area": 6e-5}
    lines = open(paths[1]).read().splitlines()
    assert lines[0] == "step,start,adc_bits,edp,constraint_area" and len(lines) == 1 + steps * starts
    assert lines[1].startswith("0,0,5.0,13000.0,")
    assert os.path.getsize(paths[2]) > 10_000
