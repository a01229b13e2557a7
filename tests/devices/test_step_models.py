"""Pulsed-device step models (cimjax/devices/protocol.py, steps.py, aihwkit_presets.py; docs/devices.md).

Each model is checked against its defining equation written here independently in numpy, plus
the protocol's behaviour (bounds, dead cells, d2d and c2c statistics, the symmetry point), the
transformations (jit, vmap, grad against finite differences) and the presets.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.devices import aihwkit_presets as ap
from cimjax.devices import nonlinear as nlin
from cimjax.devices.nl_label import nl_to_a_norm
from cimjax.devices.presets import PRESETS
from cimjax.devices.protocol import (
    Cells,
    ConstantStep,
    PulsedDevice,
    SoftBounds,
    StepModel,
    apply_pulses,
    expected_step,
    pulse,
    read,
    sample_cells,
)
from cimjax.devices.steps import (
    MODELS,
    ExpStep,
    LinearStep,
    NeuroSimStep,
    PiecewiseStep,
    PowStep,
    symmetry_point,
    with_symmetry_reference,
)

KEY = jax.random.PRNGKey(7)
N = 256  # cells in the per-model tests (one shape: eager ops compile once)

#: One instance of every model with non-trivial parameters (and spreads where the model has them).
MODEL_CASES = {
    "constant_step": ConstantStep(),
    "soft_bounds": SoftBounds(),
    "linear_step": LinearStep(0.6, 0.3, 0.05, 0.05),
    "exp_step": ExpStep(),
    "pow_step": PowStep(1.7, 0.1, 0.2, 0.05),
    "piecewise_step": PiecewiseStep((1.6, 1.0, 0.7, 0.2), (0.3, 0.8, 1.1, 1.5)),
    "neurosim": NeuroSimStep(2.4, -4.88, 40, 0.3),
}


def noisy_device(model, **kw):
    base = dict(
        dw_min=0.02, dw_min_dtod=0.1, dw_min_std=0.3, up_down=0.1, up_down_dtod=0.02,
        w_min=-0.9, w_max=1.1, w_min_dtod=0.1, w_max_dtod=0.1,
    )
    base.update(kw)
    return PulsedDevice(model, **base)


def fixed_cells(n=7, **shape_kw):
    """Hand-made cells (no sampling): distinct per-cell values of every shared field."""
    rng = np.random.default_rng(3)
    f = lambda lo, hi: jnp.asarray(rng.uniform(lo, hi, n), jnp.float32)
    return Cells(
        dw_min=f(0.01, 0.03), scale_up=f(0.7, 1.1), scale_down=f(0.6, 1.2),
        w_min=f(-1.2, -0.6), w_max=f(0.7, 1.3), alive=jnp.ones(n, bool), reference=f(-0.1, 0.1),
        shape=(),
    )


def np_(x):
    return np.asarray(x, np.float64)


def weights_inside(cells, frac=np.linspace(0.02, 0.98, 7)):
    return jnp.asarray(np_(cells.w_min) + frac * (np_(cells.w_max) - np_(cells.w_min)), jnp.float32)


# ------------------------------------------------------------------ defining equations


def test_registry_covers_all_seven_models():
    assert set(MODELS) == set(MODEL_CASES)
    for name, cls in MODELS.items():
        model = MODEL_CASES[name]
        assert type(model) is cls and model.name == name and isinstance(model, StepModel)


def test_constant_and_soft_bounds_formulas():
    c = fixed_cells()
    w = weights_inside(c)
    dw, su, sd, lo, hi = map(np_, (c.dw_min, c.scale_up, c.scale_down, c.w_min, c.w_max))
    wn = np_(w)
    np.testing.assert_allclose(ConstantStep().step_up(w, c), dw * su, rtol=1e-6)
    np.testing.assert_allclose(ConstantStep().step_down(w, c), dw * sd, rtol=1e-6)
    np.testing.assert_allclose(SoftBounds().step_up(w, c), dw * su * (1 - wn / hi), rtol=1e-5)
    np.testing.assert_allclose(SoftBounds().step_down(w, c), dw * sd * (1 - wn / lo), rtol=1e-5)


@pytest.mark.parametrize("reference", [None, (-0.8, 1.2)])
def test_linear_step_formula(reference):
    c = fixed_cells()
    g_up, g_down = np.array([0.1, 0.5, 1.0, 0.3, 0.7, 0.05, 0.9]), np.array([0.8, 0.2, 0.4, 1.0, 0.0, 0.6, 0.3])
    m = LinearStep(bound_reference=reference)
    c = c._replace(shape=m.sample(KEY, (7,), jnp.float32)._replace(gamma_up=jnp.float32(g_up), gamma_down=jnp.float32(g_down)))
    w = weights_inside(c)
    lo, hi = (np_(c.w_min), np_(c.w_max)) if reference is None else reference
    up = np_(c.dw_min) * np_(c.scale_up) * np.maximum(1 - g_up * np_(w) / hi, 0)
    down = np_(c.dw_min) * np_(c.scale_down) * np.maximum(1 - g_down * np_(w) / lo, 0)
    np.testing.assert_allclose(m.step_up(w, c), up, rtol=1e-5)
    np.testing.assert_allclose(m.step_down(w, c), down, rtol=1e-5)


def test_linear_step_gamma_one_is_soft_bounds():
    dev_sb = noisy_device(SoftBounds())
    dev_ls = noisy_device(LinearStep(1.0, 1.0))
    c_sb = sample_cells(dev_sb, KEY, (500,))
    c_ls = sample_cells(dev_ls, KEY, (500,))
    w = jnp.linspace(-0.5, 0.5, 500)
    for d in (1, -1):
        np.testing.assert_allclose(expected_step(dev_ls, c_ls, w, d), expected_step(dev_sb, c_sb, w, d), rtol=1e-5)


def test_exp_step_formula_and_aihwkit_defaults():
    m = ExpStep()
    assert (m.A_up, m.A_down, m.gamma_up, m.gamma_down, m.a, m.b) == (0.00081, 0.36833, 12.44625, 12.78785, 0.244, 0.2425)
    m = ExpStep(A_up=-1.18445, A_down=0.6, gamma_up=3.0, gamma_down=4.0, a=-0.5, b=0.2)
    c = fixed_cells()
    c = c._replace(shape=m.sample(KEY, (7,), jnp.float32))
    w = weights_inside(c)
    z = 2 * -0.5 * np_(w) / (np_(c.w_max) - np_(c.w_min)) + 0.2
    up = np_(c.dw_min) * np_(c.scale_up) * np.maximum(1 + 1.18445 * np.exp(3.0 * z), 0)
    down = np_(c.dw_min) * np_(c.scale_down) * np.maximum(1 - 0.6 * np.exp(-4.0 * z), 0)
    np.testing.assert_allclose(m.step_up(w, c), up, rtol=1e-5)
    np.testing.assert_allclose(m.step_down(w, c), down, rtol=1e-5, atol=1e-9)
    assert np.any(down == 0) or np.all(down > 0)  # the floor at 0 is part of the formula


def test_exp_step_floor_at_zero():
    m = ExpStep(A_up=2.0, A_down=0.0, gamma_up=1.0, gamma_down=1.0, a=1.0, b=0.0)
    c = fixed_cells()._replace(shape=m.sample(KEY, (7,), jnp.float32))
    w = jnp.asarray(np_(fixed_cells().w_max) * 0.99, jnp.float32)  # z ≈ +0.5…: 1 − 2e^z < 0
    assert np.all(np_(m.step_up(w, c)) == 0.0)


def test_pow_step_formula():
    m = PowStep(pow_gamma=1.0)
    c = fixed_cells()
    g_up, g_down = np.array([0.5, 1.0, 2.0, 3.0, 1.5, 0.8, 2.5]), np.array([2.0, 0.7, 1.0, 1.3, 3.0, 0.5, 1.1])
    c = c._replace(shape=m.sample(KEY, (7,), jnp.float32)._replace(gamma_up=jnp.float32(g_up), gamma_down=jnp.float32(g_down)))
    w = weights_inside(c)
    omega = (np_(c.w_max) - np_(w)) / (np_(c.w_max) - np_(c.w_min))
    np.testing.assert_allclose(m.step_up(w, c), np_(c.dw_min) * np_(c.scale_up) * omega**g_up, rtol=1e-5)
    np.testing.assert_allclose(m.step_down(w, c), np_(c.dw_min) * np_(c.scale_down) * (1 - omega) ** g_down, rtol=1e-5)


def test_pow_step_gamma_sampling_is_one_sided():
    # γ_up = γ·|gain + r + min(β, 0)|, γ_down = γ·|gain − r − max(β, 0)| (aihwkit C++)
    s = PowStep(2.0, 0.0, 0.25, 0.0).sample(KEY, (3,), jnp.float32)
    np.testing.assert_allclose(s.gamma_up, 2.0, rtol=1e-6)
    np.testing.assert_allclose(s.gamma_down, 2.0 * 0.75, rtol=1e-6)
    s = PowStep(2.0, 0.0, -0.25, 0.0).sample(KEY, (3,), jnp.float32)
    np.testing.assert_allclose(s.gamma_up, 2.0 * 0.75, rtol=1e-6)
    np.testing.assert_allclose(s.gamma_down, 2.0, rtol=1e-6)


@pytest.mark.parametrize("nodes", [((1.0,), (2.0,)), ((1.5, 1.0, 1.5), (0.2, 1.0, 1.8)), ((0.1, 2.0, 0.4, 1.0, 3.0), (1.0, 0.0, 0.5, 2.0, 1.0))])
def test_piecewise_step_interpolates_nodes(nodes):
    m = PiecewiseStep(*nodes)
    c = fixed_cells()
    c = c._replace(shape=m.sample(KEY, (7,), jnp.float32))
    frac = np.linspace(-0.1, 1.1, 7)  # ends outside the range take the end node
    w = weights_inside(c, frac)
    for step, vals, scale in ((m.step_up, nodes[0], c.scale_up), (m.step_down, nodes[1], c.scale_down)):
        want = [
            np.interp(np_(w)[i], np.linspace(np_(c.w_min)[i], np_(c.w_max)[i], len(vals)), vals) for i in range(7)
        ]
        np.testing.assert_allclose(step(w, c), np_(c.dw_min) * np_(scale) * np.array(want), rtol=1e-5, atol=1e-9)


def _np_curve(p, a, L):
    b = 2 / (1 - np.exp(-L / a))
    return b * (1 - np.exp(-p / a)) - 1


def _np_pulses(u, a, L):
    b = 2 / (1 - np.exp(-L / a))
    return -a * np.log(1 - (u + 1) / b)


@pytest.mark.parametrize("nl", [(1.75, 1.46), (2.4, -4.88), (-1.0, 3.0)])
def test_neurosim_step_is_one_pulse_on_the_curve(nl):
    L = 32
    m = NeuroSimStep(nl[0], nl[1], L)
    dev = PulsedDevice(m, dw_min=2.0 / L)
    c = sample_cells(dev, KEY, (9,))
    w = jnp.linspace(-0.95, 0.95, 9)
    a_p = float(nl_to_a_norm(nl[0])) * L
    a_d = float(nl_to_a_norm(nl[1])) * L
    wn = np_(w)
    up = _np_curve(_np_pulses(wn, a_p, L) + 1, a_p, L) - wn
    down = wn - _np_curve(_np_pulses(wn, a_d, L) - 1, a_d, L)
    np.testing.assert_allclose(m.step_up(w, c), up, rtol=2e-4)
    np.testing.assert_allclose(m.step_down(w, c), down, rtol=2e-4)
    # the same as NeuroSim's own programming step (QG's device part) with ΔP = ∓1
    np.testing.assert_allclose(w + m.step_up(w, c), nlin.device_step_cell(w, -1.0, a_p, a_d, L), atol=2e-6)
    np.testing.assert_allclose(w - m.step_down(w, c), nlin.device_step_cell(w, 1.0, a_p, a_d, L), atol=2e-6)


def test_neurosim_step_scales_with_bounds_and_dw_min():
    L = 32
    m = NeuroSimStep(2.4, -4.88, L)
    c = sample_cells(PulsedDevice(m, dw_min=2.0 / L), KEY, (5,))
    w = jnp.linspace(-0.8, 0.8, 5)
    base = np_(m.step_up(w, c))
    # a cell with range [−2, 2] and dw_min 4/L sees the same curve at w·2, twice as large
    c2 = c._replace(w_min=c.w_min * 2, w_max=c.w_max * 2, dw_min=c.dw_min * 2)
    np.testing.assert_allclose(m.step_up(w * 2, c2), 2 * base, rtol=1e-5)
    c3 = c._replace(dw_min=c.dw_min * 0.5)
    np.testing.assert_allclose(m.step_up(w, c3), 0.5 * base, rtol=1e-6)


# --------------------------------------------------------------- protocol behaviour


@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_expected_step_signs(name):
    dev = noisy_device(MODEL_CASES[name])
    c = sample_cells(dev, KEY, (N,))
    w = jax.random.uniform(jax.random.PRNGKey(1), (N,), minval=c.w_min, maxval=c.w_max)
    up = np_(expected_step(dev, c, w, 1))
    down = np_(expected_step(dev, c, w, -1))
    assert np.all(up >= 0) and np.all(down <= 0) and np.all(np.isfinite(up)) and np.all(np.isfinite(down))
    assert np.mean(up > 0) > 0.9 and np.mean(down < 0) > 0.9
    assert np.all(np_(expected_step(dev, c, w, 0)) == 0)


@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_bounds_respected_and_dead_cells_never_move(name):
    dev = noisy_device(MODEL_CASES[name], dw_min=0.2, dw_min_std=1.0, dead_fraction=0.3)
    c = sample_cells(dev, KEY, (N,))
    w0 = jnp.zeros(N)
    n = jnp.where(jnp.arange(N) % 2 == 0, 25, -25)
    w = np_(apply_pulses(dev, c, w0, n, jax.random.PRNGKey(2), max_pulses=25))
    alive = np.asarray(c.alive)
    assert 0.2 < 1 - alive.mean() < 0.4
    assert np.all(w >= np_(c.w_min) - 1e-6) and np.all(w <= np_(c.w_max) + 1e-6)
    assert np.all(w[~alive] == 0.0)
    assert np.mean(w[alive] != 0.0) > 0.9
    assert np.all(np_(expected_step(dev, c, w0, 1))[~alive] == 0)


def test_d2d_statistics():
    dev = PulsedDevice(
        LinearStep(0.4, 0.2, 0.05, 0.03), dw_min=0.01, dw_min_dtod=0.1, up_down=0.2, up_down_dtod=0.03,
        w_min=-0.8, w_max=1.2, w_min_dtod=0.1, w_max_dtod=0.05, dead_fraction=0.1,
        reference_std=0.05, reference_mean=0.02,
    )
    c = sample_cells(dev, KEY, (200_000,))
    stat = lambda x, mean, std: (np.testing.assert_allclose(np_(x).mean(), mean, atol=4 * std / 447 + 1e-7),
                                 np.testing.assert_allclose(np_(x).std(), std, rtol=0.02))
    stat(c.dw_min, 0.01, 0.001)
    stat(c.w_min, -0.8, 0.08)
    stat(c.w_max, 1.2, 0.06)
    # one-sided up_down: 0.2 > 0 lowers the down scale only; r = 0.03·ξ is +r up, −r down
    stat(c.scale_up, 1.0, 0.03)
    stat(c.scale_down, 0.8, 0.03)
    np.testing.assert_allclose(np.corrcoef(np_(c.scale_up), np_(c.scale_down))[0, 1], -1.0, atol=1e-3)
    stat(c.reference, 0.02, 0.05)
    stat(c.shape.gamma_up, 0.4, 0.05)
    stat(c.shape.gamma_down, 0.2, 0.03)
    np.testing.assert_allclose(1 - np.asarray(c.alive).mean(), 0.1, atol=0.003)


def test_up_down_negative_and_log_normal_d2d():
    dev = PulsedDevice(ConstantStep(), dw_min=0.01, dw_min_dtod=0.5, dw_min_dtod_log_normal=True, up_down=-0.3)
    c = sample_cells(dev, KEY, (200_000,))
    np.testing.assert_allclose(c.scale_up, 0.7, rtol=1e-6)
    np.testing.assert_allclose(c.scale_down, 1.0, rtol=1e-6)
    logs = np.log(np_(c.dw_min) / 0.01)
    np.testing.assert_allclose(logs.mean(), 0.0, atol=0.005)
    np.testing.assert_allclose(logs.std(), 0.5, rtol=0.01)


@pytest.mark.parametrize("mult", [True, False])
def test_c2c_statistics_of_single_pulses(mult):
    # Soft bounds at w = 0.5·w_max: the step is half of dw_min·scale. Multiplicative noise has
    # σ = 0.3·step; additive noise σ = 0.3·dw_min·scale, twice as large here.
    dev = PulsedDevice(SoftBounds(), dw_min=0.01, dw_min_std=0.3, mult_noise=mult)
    c = sample_cells(dev, KEY, (100_000,))
    w0 = jnp.full((100_000,), 0.5)
    for d in (1, -1):
        dw = np_(pulse(dev, c, w0, d, jax.random.PRNGKey(5 + d))) - 0.5
        expect = np_(expected_step(dev, c, w0, d))
        sigma = 0.3 * np.abs(expect) if mult else 0.3 * 0.01 * np.ones_like(expect)
        z = (dw - expect) / sigma
        np.testing.assert_allclose(z.mean(), 0.0, atol=0.02)
        np.testing.assert_allclose(z.std(), 1.0, rtol=0.02)


def test_same_key_same_numbers():
    for model in (MODEL_CASES["linear_step"], MODEL_CASES["neurosim"], MODEL_CASES["pow_step"]):
        dev = noisy_device(model)
        c1, c2 = sample_cells(dev, KEY, (N,)), sample_cells(dev, KEY, (N,))
        for a, b in zip(jax.tree_util.tree_leaves(c1), jax.tree_util.tree_leaves(c2)):
            np.testing.assert_array_equal(a, b)
        c3 = sample_cells(dev, jax.random.PRNGKey(8), (N,))
        assert not np.array_equal(np_(c1.dw_min), np_(c3.dw_min))
        assert not np.array_equal(np_(jax.tree_util.tree_leaves(c1.shape)[0]), np_(jax.tree_util.tree_leaves(c3.shape)[0]))
    dev = noisy_device(MODEL_CASES["exp_step"])
    c1 = sample_cells(dev, KEY, (50,))
    n = jnp.arange(50) % 7 - 3
    w1 = apply_pulses(dev, c1, 0.0, n, jax.random.PRNGKey(3), max_pulses=3)
    w2 = apply_pulses(dev, c1, 0.0, n, jax.random.PRNGKey(3), max_pulses=3)
    w3 = apply_pulses(dev, c1, 0.0, n, jax.random.PRNGKey(4), max_pulses=3)
    np.testing.assert_array_equal(w1, w2)
    assert not np.array_equal(np_(w1), np_(w3))


# ------------------------------------------------------------------------ symmetry point


def test_symmetry_point_soft_bounds_closed_form():
    dev = PulsedDevice(SoftBounds(), dw_min=0.005, up_down=0.3, up_down_dtod=0.05, dw_min_dtod=0.2,
                       w_min=-1.0, w_max=1.0, w_min_dtod=0.2, w_max_dtod=0.2)
    c = sample_cells(dev, KEY, (500,))
    su, sd, lo, hi = map(np_, (c.scale_up, c.scale_down, c.w_min, c.w_max))
    closed = (su - sd) / (su / hi - sd / lo)  # SoftBounds docstring
    got = np_(symmetry_point(dev, c))
    np.testing.assert_allclose(got, closed, atol=0.01)
    assert np.std(closed) > 0.02 and np.mean(np.abs(closed)) > 0.1  # a test that can fail
    # noisy estimate: unbiased within a few steps on average
    noisy = np_(symmetry_point(dev, c, n_pulses=4000, key=jax.random.PRNGKey(1)))
    assert abs(np.mean(noisy - closed)) < 0.02


def test_symmetry_point_linear_step_closed_form():
    ref = (-0.9, 1.1)
    dev = PulsedDevice(LinearStep(0.5, 0.8, 0.1, 0.1, bound_reference=ref), dw_min=0.004, up_down=-0.2, up_down_dtod=0.05,
                       w_min=-0.9, w_max=1.1)
    c = sample_cells(dev, KEY, (300,))
    su, sd, gu, gd = map(np_, (c.scale_up, c.scale_down, c.shape.gamma_up, c.shape.gamma_down))
    closed = (su - sd) / (su * gu / ref[1] - sd * gd / ref[0])
    np.testing.assert_allclose(symmetry_point(dev, c), closed, atol=0.01)


def test_with_symmetry_reference_reads_zero_at_the_symmetry_point():
    dev = ap.pulsed_preset("reram_array_om").replace(reference_std=0.0)
    c = sample_cells(dev, KEY, (200,))
    c_ref = with_symmetry_reference(dev, c)
    ws = symmetry_point(dev, c)
    np.testing.assert_allclose(read(c_ref, ws), 0.0, atol=1e-6)
    assert np.std(np_(ws)) > 0.01


# ------------------------------------------------------------- jit, vmap and gradients


@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_jit_vmap(name):
    dev = noisy_device(MODEL_CASES[name])
    c = sample_cells(dev, KEY, (N,))
    w = jnp.linspace(-0.5, 0.5, N)
    eager = expected_step(dev, c, w, 1)
    mapped = jax.jit(jax.vmap(lambda cc, ww: expected_step(dev, cc, ww, 1)))(c, w)
    np.testing.assert_allclose(mapped, eager, rtol=1e-5, atol=1e-8)  # NeuroSim: a difference of weights


def test_sampling_jits_with_the_device_static():
    dev = noisy_device(MODEL_CASES["piecewise_step"])
    cj = jax.jit(sample_cells, static_argnums=(0, 2))(dev, KEY, (4, 6))
    c = sample_cells(dev, KEY, (4, 6))
    np.testing.assert_allclose(cj.dw_min, c.dw_min, rtol=1e-6)
    np.testing.assert_allclose(cj.shape.up, c.shape.up, rtol=1e-6)


def _split(cells):
    params = (cells.dw_min, cells.scale_up, cells.scale_down, cells.w_min, cells.w_max, cells.shape)
    return params, lambda p: Cells(p[0], p[1], p[2], p[3], p[4], cells.alive, cells.reference, p[5])


@pytest.mark.parametrize("name", [n for n in MODEL_CASES if n != "constant_step"])
def test_grad_matches_finite_differences(name):
    with helpers.x64():
        dev = noisy_device(MODEL_CASES[name], dw_min=0.05)
        c = sample_cells(dev, KEY, (6,), jnp.float64)
        w = jnp.linspace(-0.45, 0.55, 6, dtype=jnp.float64)
        params, build = _split(c)

        def loss(p):
            cc = build(p)
            return jnp.sum(expected_step(dev, cc, w, 1) ** 2 + 0.7 * expected_step(dev, cc, w, -1))

        loss = jax.jit(loss)
        g = jax.jit(jax.grad(loss))(params)
        leaves = jax.tree_util.tree_leaves(g)
        assert all(np.all(np.isfinite(np_(x))) for x in leaves)
        # directional derivative along a random direction, central differences
        flat, tree = jax.tree_util.tree_flatten(params)
        rng = np.random.default_rng(0)
        direction = [jnp.asarray(rng.normal(size=x.shape)) for x in flat]
        eps = 1e-6
        plus = jax.tree_util.tree_unflatten(tree, [x + eps * d for x, d in zip(flat, direction)])
        minus = jax.tree_util.tree_unflatten(tree, [x - eps * d for x, d in zip(flat, direction)])
        fd = (loss(plus) - loss(minus)) / (2 * eps)
        an = sum(float(jnp.sum(gl * d)) for gl, d in zip(leaves, direction))
        np.testing.assert_allclose(an, float(fd), rtol=1e-5, atol=1e-10)
        # the model's own parameters get a gradient (they live in cells.shape)
        shape_leaves = jax.tree_util.tree_leaves(g[5])
        if name not in ("constant_step", "soft_bounds"):
            assert shape_leaves and any(np.any(np_(x) != 0) for x in shape_leaves)


def test_fitter_can_build_cells_from_traced_arrays():
    m = ExpStep()

    def f(A_up):
        shape = m.sample(KEY, (3,), jnp.float32)._replace(A_up=jnp.full((3,), A_up))
        c = Cells(jnp.full(3, 0.01), jnp.ones(3), jnp.ones(3), -jnp.ones(3), jnp.ones(3), jnp.ones(3, bool), jnp.zeros(3), shape)
        return jnp.sum(m.step_up(jnp.array([-0.5, 0.0, 0.5]), c))

    z = 2 * 0.244 * np.array([-0.5, 0.0, 0.5]) / 2 + 0.2425
    for a_up in (0.001, 0.02):  # at 0.02 the last cell's step is floored at 0: no gradient there
        live = 1 - a_up * np.exp(12.44625 * z) > 0
        g = jax.jit(jax.grad(f))(a_up)
        np.testing.assert_allclose(g, -0.01 * np.sum(np.exp(12.44625 * z) * live), rtol=1e-4)
    assert not live.all()


# ------------------------------------------------------------------------------- presets

DOCUMENTED_STATES = {
    "reram_es": 1481, "reram_sb": 1000, "capacitor": 400, "ecram": 1000, "ecram_mo": 7089,
    "idealized": 10000, "gokmen_vlasov": 1250, "pcm": 200, "reram_array_om": 21, "reram_array_hfo2": 4.3,
}


def test_presets_construct_with_documented_states():
    assert set(ap.PULSED_PRESETS) == set(DOCUMENTED_STATES)
    for name, states in DOCUMENTED_STATES.items():
        preset = ap.PULSED_PRESETS[name]
        dev = ap.pulsed_preset(name)
        assert isinstance(dev, PulsedDevice) and "aihwkit" in preset.source
        np.testing.assert_allclose(dev.states, states, rtol=0.01)
        c = sample_cells(dev, KEY, (64,))
        w = jnp.linspace(-0.6, 0.6, 64)
        up, down = np_(expected_step(dev, c, w, 1)), np_(expected_step(dev, c, w, -1))
        assert np.all(np.isfinite(up)) and np.all(up >= 0) and np.all(down <= 0)
        # at the nominal symmetry-ish middle the mean step is dw_min to within the shape's factor
        assert 0.02 < np.median(up - down) / (2 * dev.dw_min) < 50


def test_preset_values_spot_checks():
    es = ap.pulsed_preset("reram_es")
    assert es.model.A_up == -1.18445 and es.up_down == 0.259359 and es.dw_min_std == 5.0
    om = ap.pulsed_preset("reram_array_om")
    assert om.dw_min_dtod_log_normal and not om.mult_noise and om.reference_std == 0.05
    assert ap.pulsed_preset("reram_array_om", dead=True).dead_fraction == 0.1348
    assert ap.pulsed_preset("reram_array_hfo2", dead=True).dead_fraction == 0.0977
    assert "APPROXIMATE" in ap.PULSED_PRESETS["pcm"].notes


def test_pcm_shift_keeps_the_aihwkit_step():
    # aihwkit PCM: range [0, 2], a = −1, b = 0; here [−1, 1] with b = −1: step(w') = step_aihwkit(w' + 1)
    dev = ap.pulsed_preset("pcm").replace(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0)
    c = sample_cells(dev, KEY, (5,))
    wp = jnp.linspace(-0.9, 0.9, 5)
    w = np_(wp) + 1.0
    z = 2 * -1.0 * w / 2.0 + 0.0
    np.testing.assert_allclose(expected_step(dev, c, wp, 1), 0.01 * np.maximum(1 + 27.235 * np.exp(2.5 * z), 0), rtol=1e-5)
    np.testing.assert_allclose(-expected_step(dev, c, wp, -1), 0.01 * np.maximum(1 + 2.235 * np.exp(-2.5 * z), 0), rtol=1e-5)


def test_preset_errors_name_the_allowed_values():
    with pytest.raises(ValueError, match="reram_array_om"):
        ap.pulsed_preset("nope")
    with pytest.raises(ValueError, match="no measured dead fraction"):
        ap.pulsed_preset("capacitor", dead=True)
    with pytest.raises(ValueError, match="fefet_hzo"):
        ap.neurosim_pulsed_device("nope")


def test_neurosim_presets_sweep_the_range_in_max_level_pulses():
    # One compiled pulse loop for every NeuroSim preset: the curve constants and max_level live in
    # cells.shape, so cells of different presets run under one (static) device.
    devs = {n: ap.neurosim_pulsed_device(n) for n in PRESETS}
    for n, d in devs.items():
        assert d.dw_min == pytest.approx(2.0 / PRESETS[n].max_level)
    cells = [sample_cells(d, KEY, (4,)) for d in devs.values()]
    c = jax.tree_util.tree_map(lambda *x: jnp.concatenate(x), *cells)
    L = np.repeat([PRESETS[n].max_level for n in devs], 4)
    half = L // 2
    n = np.where(np.arange(len(L)) % 4 == 0, L, np.where(np.arange(len(L)) % 4 == 1, -L, np.where(np.arange(len(L)) % 4 == 2, half, -half)))
    w0 = np.where(n > 0, -1.0, 1.0)
    dev = devs["fefet_hzo"].replace(dw_min_std=0.0)
    w = np_(apply_pulses(dev, c, jnp.asarray(w0, jnp.float32), jnp.asarray(n), KEY, max_pulses=int(L.max())))
    a_p, a_d = np_(c.shape.a_ltp), np_(c.shape.a_ltd)
    want = np.where(
        np.abs(n) == L, np.sign(n),
        np.where(n > 0, np_(nlin.weight_from_pulses(half, a_p, L)), np_(nlin.weight_from_pulses(L - half, a_d, L))),
    )
    np.testing.assert_allclose(w, want, atol=2e-4)
    assert np.ptp(want[2::4]) > 0.1  # the presets' curves differ


def test_neurosim_c2c_conversion_is_2_sigma_per_pulse():
    dev = ap.neurosim_pulsed_device("ag_asi")
    c = sample_cells(dev, KEY, (100_000,))
    w0 = jnp.full((100_000,), 0.2)
    dw = np_(pulse(dev, c, w0, 1, KEY)) - 0.2 - np_(expected_step(dev, c, w0, 1))
    np.testing.assert_allclose(dw.std(), 2 * PRESETS["ag_asi"].c2c_sigma, rtol=0.02)


# ----------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: LinearStep(gamma_up=-0.1), "gamma_up"),
        (lambda: LinearStep(gamma_down_dtod=-1.0), "gamma_down_dtod"),
        (lambda: LinearStep(bound_reference=(0.5, 1.0)), "bound_reference"),
        (lambda: ExpStep(a=float("nan")), "a"),
        (lambda: ExpStep(A_down=float("inf")), "A_down"),
        (lambda: PowStep(pow_gamma=0.0), "pow_gamma"),
        (lambda: PowStep(pow_up_down=1.0), "pow_up_down"),
        (lambda: PiecewiseStep((), ()), "piecewise_up"),
        (lambda: PiecewiseStep((1.0, 2.0), (1.0,)), "piecewise_down"),
        (lambda: PiecewiseStep((1.0, -2.0), (1.0, 1.0)), "piecewise_up"),
        (lambda: NeuroSimStep(nl_ltp=9.5), "nl_ltp"),
        (lambda: NeuroSimStep(max_level=0), "max_level"),
        (lambda: NeuroSimStep(d2d_sigma=-0.1), "d2d_sigma"),
        (lambda: PulsedDevice(SoftBounds(), dw_min=0.0), "dw_min"),
        (lambda: PulsedDevice(SoftBounds(), up_down=1.5), "up_down"),
    ],
)
def test_bad_parameters_raise_naming_the_field(make, field):
    with pytest.raises(ValueError, match=rf"\.{field} = "):
        make()


def test_numpy_scalars_and_lists_are_accepted():
    assert NeuroSimStep(np.float32(1.0), -1.0, np.int64(32)).max_level == 32
    m = PiecewiseStep([1.0, 2.0], [2.0, 1.0])
    assert m.piecewise_up == (1.0, 2.0)
    hash(m)
    with pytest.raises(ValueError, match=r"\.gamma_up = "):
        LinearStep(gamma_up=True)


def test_models_are_hashable_static_arguments():
    for model in MODEL_CASES.values():
        hash(noisy_device(model))
        assert dataclasses.is_dataclass(model)
