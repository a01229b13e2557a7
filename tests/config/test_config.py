"""Config validation, overrides and round trips."""

import dataclasses
import glob
import json

import pytest

from cimjax.config import (
    ConfigError,
    Config,
    DataConfig,
    DeviceConfig,
    HardwareConfig,
    ModelConfig,
    QuantConfig,
    RunConfig,
    TrainConfig,
    apply_overrides,
    from_dict,
    load_config,
    replace,
    save_config,
    to_dict,
)
from cimjax.config.schema import ArraySection

# (section class, field, bad value, text the message must contain besides the field path)
BAD_FIELDS = [
    (DataConfig, "name", "imagenet", "one of"),
    (DataConfig, "name", 3, "one of"),
    (DataConfig, "batch_size", 0, "[1,"),
    (DataConfig, "batch_size", 2.5, "integer"),
    (DataConfig, "batch_size", True, "integer"),
    (DataConfig, "eval_batch_size", -1, "[1,"),
    (DataConfig, "augment", "yes", "true or false"),
    (DataConfig, "image_shape", (32, 32), "triple"),
    (DataConfig, "image_shape", (32, 0, 3), "triple"),
    (DataConfig, "num_train", 0, "or None"),
    (DataConfig, "synthetic_noise", -0.1, "[0.0, 10.0]"),
    (DataConfig, "synthetic_noise", float("nan"), "finite"),
    (DataConfig, "cifar10_source", "web", "one of"),
    (DataConfig, "data_dir", "", "non-empty"),
    (ModelConfig, "name", "resnet50", "one of"),
    (ModelConfig, "width", 0.0, "(0.0, 8.0]"),
    (ModelConfig, "num_classes", 1, "[2,"),
    (ModelConfig, "loss", "mse", "one of"),
    (ModelConfig, "input_normalisation", "zscore", "one of"),
    (QuantConfig, "weight_bits", 0, "[1, 16]"),
    (QuantConfig, "weight_bits", 17, "[1, 16]"),
    (QuantConfig, "activation_bits", -1, "[1, 16]"),
    (QuantConfig, "gradient_bits", 4.0, "[1, 16]"),
    (QuantConfig, "error_bits", 64, "[1, 16]"),
    (DeviceConfig, "name", "memristor", "fefet_hzo"),
    (DeviceConfig, "nl_ltp", 9.5, "[-9.0, 9.0]"),
    (DeviceConfig, "nl_ltd", float("inf"), "finite"),
    (DeviceConfig, "max_level", 1, "[2, 65536]"),
    (DeviceConfig, "c2c_sigma", -0.01, "[0.0, 1.0]"),
    (DeviceConfig, "d2d_sigma", -0.5, "[0.0, 9.0]"),
    (DeviceConfig, "c2c_mode", "per_cycle", "one of"),
    (DeviceConfig, "r_on", 0.0, "(0.0,"),
    (DeviceConfig, "on_off_ratio", 1.0, "(1.0,"),
    (TrainConfig, "epochs", 0, "[1,"),
    (TrainConfig, "optimizer", "adam", "one of"),
    (TrainConfig, "learning_rate", 0.0, "(0.0,"),
    (TrainConfig, "momentum", 1.0, "[0.0, 1.0)"),
    (TrainConfig, "momentum", -0.1, "[0.0, 1.0)"),
    (TrainConfig, "lr_decay_epochs", (250, 200), "increasing"),
    (TrainConfig, "lr_decay_epochs", [200], "increasing"),
    (TrainConfig, "lr_decay_factor", 0.5, "[1.0,"),
    (TrainConfig, "steps_per_epoch", 0, "or None"),
    (HardwareConfig, "cell_type", "mram", "one of"),
    (HardwareConfig, "technology_node_nm", 5, "[7, 130]"),
    (HardwareConfig, "technology_node_nm", 180, "[7, 130]"),
    (HardwareConfig, "subarray_rows", 100, "power of two"),
    (HardwareConfig, "subarray_cols", 4096, "power of two"),
    (HardwareConfig, "adc_bits", 0, "[1, 12]"),
    (HardwareConfig, "cell_bits", 0, "[1, 8]"),
    (HardwareConfig, "read_voltage", -0.5, "(0.0, 10.0]"),
    (HardwareConfig, "write_pulse_width", 0.0, "(0.0, 1.0]"),
    (HardwareConfig, "clock_hz", -1e9, "(0.0,"),
    (HardwareConfig, "temperature_k", 420.0, "[300.0, 400.0]"),
    (HardwareConfig, "mapping", "diagonal", "one of"),
    (HardwareConfig, "dram", "ddr4", "one of"),
    (HardwareConfig, "columns_per_adc", 3, "power of two"),
    (ArraySection, "mode", "analog", "one of"),
    (ArraySection, "adc_mode", "sar", "one of"),
    (ArraySection, "mapping", "single", "one of"),
    (ArraySection, "variation_sigma", -0.1, "[0.0, 10.0]"),
    (ArraySection, "retention_time", 0.0, "(0.0,"),
    (RunConfig, "seed", -1, "[0,"),
    (RunConfig, "seed", 2**32, "[0,"),
    (RunConfig, "out_dir", "", "non-empty"),
]

