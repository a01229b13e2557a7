"""NeuroSim's pipeline, speedUpDegree, reLu and chipActivation as config fields (issue 15).

The whole-chip figures are checked against NeuroSim's own runs in
``tests/hw/test_hw_neurosim_variants.py`` (variants ``pipeline``, ``pipeline_speedUp4``, ``reLu_false``
and ``chipActivation_false``). On VGG-8 the
pipeline adds no copies (every allowed ``speedUpDegree`` wants at most the duplication the layers
already have), so the copies themselves are checked here on a two-layer network whose first layer
is too large to be duplicated, against numbers worked by hand from ``Chip.cpp``
(``ChipDesignInitialize``, ``OverallEachLayer``, ``ChipInitialize``).
"""

from __future__ import annotations

import numpy as np
import pytest

from cimjax import build as build_lib
from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.config.neurosim_param import apply_param_cpp
from cimjax import host_eval
from cimjax.hw.floorplan import FloorplanConfig, FloorplanParams, floorplan, pipeline_speedups
from cimjax.hw.network import LayerShape

# 32×32 input, 512 → 512 channels, 3×3 (4608 rows: no duplication), then an 8×8 one.
BIG = (LayerShape(32, 32, 512, 3, 3, 512, False), LayerShape(8, 8, 512, 3, 3, 512, False))


def _plan(params, config):
    """The floorplan, host-evaluated (no XLA compile)."""
    return host_eval.call(lambda p: floorplan(p, config), params)


def test_pipeline_speedups_as_neurosim_counts_them():
    # b = ⌈32/d⌉; copies ⌈(IFM/b)²⌉; d lowered to ⌊32/8⌋ = 4.
    assert pipeline_speedups(BIG, 1) == (1, 1)
    assert pipeline_speedups(BIG, 2) == (4, 1)  # b = 16: (32/16)² = 4, (8/16)² → 1
    assert pipeline_speedups(BIG, 4) == (16, 1)  # b = 8
    assert pipeline_speedups(BIG, 100) == (16, 1)  # lowered to the bound 4


def test_pipeline_multiplies_the_tiles_of_an_unduplicated_layer():
    params = FloorplanParams()
    flat = _plan(params, FloorplanConfig(BIG))
    piped = _plan(params, FloorplanConfig(BIG, pipeline=True, speed_up_degree=4))
    assert np.all(np.asarray(flat.speedup) == 1.0)  # neither layer is duplicated
    np.testing.assert_array_equal(np.asarray(piped.pipeline_copies), [16.0, 1.0])
    np.testing.assert_array_equal(np.asarray(piped.tiles), np.asarray(flat.tiles) * [16.0, 1.0])
    np.testing.assert_array_equal(np.asarray(piped.speedup), [16.0, 1.0])
    # max(copies, duplication) weights over the grown capacity: the utilisation is unchanged.
    np.testing.assert_allclose(np.asarray(piped.utilization), np.asarray(flat.utilization))
    assert float(piped.total_tiles) == float(np.sum(np.asarray(flat.tiles) * [16.0, 1.0]))


def test_pipeline_global_bus_counts_every_tile():
    params = FloorplanParams(max_global_bus_width=1e9)  # no halving
    flat = _plan(params, FloorplanConfig(BIG))
    piped = _plan(params, FloorplanConfig(BIG, pipeline=True))
    tiles = np.asarray(flat.tiles)
    # ChipInitialize: Σ (side + side/numColMuxed)·tiles_l (pipeline) vs Σ (side + side/numColMuxed).
    per_tile = float(flat.global_bus_width) / len(BIG)  # both layers NM here: the same tile side
    assert float(piped.global_bus_width) == pytest.approx(per_tile * tiles.sum())


def test_fields_validate_and_reach_the_chip():
    with pytest.raises(ConfigError, match="hardware.speed_up_degree"):
        apply_overrides(Config(), ["hardware.speed_up_degree=0"])
    with pytest.raises(ConfigError, match="hardware.activation"):
        apply_overrides(Config(), ["hardware.activation=tanh"])
    with pytest.raises(ConfigError, match="hardware.pipeline"):
        apply_overrides(Config(), ["hardware.pipeline=2"])
    with pytest.raises(ConfigError, match="hardware.chip_activation"):
        apply_overrides(Config(), ["hardware.chip_activation=false", "hardware.activation=sigmoid"])
    cfg = apply_overrides(Config(), ["hardware.pipeline=true", "hardware.speed_up_degree=3",
                                     "hardware.activation=sigmoid"])
    chip = build_lib.build(cfg).chip
    assert (chip.pipeline, chip.speed_up_degree, chip.activation) == (True, 3, "sigmoid")
    assert not build_lib.build(apply_overrides(Config(), ["hardware.chip_activation=false"])).chip.chip_activation
    assert chip.floorplan_config.pipeline and chip.floorplan_config.speed_up_degree == 3
    default = build_lib.build(Config()).chip
    assert (default.pipeline, default.speed_up_degree, default.activation, default.chip_activation) == (
        False, 1, "relu", True)


def test_from_neurosim_reads_the_knobs():
    text = """Param::Param() {
        pipeline = true;
        speedUpDegree = 2;
        reLu = false;
    }"""
    cfg, tr = apply_param_cpp(Config(), text)
    assert (cfg.hardware.pipeline, cfg.hardware.speed_up_degree, cfg.hardware.activation) == (True, 2, "sigmoid")
    assert sorted(tr.sets) == sorted(["hardware.pipeline=True", "hardware.speed_up_degree=2",
                                      "hardware.activation=sigmoid"])
    cfg, _ = apply_param_cpp(Config(), "Param::Param() { chipActivation = false; }")
    assert cfg.hardware.chip_activation is False
    with pytest.raises(ConfigError, match="hardware.chip_activation"):
        apply_param_cpp(Config(), "Param::Param() { chipActivation = false; reLu = false; }")
    with pytest.raises(ConfigError, match="speed_up_degree|speedUpDegree"):
        apply_param_cpp(Config(), "Param::Param() { speedUpDegree = 0; }")


@pytest.mark.slow  # ~30 s; the default suite checks the same chip against NeuroSim (variant pipeline)
def test_pipelined_estimate_is_the_slowest_layer():
    """FW and AG latency = the slowest layer's, WG summed, peak WG/WU latency 0, leakage of the
    waiting layers (main.cpp's pipeline loop); traced end to end (host-evaluated)."""
    from cimjax.estimate import estimate_build

    est = estimate_build(build_lib.build(apply_overrides(Config(), ["hardware.pipeline=true"])))
    fw, ag = np.asarray(est.layers.fw.latency), np.asarray(est.layers.ag.latency)
    assert float(est.fw.latency) == pytest.approx(fw.max())
    assert float(est.ag.latency) == pytest.approx(ag.max())
    assert float(est.wg.latency) == pytest.approx(float(np.sum(np.asarray(est.layers.wg.latency))))
    assert float(est.fw.energy) == pytest.approx(float(np.sum(np.asarray(est.layers.fw.energy))))
    assert float(est.wg.peak_latency) == 0.0 and float(est.wu.peak_latency) == 0.0
    leak = np.asarray(est.layers.leakage_power)
    assert float(est.leakage_energy) == pytest.approx(float(np.sum(leak * ((fw.max() - fw) + (ag.max() - ag)))))
