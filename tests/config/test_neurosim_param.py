"""``cimjax config --from-neurosim Param.cpp``: NeuroSim's Param.cpp read into --set overrides."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from cimjax import build as build_lib
from cimjax import cli
from cimjax.config import Config, ConfigError, apply_overrides, load_config
from cimjax.config.neurosim_param import apply_param_cpp, read_param_cpp, translate
from cimjax.hw.network import LayerShape

BASE = "configs/vgg8_cifar10.py"
LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))

#: A Param.cpp of V2.0's shape (comments, if/switch blocks, derived names), with a 5-bit forward
#: ADC, a 22 nm node, a 16:1 column mux, on/off 20, a relaxed global bus and two odd entries.
PARAM_CPP = """
#include "Param.h"
using namespace std;

Param::Param() {
    /*** user defined ***/
    operationmode = 2;          // 2: conventionalParallel
    memcelltype = 2;            // RRAM
    deviceroadmap = 1;          // HP
    globalBufferType = false;
    globalBufferCoreSizeRow = 256;
    globalBufferCoreSizeCol = 64;
    tileBufferCoreSizeRow = 64;
    tileBufferCoreSizeCol = 16;
    peBufferType = true;        // SRAM tile buffers
    novelMapping = false;
    transistortype = 2;         /* FET_2D: not modelled */
    pipeline = true;
    clkFreq = 5e8;
    temp = 300;
    technode = 22;
    wireWidth = 40;
    globalBusDelayTolerance = 0.2;
    maxGlobalBusWidth = 4096;
    numRowSubArray = 128;
    numColSubArray = 128;
    numColMuxed = 16;
    levelOutput = 32;           // 5-bit ADC
    cellBit = 4;
    resistanceOn = 100e3;
    resistanceOff = 100e3*20;
    maxConductance = (double) 1/resistanceOn;
    maxNumLevelLTP = 64;
    maxNumLevelLTD = 64;
    writeVoltage = 3.5;
    readPulseWidth = 5e-9;
    trainingEstimation = true;
    batchSize = 100;
    numIteration = 500;
    numRowMuxedAG = 16;
    levelOutputAG = 64;
    levelOutputWG = 32;
    dramType = 1;
    fancyNewKnob = 3;
    if (memcelltype == 1) {
        cellBit = 1;
    }
    switch(wireWidth) {
        case 40: AR = 1.90; Rho = 4.03e-8; break;
        default: exit(-1);
    }
    unitLengthWireResistance = Rho / (wireWidth*1e-9 * wireWidth*1e-9 * AR);
}
"""

#: The same chip as --set overrides.
EQUIVALENT = [
    "hardware.cell_type=rram", "hardware.roadmap=HP", "hardware.global_buffer=register_file",
    "hardware.tile_buffer=sram", "hardware.mapping=conventional", "hardware.clock_hz=5e8",
    "hardware.temperature_k=300", "hardware.technology_node_nm=22", "hardware.wire_width_nm=40",
    "hardware.global_bus_delay_tolerance=0.2", "hardware.global_bus_width=4096", "hardware.subarray_rows=128",
    "hardware.subarray_cols=128", "hardware.columns_per_adc=16", "hardware.adc_bits=5", "hardware.cell_bits=4",
    "hardware.r_on=1e5", "hardware.on_off_ratio=20", "device.max_level=64", "hardware.write_voltage=3.5",
    "hardware.read_pulse_width=5e-9", "data.batch_size=100", "hardware.ag_rows_per_adc=16",
    "hardware.ag_adc_bits=6", "hardware.wg_adc_bits=5", "hardware.dram=gddr5", "hardware.pipeline=true",
    "hardware.global_buffer_core_rows=256", "hardware.global_buffer_core_cols=64",
    "hardware.tile_buffer_core_rows=64", "hardware.tile_buffer_core_cols=16",
]


def test_reads_the_top_level_assignments_only():
    values = read_param_cpp(PARAM_CPP)
    assert values["levelOutput"] == 32 and values["resistanceOff"] == 2e6 and values["peBufferType"] == 1
    assert values["cellBit"] == 4  # the SRAM rule inside `if` is Param.cpp's own, not an input
    assert "AR" not in values and values["maxConductance"] is None  # derived: not evaluated


def test_lists_what_it_does_not_apply_by_name():
    t = translate(PARAM_CPP)
    assert t.unknown == ("fancyNewKnob",)
    assert any(u.startswith("transistortype = 2") for u in t.unsupported)
    ignored = " ".join(t.ignored)
    for name in ("trainingEstimation", "maxConductance", "numIteration", "maxNumLevelLTD"):
        assert name in ignored, name
    assert ("operationmode", "hardware.read_mode=parallel") in t.overrides
    named = {n for n, _ in t.overrides} | set(t.unknown) | {u.split(" ")[0] for u in t.unsupported} | {
        i.split(" ")[0] for i in t.ignored}
    assert named == set(read_param_cpp(PARAM_CPP)), "a parameter was dropped silently"


def test_estimates_the_same_chip_as_the_equivalent_set_overrides(capsys, tmp_path):
    path = tmp_path / "Param.cpp"
    path.write_text(PARAM_CPP)
    assert cli.main(["config", "--config", BASE, "--from-neurosim", str(path)]) == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert printed["hardware"]["adc_bits"] == 5 and printed["hardware"]["ag_adc_bits"] == 6
    assert "fancyNewKnob" in err and "transistortype" in err and "--set hardware.adc_bits=5" in err
    got, _ = apply_param_cpp(load_config(BASE), PARAM_CPP)
    want = apply_overrides(load_config(BASE), EQUIVALENT)
    assert got == want
    a, b = build_lib.build(got, layers=LAYERS), build_lib.build(want, layers=LAYERS)
    assert a.chip == b.chip
    assert a.chip.global_buffer_core == (256, 64) and a.chip.tile_buffer_core == (64, 16)
    assert a.chip.tile_buffer == "sram"  # peBufferType = true reaches the chip
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    # --set after Param.cpp wins
    assert cli.main(["config", "--config", BASE, "--from-neurosim", str(path), "--set", "hardware.adc_bits=3"]) == 0
    assert json.loads(capsys.readouterr()[0])["hardware"]["adc_bits"] == 3


@pytest.mark.parametrize(
    "line,words",
    [
        ("numColMuxed = 12;", ["Param.cpp numColMuxed = 12", "hardware.columns_per_adc = 12", "power of two"]),
        ("levelOutput = 48;", ["Param.cpp levelOutput = 48", "2^N"]),
        ("levelOutput = 8192;", ["Param.cpp levelOutput = 8192", "hardware.adc_bits = 13", "[1, 12]"]),
        ("memcelltype = 7;", ["Param.cpp memcelltype = 7", "[1, 2, 3]"]),
        ("operationmode = 3;", ["Param.cpp operationmode = 3", "[1, 2]"]),
        ("technode = 3;", ["Param.cpp technode = 3", "hardware.technology_node_nm"]),
        ("resistanceOn = 1e5; resistanceOff = 5e4;", ["Param.cpp resistanceOff = 50000", "hardware.on_off_ratio"]),
        ("clkFreq = 1e9 << 2;", ["Param.cpp clkFreq", "not an expression"]),
        ("tileBufferCoreSizeRow = 1;", ["Param.cpp tileBufferCoreSizeRow = 1", "hardware.tile_buffer_core_rows",
                                        "[2, 65536]"]),
        ("peBufferType = 2;", ["Param.cpp peBufferType = 2", "[0, 1]"]),
        ("globalBufferCoreSizeCol = 0;", ["Param.cpp globalBufferCoreSizeCol = 0",
                                          "hardware.global_buffer_core_cols", "[1, 65536]"]),
    ],
)
def test_bad_values_fail_naming_the_parameter_and_the_field(line, words, tmp_path, capsys):
    text = "Param::Param() {\n    " + line + "\n}\n"
    with pytest.raises(ConfigError) as e:
        apply_param_cpp(Config(), text)
    for w in words:
        assert w in str(e.value), (w, str(e.value))
    path = tmp_path / "Param.cpp"
    path.write_text(text)
    assert cli.main(["config", "--config", BASE, "--from-neurosim", str(path)]) == 2
    assert words[0] in capsys.readouterr()[1]


def test_the_sequential_read_is_read_mode_sequential():
    config, _ = apply_param_cpp(Config(), "Param::Param() {\n    operationmode = 1;\n    memcelltype = 1;\n}\n")
    assert config.hardware.read_mode == "sequential" and config.hardware.cell_type == "sram"


def test_a_file_without_the_constructor_is_refused():
    with pytest.raises(ConfigError, match="Param::Param"):
        translate("int main() { return 0; }")
