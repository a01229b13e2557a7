"""The ``stochastic`` update mode in the training loop (issue 16 item 2; docs/algorithms.md "Update
modes"): the layers' zero error taps give every layer's ``(x, d)`` from the one ``value_and_grad``,
``analog_optimizer`` turns them into aihwkit-style pulse trains per sample (per patch position for
a convolution), and the loop trains, checkpoints and resumes with them."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from cimjax import train
from cimjax.config import ConfigError, apply_overrides, load_config
from cimjax.devices.protocol import ConstantStep, PulsedDevice
from cimjax.nn import CIMConv, create_model, sse_loss
from cimjax.optim.analog_algorithms import AnalogAlgorithm, analog_optimizer, layer_samples
from cimjax.trace import weight_matrix
from cimjax.trainer import Trainer, make_keys

BASE = ["run.estimate_each_epoch=false", "data.image_shape=(8,8,1)", "model.hidden=16",
        "data.synthetic_train_size=500", "data.synthetic_test_size=250", "train.lr_decay_epochs="]
DW_MIN = 1e-3
CONST = PulsedDevice(model=ConstantStep(), dw_min=DW_MIN)  # symmetric, no noise, bounds ±1


def _config(tmp_path, name, *more):
    return apply_overrides(load_config("configs/synthetic_smoke.py"),
                           [*BASE, f"run.out_dir={tmp_path}/{name}", "train.update_mode=stochastic", *more])


def _quiet(config, **kw):
    return train.train_and_evaluate(config, progress=False, log=lambda *a: None, **kw)


def _batch(n, key=1):
    images = jax.random.uniform(jax.random.key(key), (n, 8, 8, 1))
    return images, jnp.arange(n, dtype=jnp.int32) % 10


def test_stochastic_needs_an_in_situ_rule():
    base = load_config("configs/synthetic_smoke.py")  # train.optimizer = 'neurosim'
    with pytest.raises(ConfigError, match=r"train.update_mode = 'stochastic' is invalid with train.optimizer = "
                                          r"'neurosim'.*analog_sgd"):
        apply_overrides(base, ["train.update_mode=stochastic"])
    with pytest.raises(ConfigError, match=r"train.update_mode = 'stochastic' is invalid with train.optimizer = 'sgd'"):
        apply_overrides(base, ["train.optimizer=sgd", "train.update_mode=stochastic"])
    with pytest.raises(ConfigError, match=r"train.update_mode = 'random'.*stochastic"):
        apply_overrides(base, ["train.optimizer=ttv2", "train.update_mode=random"])
    ok = apply_overrides(base, ["train.optimizer=ttv2", "train.update_mode=stochastic"])
    assert AnalogAlgorithm.of_config(ok).update_mode == "stochastic"


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """A stochastic-mode trainer of a tiny MLP (analog SGD, float weights), its config, and one
    batch's loss, gradient and ``(x, d)`` (shared: building the trainer costs seconds)."""
    cfg = _config(tmp_path_factory.mktemp("mlp"), "mlp", "train.optimizer=analog_sgd", "quant.weight_bits=32")
    t = Trainer(cfg, (8, 8, 1), 10, make_keys(0))
    images, labels = _batch(8)
    return cfg, t, jax.jit(t._loss_grads_samples)(t.initial_state.params, images, labels)


