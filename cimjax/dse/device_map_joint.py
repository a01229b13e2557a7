"""Joint objective (accuracy + λ·energy), tables and plots of a device-spec map
(:mod:`cimjax.dse.device_map`)."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.config import Config, ConfigError
from cimjax.dse.device_grid import AXIS_DOC, DROP_COLOR_MAX
from cimjax.dse.device_map import DeviceMapResult, config_for_bits
from cimjax.trace import Trace

# --------------------------------------------------------------------------------------
# Joint objective: accuracy and the estimator's energy
# --------------------------------------------------------------------------------------

#: Energy metrics :func:`joint_objective` can weigh (J per epoch of the config's training).
ENERGY_METRICS = ("wu_energy", "energy")


@dataclasses.dataclass
class JointResult:
    """Per setting: accuracy, the estimator's metrics, and the objective for each λ.

    Attributes:
      metrics: name → (N, S) per member (``energy`` total J/epoch incl. leakage,
        ``wu_energy`` / ``wu_latency`` of the weight update, ``latency``, ``tops_per_w``).
      energy_metric: the metric the objective weighs; ``energy_ref`` its normaliser (J).
      error: (N,) accuracy proxy, ``(100 − mean accuracy)/100``.
      energy_norm: (N,) mean energy over seeds / ``energy_ref``.
      lambdas: the λ values; ``objective`` (len(λ), N); ``best`` (len(λ),) setting index.
      timing: ``compile_s``, ``eval_s``.
    """

    metrics: dict
    energy_metric: str
    energy_ref: float
    reference: str
    error: np.ndarray
    energy_norm: np.ndarray
    lambdas: tuple
    objective: np.ndarray
    best: np.ndarray
    timing: dict

    def to_dict(self, result: DeviceMapResult) -> dict:
        return {
            "objective": "(100 - accuracy_mean)/100 + lambda * mean(" + self.energy_metric + ")/energy_ref",
            "energy_metric": self.energy_metric, "energy_ref_j": self.energy_ref, "energy_ref_is": self.reference,
            "lambdas": list(self.lambdas),
            "best": [{"lambda": lam, "index": int(b), "setting": result.setting(int(b)),
                      "accuracy_mean": float(result.accuracy_mean[b]), "error": float(self.error[b]),
                      "energy_norm": float(self.energy_norm[b]), "objective": float(self.objective[k, b]),
                      **{m: float(np.mean(v[b])) for m, v in self.metrics.items()}}
                     for k, (lam, b) in enumerate(zip(self.lambdas, self.best))],
            "per_setting": [{"index": i, **{m: float(np.mean(v[i])) for m, v in self.metrics.items()},
                             "energy_norm": float(self.energy_norm[i])} for i in range(len(self.error))],
            "timing": self.timing,
        }


def member_metrics(config: Config, result: DeviceMapResult) -> tuple[dict, dict]:
    """The chip estimate of every member: the config's chip (:func:`cimjax.build.build`; with
    ``bits_from_levels`` the chip of the member's weight-bit group, :func:`config_for_bits`)
    with the member's ``max_level`` (the ``max_levels`` knob) and its own training trace,
    evaluated by one jitted ``vmap(estimate)`` over the members' :class:`~cimjax.hw.chip.ChipParams`.

    Chips of different bit widths share one compile when their static
    :class:`~cimjax.hw.chip.ChipConfig` agrees (it differs only in the tile grid and CM tile
    size, :func:`cimjax.build.chip_config`; usually one compile in all).

    Returns:
      ``(metrics, timing)``: name → (N, S) arrays (``energy``, ``latency``, ``tops_per_w``,
      ``wu_energy``, ``wu_latency``; J and s per epoch), and ``{"compile_s", "eval_s",
      "members", "compiles"}``.

    Raises:
      ConfigError: a cell type the estimator does not model;
      ValueError: ``result.trace`` without a row per :class:`~cimjax.trace.Trace` field.
    """
    from cimjax.config.hardware import ESTIMATOR_CELL_TYPES
    from cimjax.dse.sweep import metrics_of
    from cimjax import build as build_lib
    from cimjax.hw import chip

    if config.hardware.cell_type not in ESTIMATOR_CELL_TYPES:
        raise ConfigError(f"hardware.cell_type = {config.hardware.cell_type!r}: the estimator models "
                          f"{', '.join(ESTIMATOR_CELL_TYPES)} sub-arrays only")
    n, s = result.accuracy.shape
    if np.ndim(result.trace) != 4 or np.shape(result.trace)[2] != len(Trace._fields):
        raise ValueError(f"DeviceMapResult.trace: shape {np.shape(result.trace)}, expected (N, S, "
                         f"{len(Trace._fields)}, layers) (the fields {Trace._fields})")
    names = ("energy", "latency", "tops_per_w", "wu_energy", "wu_latency")
    bits = result.weight_bits if result.weight_bits is not None else np.full(n, -1, np.int64)
    dtype = jnp.result_type(float)
    layers = build_lib.facts(config).layers
    chips = {}  # bits -> (traced knobs as floats, facts, static config)
    for b in sorted(set(bits.tolist())):
        built = build_lib.build(config if b < 0 else config_for_bits(config, int(b)), layers=layers)
        chips[b] = (build_lib.traced_knobs(built.knobs),
                    built.facts, built.chip)
    out = np.full((n, s, len(names)), np.nan)
    t_compile = t_eval = 0.0
    statics = []
    for _, _, cc in chips.values():
        if cc not in statics:
            statics.append(cc)
    for cc in statics:
        rows = [i for i in range(n) if chips[int(bits[i])][2] == cc]

        def member_params(i):
            knobs, facts, _ = chips[int(bits[i])]
            level = jnp.asarray(float(result.settings["max_level"][i]), dtype)
            return build_lib.chip_params({**knobs, "max_levels": level}, facts)

        per_member = [member_params(i) for i in rows for _ in range(s)]
        params = jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x, dtype) for x in xs]), *per_member)
        tr = jnp.asarray(result.trace[rows].reshape(len(rows) * s, len(Trace._fields), -1), dtype)

        def one(p, fields, cc=cc):
            est = chip.estimate(p, cc, Trace(*fields))
            m = metrics_of(est)
            return jnp.stack([m["energy"], m["latency"], m["tops_per_w"], est.wu.energy, est.wu.latency])

        t0 = time.perf_counter()
        compiled = jax.jit(jax.vmap(one)).lower(params, tr).compile()
        t1 = time.perf_counter()
        out[rows] = np.asarray(compiled(params, tr), np.float64).reshape(len(rows), s, len(names))
        t_compile += t1 - t0
        t_eval += time.perf_counter() - t1
    return ({k: out[:, :, j] for j, k in enumerate(names)},
            {"compile_s": t_compile, "eval_s": t_eval, "members": n * s, "compiles": len(statics)})


def joint_objective(config: Config, result: DeviceMapResult, lambdas: Sequence[float] = (0.0, 0.03, 0.1, 0.3, 1.0),
                    *, energy_metric: str = "wu_energy", reference: Optional[int] = None,
                    metrics: Optional[tuple] = None) -> JointResult:
    """Rank the settings by ``J = (100 − acc)/100 + λ·E/E_ref`` for each λ.

    ``acc`` is the setting's mean accuracy over seeds (%), ``E`` the mean over seeds of the
    estimator's ``energy_metric`` (J per epoch; ``wu_energy`` = the weight-update phase, the
    part the device spec sets; ``energy`` = the whole chip), ``E_ref`` its value at setting
    ``reference`` (default: the setting with the median energy).

    Args:
      config: the study's config (its chip is estimated).
      result: from :func:`run_device_map`.
      lambdas: non-negative weights of the energy term.
      energy_metric: one of :data:`ENERGY_METRICS`.
      reference: index of the normalising setting.
      metrics: precomputed :func:`member_metrics` output.

    Returns:
      The :class:`JointResult`.
    """
    if energy_metric not in ENERGY_METRICS:
        raise ValueError(f"energy_metric = {energy_metric!r} is invalid: expected one of {ENERGY_METRICS}")
    lambdas = tuple(float(x) for x in lambdas)
    if not lambdas or any(not (math.isfinite(x) and x >= 0) for x in lambdas):
        raise ValueError(f"lambdas = {lambdas!r} is invalid: expected a non-empty list of numbers >= 0")
    metrics, timing = metrics if metrics is not None else member_metrics(config, result)
    e = np.asarray(metrics[energy_metric]).mean(axis=1)
    if reference is None:
        reference = int(np.argsort(e)[len(e) // 2])
        ref_text = f"median-energy setting (index {reference})"
    else:
        if not 0 <= int(reference) < len(e):
            raise ValueError(f"reference = {reference!r} is invalid: expected a setting index in [0, {len(e)})")
        reference = int(reference)
        ref_text = f"setting {reference}"
    e_ref = float(e[reference])
    if not (math.isfinite(e_ref) and e_ref > 0):
        raise ValueError(f"the reference energy {e_ref!r} is not positive: pick another reference setting")
    error = (100.0 - result.accuracy_mean) / 100.0
    e_norm = e / e_ref
    obj = np.stack([error + lam * e_norm for lam in lambdas])
    best = np.argmin(obj, axis=1)
    return JointResult(metrics=metrics, energy_metric=energy_metric, energy_ref=e_ref, reference=ref_text,
                       error=error, energy_norm=e_norm, lambdas=lambdas, objective=obj, best=best, timing=timing)


# --------------------------------------------------------------------------------------
# Tables and plots
# --------------------------------------------------------------------------------------


def _fmt_axis(name: str, v) -> str:
    if name == "max_level":
        return str(int(v))
    if name == "nl_asym":
        return f"±{v:g}"
    if name in ("c2c_sigma",):
        return f"{100 * v:g} %"
    return f"{v:g}"


def panel_table(result: DeviceMapResult, panel: dict) -> str:
    """A Markdown table of one 2-D panel: mean accuracy ± std over seeds and the mean drop
    against the ideal update (rows = first axis, columns = second)."""
    axes = panel["axes"]
    idx = np.asarray(panel["indices"])
    drop = result.drop
    if idx.ndim == 1:
        idx = idx[None, :] if len(axes) == 1 else idx[:, None]
        axes = ([["", [""]]] + axes) if len(axes) == 1 else (axes + [["", [""]]])
    (ra, rv), (ca, cv) = axes[0], axes[1]
    head = f"| {ra} \\ {ca} | " + " | ".join(_fmt_axis(ca, v) if ca else "" for v in cv) + " |"
    lines = [head, "|" + " --- |" * (len(cv) + 1)]
    for r, row_v in enumerate(rv):
        cells = []
        for c in range(len(cv)):
            i = idx[r, c]
            text = f"{result.accuracy_mean[i]:.1f} ± {result.accuracy_std[i]:.1f}"
            if drop is not None:
                text += f" ({-drop[i].mean():+.1f})"
            cells.append(text)
        lines.append(f"| {_fmt_axis(ra, row_v) if ra else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_maps(path: str, result: DeviceMapResult, *, title: str = "", joint: Optional[JointResult] = None) -> None:
    """PNG: one heatmap per panel of the mean accuracy drop against the ideal update (points,
    annotated with mean accuracy and drop), plus, with ``joint``, accuracy versus
    weight-update energy of every setting with the best settings per λ marked."""
    from cimjax.report import plots

    panels = [p for p in result.panels if len(p["axes"]) in (1, 2)]
    n = len(panels) + (1 if joint is not None else 0)
    fig = plots.figure(5.4 * n, 4.6)
    axes = fig.subplots(1, n, squeeze=False)
    drop = result.drop
    value = drop.mean(axis=1) if drop is not None else -result.accuracy_mean
    # The colour scale stops at DROP_COLOR_MAX points, so the few-point regime stays readable.
    vmax = min(DROP_COLOR_MAX, max(1.0, float(np.nanmax(value)))) if drop is not None else None
    for ax, panel in zip(axes[0], panels):
        idx = np.asarray(panel["indices"])
        pax = panel["axes"]
        if idx.ndim == 1:
            idx = idx[None, :]
            pax = [["", [""]]] + pax
        (ra, rv), (ca, cv) = pax[0], pax[1]
        grid = value[idx]
        im = ax.imshow(grid, cmap="RdYlGn_r", vmin=min(0.0, float(np.nanmin(value))) if drop is not None else None,
                       vmax=vmax, aspect="auto", origin="lower")
        for r in range(idx.shape[0]):
            for c in range(idx.shape[1]):
                i = idx[r, c]
                txt = f"{result.accuracy_mean[i]:.1f}%"
                if drop is not None:
                    txt += f"\nΔ {-drop[i].mean():+.1f}"
                ax.text(c, r, txt, ha="center", va="center", fontsize=7,
                        color="white" if drop is not None and grid[r, c] > 0.75 * vmax else "black")
        ax.set_xticks(range(len(cv)), [_fmt_axis(ca, v) if ca else "" for v in cv], fontsize=8)
        ax.set_yticks(range(len(rv)), [_fmt_axis(ra, v) if ra else "" for v in rv], fontsize=8)
        ax.set_xlabel(AXIS_DOC.get(ca, ca), fontsize=8)
        ax.set_ylabel(AXIS_DOC.get(ra, ra), fontsize=8)
        ax.set_title(panel["name"], fontsize=9)
        cb = fig.colorbar(im, ax=ax, shrink=0.85, extend="max" if drop is not None else "neither")
        cb.set_label("accuracy drop vs ideal update (points; Δ = −drop)" if drop is not None else "−accuracy (%)",
                     fontsize=8)
    if joint is not None:
        ax = axes[0][-1]
        e = np.asarray(joint.metrics[joint.energy_metric]).mean(axis=1) * 1e6  # µJ
        levels = np.asarray(result.settings["max_level"])
        sc = ax.scatter(e, result.accuracy_mean, c=np.log2(levels), cmap="viridis", s=18)
        cb = fig.colorbar(sc, ax=ax, shrink=0.85)
        cb.set_label("log2(number of states)", fontsize=8)
        markers = "*PXDs^v<>ph"
        for k, (lam, b) in enumerate(zip(joint.lambdas, joint.best)):
            ax.plot(e[b], result.accuracy_mean[b], markers[k % len(markers)], ms=11, mfc="none", mec="red",
                    label=f"best, λ = {lam:g}")
        if result.ideal_accuracy is not None:
            ax.axhline(result.ideal_mean, color="0.4", ls="--", lw=0.8, label="ideal update")
        ax.set_xlabel(f"{joint.energy_metric} (µJ per epoch)", fontsize=8)
        ax.set_ylabel("test accuracy (%), mean over seeds", fontsize=8)
        ax.set_title("joint objective: error + λ·E/E_ref", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(title or "device-spec accuracy map")
    fig.tight_layout()
    plots.save(fig, path)
