"""Every PNG cimjax draws (matplotlib figures without pyplot, written atomically).

- :func:`estimate`: ``estimate.png``, latency and energy per phase and per component, area;
- :func:`training_curve`: ``training_curve.png``, test accuracy and loss per epoch;
- :func:`evaluate_sweep`: ``evaluate.png``, accuracy against the first swept field;
- :func:`scatter_pairs`, :func:`pareto_fronts`: ``sweep_scatter.png``, ``sweep_pareto.png``;
- :func:`trajectory`: ``trajectory.png`` of ``cimjax optimize``.

Axes carry units people read (:mod:`cimjax.report.units`: mm², ms, mJ, ...), linear where the
data span less than 10×, logarithmic otherwise.
"""

from __future__ import annotations

import itertools
import os
from typing import Optional, Sequence

import numpy as np

from cimjax import fileio
from cimjax.dse.pareto import pareto_mask_2d
from cimjax.dse.sweep import MAXIMISE
from cimjax.estimate import AREA_BUCKETS, BUCKETS, PHASES
from cimjax.report.units import AxisScale, axis_for, si

#: A metric's axis title and the SI unit of its values (``""``: a plain number).
METRIC_AXES = {
    "area": ("chip area", "m²"), "area_adc": ("ADC area", "m²"),
    "energy": ("energy per epoch", "J"), "latency": ("latency per epoch", "s"),
    "edp": ("energy × latency per epoch", "J·s"), "leakage_power": ("leakage power", "W"),
    "tops": ("TOPS", ""), "tops_per_w": ("TOPS/W", ""), "peak_tops": ("peak TOPS", ""),
    "peak_tops_per_w": ("peak TOPS/W", ""), "accuracy": ("test accuracy", "%"),
}


def figure(width: float, height: float, dpi: int = 110, layout: Optional[str] = None):
    """A matplotlib figure drawn by Agg (no pyplot, no GUI backend, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path: str) -> None:
    """Write ``fig`` as PNG to ``path`` atomically."""
    tmp = path + f".tmp-{os.getpid()}.png"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fig.savefig(tmp)
        os.replace(tmp, path)
    except OSError as err:  # a full disk during the run: name the file, keep what was written
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise fileio.write_failure(path, err) from err


def metric_axis(name: str, values) -> tuple[AxisScale, str]:
    """The axis of metric ``name`` over ``values`` and its label, e.g. ``"chip area (mm²)"``;
    a name that is no metric (a step count) gets a plain linear axis."""
    if name not in METRIC_AXES:
        return AxisScale(1.0, "", False), name
    title, unit = METRIC_AXES[name]
    scale = axis_for(values, unit)
    return scale, f"{title} ({scale.unit})" if scale.unit else title


def _set_axis(ax, which: str, scale: AxisScale, label: str, values) -> None:
    """Linear or log scale and the label. A log axis is ticked at 1, 2, 5 × 10ⁿ where
    ``values`` (the data, or the limits when they are set wider) span up to 300×, at powers
    of 10 over more, as plain numbers up to 4 decades (matplotlib's own labels crowd its
    minor ticks in a 2×10⁻¹ style), as 10ⁿ beyond."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, ScalarFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log" if scale.log else "linear")
    if scale.log:
        v = np.asarray(values, float)
        v = v[np.isfinite(v) & (v > 0)]
        ratio = v.max() / v.min() if v.size else 1.0
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if ratio <= 300 else (1.0,)))
        if ratio <= 1e4:
            axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        axis.set_minor_formatter(NullFormatter())
    else:
        axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(ScalarFormatter(useOffset=False))  # 85.76, not 0.01 + 8.575e1
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(label)


def _bars(ax, names: Sequence[str], values: Sequence[float], unit: str, label: str, color: str,
          parts_of: Optional[float] = None) -> None:
    """Horizontal bars, each labelled with its value; a zero value is written, not drawn.
    ``parts_of``: the bars are parts of this total: a linear axis, and each label gives the
    share."""
    v = np.asarray(values, float)
    positive = v[v > 0]
    scale = axis_for(positive, unit) if positive.size else AxisScale(1.0, unit, False)
    if parts_of is not None:
        scale = scale._replace(log=False)
    y = np.arange(len(names))
    ax.barh(y, np.where(v > 0, v, np.nan) / scale.scale, color=color)
    ax.set_yticks(y, [n.replace("_", " ") for n in names], fontsize=8)
    ax.invert_yaxis()
    lo, hi = (positive.min() / scale.scale, positive.max() / scale.scale) if positive.size else (0.0, 1.0)
    # Room on the right for the value labels.
    limits = (lo / 3, hi * 10 ** (0.35 * np.log10(30 * hi / lo))) if scale.log else (0.0, 1.7 * hi)
    _set_axis(ax, "x", scale, f"{label} ({scale.unit})", limits)
    ax.set_xlim(*limits)
    for yi, x in zip(y, v):
        text = si(x, unit, 3) if x > 0 else "0"
        if parts_of is not None:
            text += f" ({100 * x / parts_of:.1f} %)"
        ax.text(max(x / scale.scale, lo / 3 if scale.log else 0.0), yi, " " + text, va="center", fontsize=7)


