"""Selectable array modes in training: ideal, hw_forward, hw_full (issue 6, item 4)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from cimjax.analog import ArrayConfig, cell_shape, ideal_conv, ideal_dense
from cimjax.config import Config, ConfigError, HardwareConfig, ModelConfig, QuantConfig, apply_overrides, load_config, replace
from cimjax.config.schema import ArraySection
from cimjax.nn import wage
from cimjax.nn import layer_arrays
from cimjax.nn.layers import CellVariation, CIMConv, CIMDense
from cimjax.nn.models import create_model
from cimjax.train import train_and_evaluate

MLP = ModelConfig(name="mlp", hidden=32)
SHAPE = (8, 8, 1)
# 8-bit weights on 4-bit cells: the analog weight grid (2X − 255)/256 is then within
# 1/256 of WAGE's k/128 grid, so the array's own rounding stays small next to the ADC.
QUANT8 = QuantConfig(weight_bits=8)
HW8 = HardwareConfig(cell_bits=4)


def images(n: int = 64, seed: int = 1) -> jax.Array:
    """Normalised images in [−1, 1], as the training loop feeds the model."""
    return jax.random.uniform(jax.random.key(seed), (n, *SHAPE), minval=-1.0, maxval=1.0)


def sections(quant=QUANT8, hardware=HW8, **array) -> Config:
    """A config with these sections (its cross-section rules checked when it is built)."""
    return Config(quant=quant, hardware=hardware, array=ArraySection(**array))


def build(quant=QUANT8, hardware=HW8, seed=0, **array):
    arrays = layer_arrays(sections(quant, hardware, **array))
    return create_model(MLP, quant, SHAPE, rngs=nnx.Rngs(params=seed), arrays=arrays)


def rel(a, b) -> float:
    return float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))


def test_ideal_mode_is_todays_network():
    x = images()
    plain = create_model(MLP, QUANT8, SHAPE, rngs=nnx.Rngs(params=0))
    ideal = build(mode="ideal")
    assert ideal.fc1.array is None and ideal.fc2.array is None
    np.testing.assert_array_equal(plain(x), ideal(x))


def test_layer_configs_come_from_one_source_each():
    arrays = layer_arrays(sections(
        QuantConfig(weight_bits=6, activation_bits=7),
        HardwareConfig(subarray_rows=64, adc_bits=4, cell_bits=2, on_off_ratio=20.0),
        mode="hw_full", adc_mode="nonlinear", mapping="differential",
    ))
    later = arrays.later
    assert (later.weight_bits, later.input_bits, later.cell_bits) == (6, 7, 2)
    assert (later.subarray_rows, later.adc_bits, later.on_off_ratio) == (64, 4, 20.0)
    assert (later.adc_mode, later.mapping, later.bit_serial) == ("nonlinear", "differential", True)
    assert (arrays.first.adc_mode, arrays.first.bit_serial) == ("none", False)
    assert arrays.backward == "analog"
    assert layer_arrays(sections()) is None
    model = build(mode="hw_full")
    assert model.fc1.backward == "ste" and model.fc2.backward == "analog"  # ∂image is never used


def test_hw_forward_without_adc_is_the_ideal_array_product():
    """With no ADC the dummy column cancels the off-state current exactly, for any finite
    on/off ratio (Σx·(g − g_dummy) = (1 − lower)·Σx·(r − (cellRange − 1)/2)), so the config's
    on/off ratio of 10 still gives the ideal array product x̂ @ ŵ; only float round-off
    (partial sums vs one matmul) separates the two (atol 1e-5 on logits of size ~1)."""
    x = images()
    hw = build(mode="hw_forward", adc_mode="none")
    got = hw(x)
    h = x.reshape((x.shape[0], -1))
    w1 = wage.wage_quantize_weight(hw.fc1.kernel[...], hw.fc1.scale, 8)
    h = ideal_dense(h, w1, hw.fc1.array) / hw.fc1.scale
    h = jax.nn.relu(wage.wage_quantize_activation(h, 8, 8))
    w2 = wage.wage_quantize_weight(hw.fc2.kernel[...], hw.fc2.scale, 8)
    expected = ideal_dense(h, w2, hw.fc2.array) / hw.fc2.scale
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    # Against the float (ideal-mode) network the only difference is the array's weight
    # grid (≤ 1/256 per weight) and input grid (≤ 1/256 per 8-bit activation): ~2 %.
    ideal = build()
    assert rel(got, ideal(x)) < 0.05


def test_infinite_on_off_layer_matches_ideal_dense():
    """``hardware.on_off_ratio`` cannot be inf in a config, so this builds the layer's
    ArrayConfig directly (G_min = 0, bit-serial input, no ADC)."""
    cfg = ArrayConfig(weight_bits=8, input_bits=8, cell_bits=4, on_off_ratio=math.inf, adc_mode="none")
    layer = CIMDense(48, 16, weight_bits=8, act_bits=None, err_bits=8, array=cfg, rngs=nnx.Rngs(params=3))
    x = jax.random.uniform(jax.random.key(2), (20, 48))
    wq = wage.wage_quantize_weight(layer.kernel[...], layer.scale, 8)
    np.testing.assert_allclose(layer(x), ideal_dense(x, wq, cfg) / layer.scale, atol=1e-5, rtol=0)


def test_conv_layer_reads_through_the_array():
    """A small CIMConv: no ADC → the ideal array conv; a 3-bit ADC → visibly different."""
    base = dict(weight_bits=8, act_bits=8, err_bits=8, rngs=nnx.Rngs(params=5))
    cfg = ArrayConfig(weight_bits=8, input_bits=8, cell_bits=4, adc_mode="none")
    layer = CIMConv(3, 4, **base, array=cfg)
    x = jax.random.uniform(jax.random.key(6), (2, 6, 6, 3))
    wq = wage.wage_quantize_weight(layer.kernel[...], layer.scale, 8)
    expected = wage.wage_quantize_activation(ideal_conv(x, wq, cfg) / layer.scale, 8, 8)
    np.testing.assert_allclose(layer(x), expected, atol=1e-5, rtol=0)
    coarse = CIMConv(3, 4, **dict(base, rngs=nnx.Rngs(params=5)), array=ArrayConfig(cell_bits=4, adc_bits=3))
    assert rel(coarse(x), layer(x)) > 0.02


def test_hw_forward_gradients_are_the_ideal_gradients():
    """STE: the layer's gradients do not depend on the array read at all."""
    cfg = ArrayConfig(weight_bits=8, input_bits=8, cell_bits=4, adc_bits=3, on_off_ratio=10.0)
    rngs = dict(weight_bits=8, act_bits=None, err_bits=8)
    ideal = CIMDense(48, 16, **rngs, rngs=nnx.Rngs(params=3))
    hw = CIMDense(48, 16, **rngs, array=cfg, backward="ste", rngs=nnx.Rngs(params=3))
    x = jax.random.uniform(jax.random.key(2), (20, 48))
    c = jax.random.normal(jax.random.key(4), (20, 16))

    def grads(layer):
        return nnx.grad(lambda m, a: jnp.sum(m(a) * c), argnums=(0, 1))(layer, x)

    (gm_i, gx_i), (gm_h, gx_h) = grads(ideal), grads(hw)
    np.testing.assert_allclose(gm_h.kernel[...], gm_i.kernel[...], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gx_h, gx_i, rtol=1e-5, atol=1e-7)
    assert rel(hw(x), ideal(x)) > 0.05  # while the 3-bit ADC forward clearly differs