SECTION_NAME = {
    DataConfig: "data",
    ModelConfig: "model",
    QuantConfig: "quant",
    DeviceConfig: "device",
    TrainConfig: "train",
    HardwareConfig: "hardware",
    ArraySection: "array",
    RunConfig: "run",
}


def test_bad_table_is_large():
    assert len(BAD_FIELDS) >= 20


@pytest.mark.parametrize("cls,field,value,allowed", BAD_FIELDS, ids=lambda x: str(x)[:30])
def test_bad_field_raises_naming_field(cls, field, value, allowed):
    path = f"{SECTION_NAME[cls]}.{field}"
    with pytest.raises(ValueError) as err:
        cls(**{field: value})
    message = str(err.value)
    assert path in message
    assert repr(value) in message
    assert allowed in message


def test_defaults_are_valid_and_neurosim():
    c = Config()
    assert (c.quant.weight_bits, c.quant.activation_bits, c.quant.gradient_bits, c.quant.error_bits) == (5, 8, 5, 8)
    assert c.device.resolved().nl_ltp == 1.75 and c.device.resolved().nl_ltd == 1.46
    assert c.train.lr_decay_epochs == (200, 250) and c.run.seed == 117


def test_columns_per_adc_cannot_exceed_columns():
    with pytest.raises(ValueError, match="hardware.columns_per_adc"):
        HardwareConfig(subarray_cols=16, columns_per_adc=32)


def test_float_bits_accepted():
    q = QuantConfig(weight_bits=32, activation_bits=None, gradient_bits=1, error_bits=16)
    assert QuantConfig.is_float(q.weight_bits) and QuantConfig.is_float(q.activation_bits)
    assert not QuantConfig.is_float(q.gradient_bits)


def test_section_type_checked():
    with pytest.raises(ValueError, match="train"):
        Config(train={"epochs": 3})


def test_device_override_of_preset():
    d = DeviceConfig(name="ag_asi", c2c_sigma=0.0)
    r = d.resolved()
    assert (r.nl_ltp, r.nl_ltd, r.max_level, r.c2c_sigma) == (2.40, -4.88, 97, 0.0)


def test_overrides_parse_by_type():
    c = apply_overrides(
        Config(),
        [
            "train.epochs=3",
            "train.learning_rate=0.5",
            "data.augment=false",
            "data.image_shape=32,32,3",
            "train.lr_decay_epochs=10,20",
            "device.nl_ltp=none",
            "device.name=ideal",
            "quant.weight_bits=32",
        ],
    )
    assert c.train.epochs == 3 and c.train.learning_rate == 0.5
    assert c.data.augment is False and c.data.image_shape == (32, 32, 3)
    assert c.train.lr_decay_epochs == (10, 20)
    assert c.device.nl_ltp is None and c.device.name == "ideal"
    assert c.quant.weight_bits == 32


