"""``cimjax study paper``: the smoke scale end to end (report structure, finite numbers), and the
conclusion rules of :mod:`cimjax.study.verdicts` on hand-made numbers."""

from __future__ import annotations

import csv
import json
import math
import os

import pytest

from cimjax.config import ConfigError
from cimjax.study import verdicts as V
from cimjax.study.scales import scale


# ------------------------------------------------------------------ verdict rules (no training)


def test_pooled_std_and_tolerance():
    assert V.pooled_std([[1.0, 3.0], [5.0, 5.0]]) == pytest.approx(1.0)  # (2 + 0) / (1 + 1)
    assert V.pooled_std([[1.0], [2.0]]) == 0.0
    assert V.tolerance(0.0) == V.MIN_POINTS
    assert V.tolerance(2.0) == pytest.approx(4.0)


def test_c2c_rule():
    assert V.c2c_threshold({0.0: 90, 0.01: 89.5, 0.03: 85, 0.05: 80}, 1.0).verdict == "yes"
    assert V.c2c_threshold({0.0: 90, 0.01: 85, 0.03: 80, 0.05: 75}, 1.0).verdict == "partly"
    assert V.c2c_threshold({0.0: 90, 0.01: 90, 0.03: 89.8, 0.05: 89.5}, 1.0).verdict == "no"
    assert V.c2c_threshold({0.0: 90}, 1.0).verdict == "n/a"


def test_nl_rules():
    assert V.nl_threshold({1.0: 90, 3.0: 89.5, 6.0: 80}, 1.0).verdict == "yes"
    assert V.nl_threshold({1.0: 90, 3.0: 85, 6.0: 80}, 1.0).verdict == "partly"
    assert V.nl_threshold({1.0: 90, 3.0: 90, 6.0: 89.5}, 1.0).verdict == "no"
    assert V.momentum_nl({3.0: 85, 6.0: 77}, {}, 1.0).verdict == "partly"  # never "yes": absolute values differ
    assert V.momentum_nl({3.0: 85, 6.0: 84.5}, {}, 1.0).verdict == "no"
    assert V.momentum_helps({6.0: 80}, {6.0: 70}, 2.0).verdict == "yes"
    assert V.momentum_helps({6.0: 80}, {6.0: 79}, 2.0).verdict == "no"
    assert V.falls_with({1.0: 90, 3.0: 85, 6.0: 70}, "|NL|", "k", 1.0).verdict == "yes"
    assert V.falls_with({1.0: 90, 3.0: 89.9, 6.0: 89.8}, "|NL|", "k", 1.0).verdict == "partly"
    assert V.falls_with({1.0: 80, 6.0: 90}, "|NL|", "k", 1.0).verdict == "no"


def test_device_rules():
    assert V.d2d_harmless({0.0: 80, 0.5: 79.5}, 1.0).verdict == "yes"
    assert V.d2d_harmless({0.0: 80, 0.5: 75}, 1.0).verdict == "no"
    strong = {"pcmo": 60.0, "ag_asi": 70.0}
    assert V.fefet(90.0, 89.5, strong, 1.0).verdict == "yes"
    assert V.fefet(90.0, 80.0, strong, 1.0).verdict == "partly"
    assert V.fefet(90.0, 65.0, strong, 1.0).verdict == "no"
    assert V.ordering(90.0, 89.0, strong, 1.0).verdict == "yes"
    assert V.ordering(90.0, 69.0, strong, 1.0).verdict == "partly"
    assert V.ordering(60.0, 69.0, strong, 1.0).verdict == "no"


