"""Device-spec accuracy maps (cimjax.dse.device_map) and traced device parameters in
cimjax.optim.device_update (issue 5, item 5)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from cimjax.config import Config, DataConfig, DeviceConfig, ModelConfig, QuantConfig, RunConfig, TrainConfig, replace
from cimjax.dse import device_grid as dg
from cimjax.dse import device_map as dm
from cimjax.dse import device_map_joint as dmj
from cimjax.dse import device_train as dt
from cimjax.optim import device_update
from cimjax.trace import Trace, make_trace


def _config(**train):
    return Config(
        data=DataConfig(name="synthetic", image_shape=(16, 16, 1), synthetic_train_size=480, synthetic_test_size=100,
                        batch_size=40, eval_batch_size=40, synthetic_noise=0.1),
        model=ModelConfig(name="mlp", hidden=24),
        quant=QuantConfig(),
        device=DeviceConfig(name="fefet_hzo"),
        train=TrainConfig(**{"epochs": 3, "steps_per_epoch": 12, "lr_decay_epochs": (), **train}),
        run=RunConfig(seed=5, estimate_each_epoch=False),
    )


# Five devices: FeFET; asymmetric, noisy, with d2d; linear with few states; linear
# noiseless (the ideal device's limit); and the strongest asymmetric nonlinearity.
SETTINGS = {
    "nl_ltp": [1.75, 3.0, 0.0, 0.0, 9.0],
    "nl_ltd": [1.46, -3.0, 0.0, 0.0, -9.0],
    "max_level": [32, 64, 16, 32, 32],
    "c2c_sigma": [0.003, 0.02, 0.0, 0.0, 0.0],
    "d2d_sigma": [0.0, 0.5, 0.0, 0.0, 0.0],
}
SEEDS = (0, 3)
N = len(SETTINGS["max_level"])


@pytest.fixture(scope="module")
def batched():
    return dm.run_device_map(_config(), SETTINGS, seeds=SEEDS, chunk=4, keep_params=True, progress=False)


# ---------------------------------------------------------------- traced device_update


def _params():
    k1, k2 = jax.random.split(jax.random.key(0))
    return {"w": jax.random.uniform(k1, (24, 16), minval=-1.2, maxval=1.2),
            "v": jax.random.uniform(k2, (16, 4), minval=-0.9, maxval=0.9)}


def _run_update(nl_ltp, nl_ltd, max_level, c2c, d2d, steps=3):
    params = _params()
    tx = device_update(1.0, key=jax.random.key(1), nl_ltp=nl_ltp, nl_ltd=nl_ltd, max_level=max_level,
                       c2c_sigma=c2c, d2d_sigma=d2d)
    state = tx.init(params)
    g = jax.tree.map(lambda p: jax.random.normal(jax.random.key(2), p.shape), params)
    for i in range(steps):
        up, state = tx.update(jax.tree.map(lambda x: x * (i + 1), g), state, params)
        params = optax.apply_updates(params, up)
    return params, state


def test_traced_device_params_equal_python_params():
    """A vmapped (traced) batch of three devices equals three Python-valued transformations:
    the FeFET, an asymmetric noisy device with d2d, and a linear noiseless one (where the
    Python path skips the c2c term and the traced path adds ±0)."""
    values = [(1.75, 1.46, 32, 0.003, 0.0), (3.0, -3.0, 64, 0.02, 0.5), (0.0, 0.0, 16, 0.0, 0.0)]
    batch = [jnp.asarray([v[i] for v in values], jnp.int32 if i == 2 else jnp.float32) for i in range(5)]
    traced, traced_state = jax.jit(jax.vmap(_run_update))(*batch)
    for k, v in enumerate(values):
        ref, ref_state = _run_update(*v)
        for r, t in zip(jax.tree.leaves(ref), jax.tree.leaves(traced)):
            np.testing.assert_allclose(t[k], r, atol=1e-6)
        for r, t in zip(jax.tree.leaves(ref_state.a_ltp), jax.tree.leaves(traced_state.a_ltp)):  # same population
            np.testing.assert_allclose(t[k], r, rtol=1e-6)


def test_concrete_array_params_validated_tracers_not():
    with pytest.raises(ValueError, match="nl_ltp"):
        device_update(key=jax.random.key(0), nl_ltp=jnp.asarray(9.5))
    with pytest.raises(ValueError, match="max_level"):
        device_update(key=jax.random.key(0), max_level=jnp.asarray(0))
    with pytest.raises(ValueError, match="c2c_sigma"):
        device_update(key=jax.random.key(0), c2c_sigma=jnp.asarray(-0.1))
    with pytest.raises(ValueError, match="scalar"):
        device_update(key=jax.random.key(0), d2d_sigma=jnp.zeros(3))
    # Inside jit the values are tracers: construction must not try to read them.
    jax.jit(lambda nl: device_update(key=jax.random.key(0), nl_ltp=nl).init({"w": jnp.zeros(3)}).a_ltp["w"])(
        jnp.asarray(2.0))


# ---------------------------------------------------------------- grids and validation


def test_device_grid_product_and_nl_asym():
    g = dg.device_grid({"nl_asym": [0, 2], "c2c_sigma": [0.0, 0.01, 0.02]}, DeviceConfig(name="fefet_hzo"))
    assert g.shape == (2, 3) and g.size == 6
    np.testing.assert_array_equal(g.settings["nl_ltp"], [0, 0, 0, 2, 2, 2])
    np.testing.assert_array_equal(g.settings["nl_ltd"], [0, 0, 0, -2, -2, -2])
    np.testing.assert_array_equal(g.settings["c2c_sigma"], [0.0, 0.01, 0.02] * 2)
    assert set(g.settings["max_level"]) == {32}  # from the FeFET preset
    assert g.settings["max_level"].dtype == np.int64


@pytest.mark.parametrize(
    "axes, match",
    [
        ({"nl_xyz": [1.0]}, "unknown device-map parameter 'nl_xyz'"),
        ({"c2c_sigma": []}, "'c2c_sigma': the list of values is empty"),
        ({"nl_ltp": [9.5]}, "'nl_ltp' = 9.5 is invalid"),
        ({"c2c_sigma": [-0.01]}, "'c2c_sigma' = -0.01 is invalid"),
        ({"max_level": [32.5]}, "'max_level' = 32.5 is invalid"),
        ({"max_level": [1]}, "'max_level' = 1 is invalid"),
        ({"d2d_sigma": [float("nan")]}, "'d2d_sigma' = nan is invalid"),
        ({"nl_asym": [1.0], "nl_ltd": [1.0]}, "'nl_asym'"),
        ({"d2d_sigma": [0.5, 0.5]}, "repeated"),
        ({"c2c_sigma": 0.01}, "expected a list"),
        ({}, "at least one axis"),
    ],
)
def test_invalid_grids_raise_naming_the_parameter(axes, match):
    with pytest.raises(ValueError, match=match):
        dg.device_grid(axes)


def test_invalid_input_raises_before_training(monkeypatch):
    def no_setup(*a, **k):
        raise AssertionError("training started before validation")

    monkeypatch.setattr(dm, "setup_for", no_setup)
    bad = {**SETTINGS, "c2c_sigma": [0.0, 2.0, 0.0, 0.0, 0.0]}
    with pytest.raises(ValueError, match="'c2c_sigma' = 2.0"):
        dm.run_device_map(_config(), bad)
    with pytest.raises(ValueError, match="unknown device parameter 'levels'"):
        dm.run_device_map(_config(), {**SETTINGS, "levels": [1, 2, 3, 4, 5]})
    with pytest.raises(ValueError, match="seeds"):
        dm.run_device_map(_config(), SETTINGS, seeds=())
    with pytest.raises(ValueError, match="seeds"):
        dm.run_device_map(_config(), SETTINGS, seeds=(1, 1))
    with pytest.raises(ValueError, match="empty"):
        dm.run_device_map(_config(), {k: [] for k in SETTINGS})
    with pytest.raises(ValueError, match="max_level"):
        dm.run_device_map(_config(), {**SETTINGS, "max_level": [32, 64, 16, 32, 1]})
    with pytest.raises(ValueError, match="chunk"):
        dm.run_device_map(_config(), SETTINGS, chunk=0)


# ---------------------------------------------------------------- the vmapped training


def test_vmapped_training_equals_single_trainings(batched):
    assert batched.accuracy.shape == (N, 2) and batched.accuracy_history.shape == (N, 2, 3)
    assert batched.trace.shape == (N, 2, len(Trace._fields), 2)
    for i in range(N):
        for j, seed in enumerate(SEEDS):
            setting = {k: v[i] for k, v in SETTINGS.items()}
            acc, params = dt.train_single(_config(), setting, seed)
            for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(batched.params[i][j])):
                np.testing.assert_allclose(b, a, atol=1e-5)
            np.testing.assert_allclose(batched.accuracy_history[i, j], acc, atol=1e-4)


def test_member_equals_the_trainer_step_of_train_py(batched):
    """Setting 1, seed 3 trained by cimjax.trainer's own jitted step (Python device values)."""
    from cimjax import data as data_lib
    from cimjax import optim as optim_lib
    from cimjax import trainer as trainer_lib

    i, j, seed = 1, 1, 3
    cfg = replace(_config(), device={"nl_ltp": 3.0, "nl_ltd": -3.0, "max_level": 64, "c2c_sigma": 0.02,
                                     "d2d_sigma": 0.5})
    keys = trainer_lib.make_keys(cfg.run.seed)
    keys = keys._replace(init=jax.random.fold_in(keys.init, seed), optim=jax.random.fold_in(keys.optim, seed))
    ds = data_lib.load_dataset(cfg.data, key=keys.data)
    n = trainer_lib.steps_per_epoch(cfg, len(ds.train_labels))
    trainer = trainer_lib.Trainer(cfg, tuple(ds.train_images.shape[1:]), n, keys)
    state = trainer.initial_state
    for epoch in range(cfg.train.epochs):
        state = state._replace(opt_state=optim_lib.reset_momentum(state.opt_state))
        batches = data_lib.iterate_batches(ds.train_images, ds.train_labels, cfg.data.batch_size,
                                           key=jax.random.fold_in(keys.shuffle, epoch))
        for _, batch in zip(range(n), batches):
            state, _ = trainer.train_step(state, batch)
    for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(batched.params[i][j])):
        np.testing.assert_allclose(b, a, atol=1e-5)
    _, acc = trainer.evaluate(state.params, ds.test_images, ds.test_labels)
    assert abs(acc - batched.accuracy[i, j]) < 1e-3