@pytest.mark.parametrize(
    "override,fragment",
    [
        ("train.epochs=three", "train.epochs"),
        ("train.epochs=0", "train.epochs"),
        ("data.augment=maybe", "data.augment"),
        ("nosuch.field=1", "nosuch.field"),
        ("train.nosuch=1", "train.nosuch"),
        ("train.epochs", "section.field=value"),
        ("hardware.adc_bits=0", "hardware.adc_bits"),
        ("hardware.wg_adc_bits=0", "hardware.wg_adc_bits"),
        ("hardware.wg_adc_bits=13", "hardware.wg_adc_bits"),
        ("hardware.global_bus_width=0", "hardware.global_bus_width"),
        ("hardware.neurosim_code=2021", "hardware.neurosim_code"),
    ],
)
def test_bad_overrides(override, fragment):
    with pytest.raises(ValueError) as err:
        apply_overrides(Config(), [override])
    assert fragment in str(err.value)


def test_replace_rejects_unknown():
    with pytest.raises(ValueError, match="train.nope"):
        replace(Config(), train={"nope": 1})
    assert replace(Config(), train={"epochs": 2}).train.epochs == 2


def test_json_round_trip(tmp_path):
    c = apply_overrides(Config(), ["train.epochs=4", "data.image_shape=32,32,3", "device.d2d_sigma=0.1"])
    path = tmp_path / "config.json"
    save_config(c, path)
    assert load_config(path) == c
    assert load_config(tmp_path) == c  # a run directory works too
    assert from_dict(to_dict(c)) == c
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write leaves no temporary file


def test_from_dict_rejects_unknown_and_bad():
    with pytest.raises(ValueError, match="unknown config section"):
        from_dict({"optim": {}})
    with pytest.raises(ValueError, match="model.depth"):
        from_dict({"model": {"depth": 3}})
    with pytest.raises(ValueError, match="model.width"):
        from_dict({"model": {"width": -1}})


def test_load_config_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.py")
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\n")
    with pytest.raises(ValueError, match="get_config"):
        load_config(bad)
    (tmp_path / "c.yaml").write_text("a: 1\n")
    with pytest.raises(ValueError, match=".py or .json"):
        load_config(tmp_path / "c.yaml")


@pytest.mark.parametrize("path", sorted(glob.glob("configs/*.py")))
def test_shipped_configs_load(path):
    c = load_config(path)
    assert isinstance(c, Config)
    assert json.loads(json.dumps(to_dict(c)))


def test_vgg8_cifar10_is_neurosim_default():
    c = load_config("configs/vgg8_cifar10.py")
    assert c.data.name == "cifar10" and c.data.batch_size == 200 and c.data.augment
    assert c.model.name == "vgg8" and c.model.width == 1.0 and c.model.loss == "sse"
    assert c.train.epochs == 257 and c.train.lr_decay_epochs == (200, 250) and c.train.lr_decay_factor == 8
    assert c.device.name == "fefet_hzo" and c.run.seed == 117
    h = c.hardware
    assert (h.cell_type, h.technology_node_nm, h.subarray_rows, h.adc_bits) == ("rram", 32.0, 128, 6)


def test_configs_are_frozen():
    c = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.train.epochs = 3


def test_cross_section_rules_checked_when_config_is_built():
    with pytest.raises(ConfigError) as err:
        apply_overrides(Config(), ["array.mode=hw_forward", "hardware.cell_bits=2"])
    assert "quant.weight_bits" in str(err.value) and "hardware.cell_bits" in str(err.value)
    with pytest.raises(ConfigError, match="hardware.adc_bits"):
        apply_overrides(Config(), ["array.mode=hw_full", "array.adc_mode=nonlinear"])  # 6-bit ADC has no table
    assert apply_overrides(Config(), ["array.mode=hw_forward"]).array.mode == "hw_forward"
