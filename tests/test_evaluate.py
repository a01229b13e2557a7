"""`cimjax evaluate`: a trained run's test accuracy under analog-array effects (issue 6)."""

from __future__ import annotations

import csv
import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from cimjax.analog import ArrayConfig, analog_dense, cell_shape, draw_drift_sign, draw_variation
from cimjax.cli import main
from cimjax.checkpoint import Checkpointer
from cimjax.config import (ArraySection, Config, ConfigError, DataConfig, HardwareConfig, ModelConfig, QuantConfig,
                           RunConfig, TrainConfig, apply_overrides, load_config, replace)
from cimjax.data import load_dataset
from cimjax.evaluate import _effective_variation, evaluate_run
from cimjax.nn.layers import CIMDense
from cimjax.train import train_and_evaluate
from cimjax.trainer import Trainer, make_keys


def _config(out: str, **array) -> Config:
    return Config(
        data=DataConfig(name="synthetic", image_shape=(8, 8, 1), batch_size=50, eval_batch_size=80,
                        synthetic_train_size=400, synthetic_test_size=200),
        model=ModelConfig(name="mlp", hidden=48, num_classes=10, loss="sse"),
        quant=QuantConfig(weight_bits=8),
        hardware=HardwareConfig(cell_bits=4, adc_bits=5),
        train=TrainConfig(epochs=2, optimizer="sgd", learning_rate=0.01, lr_decay_epochs=()),
        array=ArraySection(**array),
        run=RunConfig(seed=3, out_dir=out, name="tiny", estimate_each_epoch=False),  # the estimate is tested elsewhere
    )


def _quiet(*_args, **_kw) -> None:
    pass


@pytest.fixture(scope="module")
def ideal_run(tmp_path_factory) -> tuple[str, dict]:
    out = str(tmp_path_factory.mktemp("ideal") / "run")
    return out, train_and_evaluate(_config(out), progress=False, log=_quiet)


def _eval(run: str, tmp_path, name: str, overrides=(), sweeps=(), **kw) -> dict:
    return evaluate_run(run, overrides, sweeps, str(tmp_path / name), progress=False, log=_quiet, **kw)


def test_reproduces_the_training_accuracy(ideal_run, tmp_path):
    run, summary = ideal_run
    rep = _eval(run, tmp_path, "ideal", ["array.mode=ideal"])
    assert rep["base"]["accuracy"] == summary["final_accuracy"]
    assert rep["base"]["test_loss"] == pytest.approx(summary["final_test_loss"], rel=1e-5)
    assert rep["trace"] == []  # no array, no trace
    # Effects off (no ADC, σ = 0, t = t0): only the array's own weight/input grids (8-bit
    # weights on 4-bit cells: within 1/256 of WAGE's) separate the read from the float product.
    rep = _eval(run, tmp_path, "off", ["array.adc_mode=none", "array.drift_v=0.05"])
    assert abs(rep["base"]["accuracy"] - summary["final_accuracy"]) <= 2.0


def test_hw_read_is_the_training_loops_evaluation(ideal_run, tmp_path):
    """The base setting equals Trainer.evaluate of a model trained with the same array
    settings (same batches, zero-padded last batch, variation drawn from the same seed)."""
    run, _ = ideal_run
    over = ["array.variation_sigma=0.1", "hardware.adc_bits=3"]
    rep = _eval(run, tmp_path, "hw", over)
    config = apply_overrides(replace(load_config(run), array={"mode": "hw_forward"}), over)
    ds = load_dataset(config.data, key=make_keys(config.run.seed).data)
    trainer = Trainer(config, (8, 8, 1), 8, make_keys(config.run.seed))
    state = Checkpointer(os.path.join(run, "checkpoints")).restore(trainer.initial_state)
    loss, acc = trainer.evaluate(state.params, ds.test_images, ds.test_labels)
    assert rep["base"]["accuracy"] == acc
    assert rep["base"]["test_loss"] == pytest.approx(loss, rel=1e-4)


