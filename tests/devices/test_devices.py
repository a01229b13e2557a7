"""Device physics (docs/model.md §2.1–§2.6): NL label → A, the curve, the cell step, d2d and c2c."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.devices import PRESETS, nl_label
from cimjax.devices import nonlinear as nlin
from cimjax.devices.nl_label import LABEL_TO_DEVIATION, max_deviation, nl_grid_table, nl_to_a_norm

# docs/model.md §2.2: NeuroSim's table values at ten labels (6 decimals).
CHECKPOINTS = {
    0.01: 126.268958,
    0.5: 2.519877,
    1.0: 1.251653,
    1.46: 0.848677,
    1.75: 0.702081,
    2.4: 0.499181,
    3.0: 0.386830,
    4.88: 0.200303,
    6.0: 0.135619,
    9.0: 0.022810,
}
L = 32


@pytest.fixture
def x64():
    """Float64 for one test; restores the previous setting."""
    with helpers.x64():
        yield


# ---------------------------------------------------------------- NL label → A_n


@pytest.mark.parametrize("floor_to_grid", [True, False])
def test_checkpoints_float64(x64, floor_to_grid):
    nl = jnp.array(list(CHECKPOINTS), jnp.float64)
    ref = np.array(list(CHECKPOINTS.values()))
    a = np.asarray(nl_to_a_norm(nl, floor_to_grid=floor_to_grid))
    assert a.dtype == np.float64
    np.testing.assert_allclose(a, ref, rtol=0, atol=1e-6)
    a_neg = np.asarray(nl_to_a_norm(-nl, floor_to_grid=floor_to_grid))
    np.testing.assert_allclose(a_neg, -ref, rtol=0, atol=1e-6)
    if floor_to_grid:  # the grid values are the table's 6-decimal entries
        np.testing.assert_allclose(a, ref, rtol=0, atol=1e-12)


def test_checkpoints_float32():
    """float32 resolves A_n to ~1e-7 relative; absolute 1e-6 holds wherever the float32
    spacing allows it (A_n < 8; the ulp of 126.27 is 7.6e-6)."""
    nl = jnp.array(list(CHECKPOINTS), jnp.float32)
    ref = np.array(list(CHECKPOINTS.values()))
    for grid in (True, False):
        a = np.asarray(nl_to_a_norm(nl, floor_to_grid=grid), np.float64)
        assert nl_to_a_norm(nl, floor_to_grid=grid).dtype == jnp.float32
        np.testing.assert_allclose(a, ref, rtol=2e-7 if grid else 1.2e-5)
        small = ref < 8
        np.testing.assert_allclose(a[small], ref[small], rtol=0, atol=1e-6)


def test_definition_by_brute_force():
    """D(A_n) is the largest vertical gap g(p) − p, and equals 0.07·√2·NL at the solution."""
    p = np.linspace(0.0, 1.0, 200_001)
    for nl, a in CHECKPOINTS.items():
        if a > 50:
            continue  # the gap (1e-3) is resolved too coarsely by a 2e5-point grid
        g = (1 - np.exp(-p / a)) / (1 - np.exp(-1 / a))
        gap = np.max(g - p)
        assert abs(gap - LABEL_TO_DEVIATION * nl) < 2e-6 * max(1.0, nl)
        assert abs(float(max_deviation(jnp.float32(1 / a))) - gap) < 1e-5


def test_max_deviation_monotone_and_continuous():
    k = jnp.exp(jnp.linspace(-15.0, 10.0, 5001))
    d = np.asarray(max_deviation(k))
    assert np.all(np.diff(d) >= 0) and d[0] > 0 and d[-1] < 1
    np.testing.assert_allclose(d[:10], np.asarray(k[:10]) / 8, rtol=1e-6)  # small-k limit
    # Series and closed form meet at k = 1.
    below, at = np.asarray(max_deviation(jnp.array([1 - 1e-6, 1.0])))
    assert abs(below - at) < 1e-6
    assert float(max_deviation(0.0)) == 0.0


def test_linear_label_and_sign():
    for grid in (True, False):
        a = nl_to_a_norm(jnp.array([0.0, -0.0, 1.75, -1.75]), floor_to_grid=grid)
        assert np.isposinf(a[0]) and np.isposinf(a[1])
        assert float(a[2]) > 0 and float(a[3]) == -float(a[2])
    # Continuous: |NL| below 1e-12 is linear; small labels follow A_n ≈ 1.26269/NL.
    a = nl_to_a_norm(jnp.array([1e-13, 1e-4]), floor_to_grid=False)
    assert np.isposinf(a[0])
    assert abs(float(a[1]) * 1e-4 - 1.26269) < 1e-4


def test_floor_to_grid_lookup():
    table = nl_grid_table()
    assert table.shape == (900,)
    assert np.all(np.diff(np.asarray(table)) < 0)
    a = nl_to_a_norm(jnp.array([0.004, 1.759, 1.75, 0.29, 9.0, 9.7, -0.005]))
    expected = table[jnp.array([0, 174, 174, 28, 899, 899, 0])]
    np.testing.assert_array_equal(a, expected * jnp.array([1, 1, 1, 1, 1, 1, -1.0]))
    # Continuous mode does not floor.
    assert float(nl_to_a_norm(1.759, floor_to_grid=False)) < float(table[174])


def test_nl_to_a_jit_vmap_shapes():
    nl = jnp.array([[0.5, -2.4], [0.0, 9.0]])
    for grid in (True, False):
        f = lambda x: nl_to_a_norm(x, floor_to_grid=grid)  # noqa: E731
        out = f(nl)
        assert out.shape == (2, 2)
        np.testing.assert_allclose(jax.jit(f)(nl), out, rtol=1e-6)
        np.testing.assert_allclose(jax.vmap(f)(nl), out, rtol=1e-6)
        if grid:  # a table lookup: bit-identical under jit
            np.testing.assert_array_equal(jax.jit(f)(nl), out)
    assert nl_to_a_norm(1.75).shape == ()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_resolve_to_finite_or_linear(name):
    pre = PRESETS[name]
    a = nl_to_a_norm(jnp.array([pre.nl_ltp, pre.nl_ltd]))
    for nl, an in zip((pre.nl_ltp, pre.nl_ltd), np.asarray(a)):
        if nl == 0:
            assert np.isposinf(an)
        else:
            assert np.isfinite(an) and np.sign(an) == np.sign(nl)


# ---------------------------------------------------------------- the curve

A_NORMS = [126.268958, 2.519877, 0.702081, 0.0228, -0.2, -0.0228, -126.27]


def _naive_w(p, a):
    b = 2 / (1 - np.exp(-L / a))
    return b * (1 - np.exp(-p / a)) - 1


def test_curve_b():
    b = float(nlin.curve_b(0.702081 * L, L))
    np.testing.assert_allclose(b, 2 / (1 - np.exp(-1 / 0.702081)), rtol=1e-6)
    assert float(nlin.curve_b(-0.2 * L, L)) < 0
    assert np.isposinf(float(nlin.curve_b(jnp.inf, L)))
    # FeFET default (docs/model.md §2.4): B_LTP = 2.634, B_LTD = 2.889 at L = 32.
    a = nl_to_a_norm(jnp.array([1.75, 1.46])) * L
    np.testing.assert_allclose(nlin.curve_b(a, L), [2.634, 2.889], atol=1e-3)


@pytest.mark.parametrize("a_norm", A_NORMS)
def test_curve_matches_formula_and_round_trips(x64, a_norm):
    a = a_norm * L
    p = np.linspace(-3.0, L + 3.0, 71)
    w = np.asarray(nlin.weight_from_pulses(jnp.asarray(p), a, L))
    ref = _naive_w(p, a)
    ok = np.abs(ref) < 5
    np.testing.assert_allclose(w[ok], ref[ok], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(nlin.weight_from_pulses(jnp.array([0.0, L]), a, L), [-1.0, 1.0], atol=1e-12)
    assert np.all(np.diff(w) >= 0)  # conductance grows with pulse position, both signs of A
    # Inverse: exact wherever the curve is not flat to float64 resolution.
    pin = np.linspace(0.0, L, 33)
    win = _naive_w(pin, a)
    back = np.asarray(nlin.pulses_from_weight(jnp.asarray(win), a, L))
    steep = np.abs(np.gradient(win, pin)) > 1e-6
    np.testing.assert_allclose(back[steep], pin[steep], atol=1e-6)


def test_linear_curve_exact():
    p = jnp.arange(0.0, L + 1.0)
    for a in (jnp.inf, -jnp.inf):
        np.testing.assert_array_equal(nlin.weight_from_pulses(p, a, L), 2 * p / L - 1)
        np.testing.assert_array_equal(nlin.pulses_from_weight(2 * p / L - 1, a, L), p)


def test_inverse_never_nan():
    w = jnp.linspace(-1.5, 1.5, 3001)
    a_norm = nl_to_a_norm(jnp.array([9.0, -9.0, 6.76, -6.76, 0.01, -0.01, 0.0]))
    for a in np.asarray(a_norm * L):
        p = nlin.pulses_from_weight(w, a, L)
        assert np.all(np.isfinite(p)), a
        back = nlin.weight_from_pulses(p, a, L)
        assert np.all(np.isfinite(back)), a
    # Beyond the asymptote the log argument is floored: p ≈ −A·ln(1e-30).
    a = float(a_norm[0] * L)
    p_sat = float(nlin.pulses_from_weight(1.5, a, L))
    np.testing.assert_allclose(p_sat, -a * np.log(nlin.LOG_ARG_FLOOR), rtol=1e-5)
    # Far extrapolation stays finite (exponent clamp).
    assert np.all(np.isfinite(nlin.weight_from_pulses(jnp.array([-1e6, 1e6]), a, L)))
    assert np.all(np.isfinite(nlin.weight_from_pulses(jnp.array([-1e6, 1e6]), -a, L)))


# ---------------------------------------------------------------- device step (one cell)


def _a(nl_ltp, nl_ltd, max_level=L):
    a = nl_to_a_norm(jnp.array([nl_ltp, nl_ltd])) * max_level
    return float(a[0]), float(a[1])


def test_cell_step_scalar_sign_convention():
    a_ltp, a_ltd = _a(1.75, 1.46)
    up = nlin.device_step_cell(0.0, -3.0, a_ltp, a_ltd, L)
    down = nlin.device_step_cell(0.0, 3.0, a_ltp, a_ltd, L)
    assert up.shape == () and float(up) > 0 > float(down)
    assert float(nlin.device_step_cell(0.3, 0.0, a_ltp, a_ltd, L)) == np.float32(0.3)
    # The curve is used: with A_LTP the step equals w(p0 + 3) − w(p0) by hand.
    p0 = nlin.pulses_from_weight(0.0, a_ltp, L)
    np.testing.assert_allclose(up, nlin.weight_from_pulses(p0 + 3.0, a_ltp, L), rtol=1e-6)


def test_cell_step_linear_is_exact():
    w = jnp.array([-0.9, -0.1, 0.0, 0.5, 0.9])
    dp = jnp.array([-3.0, 5.0, 0.0, 2.0, -1.0])
    np.testing.assert_array_equal(nlin.device_step_cell(w, dp, jnp.inf, jnp.inf, L), w - 2.0 * dp / L)


def test_cell_step_symmetric_vs_asymmetric():
    """Same-sign labels retrace one curve (up then down returns); opposite signs do not."""
    sym = _a(1.75, 1.75)
    asym = _a(2.40, -4.88)
    w0 = 0.1
    for (a_ltp, a_ltd), returns in ((sym, True), (asym, False)):
        w1 = nlin.device_step_cell(w0, -4.0, a_ltp, a_ltd, L)
        w2 = nlin.device_step_cell(w1, 4.0, a_ltp, a_ltd, L)
        assert (abs(float(w2) - w0) < 1e-5) == returns
    # Asymmetric device: the same |ΔP| moves up and down by different amounts.
    a_ltp, a_ltd = asym
    up = float(nlin.device_step_cell(w0, -2.0, a_ltp, a_ltd, L)) - w0
    down = w0 - float(nlin.device_step_cell(w0, 2.0, a_ltp, a_ltd, L))
    assert up > 0 and down > 0 and abs(up - down) > 0.05 * max(up, down)


def test_cell_step_lifts_by_broadcasting_and_jit():
    key = jax.random.key(1)
    shape = (4, 5)
    w = jax.random.uniform(key, shape, minval=-1.5, maxval=1.5)
    dp = jnp.round(jax.random.normal(jax.random.key(2), shape) * 6)
    a_ltp, a_ltd = nlin.sample_d2d_a(jax.random.key(3), shape, 2.4, -4.88, 0.5, L)
    out = nlin.device_step_cell(w, dp, a_ltp, a_ltd, L)
    f = jax.jit(lambda *a: nlin.device_step_cell(*a, L))
    np.testing.assert_allclose(f(w, dp, a_ltp, a_ltd), out, rtol=1e-6, atol=1e-7)
    # A Python loop over scalar cells (one compiled scalar function).
    loop = np.array(
        [[f(w[i, j], dp[i, j], a_ltp[i, j], a_ltd[i, j]) for j in range(shape[1])] for i in range(shape[0])]
    )
    np.testing.assert_allclose(out, loop, rtol=1e-6, atol=1e-7)
    vm = jax.vmap(lambda *a: nlin.device_step_cell(*a, L))(w, dp, a_ltp, a_ltd)
    np.testing.assert_allclose(vm, out, rtol=1e-6, atol=1e-7)
    assert np.all(np.isfinite(out))


def test_cell_step_clip_pulses():
    a_ltp, a_ltd = _a(2.4, -4.88)
    w = jnp.array([0.9, -0.9])
    dp = jnp.array([-30.0, 30.0])
    free = nlin.device_step_cell(w, dp, a_ltp, a_ltd, L)
    clipped = nlin.device_step_cell(w, dp, a_ltp, a_ltd, L, clip_pulses=True)
    np.testing.assert_allclose(clipped, [1.0, -1.0], atol=1e-6)
    assert float(free[0]) > 1.0 and float(free[1]) < -1.0  # NeuroSim extrapolates


# ---------------------------------------------------------------- d2d and c2c


def test_sample_d2d_same_draw_on_both_labels(x64):
    key = jax.random.key(7)
    a_p, a_d = nlin.sample_d2d_a(key, (4000,), 1.75, 1.46, 0.3, L, floor_to_grid=False)
    assert a_p.shape == a_d.shape == (4000,)
    # Recover the labels through D(A_n) = 0.07·√2·NL: their difference is the nominal one.
    nl_p = max_deviation(L / a_p) / LABEL_TO_DEVIATION
    nl_d = max_deviation(L / a_d) / LABEL_TO_DEVIATION
    np.testing.assert_allclose(nl_p - nl_d, 1.75 - 1.46, atol=1e-9)
    assert abs(float(jnp.std(nl_p)) - 0.3) < 0.02
    # Same key, same population; another key, another one.
    again = nlin.sample_d2d_a(key, (4000,), 1.75, 1.46, 0.3, L, floor_to_grid=False)
    np.testing.assert_array_equal(again[0], a_p)
    other = nlin.sample_d2d_a(jax.random.key(8), (4000,), 1.75, 1.46, 0.3, L, floor_to_grid=False)
    assert not np.array_equal(other[0], a_p)


def test_sample_d2d_zero_sigma_and_clip():
    a_p, a_d = nlin.sample_d2d_a(jax.random.key(0), (3, 4), 2.4, -4.88, 0.0, 97)
    np.testing.assert_array_equal(a_p, jnp.full((3, 4), nl_to_a_norm(2.4) * 97))
    np.testing.assert_array_equal(a_d, jnp.full((3, 4), nl_to_a_norm(-4.88) * 97))
    # A huge σ flips signs and saturates at |NL| = 9; nothing is NaN.
    a_p, a_d = nlin.sample_d2d_a(jax.random.key(1), (2000,), 6.0, -6.0, 9.0, L)
    a9 = float(nl_to_a_norm(9.0)) * L
    for a in (a_p, a_d):
        assert not np.any(np.isnan(a))
        assert np.all(np.abs(a) >= a9 * (1 - 1e-6))
        assert np.any(a > 0) and np.any(a < 0)


def test_c2c_noise_mask_sigma_and_per_pulse_rescaling():
    key = jax.random.key(11)
    n = 40_000
    delta = jnp.where(jnp.arange(n) % 2 == 0, 1 / 16, 0.0)
    eps = nlin.c2c_noise(key, delta, 0.01, "per_update")
    assert np.all(np.asarray(eps)[1::2] == 0)
    assert abs(float(jnp.std(eps[0::2])) / 0.02 - 1) < 0.03
    # per_pulse is the same draw scaled by √|ΔP| (tested for equality, not statistically).
    dp = jnp.where(jnp.arange(n) % 2 == 0, (jnp.arange(n) % 7 - 3).astype(jnp.float32), 0.0)
    eps_p = nlin.c2c_noise(key, delta, 0.01, "per_pulse", dp)
    np.testing.assert_allclose(eps_p, eps * jnp.sqrt(jnp.abs(dp)), rtol=1e-6)
    with pytest.raises(ValueError):
        nlin.c2c_noise(key, delta, 0.01, "per_pulse")
    with pytest.raises(ValueError):
        nlin.c2c_noise(key, delta, 0.01, "sometimes")


def test_nl_label_module_has_no_flax():
    import sys

    assert nl_label.__name__ in sys.modules
    src = open(nlin.__file__).read() + open(nl_label.__file__).read()
    assert "flax" not in src.replace("Flax", "").lower().replace("never imports flax", "")