def estimate(path: str, est, title: str) -> None:
    """``estimate.png``: latency and energy per epoch by phase and by component, and the area
    by bucket, each bar labelled with its value."""
    f = lambda x: float(np.asarray(x))  # noqa: E731
    fig = figure(13, 6.4)
    grid = fig.add_gridspec(2, 3)
    phases = [p.upper() for p in PHASES]
    _bars(fig.add_subplot(grid[0, 0]), phases, [f(getattr(est, p).latency) for p in PHASES], "s",
          "latency per epoch", "tab:blue")
    _bars(fig.add_subplot(grid[0, 1]), phases, [f(getattr(est, p).energy) for p in PHASES], "J",
          "energy per epoch", "tab:red")
    _bars(fig.add_subplot(grid[1, 0]), BUCKETS, [f(getattr(est.breakdown, b).latency) for b in BUCKETS], "s",
          "latency per epoch, by component", "tab:blue")
    _bars(fig.add_subplot(grid[1, 1]), BUCKETS, [f(getattr(est.breakdown, b).energy) for b in BUCKETS], "J",
          "energy per epoch, by component", "tab:red")
    ax = fig.add_subplot(grid[:, 2])
    _bars(ax, AREA_BUCKETS, [f(getattr(est.area, b)) for b in AREA_BUCKETS], "m²", "area", "tab:green",
          parts_of=f(est.area.total))
    ax.set_title(f"area, total {f(est.area.total) * 1e6:.2f} mm²", fontsize=10)
    fig.suptitle(f"{title}: per epoch of training, by phase and by component\n"
                 "FW forward, AG activation gradient, WG weight gradient, WU weight update", fontsize=10)
    # Fixed margins: tight_layout measures every text box, which takes longer than drawing.
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.09, top=0.88, wspace=0.45, hspace=0.45)
    save(fig, path)


