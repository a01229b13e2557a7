"""Tests of cimjax.nn: WAGE quantisers, CIM layers, VGG-8 / MLP, losses, labels.

References are written independently in numpy (float32, round half to even) from the
formulas of docs/model.md §1.1–§1.4 and §4.1, not with cimjax.quant.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from cimjax import quant
from cimjax.config.schema import ModelConfig, QuantConfig
from cimjax.nn import (
    MLP,
    NEUROSIM_HAND_BETA,
    VGG8,
    CIMConv,
    CIMDense,
    CIMWeight,
    cim_param_labels,
    create_model,
    cross_entropy_loss,
    loss_fn,
    sse_loss,
    wage_beta,
    wage_conv,
    wage_quantize_activation,
    wage_quantize_weight,
    wage_scale_limit,
)

VGG8_FAN_IN = (27, 1152, 1152, 2304, 2304, 4608, 8192, 1024)
VGG8_SCALE_5BIT = (4, 32, 32, 32, 32, 64, 64, 32)
VGG8_SCALE_8BIT_NEUROSIM = (2, 16, 16, 16, 16, 32, 32, 16)


# ------------------------------------------------------------------ numpy references


def np_q(x, b):
    """Q(x, b) for 2 <= b <= 15 in float32."""
    s = np.float32(2.0 ** (b - 1))
    return (np.round(np.asarray(x, np.float32) * s) / s).astype(np.float32)


def np_c(x, b):
    d = np.float32(2.0 ** -(b - 1))
    return np.clip(np.asarray(x, np.float32), -1 + d, 1 - d)


def np_qe(e, b):
    e = np.asarray(e, np.float32)
    m = np.max(np.abs(e))
    sh = np.float32(2.0 ** np.round(np.log2(m))) if m > 0 else np.float32(1.0)
    return np_q(np_c(e / sh, b), b)


def np_mask(x, b):
    d = np.float32(2.0 ** -(b - 1))
    x = np.asarray(x, np.float32)
    return ((x >= -1 + d) & (x <= 1 - d)).astype(np.float32)


def act_vjp(x, g, act_bits, err_bits):
    y, vjp = jax.vjp(lambda v: wage_quantize_activation(v, act_bits, err_bits), jnp.asarray(x))
    (dx,) = vjp(jnp.asarray(g))
    return np.asarray(y), np.asarray(dx)


def conv_ref(x, w):
    return jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


# ------------------------------------------------------------------ activation quantiser


def test_activation_forward_hand_values():
    x = np.array([0.123, -0.123, 0.5, 0.999, 1.5, -1.5, -0.99, 0.0, 0.5 / 128, 1.5 / 128], np.float32)
    want = np.array([16, -16, 64, 127, 127, -127, -127, 0, 0, 2], np.float32) / 128  # round(0.123·128) = 16
    y = np.asarray(wage_quantize_activation(jnp.asarray(x), 8, 8))
    np.testing.assert_array_equal(y, want)
    assert y[0] == round(0.123 * 128) / 128
    # 5-bit activations clip at 15/16.
    y5 = wage_quantize_activation(jnp.asarray([0.99, -0.3]), 5, 8)
    np.testing.assert_array_equal(np.asarray(y5), [15 / 16, -5 / 16])


def test_activation_backward_hand_values():
    x = np.array([0.2, -0.5, 127 / 128, -127 / 128, 0.995, -1.2, 0.0, 0.6], np.float32)
    g = np.array([0.3, -0.05, 0.7, 3.0, 1.0, 2.0, -3.0, 0.01], np.float32)
    # max|g| = 3 → shift = 2^round(log2 3) = 4; g/4·128 = 9.6, −1.6, 22.4, 96, 32, 64, −96, 0.32.
    # The mask is 1 inside [−127/128, 127/128] (bounds included): x = 0.995 and −1.2 drop out.
    want = np.array([10, -2, 22, 96, 0, 0, -96, 0], np.float32) / 128
    _, dx = act_vjp(x, g, 8, 8)
    np.testing.assert_array_equal(dx, want)
    # max|g| = 1.4 → shift 1: QE's own clip bites at ±127/128.
    _, dx = act_vjp(np.zeros(3, np.float32), np.array([1.4, -1.4, 0.7], np.float32), 8, 8)
    np.testing.assert_array_equal(dx, np.array([127, -127, 90], np.float32) / 128)


@pytest.mark.parametrize("act_bits,err_bits", [(8, 8), (5, 8), (8, 5), (3, 6), (None, 8), (8, None)])
def test_activation_vjp_equals_formula(act_bits, err_bits):
    kx, kg = jax.random.split(jax.random.key(1))
    x = np.asarray(jax.random.normal(kx, (4, 6, 6, 5)) * 0.7)
    g = np.asarray(jax.random.normal(kg, (4, 6, 6, 5)) * 0.003)
    y, dx = act_vjp(x, g, act_bits, err_bits)
    want_y = x if act_bits is None else np_q(np_c(x, act_bits), act_bits)
    want_dx = g if err_bits is None else np_qe(g, err_bits)
    if act_bits is not None:
        want_dx = want_dx * np_mask(x, act_bits)
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(dx, want_dx)


def test_activation_float_is_identity():
    x = jnp.linspace(-3, 3, 13)
    g = jnp.linspace(-0.2, 0.5, 13)
    for bits in (None, 32):
        y, dx = act_vjp(x, g, bits, bits)
        np.testing.assert_array_equal(y, x)
        np.testing.assert_array_equal(dx, g)


def test_activation_quantiser_under_jit():
    g = jnp.asarray([0.02, -0.011, 0.0003])
    f = jax.jit(jax.grad(lambda v: jnp.sum(wage_quantize_activation(v, 8, 8) * g)))
    np.testing.assert_array_equal(np.asarray(f(jnp.asarray([0.1, 2.0, -0.3]))), np_qe(g, 8) * [1, 0, 1])
    # An all-zero error stays zero.
    _, dx = act_vjp(np.ones(3, np.float32) * 0.1, np.zeros(3, np.float32), 8, 8)
    np.testing.assert_array_equal(dx, 0.0)


def test_bits_markers():
    x = jnp.asarray([0.3, 1.7])
    for bits in (None, 32, -1):  # -1 is NeuroSim's float marker
        np.testing.assert_array_equal(np.asarray(wage_quantize_activation(x, bits, 8)), x)
        assert quant.is_float_bits(bits)


@pytest.mark.parametrize("bits", [0, 17, 31, 2.5, True, -2])
def test_bad_bits_raise(bits):
    with pytest.raises(ValueError, match="bit width"):
        wage_quantize_activation(jnp.zeros(2), bits, 8)
    with pytest.raises(ValueError, match="bit width"):
        CIMDense(2, 2, weight_bits=bits, act_bits=8, err_bits=8, rngs=nnx.Rngs(0))


# ------------------------------------------------------------------ weight path


def test_weight_forward_is_quantised_weight_no_clip():
    w = np.asarray(jax.random.uniform(jax.random.key(2), (300,), minval=-1.5, maxval=1.5))
    wq = np.asarray(wage_quantize_weight(jnp.asarray(w), 32.0, 5))
    np.testing.assert_array_equal(wq, np_q(w, 5))
    assert np.abs(wq).max() > 1.0  # no clip C in the forward pass
    wc = np.asarray(wage_quantize_weight(jnp.asarray(w), 32.0, 5, clip=True))
    np.testing.assert_array_equal(wc, np_q(np_c(w, 5), 5))
    np.testing.assert_array_equal(np.asarray(wage_quantize_weight(jnp.asarray(w), 4.0, None)), w)


@pytest.mark.parametrize("scale", [1.0, 4.0, 64.0])
def test_weight_ste_gradient_is_scale(scale):
    w = jax.random.uniform(jax.random.key(3), (50,), minval=-1.5, maxval=1.5)
    for clip in (False, True):
        g = jax.grad(lambda v: jnp.sum(wage_quantize_weight(v, scale, 5, clip=clip)))(w)
        np.testing.assert_array_equal(np.asarray(g), scale)


@pytest.mark.parametrize("bits,scale", [(5, 32.0), (8, 16.0), (None, 1.0)])
def test_conv_weight_path_value_and_gradients(bits, scale):
    kx, kw, kc = jax.random.split(jax.random.key(4), 3)
    x = jax.random.normal(kx, (2, 6, 6, 3))
    w = jax.random.uniform(kw, (3, 3, 3, 4), minval=-1.0, maxval=1.0)
    c = jax.random.normal(kc, (2, 6, 6, 4))
    wq_ref = w if bits is None else jnp.asarray(np_q(w, bits))
    y, vjp = jax.vjp(lambda xx, ww: wage_conv(xx, ww, scale, bits), x, w)
    np.testing.assert_allclose(np.asarray(y), np.asarray(conv_ref(x, wq_ref)) / scale, rtol=1e-6, atol=1e-6)
    dx, dw = vjp(c)
    # dL/dw = conv_weight_grad(x, dL/dy_pre)·s/s: equal to the plain conv's weight gradient.
    _, vjp_ref = jax.vjp(lambda ww: conv_ref(x, ww), w)
    np.testing.assert_allclose(np.asarray(dw), np.asarray(vjp_ref(c)[0]), rtol=1e-6, atol=1e-6)
    # The error to the previous layer goes through wq and is divided by s.
    _, vjp_x = jax.vjp(lambda xx: conv_ref(xx, wq_ref), x)
    np.testing.assert_allclose(np.asarray(dx), np.asarray(vjp_x(c)[0]) / scale, rtol=1e-6, atol=1e-6)


def test_dense_layer_end_to_end_gradient():
    layer = CIMDense(64, 10, weight_bits=5, act_bits=8, err_bits=8, rngs=nnx.Rngs(0))
    assert layer.scale == 8.0  # fan_in 64: float_limit 0.2165, log2(1.5/0.2165) = 2.79 → 2^3
    kx, kc = jax.random.split(jax.random.key(5))
    x = jax.random.uniform(kx, (5, 64), maxval=127 / 128)
    c = jax.random.normal(kc, (5, 10)) * 0.01
    w = np.asarray(layer.kernel[...])
    y_pre = np.asarray(jnp.asarray(x) @ jnp.asarray(np_q(w, 5))) / layer.scale
    y = layer(x)
    np.testing.assert_allclose(np.asarray(y), np_q(np_c(y_pre, 8), 8), atol=1 / 128 + 1e-6)
    grads = nnx.grad(lambda m: jnp.sum(m(x) * c))(layer)
    e = np_qe(c, 8) * np_mask(y_pre, 8)
    np.testing.assert_allclose(np.asarray(grads.kernel[...]), np.asarray(x).T @ e, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ WAGE initialiser


def test_wage_scale_table_vgg8():
    assert [wage_scale_limit(f, 5)[0] for f in VGG8_FAN_IN] == list(VGG8_SCALE_5BIT)
    assert all(wage_scale_limit(f, 5)[1] == 1.5 for f in VGG8_FAN_IN)
    assert wage_beta(5) == NEUROSIM_HAND_BETA[5] == 24.0
    # NeuroSim's hand-edited 8-bit β = 96 (W_m = 0.75) is the default and gives the
    # config-list constants.
    assert wage_beta(8) == 96.0 and wage_beta(2) == 1.5
    eight = [wage_scale_limit(f, 8)[0] for f in VGG8_FAN_IN]
    assert eight == list(VGG8_SCALE_8BIT_NEUROSIM)
    assert all(wage_scale_limit(f, 8)[1] == 0.75 for f in VGG8_FAN_IN[1:])
    # Precisions NeuroSim has no β for extrapolate W_m = 1.5.
    assert wage_beta(6) == 48.0
    assert [wage_scale_limit(f, 6)[0] for f in VGG8_FAN_IN] == list(VGG8_SCALE_5BIT)
    for f in (27, 1024):
        assert wage_scale_limit(f, None) == (1.0, math.sqrt(3 / f))
        assert wage_scale_limit(f, 32) == (1.0, math.sqrt(3 / f))


def test_wage_init_range():
    layer = CIMDense(1024, 64, weight_bits=5, act_bits=8, err_bits=8, rngs=nnx.Rngs(0))
    w = np.asarray(layer.kernel[...])
    assert isinstance(layer.kernel, CIMWeight) and isinstance(layer.kernel, nnx.Param)
    assert w.shape == (1024, 64) and w.dtype == np.float32
    assert np.abs(w).max() <= 1.5 and np.abs(w).max() > 1.45
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.5 / math.sqrt(3)) < 0.02
    fl = CIMConv(16, 8, weight_bits=None, act_bits=8, err_bits=8, rngs=nnx.Rngs(1))
    limit = math.sqrt(3 / (16 * 9))
    assert fl.scale == 1.0 and fl.kernel[...].shape == (3, 3, 16, 8)
    assert float(jnp.max(jnp.abs(fl.kernel[...]))) <= limit


# ------------------------------------------------------------------ models


def abstract_vgg8(width=1.0, input_shape=(32, 32, 3), quant=QuantConfig()):
    return nnx.eval_shape(lambda: VGG8(width, 10, quant, input_shape, rngs=nnx.Rngs(0)))


def test_vgg8_parameter_count_and_scales():
    model = abstract_vgg8()
    params = nnx.state(model, nnx.Param)
    assert sum(math.prod(p.shape) for p in jax.tree.leaves(params)) == 12_973_440
    assert model.layer_names == ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "fc1", "fc2")
    assert tuple(getattr(model, n).scale for n in model.layer_names) == VGG8_SCALE_5BIT
    assert model.flatten_features == 8192
    assert model.fc2.act_bits is None and model.fc2.err_bits == 8
    assert model.conv1.kernel.shape == (3, 3, 3, 128) and model.fc1.kernel.shape == (8192, 1024)
    nh = abstract_vgg8(quant=QuantConfig(weight_bits=8))
    assert tuple(getattr(nh, n).scale for n in nh.layer_names) == VGG8_SCALE_8BIT_NEUROSIM


def test_vgg8_cifar_shapes_and_grads():
    model = VGG8(0.125, 10, QuantConfig(), (32, 32, 3), rngs=nnx.Rngs(0))
    assert model.flatten_features == 4 * 4 * 64
    assert model.conv1.out_ch == 16 and model.conv6.out_ch == 64 and model.fc1.out_f == 128
    x = jax.random.uniform(jax.random.key(6), (2, 32, 32, 3), minval=-1.0, maxval=1.0)
    labels = jnp.array([1, 2])

    def loss_and_logits(m):
        logits = m(x)
        return sse_loss(logits, labels, 10), logits

    (loss, logits), grads = nnx.jit(nnx.value_and_grad(loss_and_logits, has_aux=True))(model)
    assert logits.shape == (2, 10) and logits.dtype == jnp.float32 and bool(jnp.isfinite(loss))
    leaves = jax.tree.leaves(nnx.state(grads, nnx.Param))
    assert len(leaves) == 8
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert all(float(jnp.max(jnp.abs(g))) > 0 for g in leaves)


def test_vgg8_fashion_shapes_and_jit_equals_eager():
    model = VGG8(0.125, 10, QuantConfig(), (28, 28, 1), rngs=nnx.Rngs(0))
    assert model.flatten_features == 3 * 3 * 64  # 28 → 14 → 7 → 3
    x = jax.random.uniform(jax.random.key(7), (2, 28, 28, 1), minval=-1.0, maxval=1.0)
    y_jit = nnx.jit(lambda m, v: m(v))(model, x)
    y = model(x)
    assert y.shape == (2, 10)
    np.testing.assert_allclose(np.asarray(y), np.asarray(y_jit), rtol=1e-5, atol=1e-5)


def test_vgg8_bad_shapes():
    with pytest.raises(ValueError, match="H, W >= 8"):
        VGG8(0.125, 10, QuantConfig(), (4, 4, 3), rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="input_shape"):
        VGG8(0.125, 10, QuantConfig(), (32, 32), rngs=nnx.Rngs(0))


def test_create_model_and_mlp():
    quant = QuantConfig()
    mlp_cfg = ModelConfig(name="mlp", hidden=32, num_classes=5)
    mlp = create_model(mlp_cfg, quant, (28, 28, 1), rngs=nnx.Rngs(0))
    assert isinstance(mlp, MLP) and mlp.fc1.kernel.shape == (784, 32) and mlp.fc2.kernel.shape == (32, 5)
    assert mlp(jnp.zeros((2, 28, 28, 1))).shape == (2, 5)
    vgg = nnx.eval_shape(
        lambda: create_model(ModelConfig(name="vgg8", width=0.25), quant, (32, 32, 3), rngs=nnx.Rngs(0))
    )
    assert isinstance(vgg, VGG8) and vgg.conv1.out_ch == 32
    fl = MLP(8, 3, QuantConfig(None, None, None, None), (4,), rngs=nnx.Rngs(0))
    x = jnp.asarray([[0.1, -0.2, 0.3, 0.4]])
    w1, w2 = fl.fc1.kernel[...], fl.fc2.kernel[...]
    np.testing.assert_allclose(np.asarray(fl(x)), np.asarray(jax.nn.relu(x @ w1) @ w2), rtol=1e-6)


# ------------------------------------------------------------------ losses and labels


def test_sse_hand_value():
    logits = jnp.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    labels = jnp.array([0, 2])
    # Row 1: 0; row 2: 0.25 + 0.25 + 1 → 0.5 · 1.5 = 0.75 (summed over the batch, not averaged).
    assert float(sse_loss(logits, labels, 3)) == 0.75
    assert float(sse_loss(jnp.concatenate([logits, logits]), jnp.concatenate([labels, labels]))) == 1.5
    with pytest.raises(ValueError, match="num_classes"):
        sse_loss(logits, labels, 4)


def test_cross_entropy_and_lookup():
    logits = jnp.array([[2.0, 0.0], [0.0, 1.0]])
    labels = jnp.array([0, 0])
    want = 0.5 * (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(1.0)))
    np.testing.assert_allclose(float(cross_entropy_loss(logits, labels, 2)), want, rtol=1e-6)
    assert loss_fn("sse") is sse_loss and loss_fn("cross_entropy") is cross_entropy_loss
    with pytest.raises(ValueError, match="unknown loss 'mse'"):
        loss_fn("mse")


class _MixedNet(nnx.Module):
    def __init__(self, rngs):
        self.cim = CIMDense(4, 3, weight_bits=5, act_bits=8, err_bits=8, rngs=rngs)
        self.bias = nnx.Param(jnp.zeros((3,)))

    def __call__(self, x):
        return self.cim(x) + self.bias[...]


def test_cim_param_labels_with_optax_partition():
    model = _MixedNet(nnx.Rngs(0))
    labels = cim_param_labels(model)
    assert labels["cim"]["kernel"] == "cim" and labels["bias"] == "digital"
    assert cim_param_labels(nnx.state(model, nnx.Param)) == labels
    with pytest.raises(TypeError, match="nnx.Variable"):
        cim_param_labels({"w": jnp.zeros(2)})
    tx = optax.partition({"cim": optax.sgd(1.0), "digital": optax.set_to_zero()}, labels)
    opt = nnx.Optimizer(model, tx, wrt=nnx.Param)
    k0 = np.asarray(model.cim.kernel[...])
    x = jnp.ones((2, 4)) * 0.5
    grads = nnx.grad(lambda m: sse_loss(m(x), jnp.array([0, 1])))(model)
    opt.update(model, grads)
    assert not np.array_equal(np.asarray(model.cim.kernel[...]), k0)
    np.testing.assert_array_equal(np.asarray(model.bias[...]), 0.0)


def test_forward_with_inputs_exposes_each_layer_input():
    model = VGG8(0.125, 10, QuantConfig(), (28, 28, 1), rngs=nnx.Rngs(0))
    x = jax.random.uniform(jax.random.key(1), (2, 28, 28, 1))
    logits, inputs = model.forward_with_inputs(x)
    np.testing.assert_array_equal(np.asarray(logits), np.asarray(model(x)))
    assert tuple(inputs) == model.layer_names
    assert inputs["conv1"].shape == (2, 28, 28, 1) and inputs["conv3"].shape == (2, 14, 14, 16)
    assert inputs["fc1"].shape == (2, model.flatten_features) and inputs["fc2"].shape == (2, 128)
    # Post-ReLU inputs are 8-bit activations: non-negative multiples of 1/128.
    np.testing.assert_array_equal(np.asarray(inputs["conv2"]) * 128 % 1, 0)
    mlp = MLP(32, 10, QuantConfig(), (4, 4, 1), rngs=nnx.Rngs(0))
    _, mi = mlp.forward_with_inputs(x[:, :4, :4])
    assert mi["fc1"].shape == (2, 16) and mi["fc2"].shape == (2, 32)


@pytest.mark.parametrize(
    "cfg,shape",
    [(ModelConfig(name="vgg8"), (32, 32, 3)), (ModelConfig(name="vgg8", width=0.125), (28, 28, 1)),
     (ModelConfig(name="mlp", hidden=64), (16, 16, 1))],
)
def test_model_is_the_hardware_layer_table(cfg, shape):
    """The trained network and the estimator's NetWork.csv table are one and the same."""
    from cimjax.hw.network import network_layers

    model = nnx.eval_shape(lambda: create_model(cfg, QuantConfig(), shape, rngs=nnx.Rngs(0)))
    rows = network_layers(cfg, shape)
    kernels = [getattr(model, n).kernel for n in model.layer_names]
    assert [math.prod(k.shape) for k in kernels] == [r.num_weights for r in rows]
    assert [k.shape[-1] for k in kernels] == [r.out_channels for r in rows]
    assert [n in model.pool_after for n in model.layer_names] == [r.pool for r in rows]
