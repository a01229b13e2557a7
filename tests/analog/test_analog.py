"""Vectorised analog-array math (cimjax.analog) against a Python-loop reference (docs/model.md §3.2).

Exactness: with integer on/off ratios (and ∞) every ideal partial sum is an exact integer
in cimjax's conductance units, so the ADC decisions of the vectorised float32 path and the
float64 loop reference are identical; the recombined outputs then agree bit-for-bit where
all ADC outputs are dyadic (linear ADC, on/off ∈ {∞, 2}) and otherwise to float32
round-off of the (differently ordered) final sums, checked at ``4e-6·max(1, |y|)``. A single
differing ADC decision would cost at least ``2^−9`` in these configurations.
"""

from __future__ import annotations

import math
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import analog_reference as ref
from cimjax import analog as A
from cimjax.analog import adc

INF = math.inf


def _tiny(seed, shape, lo=0.0, hi=1.0):
    """Test data from numpy's generator (no per-shape XLA compile, unlike jax.random)."""
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


def _normal(seed, shape, sigma):
    """A variation array like draw_variation's, from numpy (jax.random compiles per shape)."""
    return (sigma * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def _grid_weights(key, shape, bits=4):
    """WAGE-like weights on the k/2^(b−1) grid, a few slightly outside [−1, 1]."""
    w = _tiny(key, shape, -1.1, 1.1)
    return np.round(w * 2 ** (bits - 1)) / 2 ** (bits - 1)


def _close(actual, expected, *, exact=False):
    actual = np.asarray(actual, np.float64)
    if exact:
        np.testing.assert_array_equal(actual, expected)
    else:
        tol = 4e-6 * max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(actual, expected, rtol=0, atol=tol)


# ---- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("weight_bits", 0), ("weight_bits", 17), ("weight_bits", True), ("input_bits", 2.0),
        ("cell_bits", 3), ("cell_bits", 9), ("subarray_rows", 0), ("adc_bits", 0),
        ("adc_mode", "flash"), ("adc_range", "auto"), ("on_off_ratio", 1.0), ("on_off_ratio", math.nan),
        ("mapping", "twin"), ("retention_time", -1.0), ("retention_time", INF), ("drift_v", INF),
        ("drift_mode", "up"), ("drift_target", 1.5), ("bit_serial", 1), ("drop_partial_subarray", "no"),
    ],
)
def test_config_rejects_bad_fields(field, value):
    with pytest.raises(ValueError, match=field):
        A.ArrayConfig(**{field: value})


def test_config_cross_checks_and_derived():
    with pytest.raises(ValueError, match="adc_bits"):
        A.ArrayConfig(adc_mode="nonlinear", adc_bits=6)
    with pytest.raises(ValueError, match="retention_time"):
        A.ArrayConfig(retention_time=0.0, drift_v=0.1)
    A.ArrayConfig(retention_time=0.0, drift_v=0.0)  # NeuroSim's training t = v = 0: identity
    cfg = A.ArrayConfig(weight_bits=8, cell_bits=4, subarray_rows=128, on_off_ratio=10.0)
    assert (cfg.num_cells, cfg.cell_range, cfg.partial_sum_bits) == (2, 16, 11)
    assert cfg.full_scale == 128 * 15 * 10.0
    assert A.ArrayConfig(on_off_ratio=INF).conductance_unit == 1.0
    assert hash(cfg) == hash(A.ArrayConfig(weight_bits=8, cell_bits=4, on_off_ratio=10.0))


# ---- ADC models --------------------------------------------------------------------------


def test_linear_adc_floor_and_top_level():
    x = jnp.arange(9.0)  # m = 0, Δ = 8, 2 bits: step 2
    np.testing.assert_array_equal(adc.linear_quantize_out(x, 2), [0, 0, 2, 2, 4, 4, 6, 6, 6])
    # The maximum is read one step low whatever the resolution (floor, 2^b levels).
    assert float(adc.linear_quantize_out(x, 10)[-1]) == 8 - 8 / 1024
    # Offset range: m = 3.
    np.testing.assert_array_equal(adc.linear_quantize_out(jnp.array([3.0, 4.0, 6.9, 7.0]), 2), [3, 4, 6, 6])