def test_same_seed_same_numbers_other_seed_other_population(batched):
    again = dm.run_device_map(_config(), SETTINGS, seeds=SEEDS, chunk=4, keep_params=True, progress=False)
    np.testing.assert_array_equal(again.accuracy_history, batched.accuracy_history)
    np.testing.assert_array_equal(again.trace, batched.trace)
    np.testing.assert_array_equal(again.ideal_accuracy, batched.ideal_accuracy)
    for a, b in zip(jax.tree.leaves(again.params), jax.tree.leaves(batched.params)):
        np.testing.assert_array_equal(a, b)
    # The two seeds of one setting are different members.
    w0, w1 = (jax.tree.leaves(batched.params[1][j])[0] for j in (0, 1))
    assert not np.array_equal(w0, w1)


def test_result_summary_and_trace_ranges(batched):
    assert batched.ideal_accuracy.shape == (2,)
    np.testing.assert_allclose(batched.drop, batched.ideal_accuracy[None] - batched.accuracy)
    t = batched.trace
    assert np.all((t[:, :, 0] >= 0) & (t[:, :, 0] <= 1))  # input activity
    assert np.all(t[:, :, 2:4] >= 0)  # write pulses, cell pulses
    # Read occupancy: fc1 reads the signed normalised image (every read occupied), fc2 the
    # post-ReLU hidden layer (sign plane empty: ≤ 7/8, and ≥ its activity, one block).
    assert Trace._fields[6] == "read_occupancy"
    occ = t[:, :, 6]
    assert np.all(occ[..., 0] > 0.95) and np.all(occ <= 1.0)
    assert np.all((occ[..., 1] >= t[:, :, 0, 1] - 1e-6) & (occ[..., 1] <= 7 / 8 + 1e-6))
    # Every member but the 16-level one wrote cells in its last epoch. With 16 levels and
    # 5-bit weights a 1/16 step is half a conductance level, below NeuroSim's ΔG_min.
    assert np.all(t[[0, 1, 3, 4], :, 3].sum(-1) > 0)
    # ... and those written cells are counted (the FeFET polarisation statistics, fields 7 and 8)
    assert np.all(t[[0, 1, 3, 4], :, 7].sum(-1) > 0) and np.all(t[:, :, 8] <= 2 * t[:, :, 7] + 1e-6)
    d = batched.to_dict()
    assert len(d["settings"]) == N and d["settings"][1]["max_level"] == 64
    assert d["steps"] == 36 and d["seeds"] == [0, 3]


