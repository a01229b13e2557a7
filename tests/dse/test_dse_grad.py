"""Differentiable PPA (gradients vs finite differences, relaxed mode), the sensitivity table
and the co-optimiser's bounds and budgets (issue 5, items 3–4). Compile-heavy: slow."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from cimjax.config import Config, ConfigError
from cimjax.dse import grid as G
from cimjax.dse import sensitivity as SE
from cimjax.dse import sweep as S
from tests.helpers import x64
from tests.dse.test_dse_sweep import TINY

METRICS = ("energy", "latency", "area", "edp", "tops_per_w")
NAMES = ("r_on", "on_off_ratio", "read_voltage", "read_pulse_width", "clock_hz", "technology_node_nm")


@pytest.mark.slow
def test_gradients_match_finite_differences_relaxed():
    """Directional derivatives (jvp) along two random log-space directions = central differences."""
    with x64():
        base = S.prepare(Config(), layers=TINY)
        f = SE.ppa_function(base, NAMES, mode="relaxed")
        x0 = np.asarray([2e5, 8.0, 0.45, 1.2e-8, 8e8, 40.0])  # 40 nm: between table nodes
        dirs = np.random.default_rng(0).normal(size=(2, len(x0))) * x0  # d log x ~ N(0, 1)

        def value_and_slope(x, v):
            m = lambda y: jnp.stack([f(y)[k] for k in METRICS])  # noqa: E731
            return jax.jvp(m, (x,), (v,))

        h = 1e-5
        xs = np.concatenate([np.stack([x0, x0]), x0 + h * dirs, x0 - h * dirs])
        vs = np.concatenate([dirs, dirs, dirs])
        vals, slopes = (np.asarray(a) for a in jax.jit(jax.vmap(value_and_slope))(jnp.asarray(xs), jnp.asarray(vs)))
        assert np.all(np.isfinite(vals)) and np.all(np.isfinite(slopes))
        fd = (vals[2:4] - vals[4:6]) / (2 * h)  # (directions, metrics)
        rel = np.abs(vals[0])  # compare relative slopes (d log m along the direction)
        np.testing.assert_allclose(slopes[:2] / rel, fd / rel, atol=1e-6, rtol=1e-4)
        assert np.all(np.abs(slopes[:2] / rel) > 1e-3)  # the metrics do depend on the parameters


@pytest.mark.slow
def test_sensitivity_table_ranks_elasticities():
    rows = SE.sensitivity_table(Config(), layers=TINY, parameters=("read_voltage", "clock_hz", "adc_bits"),
                                metrics=("energy", "latency"), mode="ste")
    assert [r["metric"] for r in rows] == ["energy"] * 3 + ["latency"] * 3
    for m in ("energy", "latency"):
        e = [abs(r["elasticity"]) for r in rows if r["metric"] == m]
        assert e == sorted(e, reverse=True) and all(np.isfinite(e))
    clock = [r for r in rows if r["metric"] == "latency" and r["parameter"] == "clock_hz"][0]
    assert clock["elasticity"] < 0  # a faster clock shortens the epoch
    text = SE.format_sensitivity(rows)
    assert "clock_hz" in text and "latency" in text


def test_non_differentiable_parameter_is_rejected():
    with pytest.raises(ConfigError, match="cell_type"):
        SE.ppa_function(None, ["cell_type"])  # rejected before the base design is used


@pytest.mark.slow
def test_optimizer_respects_bounds_and_budget():
    from cimjax.dse.optimize import optimize

    space = G.parse_grid({"parameters": {"read_voltage": {"min": 0.2, "max": 0.7},
                                         "r_on": {"min": 3e4, "max": 3e5, "scale": "log"},
                                         "adc_bits": {"min": 4, "max": 7}}}, Config())
    res = optimize(Config(), space, "edp", ["area<=1.0x"], steps=40, starts=3, inner=10, layers=TINY,
                   progress=False, seed=0, refine=0)
    lo = np.asarray([0.2, 3e4, 4.0])
    hi = np.asarray([0.7, 3e5, 7.0])
    assert res.names == ("read_voltage", "r_on", "adc_bits")
    assert np.all(res.trajectory_x >= lo * (1 - 1e-6)) and np.all(res.trajectory_x <= hi * (1 + 1e-6))
    x = np.asarray([res.best[k] for k in res.names])
    assert np.all(x >= lo) and np.all(x <= hi)
    assert res.best["adc_bits"] == round(res.best["adc_bits"])
    assert res.feasible
    assert res.best_metrics["area"] <= res.constraints[0].bound * (1 + 1e-9)
    assert res.best_metrics["edp"] <= res.base_metrics["edp"] * (1 + 1e-6)
    assert res.evaluations == 40 * 3 + res.candidates
    # The exact refinement after rounding: never worse, still feasible and in bounds, counted.
    ref = optimize(Config(), space, "edp", ["area<=1.0x"], steps=40, starts=3, inner=10, layers=TINY,
                   progress=False, seed=0, refine=2, refine_points=9)
    assert ref.feasible and ref.best_metrics["area"] <= ref.constraints[0].bound * (1 + 1e-9)
    assert ref.best_metrics["edp"] <= res.best_metrics["edp"] * (1 + 1e-12)
    assert ref.best["adc_bits"] == res.best["adc_bits"]  # discrete parameters stay as rounded
    xr = np.asarray([ref.best[k] for k in ref.names])
    assert np.all(xr >= lo) and np.all(xr <= hi)
    assert ref.candidates > res.candidates and ref.evaluations == 40 * 3 + ref.candidates
    with pytest.raises(ConfigError, match="refine_points"):
        optimize(Config(), space, "edp", steps=1, starts=1, layers=TINY, refine_points=2, progress=False)


def test_optimizer_host_step_smoke():
    """The default step on a short run is host-evaluated (no XLA compile of the gradient):
    iterates stay in bounds, the first improving step is recorded, a bad step_eval is refused."""
    from cimjax.dse.optimize import optimize

    space = G.parse_grid({"parameters": {"read_voltage": {"min": 0.2, "max": 0.7},
                                         "r_on": {"min": 3e4, "max": 3e5, "scale": "log"}}}, Config())
    with pytest.raises(ConfigError, match="step_eval"):
        optimize(Config(), space, "edp", step_eval="gpu", layers=TINY, progress=False)
    res = optimize(Config(), space, "edp", ["area<=1.0x"], steps=3, starts=2, layers=TINY, progress=False,
                   seed=0, refine=0)
    assert res.timing["step_eval"] == ["host"]
    assert res.trajectory_x.shape == (3, 2, 2) and np.all(np.isfinite(res.trajectory_obj))
    assert np.all(res.trajectory_x >= [0.2 * (1 - 1e-6), 3e4 * (1 - 1e-6)])
    assert np.all(res.trajectory_x <= [0.7 * (1 + 1e-6), 3e5 * (1 + 1e-6)])
    step, value = res.timing["first_improving_step"]
    assert 1 <= step <= 3 and value < res.base_metrics["edp"]


@pytest.mark.slow
def test_optimizer_host_step_equals_compiled():
    """step_eval="host" (NumPy on the traced value_and_grad), "jit" (XLA) and "host+jit" (host
    steps until the compile in a thread is ready) give the same descent to float rounding,
    through the polish phase's re-pinned chips and the rounding."""
    from cimjax.dse.optimize import optimize

    space = G.parse_grid({"parameters": {"read_voltage": {"min": 0.2, "max": 0.7},
                                         "r_on": {"min": 3e4, "max": 3e5, "scale": "log"},
                                         "adc_bits": {"min": 4, "max": 7}}}, Config())
    kw = dict(steps=14, starts=3, inner=5, layers=TINY, progress=False, seed=0, refine=0)
    host = optimize(Config(), space, "edp", ["area<=1.0x"], step_eval="host", **kw)
    jit = optimize(Config(), space, "edp", ["area<=1.0x"], step_eval="jit", **kw)
    assert host.timing["step_eval"] == ["host"] and jit.timing["step_eval"] == ["jit"]
    np.testing.assert_allclose(host.trajectory_x, jit.trajectory_x, rtol=1e-5)
    np.testing.assert_allclose(host.trajectory_obj, jit.trajectory_obj, rtol=1e-5)
    np.testing.assert_allclose(host.trajectory_cons, jit.trajectory_cons, rtol=1e-5)
    assert host.best == jit.best and host.feasible == jit.feasible
    assert host.best_metrics["edp"] == pytest.approx(jit.best_metrics["edp"], rel=1e-6)
    both = optimize(Config(), space, "edp", ["area<=1.0x"], step_eval="host+jit", **kw)
    assert both.timing["step_eval"] == ["host+jit"]
    np.testing.assert_allclose(both.trajectory_x, jit.trajectory_x, rtol=1e-5)
    assert both.best == jit.best