def test_linear_adc_fixed_range_and_axis():
    x = jnp.arange(16.0)
    # Fixed range [0, 2^b) with step 1 is lossless on integers below 2^b.
    np.testing.assert_array_equal(adc.linear_quantize_out(x, 4, range_mode="fixed", value_range=(0, 16)), x)
    # Saturates above the range, floors below.
    y = adc.linear_quantize_out(jnp.array([-1.0, 20.0]), 2, range_mode="fixed", value_range=(0.0, 8.0))
    np.testing.assert_array_equal(y, [0.0, 6.0])
    # Per-row dynamic range with axis.
    rows = jnp.array([[0.0, 1.0, 4.0], [10.0, 30.0, 50.0]])
    np.testing.assert_array_equal(adc.linear_quantize_out(rows, 1, axis=1), [[0, 0, 2], [10, 30, 30]])
    with pytest.raises(ValueError):
        adc.linear_quantize_out(x, 4, range_mode="fixed")


def test_adc_degenerate_range_no_nan():
    for fn in (adc.linear_quantize_out, adc.nonlinear_quantize_out):
        for x in (jnp.full((3, 2), 5.0), jnp.zeros(4)):
            y = fn(x, 3)
            assert bool(jnp.all(jnp.isfinite(y)))
            np.testing.assert_array_equal(y, x)
        y = fn(jnp.array([1.0, 2.0]), 3, range_mode="fixed", value_range=(1.0, 1.0))
        np.testing.assert_array_equal(y, [1.0, 2.0])


@pytest.mark.parametrize("bits", [3, 4, 5])
def test_nonlinear_adc_edges_and_levels(bits):
    edges = [float(e) for e in A.NONLINEAR_EDGES[bits]]
    levels = [float(o) for o in A.NONLINEAR_LEVELS[bits]]
    assert len(edges) == len(levels) == 2**bits
    assert edges == sorted(edges) and edges[-1] == 1.0
    delta = 1000.0  # every edge·1000 is an integer; m = 0 and max = 1000 are in the tensor
    probes, expect = [0.0, delta], [levels[0] * delta, delta]
    for i, e in enumerate(edges):
        probes += [e * delta - 0.5, e * delta]
        expect.append(levels[i] * delta)  # just below edge i: bin i
        expect.append(levels[i + 1] * delta if i + 1 < len(edges) else e * delta)  # at it: next bin
    y = adc.nonlinear_quantize_out(jnp.array(probes), bits)
    np.testing.assert_allclose(y, expect, rtol=1e-6)
    # Agrees with the Fraction-exact reference on random integers.
    x = np.random.default_rng(bits).integers(0, 500, 200).astype(np.float32)
    np.testing.assert_allclose(adc.nonlinear_quantize_out(jnp.asarray(x), bits),
                               ref.nonlinear_quantize_out(x, bits), rtol=1e-6)


def test_nonlinear_adc_other_widths_identity_and_below_range():
    x = jnp.array([0.0, 0.3, 7.0, 10.0])
    for bits in (1, 2, 6, 8):
        np.testing.assert_array_equal(adc.nonlinear_quantize_out(x, bits), x)
    y = adc.nonlinear_quantize_out(jnp.array([-5.0, 200.0]), 3, range_mode="fixed", value_range=(0.0, 100.0))
    np.testing.assert_allclose(y, [1.0, 200.0])  # below range → first level; ≥ last edge passes


def test_adc_straight_through_gradient():
    x = jnp.linspace(0.0, 3.0, 7)
    c = jnp.arange(7.0)
    for mode in ("linear", "nonlinear", "none"):
        g = jax.grad(lambda v: jnp.sum(c * adc.adc_read(v, mode, 3)))(x)
        np.testing.assert_array_equal(g, c)


# ---- cells -------------------------------------------------------------------------------