def test_linear_noiseless_device_reaches_ideal_and_strong_nl_does_not_beat_it(batched):
    # The synthetic task is learnt almost perfectly in 36 steps (measured: ideal 99-100 %,
    # linear 99 %, NL ±9 99 % over 4 seeds), so these are loose, non-flaky bounds.
    linear, strong = batched.accuracy_mean[3], batched.accuracy_mean[4]
    assert batched.ideal_mean > 90.0
    assert abs(linear - batched.ideal_mean) <= 3.0
    assert strong <= linear + 2.0


# ---------------------------------------------------------------- joint objective


def test_joint_objective_ranks_by_error_plus_energy(batched):
    # Precomputed metrics (the estimator itself is exercised by the benchmark): setting 0
    # most accurate, setting 2 cheapest.
    batched_acc = batched.accuracy
    batched.accuracy = np.array([[90.0, 90.0], [80.0, 80.0], [85.0, 85.0], [70.0, 70.0], [60.0, 60.0]])
    try:
        energy = np.array([[4.0, 4.0], [2.0, 2.0], [1.0, 1.0], [3.0, 3.0], [5.0, 5.0]])
        metrics = ({k: energy for k in ("energy", "wu_energy")}, {})
        j = dmj.joint_objective(_config(), batched, lambdas=(0.0, 1.0), reference=2, metrics=metrics)
        assert list(j.best) == [0, 2]
        np.testing.assert_allclose(j.energy_norm, [4.0, 2.0, 1.0, 3.0, 5.0])
        np.testing.assert_allclose(j.objective[1], [0.1 + 4.0, 0.2 + 2.0, 0.15 + 1.0, 0.3 + 3.0, 0.4 + 5.0])
        with pytest.raises(ValueError, match="energy_metric"):
            dmj.joint_objective(_config(), batched, energy_metric="area", metrics=metrics)
        with pytest.raises(ValueError, match="lambdas"):
            dmj.joint_objective(_config(), batched, lambdas=(-1.0,), metrics=metrics)
    finally:
        batched.accuracy = batched_acc


