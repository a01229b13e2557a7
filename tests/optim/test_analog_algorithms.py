"""In-situ training rules (cimjax/optim/analog_algorithms.py): transfer, buffer commit, choppers,
checkpointable state, determinism, SGD drift vs Tiki-Taka on an asymmetric device, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from cimjax.devices.protocol import ConstantStep, PulsedDevice, SoftBounds, read, sample_cells
from cimjax.optim import analog_algorithms as aa
from cimjax.optim.analog_algorithms import AnalogAlgorithm, effective_weight, init_state, step, step_gradient
from cimjax.trace import kernel_from_weight_matrix, weight_matrix

CONST = PulsedDevice(model=ConstantStep(), dw_min=0.1)  # symmetric, no noise: symmetry point 0


def _key(i=0):
    return jax.random.key(i, impl="unsafe_rbg")


# One compile per (rule, devices, shapes) instead of an eager dispatch per operation.
jstep = jax.jit(step, static_argnums=(0, 1, 2))


def _run(alg, dev, state, xs, ds):
    """jit + scan of ``step`` over per-step batches ``xs`` (steps, batch, n_in), ``ds``."""
    def body(s, xd):
        return step(alg, dev, dev, s, *xd), None

    return jax.jit(lambda s: jax.lax.scan(body, s, (xs, ds))[0])(state)


def test_symmetry_point_matches_the_soft_bounds_formula():
    dev = PulsedDevice(model=SoftBounds(), dw_min=0.05, up_down=0.3, up_down_dtod=0.1, w_max_dtod=0.1)
    state = init_state(AnalogAlgorithm.defaults("ttv2"), dev, dev, _key(), jnp.zeros((4, 5)))
    cells = state.cells_a
    su, sd = cells.scale_up, cells.scale_down
    want = (su - sd) / (su / cells.w_max - sd / cells.w_min)
    np.testing.assert_allclose(state.a, want, atol=1e-5)  # A starts at its symmetry point
    np.testing.assert_allclose(cells.reference, want + 0.0, atol=1e-5)  # reference there (+ offset 0)
    np.testing.assert_allclose(read(cells, state.a), 0.0, atol=1e-5)


def test_tt_transfer_moves_c_toward_a():
    for name in ("ttv1", "ttv2"):
        alg = AnalogAlgorithm.defaults(name, update_mode="deterministic", auto_granularity=0.0, lr=1.0)
        state = init_state(alg, CONST, CONST, _key(), jnp.zeros((3, 2)))
        a = state.a.at[:, 0].set(jnp.array([0.5, -0.5, 0.0]))  # A holds content in column 0 only
        state = state._replace(a=a)
        zeros = jnp.zeros((6, 1, 2)), jnp.zeros((6, 1, 3))
        out = _run(alg, CONST, state, *zeros)
        w = effective_weight(alg, out)
        assert w[0, 0] > 0.05 and w[1, 0] < -0.05, (name, w)
        np.testing.assert_allclose(w[2, 0], 0.0, atol=1e-6)
        np.testing.assert_allclose(w[:, 1], 0.0, atol=1e-6)  # column 1 of A is empty
        np.testing.assert_allclose(out.a, a, atol=1e-6)  # no gradient: A unchanged


def test_buffer_threshold_commit():
    # One input column, read every step; H grows by lr·v/(g·ε_A) = 0.4 pulses per read.
    alg = AnalogAlgorithm.defaults("ttv2", update_mode="deterministic", auto_granularity=0.0, lr=1.0)
    state = init_state(alg, CONST, CONST, _key(), jnp.zeros((2, 1)))
    state = state._replace(a=jnp.array([[0.04], [-0.04]]))
    zero_x, zero_d = jnp.zeros((1, 1)), jnp.zeros((1, 2))
    hs, cs = [], []
    for _ in range(3):
        state = jstep(alg, CONST, CONST, state, zero_x, zero_d)
        hs.append(np.asarray(state.h[:, 0]))
        cs.append(np.asarray(state.c[:, 0]))
    np.testing.assert_allclose(hs[0], [0.4, -0.4], atol=1e-5)
    np.testing.assert_allclose(hs[1], [0.8, -0.8], atol=1e-5)
    np.testing.assert_allclose(cs[1], [0.0, 0.0], atol=1e-7)  # below threshold: no pulse
    np.testing.assert_allclose(cs[2], [0.1, -0.1], atol=1e-6)  # 1.2 ≥ 1: one pulse of dw_min
    np.testing.assert_allclose(hs[2], [0.0, 0.0], atol=1e-6)  # forget_buffer with momentum 0


def test_chopper_flips_with_the_given_probability():
    p, steps = 0.3, 3000
    alg = AnalogAlgorithm.defaults("cttv2", in_chop_prob=p)
    state = init_state(alg, CONST, CONST, _key(1), jnp.zeros((1, 1)))

    def body(s, _):
        new = step(alg, CONST, CONST, s, jnp.zeros((1, 1)), jnp.zeros((1, 1)))
        return new, new.chop[0] != s.chop[0]

    _, flips = jax.jit(lambda s: jax.lax.scan(body, s, None, length=steps))(state)
    rate = float(np.mean(flips))
    assert abs(rate - p) < 4 * np.sqrt(p * (1 - p) / steps), rate


def test_agad_chopper_switches_regularly():
    alg = AnalogAlgorithm.defaults("agad", in_chop_prob=0.25)  # period 4 reads
    state = init_state(alg, CONST, CONST, _key(), jnp.zeros((1, 1)))
    chops = []
    for _ in range(12):
        state = jstep(alg, CONST, CONST, state, jnp.zeros((1, 1)), jnp.zeros((1, 1)))
        chops.append(float(state.chop[0]))
    assert chops == [1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1]


# ttv2's state has the structure of cttv2's (choppers all +1), so it is left out to save time.
@pytest.mark.parametrize("name", [a for a in aa.ALGORITHMS if a != "ttv2"])
def test_state_is_a_checkpointable_pytree_and_deterministic(name):
    dev = PulsedDevice(model=SoftBounds(), dw_min=0.05, dw_min_std=0.2, up_down=0.2, reference_std=0.1)
    alg = AnalogAlgorithm.defaults(name, in_chop_prob=0.1)
    state = init_state(alg, dev, dev, _key(3), 0.1 * jnp.ones((3, 4)))
    x = jnp.array([[0.5, -1.0, 0.2, 0.7]])
    d = jnp.array([[0.3, -0.2, 1.0]])
    leaves, treedef = jax.tree.flatten(state)
    # A checkpoint stores host copies of the leaves; the state comes back from them.
    def host(leaf):
        return leaf if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key) else jnp.asarray(jax.device_get(leaf))

    restored = jax.tree.unflatten(treedef, [host(leaf) for leaf in leaves])
    one = jstep(alg, dev, dev, state, x, d)
    two = jstep(alg, dev, dev, restored, x, d)
    for u, v in zip(jax.tree.leaves(one), jax.tree.leaves(two)):
        if jnp.issubdtype(u.dtype, jax.dtypes.prng_key):
            u, v = jax.random.key_data(u), jax.random.key_data(v)
        np.testing.assert_array_equal(u, v)
    other = jstep(alg, dev, dev, state._replace(key=_key(4)), x, d)
    assert not np.array_equal(one.c if not alg.has_a else one.a, other.c if not alg.has_a else other.a)


def test_analog_sgd_drifts_to_the_symmetry_point_on_an_asymmetric_device():
    # Zero-mean random updates: an asymmetric soft-bounds device drifts to its symmetry point,
    # w* = (s_up − s_down)/(s_up/w_max − s_down/w_min) = (1 − 0.6)/(1 + 0.6) = 0.25 for up_down 0.4
    # (aihwkit's one-sided asymmetry: scale_up 1, scale_down 0.6).
    dev = PulsedDevice(model=SoftBounds(), dw_min=0.02, up_down=0.4)
    alg = AnalogAlgorithm.defaults("analog_sgd", lr=0.05)
    state = init_state(alg, dev, dev, _key(), jnp.full((4, 4), -0.5))
    k1, k2 = jax.random.split(_key(9))
    xs = jax.random.uniform(k1, (1500, 1, 4), minval=-1, maxval=1)
    ds = jax.random.uniform(k2, (1500, 1, 4), minval=-1, maxval=1)
    out = _run(alg, dev, state, xs, ds)
    assert abs(float(out.c.mean()) - 0.25) < 0.06, out.c


def _program(alg, dev, target, steps, offsets):
    """Final relative error of programming ``target`` for each reference offset σ_r (vmapped):
    the offset is on A for the TT family, on the only array otherwise (as in the benchmark)."""
    n = target.shape[0]

    def one(offset):
        k_c, k_a, k_init = jax.random.split(_key(5), 3)
        cells_c = sample_cells(dev, k_c, target.shape)
        cells_a = sample_cells(dev, k_a, target.shape)
        if alg.has_a:
            cells_c = cells_c._replace(reference=0.0 * cells_c.reference)
            cells_a = cells_a._replace(reference=offset * cells_a.reference)
        else:
            cells_c = cells_c._replace(reference=offset * cells_c.reference)
            cells_a = None
        state = init_state(alg, dev, dev, k_init, jnp.zeros_like(target), cells_c=cells_c, cells_a=cells_a)

        def body(s, k):
            x = jax.random.uniform(k, (1, n), minval=-1, maxval=1)
            d = x @ (effective_weight(alg, s) - target).T
            return step(alg, dev, dev, s, x, d), None

        out = jax.lax.scan(body, state, jax.random.split(_key(7), steps))[0]
        return jnp.linalg.norm(effective_weight(alg, out) - target) / jnp.linalg.norm(target)

    return np.asarray(jax.jit(jax.vmap(one))(jnp.asarray(offsets)))


def test_tiki_taka_programs_a_target_better_than_analog_sgd_and_agad_ignores_the_offset():
    """A small, fixed-seed version of benchmarks/weight_programming.py (20 states, 8×8,
    reference offsets σ_r 0 and 0.3; reference_std 1 is the unit the offset scales)."""
    dev = PulsedDevice(model=SoftBounds(), dw_min=0.1, up_down_dtod=0.1, dw_min_dtod=0.1, reference_std=1.0)
    target = jax.random.uniform(jax.random.key(0), (8, 8), minval=-0.5, maxval=0.5)
    algs = {"analog_sgd": AnalogAlgorithm.defaults("analog_sgd", lr=0.02),
            "ttv2": AnalogAlgorithm.defaults("ttv2", lr=1.0),
            "agad": AnalogAlgorithm.defaults("agad", lr=1.0)}
    errs = {name: _program(alg, dev, target, 2500, (0.0, 0.3)) for name, alg in algs.items()}
    sgd = errs["analog_sgd"][0]
    assert sgd > 0.25, errs  # measured 0.36
    for name in ("ttv2", "agad"):  # measured 0.12, 0.18 (c-TTv2: 0.13, left out to save time)
        assert errs[name][0] < 0.6 * sgd, errs
    assert errs["ttv2"][1] > errs["ttv2"][0] + 0.02, errs  # TTv2 suffers from the offset (0.12 → 0.17)
    assert abs(errs["agad"][1] - errs["agad"][0]) < 0.01, errs  # AGAD: the offset cancels


def test_optax_wrapper_returns_the_effective_weight_change_and_learns():
    alg = AnalogAlgorithm.defaults("mixed_precision", update_mode="deterministic", lr=0.2)
    dev = PulsedDevice(model=ConstantStep(), dw_min=0.01)
    target = {"w": jnp.array([[0.3, -0.2], [0.1, 0.4]])}
    opt = aa.analog_optimizer(alg, dev, _key())
    params = {"w": jnp.zeros((2, 2))}
    state = opt.init(params)
    loss = lambda p: 0.5 * jnp.sum((p["w"] - target["w"]) ** 2)
    update = jax.jit(opt.update)
    for _ in range(40):
        updates, state = update(jax.grad(loss)(params), state, params)
        params = optax.apply_updates(params, updates)
    # the state holds the kernel (in, out) as its array's (out, in) matrix
    np.testing.assert_allclose(params["w"], effective_weight(alg, state.leaves["w"]).T, atol=1e-6)
    assert float(loss(params)) < 1e-3
    # TTv2 in expected mode through optax also moves toward the target.
    ttv2 = AnalogAlgorithm.defaults("ttv2", update_mode="expected", auto_granularity=0.0)
    opt = aa.analog_optimizer(ttv2, dev, _key())
    params = {"w": jnp.zeros((2, 2))}
    state = opt.init(params)
    update = jax.jit(opt.update)
    for _ in range(200):
        updates, state = update(jax.grad(loss)(params), state, params)
        params = optax.apply_updates(params, updates)
    assert float(loss(params)) < 0.2 * float(loss({"w": jnp.zeros((2, 2))}))


def test_optax_wrapper_trains_a_convolution_kernel_as_its_array_matrix():
    # HWIO (3, 3, 2, 4) → the (4, 18) transpose of NeuroSim's weight matrix (input channel
    # outermost); params start outside the bounds (±1.5 → clipped at init) and still end equal
    # to the array's effective weights.
    alg = AnalogAlgorithm.defaults("analog_sgd", update_mode="deterministic", lr=0.1)
    dev = PulsedDevice(model=ConstantStep(), dw_min=0.01)
    kernel = jax.random.uniform(_key(2), (3, 3, 2, 4), minval=-1.5, maxval=1.5)
    opt = aa.analog_optimizer(alg, dev, _key())
    state = opt.init({"k": kernel})
    assert state.leaves["k"].c.shape == (4, 18)
    np.testing.assert_allclose(effective_weight(alg, state.leaves["k"]), jnp.clip(weight_matrix(kernel).T, -1, 1))
    grads = {"k": jnp.ones_like(kernel)}
    updates, state = opt.update(grads, state, {"k": kernel})
    new = optax.apply_updates({"k": kernel}, updates)["k"]
    assert new.shape == kernel.shape
    np.testing.assert_allclose(new, kernel_from_weight_matrix(effective_weight(alg, state.leaves["k"]).T, kernel.shape),
                               atol=1e-6)
    np.testing.assert_array_equal(kernel_from_weight_matrix(weight_matrix(kernel), kernel.shape), kernel)
    assert float(jnp.max(new)) <= 1.0  # the clipped start is not carried in the params


def test_errors_name_the_field():
    with pytest.raises(ValueError, match=r"algorithm.name = 'sgd' is not one of"):
        AnalogAlgorithm(name="sgd")
    with pytest.raises(ValueError, match=r"algorithm.lr = -1.0 is outside \(0.0, 1000000.0\]"):
        AnalogAlgorithm(lr=-1.0)
    with pytest.raises(ValueError, match=r"algorithm.bl = 0 .*\[1, 1024\]"):
        AnalogAlgorithm(bl=0)
    with pytest.raises(ValueError, match=r"algorithm.in_chop_prob = 2.0 is outside \[0.0, 1.0\]"):
        AnalogAlgorithm(in_chop_prob=2.0)
    with pytest.raises(ValueError, match=r"algorithm.update_mode = 'exact'"):
        AnalogAlgorithm(update_mode="exact")
    with pytest.raises(ValueError, match=r"algorithm.momentum = 1.0"):
        AnalogAlgorithm(momentum=1.0)
    with pytest.raises(ValueError, match=r"algorithm.in_chop_prob = 0.0 .* for 'agad'"):
        AnalogAlgorithm(name="agad")
    with pytest.raises(ValueError, match=r"update_mode = 'stochastic' needs the layers' \(x, d\) vectors"):
        tx = aa.analog_optimizer(AnalogAlgorithm(), CONST, _key())
        p = {"w": jnp.zeros((2, 2))}
        tx.update(p, tx.init(p), p)
    with pytest.raises(ValueError, match=r"algorithm.update_mode = 'stochastic' needs \(x, d\) batches"):
        st = init_state(AnalogAlgorithm(), CONST, CONST, _key(), jnp.zeros((2, 2)))
        step_gradient(AnalogAlgorithm(), CONST, CONST, st, jnp.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"params leaf shape \(3,\) is not a 2-D \(in, out\)"):
        aa.analog_optimizer(AnalogAlgorithm(update_mode="expected"), CONST, _key()).init({"b": jnp.zeros(3)})