def test_weight_and_input_encoding_hand_values():
    cfg = A.ArrayConfig(weight_bits=5, cell_bits=1, input_bits=8)
    w = jnp.array([-1.5, -1.0, 0.0, 1.0 / 16, 2.0 / 16, 1.0, 1.5])
    # The 33 WAGE levels k/16 land on 32 cell levels: 0 and 1/16 both become X = 16.
    np.testing.assert_array_equal(A.weight_levels(w, cfg), [0, 0, 16, 16, 17, 31, 31])
    np.testing.assert_array_equal(A.effective_weight(w, cfg) * 32, [-31, -31, 1, 1, 3, 31, 31])
    np.testing.assert_array_equal(A.input_levels(jnp.array([-0.1, 0.0, 0.5, 1.0, 2.0]), cfg), [0, 0, 128, 255, 255])
    cfg2 = A.ArrayConfig(weight_bits=8, cell_bits=4)
    digits = A.cell_digits(jnp.array([0.0, 0x5A, 255.0]), cfg2)
    np.testing.assert_array_equal(digits, [[0, 0xA, 15], [0, 5, 15]])


def test_conductances_on_off_and_dummy():
    cfg = A.ArrayConfig(weight_bits=4, cell_bits=2, on_off_ratio=10.0)
    g, coef = A.cell_conductances(jnp.array([-1.0, 1.0]), cfg)  # X = 0, 15
    u = cfg.conductance_unit
    np.testing.assert_allclose(g / u, [[0.3, 3.0], [0.3, 3.0]], rtol=1e-6)  # G_min = 3·lower, G_max = 3
    assert A.dummy_conductance(cfg) / u == pytest.approx(3 * 1.1 / 2)
    np.testing.assert_allclose(coef * u, [2 / 0.9 / 16, 8 / 0.9 / 16], rtol=1e-6)
    gd, cd = A.cell_conductances(jnp.array([-1.0]), A.ArrayConfig(weight_bits=4, cell_bits=2, mapping="differential"))
    assert gd.shape == (4, 1) and A.cell_shape((1,), A.ArrayConfig(mapping="differential")) == (2, 2, 1)
    np.testing.assert_array_equal(cd[:2], -cd[2:])


def test_retention_identity_at_t0_and_direction():
    w = jnp.linspace(-1.0, 1.0, 16)
    base = A.ArrayConfig(weight_bits=4, cell_bits=2, on_off_ratio=10.0)
    g0, _ = A.cell_conductances(w, base)
    same = A.ArrayConfig(weight_bits=4, cell_bits=2, on_off_ratio=10.0, retention_time=1.0, drift_v=0.3)
    np.testing.assert_array_equal(A.cell_conductances(w, same)[0], g0)
    g_min, g_max = 3.0, 30.0
    up = A.ArrayConfig(weight_bits=4, cell_bits=2, on_off_ratio=10.0, retention_time=1e4, drift_v=0.05,
                       drift_target=1.0)
    g_up = A.cell_conductances(w, up)[0]
    assert bool(jnp.all(g_up >= g0)) and bool(jnp.all(g_up[g0 < g_max] > g0[g0 < g_max]))
    assert float(jnp.max(g_up)) <= g_max
    down = A.ArrayConfig(weight_bits=4, cell_bits=2, on_off_ratio=10.0, retention_time=1e4, drift_v=0.05,
                         drift_target=0.0)
    g_dn = A.cell_conductances(w, down)[0]
    assert bool(jnp.all(g_dn <= g0)) and bool(jnp.all(g_dn[g0 > g_min] < g0[g0 > g_min]))
    # G(t) = G0·(t/t0)^(v·s): a cell at G_max drifting down by 10^(−0.2).
    assert float(jnp.max(g_dn)) == pytest.approx(g_max * 1e4**-0.05, rel=1e-5)
    rnd = A.ArrayConfig(weight_bits=4, cell_bits=2, on_off_ratio=10.0, retention_time=100.0, drift_v=0.05,
                        drift_mode="random")
    sign = A.draw_drift_sign(jax.random.key(0), A.cell_shape(w.shape, rnd))
    assert set(np.unique(np.asarray(sign)).tolist()) <= {-1.0, 0.0, 1.0}
    g_r = A.cell_conductances(w, rnd, drift_sign=sign)[0]
    inside = (g0 > g_min) & (g0 < g_max)
    for s, cmp in ((1.0, np.greater), (-1.0, np.less), (0.0, np.equal)):
        sel = np.asarray((sign == s) & inside)
        assert np.all(cmp(np.asarray(g_r)[sel], np.asarray(g0)[sel]))
    with pytest.raises(ValueError, match="drift_sign"):
        A.cell_conductances(w, rnd)