# ---------------------------------------------------------------- weight bits from the levels


def test_bits_of_levels_and_group_config():
    np.testing.assert_array_equal(dm.bits_of_levels([2, 8, 16, 31, 32, 100, 128, 1024]), [1, 3, 4, 4, 5, 6, 7, 8])
    c = dm.config_for_bits(_config(), 4)
    assert (c.quant.weight_bits, c.quant.gradient_bits, c.hardware.cell_bits) == (4, 4, 4)
    assert c.quant.activation_bits == _config().quant.activation_bits


@pytest.mark.slow
def test_bits_from_levels_groups_members_and_their_chips():
    """Two weight-bit groups (16 → 4 bits, 32 → 5 bits): each member trains as a single run
    of its group's config, and the shared-compile chip estimate equals estimate_config."""
    from cimjax import build as build_lib
    from cimjax.estimate import estimate_config

    def build_chip(c):
        return build_lib.build(c, layers=build_lib.facts(cfg).layers).chip

    cfg = _config()
    settings = {"nl_ltp": [1.75, 1.75], "nl_ltd": [1.46, 1.46], "max_level": [16, 32], "c2c_sigma": [0.003, 0.003],
                "d2d_sigma": [0.0, 0.0]}
    r = dm.run_device_map(cfg, settings, seeds=(0,), bits_from_levels=True, keep_params=True, include_ideal=False,
                          progress=False)
    assert r.weight_bits.tolist() == [4, 5]
    for i, bits in enumerate((4, 5)):
        _, params = dt.train_single(dm.config_for_bits(cfg, bits), {k: v[i] for k, v in settings.items()}, 0)
        for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(r.params[i][0])):
            np.testing.assert_allclose(b, a, atol=1e-5)
    metrics, timing = dmj.member_metrics(cfg, r)
    # One compile per static chip: the 4- and 5-bit groups' floorplans differ (ChipConfig
    # reference_subarray holds the cell bits, which set the columns per weight).
    statics = {build_chip(dm.config_for_bits(cfg, b)) for b in (4, 5)}
    assert len(statics) == 2 and timing["compiles"] == len(statics)
    for i, bits in enumerate((4, 5)):
        c = replace(dm.config_for_bits(cfg, bits), device={"max_level": settings["max_level"][i]})
        est, _, _ = estimate_config(c, make_trace(*r.trace[i, 0]))
        # estimate_config evaluates on the host (cimjax.host_eval): float rounding apart from XLA's.
        np.testing.assert_allclose(metrics["wu_energy"][i, 0], float(est.wu.energy), rtol=1e-5)
        total = float(est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy + est.leakage_energy)
        np.testing.assert_allclose(metrics["energy"][i, 0], total, rtol=1e-5)
