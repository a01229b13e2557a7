"""The register-file buffer cores (``Param.cpp`` ``globalBufferCoreSizeRow/Col``,
``tileBufferCoreSizeRow/Col``): config fields, their build into the chip, and what they move.
NeuroSim's own run with other cores is the ``bufferCores`` variant of
``tests/hw/test_hw_neurosim_variants.py``."""

from __future__ import annotations

import dataclasses

import pytest

from cimjax import build as build_lib
from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.estimate import estimate_build, figure
from cimjax.hw import chip
from cimjax.hw.components import misc
from cimjax.hw.network import LayerShape

LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))


def test_defaults_are_neurosims_and_an_int_is_a_square_core():
    c = build_lib.build(Config(), layers=LAYERS).chip
    assert c.global_buffer_core == (128, 128) and c.tile_buffer_core == (32, 32)
    assert dataclasses.replace(c, global_buffer_core=64).global_buffer_core == (64, 64)
    assert misc.core_shape((256, 16)) == (256, 16)


@pytest.mark.parametrize("override,words", [
    ("hardware.global_buffer_core_rows=1", ["hardware.global_buffer_core_rows", "[2, 65536]"]),
    ("hardware.global_buffer_core_cols=0", ["hardware.global_buffer_core_cols", "[1, 65536]"]),
    ("hardware.tile_buffer_core_rows=70000", ["hardware.tile_buffer_core_rows", "[2, 65536]"]),
    ("hardware.tile_buffer_core_cols=2.5", ["hardware.tile_buffer_core_cols"]),
])
def test_bad_cores_fail_at_config_build_naming_the_field(override, words):
    with pytest.raises(ConfigError) as e:
        apply_overrides(Config(), [override])
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_chip_config_refuses_a_bad_core():
    with pytest.raises(ValueError, match="ChipConfig.tile_buffer_core"):
        chip.ChipConfig(LAYERS, tile_buffer_core=(1, 32))


@pytest.mark.slow  # two estimates (~40 s on the 2-core VM); the bufferCores variant checks the same in the default suite
def test_cores_reach_the_chip_and_move_the_buffers():
    """Narrower tile cores (16-bit lines) take twice the line accesses for the same bits: the
    buffer latency grows; a longer global core (256 lines of 64 bits) changes the global buffer,
    while the arrays and the ADCs stay as they are."""
    base = build_lib.build(Config(), layers=LAYERS)
    cfg = apply_overrides(Config(), ["hardware.global_buffer_core_rows=256", "hardware.global_buffer_core_cols=64",
                                     "hardware.tile_buffer_core_rows=64", "hardware.tile_buffer_core_cols=16"])
    var = build_lib.build(cfg, layers=LAYERS)
    assert var.chip.global_buffer_core == (256, 64) and var.chip.tile_buffer_core == (64, 16)
    a, b = estimate_build(base), estimate_build(var)
    assert float(figure(b, "breakdown.buffer.latency")) > 1.2 * float(figure(a, "breakdown.buffer.latency"))
    assert float(figure(b, "area.adc")) == pytest.approx(float(figure(a, "area.adc")), rel=1e-9)
    assert float(figure(b, "area.array")) == pytest.approx(float(figure(a, "area.array")), rel=1e-9)
