"""Differentiable PPA: gradients of any chip metric w.r.t. design parameters, and elasticities.

The estimator is pure JAX, so every metric of :data:`cimjax.dse.sweep.METRICS` (energy and
latency per epoch, area, EDP, TOPS, TOPS/W, …) can be differentiated with ``jax.grad`` /
``jax.jacfwd`` w.r.t. any numeric parameter of :data:`cimjax.dse.params.PARAMS`::

    from cimjax.dse import sensitivity, sweep
    base = sweep.prepare(config)                          # the config's chip and trace
    f = sensitivity.ppa_function(base, ["r_on", "read_voltage"], mode="relaxed")
    x0 = jnp.asarray(sensitivity.base_values(base, ["r_on", "read_voltage"]))
    dedp = jax.grad(lambda x: f(x)["edp"])(x0)            # ∂EDP/∂(R_on, V_read)
    J = jax.jacfwd(lambda x: jnp.stack([f(x)[m] for m in ("energy", "area")]))(x0)

Counts (tiles, ADCs, adder bits, ⌈log2⌉ sizes) are piecewise constant: in ``mode="exact"``
their gradient is zero. ``"relaxed"`` replaces every staircase by a smooth one (true
derivatives of a slightly different, biased model: finite differences match them);
``"ste"`` keeps the exact values and passes straight-through gradients (not the derivative
of the value, but the design trend; the default of the sensitivity report and the
optimiser). Discrete parameters (ADC bits, sub-array size, batch) are differentiated as
continuous values (``adc_levels = 2^bits``). The node is interpolated piecewise linearly
between the tabulated nodes, so its derivative jumps at 7, 10, 14, 22, 32, 45, … nm
(one-sided there).

:func:`elasticities` gives the normalised sensitivities ``∂log metric/∂log param`` (a value
of −0.5: 1 % more of the parameter gives 0.5 % less of the metric) with one ``jax.jacfwd``;
:func:`sensitivity_table` ranks them per metric (``cimjax estimate --sensitivity``).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.config import Config, ConfigError
from cimjax.dse import params as P
from cimjax import build as build_lib
from cimjax.dse.sweep import metrics_of, prepare

#: Metrics the sensitivity report ranks by default.
DEFAULT_METRICS = ("energy", "latency", "area", "edp", "tops_per_w")
#: Parameters of the report by default: the continuous ones and three discrete ones (ste).
DEFAULT_PARAMS = P.CONTINUOUS + ("adc_bits", "subarray_size", "batch_size")


def _check_names(names: Sequence[str], allow_static: bool = False) -> tuple:
    for n in names:
        s = P.PARAMS.get(n)
        if s is None or not s.numeric or not s.chip or (s.static and not allow_static):
            ok = [k for k, v in P.PARAMS.items() if v.numeric and v.chip and not v.static]
            raise ConfigError(f"parameter {n!r} cannot be differentiated: expected one of {', '.join(ok)}")
    return tuple(names)


def _as_float(tree):
    dtype = jnp.result_type(float)
    return jax.tree.map(lambda x: jnp.asarray(x, dtype), tree)


def ppa_function(base: build_lib.ChipBuild, names: Sequence[str], *, mode: str = "relaxed",
                 chip_config=None) -> Callable[[jax.Array], dict]:
    """``f(x) -> {metric: value}``: the chip metrics with parameters ``names`` set to ``x``.

    Args:
      base: the base design (:func:`cimjax.dse.sweep.prepare`).
      names: numeric, traced parameters (:data:`cimjax.dse.params.PARAMS`).
      mode: count mode of the estimator (``"exact"``, ``"relaxed"`` or ``"ste"``).
      chip_config: the static chip (default: the base's; its ``mode`` is replaced). When
        given, static numeric parameters (``columns_per_adc``) may be in ``names``: their
        traced value is set, and ``chip_config`` must hold the matching static one.

    Returns:
      A pure function of ``x`` (shape ``(len(names),)``) for ``jax.grad``/``jacfwd``/``vmap``/``jit``.
    """
    from cimjax.hw import chip

    names = _check_names(names, allow_static=chip_config is not None)
    cc = dataclasses.replace(chip_config or base.chip, mode=mode)
    knobs = build_lib.traced_knobs(base.knobs)

    def f(x):
        params = build_lib.chip_params(P.apply_values(knobs, names, x), base.facts)
        return metrics_of(chip.estimate(params, cc, _as_float(base.trace)))

    return f


def base_values(base: build_lib.ChipBuild, names: Sequence[str]) -> list[float]:
    """The base design's value of each parameter in ``names``."""
    return P.get_values(base.knobs, names)


def elasticities(base: build_lib.ChipBuild, names: Sequence[str], metrics: Sequence[str] = DEFAULT_METRICS, *,
                 mode: str = "ste", at: Optional[Sequence[float]] = None) -> tuple[np.ndarray, np.ndarray]:
    """``(E, values)``: ``E[i, j] = ∂log metrics[i] / ∂log names[j]`` at the base (or ``at``).

    One ``jax.jacfwd`` of ``log f(exp(u))`` at ``u = log x``; ``values`` are the parameter
    values it was taken at.
    """
    names = _check_names(names)
    x0 = np.asarray(base_values(base, names) if at is None else at, float)
    if np.any(x0 <= 0):
        raise ConfigError(f"elasticities need positive parameter values, got {dict(zip(names, x0))}")
    f = ppa_function(base, names, mode=mode)

    def logm(u):
        m = f(jnp.exp(u))
        return jnp.log(jnp.abs(jnp.stack([m[k] for k in metrics])))

    jac = jax.jit(jax.jacfwd(logm))(jnp.log(jnp.asarray(x0, jnp.result_type(float))))
    return np.asarray(jac, float), x0


def sensitivity_table(config: Config, *, layers=None, trace=None, parameters: Optional[Sequence[str]] = None,
                      metrics: Sequence[str] = DEFAULT_METRICS, mode: str = "ste", top: Optional[int] = None) -> list[dict]:
    """Ranked elasticities of ``metrics`` w.r.t. ``parameters`` at ``config``'s chip.

    Returns:
      Rows ``{"metric", "parameter", "value", "elasticity"}``, grouped by metric (in the
      order given) and sorted by ``|elasticity|`` (largest first), ``top`` rows per metric.
    """
    base = prepare(config, layers=layers, trace=trace)
    names = tuple(parameters or DEFAULT_PARAMS)
    jac, x0 = elasticities(base, names, metrics, mode=mode)
    rows = []
    for i, m in enumerate(metrics):
        order = sorted(range(len(names)), key=lambda j: -abs(jac[i, j]) if np.isfinite(jac[i, j]) else 0.0)
        for j in order[:top]:
            rows.append(dict(metric=m, parameter=names[j], value=float(x0[j]), elasticity=float(jac[i, j])))
    return rows


def format_sensitivity(rows: list[dict], mode: str = "ste") -> str:
    """A text table of :func:`sensitivity_table` rows (one block per metric)."""
    lines = [f"normalised sensitivities ∂log(metric)/∂log(parameter) at the config's design ({mode} counts):"]
    current = None
    for r in rows:
        if r["metric"] != current:
            current = r["metric"]
            lines.append(f"\n  {current}")
        unit = P.PARAMS[r["parameter"]].unit
        lines.append(f"    {r['elasticity']:+9.4f}  {r['parameter']:<20} (= {r['value']:.4g}{' ' + unit if unit else ''})")
    return "\n".join(lines)