def test_network_gradients_hw_forward_close_hw_full_finite():
    x = images()
    quant = QuantConfig(weight_bits=8, error_bits=32)  # no error quantiser: its rounding of
    # small errors would amplify the ~2 % forward difference in fc1's gradient

    def grads(model):
        return jax.tree.leaves(nnx.state(nnx.grad(lambda m: jnp.sum(m(x) ** 2))(model), nnx.Param))

    ideal = grads(build(quant=quant))
    fwd = grads(build(quant=quant, mode="hw_forward", adc_mode="none"))
    for a, b in zip(fwd, ideal):
        assert rel(a, b) < 0.1
    full = grads(build(quant=quant, mode="hw_full", adc_mode="linear"))
    for g in full:
        assert bool(jnp.all(jnp.isfinite(g))) and float(jnp.max(jnp.abs(g))) > 0


def test_fewer_adc_bits_deviate_more():
    x = images()
    ideal = build()(x)
    errors = [
        rel(build(hardware=HardwareConfig(cell_bits=4, adc_bits=bits), mode="hw_forward")(x), ideal)
        for bits in (2, 4, 8)
    ]
    assert errors[0] > errors[1] > errors[2], errors


def test_variation_is_static_not_a_param_and_seeded():
    x = images()
    a = build(mode="hw_forward", variation_sigma=0.1)
    b = build(mode="hw_forward", variation_sigma=0.1)
    other = build(mode="hw_forward", variation_sigma=0.1, seed=1)
    assert isinstance(a.fc2.variation, CellVariation) and not isinstance(a.fc2.variation, nnx.Param)
    assert a.fc2.variation[...].shape == cell_shape((32, 10), a.fc2.array)
    params = jax.tree.leaves(nnx.state(a, nnx.Param))
    assert len(params) == 2  # the two kernels only: the optimiser never sees the variation
    np.testing.assert_array_equal(a.fc1.variation[...], b.fc1.variation[...])
    assert not np.array_equal(a.fc1.variation[...], other.fc1.variation[...])
    np.testing.assert_array_equal(a(x), b(x))
    assert rel(a(x), build(mode="hw_forward")(x)) > 1e-3
    assert build(mode="hw_forward").fc1.variation is None


