"""The one road from a config to the chip (cimjax.build): every rule once, every consumer through it."""

import math

import numpy as np
import pytest

from cimjax import build as build_lib
from cimjax.config import Config, DataConfig, HardwareConfig, ModelConfig, QuantConfig, apply_overrides, load_config
from cimjax.hw import chip
from cimjax.hw.network import LayerShape
from cimjax.report.mapping import mapping
from cimjax.report.tables import mapping_table as _mapping_table

def mapping_table(b):
    """The training report's and ``cimjax estimate``'s mapping table of a build."""
    return _mapping_table(mapping(b), b.config.hardware)


LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))


def test_build_maps_the_schema_onto_the_chip():
    cfg = Config(
        data=DataConfig(batch_size=100, num_train=1000),
        model=ModelConfig(),
        quant=QuantConfig(weight_bits=4, activation_bits=6),
        hardware=HardwareConfig(adc_bits=5, cell_bits=5, technology_node_nm=45.0, mapping="conventional", r_on=200e3,
                                wg_adc_bits=6, global_bus_width=1024, roadmap="HP", vdd_scale=0.9,
                                wire_width_nm=56.0),
    )
    b = build_lib.build(cfg, layers=LAYERS)
    params, config = b.params, b.chip
    assert config.layers == LAYERS and config.novel_mapping is False and config.roadmap == "HP"
    assert float(params.batch_size) == 100.0 and float(params.num_iterations) == 10.0
    assert b.iterations_per_epoch == 10 and b.images_per_epoch == 1000
    assert float(params.synapse_bits) == 4.0 and float(params.num_bit_input) == 6.0
    assert float(params.floorplan.cell_bits) == 4.0  # lowered to the weight bits (main.cpp)
    assert float(params.subarray.adc_levels) == 32.0 and float(params.subarray.adc_levels_ag) == 32.0
    assert float(params.wg.adc_levels) == 64.0 and float(params.floorplan.max_global_bus_width) == 1024.0
    assert float(params.subarray.r_off) == pytest.approx(2e6)
    assert float(params.circuit.node_nm) == 45.0 and float(params.subarray.circuit.node_nm) == 45.0
    assert float(params.circuit.vdd_scale) == pytest.approx(0.9) and float(params.wg.circuit.wire_width_nm) == 56.0
    assert config.wg_input_bits == 6 and config.reference_subarray == (128, 128, 4, 4)


def test_every_knob_names_a_config_field():
    values = build_lib.knob_values(Config())
    assert set(values) == set(build_lib.KNOBS)
    for name, knob in build_lib.KNOBS.items():
        assert knob.traced or knob.static, name
        assert build_lib.field_value(Config(), knob.field) == values[name]


def test_neurosim_code_reaches_the_chip():
    assert build_lib.build(Config(), layers=LAYERS).chip.neurosim_code == "current"
    march = apply_overrides(Config(), ["hardware.neurosim_code=march2020"])
    assert build_lib.build(march, layers=LAYERS).chip.neurosim_code == "march2020"


@pytest.mark.parametrize(
    "path,overrides,iterations",
    [
        ("configs/quickstart.py", [], 60),  # 6,000 embedded images, batch 100
        ("configs/vgg8_cifar10.py", [], 250),  # NeuroSim: 50,000 / 200
        ("configs/synthetic_smoke.py", ["train.steps_per_epoch=7"], 7),
        ("configs/quickstart.py", ["data.num_train=1050"], 10),  # full batches only
    ],
)
def test_iterations_per_epoch_follow_the_training_loop(path, overrides, iterations):
    from cimjax.trainer import steps_per_epoch

    config = apply_overrides(load_config(path), overrides)
    b = build_lib.build(config)
    assert float(b.params.num_iterations) == b.iterations_per_epoch == iterations
    assert steps_per_epoch(config, build_lib.train_size(config)) == iterations