def test_taps_give_the_kernel_gradient():
    """``Σ d ⊗ x`` over the rows of :func:`layer_samples` is the kernel's gradient (WAGE's error
    quantiser included): the MLP's dense layers with the trainer's taps, a convolution through
    its patches. (The trainer's own ``_loss_grads_samples`` is the slow test below's.)"""
    cfg = load_config("configs/synthetic_smoke.py")
    model = create_model(cfg.model, cfg.quant, (8, 8, 1), rngs=nnx.Rngs(params=jax.random.key(0)))
    gdef, params, rest = nnx.split(model, nnx.Param, ...)
    images, labels = _batch(8)
    x = images * 2.0 - 1.0
    taps = {n: jnp.zeros(s) for n, s in model.output_shapes(x.shape).items()}

    def loss(params, taps):
        logits, inputs = nnx.merge(gdef, params, rest).forward_with_inputs(x, taps)
        return sse_loss(logits, labels, 10), inputs

    (_, inputs), (grads, errors) = jax.jit(jax.value_and_grad(loss, argnums=(0, 1), has_aux=True))(params, taps)
    samples = {n: (inputs[n], errors[n]) for n in model.layer_names}
    for name in model.layer_names:
        g = grads[name]["kernel"][...]
        x, d = layer_samples(*samples[name], g.shape)
        assert x.shape[0] == 8 and float(jnp.max(jnp.abs(g))) > 0
        np.testing.assert_allclose(x.T @ d, g, rtol=1e-5, atol=1e-6 * float(jnp.max(jnp.abs(g))))

    conv = CIMConv(2, 3, 3, weight_bits=5, act_bits=5, err_bits=5, rngs=nnx.Rngs(params=jax.random.key(2)))
    gdef, params, rest = nnx.split(conv, nnx.Param, ...)
    xin = jax.random.uniform(jax.random.key(3), (2, 5, 5, 2), minval=-1.0, maxval=1.0)
    r = jax.random.normal(jax.random.key(4), (2, 5, 5, 3))

    def loss(params, tap):
        return jnp.sum(nnx.merge(gdef, params, rest)(xin, tap) * r)

    gk, d = jax.grad(loss, argnums=(0, 1))(params, jnp.zeros((2, 5, 5, 3)))
    gk = gk["kernel"][...]
    x, d = layer_samples(xin, d, gk.shape)
    assert x.shape == (2 * 5 * 5, 2 * 3 * 3) and d.shape == (50, 3)  # one row per patch position
    np.testing.assert_allclose(x.T @ d, weight_matrix(gk), rtol=1e-5, atol=1e-6 * float(jnp.max(jnp.abs(gk))))


@pytest.mark.slow
def test_stochastic_pulses_average_to_the_expected_mode(mlp):
    """The trainer's ``(x, d)`` give the gradient; over many keys, the loop's stochastic update of a tiny MLP sends on average the pulses the
    ``expected`` mode sends (constant-step device, no noise: the weight change is pulses·dw_min).

    Per cell the count is a sum over samples of binomials of mean ``|μ_b|``, so its variance is at
    most ``V = Σ_b |μ_b| = lr·Σ_b |d_b||x_b|/dw_min``; the mean of ``K`` keys must lie within
    ``5·sqrt(V/K)`` of the expected mode's count (by chance, some cell fails with probability
    ~1e-3; a 30 % error of the scale fails, the last assertion checks the bound is that tight)."""
    cfg, t, (_, grads, samples) = mlp
    params = t.initial_state.params
    for name in t.layer_names:
        x, d = layer_samples(*samples[name], grads[name]["kernel"].shape)
        g = grads[name]["kernel"][...]
        np.testing.assert_allclose(x.T @ d, g, rtol=1e-5, atol=1e-6 * float(jnp.max(jnp.abs(g))))
    # lr so that one sample's largest count is 3 pulses: no probability saturates, and the batch's
    # net count stays under bl = 31 (the expected mode's cut)
    peak = max(float(jnp.max(jnp.max(jnp.abs(x), axis=1) * jnp.max(jnp.abs(d), axis=1))) for x, d in samples.values())
    alg = AnalogAlgorithm.of_config(cfg).replace(lr=3.0 * DW_MIN / peak)

    def stochastic(key):
        tx = analog_optimizer(alg, CONST, key)
        return tx.update(grads, tx.init(params), params, samples=samples)[0]

    k = 256
    runs = jax.jit(jax.vmap(stochastic))(jax.random.split(jax.random.key(5), k))
    tx = analog_optimizer(alg.replace(update_mode="expected"), CONST, jax.random.key(6))
    expected = tx.update(grads, tx.init(params), params)[0]
    tight = []
    for name in t.layer_names:
        n_s = np.asarray(runs[name]["kernel"][...], np.float64) / DW_MIN  # (K, in, out)
        n_e = np.asarray(expected[name]["kernel"][...], np.float64) / DW_MIN
        np.testing.assert_allclose(n_s, np.round(n_s), atol=2e-2)  # whole pulses (float32 weights)
        assert np.std(n_s, axis=0).max() > 0.3  # the keys matter
        x, d = samples[name]
        v = alg.lr / DW_MIN * np.asarray(jnp.abs(x).T @ jnp.abs(d), np.float64)
        bound = 5.0 * np.sqrt(v / k) + 2e-2
        err = np.abs(n_s.mean(axis=0) - n_e)
        assert np.all(err <= bound), (name, float(np.max(err / bound)))
        # the bound can fail: a count 30 % off the expected one falls outside it in some cells
        tight.append(int(np.sum(np.abs(n_s.mean(axis=0) - 1.3 * n_e) > bound)))
    assert min(tight) > 0, tight


