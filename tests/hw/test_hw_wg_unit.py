"""Weight-gradient unit and gradient accumulator (cimjax.hw.components.wg_unit).

Golden values: docs/neurosim_default_run.md (NeuroSim V2.0 as shipped, VGG-8, per epoch =
50,000 images): WG area bucket 9.66812e6 µm² (= WG unit + gradient accumulator, Chip.cpp
``areaWG``) and the per-layer "pk L_WG"/"pk E_WG" columns (= peak WG unit + gradient
accumulation per image × 50,000, Chip.cpp).
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.hw.components import logic, wg_layers
from cimjax.hw.components import wg_unit as W
from cimjax.hw.components.params import CircuitParams
from cimjax.hw import neurosim_version as nv

P = W.WeightGradientParams()
CFG = W.WeightGradientConfig()
IMAGES = 50_000
# VGG-8 (docs/model.md §4.2): (valid windows, C_in, K, C_out) and the default run's input activities.
LAYERS = [(900, 3, 3, 128), (900, 128, 3, 128), (196, 128, 3, 256), (196, 256, 3, 256),
          (36, 256, 3, 512), (36, 512, 3, 512), (1, 8192, 1, 1024), (1, 1024, 1, 10)]
ACTIVITY = [0.4923, 0.1717, 0.1777, 0.1164, 0.1607, 0.1120, 0.1100, 0.0562]
GOLDEN_PK_L_WG = [1.237, 9.644, 6.437, 6.435, 5.521, 5.520, 0.01313, 0.00218]  # s per epoch
GOLDEN_PK_E_WG = [0.0893, 2.658, 1.171, 2.150, 0.848, 1.590, 0.2033, 0.00023]  # J per epoch
GOLDEN_AREA_WG = 9.66812e6 * 1e-12  # m²
WRITE_PARALLEL = 8.0  # numArrayWriteParallel as released (defect 2)


@pytest.fixture(autouse=True)
def x64():
    with helpers.x64():
        yield


def f(x):
    return float(x)


def layer_pk(i, params=P, config=CFG):
    windows, c_in, k, c_out = LAYERS[i]
    wg = wg_layers.weight_gradient_layer(params, config, windows=windows, in_channels=c_in, kernel_size=k,
                                 out_channels=c_out, activity=ACTIVITY[i])
    acc = wg_layers.gradient_accumulator(params, config, num_weights=c_in * k * k * c_out,
                                 num_array_write_parallel=WRITE_PARALLEL)
    return wg, acc


def test_structure_defaults():
    u = wg_layers.weight_gradient_unit_area()
    assert f(u.arrays_in_row) == 7 and f(u.arrays_in_col) == 8 and f(u.num_arrays) == 56
    assert f(u.out_precision) == 15  # log2 16 + 8 + ⌈log2 7⌉
    assert f(u.area) > 56 * 128 * 128 * 160 * (32e-9) ** 2 and f(u.leakage) > 0


def test_golden_area():
    """WG area bucket = unit + gradient accumulator (131072 adders of 23 bits): within 10 %."""
    u = wg_layers.weight_gradient_unit_area()
    acc = wg_layers.gradient_accumulator(P, CFG, num_weights=1, num_array_write_parallel=WRITE_PARALLEL)
    ratio = (f(u.area) + f(acc.area)) / GOLDEN_AREA_WG
    assert 0.9 <= ratio <= 1.1, ratio


def test_golden_per_layer_peak():
    """pk L_WG and pk E_WG within 10 % for every layer (WG unit + gradient accumulation)."""
    for i in range(len(LAYERS)):
        wg, acc = layer_pk(i)
        l_ratio = (f(wg.latency) + f(acc.latency)) * IMAGES / GOLDEN_PK_L_WG[i]
        e_ratio = (f(wg.energy) + f(acc.energy)) * IMAGES / GOLDEN_PK_E_WG[i]
        assert 0.9 <= l_ratio <= 1.1, (i + 1, l_ratio)
        assert 0.9 <= e_ratio <= 1.1, (i + 1, e_ratio)


def test_all_layers_at_once_equal_a_loop():
    """weight_gradient_layers (one traced array, vmapped over activities) == per-layer calls,
    including the FC rule, in eager and jit, and with a batch axis on the activities."""
    cols = {name: tuple(l[j] for l in LAYERS)
            for j, name in enumerate(("windows", "in_channels", "kernel_size", "out_channels"))}
    fn = jax.jit(wg_layers.weight_gradient_layers, static_argnames=("config",) + tuple(cols))
    refs = {}  # (layer, activity) -> the eager per-layer call (the unbatched row recurs in the batch)
    for batched in (False, True):
        act = np.asarray([ACTIVITY, ACTIVITY[::-1]]) if batched else np.asarray(ACTIVITY)
        got = fn(P, config=CFG, activity=act, **cols)
        for b in range(2 if batched else 1):
            for i in range(len(LAYERS)):
                a = act[b, i] if batched else act[i]
                windows, c_in, k, c_out = LAYERS[i]
                if (i, float(a)) not in refs:
                    refs[i, float(a)] = wg_layers.weight_gradient_layer(
                        P, CFG, windows=windows, in_channels=c_in, kernel_size=k, out_channels=c_out, activity=a)
                ref = refs[i, float(a)]
                idx = (b, i) if batched else (i,)
                for field in ("area", "energy", "latency", "leakage"):
                    np.testing.assert_allclose(np.asarray(getattr(got, field))[idx], f(getattr(ref, field)),
                                               rtol=1e-12, err_msg=f"{field} layer {i}")
    with pytest.raises(ValueError, match="kernel_size"):
        wg_layers.weight_gradient_layers(P, CFG, activity=np.ones(2), windows=(1, 1), in_channels=(3, 3),
                                 kernel_size=(1,), out_channels=(8, 8))
    with pytest.raises(ValueError, match="activity"):
        wg_layers.weight_gradient_layers(P, CFG, activity=np.ones(3), windows=(1, 1), in_channels=(3, 3),
                                 kernel_size=(1, 1), out_channels=(8, 8))


def test_layer_rules_by_hand():
    arr = W.wg_array(P, CFG, 0.2)
    t_r, t_w = f(arr.read.latency), f(arr.write.latency)
    e_r, e_w, e_t = f(arr.read.energy), f(arr.write.energy), f(arr.tree.energy)

    def layer(windows, c_in, k, c_out):
        return wg_layers.weight_gradient_layer(P, CFG, windows=windows, in_channels=c_in, kernel_size=k,
                                       out_channels=c_out, activity=0.2)

    # conv2: needRow ⌈900/128⌉ = 8 > 7 arrays → speed-up 1 × 1; used = 900·1024/(56·128²).
    c = layer(900, 128, 3, 128)
    assert f(c.latency) == pytest.approx((128 * t_r + t_w) * 9, rel=1e-9)
    used = 900 * 1024 / (56 * 128 * 128)
    assert f(c.energy) == pytest.approx((56 * (128 * e_r + e_w) + 128 * e_t) * used * 9, rel=1e-9)
    # 196 windows, 128 channels: needRow 2 → ⌊7/2⌋ = 3; needCol 8 → 1.
    assert f(layer(196, 128, 3, 256).latency) == pytest.approx((256 * t_r / 3 + t_w) * 9, rel=1e-9)
    # conv1: 24 columns → needCol 1 → ⌊8/1⌋ = 8.
    assert f(layer(900, 3, 3, 128).latency) == pytest.approx((128 * t_r / 8 + t_w) * 9, rel=1e-9)
    # FC 8192 → 1024: speed-up 7 × ⌊65536/128⌋ = 3584.
    assert f(layer(1, 8192, 1, 1024).latency) == pytest.approx(1024 * t_r / 3584 + t_w, rel=1e-9)
    # Same area and leakage for every layer: the whole unit.
    u = wg_layers.weight_gradient_unit_area()
    assert f(c.area) == pytest.approx(f(u.area), rel=1e-12)


def test_gradient_accumulator_by_hand():
    acc = wg_layers.gradient_accumulator(P, CFG, num_weights=8192 * 1024, num_array_write_parallel=8.0)
    one = logic.adder(logic.AdderParams(CircuitParams(), 23.0, 131072.0))
    assert f(acc.area) == pytest.approx(f(one.area), rel=1e-12)
    assert f(acc.latency) == pytest.approx(64 * f(one.latency), rel=1e-12)  # ⌈8388608/131072⌉
    assert f(acc.energy) == pytest.approx(64 * f(one.energy), rel=1e-12)
    small = wg_layers.gradient_accumulator(P, CFG, num_weights=10240, num_array_write_parallel=8.0)
    few = logic.adder(logic.AdderParams(CircuitParams(), 23.0, 10240.0))
    assert f(small.energy) == pytest.approx(f(few.energy), rel=1e-12)
    assert f(small.latency) == pytest.approx(f(few.latency), rel=1e-12)


def test_monotone():
    base = W.wg_array(P, CFG, 0.1)
    busy = W.wg_array(P, CFG, 0.4)
    assert f(busy.write.latency) > f(base.write.latency)
    assert f(busy.write.energy) > f(base.write.energy)
    assert f(busy.read.energy) > f(base.read.energy)  # lower column resistance: more MLSA power
    small = wg_layers.weight_gradient_unit_area(P, W.WeightGradientConfig(max_windows=400, max_input_cols=512))
    assert f(small.num_arrays) == 12 and f(small.area) < f(wg_layers.weight_gradient_unit_area().area)
    assert f(small.out_precision) == 4 + 8 + 2
    big_node = wg_layers.weight_gradient_unit_area(P._replace(circuit=CircuitParams(node_nm=45.0)))
    assert f(big_node.area) > f(wg_layers.weight_gradient_unit_area().area)
    # The released quirk drops the precharger and driver write energy.
    intended = dataclasses.replace(nv.CURRENT, wg_write_activity_unset=False)
    fixed = W.wg_array(P, W.WeightGradientConfig(version=intended), 0.4)
    assert f(fixed.write.energy) > f(busy.write.energy)


def test_config_errors():
    for kw, field in [({"max_windows": 0}, "max_windows"), ({"max_input_cols": 1.5}, "max_input_cols"),
                      ({"rows_muxed": 1}, "rows_muxed"), ({"version": 1}, "version")]:
        with pytest.raises(ValueError, match=field):
            W.WeightGradientConfig(**kw)
    with pytest.raises(ValueError, match="windows"):
        wg_layers.weight_gradient_layer(P, CFG, windows=0, in_channels=3, kernel_size=3, out_channels=8, activity=0.5)
    with pytest.raises(ValueError, match="kernel_size"):
        wg_layers.weight_gradient_layer(P, CFG, windows=4, in_channels=3, kernel_size=2.0, out_channels=8, activity=0.5)


CONFIG_R = W.WeightGradientConfig(mode="relaxed")


def _g(x):
    """float64 function of the continuous params (relaxed): layer cost + accumulator."""
    params = P._replace(circuit=CircuitParams(vdd_scale=x[0], node_nm=x[1]), adc_levels=x[2],
                        batch_size=x[3], read_pulse_width=x[4])
    wg = wg_layers.weight_gradient_layer(params, CONFIG_R, windows=196, in_channels=128, kernel_size=3,
                                 out_channels=256, activity=x[5])
    acc = wg_layers.gradient_accumulator(params, CONFIG_R, num_weights=x[6], num_array_write_parallel=8.0)
    return jnp.concatenate([jnp.stack(wg), jnp.stack(acc)])


X0 = jnp.array([1.0, 40.0, 16.0, 200.0, 10e-9, 0.17, 3e5])  # the x of _g


def _fd_check(jac, values, h, x0):
    n = x0.size
    value = values[-1]
    fd = ((values[:n] - values[n : 2 * n]) / (2 * np.asarray(h)[:, None])).T  # (outputs, params)
    assert np.all(np.isfinite(jac)) and np.all(np.isfinite(value)) and np.all(value > 0), value
    floor = 1e-6 * np.abs(value)[:, None] / np.abs(np.asarray(x0))[None, :]
    bad = np.abs(jac - fd) > 1e-4 * np.maximum(np.abs(fd), floor)
    assert not bad.any(), [(i, j, jac[i, j], fd[i, j]) for i, j in zip(*np.nonzero(bad))]


def test_jit_vmap_jvp_checklist():
    """One compiled ``jit(vmap(jvp(g)))`` (relaxed mode) over the central-difference points
    (zero tangents) and over ``x0`` with each unit tangent: the forward-mode Jacobian is finite
    and matches central differences to 1e-4 relative. ``jit == eager`` and ``vmap == loop`` are
    checked in exact mode by ``test_exact_jit_vmap_equals_eager`` (one eager pass per file).
    Reverse mode is checked in the slow test below (its XLA compile takes ~1 min here)."""
    x0 = X0.astype(jnp.float64)
    n = x0.size
    h = 1e-7 * jnp.abs(x0)
    points = jnp.concatenate([x0 + jnp.diag(h), x0 - jnp.diag(h), jnp.tile(x0, (n, 1)), x0[None]])
    tangents = jnp.concatenate([jnp.zeros((2 * n, n)), jnp.eye(n), jnp.zeros((1, n))])
    values, tangent_out = jax.jit(jax.vmap(lambda x, v: jax.jvp(_g, (x,), (v,))))(points, tangents)
    values, tangent_out = np.asarray(values), np.asarray(tangent_out)
    np.testing.assert_allclose(values[2 * n : 3 * n], np.tile(values[-1], (n, 1)), rtol=1e-12)
    fd_values = np.concatenate([values[: 2 * n], values[-1:]])
    _fd_check(tangent_out[2 * n : 3 * n].T, fd_values, h, x0)


@pytest.mark.slow
def test_reverse_mode_gradient():
    """Reverse-mode Jacobian (``jax.vjp``, i.e. ``jax.grad`` of each field) == central differences."""
    x0 = X0.astype(jnp.float64)
    h = 1e-7 * jnp.abs(x0)
    points = jnp.concatenate([x0 + jnp.diag(h), x0 - jnp.diag(h), x0[None]])
    values = np.asarray(jax.jit(jax.vmap(_g))(points))
    jac = np.asarray(jax.jit(jax.jacrev(_g))(x0))
    _fd_check(jac, values, h, x0)


def test_exact_jit_vmap_equals_eager():
    """jit(vmap(layer + accumulator)) over two activities == an eager loop (exact mode)."""

    def run(a):
        wg = wg_layers.weight_gradient_layer(P, CFG, windows=36, in_channels=256, kernel_size=3, out_channels=512,
                                     activity=a)
        acc = wg_layers.gradient_accumulator(P, CFG, num_weights=1179648, num_array_write_parallel=8.0)
        return jnp.concatenate([jnp.stack(wg), jnp.stack(acc)])

    activities = jnp.array([0.16, 0.45])
    batched = np.asarray(jax.jit(jax.vmap(run))(activities))
    for i, a in enumerate([0.16, 0.45]):
        np.testing.assert_allclose(batched[i], np.asarray(run(a)), rtol=1e-12)
    assert np.all(np.isfinite(batched)) and math.isfinite(float(batched[0, 1]))