def test_iterations_rule_is_exact_for_arrays_and_numbers():
    for n, batch, cap in ((50000, 200, math.inf), (49999, 7, math.inf), (100, 300, math.inf), (6000, 7, 100)):
        want = min(max(1, n // batch), cap)
        assert build_lib.iterations_per_epoch(n, batch, cap) == want
        assert float(build_lib.iterations_per_epoch(np.float32(n), np.float32(batch), cap)) == want


def test_sram_stores_one_bit_per_cell_in_the_estimate_and_the_report():
    config = apply_overrides(load_config("configs/vgg8_cifar10.py"), ["hardware.cell_type=sram"])
    b = build_lib.build(config)
    fp_params, _ = chip.floorplan_inputs(b.params, b.chip)
    assert float(fp_params.cell_bits) == 1.0
    table = mapping_table(b)
    assert "5-bit weights in 5 cell(s) of 1 bit" in table
    assert f"{b.chip.tile_grid[0]}x{b.chip.tile_grid[1]} tile grid" in table


def _chip_row_tiles(table: str) -> int:
    row = next(line for line in table.splitlines() if line.startswith("chip "))
    return int(row.split()[3])


def test_float_weights_give_the_same_tiles_in_the_report_and_the_estimator():
    """Regression: with float weights the training report's mapping table showed 25 tiles on a
    5×5 grid (an 8-bit fallback) while the estimator costs 15 on 4×4 (NeuroSim's 5 bits)."""
    config = apply_overrides(load_config("configs/vgg8_cifar10.py"), ["quant.weight_bits=null"])
    b = build_lib.build(config)
    table = mapping_table(b)
    fp = b.floorplan()
    assert b.facts.synapse_bits == 5 and b.chip.tile_grid == (4, 4)
    assert _chip_row_tiles(table) == int(fp.total_tiles) == 15
    assert "4x4 tile grid" in table
    five = build_lib.build(apply_overrides(config, ["quant.weight_bits=5"]))
    assert int(five.floorplan().total_tiles) == 15 and five.chip == b.chip


def test_trace_layer_count_is_checked():
    from cimjax.config import ConfigError
    from cimjax import trace as trace_lib

    with pytest.raises(ConfigError, match="3 layers"):
        build_lib.build(Config(), layers=LAYERS, trace=trace_lib.make_trace([0.5] * 3))


def test_cell_resistance_follows_the_device_only_when_asked():
    """``hardware.cell_resistance``: the estimate costs hardware.r_on / on_off_ratio (NeuroSim's
    Param.cpp values, the default) or the training device's (its preset's, or device.r_on /
    on_off_ratio); a device resistance that would not reach the estimate is refused."""
    from cimjax.config import ConfigError
    from cimjax.devices.presets import PRESETS
    from cimjax.nn.models import layer_arrays

    default = build_lib.build(Config(), layers=LAYERS).params.subarray
    assert float(default.r_on) == 100e3 and float(default.r_off) == pytest.approx(1e6)
    ag = apply_overrides(Config(), ["device.name=ag_asi", "hardware.cell_resistance=device"])
    p = build_lib.build(ag, layers=LAYERS).params.subarray
    assert float(p.r_on) == pytest.approx(PRESETS["ag_asi"].r_on)
    assert float(p.r_off) == pytest.approx(PRESETS["ag_asi"].r_on * PRESETS["ag_asi"].on_off_ratio, rel=1e-6)
    own = apply_overrides(Config(), ["hardware.cell_resistance=device", "device.r_on=2e5", "device.on_off_ratio=30"])
    assert build_lib.knob_values(own)["r_on"] == 2e5 and build_lib.knob_values(own)["on_off_ratio"] == 30.0
    # the analog read of hw_forward takes the same on/off ratio
    hw = apply_overrides(own, ["array.mode=hw_forward"])
    assert layer_arrays(hw).later.on_off_ratio == 30.0
    with pytest.raises(ConfigError, match=r"device\.r_on.*cell_resistance"):
        apply_overrides(Config(), ["device.r_on=2e5"])
    with pytest.raises(ConfigError, match=r"hardware\.on_off_ratio"):
        apply_overrides(Config(), ["hardware.cell_resistance=device", "hardware.on_off_ratio=20"])
    with pytest.raises(ConfigError, match=r"hardware\.cell_resistance"):
        apply_overrides(Config(), ["hardware.cell_resistance=preset"])