def test_analog_sgd_learns_with_stochastic_pulse_trains(tmp_path):
    """The smoke test: ``train.update_mode = stochastic`` through ``train_and_evaluate`` (the
    NeuroSim device as a pulsed device, as tests/test_train_analog.py's expected-mode run)."""
    s = _quiet(_config(tmp_path, "sgd", "train.optimizer=analog_sgd", "train.learning_rate=0.1"))
    assert s["final_accuracy"] > 40.0, s["history"]  # 10 classes: chance is 10 % (measured: 56 %)
    assert s["history"][1]["loss"] < s["history"][0]["loss"]


@pytest.mark.slow
def test_ttv2_learns_with_stochastic_pulse_trains(tmp_path):
    s = _quiet(_config(tmp_path, "ttv2", "train.optimizer=ttv2", "train.learning_rate=1.0",
                       "device.pulsed_preset=reram_sb", "quant.weight_bits=32", "train.epochs=4"))
    assert s["final_accuracy"] > 15.0, s["history"]  # chance is 10 % (measured: 20 %)
    losses = [h["loss"] for h in s["history"]]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses


@pytest.mark.slow
def test_stochastic_run_is_reproducible_and_resumes_exactly(tmp_path):
    """Same seed, same numbers (the pulse trains' keys come from the optimiser state, which the
    checkpoint holds); another seed, other numbers."""
    more = ["train.optimizer=ttv2", "train.learning_rate=1.0", "device.pulsed_preset=reram_sb"]
    whole = _quiet(_config(tmp_path, "whole", *more))
    part = _config(tmp_path, "part", *more, "train.epochs=1")
    _quiet(part)
    resumed = _quiet(apply_overrides(part, ["train.epochs=2"]), resume=True)
    assert resumed["history"] == whole["history"]
    for name in ("weight_dist.csv", "algorithm_counts.csv"):
        with open(f"{tmp_path}/whole/{name}") as a, open(f"{tmp_path}/part/{name}") as b:
            assert a.read() == b.read(), name
    other = _quiet(_config(tmp_path, "other", *more, "run.seed=1", "train.epochs=1"))
    assert other["history"][0] != whole["history"][0]


def test_estimate_bound_counts_every_rows_train(tmp_path):
    """``cimjax estimate --config``'s bound of the pulses one device gets per update: ``bl`` in the
    gradient-matrix modes, ``bl`` per row (sample, conv output position) in the stochastic mode."""
    from cimjax.build import algorithm_counts

    sgd = _config(tmp_path, "b", "train.optimizer=analog_sgd")  # batch 50, MLP: one row per sample
    assert float(algorithm_counts(sgd).pulses_per_update_c) == 31.0 * 50
    assert float(algorithm_counts(apply_overrides(sgd, ["train.update_mode=expected"])).pulses_per_update_c) == 31.0
    tt = apply_overrides(sgd, ["train.optimizer=ttv2", "model.name=vgg8", "model.width=0.0625"])
    assert float(algorithm_counts(tt).pulses_per_update_a) == 5.0 * 50 * 8 * 8  # conv1's 8×8 positions
