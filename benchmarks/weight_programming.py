"""Weight-programming error of the in-situ training rules (Rasch et al., Nat. Commun. 15:7133 (2024), Fig. 4).

A fixed random target ``T`` (``n×n``, uniform in ``[−t_max, t_max]``) is programmed into an
analog array by gradient steps on ``½‖W_eff x − T x‖²`` with random inputs ``x ~ U(−1, 1)^n``
(``batch`` vectors per step; ``d = W_eff x − T x``), with each rule of
:mod:`cimjax.optim.analog_algorithms` in its faithful ``stochastic`` pulse-train mode. The device
is an asymmetric soft-bounds device (bounds ±1 with 10 % device-to-device spread, symmetry point
spread σ 0.1 via ``up_down_dtod``, 10 % d2d and c2c step noise). Sweep: number of states
``n_states = 2/dw_min`` × reference offset ``σ_r`` (weight units; the range is 2) × seeds. The
offset is on the array that accumulates gradient pulses (``A`` for the TT family, which keeps its
reference at the symmetry point + offset; the single array for analog SGD and mixed precision);
the TT family's ``C`` has an ideal reference. Reported: the final relative error
``‖W_eff − T‖/‖T‖`` (mean over seeds, and over the last 5 % of the steps).

Each rule is ONE compiled program, vmapped over (n_states, σ_r, seed): ``dw_min`` and the
reference offsets are traced ``Cells`` arrays.

Usage::

    python benchmarks/weight_programming.py            # full sweep (see benchmarks/README.md)
    python benchmarks/weight_programming.py --quick    # small version, < 1 minute on 2 cores

Writes ``benchmarks/results/weight_programming{,_quick}.{csv,md,png}`` and prints the table and
each rule's step time relative to analog SGD (same run, same sweep, after compilation).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.devices.protocol import PulsedDevice, SoftBounds, sample_cells
from cimjax.optim.analog_algorithms import AnalogAlgorithm, effective_weight, init_state, step

RESULTS = Path(__file__).resolve().parent / "results"

# The unit device: dw_min and the reference offset are scaled per configuration (traced).
UNIT_DEVICE = PulsedDevice(
    model=SoftBounds(), dw_min=1.0, dw_min_dtod=0.1, dw_min_std=0.1, up_down=0.0, up_down_dtod=0.1,
    w_min=-1.0, w_max=1.0, w_min_dtod=0.1, w_max_dtod=0.1, reference_std=1.0,
)

# Hyper-parameters: aihwkit defaults (AnalogAlgorithm.defaults) except the documented ones set here:
# the SGD learning rates (analog SGD, mixed precision: 0.02; TT family: 0.5, which scales the
# transfer) and c-TTv2's in_chop_prob 0.1 (aihwkit's ChoppedTransferCompound class default; the
# presets' 0.01 lets a reference offset of 0.5 walk C by many pulses within one chopper period).
ALGORITHMS = {
    "analog_sgd": AnalogAlgorithm.defaults("analog_sgd", lr=0.02),
    "ttv2": AnalogAlgorithm.defaults("ttv2", lr=0.5),
    "cttv2": AnalogAlgorithm.defaults("cttv2", lr=0.5, in_chop_prob=0.1),
    "agad": AnalogAlgorithm.defaults("agad", lr=0.5),
    "mixed_precision": AnalogAlgorithm.defaults("mixed_precision", lr=0.02),
}


@dataclasses.dataclass(frozen=True)
class Setup:
    n: int = 32
    steps: int = 10000
    batch: int = 1
    t_max: float = 0.5
    states: tuple = (10, 20, 50, 100)
    offsets: tuple = (0.0, 0.05, 0.1, 0.2, 0.5)
    seeds: int = 2
    tail: float = 0.05  # average the error over this last fraction of the steps


QUICK = Setup(n=16, steps=3000, states=(10, 20), offsets=(0.0, 0.2), seeds=1)


def draw_cells(keys, n):
    """Unit draws (dw_min 1, reference σ 1) of C and A for every seed: one shared program."""
    def one(key):
        k_c, k_a = jax.random.split(key)
        return sample_cells(UNIT_DEVICE, k_c, (n, n)), sample_cells(UNIT_DEVICE, k_a, (n, n))

    return jax.jit(jax.vmap(one))(keys)


def _scaled(cells, dw_min, offset):
    return cells._replace(dw_min=cells.dw_min * dw_min, reference=cells.reference * offset)


def make_program(alg: AnalogAlgorithm, setup: Setup, target: jax.Array):
    """A jitted function (dw_min, offset, seed key, unit cells) -> error curve, vmapped over
    (dw_min, offset, seed); the cells' dw_min and reference offsets are traced."""
    n = setup.n
    n_rec = 50
    every = max(setup.steps // n_rec, 1)
    t_norm = jnp.linalg.norm(target)

    def one(dw_min, offset, key, unit_c, unit_a):
        k_init, k_x = jax.random.split(key)
        shape = (n, n)
        if alg.has_a:
            cells_c = _scaled(unit_c, dw_min, 0.0)
            cells_a = _scaled(unit_a, dw_min, offset)
        else:
            cells_c = _scaled(unit_c, dw_min, offset)
            cells_a = None
        state = init_state(alg, UNIT_DEVICE, UNIT_DEVICE, k_init, jnp.zeros(shape),
                           cells_c=cells_c, cells_a=cells_a)

        def body(state, k):
            x = jax.random.uniform(k, (setup.batch, n), minval=-1.0, maxval=1.0)
            w = effective_weight(alg, state)
            d = x @ (w - target).T
            state = step(alg, UNIT_DEVICE, UNIT_DEVICE, state, x, d)
            err = jnp.linalg.norm(effective_weight(alg, state) - target) / t_norm
            return state, err

        def chunk(state, k):
            state, errs = jax.lax.scan(body, state, jax.random.split(k, every))
            return state, errs.mean()

        _, curve = jax.lax.scan(chunk, state, jax.random.split(k_x, setup.steps // every))
        return curve

    grid = jax.vmap(jax.vmap(jax.vmap(one, (None, None, 0, 0, 0)), (None, 0, None, None, None)),
                    (0, None, None, None, None))
    return jax.jit(grid)


def run(setup: Setup, names=None, seed=0, rng_impl="threefry2x32"):
    names = list(ALGORITHMS) if names is None else names
    key = jax.random.key(seed, impl=rng_impl)
    k_t, k_s = jax.random.split(key)
    target = jax.random.uniform(k_t, (setup.n, setup.n), minval=-setup.t_max, maxval=setup.t_max)
    dw = jnp.asarray([2.0 / s for s in setup.states])
    off = jnp.asarray(setup.offsets)
    seeds = jax.random.split(k_s, setup.seeds)
    unit_c, unit_a = draw_cells(jax.random.split(jax.random.fold_in(key, 1), setup.seeds), setup.n)
    rows, curves, times = [], {}, {}
    args = (dw, off, seeds, unit_c, unit_a)

    n_sims = len(setup.states) * len(setup.offsets) * setup.seeds
    programs = {}
    for name in names:
        t0 = time.perf_counter()
        compiled = make_program(ALGORITHMS[name], setup, target).lower(*args).compile()
        programs[name] = compiled, time.perf_counter() - t0
    for name in names:
        compiled, t_compile = programs[name]
        t0 = time.perf_counter()
        curve = np.asarray(jax.block_until_ready(compiled(*args)))
        t_run = time.perf_counter() - t0
        times[name] = dict(compile_s=t_compile, run_s=t_run, us_per_step=1e6 * t_run / (setup.steps * n_sims))
        curves[name] = curve  # (states, offsets, seeds, n_rec)
        n_tail = max(int(round(curve.shape[-1] * setup.tail)), 1)
        final = curve[..., -n_tail:].mean(-1)  # (states, offsets, seeds)
        for i, s in enumerate(setup.states):
            for j, o in enumerate(setup.offsets):
                rows.append(dict(algorithm=name, n_states=s, sigma_r=o, error_mean=float(final[i, j].mean()),
                                 error_std=float(final[i, j].std()), seeds=setup.seeds))
        print(f"{name}: compile {t_compile:.1f} s, run {t_run:.1f} s", flush=True)
    return rows, curves, times


def write(rows, curves, times, setup: Setup, stem: str):
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / f"{stem}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    names = list(dict.fromkeys(r["algorithm"] for r in rows))
    lines = [f"Relative error ‖W_eff − T‖/‖T‖ (%), {setup.n}×{setup.n}, {setup.steps} steps of "
             f"batch {setup.batch}, mean of {setup.seeds} seed(s); columns: σ_r (weight units, "
             f"range 2)", ""]
    for name in names:
        lines.append(f"**{name}**")
        lines.append("")
        lines.append("| states | " + " | ".join(f"σ_r {o:g}" for o in setup.offsets) + " |")
        lines.append("| --- |" + " --- |" * len(setup.offsets))
        for s in setup.states:
            vals = [r for r in rows if r["algorithm"] == name and r["n_states"] == s]
            lines.append(f"| {s} | " + " | ".join(f"{100 * r['error_mean']:.1f}" for r in vals) + " |")
        lines.append("")
    base = times.get("analog_sgd", next(iter(times.values())))["us_per_step"]
    lines.append("| algorithm | µs per simulated step (vmapped sweep) | relative to analog SGD "
                 "| compile s |")
    lines.append("| --- | --- | --- | --- |")
    for name, t in times.items():
        us = t["us_per_step"]
        lines.append(f"| {name} | {us:.2f} | {us / base:.2f} | {t['compile_s']:.1f} |")
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        return
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names):
        for s in setup.states:
            vals = [100 * r["error_mean"] for r in rows if r["algorithm"] == name and r["n_states"] == s]
            ax.plot(setup.offsets, vals, "o-", label=f"{s} states")
        ax.set_title(name)
        ax.set_xlabel("σ_r")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("‖W − T‖/‖T‖ (%)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{stem}.png", dpi=120)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small version (< 1 minute)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--n", type=int, default=None)
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--algorithms", default=",".join(ALGORITHMS))
    p.add_argument("--rng", default=None, choices=("threefry2x32", "rbg", "unsafe_rbg"),
                   help="jax.random key implementation (default unsafe_rbg: it compiles several times faster "
                        "on CPU than threefry2x32)")
    args = p.parse_args(argv)
    setup = QUICK if args.quick else Setup()
    changes = {k: v for k, v in dict(steps=args.steps, n=args.n, seeds=args.seeds).items() if v is not None}
    setup = dataclasses.replace(setup, **changes)
    names = [a for a in args.algorithms.split(",") if a]
    for a in names:
        if a not in ALGORITHMS:
            raise SystemExit(f"--algorithms: {a!r} is not one of {tuple(ALGORITHMS)}")
    stem = "weight_programming_quick" if args.quick else "weight_programming"
    rng = args.rng or "unsafe_rbg"
    print(f"setup: {setup}, rng {rng}", flush=True)
    rows, curves, times = run(setup, names, rng_impl=rng)
    write(rows, curves, times, setup, stem)


if __name__ == "__main__":
    main()