def training_curve(path: str, epochs: Sequence[int], accuracy: Sequence[float], loss: Sequence[float],
                   title: str) -> None:
    """``training_curve.png``: test accuracy (left axis) and test loss (right axis) after each
    epoch. The files count epochs from 0 (as NeuroSim's); the plot counts epochs trained, as
    the console does ("epoch 1/2")."""
    from matplotlib.ticker import MaxNLocator

    trained = [int(e) + 1 for e in epochs]
    fig = figure(6, 3.6, dpi=120)
    ax1 = fig.subplots()
    h1 = ax1.plot(trained, accuracy, "o-", color="tab:blue", label="test accuracy (%)")
    ax1.set_xlabel("epochs trained")
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_ylabel("test accuracy (%)", color="tab:blue")
    ax2 = ax1.twinx()
    h2 = ax2.plot(trained, loss, "s--", color="tab:red", label="test loss (mean per batch)")
    ax2.set_ylabel("test loss (mean per batch)", color="tab:red")
    ax1.legend(handles=h1 + h2, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax1.set_title(title, pad=20)
    fig.tight_layout()
    save(fig, path)


def evaluate_sweep(path: str, report: dict) -> None:
    """``evaluate.png``: accuracy against the first swept field (ticked at its values), one
    line per value of the others, the trained accuracy dashed; the accuracy axis spans the
    data, and the legend sits beside the axes, off the lines."""
    fields = list(report["sweeps"])
    x_field, others = fields[0], fields[1:]
    lines: dict[tuple, list] = {}
    for r in report["results"]:
        lines.setdefault(tuple(r[f] for f in others), []).append((r[x_field], r["accuracy"]))
    fig = figure(7.5, 3.8, dpi=120)
    ax = fig.subplots()
    values = report["sweeps"][x_field]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    for key, pts in lines.items():
        xs = [p[0] for p in pts] if numeric else [str(p[0]) for p in pts]
        label = ", ".join(f"{f}={v}" for f, v in zip(others, key)) or None
        ax.plot(xs, [p[1] for p in pts], "o-", label=label)
    if numeric and x_field == "array.retention_time":
        ax.set_xscale("log")
    elif numeric and len(set(values)) <= 12:
        ax.set_xticks(sorted(set(values)), [f"{v:g}" for v in sorted(set(values))])
    accuracies = [r["accuracy"] for r in report["results"]]
    if report["trained_accuracy"] is not None:
        accuracies.append(report["trained_accuracy"])
        ax.axhline(report["trained_accuracy"], ls="--", color="gray",
                   label=f"trained ({report['trained_mode']}): {report['trained_accuracy']:.1f} %")
    pad = max(1.0, 0.1 * (max(accuracies) - min(accuracies)))
    ax.set_ylim(max(0.0, min(accuracies) - pad), min(100.0, max(accuracies) + pad))
    ax.set_xlabel(x_field)
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    run = os.path.basename(os.path.normpath(report["run_dir"]))
    ax.set_title(f"{run}, evaluated in {report['base']['settings']['array.mode']} mode", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    save(fig, path)


# ---------------------------------------------------------------------------------------
# Sweeps and optimisations


def _pairs(objectives: Sequence[str]) -> list:
    pairs = list(itertools.combinations(objectives, 2))
    return pairs or [(objectives[0], objectives[0])]


def _plane(ax, a: str, b: str, metrics: dict) -> tuple[np.ndarray, np.ndarray]:
    """Set up the ``a``–``b`` axes of ``ax``; return the scaled values to draw."""
    (sa, la), (sb, lb) = metric_axis(a, metrics[a]), metric_axis(b, metrics[b])
    x, y = np.asarray(metrics[a], float) / sa.scale, np.asarray(metrics[b], float) / sb.scale
    _set_axis(ax, "x", sa, la, x)
    _set_axis(ax, "y", sb, lb, y)
    return x, y


def scatter_pairs(path: str, metrics: dict, objectives: Sequence[str], pareto: np.ndarray,
                  color: Optional[np.ndarray] = None, color_name: str = "", title: str = "") -> None:
    """Pairwise scatter of the objectives, coloured by ``color`` (a colour bar for numbers,
    a legend for categories), the Pareto front outlined."""
    pairs = _pairs(objectives)
    fig = figure(4.6 * len(pairs) + 1.0, 4.0, layout="constrained")  # room for the colour bar
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    v = None if color is None else np.asarray(color)
    cats = sorted(set(v.tolist())) if v is not None and v.dtype.kind in "OUS" else None
    for ax, (a, b) in zip(axes, pairs):
        x, y = _plane(ax, a, b, metrics)
        if cats:
            for k, cat in enumerate(cats):
                m = v == cat
                ax.scatter(x[m], y[m], s=8, color=f"C{k}", alpha=0.7, linewidths=0, label=f"{color_name}={cat}")
        else:
            sc = ax.scatter(x, y, c=None if v is None else v.astype(float), s=8, cmap="viridis", alpha=0.7,
                            linewidths=0)
        ax.scatter(x[pareto], y[pareto], s=18, facecolors="none", edgecolors="red", linewidths=0.8,
                   label=f"Pareto front ({int(pareto.sum())})")
        ax.legend(fontsize=7, loc="best")
    if v is not None and not cats:
        fig.colorbar(sc, ax=axes.tolist(), shrink=0.85).set_label(color_name)
    fig.suptitle(title or f"{len(pareto):,} designs")
    save(fig, path)


def design_label(points: dict, designs: Sequence[int], names: Sequence[str], sep: str = "\n") -> str:
    """``name=value`` for each parameter in ``names``, joined by ``sep``; where the designs
    (equal in the plotted metrics) differ in a parameter, its values joined by ``/``."""
    def fmt(v) -> str:
        return v if isinstance(v, str) else f"{float(v):g}"

    return sep.join(f"{k}=" + "/".join(dict.fromkeys(fmt(points[k][i]) for i in designs)) for k in names)


def _place_labels(ax, x: np.ndarray, y: np.ndarray, texts: Sequence[str]) -> None:
    """Annotate each point with its text at the first of a few offsets where the box overlaps
    neither an earlier label nor leaves the axes; points with no free place get none."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed = []
    offsets = ((8, 6, "left", "bottom"), (8, -6, "left", "top"), (-8, 6, "right", "bottom"),
               (-8, -6, "right", "top"), (8, 22, "left", "bottom"), (8, -22, "left", "top"))
    for xi, yi, text in zip(x, y, texts):
        for dx, dy, ha, va in offsets:
            ann = ax.annotate(text, (xi, yi), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                              fontsize=6, color="darkred", arrowprops=dict(arrowstyle="-", color="0.5", lw=0.5),
                              bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
            box = ann.get_window_extent(renderer)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(p) for p in placed):
                placed.append(box)
                break
            ann.remove()


def _window(v: np.ndarray) -> tuple[float, float]:
    """A view of the values ``v`` with a margin (2 % of their magnitude when they are equal)."""
    lo, hi = float(np.min(v)), float(np.max(v))
    pad = 0.2 * (hi - lo) if hi > lo else 0.02 * max(abs(hi), 1e-30)
    return lo - pad, hi + pad


def pareto_fronts(path: str, metrics: dict, objectives: Sequence[str], pareto: np.ndarray, points: dict,
                  title: str = "") -> None:
    """Per pair of objectives, a column: above, all designs (grey), the points of the full
    front (blue) and the 2-D front of the pair (red staircase); below, a zoom on that 2-D
    front with each of its designs named (``points``: parameter → value per design). The
    labels give the parameters that differ along the staircase, the zoom's title those that
    its designs share."""
    from matplotlib.patches import Rectangle

    pairs = _pairs(objectives)
    fig = figure(5.6 * len(pairs), 9.0)
    axes = fig.subplots(2, len(pairs), squeeze=False)
    fronts = []
    for ax, zoom, (a, b) in zip(axes[0], axes[1], pairs):
        x, y = _plane(ax, a, b, metrics)
        sx, sy = (-1.0 if a in MAXIMISE else 1.0), (-1.0 if b in MAXIMISE else 1.0)
        front2 = np.flatnonzero(pareto_mask_2d(np.stack([sx * x, sy * y], axis=1)))
        front2 = front2[np.argsort(x[front2])]
        if front2.size == 0:
            ax.set_title("no design has finite metrics", fontsize=8)
            zoom.set_visible(False)
            continue
        (x0, x1), (y0, y1) = _window(x[front2]), _window(y[front2])
        for target in (ax, zoom):
            target.scatter(x, y, s=5, color="0.75", linewidths=0, label="designs")
            target.scatter(x[pareto], y[pareto], s=11, color="tab:blue", linewidths=0,
                           label=f"{len(objectives)}-D front")
            target.step(x[front2], y[front2], where="post", color="red", lw=1.2, label=f"{a}–{b} front")
            target.scatter(x[front2], y[front2], s=16, color="red", zorder=3)
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ls="--", lw=0.8, color="0.3",
                               label="zoom below"))
        ax.legend(fontsize=7, loc="upper right")
        for which, (lo, hi), label in (("x", (x0, x1), ax.get_xlabel()), ("y", (y0, y1), ax.get_ylabel())):
            _set_axis(zoom, which, AxisScale(1.0, "", lo > 0 and hi / lo >= 10), label, (lo, hi))
        zoom.set_xlim(x0, x1)
        zoom.set_ylim(y0, y1)
        shared = [k for k in points if len({str(points[k][i]) for i in front2}) == 1]
        zoom.set_title(f"zoom on the {a}–{b} front" + (f"; all: {design_label(points, front2[:1], shared, ', ')}"
                                                       if shared else ""), fontsize=8)
        fronts.append((zoom, x[front2], y[front2], front2, [k for k in points if k not in shared]))
    fig.suptitle(title or "Pareto fronts")
    fig.tight_layout()  # before the labels: their placement measures the final axes
    for zoom, x, y, front2, differ in fronts:
        same = {}  # designs on the same point get one label
        for xi, yi, i in zip(x, y, front2):
            same.setdefault((xi, yi), []).append(i)
        _place_labels(zoom, [p[0] for p in same], [p[1] for p in same],
                      [design_label(points, d, differ) for d in same.values()])
    save(fig, path)


def trajectory(path: str, x_metric: str, y_metric: str, traj_x: np.ndarray, traj_y: np.ndarray, *,
               cloud: Optional[dict] = None, cloud_pareto: Optional[np.ndarray] = None,
               best: Optional[tuple] = None, grid_best: Optional[tuple] = None,
               bound: Optional[tuple] = None, title: str = "") -> None:
    """Trajectories ``(steps, starts)`` in the (x_metric, y_metric) plane over a sweep cloud.

    ``best``/``grid_best``: ``(x, y)`` of the rounded gradient optimum and the grid's best;
    ``bound``: ``("x" or "y", value)`` draws a constraint line.
    """
    fig = figure(6.4, 4.8, dpi=120)
    ax = fig.subplots()
    xs = [traj_x.ravel()] + ([np.asarray(cloud[x_metric]).ravel()] if cloud is not None else [])
    ys = [traj_y.ravel()] + ([np.asarray(cloud[y_metric]).ravel()] if cloud is not None else [])
    (sx, lx), (sy, ly) = metric_axis(x_metric, np.concatenate(xs)), metric_axis(y_metric, np.concatenate(ys))
    _set_axis(ax, "x", sx, lx, np.concatenate(xs) / sx.scale)
    _set_axis(ax, "y", sy, ly, np.concatenate(ys) / sy.scale)
    if cloud is not None:
        cx, cy = np.asarray(cloud[x_metric]) / sx.scale, np.asarray(cloud[y_metric]) / sy.scale
        ax.scatter(cx, cy, s=3, color="0.8", linewidths=0, label="grid designs")
        if cloud_pareto is not None:
            ax.scatter(cx[cloud_pareto], cy[cloud_pareto], s=8, color="tab:blue", linewidths=0,
                       label="grid Pareto front")
    for s in range(traj_x.shape[1]):
        ax.plot(traj_x[:, s] / sx.scale, traj_y[:, s] / sy.scale, "-", lw=0.9, alpha=0.8, color="tab:orange",
                label="gradient trajectories" if s == 0 else None)
        ax.plot(traj_x[0, s] / sx.scale, traj_y[0, s] / sy.scale, "o", ms=3, color="tab:orange")
    if best is not None:
        ax.plot(best[0] / sx.scale, best[1] / sy.scale, "*", ms=14, color="red", label="gradient optimum (rounded, exact)")
    if grid_best is not None:
        ax.plot(grid_best[0] / sx.scale, grid_best[1] / sy.scale, "P", ms=10, color="black", label="best grid point")
    if bound is not None:
        line, scale = (ax.axvline, sx) if bound[0] == "x" else (ax.axhline, sy)
        line(bound[1] / scale.scale, color="red", ls="--", lw=0.8, label="budget")
    ax.legend(fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    save(fig, path)


def device_fit(path: str, curves: dict, seq_device: Sequence[int], devices: Sequence[str], title: str,
               max_panels: int = 8) -> None:
    """``device_fit_MODEL.png`` of ``cimjax device fit``: one panel per device (the first
    ``max_panels``), its cycles one after another along the x axis; measured conductance (dots),
    the fitted model's expected trajectory from each cycle's first read (line) and the 16–84 %
    band of noisy runs with the fitted c2c (shaded)."""
    seq_device = np.asarray(seq_device)
    shown = list(range(min(len(devices), max_panels)))
    cols = min(len(shown), 4)
    rows = (len(shown) + cols - 1) // cols
    fig = figure(3.6 * cols, 2.8 * rows + 0.6, dpi=100)
    scale = axis_for(curves["measured"][curves["valid"]], "S")
    for n, d in enumerate(shown):
        ax = fig.add_subplot(rows, cols, n + 1)
        offset = 0
        for i in np.flatnonzero(seq_device == d):
            v = curves["valid"][i]
            x = curves["t"][i][v] + offset
            ax.fill_between(x, curves["lo"][i][v] / scale.scale, curves["hi"][i][v] / scale.scale, color="tab:orange",
                            alpha=0.5, lw=0, label="model, 16–84 % with c2c" if offset == 0 else None)
            ax.plot(x, curves["measured"][i][v] / scale.scale, ".", ms=2.5, color="tab:blue",
                    label="measured" if offset == 0 else None)
            ax.plot(x, curves["model"][i][v] / scale.scale, "-", lw=1.0, color="tab:red",
                    label="model (expected)" if offset == 0 else None)
            offset = x[-1] + 1
        ax.set_title(f"device {devices[d]}", fontsize=9)
        ax.set_xlabel("pulse (cycles in sequence)", fontsize=8)
        ax.set_ylabel(f"conductance ({scale.unit})", fontsize=8)
        ax.tick_params(labelsize=7)
        if n == 0:
            ax.legend(fontsize=7, loc="best")
    more = f" (first {len(shown)} of {len(devices)} devices)" if len(devices) > len(shown) else ""
    fig.suptitle(title + more, fontsize=10)
    fig.tight_layout()
    save(fig, path)