def test_bad_array_configs_name_the_fields():
    with pytest.raises(ConfigError, match="array.mode"):
        apply_overrides(load_config("configs/synthetic_smoke.py"), ["array.mode=hw_magic"])
    with pytest.raises(ConfigError, match="array.variation_sigma"):
        ArraySection(variation_sigma=-0.5)
    with pytest.raises(ConfigError) as err:
        sections(QuantConfig(weight_bits=5), HardwareConfig(cell_bits=2), mode="hw_forward")
    assert "quant.weight_bits" in str(err.value) and "hardware.cell_bits" in str(err.value)
    with pytest.raises(ConfigError) as err:
        build(hardware=HardwareConfig(cell_bits=4, adc_bits=6), mode="hw_full", adc_mode="nonlinear")
    assert "hardware.adc_bits" in str(err.value) and "array.adc_mode" in str(err.value)
    with pytest.raises(ConfigError, match="quant.weight_bits"):
        build(quant=QuantConfig(weight_bits=32), mode="hw_forward")
    cfg = apply_overrides(load_config("configs/synthetic_smoke.py"), ["array.mode=hw_full", "array.variation_sigma=0.05"])
    assert (cfg.array.mode, cfg.array.variation_sigma) == ("hw_full", 0.05)


def test_hw_forward_training_learns(tmp_path):
    cfg = load_config("configs/synthetic_smoke.py")
    cfg = replace(cfg, run={"out_dir": str(tmp_path / "hw")}, train={"epochs": 1},
                  array={"mode": "hw_forward", "adc_mode": "linear"})
    summary = train_and_evaluate(cfg, progress=False, log=lambda *a, **k: None)
    assert summary["epochs_completed"] == 1 and not summary["interrupted"]
    assert summary["final_accuracy"] > 30.0  # 10 classes: chance is 10 %
    assert load_config(cfg.run.out_dir).array == cfg.array


def test_hw_full_transposed_read_uses_the_ag_adc():
    """``hardware.ag_adc_bits`` (NeuroSim's ``levelOutputAG``) is the ADC of the transposed
    read in ``hw_full``: the forward read keeps ``adc_bits``; unset, or equal to ``adc_bits``,
    the network is exactly today's."""
    x = images()
    quant = QuantConfig(weight_bits=8, error_bits=32)

    def run(**hw):
        model = build(quant=quant, hardware=HardwareConfig(cell_bits=4, adc_bits=6, **hw), mode="hw_full")
        grads = jax.tree.leaves(nnx.state(nnx.grad(lambda m: jnp.sum(m(x) ** 2))(model), nnx.Param))
        return model, model(x), grads

    unset, y0, g0 = run()
    assert unset.fc2.backward_array == unset.fc2.array and unset.fc2.array.adc_bits == 6
    same, y1, g1 = run(ag_adc_bits=6)
    coarse, y2, g2 = run(ag_adc_bits=2)
    assert (coarse.fc2.array.adc_bits, coarse.fc2.backward_array.adc_bits) == (6, 2)
    assert coarse.fc1.backward == "ste"  # the first layer's transposed read is never made
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(y2, y0)  # the forward read does not see the AG ADC
    for a, b in zip(g1, g0):
        np.testing.assert_array_equal(a, b)
    # fc1's weight gradient flows through fc2's transposed read: a 2-bit AG ADC moves it
    assert max(rel(a, b) for a, b in zip(g2, g0)) > 0.01