def test_draw_variation():
    v = A.draw_variation(jax.random.key(1), (2, 3000), 0.1)
    assert v.shape == (2, 3000) and abs(float(jnp.std(v)) - 0.1) < 0.01
    with pytest.raises(ValueError):
        A.draw_variation(jax.random.key(1), (2,), -0.1)


# ---- the read vs the loop reference --------------------------------------------------------

# (weight_bits, input_bits, cell_bits, subarray_rows, adc_mode, adc_bits, on_off, mapping, extra)
REF_CASES = [
    (4, 3, 2, 5, "linear", 3, INF, "dummy", {}),  # Fi = 12: sub-arrays 5 + 5 + 2
    (4, 3, 1, 4, "linear", 4, 2.0, "dummy", {}),
    (4, 3, 4, 8, "linear", 5, 10.0, "dummy", {}),
    (4, 2, 2, 5, "nonlinear", 3, INF, "dummy", {}),
    (4, 3, 2, 7, "nonlinear", 4, 10.0, "dummy", {}),
    (6, 2, 2, 5, "nonlinear", 5, 10.0, "differential", {}),
    (4, 3, 2, 5, "linear", 4, 10.0, "differential", {}),
    (4, 3, 2, 5, "linear", 4, 10.0, "dummy", {"adc_range": "full_scale"}),
    (4, 3, 2, 5, "linear", 3, 10.0, "dummy", {"drop_partial_subarray": True}),
    (4, 3, 2, 5, "none", 3, 10.0, "dummy", {"bit_serial": False}),
    (4, 3, 2, 20, "linear", 3, 10.0, "dummy", {}),  # rows < subarray_rows: one sub-array
]


def _cfg(case):
    wb, ib, cb, rows, mode, ab, onoff, mapping, extra = case
    return A.ArrayConfig(weight_bits=wb, input_bits=ib, cell_bits=cb, subarray_rows=rows, adc_mode=mode,
                         adc_bits=ab, on_off_ratio=onoff, mapping=mapping, **extra)


def _seed(case) -> int:
    return zlib.crc32(repr(case).encode()) % 10_000


def _is_exact(cfg):
    return cfg.adc_mode in ("linear", "none") and cfg.on_off_ratio in (INF, 2.0) and cfg.bit_serial


@pytest.mark.parametrize("case", REF_CASES, ids=lambda c: f"{c[4]}{c[5]}-c{c[2]}-r{c[3]}-{c[6]}-{c[7]}-{c[8]}")
def test_dense_matches_loop_reference(case):
    cfg = _cfg(case)
    k1, k2 = _seed(case), _seed(case) + 1
    x = _tiny(k1, (4, 12), -0.2 if not cfg.bit_serial else 0.0)
    w = _grid_weights(k2, (12, 5), cfg.weight_bits)
    _close(A.analog_dense(jnp.asarray(x), jnp.asarray(w), cfg), ref.reference_dense(x, w, cfg), exact=_is_exact(cfg))


@pytest.mark.parametrize("case", REF_CASES[:8] + REF_CASES[9:10], ids=lambda c: f"{c[4]}{c[5]}-c{c[2]}-{c[6]}-{c[7]}")
def test_conv_matches_loop_reference(case):
    cfg = _cfg(case)
    k1, k2 = _seed(case) + 2, _seed(case) + 3
    x = _tiny(k1, (2, 4, 4, 11), -0.2 if not cfg.bit_serial else 0.0)  # 11 channels: partial sub-array
    w = _grid_weights(k2, (3, 3, 11, 3), cfg.weight_bits)
    _close(A.analog_conv(jnp.asarray(x), jnp.asarray(w), cfg), ref.reference_conv(x, w, cfg), exact=_is_exact(cfg))