def test_estimator_rules():
    assert V.r_on_threshold({10e3: 2.0, 100e3: 1.0, 1e6: 0.95}).verdict == "yes"
    assert V.r_on_threshold({10e3: 2.0, 100e3: 1.0, 1e6: 0.5}).verdict == "partly"
    assert V.r_on_threshold({10e3: 1.0, 100e3: 1.0, 1e6: 1.0}).verdict == "no"
    assert V.write_pulse_threshold({1e-6: 0.2, 1e-5: 0.7}).verdict == "yes"
    assert V.write_pulse_threshold({1e-6: 0.6, 1e-5: 0.9}).verdict == "partly"
    assert V.write_pulse_threshold({1e-6: 0.2, 1e-5: 0.2}).verdict == "no"
    envm = {"a": {"tops_per_w": 5.0, "tops": 1.0}, "b": {"tops_per_w": 3.0, "tops": 2.0}}
    assert V.sram_beats_envm({"tops_per_w": 6.0, "tops": 3.0}, envm).verdict == "yes"
    assert V.sram_beats_envm({"tops_per_w": 6.0, "tops": 1.5}, envm).verdict == "partly"
    assert V.sram_beats_envm({"tops_per_w": 1.0, "tops": 0.5}, envm).verdict == "no"


def test_unknown_scale_is_a_config_error():
    with pytest.raises(ConfigError, match="--scale"):
        scale("huge")


def test_scales_build():
    for name in ("smoke", "cpu", "gpu"):
        sc = scale(name)
        assert sc.config.train.optimizer == "neurosim" and len(sc.seeds) >= 1
    assert scale("gpu").config.model.width == 1.0 and scale("gpu").config.train.epochs == 257


def test_device_rows_feed_their_electrical_parameters():
    from cimjax.build import knob_values
    from cimjax.devices.presets import PRESETS
    from cimjax.study.paper import device_config

    base = scale("smoke").config
    for name, p in PRESETS.items():
        k = knob_values(device_config(base, name))
        assert k["r_on"] == p.r_on and k["on_off_ratio"] == p.on_off_ratio and k["max_levels"] == p.max_level


# ------------------------------------------------------------------ the smoke study end to end


def test_smoke_study_end_to_end(tmp_path):
    from cimjax.cli import main

    out = tmp_path / "study"
    assert main(["study", "paper", "--scale", "smoke", "--out", str(out)]) == 0
    names = set(os.listdir(out))
    for stem in ("device_table", "conclusions", "estimator_sweeps", "sweep_nl", "sweep_c2c", "sweep_d2d", "sweep_states"):
        assert {stem + ".csv", stem + ".md"} <= names
    for key in ("nl", "c2c", "d2d", "states"):
        assert (out / f"sweep_{key}.png").stat().st_size > 1000
    readme = (out / "README.md").read_text()
    assert "wall time" in readme and "## Conclusions" in readme and "load average" in readme
    assert len(os.listdir(out / "configs")) >= 4
    study = json.loads((out / "study.json").read_text())
    with open(out / "device_table.csv") as f:
        rows = list(csv.reader(f))
    # one row per preset and four SRAM rows (32 and 7 nm, parallel and sequential read)
    assert len(rows) == 1 + 8 + 4
    measured = [d for d in study["devices"] if "status" not in d]
    assert len(measured) == 12
    sram = {(d["node_nm"], d["source"]): d for d in measured if d["kind"] == "SRAM"}
    # the read mode reaches the estimate: the sequential read differs from the parallel one
    assert sram[(7.0, "SRAM 7 nm, sequential read")]["fw_latency_s"] != sram[(7.0, "SRAM 7 nm, parallel read")]["fw_latency_s"]
    for d in measured:
        for k in ("accuracy_mean", "area_mm2", "fw_latency_s", "wu_energy_j", "tops_per_w", "peak_tops_per_w"):
            assert math.isfinite(d[k]), (d["device"], k)
        assert 0.0 <= d["accuracy_mean"] <= 100.0 and d["area_mm2"] > 0
    envm = {d["device"]: d for d in measured if d["kind"] == "eNVM"}
    # each device's own R_on reaches the estimate: different R_on, different read energy
    assert envm["ag_asi"]["fw_energy_j"] != envm["alox_hfo2"]["fw_energy_j"]
    assert {c["verdict"] for c in study["conclusions"]} <= {"yes", "partly", "no", "n/a"}
    assert len(study["conclusions"]) == 12
    for key, groups in study["sweeps"].items():
        for g, values in groups.items():
            for v, h in values.items():
                assert all(math.isfinite(x) for row in h for x in row), (key, g, v)


