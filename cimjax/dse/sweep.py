"""Vmapped, chunked, sharded design-space sweeps of the chip estimate.

``run_sweep(config, pts, objectives)`` takes designs (one array of values per parameter, e.g.
a grid's, :func:`cimjax.dse.grid.designs`), groups them by their *static* chip
configuration, and evaluates each group one of two ways, with the same numbers to float
rounding:

* a group of more than ``compile_above`` designs (:data:`COMPILE_ABOVE`) with one jitted
  ``vmap(estimate)`` over chunks of ``chunk`` designs (the last chunk padded to the chunk
  size, so nothing recompiles, and the padding dropped). With several JAX devices each chunk
  is sharded over all of them (``jax.sharding``; a 1-D mesh over the design axis);
* a smaller group without compiling: its one-design program is traced once and evaluated
  with NumPy for blocks of its designs at once (:func:`cimjax.host_eval.run_batched`). An
  XLA compile of the estimate costs tens of seconds on a 2-core CPU, as much as
  host-evaluating thousands of designs (``benchmarks/sweep_cold.py``).

The result holds every design's parameters, the metrics of :data:`METRICS` and its Pareto flag.

Static structure, and how the sweep handles it (one trace or compile per group):

* choices (``cell_type``, ``mapping``, ``global_buffer``, ``dram``,
  ``roadmap``) are fields of :class:`~cimjax.hw.chip.ChipConfig`;
* ``columns_per_adc`` also sizes the static mux decoders;
* the global H-tree's stage count (``ChipConfig.tile_grid``, ``cm_pes_per_side``) is
  computed from the floorplan at the design's sub-array size and cell bits
  (:func:`cimjax.build.chip_config`), so designs are grouped by that grid, not by the size.

Everything else (sub-array size, ADC bits, cell bits, node, R_on, on/off, voltages, pulse
widths, clock, batch…) is a traced float inside a group. A design's chip is built by
:func:`cimjax.build.chip_params` / :func:`cimjax.build.chip_config` from the base config's
knobs with the design's values: exactly the chip ``cimjax estimate`` builds for the same
config overrides.

Multi-host: call ``jax.distributed.initialize()`` (coordinator address, process count and id
from the cluster's environment) on every host before ``run_sweep``; ``jax.devices()`` then
lists every host's devices, the mesh spans them (``jax.shard_map``: each device runs the
plain vmapped program on its slice), each process feeds its own shards
(``jax.make_array_from_callback``; every process expands the same seeded grid) and the
results are gathered with ``multihost_utils.process_allgather``. No scheduler is needed:
start the same command on every host.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from cimjax import build as build_lib
from cimjax.config import Config, replace
from cimjax.dse import params as P
from cimjax.dse.pareto import pareto_mask

#: Metrics of every design (per epoch), their units and whether larger is better.
METRICS = ("area", "energy", "latency", "edp", "tops", "tops_per_w", "peak_tops", "peak_tops_per_w",
           "leakage_power", "area_adc")
UNITS = {"area": "m^2", "energy": "J/epoch (dynamic + leakage)", "latency": "s/epoch", "edp": "J*s",
         "tops": "1e12 op/s", "tops_per_w": "1e12 op/J", "peak_tops": "1e12 op/s",
         "peak_tops_per_w": "1e12 op/J", "leakage_power": "W", "area_adc": "m^2"}
MAXIMISE = frozenset({"tops", "tops_per_w", "peak_tops", "peak_tops_per_w", "accuracy"})


def metrics_of(est) -> dict:
    """The :data:`METRICS` of a :class:`~cimjax.hw.chip.ChipEstimate` (any batch shape)."""
    energy = est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy + est.leakage_energy
    latency = est.fw.latency + est.ag.latency + est.wg.latency + est.wu.latency
    return dict(area=est.area.total, energy=energy, latency=latency, edp=energy * latency, tops=est.tops,
                tops_per_w=est.tops_per_w, peak_tops=est.peak_tops, peak_tops_per_w=est.peak_tops_per_w,
                leakage_power=est.leakage_power, area_adc=est.area.adc)


def prepare(config: Config, layers=None, trace=None) -> build_lib.ChipBuild:
    """The base design of a sweep: the :class:`~cimjax.build.ChipBuild` of ``config`` (its
    knobs, facts, static chip and trace; the build's default trace when None)."""
    return build_lib.build(config, layers=layers, trace=trace)


def group_configs(base: build_lib.ChipBuild, pts: dict) -> tuple[np.ndarray, list]:
    """Assign every design to a static :class:`~cimjax.hw.chip.ChipConfig`
    (:func:`cimjax.build.chip_config` of the design's static and grid knobs).

    Returns:
      ``(group, configs)``: ``group[i]`` indexes ``configs`` (one ChipConfig per group).
    """
    n = len(next(iter(pts.values())))
    names = [k for k in pts if P.PARAMS[k].static or P.PARAMS[k].grid]
    by_key, index, configs, group = {}, {}, [], np.empty(n, np.int64)
    for i in range(n):
        key = tuple(pts[k][i] for k in names)
        if key not in by_key:
            knobs = P.static_knobs(base.knobs, {k: pts[k][i] for k in names})
            by_key[key] = build_lib.chip_config(knobs, base.facts)
        cc = by_key[key]
        if cc not in index:
            index[cc] = len(configs)
            configs.append(cc)
        group[i] = index[cc]
    return group, configs


#: Groups of at most this many designs are evaluated on the host (traced once, NumPy over
#: the group's designs) instead of compiled; larger groups are compiled, where XLA's speed
#: pays for its compile. Measured (``benchmarks/sweep_cold.py``, 2-core VM under load): one
#: VGG-8 group's compile (69 s) costs as much as host-evaluating 26,000 designs at 346/s
#: against 4,159/s compiled; 20,000 leaves room for faster compiled rates (sharding, a quiet CPU).
COMPILE_ABOVE = 20_000
#: Designs per host-evaluated block (NumPy's temporaries stay in cache; larger blocks are slower).
HOST_CHUNK = 256


def _design_fn(chip_config, names: tuple, facts: build_lib.Facts) -> Callable:
    """One design of a static group: (base knobs, its traced values, trace) → metric vector
    (:data:`METRICS` order). The function both the compiled and the host path evaluate."""
    from cimjax.hw import chip

    def one(base_knobs, values, trace):
        params = build_lib.chip_params(P.apply_values(base_knobs, names, values), facts)
        est = chip.estimate(params, chip_config, trace)
        m = metrics_of(est)
        return jnp.stack([m[k] for k in METRICS])

    return one


def _host_program(chip_config, names: tuple, facts: build_lib.Facts, knobs, trace):
    """The traced program of :func:`_design_fn` (one design, unbatched) for the host path,
    kept per static group (:func:`cimjax.compile_cache.cached_program`: in this process and,
    where a cache is enabled, on disk)."""
    from cimjax import compile_cache, host_eval

    example = np.zeros(len(names), jnp.result_type(float))
    args = (knobs, example, trace)
    return compile_cache.cached_program(
        "sweep_design", repr((chip_config, names, facts)), args,
        lambda: host_eval.trace(_design_fn(chip_config, names, facts), *args))


@functools.lru_cache(maxsize=32)
def _group_fn(chip_config, names: tuple, facts: build_lib.Facts, mesh_devices: Optional[tuple]) -> Callable:
    """jit(vmap(design values → metric matrix)) for one static group (sharded over a mesh)."""
    fn = jax.vmap(_design_fn(chip_config, names, facts), in_axes=(None, 0, None))
    if mesh_devices is None:
        return jax.jit(fn)
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as PS

    mesh = Mesh(np.asarray(mesh_devices), ("d",))
    # shard_map: every device runs the plain vmapped program on its slice of the chunk (the
    # same per-design numerics as the unsharded sweep; no cross-device communication).
    sharded = jax.shard_map(fn, mesh=mesh, in_specs=(PS(), PS("d"), PS()), out_specs=PS("d"))
    return jax.jit(sharded, in_shardings=(NamedSharding(mesh, PS()), NamedSharding(mesh, PS("d")),
                                          NamedSharding(mesh, PS())),
                   out_shardings=NamedSharding(mesh, PS("d")))


@functools.lru_cache(maxsize=32)
def _compiled(chip_config, names: tuple, facts: build_lib.Facts, mesh_devices: Optional[tuple], size: int,
              knobs_struct, trace_struct):
    """The compiled executable of :func:`_group_fn` for ``size`` designs (cached)."""
    fn = _group_fn(chip_config, names, facts, mesh_devices)
    dtype = jnp.result_type(float)
    example = _put(np.zeros((size, len(names)), dtype), mesh_devices)
    return fn.lower(knobs_struct.knobs, example, trace_struct.trace).compile()


class _Key:
    """Wraps a pytree so the compile cache keys on its structure, shapes and dtypes."""

    def __init__(self, **kw):
        (name, tree), = kw.items()
        setattr(self, name, tree)
        leaves, treedef = jax.tree.flatten(tree)
        self._key = (treedef, tuple((np.shape(x), jnp.result_type(x)) for x in leaves))

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Key) and self._key == other._key