def test_conv_drop_partial_and_1x1_match_reference():
    cfg = A.ArrayConfig(weight_bits=4, input_bits=2, cell_bits=2, subarray_rows=4, adc_mode="linear", adc_bits=3,
                        on_off_ratio=INF, drop_partial_subarray=True)
    x = _tiny(3, (2, 3, 3, 10))
    for shape in ((3, 3, 10, 2), (1, 1, 10, 2)):
        w = _grid_weights(4, shape)
        _close(A.analog_conv(jnp.asarray(x), jnp.asarray(w), cfg), ref.reference_conv(x, w, cfg), exact=True)
        # NeuroSim's floor division drops channels 8 and 9.
        y8 = A.analog_conv(jnp.asarray(x[..., :8]), jnp.asarray(w[:, :, :8]), cfg)
        np.testing.assert_array_equal(A.analog_conv(jnp.asarray(x), jnp.asarray(w), cfg), y8)


@pytest.mark.parametrize("mapping", ["dummy", "differential"])
def test_variation_and_retention_match_reference(mapping):
    base = dict(weight_bits=4, input_bits=3, cell_bits=2, subarray_rows=5, adc_mode="linear", adc_bits=4,
                on_off_ratio=10.0, mapping=mapping, retention_time=1e3, drift_v=0.02)
    x = _tiny(5, (3, 12))
    w = _grid_weights(6, (12, 4))
    extra = {"drift_mode": "target", "drift_target": 0.3} if mapping == "dummy" else {"drift_mode": "random"}
    cfg = A.ArrayConfig(**base, **extra)
    shape = A.cell_shape(w.shape, cfg)
    var = _normal(7, shape, 0.05)
    sign = np.random.default_rng(8).integers(-1, 2, shape).astype(np.float32) if cfg.drift_mode == "random" else None
    y = A.analog_dense(jnp.asarray(x), jnp.asarray(w), cfg, variation=var, drift_sign=sign)
    _close(y, ref.reference_dense(x, w, cfg, np.asarray(var), None if sign is None else np.asarray(sign)))
    if mapping == "dummy":
        # A zero variation array and t = t0 are exactly the ideal-device read.
        plain = A.ArrayConfig(**{**base, "retention_time": 1.0})
        np.testing.assert_array_equal(
            A.analog_dense(jnp.asarray(x), jnp.asarray(w), plain, variation=jnp.zeros_like(var)),
            A.analog_dense(jnp.asarray(x), jnp.asarray(w), A.ArrayConfig(**{**base, "drift_v": 0.0})))
        # Conv with static variation and drift towards the target.
        xc = _tiny(9, (2, 3, 3, 7))
        wc = _grid_weights(10, (3, 3, 7, 2))
        varc = _normal(11, A.cell_shape(wc.shape, cfg), 0.05)
        _close(A.analog_conv(jnp.asarray(xc), jnp.asarray(wc), cfg, variation=varc),
               ref.reference_conv(xc, wc, cfg, np.asarray(varc)))


# ---- ideal limit and ADC resolution --------------------------------------------------------


