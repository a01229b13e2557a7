"""The device-aware update as optax transformations (docs/model.md §1.5, §2.4–§2.6)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from cimjax import quant
from cimjax.config.schema import DeviceConfig, QuantConfig, TrainConfig
from cimjax.devices.nl_label import nl_to_a_norm
from cimjax.optim import (
    DeviceUpdateState,
    NeuroSimMomentumState,
    device_update,
    device_weight_change,
    neurosim_momentum,
    neurosim_optimizer,
    reset_momentum,
    step_decay_schedule,
)

W_MAX = 1 - 1 / 16  # C(·, 5 bits)
W_MAX_ULP = float(np.nextafter(np.float32(W_MAX), np.float32(2)))  # apply_updates rounds once


def _params(key, shape=(16, 8)):
    k1, k2 = jax.random.split(key)
    return {
        "conv": jax.random.uniform(k1, shape, minval=-1.5, maxval=1.5),
        "fc": {"w": jax.random.uniform(k2, (8, 4), minval=-0.9, maxval=0.9)},
    }


def _grads(key, params):
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(key, len(leaves))
    return jax.tree.unflatten(treedef, [jax.random.normal(k, p.shape) for k, p in zip(keys, leaves)])


# ---------------------------------------------------------------- optax contract


def test_init_update_apply_contract():
    params = _params(jax.random.key(0))
    tx = device_update(key=jax.random.key(1))
    state = tx.init(params)
    assert isinstance(state, DeviceUpdateState)
    assert int(state.count) == 0
    assert jax.tree.structure(state.a_ltp) == jax.tree.structure(params)
    for a, p in zip(jax.tree.leaves(state.a_ltp), jax.tree.leaves(params)):
        assert a.shape == p.shape and a.dtype == p.dtype
    updates, state2 = tx.update(_grads(jax.random.key(2), params), state, params)
    assert jax.tree.structure(updates) == jax.tree.structure(params)
    new = optax.apply_updates(params, updates)
    for p in jax.tree.leaves(new):
        assert p.dtype == jnp.float32 and np.all(np.abs(np.asarray(p)) <= W_MAX_ULP)
    assert int(state2.count) == 1
    assert not np.array_equal(jax.random.key_data(state2.rng_key), jax.random.key_data(state.rng_key))
    # Unknown extra args are accepted (GradientTransformationExtraArgs).
    tx.update(_grads(jax.random.key(2), params), state, params, loss=1.0)


def test_params_required():
    params = _params(jax.random.key(0))
    tx = device_update(key=jax.random.key(1))
    with pytest.raises(ValueError, match="needs the current weights"):
        tx.update(params, tx.init(params))
    chained = neurosim_optimizer(key=jax.random.key(1))
    with pytest.raises(ValueError, match="needs the current weights"):
        chained.update(params, chained.init(params))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(nl_ltp=9.5),
        dict(max_level=0),
        dict(c2c_sigma=-0.1),
        dict(c2c_mode="per_year"),
        dict(weight_bits=0),
    ],
)
def test_invalid_settings_raise_at_construction(kwargs):
    with pytest.raises(ValueError):
        device_update(key=jax.random.key(0), **kwargs)


def test_jit_equals_eager_and_no_recompilation():
    params = _params(jax.random.key(0))
    tx = neurosim_optimizer(DeviceConfig(name="ag_asi", d2d_sigma=0.2), key=jax.random.key(1))
    state = tx.init(params)
    traces = []

    def update(g, s, p):
        traces.append(1)
        return tx.update(g, s, p)

    jitted = jax.jit(update)
    g1 = _grads(jax.random.key(2), params)
    u_eager, s_eager = tx.update(g1, state, params)
    u_jit, s_jit = jitted(g1, state, params)
    for a, b in zip(jax.tree.leaves(u_jit), jax.tree.leaves(u_eager)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # Second step: new values, same shapes → no new trace, no new compilation.
    params2 = optax.apply_updates(params, u_jit)
    g2 = _grads(jax.random.key(3), params)
    jitted(g2, s_jit, params2)
    assert len(traces) == 1, 'update recompiles on the second call'


# ---------------------------------------------------------------- WAGE limit


def test_linear_device_pre_sr_change_is_pulse_quantised_wage_gradient():
    x = jax.random.normal(jax.random.key(4), (64, 32)) * 3e-3
    w = jax.random.uniform(jax.random.key(5), (64, 32), minval=-0.3, maxval=0.3)
    inf = jnp.full(w.shape, jnp.inf)
    lr = 0.3  # |w − d| ≤ 0.3 + 0.3·1.42 < 15/16: the clip C never acts
    x_hat = x / quant.shift(jnp.max(jnp.abs(x)))
    d, dp = device_weight_change(x, w, inf, inf, lr, max_level=32)
    np.testing.assert_array_equal(dp, jnp.round(lr * x_hat / 2 * 32))
    np.testing.assert_allclose(d, dp * 2 / 32, atol=1e-6)  # exact up to one rounding of w − d
    assert float(jnp.max(jnp.abs(d - lr * x_hat))) <= 1 / 32 + 1e-6
    # ideal=True is WAGE's gradient exactly: d = lr·x̂.
    d_ideal, _ = device_weight_change(x, w, inf, inf, lr, max_level=32, ideal=True)
    np.testing.assert_array_equal(d_ideal, lr * x_hat)


def test_ideal_expected_update_is_wage_statistically():
    """E[Δ] = lr·x̂/S(b_G): average many SR draws of one tensor of equal entries."""
    n = 40_000
    x = jnp.full((n,), 0.3).at[0].set(1.0)  # max|x| = 1 → x̂ = x
    w = jnp.zeros((n,))
    tx = device_update(1.0, key=jax.random.key(6), ideal=True, c2c_sigma=0.0)
    up, _ = tx.update(x, tx.init(w), w)
    steps = -np.asarray(up)[1:] * 16  # −Δ·S: SR(0.3) ∈ {0, 1}
    assert set(np.unique(steps).tolist()) <= {0.0, 1.0}
    assert abs(steps.mean() - 0.3) < 0.01


def test_float_gradient_bits_skip_sr():
    x = jnp.array([0.5, -0.25, 1.0, 0.0])
    w = jnp.zeros(4)
    tx = device_update(0.5, key=jax.random.key(0), ideal=True, c2c_sigma=0.0, gradient_bits=None)
    up, _ = tx.update(x, tx.init(w), w)
    np.testing.assert_array_equal(up, -0.5 * x)


# ---------------------------------------------------------------- device behaviour


def test_asymmetric_device_moves_up_and_down_differently():
    """Ag:a-Si (+2.40/−4.88): from the same weight, the same |x| moves up and down unequally."""
    a_ltp, a_ltd = (float(a) * 32 for a in nl_to_a_norm(jnp.array([2.40, -4.88])))
    w = jnp.full((2,), 0.2)
    x = jnp.array([-0.5, 0.5])  # x̂ = ∓1; −x → up, +x → down
    d, dp = device_weight_change(x, w, jnp.full(2, a_ltp), jnp.full(2, a_ltd), 0.5, max_level=32)
    np.testing.assert_array_equal(dp, [-8.0, 8.0])
    up, down = -float(d[0]), float(d[1])
    assert up > 0 and down > 0 and abs(up - down) > 0.1 * max(up, down)
    # A linear device moves both ways by exactly 2·8/32.
    inf = jnp.full(2, jnp.inf)
    d_lin, _ = device_weight_change(x, w, inf, inf, 0.5, max_level=32)
    np.testing.assert_allclose(d_lin, [-0.5, 0.5], atol=1e-7)


def test_c2c_noise_only_where_delta_nonzero_with_sigma():
    n = 20_000
    sigma = 0.01
    x = jnp.where(jnp.arange(n) % 2 == 0, 1.0, 0.0)  # x̂ = 1 → d = 1 → SR(1)/16 = 1/16 exactly
    w = jnp.zeros((n,))
    tx = device_update(1.0, key=jax.random.key(9), ideal=True, c2c_sigma=sigma)
    up, _ = tx.update(x, tx.init(w), w)
    up = np.asarray(up)
    assert np.all(up[1::2] == 0)  # no update, no noise
    noise = up[0::2] + 1 / 16
    assert abs(noise.mean()) < 4 * 2 * sigma / np.sqrt(n / 2)
    assert abs(noise.std() / (2 * sigma) - 1) < 0.03


def test_per_pulse_c2c_scales_with_pulses():
    n = 20_000
    x = jnp.full((n,), 0.5).at[0].set(1.0)  # ΔP = round(0.5/2·32) = 8 pulses
    w = jnp.zeros((n,))
    kw = dict(key=jax.random.key(9), ideal=True, c2c_sigma=0.01, gradient_bits=None)
    per_update = device_update(1.0, c2c_mode="per_update", **kw)
    per_pulse = device_update(1.0, c2c_mode="per_pulse", **kw)
    u1, _ = per_update.update(x, per_update.init(w), w)
    u2, _ = per_pulse.update(x, per_pulse.init(w), w)
    # Same key → same normal draw, scaled by √8 (Δ = d = 0.5 exactly with float gradients).
    np.testing.assert_allclose((u2 + 0.5)[1:], (u1 + 0.5)[1:] * np.sqrt(8.0), rtol=1e-4, atol=1e-7)


def test_d2d_population_fixed_and_restorable():
    params = _params(jax.random.key(0))
    make = lambda: device_update(key=jax.random.key(1), nl_ltp=2.4, nl_ltd=-4.88, d2d_sigma=0.5)  # noqa: E731
    tx = make()
    state = tx.init(params)
    # The same key gives the same population, another key another one.
    again = make().init(params)
    for a, b in zip(jax.tree.leaves(state.a_ltp), jax.tree.leaves(again.a_ltp)):
        np.testing.assert_array_equal(a, b)
    other = device_update(key=jax.random.key(2), nl_ltp=2.4, nl_ltd=-4.88, d2d_sigma=0.5).init(params)
    assert not np.array_equal(other.a_ltp["conv"], state.a_ltp["conv"])
    # Per-weight variation is present and constant across updates.
    assert np.std(np.asarray(state.a_ltp["conv"])) > 0
    grads = _grads(jax.random.key(3), params)
    u1, s1 = tx.update(grads, state, params)
    np.testing.assert_array_equal(s1.a_ltd["conv"], state.a_ltd["conv"])
    # Round trip through host numpy (as a checkpoint does; typed keys as key data).
    saved = jax.tree.map(np.asarray, state._replace(rng_key=jax.random.key_data(state.rng_key)))
    restored = jax.tree.map(jnp.asarray, saved)
    restored = restored._replace(rng_key=jax.random.wrap_key_data(restored.rng_key))
    u2, _ = tx.update(grads, restored, params)
    for a, b in zip(jax.tree.leaves(u1), jax.tree.leaves(u2)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "device",
    [
        dict(nl_ltp=9.0, nl_ltd=-9.0, max_level=32),
        dict(nl_ltp=-9.0, nl_ltd=9.0, max_level=32),
        dict(nl_ltp=3.68, nl_ltd=-6.76, max_level=50, c2c_sigma=0.005, d2d_sigma=1.0, floor_to_grid=False),
    ],
    ids=["nl9_-9", "nl-9_9", "pcmo_d2d"],
)
def test_strong_nonlinearity_1000_steps_no_nan(device):
    """NeuroSim init uniform(−1.5, 1.5) and 1,000 momentum + device steps: finite, in range."""
    params = {"w": jax.random.uniform(jax.random.key(0), (24, 16), minval=-1.5, maxval=1.5)}
    tx = optax.chain(neurosim_momentum(), device_update(key=jax.random.key(1), **device))
    state = tx.init(params)

    def step(carry, key):
        params, state = carry
        g = {"w": jax.random.normal(key, (24, 16)) + 0.3}  # a drift pushes weights to the bounds
        up, state = tx.update(g, state, params)
        params = optax.apply_updates(params, up)
        bad = jnp.any(~jnp.isfinite(params["w"])) | jnp.any(jnp.abs(params["w"]) > W_MAX_ULP)
        return (params, state), bad

    (params, state), bad = jax.jit(lambda c, k: jax.lax.scan(step, c, k))(
        (params, state), jax.random.split(jax.random.key(2), 1000)
    )
    assert not bool(jnp.any(bad))
    assert np.all(np.isfinite(params["w"]))
    assert np.all(np.abs(np.asarray(params["w"])) <= W_MAX_ULP)
    assert int(state[1].count) == 1000
    # Weights moved (many distinct values, not all stuck at the clip bounds).
    assert np.unique(np.asarray(params["w"])).size > 10


# ---------------------------------------------------------------- momentum and schedule


@pytest.mark.parametrize("renorm", [True, False])
def test_neurosim_momentum_hand_values(renorm):
    tx = neurosim_momentum(gamma=0.9, alpha=0.1, renorm=renorm)
    p = jnp.zeros(3)
    s = tx.init(p)
    g1 = jnp.array([30.0, -10.0, 5.0])
    v1, s = tx.update(g1, s, p)
    np.testing.assert_allclose(v1, 0.1 * g1)  # from v0 = 0 (shift(0) = 1: no NaN)
    g2 = jnp.array([1.0, 2.0, -3.0])
    v2, s = tx.update(g2, s, p)
    # max|v1| = 3 → shift = 4: v2 = 0.9·v1/4 + 0.1·g2 when renormalised.
    prev = v1 / 4.0 if renorm else v1
    np.testing.assert_allclose(v2, 0.9 * prev + 0.1 * g2, rtol=1e-6)
    np.testing.assert_array_equal(s.velocity, v2)


def test_reset_momentum_in_chain_and_partition():
    params = {"w": jnp.ones((3, 2)), "b": jnp.ones(2)}
    tx = optax.partition(
        {"cim": neurosim_optimizer(key=jax.random.key(0)), "digital": optax.sgd(0.1, momentum=0.9)},
        {"w": "cim", "b": "digital"},
    )
    state = tx.init(params)
    _, state = tx.update({"w": jnp.ones((3, 2)), "b": jnp.ones(2)}, state, params)
    found = [n for n in jax.tree.leaves(state, is_leaf=lambda n: isinstance(n, NeuroSimMomentumState))
             if isinstance(n, NeuroSimMomentumState)]
    assert len(found) == 1 and float(jnp.max(jnp.abs(found[0].velocity["w"]))) > 0
    reset = reset_momentum(state)
    found = [n for n in jax.tree.leaves(reset, is_leaf=lambda n: isinstance(n, NeuroSimMomentumState))
             if isinstance(n, NeuroSimMomentumState)]
    assert float(jnp.max(jnp.abs(found[0].velocity["w"]))) == 0
    assert jax.tree.structure(reset) == jax.tree.structure(state)


def test_partition_keeps_some_params_digital():
    params = {"w": jax.random.uniform(jax.random.key(0), (8, 4), minval=-0.5, maxval=0.5), "b": jnp.zeros(4)}
    grads = {"w": jax.random.normal(jax.random.key(1), (8, 4)), "b": jnp.array([1.0, -2.0, 0.5, 0.0])}
    tx = optax.partition(
        {"cim": neurosim_optimizer(key=jax.random.key(2)), "digital": optax.sgd(0.1)},
        {"w": "cim", "b": "digital"},
    )
    state = tx.init(params)
    updates, state = jax.jit(tx.update)(grads, state, params)
    new = optax.apply_updates(params, updates)
    np.testing.assert_allclose(new["b"], -0.1 * grads["b"], rtol=1e-6)
    # The device leaf moves in whole 1/16 LSBs (± c2c noise σ = 0.003) and stays in range.
    steps = np.asarray(updates["w"]) * 16
    assert np.all(np.abs(steps - np.round(steps)) < 16 * 0.05)
    assert np.all(np.abs(np.asarray(new["w"])) <= W_MAX_ULP)


def test_step_decay_schedule_and_its_use():
    sched = step_decay_schedule(1.0, (2, 4), 8.0, steps_per_epoch=10)
    values = [sched(0), sched(19), sched(20), sched(39), sched(40)]
    np.testing.assert_allclose(values, [1, 1, 1 / 8, 1 / 8, 1 / 64])
    if jax.config.jax_numpy_dtype_promotion != "strict":  # optax's own mixes int and float
        ref = optax.piecewise_constant_schedule(1.0, {20: 1 / 8, 40: 1 / 8})
        np.testing.assert_allclose([sched(c) for c in range(0, 60, 3)], [ref(c) for c in range(0, 60, 3)])
    assert step_decay_schedule(0.5, (), 8.0, 10)(10**6) == 0.5
    # device_update reads the schedule at its own count: the second update is 8× smaller.
    x = jnp.array([1.0, 0.5])
    w = jnp.zeros(2)
    tx = device_update(step_decay_schedule(0.5, (1,), 8.0, 1), key=jax.random.key(0), ideal=True,
                       c2c_sigma=0.0, gradient_bits=None)
    s = tx.init(w)
    u0, s = tx.update(x, s, w)
    u1, s = tx.update(x, s, w)
    np.testing.assert_allclose(u0, -0.5 * x)
    np.testing.assert_allclose(u1, -0.5 * x / 8)


def test_neurosim_optimizer_reads_config_sections():
    params = {"w": jnp.zeros((4, 4))}
    tx = neurosim_optimizer(
        DeviceConfig(name="pcmo", d2d_sigma=0.1),
        QuantConfig(weight_bits=5, gradient_bits=5),
        TrainConfig(momentum=0.5, alpha=1.0, momentum_renorm=False),
        step_decay_schedule(1.0, (200, 250), 8.0, 10),
        key=jax.random.key(0),
    )
    mom, dev = tx.init(params)
    assert isinstance(mom, NeuroSimMomentumState) and isinstance(dev, DeviceUpdateState)
    # PCMO: 50 levels, NL 3.68 / −6.76 (±d2d); signs as the labels.
    assert np.all(np.asarray(dev.a_ltp["w"]) > 0) and np.all(np.asarray(dev.a_ltd["w"]) < 0)
    a_nominal = float(nl_to_a_norm(3.68)) * 50
    assert abs(float(jnp.median(dev.a_ltp["w"])) / a_nominal - 1) < 0.3
    up, _ = tx.update({"w": jnp.ones((4, 4))}, (mom, dev), params)
    assert np.all(np.isfinite(up["w"]))