def _put(values: np.ndarray, fn_devices: Optional[tuple]):
    if fn_devices is None:
        return jnp.asarray(values)
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as PS

    sharding = NamedSharding(Mesh(np.asarray(fn_devices), ("d",)), PS("d"))
    return jax.make_array_from_callback(values.shape, sharding, lambda idx: values[idx])


def _get(out) -> np.ndarray:
    if jax.process_count() > 1:  # pragma: no cover - multi-host only
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(out, tiled=True))
    return np.asarray(out)


@dataclasses.dataclass
class SweepResult:
    """Designs, their metrics and Pareto flags (arrays of length N), with timings."""

    points: dict
    metrics: dict
    pareto: np.ndarray
    group: np.ndarray
    objectives: tuple
    timing: dict
    devices: int

    @property
    def num_designs(self) -> int:
        return len(self.pareto)


def evaluate(base: build_lib.ChipBuild, pts: dict, *, chunk: int = 4096, mode: str = "exact", shard: bool = True,
             progress: bool = True, fixed_chunk: bool = False,
             compile_above: Optional[int] = COMPILE_ABOVE) -> tuple[dict, np.ndarray, dict]:
    """Metrics of every design in ``pts`` (name → array of values).

    Each static group is either compiled (``jit(vmap(estimate))`` over chunks) or, when it
    holds at most ``compile_above`` designs, evaluated on the host: its one-design program is
    traced once (:mod:`cimjax.host_eval`) and evaluated with NumPy for blocks of
    :data:`HOST_CHUNK` designs at once (:func:`cimjax.host_eval.run_batched`, vmap's
    semantics), with no XLA compile. Both give the same numbers to float rounding (XLA may
    fuse a multiply-add; NumPy's and XLA's ``exp``/``log`` may differ in the last bit).
    The host path runs in every process (no sharding; every process expands the same designs).

    Args:
      base: the base design (:func:`prepare`).
      pts: one array per parameter (same length N).
      chunk: designs per vmapped call (rounded up to a multiple of the device count).
      mode: the estimator's count mode (``"exact"`` for sweeps).
      shard: shard each chunk over all ``jax.devices()`` when there are several.
      progress: a tqdm bar over the designs.
      fixed_chunk: always use ``chunk``-sized calls (pad small sets too), so repeated small
        evaluations reuse one compiled executable.
      compile_above: compile only groups of more designs than this (default
        :data:`COMPILE_ABOVE`); 0 compiles every group, None none.

    Returns:
      ``(metrics, group, timing)``: metric name → (N,) float64, the static group of each
      design, and ``{"compile_s", "trace_s", "eval_s", "designs_per_s", "groups",
      "host_groups", "chunk"}`` (``trace_s``: tracing the host-evaluated groups; ``eval_s``:
      evaluating every design, host and compiled).
    """
    if compile_above is not None and (not isinstance(compile_above, (int, np.integer)) or compile_above < 0):
        raise ValueError(f"compile_above must be a whole number ≥ 0 or None, got {compile_above!r}")
    names = tuple(pts)
    n = len(next(iter(pts.values())))
    numeric = [k for k in names if P.PARAMS[k].numeric]
    values = np.stack([np.asarray(pts[k], float) for k in numeric], axis=1) if numeric else np.zeros((n, 0))
    group, configs = group_configs(base, pts)
    knobs = build_lib.traced_knobs(base.knobs)
    devices = tuple(jax.devices()) if shard and len(jax.devices()) > 1 else None
    ndev = len(devices) if devices else 1
    chunk = max(ndev, -(-int(chunk) // ndev) * ndev)
    out = np.empty((n, len(METRICS)))
    dtype = jnp.result_type(float)
    t_compile = t_trace = t_eval = 0.0
    host_groups = 0
    from tqdm.auto import tqdm

    bar = tqdm(total=n, unit="design", disable=not progress, desc="sweep")
    for g, cc in enumerate(configs):
        cc = dataclasses.replace(cc, mode=mode) if cc.mode != mode else cc
        idx = np.flatnonzero(group == g)
        if compile_above is None or len(idx) <= compile_above:
            from cimjax import host_eval

            host_groups += 1
            t0 = time.perf_counter()
            prog = _host_program(cc, tuple(numeric), base.facts, knobs, base.trace)
            t_trace += time.perf_counter() - t0
            for start in range(0, len(idx), HOST_CHUNK):
                rows = idx[start:start + HOST_CHUNK]
                t0 = time.perf_counter()
                out[rows] = host_eval.run_batched(prog, (knobs, values[rows].astype(dtype), base.trace), (None, 0, None))
                t_eval += time.perf_counter() - t0
                bar.update(len(rows))
            continue
        size = chunk if fixed_chunk else min(chunk, -(-len(idx) // ndev) * ndev)
        t0 = time.perf_counter()
        compiled = _compiled(cc, tuple(numeric), base.facts, devices, size, _Key(knobs=knobs), _Key(trace=base.trace))
        t_compile += time.perf_counter() - t0
        for start in range(0, len(idx), size):
            rows = idx[start:start + size]
            block = values[rows]
            if len(rows) < size:  # pad with the last design; dropped below
                block = np.concatenate([block, np.repeat(block[-1:], size - len(rows), axis=0)])
            t0 = time.perf_counter()
            res = _get(compiled(knobs, _put(block.astype(dtype), devices), base.trace))
            t_eval += time.perf_counter() - t0
            out[rows] = res[: len(rows)]
            bar.update(len(rows))
    bar.close()
    metrics = {k: out[:, j] for j, k in enumerate(METRICS)}
    timing = dict(compile_s=t_compile, trace_s=t_trace, eval_s=t_eval,
                  designs_per_s=n / t_eval if t_eval > 0 else float("nan"), groups=len(configs),
                  host_groups=host_groups, chunk=chunk)
    return metrics, group, timing


def objective_matrix(metrics: dict, objectives: Sequence[str]) -> np.ndarray:
    """(N, k) objectives to minimise (metrics in :data:`MAXIMISE` negated)."""
    return np.stack([(-1.0 if o in MAXIMISE else 1.0) * np.asarray(metrics[o], float) for o in objectives], axis=1)


def run_sweep(config: Config, pts: dict, objectives: Sequence[str], *, layers=None, trace=None, chunk: int = 4096,
              shard: bool = True, progress: bool = True, compile_above: Optional[int] = COMPILE_ABOVE) -> SweepResult:
    """Evaluate every design of ``pts`` (parameter name → (N,) values, e.g. the designs of a grid,
    :func:`cimjax.dse.grid.designs`) exactly and mark the Pareto front of ``objectives``
    (``compile_above``: :func:`evaluate`)."""
    base = prepare(config, layers=layers, trace=trace)
    metrics, group, timing = evaluate(base, pts, chunk=chunk, shard=shard, progress=progress,
                                      compile_above=compile_above)
    objectives = tuple(objectives)
    front = pareto_mask(objective_matrix(metrics, objectives))
    return SweepResult(pts, metrics, front, group, objectives, timing, len(jax.devices()) if shard else 1)


def point_config(config: Config, point: dict) -> Config:
    """``config`` with the config fields of one design's parameters replaced (for checks and
    for re-running one design with ``cimjax estimate``)."""
    changes: dict = {}
    for name, value in point.items():
        s = P.spec(name)
        for field in s.fields:
            section, fname = field.split(".")
            changes.setdefault(section, {})[fname] = value if s.kind == "choice" else (
                int(value) if s.discrete else float(value))
    return replace(config, **changes)