@pytest.mark.parametrize("onoff,mapping", [(INF, "dummy"), (10.0, "differential"), (10.0, "dummy")])
def test_ideal_limit_equals_quantised_product(onoff, mapping):
    cfg = A.ArrayConfig(weight_bits=8, input_bits=8, cell_bits=2, subarray_rows=16, adc_mode="none",
                        on_off_ratio=onoff, mapping=mapping)
    x = jnp.asarray(_tiny(12, (5, 40)))
    w = jnp.asarray(_tiny(13, (40, 6), -1.0, 1.0))
    xq, wq = A.effective_input(x, cfg), A.effective_weight(w, cfg)
    y = A.analog_dense(x, w, cfg)
    _close(y, np.asarray(xq, np.float64) @ np.asarray(wq, np.float64))
    if onoff == INF:  # integer partial sums, dyadic scaling: bit-exact
        np.testing.assert_array_equal(y, A.ideal_dense(x, w, cfg))
    xc = jnp.asarray(_tiny(14, (2, 5, 5, 20)))
    wc = jnp.asarray(_tiny(15, (3, 3, 20, 4), -1.0, 1.0))
    if mapping == "dummy":
        _close(A.analog_conv(xc, wc, cfg), A.ideal_conv(xc, wc, cfg))
    if onoff == INF:
        # Float (conv1) input, no ADC: conv(x, ŵ) with signed x.
        c1 = A.ArrayConfig(weight_bits=8, cell_bits=4, subarray_rows=16, adc_mode="none", bit_serial=False,
                           on_off_ratio=10.0, mapping=mapping)
        _close(A.analog_conv(xc - 0.5, wc, c1), A.ideal_conv(xc - 0.5, wc, c1))
    else:
        # A fine linear ADC is close but never lossless (floor-type, top level one step low).
        fine = A.ArrayConfig(weight_bits=8, input_bits=8, cell_bits=2, subarray_rows=16, adc_bits=16,
                             on_off_ratio=onoff, mapping=mapping)
        err = np.max(np.abs(np.asarray(A.analog_dense(x, w, fine)) - np.asarray(xq @ wq)))
        assert 0 < err < 2e-3


def test_fewer_adc_bits_larger_error():
    x = jnp.asarray(_tiny(16, (16, 64)))
    w = jnp.asarray(_tiny(17, (64, 8), -1.0, 1.0))
    errs = []
    ideal = np.asarray(A.ideal_dense(x, w, A.ArrayConfig(weight_bits=8, input_bits=6, cell_bits=2)))
    for bits in (2, 3, 4, 6, 8):
        cfg = A.ArrayConfig(weight_bits=8, input_bits=6, cell_bits=2, subarray_rows=32, adc_bits=bits)
        errs.append(float(np.mean(np.abs(np.asarray(A.analog_dense(x, w, cfg)) - ideal))))
    assert all(a > b for a, b in zip(errs, errs[1:])), errs


# ---- jit, vmap, loops, gradients, transposed read -------------------------------------------


CONV_CFG = A.ArrayConfig(weight_bits=4, input_bits=3, cell_bits=2, subarray_rows=5, adc_mode="nonlinear",
                         adc_bits=4, on_off_ratio=10.0)


def test_jit_equals_eager_and_loop_modes():
    x = jnp.asarray(_tiny(18, (2, 5, 5, 11)))
    w = jnp.asarray(_grid_weights(19, (3, 3, 11, 4)))
    eager = A.analog_conv(x, w, CONV_CFG)
    jitted = jax.jit(A.analog_conv, static_argnames=("cfg", "loop"))(x, w, CONV_CFG)
    np.testing.assert_array_equal(eager, jitted)
    for loop in ("none", "bits"):
        _close(A.analog_conv(x, w, CONV_CFG, loop=loop), np.asarray(eager))
    with pytest.raises(ValueError, match="loop"):
        A.analog_conv(x, w, CONV_CFG, loop="some")


def test_vmap_over_batches_and_leading_axes():
    xs = jnp.asarray(_tiny(20, (3, 4, 12)))
    w = jnp.asarray(_grid_weights(21, (12, 5)))
    cfg = A.ArrayConfig(weight_bits=4, input_bits=3, cell_bits=2, subarray_rows=5, adc_bits=3)
    batched = jax.vmap(lambda x: A.analog_dense(x, w, cfg))(xs)
    for i in range(3):
        np.testing.assert_array_equal(batched[i], A.analog_dense(xs[i], w, cfg))
    # Leading axes are one ADC-range tensor (NeuroSim's batch-wide range).
    np.testing.assert_array_equal(A.analog_dense(xs, w, cfg), A.analog_dense(xs.reshape(12, 12), w, cfg).reshape(3, 4, 5))


