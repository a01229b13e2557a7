"""`cimjax sweep` / `cimjax optimize`: invalid grids and constraints fail at once, naming them."""


import json

import pytest

from helpers import counting_compiles

from cimjax.cli import main


def test_grid_is_required(capsys):
    with pytest.raises(SystemExit) as e:
        main(["optimize", "--config", "configs/quickstart.py"])
    assert e.value.code == 2
    assert "--grid" in capsys.readouterr().err
    assert main(["sweep", "--config", "configs/quickstart.py"]) == 2
    assert "--grid FILE or at least one --sweep" in capsys.readouterr().err


def test_sweep_items_speak_the_evaluate_language(tmp_path, capsys):
    """``cimjax sweep --sweep NAME=...`` takes a parameter or its config field, checked by the
    config's own parser; a parameter of the analog read is sent to ``cimjax evaluate``."""
    from cimjax.config import Config
    from cimjax.dse import cli as dse_cli

    grid = dse_cli._with_sweeps(None, ["adc_bits=4,5", "hardware.subarray_rows=64,128"], Config())
    assert grid.names == ("adc_bits", "subarray_rows") and grid.size() == 4
    both = dse_cli._with_sweeps(grid, ["adc_bits=6"], Config())
    assert both.names == ("adc_bits", "subarray_rows") and both.size() == 2
    for item, words in (("hardware.adc_bits=4,99", "hardware.adc_bits"), ("adc_bits=4,4", "twice"),
                        ("variation_sigma=0.1", "cimjax evaluate --sweep"), ("adcbits=4", "unknown parameter")):
        assert main(["sweep", "--config", "configs/quickstart.py", "--sweep", item]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err


@pytest.mark.parametrize("cmd", ["sweep", "optimize"])
def test_invalid_grid_fails_fast_naming_the_parameter(cmd, tmp_path, capsys):
    grid = tmp_path / "g.toml"
    grid.write_text("[parameters]\nadc_bits = [4, 6]\nread_voltage = { min = 0.5, max = 0.1 }\n")
    with counting_compiles() as compiles:
        assert main([cmd, "--config", "configs/quickstart.py", "--grid", str(grid), "--out", str(tmp_path / "o")]) == 2
    assert compiles() == 0  # rejected before any estimate is traced
    err = capsys.readouterr().err
    assert "'read_voltage': empty range" in err and "Traceback" not in err


def test_unknown_parameter_lists_the_allowed_ones(tmp_path, capsys):
    grid = tmp_path / "g.py"
    grid.write_text("GRID = {'parameters': {'adc_bit': [4]}}\n")
    assert main(["sweep", "--config", "configs/quickstart.py", "--grid", str(grid)]) == 2
    err = capsys.readouterr().err
    assert "'adc_bit' is unknown" in err and "subarray_size" in err and "on_off_ratio" in err


def test_sweep_option_overrides_are_validated(tmp_path, capsys):
    assert main(["sweep", "--config", "configs/quickstart.py", "--grid", "configs/sweeps/adc_subarray.py",
                 "--color-by", "r_on"]) == 2
    assert "color_by = 'r_on'" in capsys.readouterr().err
    assert main(["sweep", "--config", "configs/quickstart.py", "--grid", "configs/sweeps/adc_subarray.py",
                 "--sample", "lhs"]) == 2
    assert "num_samples" in capsys.readouterr().err


def test_bad_constraint_and_objective(capsys):
    from cimjax.config import ConfigError
    from cimjax.dse.optimize import parse_constraint

    with pytest.raises(ConfigError, match="unknown metric 'power'"):
        parse_constraint("power<=3")
    with pytest.raises(ConfigError, match="expected METRIC<=VALUE"):
        parse_constraint("area < 3")
    assert parse_constraint("area<=1.5x", {"area": 2.0}).bound == 3.0
    assert main(["optimize", "--config", "configs/quickstart.py", "--grid", "configs/sweeps/co_opt_space.py",
                 "--objective", "power"]) == 2
    assert "objective 'power' is unknown" in capsys.readouterr().err


def test_write_sweep_files(tmp_path):
    """CSV / JSON / PNG writers on a synthetic result (no estimator compile)."""
    import csv
    import json

    import numpy as np

    from cimjax.config import Config
    from cimjax.dse import grid as G
    from cimjax.dse.pareto import pareto_mask
    from cimjax.dse.sweep import METRICS, SweepResult, objective_matrix
    from cimjax.report.files import write_sweep

    grid = G.parse_grid({"parameters": {"adc_bits": [3, 4, 5], "cell_type": ["rram", "fefet"]},
                         "color_by": "cell_type"}, Config())
    pts = G.points(grid)
    rng = np.random.default_rng(0)
    metrics = {k: rng.uniform(1, 2, size=6) for k in METRICS}
    metrics["energy"][0] = np.nan
    front = pareto_mask(objective_matrix(metrics, grid.objectives))
    res = SweepResult(pts, metrics, front, np.zeros(6, int), grid.objectives, {"designs_per_s": 1.0}, 1)
    paths = write_sweep(str(tmp_path), res, grid)
    assert all((tmp_path / p).exists() for p in ("sweep.csv", "pareto.csv", "sweep.json", "sweep_scatter.png",
                                                 "sweep_pareto.png"))
    rows = list(csv.DictReader(open(paths[0])))
    assert len(rows) == 6 and rows[1]["cell_type"] == "fefet" and float(rows[1]["adc_bits"]) == 3.0
    assert [int(r["pareto"]) for r in rows] == front.astype(int).tolist() and not front[0]
    meta = json.load(open(paths[2]))
    assert meta["pareto_indices"] == np.flatnonzero(front).tolist() and meta["num_designs"] == 6
    assert len(list(csv.DictReader(open(paths[1])))) == int(front.sum())


def test_sweep_end_to_end_without_compiling(tmp_path, capsys):
    """The command on a one-group sweep: traced once and host-evaluated (no XLA compile), its
    files written; ``--compile-above`` is validated."""
    import jax

    out, durations, listening = tmp_path / "sweep", [], [True]

    def on_event(name, secs, **_kw):
        if listening[0] and name == "/jax/core/compile/backend_compile_duration":
            durations.append(secs)

    jax.monitoring.register_event_duration_secs_listener(on_event)
    try:
        assert main(["sweep", "--config", "configs/quickstart.py", "--sweep", "adc_bits=4,6", "--sweep",
                     "read_voltage=0.3,0.5", "--out", str(out), "--no-progress", "--no-plots"]) == 0
    finally:
        listening[0] = False
    # The estimate is never compiled (seconds to tens of seconds); only eager jnp operations of
    # the build are (milliseconds each).
    assert max(durations, default=0.0) < 2.0, sorted(durations)[-3:]
    text = capsys.readouterr().out
    assert "4 designs in 1 static group(s), 1 traced and host-evaluated" in text and "compiled" not in text
    with open(out / "sweep.json") as f:
        timing = json.load(f)["timing"]
    assert timing["host_groups"] == 1 and timing["compile_s"] == 0.0
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--config", "configs/quickstart.py", "--sweep", "adc_bits=4", "--compile-above", "-1"])
    assert e.value.code == 2 and "--compile-above" in capsys.readouterr().err