def test_adc_sweep_outputs_and_trace(ideal_run, tmp_path):
    run, summary = ideal_run
    bits = [1, 2, 4, 12]
    code = main(["evaluate", "--checkpoint", run, "--sweep", "hardware.adc_bits=" + ",".join(map(str, bits)),
                 "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 0
    rows = list(csv.DictReader(open(tmp_path / "o" / "evaluate.csv")))
    assert [r["setting"] for r in rows] == ["base"] + ["sweep"] * 4
    assert [int(r["hardware.adc_bits"]) for r in rows[1:]] == bits
    acc = [float(r["accuracy"]) for r in rows[1:]]
    assert all(b >= a - 3.0 for a, b in zip(acc, acc[1:])), acc  # non-decreasing within 3 points
    assert acc[0] < acc[-1] - 10.0, acc
    assert abs(acc[-1] - summary["final_accuracy"]) <= 3.0, acc
    rep = json.load(open(tmp_path / "o" / "evaluate.json"))
    assert rep["sweeps"] == {"hardware.adc_bits": bits} and len(rep["results"]) == 4
    assert os.path.getsize(tmp_path / "o" / "evaluate.png") > 1000
    trace = list(csv.DictReader(open(tmp_path / "o" / "evaluate_trace.csv")))
    assert [t["layer"] for t in trace] == ["fc1", "fc2"]
    fc1, fc2 = trace
    # fc1 reads the float image (no ADC); fc2 reads its 48 rows in one sub-array, 8 input
    # bits, 2 cells per 8-bit weight, 10 outputs, 1 dummy column: 8·(2·10 + 1) conversions.
    assert fc1["adc_conversions_per_image"] == "0" and fc1["input_bit_density"] == "nan"
    assert int(fc2["adc_conversions_per_image"]) == 8 * (2 * 10 + 1)
    assert int(fc2["subarray_reads_per_image"]) == 8
    assert int(fc2["adc_conversions_transposed_per_image"]) == 0  # hw_forward: no transposed read
    assert 0 < float(fc2["input_bit_density"]) < 1
    assert 0 < float(fc2["subarray_activations_per_image"]) <= 8


def test_vmapped_sweep_equals_single_evaluations(ideal_run, tmp_path):
    run, _ = ideal_run
    base = ["array.drift_v=0.1", "array.drift_mode=random"]
    sweeps = ["array.variation_sigma=0,0.5", "array.retention_time=1,1e6", "run.seed=0,5"]
    rep = _eval(run, tmp_path, "vm", base, sweeps, vmap_size=3)  # 8 settings: chunks of 3, 3, 2 (padded)
    assert len(rep["results"]) == 8
    accs = {r["accuracy"] for r in rep["results"]}
    assert len(accs) > 2  # the effects do something
    n = rep["test_images"]
    for r in (rep["results"][4], rep["results"][-1]):
        one = _eval(run, tmp_path, "one", base + [f"array.variation_sigma={r['array.variation_sigma']}",
                                                  f"array.retention_time={r['array.retention_time']}",
                                                  f"run.seed={r['run.seed']}"])
        assert abs(one["base"]["accuracy"] - r["accuracy"]) <= 100.0 / n + 1e-9, r


def test_folded_retention_and_variation_equal_the_static_read():
    """ε' = g(t)/g0·(1 + ε) − 1 reproduces the read with retention_time and variation given
    statically (target and random drift, dummy and differential mapping)."""
    x = jax.random.uniform(jax.random.key(0), (16, 24))
    for mapping, mode in (("dummy", "target"), ("differential", "random")):
        cfg = ArrayConfig(weight_bits=8, cell_bits=4, input_bits=4, subarray_rows=16, mapping=mapping,
                          drift_mode=mode, adc_bits=5)
        layer = CIMDense(24, 6, weight_bits=8, act_bits=8, err_bits=8, array=cfg, rngs=nnx.Rngs(params=1))
        w = layer.kernel[...]
        from cimjax.nn import wage

        wq = wage.wage_quantize_weight(w, layer.scale, 8)
        shape = cell_shape(w.shape, cfg)
        eps = draw_variation(jax.random.key(2), shape, 1.0)
        sign = draw_drift_sign(jax.random.key(3), shape) if mode == "random" else None
        static = dataclasses.replace(cfg, retention_time=1e5, drift_v=0.05)
        want = analog_dense(x, wq, static, variation=0.1 * eps, drift_sign=sign, loop="none")
        folded = _effective_variation(layer, eps, sign, jnp.float32(0.1), jnp.float32(1e5), 0.05)
        got = analog_dense(x, wq, cfg, variation=folded, loop="none")
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        assert not np.allclose(want, analog_dense(x, wq, cfg, variation=0.1 * eps, loop="none"), atol=1e-3)


def test_clear_errors(ideal_run, tmp_path, capsys):
    run, _ = ideal_run
    cases = [
        (["--sweep", "model.width=0.5,1"], "model.width"),
        (["--sweep", "hardware.clock_hz=1e9,2e9"], "hardware.clock_hz"),
        (["--sweep", "array.nope=1,2"], "array.nope"),
        (["--sweep", "hardware.adc_bits=4,99"], "hardware.adc_bits"),
        (["--set", "model.hidden=10"], "model.hidden"),
        (["--set", "array.mode=ideal", "--sweep", "hardware.adc_bits=2,4"], "array.mode"),
    ]
    for extra, field in cases:
        assert main(["evaluate", "--checkpoint", run, "--no-progress", *extra]) == 2
        err = capsys.readouterr().err
        assert field in err and "Traceback" not in err, err
    assert main(["evaluate", "--checkpoint", str(tmp_path / "nothing")]) == 2
    assert "config.json" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text(open(os.path.join(run, "config.json")).read())
    assert main(["evaluate", "--checkpoint", str(empty)]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert not (empty / "checkpoints").exists()
    with pytest.raises(ConfigError, match="twice"):
        evaluate_run(run, sweeps=["hardware.adc_bits=2,2"], out_dir=str(tmp_path / "x"), progress=False, log=_quiet)


def test_random_drift_is_wired_from_the_config():
    """array.drift_mode = random gives each analog layer a static drift-sign draw."""
    from cimjax.nn import layer_arrays
    from cimjax.config import Config

    arrays = layer_arrays(Config(array=ArraySection(mode="hw_forward", drift_mode="random", drift_v=0.1),
                                 hardware=HardwareConfig(cell_bits=4), quant=QuantConfig(weight_bits=8)))
    assert arrays.later.drift_mode == "random"
    layer = CIMDense(24, 6, weight_bits=8, act_bits=8, err_bits=8, array=arrays.later, rngs=nnx.Rngs(params=0))
    assert layer.drift_sign is not None and set(np.unique(layer.drift_sign[...])) <= {-1.0, 0.0, 1.0}
    with pytest.raises(ValueError, match="array.drift_mode"):
        ArraySection(drift_mode="sideways")


def test_sweep_names_are_parameters_or_config_fields():
    """``cimjax evaluate --sweep`` speaks the sweep language of ``cimjax sweep``: a parameter
    name of cimjax.dse.params or its config field."""
    from cimjax.config import Config
    from cimjax.evaluate import SWEEPABLE, TRACED, parse_sweep

    base = Config()
    assert parse_sweep("adc_bits=2,4", base) == parse_sweep("hardware.adc_bits=2,4", base) == (
        "hardware.adc_bits", [2, 4])
    assert parse_sweep("variation_sigma=0,0.05", base) == ("array.variation_sigma", [0.0, 0.05])
    assert parse_sweep("array_mode=hw_forward,hw_full", base) == ("array.mode", ["hw_forward", "hw_full"])
    assert set(TRACED) == {"array.variation_sigma", "array.retention_time", "run.seed"} and set(TRACED) <= set(SWEEPABLE)
    with pytest.raises(ConfigError, match="hardware.clock_hz"):
        parse_sweep("clock_hz=1e9,2e9", base)