def test_gradients_straight_through_and_finite():
    x = jnp.asarray(_tiny(22, (2, 4, 4, 6)))
    w = jnp.asarray(_grid_weights(23, (3, 3, 6, 3)))
    var = _normal(24, A.cell_shape(w.shape, CONV_CFG), 0.02)

    def loss(x, w):
        y = A.analog_conv(x, w, CONV_CFG, variation=var)
        return jnp.sum(jnp.sin(y)), y

    (gx, gw), y = jax.grad(loss, argnums=(0, 1), has_aux=True)(x, w)
    assert bool(jnp.all(jnp.isfinite(gx))) and bool(jnp.all(jnp.isfinite(gw)))
    # STE: the cotangent of the analog output flows as through the float conv(x, w).
    conv = lambda x, w: jax.lax.conv_general_dilated(  # noqa: E731
        x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"), precision="highest")
    _, vjp = jax.vjp(conv, x, w)
    ex, ew = vjp(jnp.cos(y))
    np.testing.assert_allclose(gx, ex, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw, ew, rtol=1e-5, atol=1e-6)
    # Dense, jitted, with the analog backward read: finite, and close to STE for a fine array.
    fine = A.ArrayConfig(weight_bits=8, input_bits=10, cell_bits=4, subarray_rows=8, adc_mode="none",
                         on_off_ratio=INF)
    xd = jnp.asarray(_tiny(25, (3, 20)))
    wd = jnp.asarray(_tiny(26, (20, 4), -1.0, 1.0))
    grads = {}
    for bwd in ("ste", "analog"):
        f = jax.jit(jax.grad(lambda x, w, b=bwd: jnp.sum(A.analog_dense(x, w, fine, backward=b) ** 2), argnums=(0, 1)))
        grads[bwd] = f(xd, wd)
        assert all(bool(jnp.all(jnp.isfinite(g))) for g in grads[bwd])
    np.testing.assert_array_equal(grads["ste"][1], grads["analog"][1])  # ∂w stays float
    rel = jnp.max(jnp.abs(grads["ste"][0] - grads["analog"][0])) / jnp.max(jnp.abs(grads["ste"][0]))
    assert float(rel) < 0.02  # ŵ vs w (8-bit) and the 10-bit error read


def test_transposed_reads():
    cfg = A.ArrayConfig(weight_bits=6, input_bits=12, cell_bits=2, subarray_rows=4, adc_mode="none",
                        on_off_ratio=10.0)
    e = jnp.asarray(_tiny(27, (3, 6), -0.3, 0.3))
    w = jnp.asarray(_tiny(28, (9, 6), -1.0, 1.0))
    what = A.effective_weight(w, cfg)
    gain = (2**12 - 1) / 2**12
    np.testing.assert_allclose(A.analog_dense_transposed(e, w, cfg), e @ what.T * gain, atol=3e-4)
    ec = jnp.asarray(_tiny(29, (2, 4, 4, 3), -1.0, 1.0))
    wc = jnp.asarray(_tiny(30, (3, 3, 5, 3), -1.0, 1.0))
    conv = lambda x: jax.lax.conv_general_dilated(  # noqa: E731
        x, A.effective_weight(wc, cfg), (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision="highest")
    _, vjp = jax.vjp(conv, jnp.zeros((2, 4, 4, 5)))
    np.testing.assert_allclose(A.analog_conv_transposed(ec, wc, cfg), vjp(ec)[0] * gain, atol=2e-3)
    # The same cells: a variation array in the forward layout is transposed with the weights.
    var = _normal(31, A.cell_shape(wc.shape, cfg), 0.1)
    yt = A.analog_conv_transposed(ec, wc, cfg, variation=var)
    assert yt.shape == (2, 4, 4, 5) and bool(jnp.all(jnp.isfinite(yt)))
    assert float(jnp.max(jnp.abs(yt - A.analog_conv_transposed(ec, wc, cfg)))) > 1e-3
    # A zero error stays zero (no NaN from the max|e| normalisation).
    np.testing.assert_array_equal(A.analog_dense_transposed(e * 0.0, w, cfg), jnp.zeros((3, 9)))
    with pytest.raises(ValueError, match="odd"):
        A.analog_conv_transposed(jnp.zeros((1, 4, 4, 3)), jnp.zeros((2, 2, 5, 3)), cfg)