@pytest.mark.slow
def test_loop_method_trains_what_the_vmapped_map_trains():
    """The ``loop`` method (one compiled member program per call, the cpu scale's) gives the
    accuracies and traces of the vmapped device map on the same members."""
    import numpy as np

    from cimjax.study.paper import train_members

    cfg = scale("smoke").config
    settings = [(1.75, 1.46, 32, 0.003, 0.0), (3.0, -3.0, 16, 0.0, 0.5)]
    a = train_members(cfg, settings, (0, 1), method="loop", chunk=1, ideal=True, log=lambda *_: None)
    b = train_members(cfg, settings, (0, 1), method="vmap", chunk=8, ideal=True, log=lambda *_: None)
    np.testing.assert_allclose(a["history"], b["history"], atol=0.51)  # one test image of 200 at most
    np.testing.assert_allclose(a["ideal_history"], b["ideal_history"], atol=0.51)
    np.testing.assert_allclose(a["trace"], b["trace"], rtol=1e-3, atol=1e-4)


def test_loop_members_are_kept_and_an_interrupted_study_goes_on(tmp_path):
    """The ``loop`` method writes each finished member at once; a run stopped part-way (here a
    Ctrl-C after the first setting) goes on from them, reading them back instead of training
    them, with the same numbers; a damaged member file is trained again; other code or config
    (another key) is not reused."""
    import numpy as np

    from cimjax.config import replace
    from cimjax.study.paper import member_key, train_members

    cfg = replace(scale("smoke").config, train={"epochs": 1, "steps_per_epoch": 3})
    settings = [(1.75, 1.46, 32, 0.003, 0.0), (3.0, -3.0, 16, 0.0, 0.5)]
    folder = str(tmp_path / "members")

    def stop_after_first_setting(msg):
        if "setting 1/2" in msg:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_members(cfg, settings, (0, 1), method="loop", chunk=1, ideal=False, log=stop_after_first_setting,
                      members_dir=folder)
    assert len([f for f in os.listdir(folder) if f.endswith(".npz")]) == 2  # setting 1, both seeds
    assert all(f.endswith(".npz") for f in os.listdir(folder))  # no temporary file left behind
    a = train_members(cfg, settings, (0, 1), method="loop", chunk=1, ideal=False, log=lambda *_: None,
                      members_dir=folder)
    assert a["resumed"] == 2 and len(os.listdir(folder)) == 4  # 2 settings × 2 seeds
    fresh = train_members(cfg, settings, (0, 1), method="loop", chunk=1, ideal=False, log=lambda *_: None)
    np.testing.assert_array_equal(a["history"], fresh["history"])
    np.testing.assert_array_equal(a["trace"], fresh["trace"])
    b = train_members(cfg, settings, (0, 1), method="loop", chunk=1, ideal=False, log=lambda *_: None,
                      members_dir=folder)
    assert b["resumed"] == 4
    np.testing.assert_array_equal(b["history"], fresh["history"])
    # a damaged file is trained again, not read
    key = member_key(cfg, settings[1], 1, False)
    with open(os.path.join(folder, f"{key}.npz"), "wb") as f:
        f.write(b"not a member")
    c = train_members(cfg, settings, (0, 1), method="loop", chunk=1, ideal=False, log=lambda *_: None,
                      members_dir=folder)
    assert c["resumed"] == 3
    np.testing.assert_array_equal(c["history"], fresh["history"])
    # another config (momentum) has other keys
    assert member_key(replace(cfg, train={"momentum": 0.0}), settings[0], 0, False) != member_key(cfg, settings[0], 0, False)
    assert member_key(cfg, settings[0], 0, True) != member_key(cfg, settings[0], 0, False)
